"""The programme year through the pages: each role's forms, scopes, exports, publicity and
award; and the public page: published data only, nothing personal."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from feedback_api.models import Publicity, PublicityEntry, Submission, Window
from feedback_api.services import cycle as svc
from feedback_api.services import users
from tests.cycle_helpers import force_phase
from wechat_bot import contacts

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PHONE = "13812345678"


def token(client, path: str) -> str:
    html = client.get(path, follow_redirects=True).get_data(as_text=True)
    m = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert m, f"no CSRF token on {path}"
    return m.group(1)


def rec_form(code: str, **extra: str) -> dict[str, str]:
    return {"window": code, "reasons": "窗口服务规范", "features": "一窗通办、延时服务",
            "self_assessment": "对照测评标准逐项自评", "self_score": "91.5",
            "contact_person": "张科长", "contact_phone": PHONE, "endorsement": "同意推荐", **extra}


def score_fields(client, url: str, total: float) -> dict[str, str]:
    """The scoring form's indicator fields (the default standard, in its order) making ``total``."""
    from feedback_api.services.standards import DEFAULT_INDICATORS

    names = re.findall(r'name="(indicator_\d+)"', client.get(url).get_data(as_text=True))
    assert len(names) == len(DEFAULT_INDICATORS)
    return {n: f"{points * total / 100:g}" for n, (_, _, points, _) in zip(names, DEFAULT_INDICATORS, strict=True)}


@pytest.fixture
def people(db, district):
    with db():
        for n in (1, 2, 3):
            users.create_user(None, f"expert{n}", role="expert", password=f"expert{n}-password",
                              display_name=f"评审专家{n}")
        users.create_user(None, "authority-tax", role="authority",
                          password="authority-tax-password", scopes=["tax"])
    return district


@pytest.fixture
def year(client, auth, people, db):
    """The office opens this year, with the recommendation deadline still ahead."""
    auth.login("office")
    today = svc.local_today()
    resp = client.post("/cycle/new", data={"year": today.year, "csrf_token": token(client, "/cycle/")})
    assert resp.status_code == 302
    with db():  # the later phases after the recommendation deadline set below, whatever today is
        c = svc.get_cycle(today.year)
        force_phase(c, "review", today + timedelta(days=3), today + timedelta(days=9))
        force_phase(c, "publicity", today + timedelta(days=10), today + timedelta(days=40))
    tok = token(client, f"/cycle/{today.year}")
    resp = client.post(f"/cycle/{today.year}/phases/recommendation", data={
        "recommendation-kind": "recommendation", "csrf_token": tok,
        "recommendation-starts_on": (today - timedelta(days=20)).isoformat(),
        "recommendation-ends_on": (today + timedelta(days=2)).isoformat()})
    assert resp.status_code == 302
    with db():
        c = svc.get_cycle(today.year)
        assert c.phase("recommendation").ends_on == today + timedelta(days=2)
        # The publicity phase (summaries, good practices) is already over: a late one shows.
        force_phase(c, "publicity", today - timedelta(days=30), today - timedelta(days=1))
    client.post("/logout", data={"csrf_token": token(client, "/")})
    return today.year


def submit_recommendation(client, auth, user, code, **extra):
    auth.login(user)
    path = f"/cycle/{svc.local_today().year}/new/recommendation"
    data = {**rec_form(code, **extra), "csrf_token": token(client, path), "action": "submit",
            "attachments": (io.BytesIO(PDF), "推荐材料.pdf")}
    resp = client.post(path, data=data, content_type="multipart/form-data")
    client.post("/logout", data={"csrf_token": token(client, "/")})
    return resp


