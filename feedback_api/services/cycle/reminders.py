"""Reminders before a phase's deadline to everyone who still owes something, recorded once
(``cycle_reminders``) and delivered once through the staff alert channels: e-mail to the unit's,
the industry authority's or the expert's alert contacts, WeChat template messages to their staff
(or the expert) who bound their WeChat account (``alert_channels``). A failed send is retried by
the channel."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import (
    Cycle,
    CycleReminder,
    ExpertAssignment,
    StaffAlert,
    Submission,
    Unit,
    User,
    UserScope,
    Window,
)
from feedback_api.models.reference import CYCLE_PHASES, DEMONSTRATION, SUBMISSION_KINDS, label
from feedback_api.services import alerts
from feedback_api.services.cycle.phases import local_today

log = logging.getLogger(__name__)


#: Days before a deadline on which the reminder job writes a reminder.
REMIND_DAYS = (7, 3, 1)


def _due_targets(cycle: Cycle, phase: str) -> dict[str, str]:
    """Who still owes something for ``phase``: target -> what is missing (in Chinese)."""
    done_states = ("submitted", "accepted")

    def done(kind: str) -> sa.Select[Any]:
        return sa.select(Submission).where(Submission.cycle_id == cycle.id,
                                           Submission.kind == kind,
                                           Submission.state.in_(done_states))

    targets: dict[str, str] = {}
    if phase in {"recommendation", "publicity"}:
        industries = set(Session.scalars(
            sa.select(UserScope.industry).join(User, User.id == UserScope.user_id)
            .where(User.role == "authority", User.active.is_(True),
                   UserScope.industry.is_not(None))).all())
        for industry in sorted(industries):
            missing = []
            if phase == "recommendation":
                for kind in ("creation_plan", "recommendation"):
                    if Session.scalar(done(kind).where(Submission.industry == industry)
                                      .with_only_columns(Submission.id).limit(1)) is None:
                        missing.append(label(SUBMISSION_KINDS, kind))
            else:
                if Session.scalar(done("summary").where(
                        Submission.industry == industry, Submission.window_id.is_(None))
                        .with_only_columns(Submission.id).limit(1)) is None:
                    missing.append("行业工作总结")
            if missing:
                targets[f"industry:{industry}"] = "、".join(missing)
    elif phase == "management_rules":
        done_windows = set(Session.scalars(done("management_rules")
                                           .with_only_columns(Submission.window_id)).all())
        rows = Session.execute(
            sa.select(Unit.code, Window.id, Window.name).join(Window.unit)
            .where(Window.status == DEMONSTRATION, Window.status_year < cycle.year)
            .order_by(Unit.code, Window.code)).all()
        for unit_code, window_id, name in rows:
            if window_id not in done_windows:
                key = f"unit:{unit_code}"
                targets[key] = (targets[key] + "、" if key in targets else "常态管理办法：") + name
    elif phase == "review":
        rows = Session.execute(
            sa.select(User.username, sa.func.count()).join(
                ExpertAssignment, ExpertAssignment.expert_id == User.id)
            .join(Submission, Submission.id == ExpertAssignment.submission_id)
            .where(Submission.cycle_id == cycle.id, ExpertAssignment.total.is_(None),
                   ExpertAssignment.recused_at.is_(None), User.active.is_(True))
            .group_by(User.username)).all()
        for username, n in rows:
            targets[f"expert:{username}"] = f"{n} 个候选窗口待评分"
    return targets


def remind(today: date | None = None, days: Iterable[int] = REMIND_DAYS) -> list[CycleReminder]:
    """Write a reminder for everyone who still owes something before a phase's deadline.

    Idempotent: for each deadline the job picks the nearest threshold (7, 3, 1 days before by
    default) and writes one reminder per target and threshold, however often it runs; each is
    then queued once for delivery (``deliver_reminders``)."""
    today = today or local_today()
    thresholds = sorted(set(days))
    made: list[CycleReminder] = []
    for cycle in Session.scalars(sa.select(Cycle).where(
            Cycle.year.in_([today.year, today.year - 1]))).all():
        for phase in cycle.phases:
            left = (phase.ends_on - today).days
            if left < 0:
                continue
            step = next((t for t in thresholds if t >= left), None)
            if step is None:
                continue
            for target, missing in _due_targets(cycle, phase.kind).items():
                exists = Session.scalar(sa.select(CycleReminder.id).where(
                    CycleReminder.cycle_id == cycle.id, CycleReminder.phase == phase.kind,
                    CycleReminder.target == target, CycleReminder.days_before == step))
                if exists is not None:
                    continue
                message = (f"【{cycle.year}年度{label(CYCLE_PHASES, phase.kind)}】"
                           f"{phase.ends_on.isoformat()} 截止（还有 {left} 天），尚未提交：{missing}")
                reminder = CycleReminder(cycle_id=cycle.id, phase=phase.kind, target=target,
                                         days_before=step, due_on=phase.ends_on, message=message)
                Session.add(reminder)
                Session.flush()
                log.info("cycle reminder %s: %s", target, message)
                made.append(reminder)
    deliver_reminders(today)
    return made


#: The alert key of a reminder: each is queued once.
ALERT_KEY = "cycle-reminder:"


def deliver_reminders(today: date | None = None) -> int:
    """Queue every reminder not yet delivered whose deadline has not passed as a staff alert
    (idempotent by the alert's key): to a unit, an industry authority or an expert."""
    today = today or local_today()
    key = sa.literal(ALERT_KEY, sa.String).concat(sa.cast(CycleReminder.id, sa.String))
    rows = Session.execute(
        sa.select(CycleReminder, Cycle.year).join(Cycle, Cycle.id == CycleReminder.cycle_id)
        .where(CycleReminder.due_on >= today,
               key.not_in(sa.select(StaffAlert.dedup_key)))
        .order_by(CycleReminder.id)).all()
    queued = 0
    for reminder, year in rows:
        kind, _, code = reminder.target.partition(":")
        target: dict[str, Any]
        if kind == "unit":
            unit_id = Session.scalar(sa.select(Unit.id).where(Unit.code == code))
            if unit_id is None:
                continue
            target = {"unit_id": unit_id}
        elif kind == "industry":
            target = {"industry": code}
        elif kind == "expert":
            user_id = Session.scalar(sa.select(User.id).where(User.username == code,
                                                              User.role == "expert"))
            if user_id is None:
                continue
            target = {"user_id": user_id}
        else:
            continue
        path = f"/cycle/{year}/scoring" if kind == "expert" else f"/cycle/{year}"
        alert = alerts.queue_alert(
            kind="cycle_reminder", key=f"{ALERT_KEY}{reminder.id}",
            subject=f"【截止提醒】{year}年度{label(CYCLE_PHASES, reminder.phase)} "
                    f"{reminder.due_on:%Y-%m-%d} 截止",
            body=reminder.message + ("\n请在截止日期前登录平台评分。" if kind == "expert"
                                     else "\n请在截止日期前登录平台报送。"), path=path,
            **target)
        queued += alert is not None
    return queued


def reminders(cycle: Cycle) -> list[CycleReminder]:
    return list(Session.scalars(sa.select(CycleReminder).where(CycleReminder.cycle_id == cycle.id)
                                .order_by(CycleReminder.id.desc()).limit(200)).all())
