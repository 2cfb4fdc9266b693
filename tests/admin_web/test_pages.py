"""Sign-in, CSRF, and the registry pages as each role sees them."""

import io
import re

import pytest
import sqlalchemy as sa

from feedback_api.models import Window


def test_pages_need_sign_in(client, district):
    resp = client.get("/windows")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_wrong_password_is_refused_politely(client, auth, district):
    resp = auth.login("office", "wrong-password")
    assert resp.status_code == 200
    assert "用户名或密码错误" in resp.get_data(as_text=True)
    assert client.get("/windows").status_code == 302


def test_login_without_csrf_token_is_refused(client, district):
    resp = client.post("/login", data={"username": "office", "password": "office-password"})
    assert resp.status_code == 400
    assert "CSRF" in resp.get_data(as_text=True)
    assert client.get("/windows").status_code == 302


def test_open_redirect_is_not_followed(client, auth, district):
    token = auth.csrf_token()
    resp = client.post("/login?next=https://evil.example/", data={
        "username": "office", "password": "office-password", "csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"


@pytest.mark.parametrize("user,visible,hidden", [
    ("office", ["CD-SW-001", "CD-RMYY-001"], []),
    ("agency", ["CD-SW-001", "CD-RMYY-001"], []),
    ("authority", ["CD-RMYY-001", "CD-RMYY-002"], ["CD-SW-001"]),
    ("unit", ["CD-SW-001", "CD-SW-002"], ["CD-RMYY-001"]),
])
def test_each_role_signs_in_and_sees_its_scope(client, auth, district, user, visible, hidden):
    resp = auth.login(user)
    assert resp.status_code == 302
    page = client.get("/windows").get_data(as_text=True)
    for code in visible:
        assert code in page
        assert client.get(f"/windows/{code}").status_code == 200
    for code in hidden:
        assert code not in page
        assert client.get(f"/windows/{code}").status_code == 404
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("user,status", [("office", 200), ("authority", 200), ("agency", 403),
                                         ("unit", 403)])
def test_only_office_and_authority_edit(client, auth, district, user, status):
    auth.login(user)
    code = "CD-RMYY-001"
    assert client.get(f"/windows/{code}/edit").status_code == status
    assert client.get("/windows/import").status_code == status


def test_edit_window_through_the_form(client, auth, db, district):
    auth.login("office")
    page = client.get("/windows/CD-SW-001/edit").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    form = {"csrf_token": token, "code": "CD-SW-001", "name": "综合办税服务窗口", "unit": "CD-SW",
            "staff_count": "6", "status": "demonstration", "status_year": "2026"}
    resp = client.post("/windows/CD-SW-001/edit", data=form)
    assert resp.status_code == 302
    with db() as s:
        w = s.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        assert (w.name, w.staff_count, w.status, w.status_year) == ("综合办税服务窗口", 6, "demonstration", 2026)
    bad = dict(form, staff_count="-3", status="delisted")
    resp = client.post("/windows/CD-SW-001/edit", data=bad)
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    assert "人数应在" in text
    with db() as s:
        assert s.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one().staff_count == 6


def test_delisting_without_reason_shows_the_error(client, auth, db, district):
    auth.login("office")
    page = client.get("/windows/CD-SW-002/edit").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    resp = client.post("/windows/CD-SW-002/edit", data={
        "csrf_token": token, "code": "CD-SW-002", "name": "发票领用窗口", "unit": "CD-SW",
        "status": "delisted", "status_reason": ""})
    assert resp.status_code == 200 and "摘牌须填写原因" in resp.get_data(as_text=True)
    with db() as s:
        assert s.scalars(sa.select(Window).where(Window.code == "CD-SW-002")).one().status == "candidate"


def test_import_page_reports_bad_rows_by_line(client, auth, db, district):
    auth.login("office")
    token = auth.csrf_token("/windows/import")
    data = "窗口编号,窗口名称,所属单位\nCD-SW-007,新窗口,CD-SW\nCD-SW-007,重复,CD-SW\n".encode("gb18030")
    resp = client.post("/windows/import", data={"csrf_token": token,
                                                "file": (io.BytesIO(data), "台账.csv")},
                       content_type="multipart/form-data")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "新增 1 个" in text and "与第 2 行重复" in text
    assert re.search(r"<td>3</td>\s*<td class=\"mono\">CD-SW-007</td>", text)
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Window).where(Window.code == "CD-SW-007")) == 1


