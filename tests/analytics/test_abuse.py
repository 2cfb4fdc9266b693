"""Ballot-stuffing detection on crafted data: each pattern, and a near miss that is not one;
the agency's page shows the findings and marks their feedback invalid."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from analytics import abuse
from feedback_api.db import Session, utcnow
from feedback_api.models import Citizen, Feedback, StaffBinding, Window
from feedback_api.services import citizens, users
from feedback_api.services.feedback import record_feedback

_seq = itertools.count(1)
NOW = utcnow().replace(microsecond=0)


def citizen(created: datetime) -> Citizen:
    c = Citizen(pseudonym=f"{next(_seq):064x}", created_at=created, last_seen_at=created)
    Session.add(c)
    Session.flush()
    return c


def rate(code: str, who: Citizen, at: datetime, rating: int = 5) -> int:
    window = Session.scalars(sa.select(Window).where(Window.code == code)).one()
    return record_feedback(window, citizen=who, channel="wechat", rating=rating,
                           source_msg_id=f"t:{next(_seq)}", received_at=at).feedback.id


def kinds(findings: list[abuse.Finding]) -> list[tuple[str, str, int]]:
    return sorted((f.kind, f.window_code, len(f.feedback_ids)) for f in findings)


def test_one_citizen_rating_a_window_on_many_days(db, district):
    with db():
        hammer = citizen(NOW - timedelta(days=60))
        for day in (1, 3, 5, 8):
            rate("CD-SW-001", hammer, NOW - timedelta(days=day))
        rate("CD-SW-001", hammer, NOW - timedelta(days=8, hours=1))  # same day: one counts
        rate("CD-SW-001", hammer, NOW - timedelta(days=45))  # outside the period
        regular = citizen(NOW - timedelta(days=60))  # three days: a regular visitor
        for day in (2, 9, 20):
            rate("CD-SW-002", regular, NOW - timedelta(days=day))
        for code in ("CD-SW-001", "CD-RMYY-001", "CD-RMYY-002"):  # other windows, once each
            rate(code, regular, NOW - timedelta(days=4))
    with db():
        assert kinds(abuse.find()) == [("repeat", "CD-SW-001", 5)]


def test_a_burst_of_new_citizens_rating_one_window(db, district):
    start = NOW - timedelta(days=2)
    with db():
        for i in range(8):  # new accounts, within 50 minutes
            rate("CD-SW-001", citizen(start + timedelta(minutes=7 * i - 5)),
                 start + timedelta(minutes=7 * i))
        for i in range(8):  # old accounts at the same pace: a busy hour, not a burst
            rate("CD-SW-002", citizen(NOW - timedelta(days=90)), start + timedelta(minutes=7 * i))
        for i in range(8):  # new accounts spread over a day
            at = start + timedelta(hours=3 * i)
            rate("CD-RMYY-001", citizen(at - timedelta(minutes=1)), at)
        for i in range(7):  # one short of the threshold
            rate("CD-RMYY-002", citizen(start), start + timedelta(minutes=i))
    with db():
        found = abuse.find()
        assert kinds(found) == [("burst", "CD-SW-001", 8)]
        assert "8 位新用户" in found[0].summary


def test_a_windows_own_bound_staff_rating_it(db, district):
    with db():
        unit = users.get_user("unit")  # scoped to the unit CD-SW
        me = citizen(NOW - timedelta(days=100))
        Session.add(StaffBinding(user_id=unit.id, citizen_id=me.id, bound_at=NOW))
        mine = [rate("CD-SW-001", me, NOW - timedelta(days=1)),
                rate("CD-SW-002", me, NOW - timedelta(days=2), rating=4)]
        rate("CD-RMYY-001", me, NOW - timedelta(days=1))  # another unit's window: a citizen there
        stranger = citizen(NOW - timedelta(days=100))
        rate("CD-SW-001", stranger, NOW - timedelta(days=1))
    with db():
        found = abuse.find()
        assert kinds(found) == [("staff", "CD-SW-001", 1), ("staff", "CD-SW-002", 1)]
        assert sorted(i for f in found for i in f.feedback_ids) == sorted(mine)
        users.get_user("unit").active = False  # a former employee: no longer their window
        Session.flush()
        assert abuse.find() == []


def _h5_rate(client, code: str, rating: str, address: str, **kw) -> int:
    """A browser rates through the H5 form from ``address`` (the TCP peer, or behind nginx)."""
    import re

    env = {"REMOTE_ADDR": address}
    html = client.get(f"/f/{code}", environ_base=env, **kw).get_data(as_text=True)
    fields = {name: re.search(rf'name="{name}" type="hidden" value="([^"]+)"', html).group(1)
              for name in ("csrf_token", "nonce")}
    return client.post(f"/f/{code}", data={**fields, "rating": rating}, environ_base=env,
                       **kw).status_code


def test_many_h5_citizens_from_one_network_address(app, db, district):
    """Cookies cleared between ratings make new H5 citizens; their shared address (kept only
    as a keyed hash) gives them away. A few citizens of one address, or many addresses, do not."""
    for _ in range(5):  # five "browsers" (fresh cookies) on one address: a finding
        assert _h5_rate(app.test_client(), "CD-SW-001", "5", "198.51.100.23") == 200
    for n in range(4):  # four browsers on one address: under the threshold
        assert _h5_rate(app.test_client(), "CD-SW-002", "1", "198.51.100.24") == 200
        assert _h5_rate(app.test_client(), "CD-RMYY-001", "5", f"192.0.2.{n}") == 200
    # One IPv6 subscriber's /64 is one network: five addresses inside it count together.
    for n in range(5):
        assert _h5_rate(app.test_client(), "CD-RMYY-002", "1", f"2001:db8:5:7::{n + 1}") == 200
    with db() as s:
        stored = set(s.scalars(sa.select(Feedback.client_network_hash)))
        assert None not in stored and len(stored) == 1 + 1 + 4 + 1
        assert not any("198.51.100" in h or "2001:db8" in h for h in stored)  # never the address
        found = abuse.find()
        assert kinds(found) == [("address", "CD-RMYY-002", 5), ("address", "CD-SW-001", 5)]
        assert all("5 位 H5 用户" in f.summary for f in found)


def test_h5_addresses_behind_nginx_are_the_citizens(app, app_config, db, district):
    """Behind WW_TRUSTED_PROXIES the hash is of X-Forwarded-For's citizen address (ProxyFix),
    not of nginx's: ratings from many citizens through one proxy are no finding."""
    from admin_web.app import create_app
    from feedback_api.db import dispose_engines

    proxied = create_app({**app_config, "WW_TRUSTED_PROXIES": 1})
    try:
        for n in range(6):
            assert _h5_rate(proxied.test_client(), "CD-SW-001", "5", "10.0.0.2",
                            headers={"X-Forwarded-For": f"203.0.113.{n}"}) == 200
    finally:
        dispose_engines(proxied)
    with db() as s:
        hashes = s.scalars(sa.select(Feedback.client_network_hash)).all()
        assert len(set(hashes)) == 6
        assert citizens.network_hash_for("203.0.113.0") in hashes
        assert citizens.network_hash_for("10.0.0.2") not in hashes
        assert abuse.find() == []


