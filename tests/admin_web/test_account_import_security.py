"""The account import under attack (wave 14's review): a confirmation altered between preview
and confirm is checked again on the server and never answers 500; the one-time passwords go
nowhere but the one response (no log, audit entry, session or cache), and a name a spreadsheet
would run as a formula is text in the passwords' workbook."""

import base64
import csv
import io
import json
import logging
import re
import threading
import time

import pytest
import sqlalchemy as sa
from flask.sessions import SecureCookieSessionInterface
from openpyxl import load_workbook

from feedback_api.models import AuditLog, User
from tests.admin_web.test_account_import import GOOD, _confirm, _upload, _usernames, _xlsx

FIELDS = ("username", "display_name", "role", "scopes", "email")


def _forge(client, auth, items):
    token = auth.csrf_token("/accounts/import")
    return client.post("/accounts/import/confirm", data={"csrf_token": token, "rows": items})


def test_a_confirmation_altered_after_the_preview_is_checked_again(client, auth, db, district):
    auth.login("office")
    row = dict(zip(FIELDS, GOOD[0], strict=True))
    for changed, error in (({"scopes": "CD-NOPE"}, "CD-NOPE"), ({"role": "root"}, "不是"),
                           ({"role": "unit", "scopes": ""}, "须指定范围"),
                           ({"username": "office"}, "已存在")):
        resp = _forge(client, auth, json.dumps([{"line": 3, **row, **changed}]))
        page = resp.get_data(as_text=True)
        assert resp.status_code == 400 and "未导入任何账号" in page and error in page, changed
    assert "sw-clerk" not in _usernames(db)


def test_a_forged_confirmation_never_answers_500(client, auth, db, district):
    auth.login("office")
    row = dict(zip(FIELDS, GOOD[0], strict=True))
    forged = ['[{"line": 1e999, "username": "sw-clerk", "role": "agency"}]',  # int(inf)
              "[" * 50_000 + "]" * 50_000,  # deeper than json's recursion
              json.dumps([{**row, "line": "NaN"}]), json.dumps({"line": 3}), "null", "3"]
    for text in forged:
        resp = _forge(client, auth, text)
        assert resp.status_code == 400, text[:40]
        assert "导入内容无效，请重新上传" in resp.get_data(as_text=True)
    assert "sw-clerk" not in _usernames(db)


def test_the_one_time_passwords_go_nowhere_but_the_page(app, client, auth, db, district, caplog):
    auth.login("office")
    page = _upload(client, auth, _xlsx(GOOD)).get_data(as_text=True)
    caplog.set_level(logging.DEBUG)
    done = _confirm(client, page)
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    passwords = re.findall(r'class="mono one-time-password">([^<]+)<', done.get_data(as_text=True))
    assert len(passwords) == 3
    with db() as s:
        audit = " ".join(json.dumps([a.before, a.after, a.entity_id], ensure_ascii=False, default=str)
                         for a in s.scalars(sa.select(AuditLog)))
        hashes = " ".join(s.scalars(sa.select(User.password_hash)))
    cookie = client.get_cookie("session")
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    session = json.dumps(serializer.loads(cookie.value), ensure_ascii=False, default=str)
    logged = " ".join(r.getMessage() for r in caplog.records)
    for password in passwords:
        assert password not in audit and password not in hashes
        assert password not in session and password not in logged
    # Shown once: the next page (the accounts list the page links to) has none of them.
    after = client.get("/accounts").get_data(as_text=True)
    assert not any(p in after for p in passwords)


def test_names_a_spreadsheet_would_run_are_text_in_the_passwords_workbook(client, auth, db,
                                                                           district):
    auth.login("office")
    rows = [["=1+1", "=HYPERLINK(\"http://evil.example\",\"点我\")", "第三方机构", "", ""],
            ["@sum", "+cmd|' /C calc'!A0", "第三方机构", "", ""],
            ["-2+3", "-发票", "第三方机构", "", ""]]
    # A CSV: its cells are the typed text (an .xlsx cell typed so would be a formula, not read).
    out = io.StringIO()
    csv.writer(out).writerows([["用户名", "姓名", "角色"], *(r[:3] for r in rows)])
    page = _upload(client, auth, out.getvalue().encode(), "账号.csv").get_data(as_text=True)
    assert "共 3 行，均可导入" in page
    body = _confirm(client, page).get_data(as_text=True)
    sheet = re.search(r'href="data:[^;]+;base64,([^"]+)"', body).group(1)
    ws = load_workbook(io.BytesIO(base64.b64decode(sheet))).active
    cells = [c for row in ws.iter_rows(min_row=2, max_col=2) for c in row]
    assert len(cells) == 6
    for cell in cells:
        assert cell.data_type == "s" and cell.quotePrefix, cell.value
    assert [c.value for c in cells[:2]] == ["=1+1", rows[0][1]]


def test_an_account_made_while_the_import_runs_is_refused_in_chinese_not_500(app, client, auth,
                                                                             db, district):
    """Another request creates one of the sheet's accounts after this confirmation checked the
    rows and before it wrote them (two offices, two tabs): the unique username stops the write;
    the page says so, nothing of the sheet is created."""
    engine = app.extensions["ww_engine"]
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite's single writer: the second waits for the first, then is refused busy")
    auth.login("office")
    page = _upload(client, auth, _xlsx(GOOD)).get_data(as_text=True)
    holder = engine.connect()
    holder.begin()
    holder.execute(sa.insert(User.__table__).values(
        username="rmyy-001", role="agency", display_name="同时创建", password_hash="x"))
    failure: list[BaseException] = []

    def commit_once_the_import_waits() -> None:
        try:
            with engine.connect() as watch:
                for _ in range(600):  # the import's insert waits on the uncommitted username
                    waiting = watch.scalar(sa.text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                        "current_database() AND wait_event_type = 'Lock'"))
                    watch.rollback()  # a transaction keeps its first snapshot of the statistics
                    if waiting:
                        break
                    time.sleep(0.05)
                else:
                    raise AssertionError("the import never waited on the username")
            holder.commit()
        except BaseException as exc:  # reported by the test's thread
            failure.append(exc)
            holder.rollback()
        finally:
            holder.close()

    thread = threading.Thread(target=commit_once_the_import_waits)
    thread.start()
    resp = _confirm(client, page)
    thread.join(60)
    assert failure == []
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400, resp.status_code
    assert "未导入任何账号" in body and "用户 rmyy-001 已存在" in body
    assert {"sw-clerk", "health-office"}.isdisjoint(_usernames(db))
