"""Defects found walking a quarter of the staff's work through the pages (qa3), each pinned here."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa

from feedback_api.models import Publicity
from feedback_api.services import cycle as svc
from tests.cycle_helpers import force_phase, scored_recommendation


def token(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    m = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert m, f"no CSRF token on {path}"
    return m.group(1)


def _scored_candidate(db) -> int:
    """This year's cycle with one candidate accepted and scored by an expert."""
    with db():
        return scored_recommendation(svc.local_today().year)[0].year


def test_a_publicity_that_already_ended_is_refused(client, auth, db, district):
    """The form offered the plan's publicity phase (July–August); published in December it was
    over at once, and the office could award the title without the public ever seeing the list."""
    year = _scored_candidate(db)
    auth.login("office")
    path = f"/cycle/{year}/publicity"
    today = svc.local_today()
    with db():
        # Written past the service: in January this year's review phase (plan: to July) is still
        # ahead, and the office could not date a publicity before it.
        programme = svc.get_cycle(year)
        force_phase(programme, "review", today - timedelta(days=90), today - timedelta(days=61))
        force_phase(programme, "publicity", today - timedelta(days=60), today - timedelta(days=30))
    # The form no longer offers a period that is over: it starts today.
    field = re.search(r'<input[^>]*id="starts_on"[^>]*>', client.get(path).get_data(as_text=True))
    assert field and f'value="{today.isoformat()}"' in field.group(0)
    resp = client.post(path, data={
        "starts_on": (today - timedelta(days=60)).isoformat(),
        "ends_on": (today - timedelta(days=30)).isoformat(),
        "candidates": [str(s) for s in _submission_ids(db)], "notice": "请监督😀",
        "csrf_token": token(client, path)})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "flash-error" in html and "公示结束日期" in html
    assert "请监督😀" in html  # what the office typed stays
    with db() as s:
        assert s.scalars(sa.select(Publicity)).all() == []
    # Ending today is a publicity the public can still see.
    resp = client.post(path, data={
        "starts_on": (today - timedelta(days=6)).isoformat(), "ends_on": today.isoformat(),
        "candidates": [str(s) for s in _submission_ids(db)], "csrf_token": token(client, path)})
    assert resp.status_code == 302
    with db() as s:
        assert s.scalars(sa.select(Publicity)).one().ends_on == today


def _submission_ids(db) -> list[int]:
    from feedback_api.models import Submission

    with db() as s:
        return list(s.scalars(sa.select(Submission.id)))


def test_the_experts_home_is_its_review(client, auth, db, district):
    """An expert's home page was the district overview, all zeros: it sees no windows."""
    year = _scored_candidate(db)
    auth.login("expert1", "expert1-password")
    resp = client.get("/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/cycle/")
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert f"{year}年度" in page and "门诊挂号收费处" in page
    client.post("/logout", data={"csrf_token": token(client, f"/cycle/{year}")})
    auth.login("office")
    assert client.get("/").status_code == 200


def test_the_demo_has_no_feedback_from_the_future(db, district):
    """The demo seeded today's feedback at any time up to 17:30, so in the morning the desk
    showed ratings received hours from now (and the tickets opened before them)."""
    import random

    from feedback_api.db import utcnow
    from feedback_api.demo import _seed_feedback
    from feedback_api.models import Feedback, Window
    from feedback_api.services.feedback import LOCAL_TZ

    # Seeded at 08:45 in the morning, before the hall's day is over.
    morning = datetime.combine(utcnow().astimezone(LOCAL_TZ).date(), time(8, 45), tzinfo=LOCAL_TZ)
    with db() as s:
        windows = list(s.scalars(sa.select(Window)))
        _seed_feedback(random.Random(7), windows, 400, now=morning)
        latest = s.scalar(sa.select(sa.func.max(Feedback.received_at)))
    assert latest is not None
    assert latest.replace(tzinfo=latest.tzinfo or UTC) <= morning


def test_an_unreachable_wechat_citizen_is_not_said_to_have_used_another_channel(
        client, auth, db, district):
    """A WeChat feedback whose citizen cannot be written to (no openid kept) said 该评价不是
    通过微信公众号提交的 beside 渠道：微信公众号."""
    from feedback_api.models import Citizen, Feedback

    with db() as s:
        citizen = Citizen(pseudonym="p-erased")
        s.add(citizen)
        s.flush()
        w = s.scalar(sa.text("select id from windows where code = 'CD-SW-001'"))
        item = Feedback(receipt_no="PJ20261201-ABCDEF", window_id=w, citizen_id=citizen.id,
                        channel="wechat", rating=1, text="排队太久",
                        received_at=datetime(2026, 12, 1, 2, 0).astimezone(),
                        source_msg_id="t:1")
        s.add(item)
        s.flush()
        fid = item.id
    auth.login("agency")
    html = client.get(f"/feedback/{fid}").get_data(as_text=True)
    assert "不是通过微信公众号提交的" not in html
    assert "无法联系到这位群众" in html


def test_a_major_incident_opens_its_delisting_proposal_at_once(client, auth, db, titled_district):
    """The page said 重大事件将生成摘牌建议，请到“摘牌建议”页确认, and that page had none
    until the office pressed 按规则检查 or the night passed."""
    auth.login("office")
    path = "/assessment/incidents/new"
    on = svc.local_today() - timedelta(days=3)
    resp = client.post(path, follow_redirects=True, data={
        "window": "CD-RMYY-001", "occurred_on": on.isoformat(), "kind": "social",
        "severity": "major", "source": "区融媒体中心", "description": "工作人员与群众发生冲突，视频广泛传播",
        "csrf_token": token(client, path)})
    assert "重大事件已保存" in resp.get_data(as_text=True)
    html = client.get(f"/assessment/delisting?year={on.year}").get_data(as_text=True)
    assert "CD-RMYY-001" in html and "规则 4" in html and "待确认" in html


def test_the_assignment_form_says_all_experts_are_assigned_and_whom_to_ask(client, auth, db, district):
    """Its only expert already assigned, the page said 没有可分配的评审专家 and named a command
    line staff never use: it says the experts are all assigned and where an expert account is
    opened (the accounts page, 账号管理); with no expert at all, it says that."""
    from feedback_api.services import users

    with db():
        _, sub = scored_recommendation(svc.local_today().year)
        sub_id = sub.id
    auth.login("office")
    page = client.get(f"/cycle/submissions/{sub_id}").get_data(as_text=True)
    assert "已分配全部 1 位评审专家" in page and 'href="/accounts' in page and "账号管理" in page
    assert "window-watch" not in page and "没有可分配" not in page
    with db():
        users.disable_user(None, users.get_user("expert1"))
    page = client.get(f"/cycle/submissions/{sub_id}").get_data(as_text=True)
    assert "没有可用的评审专家账号" in page and 'href="/accounts' in page
    assert "window-watch" not in page
