"""The platform as in production for the drills: ``gunicorn -w N`` serving the composition root
on loopback against the test database, and a WeChat citizen talking to it as WeChat does
(signed requests; the same request resent when no answer came, WeChat's retry)."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from feedback_api.db import Session
from feedback_api.models import Citizen as CitizenRow
from tests.loopback import free_port
from tests.wechat_bot.conftest import ACCOUNT, APPID, SECRET, TEMPLATE_ID, TOKEN
from wechat_bot import outbox
from wechat_bot.contacts import get_or_create_citizen
from wechat_bot.models import CitizenContact
from wechat_bot.simulator import WechatPeer

ROOT = Path(__file__).resolve().parents[2]
RECEIPT = re.compile(r"PJ\d{8}-[0-9A-Z]{6}")
BUSY = "系统繁忙"
SEND_PATHS = {"/cgi-bin/message/custom/send", "/cgi-bin/message/template/send"}


def queue_due(app, fake, queued_at: datetime, *, answers: int, alerts: int) -> list[str]:
    """Answers to citizens (customer-service messages) and alerts to bound staff (template
    messages) queued at ``queued_at``, the citizens known to the fake API; their texts."""
    texts = []
    with app.app_context():
        for n in range(answers + alerts):
            openid = f"oFaultOutbox{n:015d}"
            citizen = get_or_create_citizen(openid)
            Session.get(CitizenContact, citizen.id).last_message_at = queued_at
            fake.user_messaged(openid, at=queued_at.timestamp())
            kind = "answer" if n < answers else "alert"
            text = f"第{n}条：您反映的问题已整改" if kind == "answer" else f"第{n}条：新差评待处理"
            msg = outbox.queue_message(Session.get(CitizenRow, citizen.id), text, kind=kind,
                                       now=queued_at)
            msg.created_at = queued_at
            texts.append(text)
        Session.commit()
    return texts


def delivered_texts(fake) -> Counter:
    """How many times WeChat received each message (customer-service or template)."""
    sent = [m["content"] for m in fake.state.custom_sent]
    sent += [m["data"]["keyword2"]["value"] for m in fake.state.template_sent]
    return Counter(sent)


def server_env(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WW_")}
    env.update({
        "WW_ENV": "development", "SECRET_KEY": "drill-secret-key", "DATABASE_URL": database_url,
        "WW_INSTANCE_PATH": str(instance), "WW_WECHAT_TOKEN": TOKEN, "WW_WECHAT_APPID": APPID,
        "WW_WECHAT_SECRET": SECRET, "WW_WECHAT_ACCOUNT": ACCOUNT,
        "WW_WECHAT_TEMPLATE_ID": TEMPLATE_ID,
        # The drills send many messages to few windows from few citizens in seconds.
        "WW_CITIZEN_RATE_LIMIT": "100000", "WW_WINDOW_RATE_LIMIT": "100000",
        **extra,
    })
    return env


@dataclass
class Gunicorn:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        """The worker processes' ids (the master's children)."""
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def busy_workers(self) -> list[int]:
        """Workers holding a client's connection right now (inside a request)."""
        established = set()
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].split(":")[1], 16)
            if local_port == self.port and fields[3] == "01":  # ESTABLISHED
                established.add(fields[9])
        busy = []
        for pid in self.workers():
            try:
                links = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
            except OSError:
                continue
            if any(link.startswith("socket:[") and link[8:-1] in established for link in links):
                busy.append(pid)
        return busy

    def get(self, path: str, timeout: float = 10) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def start_gunicorn(env: dict[str, str], log: Path, *, workers: int = 3,
                   timeout: float = 60) -> Gunicorn:
    port = free_port()
    out = log.open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--timeout", "60", "--graceful-timeout", "5", "admin_web.app:create_app()"],
        env=env, cwd=ROOT, stdout=out, stderr=out)
    out.close()
    server = Gunicorn(proc, port, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text()[-3000:]}")
        try:
            if server.get("/healthz", timeout=2)[0] in (200, 503) and \
                    len(server.workers()) == workers:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"gunicorn not ready: {log.read_text()[-3000:]}")


@dataclass
class Citizen:
    """One WeChat citizen; ``send`` delivers a message as WeChat does, resending the same
    signed request (same MsgId) when the connection fails or answers 5xx, up to 3 times."""

    port: int
    openid: str
    peer: WechatPeer = field(default_factory=lambda: WechatPeer(
        token=TOKEN, aes_key="", appid=APPID, account=ACCOUNT))
    retries: int = 0
    errors: list[str] = field(default_factory=list)

    def post_once(self, query: str, body: bytes, timeout: float = 15) -> str | None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("POST", f"/wechat?{query}", body=body,
                         headers={"Content-Type": "text/xml"})
            resp = conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            self.errors.append(type(exc).__name__)
            return None
        finally:
            conn.close()
        if resp.status >= 500:
            self.errors.append(f"HTTP {resp.status}")
            return None
        reply = self.peer.read_reply(data) if data and data != b"success" else None
        return reply.get("Content", "") if reply else ""

    def send(self, xml: str, *, pause: float = 0.5) -> str | None:
        req = self.peer.sign(xml)
        body = req.body if isinstance(req.body, bytes) else req.body.encode()
        for attempt in range(4):
            if attempt:
                self.retries += 1
                time.sleep(pause)
            reply = self.post_once(req.query_string, body)
            if reply is not None:
                return reply
        return None

    def scan(self, code: str) -> str | None:
        return self.send(self.peer.scan(self.openid, code))

    def say(self, text: str) -> str | None:
        return self.send(self.peer.text(self.openid, text))
