"""Personal data: erased after its retention days (a daily job) or on a citizen's request.

The core erases what it owns: an opinion's raw text (the masked text units read stays), the
text copied into training corrections, and the citizen's pseudonym (replaced by ``erased-<id>``,
so the citizen row still holds their ratings together, anonymously). Whatever the WeChat side
keeps (openids, conversations, the outbox, evidence pictures) is erased by the ``PrivacyHooks``
that the composition root lists in ``app.extensions["ww_privacy"]``. Ratings, sentiment, topics
and review states are never touched, so every count and score stays as it was.

Services flush; the job or the CLI command commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from feedback_api.config import RETENTION_DEFAULTS
from feedback_api.db import Session, utcnow
from feedback_api.models import Citizen, Correction, Feedback, User
from feedback_api.services import audit
from feedback_api.services import feedback as feedback_service

#: The retention settings (days; 0 keeps the data).
SETTINGS = tuple(RETENTION_DEFAULTS)
#: An erased citizen's pseudonym: ``erased-<id>`` (never a hex HMAC, so never a returning citizen).
ERASED_PREFIX = "erased-"
REASON_RETENTION = "已按保存期限删除"
REASON_REQUEST = "已按群众要求删除"

Counts = dict[str, int]
#: Citizens erased per statement.
BATCH = 500


@dataclass(frozen=True)
class PrivacyHooks:
    """What another package erases of a citizen's data (each returns counts by kind)."""

    #: The raw contact data of citizens inactive too long (retention).
    erase_contacts: Callable[[list[int]], Counts]
    #: Everything kept about citizens who asked to be forgotten.
    forget_citizens: Callable[[list[int]], Counts]
    #: What is kept beside these feedback (pictures), for the reason given.
    erase_feedback: Callable[[list[int], str], Counts]
    #: The package's own retention (e.g. pictures older than their days), as of ``now``.
    apply_retention: Callable[[datetime], Counts]
    #: The kinds its retention counts (reported, as 0, even when nothing was erased).
    kinds: tuple[str, ...] = ()


def _hooks() -> list[PrivacyHooks]:
    return list(current_app.extensions.get("ww_privacy", ()))


def _days(name: str) -> int:
    return int(current_app.config.get(name, RETENTION_DEFAULTS[name]))


def _merge(counts: Counts, more: Counts) -> None:
    for key, value in more.items():
        counts[key] = counts.get(key, 0) + value