def test_the_ledger_template_imports_cleanly_with_one_row_filled(client, auth, db, district):
    """The import page offers an Excel template (as the inspection import does); filled with one
    valid row, it imports with no error."""
    from openpyxl import load_workbook

    auth.login("office")
    page = client.get("/windows/import").get_data(as_text=True)
    assert 'href="/windows/template.xlsx"' in page
    resp = client.get("/windows/template.xlsx")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in resp.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(resp.data))
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    assert headers[:3] == ["窗口编号*", "窗口名称*", "所属单位*"] and ws.max_row == 1
    values = {"窗口编号*": "CD-SW-008", "窗口名称*": "模板新增窗口", "所属单位*": "CD-SW",
              "窗口人数": 3, "状态": "创建中", "联系电话": "028-12345678"}
    for col, header in enumerate(headers, start=1):
        if header in values:
            ws.cell(row=2, column=col, value=values[header])
    assert ws.data_validations.dataValidation  # 行业 and 状态 offer their lists
    buf = io.BytesIO()
    wb.save(buf)
    resp = client.post("/windows/import", data={"csrf_token": auth.csrf_token("/windows/import"),
                                                "file": (io.BytesIO(buf.getvalue()), "台账.xlsx")},
                       content_type="multipart/form-data")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "新增 1 个" in text and "<th>原因</th>" not in text
    with db() as s:
        w = s.scalars(sa.select(Window).where(Window.code == "CD-SW-008")).one()
        assert (w.name, w.staff_count, w.status, w.contact_phone) == ("模板新增窗口", 3, "candidate",
                                                                     "028-12345678")


def test_import_page_refuses_a_sheet_too_long_for_one_request(client, auth, db, district):
    """10,000 rows outlast the web worker's timeout (a 500 from gunicorn after 60 s): the page
    refuses them at once, in Chinese, storing nothing; the command line takes them."""
    from feedback_api.services import ledger

    auth.login("office")
    rows = "".join(f"CD-SW-{1000 + i},批量窗口{i},CD-SW\n" for i in range(ledger.UPLOAD_MAX_ROWS + 1))
    data = ("窗口编号,窗口名称,所属单位\n" + rows).encode("utf-8")
    resp = client.post("/windows/import", data={"csrf_token": auth.csrf_token("/windows/import"),
                                                "file": (io.BytesIO(data), "台账.csv")},
                       content_type="multipart/form-data")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert f"网页一次最多导入 {ledger.UPLOAD_MAX_ROWS} 行" in text and "window-watch windows import" in text
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Window)) == 4


def test_import_page_refuses_other_file_types(client, auth, district):
    auth.login("office")
    token = auth.csrf_token("/windows/import")
    resp = client.post("/windows/import", data={"csrf_token": token,
                                                "file": (io.BytesIO(b"%PDF-1.4"), "x.pdf")},
                       content_type="multipart/form-data")
    assert resp.status_code == 200 and "只支持 CSV、XLSX 或 XLS" in resp.get_data(as_text=True)


def test_window_list_filters(client, auth, district):
    auth.login("office")
    page = client.get("/windows?industry=health").get_data(as_text=True)
    assert "CD-RMYY-001" in page and "CD-SW-001" not in page
    page = client.get("/windows?q=发票").get_data(as_text=True)
    assert "CD-SW-002" in page and "CD-SW-001" not in page
    # Junk filter values are ignored, not a 500.
    assert client.get("/windows?industry=zzz&status=zzz&page=-4").status_code == 200
    assert client.get("/windows?industry=%00").status_code == 400


def test_export_csv_has_bom_and_scope(client, auth, district):
    auth.login("unit")
    resp = client.get("/windows/export.csv")
    body = resp.get_data().decode("utf-8")
    assert body.startswith("\ufeff窗口编号")
    assert "CD-SW-001" in body and "CD-RMYY-001" not in body


