"""Publicity (公示): review results frozen into entries while the period is open, and the
objections raised against them, recorded and answered by the office."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.models import Cycle, Objection, Publicity, PublicityEntry, User
from feedback_api.models.reference import CANDIDATE, OBJECTION_OUTCOMES, WINDOW_STATUSES, label
from feedback_api.services import audit
from feedback_api.services.cycle.phases import _check_dates, local_today
from feedback_api.services.cycle.review import ReviewResult, review_results
from feedback_api.services.cycle.scopes import _require_office
from feedback_api.services.errors import Conflict, NotFound, ValidationError
from feedback_api.services.feedback import MAX_ID


def open_publicity(actor: User | None, cycle: Cycle, starts_on: date, ends_on: date,
                   submission_ids: Iterable[int] | None = None, notice: str = "", *,
                   not_before: date | None = None) -> Publicity:
    """Put review results on publicity: a snapshot of each candidate (name, unit, industry,
    mean score) that the public page shows while the period is open. A period ending before
    ``not_before`` (by default today, the district's local date) is refused: the public would
    never see it, and the title could be awarded at once. Only a record of a past year (a test,
    an import) passes an earlier ``not_before``."""
    _require_office(actor)
    _check_dates(starts_on, ends_on, "公示")
    # A second list while one is open would show the windows twice, split their objections and
    # let each be awarded twice; once the period is over, a new one may follow.
    running = running_publicity(cycle, not_before or local_today())
    if running is not None:
        began = "已于" if running.starts_on <= (not_before or local_today()) else "将于"
        raise Conflict(f"本年度公示{began} {running.starts_on} 开始（至 {running.ends_on}），"
                       "公示期结束前不能再次发布")
    if ends_on < (not_before or local_today()):
        raise ValidationError(f"公示结束日期 {ends_on} 已过：公示期须包含今天或以后的日期，"
                              "公众才能看到名单并提出异议",
                              details={"ends_on": "公示结束日期已过"})
    results = [r for r in review_results(cycle) if r.mean is not None]
    if submission_ids is not None:
        wanted = set(submission_ids)
        results = [r for r in results if r.submission.id in wanted]
        titled = [r.submission.window for r in results if r.submission.window.status != CANDIDATE]
        if titled:
            raise Conflict("以下窗口已不是创建中的候选窗口（已命名或已摘牌），不能再公示："
                           + "、".join(f"{w.name}（现为{label(WINDOW_STATUSES, w.status)}）"
                                      for w in titled))
    results = [r for r in results if r.submission.window.status == CANDIDATE]
    # A score that must not count (回避) would be frozen into the published mean.
    conflicted = [r for r in results if r.conflicts]
    if conflicted:
        raise Conflict("有须回避的评审分配尚未撤回，不能公示：" + "；".join(
            f"{r.submission.title}（{'、'.join(r.conflicts)}）" for r in conflicted)
            + "。请先在推荐表页撤回分配", code="recusal")
    if not results:
        raise ValidationError("没有已评分的候选窗口可以公示")
    publicity = Publicity(cycle_id=cycle.id, starts_on=starts_on, ends_on=ends_on,
                          notice=(notice or "").strip()[:5000])
    for rank, r in enumerate(results, 1):
        w = r.submission.window
        publicity.entries.append(PublicityEntry(
            submission_id=r.submission.id, window_id=w.id, rank=rank, window_name=w.name,
            unit_name=w.unit.name, industry=w.unit.industry, score=r.mean))
    Session.add(publicity)
    Session.flush()
    audit.record_change(actor, "publish", "publicity", publicity.id, None, {
        "year": cycle.year, "starts_on": starts_on, "ends_on": ends_on,
        "windows": [e.window.code for e in publicity.entries]})
    return publicity


def publicity_candidates(cycle: Cycle) -> list[ReviewResult]:
    """The scored candidates the office may put on publicity: a window awarded from an earlier
    list, or delisted since it was recommended, is no longer one."""
    return [r for r in review_results(cycle)
            if r.mean is not None and r.submission.window.status == CANDIDATE]


def running_publicity(cycle: Cycle, today: date | None = None) -> Publicity | None:
    """The cycle's publicity that has not ended by ``today`` (open, or yet to start), if any."""
    return Session.scalars(sa.select(Publicity).where(
        Publicity.cycle_id == cycle.id, Publicity.ends_on >= (today or local_today()))
        .order_by(Publicity.starts_on).limit(1)).first()


def open_publicities(today: date | None = None) -> list[Publicity]:
    today = today or local_today()
    return list(Session.scalars(sa.select(Publicity).where(
        Publicity.starts_on <= today, Publicity.ends_on >= today)
        .order_by(Publicity.starts_on)).all())


def publicities(cycle: Cycle) -> list[Publicity]:
    return list(Session.scalars(sa.select(Publicity).where(Publicity.cycle_id == cycle.id)
                                .order_by(Publicity.id)).all())


def get_entry(entry_id: int) -> PublicityEntry:
    entry = Session.get(PublicityEntry, entry_id) if 0 < entry_id <= MAX_ID else None
    if entry is None:
        raise NotFound("公示条目不存在")
    return entry


def get_objection(objection_id: int) -> Objection:
    objection = Session.get(Objection, objection_id) if 0 < objection_id <= MAX_ID else None
    if objection is None:
        raise NotFound("异议不存在")
    return objection


def record_objection(actor: User | None, entry: PublicityEntry, text: str, *, channel: str = "",
                     received_on: date | None = None) -> Objection:
    _require_office(actor)
    text = (text or "").strip()
    if not text:
        raise ValidationError("请填写异议内容", details={"text": "请填写异议内容"})
    if len(text) > 5000:
        raise ValidationError("异议内容不能超过 5000 字")
    today = local_today()
    received_on = received_on or today
    if received_on > today:
        raise ValidationError(f"收到日期不能晚于今天（{today}）",
                              details={"received_on": "收到日期不能晚于今天"})
    p = entry.publicity
    if not p.starts_on <= received_on <= p.ends_on:
        raise ValidationError(f"异议须在公示期内（{p.starts_on} 至 {p.ends_on}）提出")
    if entry.awarded_on is not None:
        raise Conflict("该窗口已命名")
    objection = Objection(entry=entry, text=text, channel=(channel or "").strip()[:50],
                          received_on=received_on, recorded_by=actor.id if actor else None)
    Session.add(objection)
    Session.flush()
    audit.record_change(actor, "create", "objection", objection.id, None,
                        {"window": entry.window.code, "received_on": received_on,
                         "channel": objection.channel, "text": text})
    return objection


#: What the public may write on the public page (the office's own form takes longer texts).
PUBLIC_TEXT_MAX = 2000
PUBLIC_CHANNEL = "公示页网上异议"
_PHONE = re.compile(r"\+?[0-9][0-9 -]{5,18}[0-9]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def open_entry(entry_id: int, today: date | None = None) -> PublicityEntry:
    """A publicity entry whose period is open today and that is not yet awarded (else 404 /
    409 in polite Chinese): what the public may object to."""
    today = today or local_today()
    entry = get_entry(entry_id)
    p = entry.publicity
    if not p.starts_on <= today <= p.ends_on:
        raise Conflict(f"该名单的公示期为 {p.starts_on} 至 {p.ends_on}，现在不在公示期内，"
                       "不能提出异议", code="closed")
    if entry.awarded_on is not None:
        raise Conflict("该窗口已命名，公示已结束", code="closed")
    return entry


def public_objection(entry_id: int, text: str, contact: str = "", *,
                     today: date | None = None) -> Objection:
    """An objection from a member of the public on the public page, while the period is open:
    recorded in the office's list (``from_public``) to be answered like any other. The optional
    contact (a phone number or an e-mail address) is for the office's answer only."""
    entry = open_entry(entry_id, today)
    text = (text or "").strip()
    contact = (contact or "").strip()
    errors: dict[str, str] = {}
    if not text:
        errors["text"] = "请填写异议内容"
    elif len(text) > PUBLIC_TEXT_MAX:
        errors["text"] = f"异议内容请不要超过 {PUBLIC_TEXT_MAX} 字"
    if contact and (len(contact) > 100
                    or not (_PHONE.fullmatch(contact) or _EMAIL.fullmatch(contact))):
        errors["contact"] = "联系方式请填写手机号码、电话号码或电子邮箱（也可以不填）"
    if errors:
        raise ValidationError("；".join(errors.values()), details=errors)
    received_on = today or local_today()
    objection = Objection(entry=entry, text=text, channel=PUBLIC_CHANNEL, received_on=received_on,
                          recorded_by=None, from_public=True, contact=contact)
    Session.add(objection)
    Session.flush()
    # The contact stays out of the log: the office reads it on the objection itself.
    audit.record_change(None, "create", "objection", objection.id, None,
                        {"window": entry.window.code, "received_on": received_on,
                         "channel": PUBLIC_CHANNEL, "from_public": True, "text": text,
                         "contact_given": bool(contact)})
    return objection


def answer_objection(actor: User | None, objection: Objection, outcome: str, answer: str
                     ) -> Objection:
    _require_office(actor)
    if outcome not in OBJECTION_OUTCOMES or outcome == "pending":
        raise ValidationError("请选择异议处理结论", details={"outcome": "请选择结论"})
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError("请填写答复内容", details={"answer": "请填写答复内容"})
    if objection.entry.awarded_on is not None:
        raise Conflict("该窗口已命名，异议答复不能再修改")
    before = {"outcome": objection.outcome, "answer": objection.answer}
    objection.outcome, objection.answer, objection.answered_at = outcome, answer[:5000], utcnow()
    Session.flush()
    audit.record_change(actor, "answer", "objection", objection.id, before,
                        {"outcome": outcome, "answer": objection.answer})
    return objection