def test_the_year_through_the_pages(client, auth, db, year):
    # Authorities submit: health two windows, tax one; drafts first.
    auth.login("authority")
    page = client.get(f"/cycle/{year}").get_data(as_text=True)
    assert "推荐申报" in page and "行业推荐表" in page
    due = svc.local_today() + timedelta(days=2)
    assert f"（推荐申报 {due.month}月{due.day}日截止）" in page  # the nav, on every page
    assert "还有 2 天" in page
    path = f"/cycle/{year}/new/recommendation"
    form_page = client.get(path).get_data(as_text=True)
    assert "CD-RMYY-001" in form_page and "CD-SW-001" not in form_page  # own industry only
    resp = client.post(path, data={**rec_form("CD-RMYY-001", reasons=""), "action": "draft",
                                   "csrf_token": token(client, path)})
    assert resp.status_code == 302
    draft_url = resp.headers["Location"]
    sid = int(draft_url.rstrip("/").split("/")[-1])
    # Submitting an incomplete draft keeps the draft and says what is missing.
    resp = client.post(f"/cycle/submissions/{sid}/submit",
                       data={"csrf_token": token(client, draft_url)}, follow_redirects=True)
    assert "请填写推荐理由" in resp.get_data(as_text=True)
    edit = f"/cycle/submissions/{sid}/edit"
    resp = client.post(edit, data={**rec_form("CD-RMYY-001"), "action": "submit",
                                   "csrf_token": token(client, edit),
                                   "attachments": (io.BytesIO(PDF), "自评表.pdf")},
                       content_type="multipart/form-data", follow_redirects=True)
    text = resp.get_data(as_text=True)
    assert "已提交" in text and "自评表.pdf" in text
    client.post("/logout", data={"csrf_token": token(client, "/")})
    assert submit_recommendation(client, auth, "authority", "CD-RMYY-002").status_code == 302
    assert submit_recommendation(client, auth, "authority-tax", "CD-SW-001").status_code == 302
    with db() as s:
        subs = {x.window.code: x for x in s.scalars(sa.select(Submission)).all()}
        assert {x.state for x in subs.values()} == {"submitted"}
        assert not any(x.late for x in subs.values())
        ids = {code: x.id for code, x in subs.items()}
        att = subs["CD-RMYY-001"].attachments[0]
    # A late summary: the publicity phase ended yesterday.
    auth.login("authority")
    spath = f"/cycle/{year}/new/summary"
    resp = client.post(spath, data={"industry": "health", "title": "卫生健康行业年度总结",
                                    "text": "全年创建情况", "action": "submit",
                                    "csrf_token": token(client, spath)}, follow_redirects=True)
    assert "逾期" in resp.get_data(as_text=True)
    # Scopes: tax's form is invisible to health; the unit cannot recommend.
    assert client.get(f"/cycle/submissions/{ids['CD-SW-001']}").status_code == 404
    with client.get(f"/cycle/submissions/{ids['CD-RMYY-001']}/attachments/{att.id}") as got:
        assert (got.data, got.mimetype) == (PDF, "application/pdf")
    assert client.get(f"/cycle/submissions/{ids['CD-SW-001']}/attachments/{att.id}").status_code == 404
    client.post("/logout", data={"csrf_token": token(client, "/")})
    auth.login("unit")
    assert client.get(f"/cycle/{year}/new/recommendation").status_code == 403
    assert client.get(f"/cycle/submissions/{ids['CD-SW-001']}").status_code == 404
    client.post("/logout", data={"csrf_token": token(client, "/")})
    auth.login("agency")
    assert client.get("/cycle/").status_code == 403
    client.post("/logout", data={"csrf_token": token(client, "/")})

    # The office: status board with the late one marked, return with a reason, accept, assign.
    auth.login("office")
    board = client.get(f"/cycle/{year}/status").get_data(as_text=True)
    assert "卫生健康" in board and "税务" in board and "逾期提交 1 份" in board
    health_row = next(x for x in board.split("<section") if "<h2>卫生健康" in x)
    assert "未报送</span> 创建工作方案</p>" in health_row  # recommended and summarised, no plan
    url = f"/cycle/submissions/{ids['CD-RMYY-002']}"
    assert client.post(f"{url}/return", data={"reason": "", "csrf_token": token(client, url)}
                       ).status_code == 302
    with db() as s:
        assert s.get(Submission, ids["CD-RMYY-002"]).state == "submitted"  # no reason, no return
    client.post(f"{url}/return", data={"reason": "请补充近三年群众满意度", "csrf_token": token(client, url)})
    assert "请补充近三年群众满意度" in client.get(url).get_data(as_text=True)
    client.post("/logout", data={"csrf_token": token(client, "/")})
    auth.login("authority")
    edit = f"/cycle/submissions/{ids['CD-RMYY-002']}/edit"
    assert "请补充近三年群众满意度" in client.get(edit).get_data(as_text=True)
    resp = client.post(edit, data={**rec_form("CD-RMYY-002", reasons="满意度 98%"), "action": "submit",
                                   "csrf_token": token(client, edit)})
    assert resp.status_code == 302
    client.post("/logout", data={"csrf_token": token(client, "/")})
    auth.login("office")
    with db():
        expert_ids = {n: users.get_user(n).id for n in ("expert1", "expert2", "expert3")}
    for code, sid in ids.items():
        url = f"/cycle/submissions/{sid}"
        assert client.post(f"{url}/accept", data={"csrf_token": token(client, url)}).status_code == 302
        chosen = ["expert1", "expert2", "expert3"] if code != "CD-SW-001" else ["expert1", "expert2"]
        client.post(f"{url}/assign", data={"experts": [str(expert_ids[n]) for n in chosen],
                                           "csrf_token": token(client, url)})
    xlsx = client.get(f"/cycle/{year}/recommendations.xlsx")
    assert xlsx.status_code == 200
    ws = load_workbook(io.BytesIO(xlsx.data)).worksheets[0]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0][:5] == ["序号", "行业", "窗口编号", "窗口名称", "窗口单位"]
    assert {r[2] for r in rows[1:]} == {"CD-RMYY-001", "CD-RMYY-002", "CD-SW-001"}
    sent = rows[0].index("提交时间")
    assert all(isinstance(r[sent], datetime) for r in rows[1:])  # a date, not text
    assert ws.cell(row=2, column=sent + 1).number_format == "yyyy-mm-dd hh:mm"
    ledger = load_workbook(io.BytesIO(xlsx.data))["业内窗口单位登记台账"]  # the office's ledger
    codes = {r[0].value for r in ledger.iter_rows(min_row=2)}
    assert {"CD-RMYY-001", "CD-RMYY-002", "CD-SW-001"} <= codes
    client.post("/logout", data={"csrf_token": token(client, "/")})

    # Experts score what is theirs; expert3 sees only its two and is far off on one.
    marks = {"expert1": {"CD-RMYY-001": 90, "CD-RMYY-002": 86, "CD-SW-001": 80},
             "expert2": {"CD-RMYY-001": 92, "CD-RMYY-002": 84, "CD-SW-001": 78},
             "expert3": {"CD-RMYY-001": 60, "CD-RMYY-002": 85}}
    for expert, theirs in marks.items():
        auth.login(expert)
        page = client.get(f"/cycle/{year}/scoring").get_data(as_text=True)
        for code, sid in ids.items():
            if code in theirs:
                url = f"/cycle/submissions/{sid}"
                if expert == "expert1" and code == "CD-RMYY-001":  # over an indicator's points
                    bad = score_fields(client, url, 90)
                    bad[next(iter(bad))] = "15.5"
                    html = client.post(f"{url}/score", follow_redirects=True, data={
                        **bad, "csrf_token": token(client, url)}).get_data(as_text=True)
                    assert "得分应在 0–15 之间" in html and "当前总分" not in html
                resp = client.post(f"{url}/score", data={
                    **score_fields(client, url, theirs[code]), "comment": "材料完整",
                    "csrf_token": token(client, url)})
                assert resp.status_code == 302
        if expert == "expert3":
            assert "发票领用" not in page and client.get(
                f"/cycle/submissions/{ids['CD-SW-001']}").status_code == 404
            assert client.get(f"/cycle/{year}/review").status_code == 403
        client.post("/logout", data={"csrf_token": token(client, "/")})

    auth.login("office")
    review = client.get(f"/cycle/{year}/review").get_data(as_text=True)
    assert "偏离：评审专家3" in review and "80.67" in review
    wb = load_workbook(io.BytesIO(client.get(f"/cycle/{year}/review.xlsx").data))
    mean = wb.active.cell(row=2, column=7)  # CD-RMYY-002 ranks first
    assert mean.value == 85 and mean.number_format == "0.00"  # a number Excel can sort and sum
    pdf = client.get(f"/cycle/{year}/review.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF") and b"STSong-Light" in pdf.data
    printed = client.get(f"/cycle/submissions/{ids['CD-RMYY-001']}/print").get_data(as_text=True)
    assert "行业推荐表" in printed and "print.css" in printed and "<script" not in printed
    assert ">91.5<" in printed and "张科长" in printed

    # Publicity: open now, an objection, answered; the public page shows the list.
    today = svc.local_today()
    ppath = f"/cycle/{year}/publicity"
    # Dates the wrong way round: the page says so and keeps what the office typed.
    resp = client.post(ppath, data={"starts_on": today.isoformat(),
                                    "ends_on": (today - timedelta(days=3)).isoformat(),
                                    "candidates": [str(ids["CD-RMYY-001"])],
                                    "notice": "公示期间接受群众监督😀", "csrf_token": token(client, ppath)})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "公示期间接受群众监督😀" in html
    assert f'value="{today.isoformat()}"' in html and "flash-error" in html
    resp = client.post(ppath, data={"starts_on": (today - timedelta(days=3)).isoformat(),
                                    "ends_on": today.isoformat(),
                                    "candidates": [str(ids["CD-RMYY-001"]), str(ids["CD-RMYY-002"])],
                                    "csrf_token": token(client, ppath)})
    assert resp.status_code == 302
    with db() as s:
        p = s.scalars(sa.select(Publicity)).one()
        entry = next(e for e in p.entries if e.window.code == "CD-RMYY-001")
        entry_id, other_id = entry.id, next(e.id for e in p.entries if e.id != entry.id)
    # No date: the page says so and keeps the typed text in that entry's form only, opened.
    resp = client.post(f"/cycle/entries/{entry_id}/objections", data={
        "received_on": "", "channel": "来电", "text": "该窗口曾有推诿现象😀",
        "csrf_token": token(client, ppath)})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "flash-error" in html and "请填写收到日期" in html
    assert html.count("该窗口曾有推诿现象😀") == 1 and 'value="来电"' in html
    assert html.count("<details open>") == 1
    client.post(f"/cycle/entries/{entry_id}/objections", data={
        "received_on": today.isoformat(), "channel": "来信", "text": "该窗口曾有推诿现象",
        "csrf_token": token(client, ppath)})
    page = client.get(ppath).get_data(as_text=True)
    assert "该窗口曾有推诿现象" in page and "待答复" in page and "期满后命名" in page
    client.post("/logout", data={"csrf_token": token(client, "/")})
    public = client.get("/public").get_data(as_text=True)
    assert "拟命名名单公示" in public and "门诊挂号收费处" in public and "发票领用" not in public
    assert "推诿" not in public  # objections are the office's business

    # The period passes; the objection is answered; both are awarded.
    with db() as s:
        s.get(Publicity, p.id).ends_on = today - timedelta(days=1)
        s.get(Publicity, p.id).starts_on = today - timedelta(days=8)
    auth.login("office")
    resp = client.post(f"/cycle/entries/{entry_id}/award", data={"csrf_token": token(client, ppath)},
                       follow_redirects=True)
    assert "尚有未答复的异议" in resp.get_data(as_text=True)
    with db() as s:
        objection_id = s.get(PublicityEntry, entry_id).objections[0].id
    # A wrong outcome: the typed answer stays in that objection's form.
    resp = client.post(f"/cycle/objections/{objection_id}/answer", data={
        "outcome": "nonsense", "answer": "经核查已整改😀", "csrf_token": token(client, ppath)})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "flash-error" in html
    assert html.count("经核查已整改😀") == 1 and html.count("<details open>") == 1
    client.post(f"/cycle/objections/{objection_id}/answer", data={
        "outcome": "dismissed", "answer": "经核查已整改", "csrf_token": token(client, ppath)})
    for eid in (entry_id, other_id):
        resp = client.post(f"/cycle/entries/{eid}/award", data={"csrf_token": token(client, ppath)},
                           follow_redirects=True)
        assert "已命名" in resp.get_data(as_text=True)
    with db() as s:
        w = s.scalars(sa.select(Window).where(Window.code == "CD-RMYY-001")).one()
        assert (w.status, w.status_year) == ("demonstration", year)
        assert s.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one().status == "candidate"


