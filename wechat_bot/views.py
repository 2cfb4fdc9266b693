"""The WeChat callback: GET verifies the URL, POST receives messages and events.

One message is one transaction of the ORM session: its log row, its citizen's changes and its
feedback are committed together before the reply leaves, or none of them is.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy.exc import IntegrityError, OperationalError

from feedback_api.db import Session, begin_write, own_transaction, utcnow
from feedback_api.extensions import csrf
from feedback_api.services import citizens
from feedback_api.services.citizens import CitizenRef
from wechat_bot import config, contacts, conversation, inbound, limits, protocol, replay, replies
from wechat_bot.config import WechatSettings, settings
from wechat_bot.dispatch import Context
from wechat_bot.handlers import dispatcher, is_interactive
from wechat_bot.protocol import InboundMessage, ProtocolError

log = logging.getLogger(__name__)

PATH = "/wechat"

bp = Blueprint("wechat_bot", __name__)
bp.record_once(lambda state: config.init_app(state.app))


@bp.route(PATH, methods=["GET", "POST"])
@csrf.exempt
@own_transaction
def callback() -> Response:
    """WeChat's server calls this; it must answer within 5 seconds (it retries three times)."""
    cfg = settings()
    if not cfg.token:
        abort(404)
    try:
        if request.method == "GET":
            return _verify_url(cfg)
        if request.content_length is not None and request.content_length > protocol.MAX_BODY:
            raise ProtocolError(413, "body too large")
        raw = request.stream.read(protocol.MAX_BODY + 1)
        message = _read_message(cfg, request.args, raw)
        guard = None if cfg.safe_mode else Guard(
            replay.query_key(request.args.get("nonce", ""), request.args.get("signature", "")),
            replay.body_hash(raw))
        reply = handle_message(message, cfg, guard)
    except ProtocolError as exc:
        log.info("wechat: refused %s %s: %s", request.method, request.path, exc.reason)
        abort(exc.status)
    body, mimetype = _reply(message, reply, cfg)
    return Response(body, mimetype=mimetype)


@dataclass(frozen=True)
class Guard:
    """A plain-mode request's signed query and body, for the replay guard (``replay``)."""

    key: str
    body_sha256: str


def _verify_url(cfg: WechatSettings) -> Response:
    args = request.args
    protocol.check_timestamp(args.get("timestamp", ""))
    protocol.check_signature(cfg.token, args.get("signature", ""), args.get("timestamp", ""),
                             args.get("nonce", ""))
    return Response(args.get("echostr", ""), mimetype="text/plain")


def _read_message(cfg: WechatSettings, args: Mapping[str, str], body: bytes) -> InboundMessage:
    timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
    protocol.check_timestamp(timestamp)
    if len(body) > protocol.MAX_BODY:
        raise ProtocolError(413, "body too large")
    encrypted = args.get("encrypt_type", "raw").lower() == "aes"
    if encrypted != cfg.safe_mode:
        # Safe mode is all or nothing: a plain message is refused when a key is configured.
        raise ProtocolError(403, "encryption mode mismatch")
    # WeChat signs the query in both modes; safe mode adds msg_signature over the ciphertext.
    protocol.check_signature(cfg.token, args.get("signature", ""), timestamp, nonce)
    if not encrypted:
        return protocol.to_message(protocol.parse_xml(body))
    envelope = protocol.parse_xml(body)
    inner = protocol.decrypt(envelope, token=cfg.token, aes_key=cfg.aes_key, appid=cfg.appid,
                             msg_signature=args.get("msg_signature", ""), timestamp=timestamp,
                             nonce=nonce)
    return protocol.to_message(protocol.parse_xml(inner.encode("utf-8")))


