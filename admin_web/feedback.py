"""Citizen feedback: the list, one feedback with its review, answers, re-rating and evidence."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, session, url_for
from flask_login import login_required

from admin_web.common import actor, commit_or_flash, found_or_404, paginate
from admin_web.desk import TYPED_KEY, list_query
from admin_web.forms import AnswerForm, EmptyForm, ReviewForm
from feedback_api.models import Feedback, User
from feedback_api.models.reference import (
    CHANNELS,
    INDUSTRIES,
    OUTBOX_KINDS,
    OUTBOX_STATES,
    RATINGS,
    REVIEW_STATES,
    TOPICS,
)
from feedback_api.services import answers as answers_service
from feedback_api.services import desk as desk_service
from feedback_api.services import evidence as evidence_service
from feedback_api.services import feedback as feedback_service
from feedback_api.services import feedback_list, scope
from feedback_api.services import review as review_service
from wechat_bot.config import settings as wechat_settings

bp = Blueprint("feedback", __name__)

#: Said wherever a message to a citizen is queued while no WeChat account is configured (the
#: demo's case): the outbox keeps it queued, untried, until the account is set.
NOT_CONFIGURED = "微信公众号接口尚未配置，消息暂存待发，配置后自动发出"


def wechat_ready() -> bool:
    """Whether WeChat messages go out now (else they wait: NOT_CONFIGURED)."""
    return wechat_settings().can_call_api


def _date_arg(name: str) -> date | None:
    raw = request.args.get(name) or ""
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        flash(f"日期格式应为 YYYY-MM-DD：{raw}", "error")
        return None


def _choice(name: str, vocabulary: dict[Any, str], *, cast: Any = str) -> Any:
    """A filter from a fixed vocabulary; anything else is no filter (a stale link still lists)."""
    raw = request.args.get(name) or ""
    try:
        value = cast(raw) if raw else None
    except ValueError:
        return None
    return value if value in vocabulary else None


def desk_filters() -> dict[str, Any]:
    """The desk's filters from the query string, as ``feedback_list.feedback_query`` takes them."""
    duplicates = request.args.get("duplicates")
    date_from, date_to = _date_arg("date_from"), _date_arg("date_to")
    if date_from and date_to and date_from > date_to:
        flash(f"起始日期 {date_from.isoformat()} 晚于截止日期 {date_to.isoformat()}，请更正", "error")
    return {
        "window": (request.args.get("window") or "").strip() or None,
        "unit": (request.args.get("unit") or "").strip() or None,
        "industry": _choice("industry", INDUSTRIES),
        "topic": _choice("topic", TOPICS),
        "sentiment": _choice("sentiment", feedback_list.SENTIMENT_BANDS),
        "rating": _choice("rating", RATINGS, cast=int),
        "channel": _choice("channel", CHANNELS),
        "review_state": _choice("review_state", REVIEW_STATES),
        "date_from": date_from,
        "date_to": date_to,
        "q": (request.args.get("q") or "").strip()[:feedback_list.MAX_KEYWORD] or None,
        "duplicates": {"1": True, "0": False}.get(duplicates or ""),
        "sort": _choice("sort", feedback_list.SORTS),
    }


def _selected_arg() -> set[int]:
    """``?selected=1,2``: the feedback a refused desk action had ticked, ticked again."""
    raw = (request.args.get("selected") or "")[:2200]
    return {int(v) for v in raw.split(",") if v.isdigit() and len(v) <= 10}


@bp.get("/feedback")
@login_required
def index() -> str:
    """The desk: new feedback first, with filters; the agency and the office act on a selection."""
    user = actor()
    filters = desk_filters()
    page = paginate(partial(feedback_list.list_feedback, user), **filters)
    return render_template("feedback/list.html", page=page, filters=filters,
                           visible_text=feedback_service.visible_text,
                           SENTIMENT_BANDS=feedback_list.SENTIMENT_BANDS,
                           SORTS=feedback_list.SORTS,
                           INDUSTRIES=INDUSTRIES, selected_ids=_selected_arg(),
                           typed=session.pop(TYPED_KEY, None) or {},
                           # Each feedback's link carries the list's place, to return to.
                           back=list_query(request.query_string.decode("utf-8", "replace"))
                           or "page=1",
                           desk_form=EmptyForm() if desk_service.DESK_ROLES & {user.role} else None)


def _feedback_or_404(feedback_id: int) -> Feedback:
    return found_or_404(lambda: feedback_service.get_feedback(actor(), feedback_id))


@bp.route("/feedback/<int:feedback_id>", methods=["GET", "POST"])
@login_required
def detail(feedback_id: int) -> Any:
    user = actor()
    item = _feedback_or_404(feedback_id)
    if request.method == "GET":
        return _render_detail(item, user)
    if user.role not in review_service.REVIEWER_ROLES:
        abort(403)
    form = ReviewForm()
    if form.validate_on_submit():
        data = form.to_data()
        if not data:  # the service would name the API's fields (valid, topics, sentiment)
            flash("请至少选择有效性、问题类别或情感更正之一", "error")
        elif commit_or_flash(lambda: review_service.review_feedback(user, feedback_id, data)):
            flash(f"{item.receipt_no} 审核已保存，更正将用于改进自动分析", "success")
            back = _back()
            # Opened from the desk's list: back to the list where the reviewer left it.
            return redirect(url_for("feedback.index") + "?" + back if back
                            else url_for("feedback.detail", feedback_id=feedback_id))
    return _render_detail(item, user, form=form)