def test_post_without_csrf_is_refused(client, auth, year):
    auth.login("office")
    assert client.post("/cycle/new", data={"year": "2030"}).status_code == 400


@pytest.fixture
def published_district(db, district):
    """A demonstration window with personal data all around it: the unit's contact, a
    recommendation's phone, a citizen's feedback with name, phone, ID number and openid."""
    from feedback_api.models import Unit
    from feedback_api.services import feedback as feedback_service

    with db() as s:
        office = users.get_user("office")
        unit = s.scalars(sa.select(Unit).where(Unit.code == "CD-RMYY")).one()
        unit.contact_person, unit.contact_phone = "王主任", "13987654321"
        w = s.scalars(sa.select(Window).where(Window.code == "CD-RMYY-001")).one()
        w.status, w.status_year = "demonstration", 2025
        w.contact_person, w.contact_phone = "赵窗口", "0571-86001234"
        c = svc.create_cycle(office, 2026)
        sub = svc.save_draft(office, c, "recommendation", {
            "window": "CD-RMYY-002", "reasons": "r", "features": "f", "self_assessment": "s",
            "contact_person": "钱联系", "contact_phone": PHONE, "endorsement": "e"})
        svc.submit(office, sub)
        gp = svc.save_draft(users.get_user("authority"), c, "good_practice", {
            "window": "CD-RMYY-001", "practice_kind": "method", "title": "“一站式”挂号工作法",
            "text": "首问负责，一次办结"})
        svc.submit(users.get_user("authority"), gp)
        svc.accept(office, gp)
        svc.publish_good_practice(office, gp)
        hidden = svc.save_draft(users.get_user("authority"), c, "good_practice", {
            "window": "CD-RMYY-001", "practice_kind": "case", "title": "未发布的案例", "text": "x"})
        svc.submit(users.get_user("authority"), hidden)
        svc.publish_snapshot(office, kind="assessment", source="assessment:2026Q3:CD-RMYY-001",
                             period="2026Q3", window=w,
                             payload={"score": 93.5, "grade": "优秀", "inspector_phone": "13700001111"})
        citizen = contacts.get_or_create_citizen("oPrivacyOpenid1234567890abc")
        feedback_service.record_feedback(
            w, citizen=citizen, channel="wechat", rating=1,
            text="我是孙小美，电话13611112222，身份证330102199001011234，挂号太慢")


