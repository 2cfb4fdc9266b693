"""Durability: every receipt number (受理编号) a citizen was answered with survives a crash of
the PostgreSQL server right after the answers left (``stop -m immediate``, then recovery).

The test crashes a real cluster, so it runs only when told which one: ``WW_TEST_PG_CLUSTER``
(``"<version> <name>"``, as ``pg_ctlcluster`` takes them), the cluster of ``DATABASE_URL``.
"""

from __future__ import annotations

import os
import re
import subprocess
import time

import pytest
import sqlalchemy as sa

from feedback_api.db import make_engine
from tests.wechat_bot.conftest import WechatTester, configure
from wechat_bot.simulator import WechatPeer

from .conftest import ACCOUNT, APPID, TOKEN

CLUSTER = os.environ.get("WW_TEST_PG_CLUSTER", "").split()
RECEIPT = re.compile(r"PJ\d{8}-[0-9A-Z]{6}")


def _ctl(action: str, *args: str) -> None:
    subprocess.run(["pg_ctlcluster", *CLUSTER, action, *args], check=True, timeout=120)


def _wait_until_up(url: str) -> None:
    engine = make_engine(url)
    try:
        for _ in range(120):
            try:
                with engine.connect() as conn:
                    conn.execute(sa.text("SELECT 1"))
                return
            except sa.exc.OperationalError:
                time.sleep(0.5)
        raise AssertionError("PostgreSQL did not come back")
    finally:
        engine.dispose()


@pytest.mark.skipif(len(CLUSTER) != 2, reason="set WW_TEST_PG_CLUSTER='<version> <name>' to "
                                               "crash that PostgreSQL cluster")
def test_answered_receipt_numbers_survive_a_server_crash(app, district, database_url,
                                                         monkeypatch):
    if app.extensions["ww_engine"].dialect.name != "postgresql":
        pytest.skip("a PostgreSQL server crash")
    configure(app, monkeypatch, safe=False)
    wechat = WechatTester(app.test_client(), WechatPeer(token=TOKEN, aes_key="", appid=APPID,
                                                        account=ACCOUNT), "plain")
    citizens = [f"oCrash{n:020d}" for n in range(8)]
    for openid in citizens:
        wechat.scan(openid, "CD-SW-001")
    answered = []
    for n in range(60):  # a burst: each reply leaves once its transaction committed
        reply = wechat.say(citizens[n % len(citizens)], f"第{n}条意见：窗口排队太久")
        answered += RECEIPT.findall(reply)
    assert len(answered) == 60
    _ctl("stop", "-m", "immediate")  # no checkpoint, no flush: recovery replays the WAL
    _ctl("start")
    _wait_until_up(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            found = set(conn.execute(sa.text(
                "SELECT receipt_no FROM feedback_items WHERE receipt_no = ANY(:nos)"),
                {"nos": answered}).scalars())
    finally:
        engine.dispose()
    assert found == set(answered)
    app.extensions["ww_engine"].dispose()  # the pooled connections died with the server
