"""A unit's staff member whose account covers one window (scope: a window code) is alerted in
WeChat of that window's 差评 and tickets only, never of the unit's other windows, which the
platform refuses to show them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.services import staff_bindings, ticket_jobs, users
from wechat_bot.models import CitizenContact, OutboundMessage

pytestmark = pytest.mark.parametrize("mode", ["plain"], indirect=True)

UNIT_STAFF = "oStaffWholeUnit0000000001"
DESK_STAFF = "oStaffOneDesk000000000001"
CITIZEN = "oCitizenScope000000000001"


def _alerted(db) -> dict[str, set[str]]:
    """Each bound staff member's queued alerts, by the window code their text names."""
    with db() as s:
        rows = s.execute(sa.select(CitizenContact.openid, OutboundMessage.text)
                         .join(CitizenContact,
                               CitizenContact.citizen_id == OutboundMessage.citizen_id)
                         .where(OutboundMessage.kind == "alert")).all()
    out: dict[str, set[str]] = {}
    for openid, text in rows:
        out.setdefault(openid, set()).update(c for c in ("CD-SW-001", "CD-SW-002") if c in text)
    return out


def test_a_window_scoped_staff_member_hears_only_of_their_window(app, fake_wechat, wechat,
                                                                  district, db, monkeypatch):
    monkeypatch.setitem(app.config, "WW_WECHAT_API_BASE", fake_wechat.base_url)
    monkeypatch.setitem(app.config, "WW_WECHAT_STAFF_TEMPLATE_ID", "tpl-staff-alert")
    with db():
        users.create_user(None, "desk2", role="unit", password="desk2-password",
                          scopes=["CD-SW-002"])
    for username, openid in (("unit", UNIT_STAFF), ("desk2", DESK_STAFF)):
        with db():
            code = staff_bindings.issue_code(users.get_user(username))
        assert wechat.scan(openid, f"bind-{code}").startswith("绑定成功")
    for code in ("CD-SW-001", "CD-SW-002"):
        wechat.scan(CITIZEN, code)
        wechat.say(CITIZEN, "1")
    with app.app_context():
        ticket_jobs.auto_open()
        Session.commit()
        assert ticket_jobs.send_alerts().startswith("4 alerts queued")
        Session.commit()
    alerted = _alerted(db)
    assert alerted[UNIT_STAFF] == {"CD-SW-001", "CD-SW-002"}  # the whole unit's staff: both
    assert alerted[DESK_STAFF] == {"CD-SW-002"}, alerted  # one window's: its own only
    with db() as s:
        desk = s.scalar(sa.select(CitizenContact.citizen_id)
                        .where(CitizenContact.openid == DESK_STAFF))
        assert s.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)
                        .where(OutboundMessage.citizen_id == desk)) == 2  # 差评 + new ticket