def test_public_page_shows_published_data_and_nothing_personal(client, published_district):
    resp = client.get("/public")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
    assert "门诊挂号收费处" in html and "2025年度示范窗口" in html
    assert "93.5" in html and "优秀" in html and "2026年第三季度" in html
    assert "“一站式”挂号工作法" in html
    assert "未发布的案例" not in html  # submitted, not published
    assert "住院结算窗口" not in html  # a candidate, not on publicity
    assert_nothing_personal(html)


def assert_nothing_personal(html: str, *more: str) -> None:
    """No phone numbers, ID numbers, e-mail addresses, openids or names from anywhere around
    the public page's data (``published_district``), nor any of ``more``."""
    assert not re.search(r"1[3-9]\d{9}", html)
    assert not re.search(r"\d{3,4}-\d{7,8}", html)
    assert not re.search(r"\d{17}[\dXx]", html)
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", html)
    assert "oPrivacyOpenid" not in html
    for name in ("孙小美", "王主任", "赵窗口", "钱联系", "张科长", *more):
        assert name not in html
    assert "<script" not in html and "style=" not in html and "http" not in html.replace(
        'xmlns="http', "")


def test_public_page_drops_a_delisted_window_and_its_cases(client, db, published_district):
    with db() as s:
        w = s.scalars(sa.select(Window).where(Window.code == "CD-RMYY-001")).one()
        w.status, w.status_reason = "delisted", "重大事件"
    html = client.get("/public").get_data(as_text=True)
    assert "门诊挂号收费处" not in html and "“一站式”挂号工作法" not in html and "93.5" not in html


