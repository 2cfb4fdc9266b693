"""The WeChat callback: GET verifies the URL, POST receives messages and events.

A signed message takes a fast path in front of Flask (``FastCallback``); the Flask view below
answers everything else, and answers in full whatever the fast path hands back to it.
"""

from __future__ import annotations

import fcntl
import io
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any
from urllib.parse import parse_qsl

from flask import Blueprint, Flask, Response, abort, current_app, request

from feedback_api import fastsql
from feedback_api.app import SECURITY_HEADERS
from feedback_api.db import get_engine, utcnow
from feedback_api.extensions import csrf
from feedback_api.services import conversation, wechat_inbound
from wechat_bot import config, protocol, replies
from wechat_bot.config import WechatSettings, settings
from wechat_bot.dispatch import Context
from wechat_bot.handlers import dispatcher, is_interactive
from wechat_bot.protocol import InboundMessage, ProtocolError

log = logging.getLogger(__name__)

PATH = "/wechat"

bp = Blueprint("wechat_bot", __name__)


@bp.record_once
def _setup(state: Any) -> None:
    config.init_app(state.app)
    state.app.wsgi_app = FastCallback(state.app, state.app.wsgi_app)


@bp.route(PATH, methods=["GET", "POST"])
@csrf.exempt
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
        message = _read_message(cfg, request.args, request.stream.read(protocol.MAX_BODY + 1))
    except ProtocolError as exc:
        log.info("wechat: refused %s %s: %s", request.method, request.path, exc.reason)
        abort(exc.status)
    body, mimetype = _reply(message, handle_message(message, cfg), cfg)
    return Response(body, mimetype=mimetype)


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class FastCallback:
    """POST /wechat without Flask's per-request machinery, in front of the Flask app.

    Measured in process on SQLite, a message cost 1.15-1.25 ms of CPU through Flask and
    0.74-0.79 ms here: Flask's request context, hooks, routing and response object were about
    a third of it, and that is what held the webhook below its throughput target.

    Only a request the callback accepts is answered here: one with a known length within the
    limit, no NUL, a valid signature and a readable message. Anything else (URL verification,
    a refused request, an unexpected error) goes on to the Flask view with its body restored,
    and that answers it as before: the refusal and its log line, the Chinese error page, never
    a 500. Handing on after a message was stored is safe, since the view then finds the stored
    reply (see ``handle_message``).
    """

    def __init__(self, app: Flask, wsgi_app: WsgiApp) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.wsgi_app(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return self.wsgi_app(environ, start_response)
        if not 0 <= length <= protocol.MAX_BODY:
            return self.wsgi_app(environ, start_response)
        body = environ["wsgi.input"].read(length)
        answer = None
        if len(body) == length:
            with self.app.app_context():
                answer = self._answer(environ.get("QUERY_STRING", ""), body)
        if answer is None:
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            return self.wsgi_app(environ, start_response)
        data, mimetype = answer
        start_response("200 OK", [("Content-Type", f"{mimetype}; charset=utf-8"),
                                  ("Content-Length", str(len(data))), *SECURITY_HEADERS])
        return [data]

    @staticmethod
    def _answer(query: str, body: bytes) -> tuple[bytes, str] | None:
        if "%00" in query or "\x00" in query:
            return None  # the app refuses NUL everywhere, with its own message
        try:
            cfg = settings()
            if not cfg.token:
                return None
            args: dict[str, str] = {}
            for name, value in parse_qsl(query, keep_blank_values=True):
                args.setdefault(name, value)  # the first value, as request.args.get gives
            message = _read_message(cfg, args, body)
            text, mimetype = _reply(message, handle_message(message, cfg), cfg)
            return text.encode("utf-8"), mimetype
        except ProtocolError:
            return None
        except Exception:
            log.exception("wechat: fast path failed; the Flask view answers")
            return None


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


class _SqliteWriterLock:
    """Queue SQLite writers in the kernel (flock) rather than in SQLite's busy handler.

    SQLite admits one writer; a waiting connection polls with sleeps of 1, 2, 5, 10 … ms, far
    longer than one of our transactions holds the lock, so gunicorn workers idled. flock wakes
    the next worker as soon as the lock is free. PostgreSQL needs none of this.
    """

    def __init__(self, path: str) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self._threads = threading.Lock()  # flock does not exclude threads of one process

    def __enter__(self) -> None:
        self._threads.acquire()
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._threads.release()


_writer_locks: dict[str, _SqliteWriterLock] = {}


def _writer_lock() -> AbstractContextManager[None]:
    engine = get_engine()
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return nullcontext()
    path = engine.url.database + ".ww-writer.lock"
    lock = _writer_locks.get(path)
    if lock is None:
        lock = _writer_locks.setdefault(path, _SqliteWriterLock(path))
    return lock


def handle_message(message: InboundMessage, cfg: WechatSettings) -> str:
    """Store and answer one message in one transaction; a retry gets the stored answer."""
    key = wechat_inbound.dedup_key(
        msg_id=None if message.is_event else message.msg_id,
        from_user=message.from_user, create_time=message.create_time, event=message.event,
        event_key=message.event_key if message.is_event else "",
    )
    engine = get_engine()
    dbapi = engine.dialect.loaded_dbapi
    conflict = dbapi.IntegrityError
    # WeChat gives up on a reply after 5 seconds: the message waits for locks only so long, and
    # the citizen is told 系统繁忙 rather than nothing (on PostgreSQL see db.make_uow_engine).
    deadline = time.monotonic() + current_app.config["WW_MESSAGE_WAIT_MS"] / 1000
    sqlite = engine.dialect.name == "sqlite"
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            # The unit is the webhook's own, outside the ORM session (see fastsql). On SQLite
            # it takes the write lock at its start (BEGIN IMMEDIATE), once this host's writer
            # lock is ours: a read first would pin a snapshot that SQLite refuses to turn into a
            # write after another process (the office, a job) has committed meanwhile.
            with _writer_lock():
                busy_ms = int((deadline - time.monotonic()) * 1000) if sqlite else None
                with fastsql.unit_of_work(immediate=True, busy_ms=busy_ms) as uow:
                    return _answer(message, cfg, key, uow)
        except conflict as exc:
            # Another delivery of this message (WeChat's retry), or another first message of
            # this citizen, committed first; nothing of ours is stored. Run again on what it
            # stored: a retry then gets its reply.
            if attempt < _ATTEMPTS:
                log.info("wechat: %s met a concurrent write (%s); running it again", key,
                         str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
                continue
            log.exception("wechat: handling %s failed", key)
        except dbapi.OperationalError as exc:
            # The database was busy past the deadline (or unreachable): nothing is stored.
            log.warning("wechat: %s not handled, database busy or unreachable: %s", key,
                        str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        except Exception:
            # Nothing is stored, so WeChat's retry gets a fresh try; the citizen sees a short note.
            log.exception("wechat: handling %s failed", key)
        break
    return replies.BUSY


#: Runs of one message when its commit meets a concurrent write (see ``handle_message``).
_ATTEMPTS = 3


def _answer(message: InboundMessage, cfg: WechatSettings, key: str,
            uow: fastsql.UnitOfWork) -> str:
    interactive = is_interactive(message.msg_type, message.event)
    now = utcnow()
    opened = wechat_inbound.open_message(
        key, msg_type=message.msg_type, event=message.event,
        openid=message.from_user if interactive else None, now=now)
    claim = opened.claim
    if not claim.new:
        uow.rollback()
        return claim.reply or ""
    ctx = Context(message=message, settings=cfg, now=now, citizen_id=opened.citizen_id,
                  conversation=opened.conversation)
    if ctx.conversation is not None:
        conversation.note_inbound(ctx.conversation)
    reply = dispatcher.handle(ctx)
    if ctx.conversation is not None:
        conversation.save(ctx.conversation)
    wechat_inbound.record_reply(claim, reply, citizen_id=ctx.citizen_id)
    uow.commit()
    return reply


def _reply(message: InboundMessage, reply: str, cfg: WechatSettings) -> tuple[str, str]:
    """The reply's body and mimetype: ``success`` for nothing to say, else the reply XML."""
    if not reply:
        return "success", "text/plain"
    xml = protocol.render_text_reply(to_user=message.from_user,
                                     from_user=cfg.account or message.to_user, content=reply)
    if cfg.safe_mode:
        xml = protocol.encrypt_reply(xml, token=cfg.token, aes_key=cfg.aes_key, appid=cfg.appid)
    return xml, "application/xml"