def test_the_network_hash_is_keyed_and_groups_ipv6_by_64():
    key = "k" * 32
    one = citizens.network_hash_for("2001:db8:1:2::1", key)
    assert one == citizens.network_hash_for("2001:db8:1:2:ffff::9", key)
    assert one != citizens.network_hash_for("2001:db8:1:3::1", key)
    assert citizens.network_hash_for("::ffff:192.0.2.1", key) == citizens.network_hash_for(
        "192.0.2.1", key)
    assert citizens.network_hash_for("192.0.2.1", key) != citizens.network_hash_for(
        "192.0.2.1", "another key")
    assert citizens.network_hash_for("", key) is None
    assert citizens.network_hash_for("not an address", key) is None


def test_the_page_shows_an_address_finding_to_the_agency(app, auth, db, district):
    for _ in range(5):
        assert _h5_rate(app.test_client(), "CD-SW-001", "1", "198.51.100.23") == 200
    auth.login("agency")
    html = auth.client.get("/abuse").get_data(as_text=True)
    assert "同一网络地址多人评价" in html and "综合办税窗口" in html
    assert "198.51.100.23" not in html
    with db() as s:
        receipts = s.scalars(sa.select(Feedback.receipt_no)).all()
    assert len(receipts) == 5 and all(r in html for r in receipts)


def test_the_agency_marks_a_findings_feedback_invalid(auth, db, district):
    with db():
        hammer = citizen(NOW - timedelta(days=60))
        ids = [rate("CD-SW-001", hammer, NOW - timedelta(days=d), rating=1) for d in (1, 2, 3, 4)]
    auth.login("unit")
    assert auth.client.get("/abuse").status_code == 403
    auth.client.post("/logout", data={"csrf_token": auth.csrf_token("/")})
    auth.login("agency")
    html = auth.client.get("/abuse").get_data(as_text=True)
    assert "同一群众反复评价" in html and "综合办税窗口" in html
    with db() as s:
        receipts = s.scalars(sa.select(Feedback.receipt_no).where(Feedback.id.in_(ids))).all()
    assert all(r in html for r in receipts)
    token = auth.csrf_token("/abuse")
    form = {"csrf_token": token, "ids": ",".join(map(str, ids)), "kind": "repeat"}
    auth.client.post("/abuse/invalid", data={**form, "reason": " "})
    with db() as s:  # no reason: nothing changes
        assert set(s.scalars(sa.select(Feedback.review_state))) == {"pending"}
    resp = auth.client.post("/abuse/invalid", data={**form, "reason": "同一人连续多日刷差评"},
                            follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "已将 4 条评价标记为无效" in html and "已全部标记为无效" in html
    assert 'name="ids"' not in html
    with db() as s:
        assert set(s.scalars(sa.select(Feedback.review_state))) == {"invalid"}


@pytest.mark.parametrize("raw", ["", "x,y", ",".join(["1"] * 501)])
def test_bad_id_lists_are_refused(raw):
    with pytest.raises(abuse.ValidationError):
        abuse.parse_ids(raw)
