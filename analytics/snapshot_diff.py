"""What changed per window between two stored versions of a period's assessment (逐窗口变化)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from analytics.snapshots import row_from
from feedback_api.db import Session
from feedback_api.models import AssessmentSnapshot, AssessmentSnapshotRow, User
from feedback_api.services import scope


def _num(digits: int, scale: float = 1, suffix: str = "") -> Callable[[object], str]:
    def fmt(x: object) -> str:
        return "—" if x is None else f"{float(x) * scale:.{digits}f}{suffix}"  # type: ignore[arg-type]
    return fmt


def _int(x: object) -> str:
    return "—" if x is None else str(x)


#: (field of the assessment row, label, how it is shown), in the page's order.
FIGURES: tuple[tuple[str, str, Callable[[object], str]], ...] = (
    ("composite", "综合得分", _num(1)),
    ("deduction", "重大事件扣分", lambda x: "—" if x is None else f"{float(x):g}"),  # type: ignore[arg-type]
    ("rank_district", "区内排名", _int),
    ("rank_industry", "行业排名", _int),
    ("ratings", "计分评价", _int),
    ("ratings_wechat", "其中微信公众号", _int),
    ("ratings_h5", "其中网页评价", _int),
    ("smoothed_rating", "平滑满意度", _num(2)),
    ("good_rate", "好评率", _num(1, 100, "%")),
    ("bad_rate", "差评率", _num(1, 100, "%")),
    ("sentiment", "情感均值", _num(2)),
    ("inspection_score", "综合检查", _num(1)),
    ("covert_pass_rate", "暗查合格率", _num(1, 100, "%")),
    ("ticket_on_time_rate", "督办按时办理率", _num(1, 100, "%")),
    ("bad_rectified_rate", "差评整改率", _num(1, 100, "%")),
    ("bad_callback_rate", "差评回访率", _num(1, 100, "%")),
    ("bad_not_due", "差评：督办未到期", _int),
    ("bad_unticketed", "差评：未督办", _int),
    ("bad_cancelled", "差评：督办已撤销", _int),
    ("incidents", "重大事件", _int),
)


class Changes(list["WindowChange"]):
    """The windows that changed; the labels of the figures not compared because one of the
    two versions was stored before they were kept, and the number of that version (it shows
    "—" for them)."""

    not_compared: list[str]
    stored_before: list[int]


@dataclass
class WindowChange:
    window_id: int
    code: str
    name: str
    #: (label, before, after) of each figure shown differently in the two versions.
    changes: list[tuple[str, str, str]] = field(default_factory=list)


def _rows(snap: AssessmentSnapshot, user: User | None) -> dict[int, dict]:  # type: ignore[type-arg]
    query = sa.select(AssessmentSnapshotRow.window_id, AssessmentSnapshotRow.data).where(
        AssessmentSnapshotRow.snapshot_id == snap.id)
    if user is not None and user.role not in scope.GLOBAL_ROLES:
        query = query.where(AssessmentSnapshotRow.window_id.in_(scope.visible_window_ids(user)))
    return {wid: data["assessment"] for wid, data in Session.execute(query)}


def compare(old: AssessmentSnapshot, new: AssessmentSnapshot,
            user: User | None = None) -> Changes:
    """The windows whose figures (as shown, rounded) differ between ``old`` and ``new``, or
    that are in only one of them, by code. A figure one version's rows do not hold (stored
    before it was kept) is not compared: "—" against a number is not a change."""
    before, after = _rows(old, user), _rows(new, user)
    out = Changes()
    skipped: set[str] = set()
    lacking: set[int] = set()
    for wid in sorted(before.keys() | after.keys(),
                      key=lambda i: (after.get(i) or before[i])["code"]):
        a, b = before.get(wid), after.get(wid)
        ref = row_from(b or a)  # type: ignore[arg-type]
        change = WindowChange(wid, ref.code, ref.name)
        if a is None or b is None:
            change.changes.append(("参评", "否" if a is None else "是", "否" if b is None else "是"))
        else:
            for key, label, fmt in FIGURES:
                if (key in a) != (key in b):
                    skipped.add(key)
                    lacking.add(new.version if key in a else old.version)
                    continue
                x, y = fmt(a.get(key)), fmt(b.get(key))
                if x != y:
                    change.changes.append((label, x, y))
            for comp_a, comp_b in zip(a.get("components") or [], b.get("components") or [],
                                      strict=False):
                x, y = _num(1)(comp_a.get("value")), _num(1)(comp_b.get("value"))
                if x != y:
                    change.changes.append((f"分项：{comp_b.get('label')}", x, y))
        if change.changes:
            out.append(change)
    out.not_compared = [label for key, label, _fmt in FIGURES if key in skipped]
    out.stored_before = sorted(lacking)
    return out
