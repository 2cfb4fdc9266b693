"""The H5 rating page ``/f/<window code>`` for citizens outside WeChat (and for demos).

Submissions are limited per client IP (``WW_H5_RATE_LIMIT`` per 10 minutes) by counters in the
database, so every gunicorn worker shares them (``feedback_api.services.ratelimit``). Behind a
reverse proxy, set ``WW_TRUSTED_PROXIES`` (the composition root then mounts werkzeug's ProxyFix)
so ``request.remote_addr`` is the citizen's address, not the proxy's.

A browser is a pseudonymous citizen: a long-lived cookie holds a random id signed with the
app's secret; the core sees only its keyed hash (``citizens.pseudonym_for_h5``), so one rating
per citizen, window and day counts on H5 as on WeChat. Clearing cookies makes a new citizen:
the per-IP limit bounds that.
"""

from __future__ import annotations

import logging
import re
import uuid

from flask import Blueprint, Response, abort, current_app, make_response, render_template, request
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.exc import IntegrityError, OperationalError
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from feedback_api.db import Session
from feedback_api.models import Window
from feedback_api.models.reference import DELISTED, RATINGS
from feedback_api.services import citizens, ratelimit
from feedback_api.services import windows as window_service
from feedback_api.services.errors import NotFound
from feedback_api.services.feedback import MAX_TEXT, record_feedback
from wechat_bot import config, limits
from wechat_bot.config import settings

log = logging.getLogger(__name__)
#: The form's answer while the database cannot write (disk full, server restarting).
BUSY = "系统繁忙，您的评价未能保存，请稍后再次提交。"

bp = Blueprint("wechat_h5", __name__, url_prefix="/f", template_folder="templates",
               static_folder="static", static_url_path="/static")
bp.record_once(lambda state: config.init_app(state.app))

WINDOW_SECONDS = 600
_NONCE_RE = re.compile(r"^[0-9a-f]{32}$")

#: The browser's citizen cookie: a signed random id, kept two years, sent only to /f.
CITIZEN_COOKIE = "ww_h5_citizen"
CITIZEN_COOKIE_DAYS = 730
_COOKIE_SALT = "window-watch.h5-citizen"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_COOKIE_SALT)  # type: ignore[arg-type]


def browser_id_of(cookie: str | None) -> str | None:
    """The random id in a citizen cookie; None for a missing, forged or damaged one."""
    if not cookie:
        return None
    try:
        value = _serializer().loads(cookie)
    except BadSignature:
        return None
    return value if isinstance(value, str) and _NONCE_RE.match(value) else None


def _browser_id() -> tuple[str, bool]:
    """This browser's id, and whether it is new (its cookie must be set)."""
    known = browser_id_of(request.cookies.get(CITIZEN_COOKIE))
    return (known, False) if known else (uuid.uuid4().hex, True)


def _with_cookie(body: str, status: int, browser_id: str, new: bool) -> Response:
    resp = make_response(body, status)
    if new:
        resp.set_cookie(CITIZEN_COOKIE, _serializer().dumps(browser_id),
                        max_age=CITIZEN_COOKIE_DAYS * 24 * 3600, path=bp.url_prefix or "/f",
                        httponly=True, samesite="Lax",
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return resp


class FeedbackForm(FlaskForm):
    class Meta:  # WTForms' own messages (a choice that is not one) in the citizen's language
        locales = ("zh",)

    rating = RadioField("评分", choices=[SelectChoice(str(n), RATINGS[n]) for n in (5, 4, 3, 2, 1)],
                        validators=[Optional()])
    opinion = TextAreaField("意见建议", validators=[Optional(), Length(max=MAX_TEXT)])
    nonce = HiddenField()

    def validate_nonce(self, field: HiddenField) -> None:
        if not _NONCE_RE.match(field.data or ""):
            raise ValidationError("页面已过期，请刷新后重试")

    def validate(self, extra_validators: object = None) -> bool:  # type: ignore[override]
        ok = super().validate(extra_validators)  # type: ignore[arg-type]
        if ok and not self.rating.data and not (self.opinion.data or "").strip():
            self.opinion.errors = [*self.opinion.errors, "请选择评分或填写意见建议"]
            return False
        return ok


def _window_or_404(code: str) -> Window:
    try:
        return window_service.get_window(None, code)
    except NotFound:
        abort(404)


@bp.route("/<code>", methods=["GET", "POST"])
def rate(code: str) -> Response | tuple[str, int]:
    """Show the rating form; on a valid POST record an ``h5`` feedback and show its receipt.

    While the database cannot read or write (its disk full, its server restarting) the citizen
    is told so (503) with their form kept: nothing was stored, and sending the same form again
    later stores it once (its nonce)."""
    window = None
    try:
        window = _window_or_404(code)
        if window.status == DELISTED:
            return render_template("wechat_bot/h5_closed.html", window=window), 410
        browser_id, new_browser = _browser_id()
        body, status = _rate(window, browser_id)
    except OperationalError as exc:
        Session.rollback()
        log.warning("h5: %s not handled, database unavailable: %s", code,
                    str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__)
        if window is None:
            abort(503)
        return render_template("wechat_bot/h5_form.html", window=window, form=FeedbackForm(),
                               error=BUSY), 503
    return _with_cookie(body, status, browser_id, new_browser)


def _rate(window: Window, browser_id: str) -> tuple[str, int]:
    form = FeedbackForm()
    if request.method == "POST":
        allowed = ratelimit.hit("h5", request.remote_addr or "-",
                                limit=settings().h5_rate_limit, window=WINDOW_SECONDS)
        Session.commit()  # the attempt counts, whatever the form holds
        if not allowed:
            return render_template("wechat_bot/h5_form.html", window=window, form=form,
                                   error="提交过于频繁，请稍后再试"), 429
        if form.validate_on_submit():
            pseudonym = citizens.pseudonym_for_h5(browser_id)
            for attempt in (1, 2):
                try:
                    if not limits.allow(pseudonym, window.id):
                        return render_template("wechat_bot/h5_form.html", window=window,
                                               form=form, error=limits.TOO_MANY_H5), 429
                    citizen = citizens.find_or_create_citizen(pseudonym)
                    recorded = record_feedback(
                        window, citizen=citizen, channel="h5",
                        rating=int(form.rating.data) if form.rating.data else None,
                        text=form.opinion.data, source_msg_id=f"h5:{form.nonce.data}",
                        # request.remote_addr is the citizen's behind WW_TRUSTED_PROXIES
                        # (ProxyFix); only its keyed hash is kept, for the abuse findings.
                        client_network_hash=citizens.network_hash_for(request.remote_addr),
                    )
                    Session.commit()
                    break
                except IntegrityError:
                    # The same form sent twice at once (or a new browser's first two forms,
                    # both creating its citizen), and the other commit won: run again, which
                    # finds what the other stored.
                    Session.rollback()
                    if attempt == 2:
                        raise
            return render_template("wechat_bot/h5_done.html", window=window,
                                   item=recorded.feedback), 200
        if form.rating.errors:
            form.rating.errors = ["请选择有效的评分"]
        if form.nonce.errors:
            form.nonce.data = uuid.uuid4().hex
        status = 400
    else:
        form.nonce.data = uuid.uuid4().hex
        status = 200
    return render_template("wechat_bot/h5_form.html", window=window, form=form,
                           error=None), status