def erase_raw_opinions(before: datetime) -> int:
    """Replace the raw text of opinions received before ``before`` by their masked text."""
    result = Session.execute(
        sa.update(Feedback)
        .where(Feedback.received_at < before, Feedback.masked_text.is_not(None),
               Feedback.text.is_not(None), Feedback.text != Feedback.masked_text)
        .values(text=Feedback.masked_text)
        .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def erase_network_hashes(before: datetime) -> int:
    """Forget the network-address hash of H5 feedback received before ``before``."""
    result = Session.execute(
        sa.update(Feedback)
        .where(Feedback.received_at < before, Feedback.client_network_hash.is_not(None))
        .values(client_network_hash=None)
        .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def mask_corrections(before: datetime) -> int:
    """Replace the raw text copied into corrections made before ``before`` by the masked text."""
    masked = (sa.select(Feedback.masked_text).where(Feedback.id == Correction.feedback_id)
              .scalar_subquery())
    result = Session.execute(
        sa.update(Correction)
        .where(Correction.created_at < before, masked.is_not(None), Correction.text != masked)
        .values(text=masked)
        .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def inactive_citizens(before: datetime) -> list[int]:
    """Citizens not erased yet whose last message came before ``before``."""
    return list(Session.scalars(
        sa.select(Citizen.id)
        .where(sa.func.coalesce(Citizen.last_seen_at, Citizen.created_at) < before,
               Citizen.pseudonym.not_like(f"{ERASED_PREFIX}%"))
        .order_by(Citizen.id)))


def anonymise_citizens(citizen_ids: Iterable[int]) -> int:
    """Replace the citizens' pseudonyms: nothing derived from their openid is left."""
    ids = list(citizen_ids)
    if not ids:
        return 0
    result = Session.execute(
        sa.update(Citizen)
        .where(Citizen.id.in_(ids), Citizen.pseudonym.not_like(f"{ERASED_PREFIX}%"))
        .values(pseudonym=sa.literal(ERASED_PREFIX) + sa.cast(Citizen.id, sa.String))
        .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def apply_retention(*, now: datetime | None = None) -> Counts:
    """Erase what is past its retention days; counts by kind. Idempotent."""
    now = now or utcnow()
    counts: Counts = {"opinion_texts": 0, "correction_texts": 0, "address_hashes": 0}
    if days := _days("WW_RETAIN_OPINION_TEXT_DAYS"):
        counts["opinion_texts"] = erase_raw_opinions(now - timedelta(days=days))
    if days := _days("WW_RETAIN_CORRECTION_TEXT_DAYS"):
        counts["correction_texts"] = mask_corrections(now - timedelta(days=days))
    if days := _days("WW_RETAIN_ADDRESS_DAYS"):
        counts["address_hashes"] = erase_network_hashes(now - timedelta(days=days))
    hooks = _hooks()
    for hook in hooks:
        _merge(counts, dict.fromkeys(hook.kinds, 0))
    if days := _days("WW_RETAIN_OPENID_DAYS"):
        ids = inactive_citizens(now - timedelta(days=days))
        # In batches: the first run on a large database may find many, and SQLite limits the
        # number of bound values in one statement.
        for start in range(0, len(ids), BATCH):
            batch = ids[start:start + BATCH]
            for hook in hooks:
                _merge(counts, hook.erase_contacts(batch))
            anonymise_citizens(batch)
    for hook in hooks:
        _merge(counts, hook.apply_retention(now))
    Session.flush()
    Session.expire_all()  # the updates above bypassed the identity map
    if any(counts.values()):
        audit.record_change(None, "retention", "personal_data", now.date().isoformat(), None,
                            counts, actor_label="system")
    return counts


def forget_citizen(actor: User | None, receipt_no: str) -> Counts:
    """Erase the personal data of the citizen who holds ``receipt_no``: the text of all their
    feedback, its copies in corrections, what the WeChat side keeps, and their pseudonym. Their
    ratings stay counted, anonymously. An H5 feedback (no citizen) loses its own text. Audited;
    safe to repeat."""
    item = feedback_service.get_by_receipt((receipt_no or "").strip())
    citizen_id = item.citizen_id
    if citizen_id is not None:
        feedback_ids = list(Session.scalars(sa.select(Feedback.id).where(Feedback.citizen_id == citizen_id)))
    else:
        feedback_ids = [item.id]
    Session.execute(
        sa.update(Feedback).where(Feedback.id.in_(feedback_ids))
        .values(text=None, masked_text=None, keywords=sa.null(), client_network_hash=None)
        .execution_options(synchronize_session=False))
    Session.execute(
        sa.update(Correction).where(Correction.feedback_id.in_(feedback_ids)).values(text="")
        .execution_options(synchronize_session=False))
    counts: Counts = {"feedback": len(feedback_ids)}
    for hook in _hooks():
        _merge(counts, hook.erase_feedback(feedback_ids, REASON_REQUEST))
        if citizen_id is not None:
            _merge(counts, hook.forget_citizens([citizen_id]))
    if citizen_id is not None:
        anonymise_citizens([citizen_id])
    Session.expire_all()  # the updates above bypassed the identity map
    audit.record_change(actor, "forget", "citizen", item.receipt_no, None, counts)
    return counts


#: How the counts read in Chinese (CLI output).
COUNT_NAMES = {"opinion_texts": "条意见原文", "correction_texts": "条训练样本原文",
               "openids": "个微信 openid", "address_hashes": "个网络地址散列",
               "evidence_images": "张证据图片", "feedback": "条评价的文字"}


def describe(counts: Counts) -> str:
    return "、".join(f"{n} {COUNT_NAMES.get(k, k)}" for k, n in counts.items())


def run_retention() -> str:
    """The daily job (and ``window-watch citizens apply-retention``)."""
    return "erased: " + ", ".join(f"{k}={v}" for k, v in apply_retention().items())