def handle_message(message: InboundMessage, cfg: WechatSettings, guard: Guard | None = None) -> str:
    """Store and answer one message in one transaction; a retry gets the stored answer.

    With a ``guard`` (plain mode), a signed query already used with another body raises
    ``ProtocolError`` (403) and nothing is stored."""
    key = inbound.dedup_key(
        msg_id=None if message.is_event else message.msg_id,
        from_user=message.from_user, create_time=message.create_time, event=message.event,
        event_key=message.event_key if message.is_event else "",
    )
    # WeChat gives up on a reply after 5 seconds: the message waits for locks only so long, and
    # the citizen is told 系统繁忙 rather than nothing.
    deadline = time.monotonic() + current_app.config["WW_MESSAGE_WAIT_MS"] / 1000
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            begin_write(int((deadline - time.monotonic()) * 1000))
            # The message's reads need none of the ORM's pending changes (a rotated pseudonym):
            # they are written by the flush of a service that needs an id, or at commit.
            with Session.no_autoflush:
                reply = _answer(message, cfg, key, guard)
            Session.commit()
            return reply
        except IntegrityError as exc:
            # Another delivery of this message (WeChat's retry) committed first, or another
            # first message of this citizen, or (plain mode) another body under this signed
            # query: nothing of ours is stored. A retry gets the stored reply, a reused query
            # 403; otherwise run again on what the other stored.
            Session.rollback()
            stored = _stored_reply(key, guard)
            if stored is not None:
                return stored
            if attempt < _ATTEMPTS:
                log.info("wechat: %s met a concurrent write (%s); running it again", key,
                         str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__)
                continue
            log.exception("wechat: handling %s failed", key)
        except OperationalError as exc:
            # The database was busy past the deadline (or unreachable): nothing is stored.
            Session.rollback()
            log.warning("wechat: %s not handled, database busy or unreachable: %s", key,
                        str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__)
        except Exception:
            # Nothing is stored, so WeChat's retry gets a fresh try; the citizen sees a short note.
            Session.rollback()
            log.exception("wechat: handling %s failed", key)
        break
    return replies.BUSY


#: Runs of one message when its commit meets a concurrent write (see ``handle_message``).
_ATTEMPTS = 3


def _stored_reply(key: str, guard: Guard | None) -> str | None:
    try:
        if guard is not None and replay.is_replayed(guard.key, guard.body_sha256):
            raise ProtocolError(403, "signed query replayed with another body")
        return inbound.stored_reply(key)
    finally:
        Session.rollback()  # end the read: the next attempt begins as a write


def _answer(message: InboundMessage, cfg: WechatSettings, key: str, guard: Guard | None) -> str:
    """The reply; the message's log row (unique key) is inserted last, so a delivery of a message
    already answered fails there and gets the stored reply (see ``handle_message``)."""
    now = utcnow()
    logged = {} if guard is None else {"query_key": guard.key, "body_sha256": guard.body_sha256}
    ctx = Context(message=message, settings=cfg, now=now)
    if is_interactive(message.msg_type, message.event):
        found = contacts.find_sender(message.from_user)
        if not _within_limits(message, cfg, now, found):
            inbound.record(key, msg_type=message.msg_type, event=message.event,
                           reply=limits.TOO_MANY, citizen_id=None, **logged)
            return limits.TOO_MANY
        sender = contacts.admit(message.from_user, found, now=now)
        ctx.citizen, ctx.conversation = CitizenRef(sender.citizen_id), sender.conversation
        conversation.note_inbound(sender.conversation)
    reply = dispatcher.handle(ctx)
    inbound.record(key, msg_type=message.msg_type, event=message.event, reply=reply,
                   citizen_id=ctx.citizen_id, **logged)
    return reply


def _within_limits(message: InboundMessage, cfg: WechatSettings, now: datetime,
                   found: contacts.Sender | None) -> bool:
    """The per-citizen and per-window limits (``limits``). A message (not an event) is about the
    window its sender has chosen; a scan only chooses one, so it counts for the citizen only."""
    window_id = None
    if not message.is_event:
        ttl = cfg.session_minutes
        # Read with the sender when found; else by the openid (a rotated pseudonym's contact).
        window_id = (contacts.chosen_window_of(found, ttl_minutes=ttl, now=now) if found
                     else contacts.chosen_window_id(message.from_user, ttl_minutes=ttl, now=now))
    return limits.allow(citizens.pseudonym_for(message.from_user), window_id)


def _reply(message: InboundMessage, reply: str, cfg: WechatSettings) -> tuple[str, str]:
    """The reply's body and mimetype: ``success`` for nothing to say, else the reply XML."""
    if not reply:
        return "success", "text/plain"
    xml = protocol.render_text_reply(to_user=message.from_user,
                                     from_user=cfg.account or message.to_user, content=reply)
    if cfg.safe_mode:
        xml = protocol.encrypt_reply(xml, token=cfg.token, aes_key=cfg.aes_key, appid=cfg.appid)
    return xml, "application/xml"
