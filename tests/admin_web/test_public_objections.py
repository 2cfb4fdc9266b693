"""The public's objections on the public page during publicity (公示): no sign-in, CSRF, a rate
limit per address, length limits and polite Chinese errors; they land in the office's list,
marked as from the public, and nothing of them (least of all the contact) shows publicly."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from admin_web.public import TOO_MANY
from feedback_api.models import Objection, Publicity
from feedback_api.services import cycle as svc
from feedback_api.services import users
from tests.admin_web.test_browser import live_server, page  # noqa: F401  (fixtures)
from tests.admin_web.test_browser import pytestmark as needs_chromium
from tests.admin_web.test_cycle_pages import (  # noqa: F401  (published_district: a fixture)
    assert_nothing_personal,
    published_district,
    token,
)
from tests.feedback_api.test_cycle import accept_and_score

CONTACT = "13900001111"
TEXT = "住院结算窗口上月多次无故拒收现金，群众反映强烈"


@pytest.fixture
def publicity(db, published_district):  # noqa: F811
    """The recommended CD-RMYY-002 (住院结算窗口), scored, on a publicity period open today."""
    with db() as s:
        sub = accept_and_score(s)
        today = svc.local_today()
        p = svc.open_publicity(users.get_user("office"), sub.cycle, today - timedelta(days=1),
                               today + timedelta(days=5))
        return {"publicity": p.id, "entry": p.entries[0].id}


def post(client, data: dict[str, str], *, csrf: bool = True):
    if csrf:
        data = {"csrf_token": token(client, "/public"), **data}
    return client.post("/public/objections", data=data)


#: The hour's limit of this test (``WW_OBJECTION_RATE_LIMIT``), other than the default 10.
OBJECTION_LIMIT = 8


def test_the_public_objects_and_the_office_answers(app, client, auth, db, publicity, token_for,
                                                   monkeypatch):
    monkeypatch.setitem(app.config, "WW_OBJECTION_RATE_LIMIT", OBJECTION_LIMIT)
    resp = client.get("/public")
    html = resp.get_data(as_text=True)
    assert "对公示名单提出异议" in html and resp.headers["Cache-Control"] == "private, no-store"
    entry = int(re.search(r'<option value="(\d+)">住院结算窗口', html).group(1))
    assert entry == publicity["entry"]

    assert post(client, {"entry": str(entry), "text": TEXT}, csrf=False).status_code == 400
    for data, message in (
            ({"entry": str(entry), "text": "  "}, "请填写异议内容"),
            ({"entry": str(entry), "text": "长" * 2001}, "异议内容请不要超过 2000 字"),
            ({"entry": str(entry), "text": TEXT, "contact": "找我"}, "联系方式请填写手机号码"),
            ({"entry": "abc", "text": TEXT}, "请选择您有异议的窗口"),
            ({"entry": "999999", "text": TEXT}, "公示条目不存在")):
        resp = post(client, data)
        assert resp.status_code in (400, 404) and message in resp.get_data(as_text=True), data
        if data["text"] == TEXT:  # what the citizen typed stays in the form
            assert TEXT in resp.get_data(as_text=True), data
    with db() as s:
        assert s.scalars(sa.select(Objection)).all() == []

    resp = post(client, {"entry": str(entry), "text": TEXT, "contact": CONTACT})
    assert resp.status_code == 302 and resp.location.endswith("/public?objection=received#objection")
    html = client.get(resp.location).get_data(as_text=True)
    assert "您的异议已收到" in html
    # Nothing of it on the public page, least of all the contact.
    assert_nothing_personal(html, CONTACT, TEXT[:8])
    with db() as s:
        [o] = s.scalars(sa.select(Objection)).all()
        assert (o.from_public, o.contact, o.recorded_by, o.outcome, o.text) == (
            True, CONTACT, None, "pending", TEXT)

    # Every attempt counts against the address (six so far: the CSRF refusal never reached
    # the view); past the hour's limit it is refused politely, the form kept.
    for _ in range(OBJECTION_LIMIT - 6):
        assert post(client, {"entry": str(entry), "text": ""}).status_code == 400
    resp = post(client, {"entry": str(entry), "text": TEXT})
    assert resp.status_code == 429 and TOO_MANY in resp.get_data(as_text=True)
    with db() as s:
        assert len(s.scalars(sa.select(Objection)).all()) == 1

    # The office's list shows it, marked, with the contact for the answer; answered as usual.
    auth.login("office")
    listing = client.get("/cycle/2026/publicity").get_data(as_text=True)
    assert "（公众提交）" in listing and CONTACT in listing and TEXT in listing
    with db() as s:
        oid = s.scalars(sa.select(Objection.id)).one()
    resp = client.post(f"/cycle/objections/{oid}/answer", data={
        "outcome": "dismissed", "answer": "经核查，该窗口现金收付正常", "csrf_token": token(client, "/cycle/2026/publicity")})
    assert resp.status_code == 302
    items = client.get("/api/v1/objections?year=2026", headers=token_for("office")).get_json()["items"]
    assert [(i["from_public"], i["contact"], i["outcome"]) for i in items] == [
        (True, CONTACT, "dismissed")]


def test_the_limit_comes_from_the_environment_and_a_bad_one_stops_start_up(app_config,
                                                                         monkeypatch):
    from admin_web.app import create_app
    from feedback_api.config import ConfigError, load_config

    assert load_config(app_config)["WW_OBJECTION_RATE_LIMIT"] == 10
    monkeypatch.setenv("WW_OBJECTION_RATE_LIMIT", "3")
    assert load_config(app_config)["WW_OBJECTION_RATE_LIMIT"] == 3
    for bad, message in (("0", "must be between 1 and 1000"), ("many", "must be an integer")):
        monkeypatch.setenv("WW_OBJECTION_RATE_LIMIT", bad)
        with pytest.raises(ConfigError, match=f"WW_OBJECTION_RATE_LIMIT {message}"):
            create_app(app_config)


def test_no_objection_form_outside_the_period(client, db, publicity):
    with db() as s:
        p = s.get(Publicity, publicity["publicity"])
        p.starts_on, p.ends_on = p.starts_on - timedelta(days=20), p.starts_on - timedelta(days=10)
    resp = client.get("/public")
    html = resp.get_data(as_text=True)
    assert "对公示名单提出异议" not in html and "<form" not in html
    assert resp.headers["Cache-Control"] == "public, max-age=60"
    csrf = token(client, "/login")
    resp = client.post("/public/objections", data={"csrf_token": csrf,
                                                   "entry": str(publicity["entry"]), "text": TEXT})
    assert resp.status_code == 409 and "不在公示期内，不能提出异议" in resp.get_data(as_text=True)
    with db() as s:
        assert s.scalars(sa.select(Objection)).all() == []


@needs_chromium
def test_a_citizen_objects_in_a_real_browser(live_server, page, db, publicity):  # noqa: F811
    """Debian's chromium, no sign-in: the form on the public page, on a phone-sized screen."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/public")
    page.select_option("select[name=entry]", str(publicity["entry"]))
    page.fill("textarea[name=text]", TEXT)
    page.fill("input[name=contact]", "jubao@example.cn")
    page.click("button:has-text('提交异议')")
    page.wait_for_selector("text=您的异议已收到")
    assert "jubao@example.cn" not in page.content()
    with db() as s:
        [o] = s.scalars(sa.select(Objection)).all()
        assert (o.from_public, o.contact, o.entry_id) == (True, "jubao@example.cn", publicity["entry"])


@needs_chromium
@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1920, "height": 1080}],
                         ids=["phone", "big-screen"])
def test_the_public_page_fits_a_phone_and_a_big_screen(live_server, page, publicity,  # noqa: F811
                                                       viewport):
    """Issue 15: fit to show on a media open day, on a phone and on a big screen: nothing runs
    off the side (no sideways scrolling), and the windows, results and the publicity list show."""
    page.set_viewport_size(viewport)
    page.goto(f"{live_server}/public")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    for text in ("门诊挂号收费处", "93.5", "“一站式”挂号工作法", "住院结算窗口"):
        assert page.locator(f"text={text}").first.is_visible(), text
    rights = page.evaluate("[...document.querySelectorAll('main *')]"
                           ".map(e => e.getBoundingClientRect().right)")
    assert len(rights) > 20 and max(rights) <= viewport["width"] + 1
