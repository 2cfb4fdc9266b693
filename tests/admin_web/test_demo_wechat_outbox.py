"""The demo answers its WeChat citizens honestly: it has no WeChat account (no WW_WECHAT_APPID /
WW_WECHAT_SECRET), so the outbox keeps an answer queued (never tried, never given up) and the
feedback page and the answer's notice say why, instead of "sent through WeChat"."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from feedback_api.models import Feedback
from wechat_bot.jobs import deliver_outbox
from wechat_bot.models import OutboundMessage

NOT_CONFIGURED = "微信公众号接口尚未配置"


@pytest.fixture()
def complaint(runner, db) -> int:
    result = runner.invoke(args=["demo", "--feedback-per-window", "5"])
    assert result.exit_code == 0, result.output
    with db() as s:
        return s.scalars(sa.select(Feedback.id).where(Feedback.channel == "wechat",
                                                      Feedback.rating <= 2).limit(1)).one()


def _answer(auth, feedback_id: int) -> str:
    auth.login("office", "office-demo-2026")
    page = f"/feedback/{feedback_id}"
    resp = auth.client.post(f"{page}/answer", data={"text": "已核实并整改，感谢监督",
                                                    "csrf_token": auth.csrf_token(page)},
                            follow_redirects=True)
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def _messages_table(html: str) -> str:
    return html.split("<h3>发给群众的微信消息</h3>", 1)[1].split("</table>", 1)[0]


def test_an_answer_waits_queued_and_the_page_says_why(app, db, auth, complaint):
    html = _answer(auth, complaint)
    assert "将通过微信发送给群众" not in html
    assert re.search(f"答复已保存.*{NOT_CONFIGURED}", html)
    with app.app_context():
        # However often the job runs: never tried, never given up.
        for _ in range(10):
            assert deliver_outbox() == "not configured"
    with db() as s:
        ((status, attempts),) = s.execute(sa.select(OutboundMessage.status,
                                                    OutboundMessage.attempts)).all()
    assert (status, attempts) == ("pending", 0)
    table = _messages_table(auth.client.get(f"/feedback/{complaint}").get_data(as_text=True))
    assert "待发送" in table and "发送失败" not in table
    assert NOT_CONFIGURED in table and "WW_WECHAT_APPID" in table  # the office is told what to set
    page = f"/feedback/{complaint}"
    html = auth.client.post(f"{page}/rerate", data={"csrf_token": auth.csrf_token(page)},
                            follow_redirects=True).get_data(as_text=True)
    assert "已通过微信请群众进行整改评价" not in html
    assert re.search(f"已请群众进行整改评价.*{NOT_CONFIGURED}", html)


def test_with_wechat_configured_the_page_says_nothing_of_it(app, db, auth, complaint,
                                                            monkeypatch):
    monkeypatch.setitem(app.config, "WW_WECHAT_APPID", "wx0123456789abcdef")
    monkeypatch.setitem(app.config, "WW_WECHAT_SECRET", "s" * 32)
    html = _answer(auth, complaint)
    assert "将通过微信发送给群众" in html and NOT_CONFIGURED not in html
    assert NOT_CONFIGURED not in _messages_table(html)