def test_logout_needs_post_with_csrf(client, auth, district):
    auth.login("office")
    assert client.get("/logout").status_code == 405
    token = auth.csrf_token("/windows")
    client.post("/logout", data={"csrf_token": token})
    assert client.get("/windows").status_code == 302


def test_html_errors_are_chinese_pages(client, auth, district):
    auth.login("office")
    resp = client.get("/windows/NOPE-404")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 404 and "页面或数据不存在" in html
    assert '<a href="/">返回首页</a>' in html  # staff go back to their home


@pytest.mark.parametrize("path", ["/f/NOPE-404", "/f/", "/public/nope"])
def test_a_citizens_error_page_never_leads_to_the_staff_home(client, district, path):
    """A citizen reaches /f/… from a QR code or WeChat and /public from the office's notice: its
    error page points to the public list of windows, not to the staff's sign-in."""
    resp = client.get(path)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 404 and "页面或数据不存在" in html
    assert 'href="/"' not in html and "返回首页" not in html and "监督平台</a>" not in html
    assert 'href="/public"' in html


def test_authority_creates_a_window_in_its_industry_only(client, auth, db, district):
    auth.login("authority")
    page = client.get("/windows/new").get_data(as_text=True)
    assert "CD-RMYY" in page and 'value="CD-SW"' not in page  # only its own units offered
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    resp = client.post("/windows/new", data={"csrf_token": token, "code": "CD-RMYY-003",
                                             "name": "出院结算窗口", "unit": "CD-RMYY",
                                             "status": "candidate"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/windows/CD-RMYY-003")
    resp = client.post("/windows/new", data={"csrf_token": token, "code": "CD-SW-003",
                                             "name": "越权窗口", "unit": "CD-SW", "status": "candidate"})
    assert resp.status_code == 200 and "所选项无效" in resp.get_data(as_text=True)
    with db() as s:
        codes = set(s.scalars(sa.select(Window.code)))
    assert "CD-RMYY-003" in codes and "CD-SW-003" not in codes


def test_times_are_shown_in_the_district_time(client, auth, db, district):
    from datetime import UTC, datetime

    from feedback_api.services import feedback as fb

    with db() as s:
        w = s.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        fb.record_feedback(w, citizen=None, channel="h5", rating=4,
                           received_at=datetime(2026, 6, 1, 4, 5, tzinfo=UTC))
    auth.login("office")
    page = client.get("/windows/CD-SW-001").get_data(as_text=True)
    assert "2026-06-01 12:05" in page


def test_window_list_pages_keep_the_filters(client, auth, db, district):
    from feedback_api.services import windows

    with db():
        for i in range(3, 26):
            windows.create_window(None, {"code": f"CD-SW-{i:03d}", "name": f"窗口{i}", "unit": "CD-SW"})
    auth.login("office")
    first = client.get("/windows?industry=tax").get_data(as_text=True)
    assert "第 1 / 2 页" in first and "page=2" in first and "industry=tax" in first
    second = client.get("/windows?industry=tax&page=2").get_data(as_text=True)
    assert "CD-SW-025" in second and "CD-SW-001" not in second and "上一页" in second


def _login_from(client, auth, address, username, password=None):
    client.environ_base["REMOTE_ADDR"] = address
    return auth.login(username, password)


def test_one_address_cannot_lock_an_account_out(client, auth, district):
    from admin_web.auth import SIGN_IN_FAILED

    for _ in range(5):
        resp = _login_from(client, auth, "203.0.113.9", "office", "wrong-password")
        assert SIGN_IN_FAILED in resp.get_data(as_text=True)
    # That address now waits, even with the right password; the office, elsewhere, does not.
    assert SIGN_IN_FAILED in _login_from(client, auth, "203.0.113.9", "office").get_data(as_text=True)
    assert client.get("/windows").status_code == 302
    assert _login_from(client, auth, "198.51.100.7", "office").status_code == 302
    assert client.get("/windows").status_code == 200


def test_every_failed_sign_in_reads_the_same(client, auth, district):
    from admin_web.auth import SIGN_IN_FAILED

    pages = [_login_from(client, auth, "203.0.113.9", "ghost", "wrong-password")]
    pages += [_login_from(client, auth, "203.0.113.9", "office", "wrong-password") for _ in range(5)]
    pages.append(_login_from(client, auth, "203.0.113.9", "office"))  # waiting: the same page
    texts = {re.search(r'<div class="flash flash-error"[^>]*>([^<]*)</div>', p.get_data(as_text=True))
             .group(1) for p in pages}
    assert texts == {SIGN_IN_FAILED} and "锁定" not in SIGN_IN_FAILED


def test_guesses_from_many_addresses_lock_the_account_for_a_while(app, db, district):
    from datetime import timedelta

    from feedback_api.db import utcnow
    from feedback_api.models import AuditLog, User
    from feedback_api.services import signin as users

    addresses = [f"192.0.2.{i}" for i in range(users.ACCOUNT_LOCK_AFTER // users.LOCK_AFTER)]
    for address in addresses:
        for _ in range(users.LOCK_AFTER):
            with db():
                assert users.authenticate("office", "wrong-password", address) is None
    with db():  # locked for everyone, a fresh address and the right password included
        assert users.authenticate("office", "office-password", "198.51.100.7") is None
    with db() as s:
        user = s.scalars(sa.select(User).where(User.username == "office")).one()
        assert user.locked_until is not None and user.failed_logins == users.ACCOUNT_LOCK_AFTER
        assert s.scalars(sa.select(AuditLog).where(AuditLog.action == "lock")).one().actor == "system"
        user.locked_until = utcnow() - timedelta(seconds=1)  # the lock runs out
    with db():
        assert users.authenticate("office", "office-password", "198.51.100.7") is not None
    with db() as s:
        user = s.scalars(sa.select(User).where(User.username == "office")).one()
        assert user.failed_logins == 0 and user.locked_until is None


def test_failures_are_counted_in_sql_not_from_what_the_process_read(app, db, district):
    from feedback_api.db import Session
    from feedback_api.models import User
    from feedback_api.services import signin as users

    with app.app_context():
        user = Session.scalars(sa.select(User).where(User.username == "office")).one()
        assert user.failed_logins == 0
        Session.commit()  # the object stays in the session with what was read
        with app.extensions["ww_engine"].begin() as other:  # another worker's failures meanwhile
            other.execute(sa.update(User).where(User.id == user.id).values(failed_logins=3))
        assert users.authenticate("office", "wrong-password", "203.0.113.9") is None
        Session.commit()
    with db() as s:
        assert s.scalar(sa.select(User.failed_logins).where(User.username == "office")) == 4


def test_one_address_trying_many_names_waits(app, client, auth, db, district):
    from admin_web.auth import SIGN_IN_FAILED
    from feedback_api.services import signin as users

    for i in range(users.ADDRESS_LIMIT):
        with db():
            assert users.authenticate(f"guess-{i}", "wrong-password", "203.0.113.9") is None
    assert SIGN_IN_FAILED in _login_from(client, auth, "203.0.113.9", "agency").get_data(as_text=True)
    assert _login_from(client, auth, "198.51.100.7", "agency").status_code == 302


@pytest.mark.parametrize("user,status", [("office", 200), ("agency", 403), ("authority", 403),
                                         ("unit", 403)])
def test_audit_log_page_is_for_the_office(client, auth, db, district, user, status):
    auth.login("office")
    page = client.get("/windows/CD-SW-001/edit").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/windows/CD-SW-001/edit", data={"csrf_token": token, "code": "CD-SW-001",
                                                 "name": "改过的名字", "unit": "CD-SW", "status": "candidate"})
    if user != "office":
        client.post("/logout", data={"csrf_token": auth.csrf_token("/windows")})
        auth.login(user)
    resp = client.get("/audit?actor=office&entity=CD-SW-001")
    assert resp.status_code == status
    if status == 200:
        text = resp.get_data(as_text=True)
        assert "改过的名字" in text and "综合办税窗口" in text and "修改" in text and "窗口" in text


def test_the_audit_log_speaks_chinese(client, auth, db, district):
    """Before and after read as the office reads them: field names, codes, empty values and
    every action and object in Chinese, never the stored keys (contact_person, None, candidate)."""
    from feedback_api.services import audit, users

    with db():
        office = users.get_user("office")
        audit.record_change(office, "recompute", "assessment_snapshot", "2026Q3:v2",
                            {"version": 1}, {"version": 2, "reason": "补录检查", "trigger": "recompute"})
        audit.record_change(office, "detach", "ticket", 7, {"feedback": 3},
                            {"feedback": None, "reason": "非同一问题", "late": False})
        # The note a ticket gets when its source inspection is corrected (inspection_tickets).
        audit.record_change(office, "source_fix", "ticket", 8, {"score": 5, "passed": False},
                            {"score": 9, "passed": True, "indicator": "服务态度",
                             "inspection": "检查 3", "by": "联席办"})
    auth.login("office")
    page = client.get("/windows/CD-SW-001/edit").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/windows/CD-SW-001/edit", data={"csrf_token": token, "code": "CD-SW-001",
                                                 "name": "改过的名字", "unit": "CD-SW",
                                                 "status": "candidate"})
    html = client.get("/audit").get_data(as_text=True)
    table = re.sub(r"<[^>]+>", " ", html.split("<tbody>", 1)[1].split("</tbody>", 1)[0])
    assert "窗口名称：改过的名字" in table and "状态：创建中" in table and "负责人：—" in table
    assert "重新计算" in table and "考核结果版本" in table and "原因：补录检查" in table
    assert "解除关联" in table and "关联评价：—" in table and "否" in table
    assert "更正检查结果" in table and "得分：9" in table and "操作人：联席办" in table
    assert "命令行" in table  # the district fixture's changes were made without a user
    values = " ".join(re.findall(r'<td class="small">(.*?)</td>', html, re.S))
    assert re.findall(r"[A-Za-z_]{3,}", re.sub(r"CD-[A-Z]+(-\d+)?", "", values)) == []


