"""Staff WeChat binding (profile page → temporary QR code → scan in WeChat) and alerts of each
差评 and new ticket as template messages to the unit's bound staff, against the fake WeChat API."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.models import StaffBinding
from feedback_api.services import staff_bindings, ticket_jobs, users
from tests.wechat_bot.test_outbox import deliver
from wechat_bot import staff
from wechat_bot.models import OutboundMessage

pytestmark = pytest.mark.parametrize("mode", ["plain"], indirect=True)

STAFF = "oStaffUnit0000000000000001"
OTHER_STAFF = "oStaffHospital00000000001"
CITIZEN = "oCitizenAngry000000000001"


def _post(auth, path: str):
    return auth.client.post(path, data={"csrf_token": auth.csrf_token("/profile")})


def _bind_on_page(app, auth, fake_wechat, username: str) -> str:
    """Sign in, ask for a binding QR code; the scene issued through the fake API."""
    auth.login(username)
    before = set(fake_wechat.state.qrcodes)
    html = _post(auth, "/profile/wechat/code").get_data(as_text=True)
    assert "<svg" in html and "10 分钟内有效" in html
    [scene] = set(fake_wechat.state.qrcodes) - before
    assert scene.startswith("bind-") and len(scene) <= 64
    assert fake_wechat.state.qrcodes[scene]["expire_seconds"] == 600
    return scene


@pytest.fixture
def hospital_staff(db):
    with db():
        users.create_user(None, "hospital", role="unit", password="hospital-password",
                          scopes=["CD-RMYY"])


def test_staff_bind_by_scanning_the_code_from_their_profile(app, fake_wechat, wechat, district,
                                                            auth, db, monkeypatch):
    wechat.client = auth.client  # one client: the page and the webhook
    monkeypatch.setitem(app.config, "WW_WECHAT_API_BASE", fake_wechat.base_url)
    scene = _bind_on_page(app, auth, fake_wechat, "unit")
    assert "尚未绑定微信" in auth.client.get("/profile").get_data(as_text=True)
    reply = wechat.scan(STAFF, scene)
    assert reply.startswith("绑定成功") and "差评提醒" in reply
    # It names every alert the profile page promised (a unit's staff also get the deadlines).
    assert "新督办单提醒" in reply and "截止提醒" in reply, reply
    assert "微信已绑定" in auth.client.get("/profile").get_data(as_text=True)
    # The code works once; another identity scanning it later is refused politely.
    assert wechat.scan(OTHER_STAFF, scene) == staff.BIND_FAILED
    with db() as s:
        [binding] = s.scalars(sa.select(StaffBinding)).all()
        assert binding.citizen_id is not None and binding.token_hash is None
    # Unbinding from the profile page.
    resp = _post(auth, "/profile/wechat/unbind")
    assert resp.status_code == 302
    assert "尚未绑定微信" in auth.client.get("/profile").get_data(as_text=True)
    with db() as s:
        assert s.scalars(sa.select(StaffBinding)).all() == []


def test_subscribing_through_the_code_binds_too_and_an_expired_code_is_refused(
        app, fake_wechat, wechat, district, db):
    with db():
        unit = users.get_user("unit")
        fresh = staff_bindings.issue_code(unit)
        stale = staff_bindings.issue_code(users.get_user("unit"), now=utcnow() - timedelta(hours=1))
    assert wechat.scan(STAFF, f"bind-{stale}") == staff.BIND_FAILED
    assert wechat.scan(STAFF, f"bind-{fresh}") == staff.BIND_FAILED  # replaced by the newer one
    with db():
        code = staff_bindings.issue_code(users.get_user("unit"))
    assert wechat.scan(STAFF, f"bind-{code}", subscribe=True).startswith("绑定成功")
    assert wechat.scan(STAFF, "bind-") != staff.BIND_FAILED  # not a code: a window lookup


def test_without_wechat_credentials_the_scene_is_shown_as_text(app, wechat, district, auth,
                                                               monkeypatch):
    monkeypatch.setitem(app.config, "WW_WECHAT_APPID", "")
    auth.login("unit")
    html = _post(auth, "/profile/wechat/code").get_data(as_text=True)
    assert "<svg" not in html and "未配置微信公众号接口" in html
    scene = re.search(r"bind-[A-Za-z0-9_-]{24}", html).group(0)
    assert wechat.scan(STAFF, scene).startswith("绑定成功")


def test_only_unit_staff_bind(app, wechat, district, auth):
    auth.login("agency")
    assert auth.client.get("/profile").status_code == 200
    assert _post(auth, "/profile/wechat/code").status_code == 403


def bad_review_alerted_to_bound_staff(app, fake_wechat, wechat, db, monkeypatch) -> None:
    """Staff template alerts on, against the fake API; the unit's staff bound as ``STAFF``, the
    hospital's as ``OTHER_STAFF``; ``CITIZEN`` rates CD-SW-001 1 star, the job opens its ticket
    and queues the two alerts (差评, new ticket), not yet delivered."""
    monkeypatch.setitem(app.config, "WW_WECHAT_API_BASE", fake_wechat.base_url)
    monkeypatch.setitem(app.config, "WW_WECHAT_STAFF_TEMPLATE_ID", "tpl-staff-alert")
    for username, openid in (("unit", STAFF), ("hospital", OTHER_STAFF)):
        with db():
            code = staff_bindings.issue_code(users.get_user(username))
        assert wechat.scan(openid, f"bind-{code}").startswith("绑定成功")
    wechat.scan(CITIZEN, "CD-SW-001")
    wechat.say(CITIZEN, "1")
    with app.app_context():
        ticket_jobs.auto_open()
        Session.commit()
        assert ticket_jobs.send_alerts().startswith("2 alerts queued")


def test_bad_reviews_and_new_tickets_reach_the_units_bound_staff_as_template_messages(
        app, fake_wechat, wechat, district, hospital_staff, db, monkeypatch):
    bad_review_alerted_to_bound_staff(app, fake_wechat, wechat, db, monkeypatch)
    for openid in (STAFF, OTHER_STAFF):
        fake_wechat.user_messaged(openid)  # in their 48 hours: alerts still go as templates
    with app.app_context():
        assert ticket_jobs.send_alerts().startswith("0 alerts queued")  # idempotent
    assert deliver(app).sent_template == 2
    sent = fake_wechat.state.template_sent
    assert {m["touser"] for m in sent} == {STAFF}  # never the other unit's staff
    assert {m["template_id"] for m in sent} == {"tpl-staff-alert"}
    firsts = sorted(m["data"]["first"]["value"] for m in sent)
    assert firsts[0].startswith("【差评提醒】综合办税窗口") and firsts[1].startswith("【督办单】")
    assert all(m["url"].startswith("https://ww.example.cn/") for m in sent)
    assert fake_wechat.state.custom_sent == []
    with db() as s:
        assert set(s.scalars(sa.select(OutboundMessage.kind))) == {"alert"}


def test_no_wechat_alert_after_unbinding(app, fake_wechat, wechat, district, db):
    with db():
        code = staff_bindings.issue_code(users.get_user("unit"))
    wechat.scan(STAFF, f"bind-{code}")
    with db():
        assert staff_bindings.unbind(users.get_user("unit")) is True
    wechat.scan(CITIZEN, "CD-SW-001")
    wechat.say(CITIZEN, "2")
    with app.app_context():
        assert ticket_jobs.send_alerts().startswith("1 alerts queued")
        assert Session.scalars(sa.select(OutboundMessage)).all() == []


def test_a_wechat_api_failure_on_the_code_is_a_clear_message(app, fake_wechat, wechat, district,
                                                             auth, monkeypatch):
    monkeypatch.setitem(app.config, "WW_WECHAT_API_BASE", fake_wechat.base_url)
    fake_wechat.fail("/cgi-bin/qrcode/create", times=3, status=502)
    auth.login("unit")
    resp = _post(auth, "/profile/wechat/code")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "微信接口暂时不可用" in html and "<svg" not in html
    assert re.search(r"bind-[A-Za-z0-9_-]{24}", html)
