"""Drill: SQLite's disk full.

The database lives on a 12 MB tmpfs mounted for the test (root only; skipped with the reason
otherwise); a file fills the rest of it while citizens write through WeChat and the H5 form,
then is deleted. Checked: while full, messages are answered 系统繁忙 and the H5 form says the
same (503), nothing half-stored, no 500; /healthz reports ``storage: low_space``; every receipt
handed out before is still there (integrity check ok); after the space is freed the same
messages, resent, are stored once and /healthz is ok again, with no restart.
"""

from __future__ import annotations

import errno
import os
import re
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from admin_web.app import create_app
from feedback_api import schema
from feedback_api.db import Session, dispose_engines
from feedback_api.models import Feedback
from feedback_api.services import health, units, windows
from tests.wechat_bot.conftest import WechatTester, configure
from wechat_bot.simulator import WechatPeer

from ..wechat_bot.conftest import ACCOUNT, APPID, TOKEN
from .servers import BUSY, RECEIPT

pytestmark = pytest.mark.slow


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "small-disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a size-limited tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}): run the drill as root "
                    "on a machine that allows mounts")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder: Path) -> Path:
    """A file that takes every free byte of the disk."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (256 * 1024, 4096, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return filler


def _h5(client, rating: str) -> tuple[int, str]:
    html = client.get("/f/CD-SW-001").get_data(as_text=True)
    fields = {n: re.search(rf'name="{n}" type="hidden" value="([^"]+)"', html).group(1)
              for n in ("csrf_token", "nonce")}
    resp = client.post("/f/CD-SW-001", data={**fields, "rating": rating})
    return resp.status_code, resp.get_data(as_text=True)


def test_sqlite_disk_full_then_freed(small_disk, tmp_path, monkeypatch, capsys):
    app = create_app({"WW_ENV": "testing", "SECRET_KEY": "disk-full-drill",
                      "DATABASE_URL": f"sqlite:///{small_disk / 'ww.db'}",
                      "WW_INSTANCE_PATH": str(tmp_path / "instance"), "WW_DISK_MIN_FREE_MB": 2,
                      "SESSION_COOKIE_SECURE": False, "WW_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    try:
        schema.upgrade(app.extensions["ww_engine"])
        with app.app_context():
            units.ensure_unit(None, name="城东区税务局办税服务厅", code="CD-SW", industry="tax",
                              authority="城东区税务局")
            windows.create_window(None, {"code": "CD-SW-001", "name": "综合办税窗口", "unit": "CD-SW"})
            health.beat("scheduler")
            Session.commit()
        configure(app, monkeypatch, safe=False)
        wechat = WechatTester(app.test_client(), WechatPeer(token=TOKEN, aes_key="", appid=APPID,
                                                            account=ACCOUNT), "plain")
        citizens = [f"oDiskFull{n:019d}" for n in range(4)]
        before = []
        for openid in citizens:
            wechat.scan(openid, "CD-SW-001")
            before += RECEIPT.findall(wechat.say(openid, "窗口人员态度很好"))
        assert len(before) == 4
        health_client = app.test_client()
        assert health_client.get("/healthz").get_json()["status"] == "ok"

        filler = _fill(small_disk)
        # While full: each citizen writes twice (a new message each time), and H5 is tried.
        held = [(openid, wechat.peer.text(openid, f"第{k}条：磁盘满时写的意见"))
                for k in range(2) for openid in citizens]
        replies = [wechat.send(xml) for _openid, xml in held]
        busy = sum(1 for r in replies if r and BUSY in r)
        h5_status, h5_html = _h5(app.test_client(), "2")
        body = health_client.get("/healthz").get_json()
        assert body["components"]["storage"]["status"] == "low_space", body
        assert body["status"] == "degraded"
        assert not any(RECEIPT.search(r or "") for r in replies)  # no receipt without storage
        assert busy == len(held)  # answered 系统繁忙 (WeChat does not resend an answer)
        assert h5_status == 503 and "系统繁忙，您的评价未能保存" in h5_html, (h5_status, h5_html[-500:])

        filler.unlink()  # space freed: no restart
        after = []
        for _openid, xml in held:  # the citizens send again (the same messages)
            after += RECEIPT.findall(wechat.send(xml) or "")
        assert len(after) == len(held)
        assert _h5(app.test_client(), "2")[0] == 200
        with app.extensions["ww_engine"].connect() as conn:
            stored = set(conn.execute(sa.select(Feedback.receipt_no)).scalars())
            assert conn.execute(sa.text("PRAGMA integrity_check")).scalar_one() == "ok"
        assert set(before) | set(after) <= stored and len(stored) == 4 + len(held) + 1
        assert health_client.get("/healthz").get_json()["status"] == "ok"
        with capsys.disabled():
            print(f"\n[drill disk-full] SQLite on a 12 MB tmpfs, filled: {len(held)} WeChat "
                  f"messages answered 系统繁忙 ({busy}), H5 {h5_status}, 0 stored, /healthz "
                  f"storage low_space; freed: the {len(after)} messages resent stored once, H5 "
                  f"200, {len(before)} earlier receipts intact, integrity_check ok, /healthz ok")
    finally:
        dispose_engines(app)