def test_every_audited_action_and_object_has_a_chinese_label(repo_root):
    from feedback_api.models.reference import AUDIT_ACTIONS, AUDIT_ENTITIES

    call = re.compile(r'record_change\(\s*[^,()]+(?:\([^()]*\))?,\s*"(\w+)",\s*"(\w+)"')
    found = set()
    for package in ("feedback_api", "analytics", "admin_web", "wechat_bot"):
        for path in (repo_root / package).rglob("*.py"):
            found |= set(call.findall(path.read_text(encoding="utf-8")))
    assert len(found) > 20
    assert sorted(a for a, _ in found if a not in AUDIT_ACTIONS) == []
    assert sorted(e for _, e in found if e not in AUDIT_ENTITIES) == []


def test_every_audited_field_has_a_chinese_name(repo_root):
    """The keys of the values each service writes to the log (its dict literals) are named in
    Chinese on the page; the values built by helpers (a window's, a ticket's) are checked where
    their pages are."""
    import ast

    from admin_web.audit import FIELDS

    unnamed = set()
    for package in ("feedback_api", "analytics", "admin_web", "wechat_bot"):
        for path in (repo_root / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                func = getattr(node, "func", None)
                if getattr(func, "attr", getattr(func, "id", None)) != "record_change":
                    continue
                for arg in node.args[4:] + [k.value for k in node.keywords]:
                    unnamed |= {k.value for d in ast.walk(arg) if isinstance(d, ast.Dict)
                                for k in d.keys if isinstance(k, ast.Constant)
                                and isinstance(k.value, str) and k.value not in FIELDS}
    assert sorted(unnamed) == []


def test_audited_times_read_as_beijing_time(app):
    from admin_web.audit import describe

    with app.test_request_context():
        assert describe("user", {"locked_until": "2026-12-07T07:35:10.123+00:00", "active": False}) == [
            ("锁定至", "2026-12-07 15:35"), ("启用", "否")]
        assert describe("ticket", {"outcome": "unreachable", "round": 2}) == [
            ("结果", "未能联系上群众"), ("轮次", "2")]
        assert describe("objection", {"outcome": "upheld"}) == [("结果", "异议成立")]
