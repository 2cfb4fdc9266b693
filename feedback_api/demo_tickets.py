"""The demo district's supervision tickets: its seeded 差评 opened (or grouped into a running
ticket) as the automatic job would have, each a few minutes after it came in, through the same
service, on the topic its opinion is about (the demo seeds before the opinions are analysed);
then a plausible share worked through the loop through the ticket services, each step
at its own moment and never later than now: most fixed on time, verified and called back; some
sent back once; some fixed late; a few still open past their deadline; the recent ones still
within it. The clock job then marks what is overdue."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.models import Feedback, Ticket, TicketFeedback, User, Window
from feedback_api.services import ticket_clocks, ticket_links, ticket_loop
from feedback_api.services.complaints import BAD_RATINGS, counted_feedback

#: The topic of each of the demo's complaints (``demo.NEGATIVE``), as the analysis would find it.
TOPIC_OF = {
    "排队等了两个小时，窗口只开了一个": "efficiency", "工作人员态度冷淡，问两句就不耐烦": "attitude",
    "材料说了三次都没说全，跑了好几趟": "process", "叫号系统经常出错，过号了也没人管": "environment",
    "空调坏了，大厅里太热": "environment", "解释不清楚，问了也说不知道": "competence",
    "午休时间窗口全关了，等到下午": "convenience", "停车位太少，绕了半天": "convenience",
    "办事指南和实际要求不一样": "publicity", "太慢了": "efficiency",
    "工作时间玩手机，让群众等着": "attitude", "说系统故障让明天再来": "efficiency",
    "电话一直打不通": "convenience", "真是“高效”啊，等了三个小时": "efficiency",
    "态度还行，就是太慢": "efficiency", "老人不会用自助机，也没人帮忙": "convenience",
    "暗示找中介能快点办，感觉不正常": "integrity", "收费标准没有公示，多收了钱": "publicity",
}
#: How recent a ticket left unanswered or unverified may be.
RECENT_STUCK = timedelta(days=60)
RESPONSES = [
    "已核实情况，对窗口人员进行批评教育，并组织服务规范培训。",
    "高峰时段已增开一个窗口，并安排导办人员引导分流。",
    "已在窗口张贴一次性告知清单，材料要求同步在官网公布。",
    "叫号系统已报修并完成检修，已向群众致歉。",
]


def seed_tickets(rng: random.Random, *, now: datetime | None = None) -> int:
    """Open and work the tickets of the demo's counted 差评 (rating 1–2); returns how many
    tickets were opened."""
    now = now or utcnow()
    # Each unit's staff answer its tickets (the demo gives every unit an account); a unit without
    # one (a world seeded by hand) is answered for by the office, as the programme allows.
    staff = {sc.unit_id: u for u in Session.scalars(sa.select(User).where(User.role == "unit"))
             for sc in u.scopes if sc.unit_id is not None}
    office = Session.scalars(sa.select(User).where(User.username == "office")).one()
    unit_of: dict[int, int] = dict(Session.execute(sa.select(Window.id, Window.unit_id)).all())
    agency = Session.scalars(sa.select(User).where(User.username == "agency")).one()
    bad = Session.execute(
        sa.select(Feedback.id, Feedback.received_at, Feedback.text)
        .where(Feedback.source_msg_id.like("demo:%"), Feedback.rating.in_(BAD_RATINGS),
               counted_feedback(),
               Feedback.id.not_in(sa.select(TicketFeedback.feedback_id)))
        .order_by(Feedback.received_at, Feedback.id)).all()
    opened = 0
    for feedback_id, at, text in bad:
        when = at + timedelta(minutes=5)  # the job runs every five minutes
        ticket, grouped = ticket_links.open_or_group(
            feedback_id, topic=TOPIC_OF.get(text or "", "other"), now=when)
        if not grouped:
            opened += 1
            _work(rng, ticket, when, now, staff.get(unit_of[ticket.window_id], office), agency)
    ticket_clocks.mark_overdue(now=now)
    return opened


def _work(rng: random.Random, ticket: Ticket, opened: datetime, now: datetime, unit: User,
          agency: User) -> None:
    """Take ``ticket`` through the loop as far as its plan reaches by ``now``: the ``unit``'s
    staff answer, the agency calls back and verifies."""
    tid = ticket.id
    if rng.random() < 0.85:  # most citizens are called back the same day
        called = opened + timedelta(hours=rng.uniform(1, 8))
        if called <= now:
            ticket_loop.record_callback(agency, tid, called_at=called, now=called,
                                        outcome=rng.choice(("satisfied",) * 4 + ("unreachable",)))
    plan = rng.random()
    if plan < 0.08 or plan >= 0.92:
        # Left waiting (unanswered, or unverified) mostly lately: a ticket left running for
        # months takes in every later 差评 of its window; most older ones were fixed late.
        if now - opened > RECENT_STUCK and rng.random() < 0.95:
            plan = 0.85
        elif plan < 0.08:
            return  # never answered: past its deadline, the clock job marks it overdue
    steps: list[tuple[str, float]]
    if plan < 0.68:  # fixed on time
        steps = [("respond", rng.uniform(1, 10)), ("verify", rng.uniform(0.5, 2))]
    elif plan < 0.80:  # sent back once, then fixed
        steps = [("respond", rng.uniform(2, 8)), ("send_back", 1), ("respond", rng.uniform(3, 9)),
                 ("verify", rng.uniform(0.5, 2))]
    elif plan < 0.92:  # fixed after the deadline
        steps = [("respond", rng.uniform(24, 40)), ("verify", rng.uniform(1, 3))]
    else:  # answered, the agency has not verified yet
        steps = [("respond", rng.uniform(2, 10))]
    when = opened
    for step, days in steps:
        when += timedelta(days=days)
        if when > now:
            return
        if step == "respond":
            ticket_loop.respond(unit, tid, rng.choice(RESPONSES), now=when)
        elif step == "send_back":
            ticket_loop.send_back(agency, tid, "整改措施不具体，请补充整改前后对比材料", now=when)
        else:
            ticket_loop.verify(agency, tid, "已核实整改到位", now=when)