def test_office_takes_a_good_practice_off_the_public_page(client, auth, db, published_district):
    assert "“一站式”挂号工作法" in client.get("/public").get_data(as_text=True)
    with db() as s:
        sid = s.scalars(sa.select(Submission.id).where(Submission.title == "“一站式”挂号工作法")).one()
    auth.login("office")
    url = f"/cycle/submissions/{sid}"
    page = client.get(url).get_data(as_text=True)
    assert "从公开页面撤下" in page
    resp = client.post(f"{url}/unpublish", data={"csrf_token": token(client, url)}, follow_redirects=True)
    assert "已从公开页面撤下" in resp.get_data(as_text=True)
    assert "“一站式”挂号工作法" not in client.get("/public").get_data(as_text=True)


def test_public_page_without_any_data(client, app):
    resp = client.get("/public")
    assert resp.status_code == 200
    assert "暂无公开信息" in resp.get_data(as_text=True)


@pytest.mark.parametrize("user,password", [
    ("office", "office-demo-2026"), ("authority-health", "health-demo-2026"),
    ("unit-sw", "unit-demo-2026"), ("expert", "expert-demo-2026"),
])
def test_crawl_the_cycle_pages(client, auth, db, user, password):
    """Every cycle page reachable by links, as each role, answers without an error, and
    a scoped user is never linked to a page it may not see."""
    from urllib.parse import urldefrag, urlsplit

    from feedback_api.demo import seed_demo

    with db():
        seed_demo(feedback_per_window=0)
    auth.login(user, password)
    seen, queue, statuses = set(), ["/cycle/"], {}
    while queue and len(seen) < 80:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        resp = client.get(url, follow_redirects=True)
        statuses[url] = resp.status_code
        if resp.mimetype != "text/html":
            continue
        for href in re.findall(r'href="([^"]+)"', resp.get_data(as_text=True)):
            href = urldefrag(href.replace("&amp;", "&"))[0]
            if urlsplit(href).netloc or not href.startswith(("/cycle", "/public")):
                continue
            if href not in seen:
                queue.append(href)
    assert len(seen) > 3
    assert any("/cycle/submissions/" in u for u in seen) or user == "unit-sw"
    assert {u: s for u, s in statuses.items() if s >= 400} == {}


