"""Per-citizen and per-window rate limits on WeChat messages and H5 submissions (issue 16,
"Abuse"): counted in the database for every worker; over the limit a polite reply, and nothing
stored beyond the inbound log's row."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback_api.models import Citizen, Feedback, RateLimitHit
from tests.wechat_bot.test_h5 import _rate
from wechat_bot import limits
from wechat_bot.models import WechatConversation, WechatInboundMessage


def count(db, model) -> int:
    with db() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_citizen_over_their_limit_is_answered_politely_and_nothing_is_stored(
        app, wechat, district, db, monkeypatch):
    monkeypatch.setitem(app.config, "WW_CITIZEN_RATE_LIMIT", 3)
    me, other = "oLimit000000000000000000001", "oLimit000000000000000000002"
    wechat.scan(me, "CD-SW-001")
    assert wechat.say(me, "2") != limits.TOO_MANY
    assert wechat.say(me, "窗口人员态度一般") != limits.TOO_MANY
    before = (count(db, Feedback), count(db, WechatInboundMessage))
    with db() as s:
        conv = s.scalars(sa.select(WechatConversation)).one()
        chosen_at, receipt = conv.window_chosen_at, conv.latest_receipt_no
    assert wechat.say(me, "1") == limits.TOO_MANY
    assert wechat.scan(me, "CD-SW-002") == limits.TOO_MANY
    assert (count(db, Feedback), count(db, WechatInboundMessage)) == (before[0], before[1] + 2)
    with db() as s:
        conv = s.scalars(sa.select(WechatConversation)).one()
        assert (conv.window_chosen_at, conv.latest_receipt_no) == (chosen_at, receipt)
        assert conv.window.code == "CD-SW-001"  # the refused scan chose nothing
        refused = s.scalars(sa.select(WechatInboundMessage).order_by(WechatInboundMessage.id)
                            .offset(before[1])).all()
        assert {(r.citizen_id, r.reply) for r in refused} == {(None, limits.TOO_MANY)}
    wechat.scan(other, "CD-SW-001")  # another citizen is not limited
    assert wechat.say(other, "5") != limits.TOO_MANY
    assert count(db, Feedback) == before[0] + 1


def test_a_window_over_its_limit_takes_no_more_ratings(app, wechat, district, db, monkeypatch):
    """A burst of accounts hammering one window: ratings past the window's limit are refused;
    scans (choosing the window) do not count, and other windows are not limited."""
    monkeypatch.setitem(app.config, "WW_WINDOW_RATE_LIMIT", 2)
    openids = [f"oBurst00000000000000000000{n}" for n in range(4)]
    for openid in openids:
        wechat.scan(openid, "CD-SW-001")
    answers = [wechat.say(openid, "1") for openid in openids[:3]]
    assert [a == limits.TOO_MANY for a in answers] == [False, False, True]
    assert count(db, Feedback) == 2
    wechat.scan(openids[3], "CD-SW-002")
    assert wechat.say(openids[3], "1") != limits.TOO_MANY
    assert count(db, Feedback) == 3


def test_h5_citizen_and_window_limits(app, client, district, db, monkeypatch):
    monkeypatch.setitem(app.config, "WW_CITIZEN_RATE_LIMIT", 2)
    codes = [_rate(client, "CD-SW-001", "5").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    refused = _rate(client, "CD-RMYY-001", "5")
    assert refused.status_code == 429
    assert limits.TOO_MANY_H5 in refused.get_data(as_text=True)
    assert count(db, Feedback) == 2
    monkeypatch.setitem(app.config, "WW_CITIZEN_RATE_LIMIT", 100)
    monkeypatch.setitem(app.config, "WW_WINDOW_RATE_LIMIT", 1)
    browsers = [app.test_client() for _ in range(2)]
    # CD-SW-001 already had 2 submissions: the window is full; another window takes one.
    assert _rate(browsers[0], "CD-SW-001", "1").status_code == 429
    assert _rate(browsers[0], "CD-RMYY-002", "1").status_code == 200
    assert _rate(browsers[1], "CD-RMYY-002", "1").status_code == 429
    assert count(db, Feedback) == 3
    assert count(db, Citizen) == 2  # the refused browser's citizen was not created


def test_the_window_limit_is_shared_by_wechat_and_h5(app, wechat, client, district, db,
                                                     monkeypatch):
    monkeypatch.setitem(app.config, "WW_WINDOW_RATE_LIMIT", 2)
    wechat.scan("oShared0000000000000000001", "CD-SW-001")
    assert wechat.say("oShared0000000000000000001", "4") != limits.TOO_MANY
    assert _rate(client, "CD-SW-001", "5").status_code == 200
    assert _rate(app.test_client(), "CD-SW-001", "5").status_code == 429
    with db() as s:  # counted under keyed hashes, for every worker
        assert s.scalar(sa.select(sa.func.count()).select_from(RateLimitHit)) > 0


@pytest.mark.parametrize("name", ["WW_CITIZEN_RATE_LIMIT", "WW_WINDOW_RATE_LIMIT"])
def test_a_bad_limit_stops_start_up_clearly(app_config, name):
    from admin_web.app import create_app
    from feedback_api.config import ConfigError

    with pytest.raises(ConfigError, match=f"{name} must be a positive integer"):
        create_app({**app_config, name: "zero"})
