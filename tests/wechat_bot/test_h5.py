"""The H5 page /f/<code>: form, CSRF, receipt number, rate limit, delisted and unknown windows."""

from __future__ import annotations

import re

import sqlalchemy as sa

from feedback_api.models import Feedback, RateLimitHit, Window
from feedback_api.services import ratelimit


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
        assert (item.channel, item.rating, item.text, item.citizen_id) == ("h5", 2, "等太久", None)
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