def _back() -> str:
    """The desk list's place (``?back=``, its filters, sort and page) this page was opened from."""
    return list_query(request.args.get("back") or "")


def _review_form(item: Feedback, user: User) -> ReviewForm | None:
    """The review form for reviewers, showing the current topics."""
    if user.role not in review_service.REVIEWER_ROLES:
        return None
    form = ReviewForm(formdata=None)
    form.topics.data = item.reviewed_topics or [
        t["topic"] for t in item.topics or [] if isinstance(t, dict)]
    return form


def _render_detail(item: Feedback, user: User, *, form: ReviewForm | None = None,
                   answer_form: AnswerForm | None = None) -> str:
    """The feedback page; ``form`` and ``answer_form`` when a POST of theirs needs its errors
    shown."""
    if form is None:
        form = _review_form(item, user)
    if answer_form is None and answers_service.can_answer(user):
        answer_form = AnswerForm(formdata=None)
    # Pictures may show the citizen or their papers: only roles that read unmasked opinions see
    # them; others learn that evidence exists.
    return render_template("feedback/detail.html", item=item, form=form,
                           text=feedback_service.visible_text(item, user),
                           model_band=feedback_list.band_label(item.sentiment),
                           evidence=evidence_service.of_feedback(item.id),
                           sees_evidence=scope.sees_raw_opinions(user),
                           answers=answers_service.answers_of(item.id),
                           outbound=answers_service.messages_of(item.id),
                           OUTBOX_KINDS=OUTBOX_KINDS, OUTBOX_STATES=OUTBOX_STATES,
                           reachable=answers_service.reachable(item),
                           wechat_ready=wechat_ready(), NOT_CONFIGURED=NOT_CONFIGURED,
                           answer_form=answer_form, back=_back(),
                           rerate_form=(EmptyForm() if answers_service.can_request_rerating(user)
                                        else None),
                           **_desk_panel(item, user))


def _desk_panel(item: Feedback, user: User) -> dict[str, Any]:
    """Duplicates (shown on both pages of a merge) and, for the desk's roles, the citizen's other
    feedback: linked by their pseudonym, which the page never prints."""
    original = (feedback_service.get_feedback(user, item.duplicate_of_id)
                if item.duplicate_of_id is not None else None)
    others, others_total = desk_service.other_feedback(user, item)
    return {"duplicate_of": original, "duplicates": desk_service.duplicates_of(item.id),
            "others": others, "others_total": others_total,
            "sees_others": desk_service.sees_other_feedback(user),
            "desk_form": EmptyForm() if user.role in desk_service.DESK_ROLES else None}


@bp.post("/feedback/<int:feedback_id>/answer")
@login_required
def answer(feedback_id: int) -> Any:
    user = actor()
    item = _feedback_or_404(feedback_id)
    if not answers_service.can_answer(user):
        abort(403)
    form = AnswerForm()
    if form.validate_on_submit():
        done = commit_or_flash(
            lambda: answers_service.answer_feedback(user, feedback_id, form.text.data), form=form)
        if done:
            flash(("答复已保存，将通过微信发送给群众" if wechat_ready()
                   else f"答复已保存；{NOT_CONFIGURED}") if done.value.message is not None
                  else "答复已保存（无法联系到这位群众，未能推送）" if item.channel == "wechat"
                  else "答复已保存（该评价不是通过微信公众号提交的，无法推送给群众）", "success")
            return redirect(url_for("feedback.detail", feedback_id=feedback_id))
    return _render_detail(item, user, answer_form=form)


@bp.post("/feedback/<int:feedback_id>/rerate")
@login_required
def rerate(feedback_id: int) -> Any:
    user = actor()
    _feedback_or_404(feedback_id)
    if not answers_service.can_request_rerating(user):
        abort(403)
    # CSRF is checked before any view (CSRFProtect); the button carries nothing else.
    if commit_or_flash(lambda: answers_service.request_rerating(user, feedback_id)):
        flash("已通过微信请群众进行整改评价" if wechat_ready()
              else f"已请群众进行整改评价；{NOT_CONFIGURED}", "success")
    return redirect(url_for("feedback.detail", feedback_id=feedback_id))


@bp.get("/feedback/<int:feedback_id>/evidence/<int:evidence_id>")
@login_required
def evidence(feedback_id: int, evidence_id: int) -> Any:
    """A saved evidence picture, for the roles that may see it."""
    _feedback_or_404(feedback_id)
    found = evidence_service.file_of(feedback_id, evidence_id)
    if found is None or not scope.sees_raw_opinions(actor()):
        abort(404)
    path, content_type = found
    response = send_file(path, mimetype=content_type, max_age=3600, conditional=True)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
