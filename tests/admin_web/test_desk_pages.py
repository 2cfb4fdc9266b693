"""The desk on the pages and the API: filters, bulk review, one ticket, merge, other feedback."""

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from feedback_api.models import Feedback, Ticket, Window
from feedback_api.services import feedback as fb
from feedback_api.services import opinions
from wechat_bot import contacts

DAY = datetime(2026, 5, 6, 1, 0, tzinfo=UTC)


def _seed(db):
    with db() as s:
        def add(code, openid, rating, text, masked, hours):
            w = s.scalars(sa.select(Window).where(Window.code == code)).one()
            item = fb.record_feedback(w, citizen=contacts.get_or_create_citizen(openid),
                                      channel="wechat", rating=rating, text=text,
                                      received_at=DAY + timedelta(hours=hours)).feedback
            opinions.apply_analysis(item, sentiment=0.1, topics=[{"topic": "attitude", "confidence": 1.0}],
                                    keywords=[], masked_text=masked, flags=[], model_version="t")
            s.flush()
            return item
        a = add("CD-SW-001", "o1", 1, "李四13900139000态度差", "某某态度差", 0)
        b = add("CD-SW-001", "o1", 2, "李四又说态度差", "某某又说态度差", 30)
        c = add("CD-SW-001", "o2", 1, "窗口没人", "窗口没人", 50)
        d = add("CD-RMYY-001", "o1", 5, "医院很好", "医院很好", 70)
        return {k: (v.id, v.receipt_no) for k, v in zip("abcd", (a, b, c, d), strict=True)}


def _as(app, name):
    """A fresh browser signed in as ``name``."""
    from tests.conftest import AuthActions

    client = app.test_client()
    AuthActions(client).login(name)
    return client


def _token(client, path):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def test_desk_list_filters_and_unit_keyword_scope(app, client, auth, db, district):
    ids = _seed(db)
    auth.login("agency")
    html = client.get("/feedback?q=13900139000").get_data(as_text=True)
    assert ids["a"][1] in html and ids["b"][1] not in html and "共 1 条" in html
    html = client.get("/feedback?window=CD-SW-001&sentiment=negative&rating=1").get_data(
        as_text=True)
    assert "共 2 条" in html and 'name="ids"' in html
    client = _as(app, "unit")
    html = client.get("/feedback?q=13900139000").get_data(as_text=True)
    assert "共 0 条" in html and 'name="ids"' not in html
    assert "共 2 条" in client.get("/feedback?q=某某").get_data(as_text=True)


def test_api_filters(client, db, district, token_for):
    ids = _seed(db)
    unit, agency = token_for("unit"), token_for("agency")
    got = client.get("/api/v1/feedback?q=13900139000", headers=agency).get_json()
    assert [i["id"] for i in got["items"]] == [ids["a"][0]] and got["total"] == 1
    assert client.get("/api/v1/feedback?q=13900139000", headers=unit).get_json()["total"] == 0
    got = client.get("/api/v1/feedback?industry=health&topic=attitude&sentiment=negative"
                     "&channel=wechat", headers=agency).get_json()
    assert [i["id"] for i in got["items"]] == [ids["d"][0]]
    bad = client.get("/api/v1/feedback?mood=sad", headers=agency)
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "unknown_parameter"
    assert client.get("/api/v1/feedback?sentiment=angry", headers=agency).status_code == 400


def test_bulk_review_and_one_ticket_from_the_list(app, client, auth, db, district):
    ids = _seed(db)
    auth.login("agency")
    token = _token(client, "/feedback")
    resp = client.post("/feedback/desk/review", data={
        "csrf_token": token, "ids": [ids["a"][0], ids["c"][0]], "valid": "1", "reason": "属实",
        "filters": "window=CD-SW-001&evil=1"}, follow_redirects=False)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/feedback?window=CD-SW-001")
    with db() as s:
        assert s.get(Feedback, ids["a"][0]).review_state == "valid"
        assert s.get(Feedback, ids["b"][0]).review_state == "pending"
    resp = client.post("/feedback/desk/ticket", data={
        "csrf_token": token, "ids": [ids["a"][0], ids["c"][0]]})
    assert resp.status_code == 302 and "/tickets/" in resp.headers["Location"]
    with db() as s:
        ticket = s.scalars(sa.select(Ticket)).one()
        assert ticket.window.code == "CD-SW-001"
    client = _as(app, "unit")
    assert client.post("/feedback/desk/review", data={
        "csrf_token": _token(client, "/feedback"), "ids": [ids["b"][0]], "valid": "0",
        "reason": "x"}).status_code == 403


def test_merge_shows_on_both_pages_and_other_feedback_scope(app, client, auth, db, district):
    ids = _seed(db)
    auth.login("agency")
    page_b = f"/feedback/{ids['b'][0]}"
    html = client.get(page_b).get_data(as_text=True)
    # The citizen's other feedback, linked without printing the pseudonym.
    assert "该群众的其他评价" in html and ids["a"][1] in html and ids["d"][1] in html
    with db() as s:
        pseudonym = s.get(Feedback, ids["b"][0]).citizen.pseudonym
    assert pseudonym[:12] not in html
    resp = client.post(f"{page_b}/merge", data={"csrf_token": _token(client, page_b),
                                                 "original": ids["a"][1].lower()})
    assert resp.status_code == 302
    html = client.get(page_b).get_data(as_text=True)
    assert "已合并为" in html and ids["a"][1] in html and "撤销合并" in html
    assert ids["b"][1] in client.get(f"/feedback/{ids['a'][0]}").get_data(as_text=True)
    with db() as s:
        assert s.get(Feedback, ids["b"][0]).duplicate_of_id == ids["a"][0]
    client = _as(app, "unit")
    html = client.get(page_b).get_data(as_text=True)
    assert "已合并为" in html  # the unit sees the merge, not the citizen's other feedback
    assert "该群众的其他评价" not in html and ids["c"][1] not in html and "撤销合并" not in html
    assert client.post(f"{page_b}/unmerge", data={"csrf_token": _token(client, page_b)}
                       ).status_code == 403
