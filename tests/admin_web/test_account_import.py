"""账号批量导入: the office downloads the template, uploads it, reads every row's problems in
Chinese, and confirms; one wrong row and nothing is created. The new accounts' one-time
passwords are shown once (and as an .xlsx inside that page), stored only hashed, and must be
replaced at the first sign-in. Audited; only the office reaches it."""

import base64
import html
import io
import json
import re

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from feedback_api.models import AuditLog, User

HEADER = ["用户名*", "姓名", "角色*", "所属单位/窗口/主管部门", "邮箱", "工作单位（评审专家）"]


def _xlsx(rows, header=HEADER):
    wb = Workbook()
    ws = wb.active
    ws.append(["城东区文明诚信示范窗口账号"])  # a title row above the table, as offices write
    ws.append(header)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload(client, auth, data, name="账号.xlsx"):
    return client.post("/accounts/import", data={
        "csrf_token": auth.csrf_token("/accounts/import"), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data")


def _usernames(db):
    with db() as s:
        return set(s.scalars(sa.select(User.username)))


def _confirm(client, page_html):
    form = dict(re.findall(r'name="(\w+)" type="hidden" value="([^"]*)"', page_html))
    return client.post("/accounts/import/confirm", data={k: html.unescape(v) for k, v in form.items()})


GOOD = [["sw-clerk", "李明", "窗口单位", "CD-SW", "liming@example.cn"],
        ["rmyy-001", "", "unit", "CD-RMYY-001", ""],
        ["health-office", "卫健局 王芳", "行业主管部门", "health", "wangfang@wjj.example.cn"]]


def test_the_template_has_the_chinese_headers_and_instructions(client, auth, district):
    auth.login("office")
    assert "从 Excel 批量导入账号" in client.get("/accounts").get_data(as_text=True)
    resp = client.get("/accounts/import/template.xlsx")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    book = load_workbook(io.BytesIO(resp.data))
    assert [c.value for c in book["账号"][1]] == HEADER
    notes = " ".join(str(r[0].value) for r in book["填写说明"].iter_rows())
    assert "整表不导入" in notes and "窗口单位" in notes


def test_a_sheet_with_wrong_rows_is_previewed_with_every_problem_and_nothing_is_created(
        client, auth, db, district):
    auth.login("office")
    before = _usernames(db)
    rows = [GOOD[0],
            ["has space", "", "unit", "CD-SW", ""],
            ["zero\u200bwidth", "", "unit", "CD-SW", ""],
            ["AGENCY", "", "agency", "", ""],  # the existing "agency" in other capitals
            ["SW-Clerk", "", "unit", "CD-SW", ""],  # row 3's name in other capitals
            ["boss", "", "管理员", "", ""],
            ["nowhere", "", "窗口单位", "XX-999", ""],
            ["mailer", "", "第三方机构", "", "not-an-address"],
            ["unscoped", "", "窗口单位", "", ""]]
    resp = _upload(client, auth, _xlsx(rows))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "共 9 行，其中 8 行有错，未导入任何账号" in page
    for message in ("用户名不能含空格、不可见字符或控制字符", "用户 AGENCY 已存在",
                    "用户名 SW-Clerk 与第 3 行重复（不区分大小写）", "角色“管理员”不是",
                    "范围“XX-999”无法识别：应为窗口编号、单位编号、行业代码或行业名称", "电子邮箱格式不正确",
                    "行业主管部门和窗口单位用户须指定范围"):
        assert message in page, message
    assert page.count("用户名不能含空格") == 2
    assert "确认导入" not in page and "/accounts/import/confirm" not in page
    assert _usernames(db) == before


def test_a_clean_sheet_is_confirmed_and_each_account_gets_a_one_time_password(
        client, auth, db, district):
    auth.login("office")
    resp = _upload(client, auth, _xlsx(GOOD))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "共 3 行，均可导入" in page
    assert "sw-clerk" not in _usernames(db)  # a preview creates nothing
    done = _confirm(client, page)
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    html = done.get_data(as_text=True)
    shown = dict(re.findall(r'>([\w-]+)</a></td><td>[^<]*</td><td>[^<]*</td>'
                            r'<td class="mono one-time-password">([^<]+)<', html))
    assert set(shown) == {"sw-clerk", "rmyy-001", "health-office"}
    sheet = re.search(r'href="data:application/vnd\.openxmlformats-officedocument\.spreadsheetml'
                      r'\.sheet;base64,([^"]+)" download="账号一次性密码.xlsx"', html).group(1)
    book = load_workbook(io.BytesIO(base64.b64decode(sheet)))
    assert {r[0]: r[3] for r in book.active.iter_rows(min_row=2, values_only=True)} == shown
    with db() as s:
        users = {u.username: u for u in s.scalars(sa.select(User).where(User.username.in_(shown)))}
        assert all(u.must_change_password and shown[n] not in u.password_hash
                   for n, u in users.items())
        assert users["sw-clerk"].email == "liming@example.cn"
        assert users["rmyy-001"].display_name == "rmyy-001" and users["rmyy-001"].email is None
        assert [sc.window.code for sc in users["rmyy-001"].scopes] == ["CD-RMYY-001"]
        assert users["health-office"].role == "authority"
        assert [sc.industry for sc in users["health-office"].scopes] == ["health"]
        entries = list(s.scalars(sa.select(AuditLog).where(
            AuditLog.entity_type == "user", AuditLog.actor == "office", AuditLog.action != "sign_in")))
        assert sorted((e.action, e.entity_id) for e in entries) == [
            ("create", "health-office"), ("create", "rmyy-001"), ("create", "sw-clerk"),
            ("import", "账号.xlsx")]
        # No plaintext password anywhere in what was stored.
        stored = json.dumps([[e.before, e.after] for e in s.scalars(sa.select(AuditLog))],
                            ensure_ascii=False)
        assert not any(p in stored for p in shown.values())
    client.post("/logout", data={"csrf_token": auth.csrf_token("/")})
    resp = auth.login("sw-clerk", shown["sw-clerk"])
    assert resp.status_code == 302
    assert client.get("/").headers["Location"].endswith("/password")  # must choose their own


def test_the_confirmation_checks_the_rows_again(client, auth, db, district):
    auth.login("office")
    page = _upload(client, auth, _xlsx(GOOD)).get_data(as_text=True)
    with db():  # meanwhile someone made one of the accounts
        from feedback_api.services import users

        users.create_user(None, "Rmyy-001", role="agency", password="some-password")
    resp = _confirm(client, page)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "有 1 行有错，未导入任何账号" in html
    assert "用户 rmyy-001 已存在" in html
    assert not {"sw-clerk", "health-office"} & _usernames(db)


def test_a_forged_confirmation_is_refused_in_chinese(client, auth, db, district):
    auth.login("office")
    token = auth.csrf_token("/accounts/import")
    for rows in ("not json", "[]", json.dumps([{"username": "x"}])):
        resp = client.post("/accounts/import/confirm", data={"csrf_token": token, "rows": rows})
        assert resp.status_code == 400 and "导入内容无效，请重新上传" in resp.get_data(as_text=True)
    assert "x" not in _usernames(db)


def test_a_gb18030_csv_is_read_and_a_sheet_without_the_header_is_refused(client, auth, db, district):
    auth.login("office")
    csv = "用户名,角色,所属单位/窗口/主管部门\r\n税务二号,窗口单位,CD-SW\r\n".encode("gb18030")
    page = _upload(client, auth, csv, "账号.csv").get_data(as_text=True)
    assert "共 1 行，均可导入" in page and "税务二号" in page
    resp = _upload(client, auth, _xlsx([["a", "b"]], header=["姓名", "电话"]))
    assert resp.status_code == 400 and "缺少必填列：用户名、角色" in resp.get_data(as_text=True)
    resp = _upload(client, auth, b"\x00\x01 not a sheet", "账号.pdf")
    assert resp.status_code == 400 and "只支持 XLSX、XLS 或 CSV 文件" in resp.get_data(as_text=True)


@pytest.mark.parametrize("role", ["agency", "authority", "unit"])
def test_no_other_role_reaches_the_import(client, auth, db, district, role):
    auth.login(role)
    token = auth.csrf_token("/")
    assert client.get("/accounts/import").status_code == 403
    assert client.get("/accounts/import/template.xlsx").status_code == 403
    resp = client.post("/accounts/import", data={"csrf_token": token, "file": (
        io.BytesIO(_xlsx(GOOD)), "a.xlsx")}, content_type="multipart/form-data")
    assert resp.status_code == 403
    rows = json.dumps([{"line": 3, **dict(zip(["username", "display_name", "role", "scopes", "email"],
                                              GOOD[0], strict=True))}])
    assert client.post("/accounts/import/confirm",
                       data={"csrf_token": token, "rows": rows}).status_code == 403
    assert "sw-clerk" not in _usernames(db)


def test_a_sheet_over_the_limit_is_refused_whole(client, auth, db, district):
    from feedback_api.services.user_import import MAX_ROWS

    auth.login("office")
    rows = [[f"clerk{i}", "", "第三方机构", "", ""] for i in range(MAX_ROWS + 1)]
    resp = _upload(client, auth, _xlsx(rows))
    assert resp.status_code == 400
    assert f"文件超过 {MAX_ROWS} 行，请分批导入" in resp.get_data(as_text=True)
    assert "clerk0" not in resp.get_data(as_text=True)
