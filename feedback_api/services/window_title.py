"""Who may change a window's title (创建中/示范/摘牌 with its date, year and reason): the office.

The title is given by the annual cycle's award and taken by a confirmed delisting, both the
office's acts (cycle/award.py, delisting.py); the command line acts as the office. An authority
keeps the rest of its industry's ledger: it may repeat the title as stored (an export imported
back, an API client sending the whole window) but not change it, nor register a window that
holds a title. The year and the date are part of it: a later award year stops a delisting."""

from __future__ import annotations

from typing import Any

from feedback_api.models import User, Window
from feedback_api.models.reference import CANDIDATE, WINDOW_STATUSES, label
from feedback_api.services.errors import PermissionDenied

#: The fields of the title, with their labels in WINDOW_FIELDS' words.
TITLE_FIELDS: dict[str, str] = {
    "status": "状态", "status_date": "状态日期", "status_year": "命名/摘牌年度", "status_reason": "状态原因"}
#: What the page shows instead of the fields to whoever may not change them.
WHO_CHANGES_IT = "称号状态由区联席办通过授牌、摘牌办理"
#: The listing date (挂牌日期) decides which periods assess the window: the office's too, though
#: no part of the title (its history): an authority's new window is listed on the day entered.
LISTING_FIELD, LISTING_LABEL = "listed_on", "挂牌日期"
WHO_LISTS_IT = "挂牌日期决定窗口参加哪些考核期，由区联席办登记（新窗口缺省为登记当天）"
_BLANK: dict[str, Any] = {"status": CANDIDATE, "status_date": None, "status_year": None,
                          "status_reason": ""}


def may_change(actor: User | None) -> bool:
    return actor is None or actor.role == "office"


def _same(a: Any, b: Any) -> bool:
    return a == b or (not a and not b)  # an empty reason is stored as "" or None


def check(actor: User | None, window: Window | None, clean: dict[str, Any]) -> None:
    """Refuse (403) ``clean`` window data that would set ``window``'s title or listing date (a new
    window's when None) to other than it is, unless ``actor`` may change titles."""
    if may_change(actor):
        return
    _check_title(window, clean)
    listed = clean.get(LISTING_FIELD)
    if listed is not None and (window is None or listed != window.listed_on):
        code = "新窗口" if window is None else f"窗口 {window.code} "
        raise PermissionDenied(f"{code}的{LISTING_LABEL}仅区联席办可修改（请留空）：{WHO_LISTS_IT}",
                               details={LISTING_FIELD: f"{LISTING_LABEL}仅区联席办可修改"})


def _check_title(window: Window | None, clean: dict[str, Any]) -> None:
    current = _BLANK if window is None else {f: getattr(window, f) for f in TITLE_FIELDS}
    changed = [f for f in TITLE_FIELDS if f in clean and not _same(clean[f], current[f])]
    if not changed:
        return
    details = {f: f"{TITLE_FIELDS[f]}仅区联席办可修改" for f in changed}
    names = "、".join(TITLE_FIELDS[f] for f in changed)
    if window is None:
        raise PermissionDenied(f"新窗口只能登记为创建中（请将{names}留空）：{WHO_CHANGES_IT}",
                               details=details)
    if "status" in changed:
        now, to = label(WINDOW_STATUSES, window.status), label(WINDOW_STATUSES, clean["status"])
        raise PermissionDenied(f"窗口 {window.code} 现为{now}，不能改为{to}：{WHO_CHANGES_IT}",
                               details=details)
    raise PermissionDenied(f"窗口 {window.code} 的{names}随称号登记，不能修改：{WHO_CHANGES_IT}",
                           details=details)
