"""The agency's desk actions on the feedback list and page: bulk review, one ticket for several
feedback, merging duplicates. The list itself is admin_web.feedback's index."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, abort, flash, redirect, request, session, url_for
from flask_login import login_required

from admin_web.common import actor, commit_or_flash
from admin_web.forms import EmptyForm
from feedback_api.models.reference import TOPICS
from feedback_api.services import desk as desk_service
from feedback_api.services import feedback as feedback_service
from feedback_api.services import ticket_open
from feedback_api.services.errors import NotFound

bp = Blueprint("desk", __name__)

#: The most ticked feedback a refused action hands back to the list (a page holds fewer).
MAX_SELECTED = 200

#: The list's filters a bulk action returns to (anything else in the field is dropped).
_FILTER_NAMES = ("window", "unit", "industry", "topic", "sentiment", "rating", "channel",
                 "review_state", "date_from", "date_to", "q", "duplicates", "sort", "page")


#: Where a refused bulk review leaves what was typed for the list's next rendering (the session,
#: not the address: a reason may name a citizen's words and stays out of logs and history).
TYPED_KEY = "desk_typed"


def list_query(raw: str) -> str:
    """The desk's own filters of a list query string (anything else dropped), to return to."""
    kept = [(k, v) for k, v in parse_qsl(raw[:2000]) if k in _FILTER_NAMES and v]
    return urlencode(kept)


def _back_to_list(selected: list[int] | None = None, *, confirm: str = "") -> Any:
    """The list with the filters it was sent from; after a refused action also the feedback that
    were ticked (``selected``), the verdict, reason and topic chosen, and (``confirm``) the
    window and topic of a running ticket the agency may confirm opening beside, so the agency
    corrects the action instead of ticking and typing again."""
    kept = list_query(request.form.get("filters") or "")
    if selected:
        kept += ("&" if kept else "") + urlencode(
            {"selected": ",".join(str(i) for i in selected[:MAX_SELECTED])})
        valid, topic = request.form.get("valid"), request.form.get("topic")
        session[TYPED_KEY] = {"reason": (request.form.get("reason") or "")[:500],
                              "valid": valid if valid in {"1", "0"} else "",
                              "topic": topic if topic in TOPICS else "", "confirm": confirm}
    return redirect(url_for("feedback.index") + ("?" + kept if kept else ""))


def _desk_user() -> Any:
    user = actor()
    if user.role not in desk_service.DESK_ROLES:
        abort(403)
    if not EmptyForm().validate_on_submit():  # the CSRF token
        abort(400)
    return user


def _selected() -> list[int]:
    ids = [int(v) for v in request.form.getlist("ids") if v.isdigit() and len(v) <= 10]
    if not ids:
        flash("请先勾选评价", "error")
    return ids


@bp.post("/feedback/desk/review")
@login_required
def bulk_review() -> Any:
    user = _desk_user()
    ids = _selected()
    valid = request.form.get("valid")
    if ids and valid not in {"1", "0"}:
        flash("请选择有效或无效", "error")
        return _back_to_list(ids)
    if ids:
        done = commit_or_flash(lambda: desk_service.bulk_review(
            user, ids, valid=valid == "1", reason=request.form.get("reason")))
        if not done:
            return _back_to_list(ids)
        result = done.value
        word = "有效" if valid == "1" else "无效"
        flash(f"已将 {len(result.done)} 条评价标记为{word}", "success")
        for feedback_id, why in result.failed.items():
            flash(f"评价 {feedback_id} 未处理：{why}", "error")
        return _back_to_list(list(result.failed))
    return _back_to_list()


@bp.post("/feedback/desk/ticket")
@login_required
def open_ticket() -> Any:
    user = _desk_user()
    ids = _selected()
    topic = request.form.get("topic") or None
    if ids and topic is not None and topic not in TOPICS:
        flash("未知的问题类别", "error")
    elif ids:
        confirm: list[str] = []

        def _open() -> Any:
            # A running ticket on the window and topic is named; 仍然新建 opens, for the window
            # and topic it was named for only (the selection may have changed since).
            def opened(check: bool) -> Any:
                return desk_service.open_ticket_for(user, ids, topic=topic, check_duplicates=check,
                                                    problem=request.form.get("problem"))
            try:
                return opened(True)
            except ticket_open.DuplicateTicket as exc:
                key = f"{exc.tickets[0].window.code}|{exc.tickets[0].topic}"
                if request.form.get("force") == key:
                    return opened(False)  # the check refused before writing anything
                confirm.append(key)
                raise

        done = commit_or_flash(_open)
        if done:
            flash(f"已开督办单 {done.value.number}，关联 {len(ids)} 条评价", "success")
            return redirect(url_for("tickets.ticket_detail", ticket_id=done.value.id))
        return _back_to_list(ids, confirm=confirm[0] if confirm else "")
    return _back_to_list(ids)


@bp.post("/feedback/<int:feedback_id>/merge")
@login_required
def merge(feedback_id: int) -> Any:
    user = _desk_user()
    receipt = (request.form.get("original") or "").strip().upper()
    try:
        original = feedback_service.get_by_receipt(receipt) if receipt else None
    except NotFound:
        original = None
    if original is None:
        flash(f"受理编号 {receipt or '（空）'} 不存在", "error")
    elif commit_or_flash(lambda: desk_service.merge_duplicate(
            user, feedback_id, original.id, request.form.get("reason"))):
        flash(f"已合并为 {original.receipt_no} 的重复评价，其评分不再计入统计", "success")
    return redirect(url_for("feedback.detail", feedback_id=feedback_id) + "#duplicates")


@bp.post("/feedback/<int:feedback_id>/unmerge")
@login_required
def unmerge(feedback_id: int) -> Any:
    user = _desk_user()
    if commit_or_flash(lambda: desk_service.unmerge_duplicate(
            user, feedback_id, request.form.get("reason"))):
        flash("已撤销合并", "success")
    return redirect(url_for("feedback.detail", feedback_id=feedback_id) + "#duplicates")