@pytest.mark.parametrize("user,password,shown", [
    ("expert", "expert-demo-2026", False), ("office", "office-demo-2026", True),
])
def test_the_nav_links_an_expert_only_to_its_cycle_pages(client, auth, db, user, password, shown):
    from feedback_api.demo import seed_demo

    with db():
        seed_demo(feedback_per_window=0)
    auth.login(user, password)
    html = client.get("/cycle/", follow_redirects=True).get_data(as_text=True)
    nav = html.split("<nav>", 1)[1].split("</nav>", 1)[0]
    assert 'href="/cycle/"' in nav
    for path in ("/windows", "/feedback", "/tickets", "/assessment"):
        assert (f'href="{path}' in nav) is shown, path


def test_the_self_assessment_against_the_standard(client, auth, db, year):
    """The recommendation form has one field per indicator of the year's standard; filled in,
    they make the self-score (the typed one is replaced); a partial one is refused, nothing lost."""
    from feedback_api.services.standards import DEFAULT_INDICATORS

    auth.login("authority")
    path = f"/cycle/{year}/new/recommendation"
    names = re.findall(r'name="(self_\d+)"', client.get(path).get_data(as_text=True))
    assert len(names) == len(DEFAULT_INDICATORS)
    scores = {n: f"{w * 0.8:g}" for n, (_, _, w, _) in zip(names, DEFAULT_INDICATORS, strict=True)}
    partial = client.post(path, follow_redirects=True, data={
        **rec_form("CD-RMYY-001"), names[0]: "12", "action": "draft", "csrf_token": token(client, path)})
    assert "逐项自评有误" in partial.get_data(as_text=True)
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Submission)) == 0
    resp = client.post(path, data={**rec_form("CD-RMYY-001"), **scores, "action": "draft",
                                   "csrf_token": token(client, path)})
    assert resp.status_code == 302
    with db() as s:
        sub = s.scalars(sa.select(Submission)).one()
        assert sub.data["self_score"] == 80.0  # not the 91.5 typed in
        assert sub.data["self_scores"]["服务态度"] == 12.0
    printed = client.get(f"/cycle/submissions/{sub.id}/print").get_data(as_text=True)
    assert "服务态度 12；办事效率 12" in printed
    edit = client.get(f"/cycle/submissions/{sub.id}/edit").get_data(as_text=True)
    assert re.search(rf'name="{names[0]}"[^>]*value="12(\.0)?"', edit)  # kept for editing


