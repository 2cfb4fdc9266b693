"""The H5 page /f/<code>: form, CSRF, receipt number, rate limit, delisted and unknown windows."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from feedback_api.models import Feedback, RateLimitHit, Window
from feedback_api.services import citizens, ratelimit
from wechat_bot import h5


def form_fields(html: str) -> dict[str, str]:
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    nonce = re.search(r'name="nonce" type="hidden" value="([0-9a-f]{32})"', html).group(1)
    return {"csrf_token": csrf, "nonce": nonce}


def test_page_shows_window_and_levels_with_local_css_only(client, district):
    resp = client.get("/f/CD-SW-001")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    for text in ("综合办税窗口", "城东区税务局办税服务厅", "非常满意", "基本满意", "非常不满意",
                 "提交评价"):
        assert text in html
    assert 'href="/f/static/h5.css"' in html
    assert "http://" not in html and "https://" not in html  # no CDN
    css = client.get("/f/static/h5.css")
    assert css.status_code == 200 and b"font" in css.get_data()
    css.close()


def test_submit_records_h5_feedback_and_shows_receipt(client, district, db):
    fields = form_fields(client.get("/f/CD-SW-001").get_data(as_text=True))
    resp = client.post("/f/CD-SW-001", data={**fields, "rating": "2", "opinion": "等太久"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    with db() as s:
        [item] = s.scalars(sa.select(Feedback)).all()
        assert (item.channel, item.rating, item.text) == ("h5", 2, "等太久")
        assert item.citizen_id is not None  # the browser's pseudonymous citizen
        assert item.receipt_no in html
    # A double submit of the same form is stored once and shows the same receipt.
    again = client.post("/f/CD-SW-001", data={**fields, "rating": "2", "opinion": "等太久"})
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Feedback)) == 1
    assert item.receipt_no in again.get_data(as_text=True)


def test_opinion_only_and_empty_submissions(client, district, db):
    fields = form_fields(client.get("/f/CD-RMYY-001").get_data(as_text=True))
    resp = client.post("/f/CD-RMYY-001", data={**fields})
    assert resp.status_code == 400 and "请选择评分或填写意见建议" in resp.get_data(as_text=True)
    resp = client.post("/f/CD-RMYY-001", data={**fields, "rating": "9"})
    assert resp.status_code == 400 and "请选择有效的评分" in resp.get_data(as_text=True)
    resp = client.post("/f/CD-RMYY-001", data={**fields, "opinion": "挂号处很整洁"})
    assert resp.status_code == 200 and "受理编号" in resp.get_data(as_text=True)


def test_csrf_is_required(client, district, db):
    fields = form_fields(client.get("/f/CD-SW-001").get_data(as_text=True))
    resp = client.post("/f/CD-SW-001", data={"nonce": fields["nonce"], "rating": "5"})
    assert resp.status_code == 400
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Feedback)) == 0


def test_submissions_are_rate_limited_per_ip(client, district, app, monkeypatch):
    monkeypatch.setitem(app.config, "WW_H5_RATE_LIMIT", 3)
    fields = form_fields(client.get("/f/CD-SW-001").get_data(as_text=True))
    codes = []
    for n in range(5):
        data = {**fields, "nonce": f"{n:032x}", "rating": "5"}
        codes.append(client.post("/f/CD-SW-001", data=data).status_code)
    assert codes == [200, 200, 200, 429, 429]
    other = client.post("/f/CD-SW-001", data={**fields, "nonce": "f" * 32, "rating": "5"},
                        environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200


def test_limiter_window_slides_by_the_minute_and_is_shared(db, app):
    t0 = 1_800_000_000 // 60 * 60  # the start of a minute
    with db():
        hits = [ratelimit.hit("h5", "10.1.1.1", limit=2, window=600, now=t0 + dt)
                for dt in (0, 30, 90, 599, 600, 660)]
        # 2 in the first minute; then full until the first minute leaves the window (600 s).
        assert hits == [True, True, False, False, True, True]
        assert ratelimit.hit("h5", "10.1.1.2", limit=2, window=600, now=t0)  # another address
        assert ratelimit.hit("login", "10.1.1.1", limit=2, window=600, now=t0)  # another scope
    with db() as s:
        # Counted in the database (what every worker reads), under keyed hashes only.
        rows = s.scalars(sa.select(RateLimitHit)).all()
        assert sum(r.hits for r in rows) == 6
        assert all("10.1.1" not in r.key and len(r.key) == 64 for r in rows)


def test_unknown_and_delisted_windows(client, district, db):
    assert client.get("/f/NOPE-1").status_code == 404
    with db() as s:
        s.scalars(sa.select(Window).where(Window.code == "CD-SW-002")).one().status = "delisted"
    resp = client.get("/f/CD-SW-002")
    assert resp.status_code == 410 and "已被摘除" in resp.get_data(as_text=True)


def test_a_double_submit_racing_the_first_shows_the_stored_receipt(client, district, db, app):
    """The same form sent twice at once: the other submission commits between this one's check
    and its insert; this one fails on the unique source id, runs again and shows that receipt."""
    import pytest

    from feedback_api.db import Session

    engine = app.extensions["ww_engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("on SQLite a writer between read and write is refused before the insert")
    fields = form_fields(client.get("/f/CD-SW-001").get_data(as_text=True))
    window_id = None

    @sa.event.listens_for(Session, "before_flush", once=True)
    def _other_submission(*_args) -> None:
        with engine.begin() as conn:
            conn.execute(sa.insert(Feedback).values(
                receipt_no="PJ20261206-OTHER2", window_id=window_id, channel="h5", rating=5,
                source_msg_id=f"h5:{fields['nonce']}"))

    with db() as s:
        window_id = s.scalar(sa.select(Window.id).where(Window.code == "CD-SW-001"))
    resp = client.post("/f/CD-SW-001", data={**fields, "rating": "5"})
    assert resp.status_code == 200 and "PJ20261206-OTHER2" in resp.get_data(as_text=True)
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Feedback)) == 1


def _rate(client, code: str, rating: str, **kw) -> Any:
    fields = form_fields(client.get(f"/f/{code}", **kw).get_data(as_text=True))
    return client.post(f"/f/{code}", data={**fields, "rating": rating}, **kw)


def test_a_browser_is_a_stable_pseudonymous_citizen_and_rates_once_a_day(app, district, db):
    """One rating per citizen, window and day applies to H5 too: the browser's signed, long-lived
    cookie names a pseudonymous citizen (issue 12, item 6)."""
    from feedback_api.models import Citizen

    browser = app.test_client()
    first = browser.get("/f/CD-SW-001")
    cookie = first.headers.get("Set-Cookie", "")
    assert cookie.startswith(f"{h5.CITIZEN_COOKIE}=") and "HttpOnly" in cookie
    max_age = int(re.search(r"Max-Age=(\d+)", cookie).group(1))
    assert max_age >= 365 * 24 * 3600
    assert _rate(browser, "CD-SW-001", "1").status_code == 200
    assert _rate(browser, "CD-SW-001", "4").status_code == 200  # changed their mind: replaces
    assert _rate(browser, "CD-RMYY-001", "5").status_code == 200  # another window counts
    other = app.test_client()  # another browser is another citizen
    assert _rate(other, "CD-SW-001", "2").status_code == 200
    with db() as s:
        rows = s.execute(sa.select(Window.code, Feedback.rating, Feedback.rating_counts,
                                   Feedback.citizen_id)
                         .join(Window, Window.id == Feedback.window_id)
                         .order_by(Feedback.id)).all()
        assert [(c, r, counts) for c, r, counts, _ in rows] == [
            ("CD-SW-001", 1, False), ("CD-SW-001", 4, True), ("CD-RMYY-001", 5, True),
            ("CD-SW-001", 2, True)]
        mine, theirs = rows[0].citizen_id, rows[3].citizen_id
        assert rows[1].citizen_id == rows[2].citizen_id == mine and theirs != mine
        # The pseudonym is a keyed hash with the H5 prefix: no cookie value is stored.
        pseudonyms = s.scalars(sa.select(Citizen.pseudonym).order_by(Citizen.id)).all()
        assert len(pseudonyms) == 2 and all(len(p) == 64 for p in pseudonyms)
        browser_id = h5.browser_id_of(cookie.split(";")[0].split("=", 1)[1])
        assert citizens.pseudonym_for_h5(browser_id) == pseudonyms[0]
        assert citizens.pseudonym_for_h5(browser_id) != citizens.pseudonym_for(browser_id)


def test_a_forged_citizen_cookie_is_not_trusted(app, district, db):
    browser = app.test_client()
    assert _rate(browser, "CD-SW-001", "1").status_code == 200
    with db() as s:
        first = s.scalars(sa.select(Feedback.citizen_id)).one()
    forger = app.test_client()
    forger.set_cookie(h5.CITIZEN_COOKIE, "0" * 32, path="/f")  # unsigned: a fresh citizen instead
    assert _rate(forger, "CD-SW-001", "5").status_code == 200
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Feedback)
                        .where(Feedback.rating_counts.is_(True))) == 2
        ids = s.scalars(sa.select(Feedback.citizen_id).order_by(Feedback.id)).all()
        assert ids[0] == first and None not in ids and len(set(ids)) == 2


def test_trusted_proxies_let_the_per_ip_limit_see_the_address_behind_nginx(app, app_config,
                                                                          district, monkeypatch):
    """WW_TRUSTED_PROXIES=1: the limit counts X-Forwarded-For's last address, the citizen's;
    unset, the header is ignored (anyone could write it) and the proxy's address is counted."""
    from admin_web.app import create_app
    from feedback_api.db import dispose_engines

    def codes(target, forwarded_for: list[str]) -> list[int]:
        out = []
        for address in forwarded_for:
            client = target.test_client()
            out.append(_rate(client, "CD-SW-001", "5",
                             headers={"X-Forwarded-For": address},
                             environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code)
        return out

    monkeypatch.setitem(app.config, "WW_H5_RATE_LIMIT", 1)
    assert codes(app, ["1.1.1.1", "2.2.2.2"]) == [200, 429]
    proxied = create_app({**app_config, "WW_TRUSTED_PROXIES": 1, "WW_H5_RATE_LIMIT": 1})
    try:
        assert codes(proxied, ["3.3.3.3", "4.4.4.4", "3.3.3.3"]) == [200, 200, 429]
    finally:
        dispose_engines(proxied)


def test_trusted_proxies_must_be_a_small_count(app_config):
    from admin_web.app import create_app
    from feedback_api.config import ConfigError

    with pytest.raises(ConfigError, match="WW_TRUSTED_PROXIES"):
        create_app({**app_config, "WW_TRUSTED_PROXIES": -1})
