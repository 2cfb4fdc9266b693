"""The conversation: scan a window, rate it, leave an opinion or evidence, ask for progress."""

from __future__ import annotations

import re
import unicodedata

from feedback_api.models.reference import DELISTED
from feedback_api.models.windows import WINDOW_CODE_RE
from feedback_api.services.feedback import record_feedback
from feedback_api.services.window_cards import WindowCard, window_card
from wechat_bot import conversation, inbound, replies, staff
from wechat_bot.dispatch import Context, Dispatcher

dispatcher = Dispatcher()

#: Menu keys (CLICK events) the account's menu may use.
MENU_QUERY = {"QUERY", "MY_FEEDBACK"}
QUERY_WORDS = {"查询", "查询进度", "进度", "我的评价", "查看进度"}
HELP_WORDS = {"帮助", "help", "?", "？", "h", "评价"}

_RATING_WORDS = {
    "非常满意": 5, "满意": 4, "基本满意": 3, "不满意": 2, "非常不满意": 1,
    "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
    "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5,
    "1": 1, "2": 2, "3": 3, "4": 4, "5": 5,
}
_TRIM = "。．.！!，,~～ 　\t\r\n"
_SUFFIX = re.compile(r"(分|星|颗星)$")
#: A bare number that is no rating (0, 6, 10, 4.5): the citizen meant to rate, not to write.
_OTHER_NUMBER = re.compile(r"[-+]?\d{1,3}(\.\d+)?")


def normalise(text: str) -> str:
    """Full-width to half-width, trimmed of spaces and closing punctuation (voice adds 。)."""
    return unicodedata.normalize("NFKC", text).strip(_TRIM)


def _blank(word: str) -> bool:
    """Empty once trimmed, or only invisible characters (zero-width spaces, BOM, controls)."""
    return all(unicodedata.category(c) in ("Cf", "Cc", "Zs", "Zl", "Zp") for c in word)


def parse_rating(text: str) -> int | None:
    """1–5 from a digit, a Chinese numeral or a satisfaction word; None for anything else."""
    t = normalise(text)
    if t in _RATING_WORDS:
        return _RATING_WORDS[t]
    t = _SUFFIX.sub("", t)
    return _RATING_WORDS.get(t) if t and len(t) <= 2 else None


def _find_window(code: str) -> WindowCard | None:
    for candidate in dict.fromkeys((code, code.upper())):
        window = window_card(code=candidate)
        if window is not None:
            return window
    return None


def select_window(ctx: Context, code: str) -> str:
    window = _find_window(code) if WINDOW_CODE_RE.match(code) else None
    if window is None:
        return replies.unknown_window(code)
    if window.status == DELISTED:
        return replies.delisted_window(window)
    assert ctx.conversation is not None
    conversation.choose_window(ctx.conversation, window, now=ctx.now)
    return replies.greet(window, ctx.settings.session_minutes)


def query(ctx: Context) -> str:
    assert ctx.citizen_id is not None
    items = conversation.recent_feedback(ctx.citizen_id, limit=5)
    return replies.feedback_list(items)


@dispatcher.event("subscribe")
def on_subscribe(ctx: Context) -> str:
    key = ctx.message.event_key
    if (code := staff.bind_code(key)) is not None:  # a staff member binding their account
        return staff.on_bind_scan(ctx, code)
    if key.startswith("qrscene_") and len(key) > len("qrscene_"):
        return select_window(ctx, key[len("qrscene_"):])
    return replies.WELCOME


@dispatcher.event("scan")
def on_scan(ctx: Context) -> str:
    if not ctx.message.event_key:
        return replies.CHOOSE_WINDOW
    if (code := staff.bind_code(ctx.message.event_key)) is not None:
        return staff.on_bind_scan(ctx, code)
    return select_window(ctx, ctx.message.event_key)


@dispatcher.event("click")
def on_click(ctx: Context) -> str:
    if ctx.message.event_key.upper() in MENU_QUERY:
        return query(ctx)
    return _help(ctx)


def _help(ctx: Context) -> str:
    assert ctx.citizen_id is not None
    assert ctx.conversation is not None
    window = conversation.current_window(ctx.conversation,
                                         ttl_minutes=ctx.settings.session_minutes, now=ctx.now)
    if window is None:
        return replies.CHOOSE_WINDOW
    return replies.greet(window, ctx.settings.session_minutes)


@dispatcher.message("text")
def on_text(ctx: Context) -> str:
    return handle_text(ctx, ctx.message.content)


@dispatcher.message("voice")
def on_voice(ctx: Context) -> str:
    text = ctx.message.recognition.strip()
    if not text:
        return replies.VOICE_NOT_RECOGNISED
    return handle_text(ctx, text)


def handle_text(ctx: Context, text: str) -> str:
    assert ctx.citizen_id is not None
    word = normalise(text)
    if _blank(word):  # nothing to record, so say again what to send
        return _help(ctx)
    if word in QUERY_WORDS:
        return query(ctx)
    if word.lower() in HELP_WORDS:
        return _help(ctx)
    assert ctx.conversation is not None
    window = conversation.current_window(ctx.conversation,
                                         ttl_minutes=ctx.settings.session_minutes, now=ctx.now)
    rating = parse_rating(word)
    # A window code selects that window, even mid-conversation (codes never read as opinions).
    looks_like_code = bool(WINDOW_CODE_RE.match(word)) and any(c.isdigit() for c in word)
    # Mid-conversation an unknown code-like word is an opinion (a phone number), unless it is
    # shaped like a window code (letters, digits and a hyphen): then a mistyped one.
    code_shaped = "-" in word and any(c.isalpha() for c in word)
    if rating is None and looks_like_code and (window is None or code_shaped
                                               or _find_window(word)):
        return select_window(ctx, word)
    if window is None:
        return replies.CHOOSE_WINDOW
    if window.status == DELISTED:
        return replies.delisted_window(window)
    if rating is None and _OTHER_NUMBER.fullmatch(_SUFFIX.sub("", word)):
        return replies.RATING_OUT_OF_RANGE
    item = record_feedback(window, citizen=ctx.citizen, channel="wechat", rating=rating,
                           text=None if rating is not None else text,
                           source_msg_id=ctx.source_msg_id, received_at=ctx.now).feedback
    conversation.note_feedback(ctx.conversation, item.receipt_no)
    if rating is not None:
        return replies.rating_recorded(window, item)
    kept = len(item.text or "")  # an opinion is stored up to a limit: say what was left out
    return replies.opinion_recorded(window, item, kept=kept, left_out=len(text.strip()) - kept)


@dispatcher.message("image")
def on_image(ctx: Context) -> str:
    assert ctx.conversation is not None
    item = conversation.latest_feedback(ctx.conversation)
    if item is None:
        return replies.NO_FEEDBACK_FOR_IMAGE
    inbound.attach_evidence(item.id, media_id=ctx.message.media_id,
                                   pic_url=ctx.message.pic_url, source_msg_id=ctx.source_msg_id)
    return replies.evidence_recorded(item)


@dispatcher.message("location", "link", "video", "shortvideo", "file", "music")
def on_unsupported(ctx: Context) -> str:
    return replies.UNSUPPORTED


#: Events and types that open WeChat's 48-hour window and need the citizen; others get no row.
INTERACTIVE_EVENTS = {"subscribe", "scan", "click"}
INTERACTIVE_TYPES = {"text", "voice", "image", "location", "link", "video", "shortvideo", "file"}


def is_interactive(msg_type: str, event: str) -> bool:
    return event in INTERACTIVE_EVENTS if msg_type == "event" else msg_type in INTERACTIVE_TYPES