def test_the_years_submissions_come_in_pages(client, auth, db, year):
    with db():
        office, c = users.get_user("office"), svc.get_cycle(year)
        for n in range(21):
            svc.save_draft(office, c, "good_practice", {
                "industry": "tax", "practice_kind": "case", "title": f"案例{n:02d}", "text": "内容"})
    auth.login("office")
    first = client.get(f"/cycle/{year}").get_data(as_text=True)
    assert "21 份" in first and "第 1 / 2 页" in first and f"/cycle/{year}?page=2" in first
    second = client.get(f"/cycle/{year}?page=2").get_data(as_text=True)
    assert second.count("/cycle/submissions/") == 1 and "第 2 / 2 页" in second
    assert client.get(f"/cycle/{year}?page=99999999").status_code == 200



def test_phase_dates_out_of_order_are_refused_on_the_page(client, auth, db, people):
    with db():
        svc.create_cycle(users.get_user("office"), 2031)
    auth.login("office")
    tok = token(client, "/cycle/2031")
    resp = client.post("/cycle/2031/phases/review", data={
        "review-kind": "review", "csrf_token": tok,
        "review-starts_on": "2031-06-01", "review-ends_on": "2031-07-15"}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "flash-error" in html
    assert "评审评定须在推荐申报截止（2031-06-05）之后开始" in html
    resp = client.post("/cycle/2031/phases/publicity", data={
        "publicity-kind": "publicity", "csrf_token": tok,
        "publicity-starts_on": "2031-08-15", "publicity-ends_on": "2031-07-16"}, follow_redirects=True)
    assert "公示与宣传的开始日期（2031-08-15）不能晚于截止日期（2031-07-16）" in resp.get_data(as_text=True)
    with db():
        phases = {p.kind: (p.starts_on.isoformat(), p.ends_on.isoformat())
                  for p in svc.get_cycle(2031).phases}
    assert phases["review"] == ("2031-06-06", "2031-07-15")
    assert phases["publicity"] == ("2031-07-16", "2031-08-15")
