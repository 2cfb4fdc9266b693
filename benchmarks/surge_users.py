"""The people of the surge (``benchmarks/surge.py``), as locust users: citizens talking to the
WeChat callback (WeChat's retries played), and back-office staff reading pages and the API."""

# ruff: noqa: I001
from __future__ import annotations

# locust patches the standard library for gevent when imported: it comes first.
import locust  # noqa: F401
import gevent
from locust import HttpUser, task
from locust.exception import StopUser

import os
import random
import re
import time
from dataclasses import dataclass, field

OPINIONS = ["工作人员很耐心，一次就办好了", "排队太久了，等了一个多小时", "窗口人员态度冷淡，问了两遍才回答",
            "材料清单写得很清楚，点赞", "系统老是出错，跑了三趟", "环境干净，有饮水机和老花镜",
            "没有收任何额外费用，很规范", "叫号屏坏了也没人管", "建议周末多开一个窗口", "服务热情，谢谢"]
RECEIPT = re.compile(r"PJ\d{8}-[0-9A-Z]{6}")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# The demo accounts (feedback_api/demo.py) and what each of them reads during the surge.
STAFF = [
    ("office", "office-demo-2026", ["/", "/feedback", "/feedback?sort=uncertain", "/tickets", "/windows",
                                    "/assessment/", "/reports/", "/abuse"]),
    ("agency", "agency-demo-2026", ["/", "/feedback", "/feedback?review=pending", "/tickets", "/appeals"]),
    ("authority-health", "health-demo-2026", ["/", "/windows", "/assessment/inspections", "/assessment/",
                                                "/tickets"]),
    ("unit-sw", "unit-demo-2026", ["/", "/tickets/inbox", "/feedback", "/reports/"]),
]
WECHAT_TIMEOUT = 5.0


@dataclass
class Tally:
    """What the citizens saw, shared by all greenlets of the run."""

    first: list[float] = field(default_factory=list)  # reply times of first deliveries (s)
    retries: int = 0
    retry_mismatch: int = 0
    errors: list[str] = field(default_factory=list)
    receipts: set[str] = field(default_factory=set)
    sent: int = 0
    done: int = 0
    pending_retries: int = 0


def make_citizen(peer_factory, windows: list[str], tally: Tally, retry_share: float,
                 counter: list[int]) -> type[HttpUser]:
    class Citizen(HttpUser):
        """One citizen at the hall: five messages in turn, as WeChat delivers them."""

        def on_start(self) -> None:
            counter[0] += 1
            self.openid = f"surge{os.getpid()}n{counter[0]:05d}".ljust(28, "x")
            self.window = random.choice(windows)
            self.peer = peer_factory()

        def post(self, xml: str) -> tuple[float, bytes | None]:
            req = self.peer.sign(xml)
            t0 = time.perf_counter()
            try:
                resp = self.client.post(f"/wechat?{req.query_string}", data=req.body,
                                        headers={"Content-Type": "text/xml"}, name="/wechat",
                                        timeout=30)
            except Exception as exc:  # connection refused or reset: a lost message
                tally.errors.append(f"{type(exc).__name__}: {exc}")
                return time.perf_counter() - t0, None
            elapsed = time.perf_counter() - t0
            if resp.status_code != 200:
                tally.errors.append(f"HTTP {resp.status_code}")
                return elapsed, None
            return elapsed, resp.content

        def reply_text(self, body: bytes | None) -> str:
            reply = self.peer.read_reply(body) if body and body != b"success" else None
            return reply.get("Content", "") if reply else ""

        def retry(self, xml: str, first_reply: str) -> None:
            for _ in range(3):
                gevent.sleep(5)
                _elapsed, body = self.post(xml)
                tally.retries += 1
                if body is not None and self.reply_text(body) != first_reply:
                    tally.retry_mismatch += 1
            tally.pending_retries -= 1

        @task
        def visit(self) -> None:
            peer = self.peer
            messages = [peer.scan(self.openid, self.window),
                        peer.text(self.openid, str(random.randint(1, 5))),
                        peer.text(self.openid, random.choice(OPINIONS)), peer.text(self.openid, "查询"),
                        peer.text(self.openid, random.choice(OPINIONS))]
            for n, xml in enumerate(messages):
                elapsed, body = self.post(xml)
                tally.sent += 1
                tally.first.append(elapsed)
                text = self.reply_text(body)
                if n != 3:  # 查询 lists earlier receipts; the others may hand out a new one
                    tally.receipts.update(RECEIPT.findall(text))
                if random.random() < retry_share:
                    tally.pending_retries += 1
                    gevent.spawn(self.retry, xml, text)
                gevent.sleep(random.uniform(1, 4))
            tally.done += 1
            # Stay idle: the runner must not start this citizen again.
            gevent.sleep(10**6)
            raise StopUser()

    return Citizen


@dataclass
class StaffTally:
    """What the back-office users saw: page and API response times, and failures."""

    pages: list[float] = field(default_factory=list)
    api: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def make_staff(tally: StaffTally, tokens: dict[str, str], stop_flag: list[bool],
               counter: list[int]) -> type[HttpUser]:
    class Staff(HttpUser):
        """A reviewer or a unit's staff member: signs in, then reads pages and the API in turn."""

        def on_start(self) -> None:
            counter[0] += 1
            self.name, password, self.paths = STAFF[counter[0] % len(STAFF)]
            form = self.client.get("/login", name="/login").text
            token = CSRF.search(form)
            resp = self.client.post("/login", name="/login", allow_redirects=False, data={
                "username": self.name, "password": password, "csrf_token": token.group(1) if token else ""})
            if resp.status_code != 302:
                tally.errors.append(f"sign-in of {self.name}: HTTP {resp.status_code}")

        def timed(self, path: str, into: list[float], **kw: object) -> None:
            t0 = time.perf_counter()
            try:
                resp = self.client.get(path, name=path.split("?")[0], timeout=30, **kw)  # type: ignore[arg-type]
            except Exception as exc:
                tally.errors.append(f"{path}: {type(exc).__name__}")
                return
            into.append(time.perf_counter() - t0)
            if resp.status_code != 200 or "/login" in resp.url:
                tally.errors.append(f"{self.name} {path}: HTTP {resp.status_code}")

        @task
        def work(self) -> None:
            while not stop_flag[0]:
                for path in self.paths:
                    if stop_flag[0]:
                        break
                    self.timed(path, tally.pages)
                    gevent.sleep(random.uniform(0.5, 1.5))
                auth = {"Authorization": f"Bearer {tokens[self.name]}"}
                self.timed("/api/v1/feedback?per_page=50", tally.api, headers=auth)
                self.timed("/api/v1/tickets", tally.api, headers=auth)
            gevent.sleep(10**6)
            raise StopUser()

    return Staff
