"""The office's audit log: filtered by action and by date, exported to Excel under a Chinese name
with every action and value in Chinese, for the office alone, and never edited."""

import io
import re
from datetime import UTC, datetime
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from feedback_api.models import AuditLog
from feedback_api.services import audit, users


@pytest.fixture
def logged(db, district):
    with db() as s:
        office = users.get_user("office")
        users.disable_user(office, users.get_user("unit"))
        users.enable_user(office, users.get_user("unit"))
        clerk = users.create_user(office, "clerk", role="agency", password="clerk-password")
        users.set_password(office, clerk, "another-password")
        old = audit.record_change(office, "update", "window", "CD-SW-002", {"name": "旧名"},
                                  {"name": "=新名"})
        old.created_at = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 on 1 March in Beijing
        s.commit()


def _rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r)) for r in body.split("</tr>")[:-1]]


def test_the_log_is_filtered_by_action_and_by_date(client, auth, logged):
    auth.login("office")
    page = client.get("/audit").get_data(as_text=True)
    assert '<option value="disable">停用账号</option>' in page
    rows = _rows(client.get("/audit?action=disable").get_data(as_text=True))
    assert len(rows) == 1 and "停用账号" in rows[0] and "unit" in rows[0]
    rows = _rows(client.get("/audit?start=2026-03-01&end=2026-03-01").get_data(as_text=True))
    assert len(rows) == 1 and "=新名" in rows[0]
    rows = _rows(client.get("/audit?end=2026-02-28").get_data(as_text=True))
    assert rows == [" 暂无记录 "] or (len(rows) == 1 and "暂无记录" in rows[0])


@pytest.mark.parametrize("query", ["action=nonsense", "start=2026-13-45", "end=x", "page=-3",
                                   "start=9999-12-31", "actor=" + "a" * 500, "page=99999999999"])
def test_odd_filters_never_fail(client, auth, logged, query):
    auth.login("office")
    assert client.get(f"/audit?{query}").status_code == 200
    assert client.get(f"/audit/export.xlsx?{query}").status_code == 200


def test_the_export_is_an_excel_workbook_in_chinese(client, auth, logged):
    auth.login("office")
    resp = client.get("/audit/export.xlsx?actor=office")
    assert resp.status_code == 200
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert re.search(r"操作日志-\d{8}\.xlsx", unquote(disposition.split("filename*=UTF-8''")[1]))
    ws = load_workbook(io.BytesIO(resp.data)).active
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0] == ["时间", "操作人", "操作", "对象", "对象编号", "修改前", "修改后"]
    actions = [r[2] for r in rows[1:]]
    assert {"停用账号", "启用账号", "修改密码", "修改"} <= set(actions)
    assert all(r[1] == "office" for r in rows[1:])  # the filter applied
    window = next(r for r in rows[1:] if r[3] == "窗口")
    assert window[4] == "CD-SW-002" and window[5] == "窗口名称：旧名" and window[6] == "窗口名称：=新名"
    assert ws["G" + str(rows.index(window) + 1)].data_type == "s"  # never a formula
    assert isinstance(window[0], datetime) and window[0].hour == 10  # Beijing time


@pytest.mark.parametrize("user", ["agency", "authority", "unit"])
def test_only_the_office_reads_or_exports_the_log(client, auth, logged, user):
    auth.login(user)
    assert client.get("/audit").status_code == 403
    assert client.get("/audit/export.xlsx").status_code == 403


def test_nobody_edits_the_log(client, auth, db, logged):
    auth.login("office")
    token = auth.csrf_token("/audit")
    with db() as s:
        before = s.scalar(sa.select(sa.func.count()).select_from(AuditLog))
        entry = s.scalars(sa.select(AuditLog)).first().id
    for method in ("post", "put", "delete", "patch"):
        assert getattr(client, method)("/audit", data={"csrf_token": token}).status_code == 405
        assert getattr(client, method)(f"/audit/{entry}", data={"csrf_token": token}).status_code in (404, 405)
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == before


def test_an_export_cut_at_its_cap_says_so(client, auth, logged, monkeypatch):
    from feedback_api.services import audit as audit_service

    monkeypatch.setattr(audit_service, "MAX_EXPORT", 2)
    auth.login("office")
    wb = load_workbook(io.BytesIO(client.get("/audit/export.xlsx").data))
    assert wb.active.max_row == 3  # the header and two entries
    assert "仅导出最新的 2 条" in wb["说明"]["A1"].value
    page = client.get("/audit").get_data(as_text=True)
    assert "仅含最新的 2 条" in page


def test_the_actor_filter_takes_the_words_the_page_shows(client, auth, logged):
    auth.login("office")
    rows = _rows(client.get("/audit?actor=命令行").get_data(as_text=True))
    assert rows and all("命令行" in r for r in rows)  # the district fixture's, made by "cli"
    assert "暂无记录" not in rows[0]
