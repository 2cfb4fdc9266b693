"""Control characters (C0 but the line ends and tab of a multi-line text, DEL, C1) are refused in
every text the API, the admin forms and the ledger import take, with a Chinese message; nothing
is stored. Multi-line texts (remarks, notes) keep their tabs and line ends."""

import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from feedback_api.models import Unit, Window
from feedback_api.services import ledger
from feedback_api.services.characters import control_character
from tests.assessment_helpers import standard_form

#: U+2028/U+2029 (line and paragraph separators, in text pasted from web pages and some editors)
#: end a line in browsers and in JSON consumers as \n does.
BAD_IN_A_NAME = ["a\x01b", "a\x1fb", "a\x7fb", "a\x85b", "a\x9fb", "a\nb", "a\tb", "a\rb",
                 "a\u2028b", "a\u2029b"]


@pytest.mark.parametrize("value", BAD_IN_A_NAME)
def test_a_name_with_a_control_character_is_refused(value):
    assert control_character(value) is not None


@pytest.mark.parametrize("value", ["窗口", "a b", "a\u3000b", "a\xa0b", "é", ""])
def test_printable_text_passes(value):
    assert control_character(value) is None and control_character(value, multiline=True) is None


def test_the_unicode_line_separators_end_a_line_of_a_multiline_text():
    from feedback_api.services.characters import line_breaks

    assert line_breaks("一\u2028二\u2029三\x0b四") == "一\n二\n三\n四"
    assert control_character("a\u2028b") == control_character("a\nb") == "不能含有换行符或制表符"


def test_multiline_text_keeps_line_ends_and_tabs():
    assert control_character("一\n二\r\n三\t四", multiline=True) is None
    for bad in ("a\x0bb", "a\x0cb", "a\x01b", "a\x7fb", "a\x85b"):
        assert "U+" in control_character(bad, multiline=True)


def _windows(db):
    with db() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(Window))


@pytest.mark.parametrize("value", BAD_IN_A_NAME)
def test_api_refuses_a_window_name_with_a_control_character(client, db, district, token_for, value):
    resp = client.post("/api/v1/windows", headers=token_for("office"),
                       json={"code": "X-1", "name": value, "unit": "CD-SW"})
    assert resp.status_code == 400, resp.get_json()
    error = resp.get_json()["error"]
    assert error["code"] == "invalid" and "不能含有" in error["details"]["name"]
    assert re.search(r"[\u4e00-\u9fff]", error["message"])
    assert _windows(db) == 4


def test_api_keeps_line_ends_in_remarks_and_refuses_other_controls(client, db, district, token_for):
    headers = token_for("office")
    resp = client.post("/api/v1/windows", headers=headers, json={
        "code": "X-2", "name": "新窗口", "unit": "CD-SW", "remarks": "一\n二\r\n三\t四"})
    assert resp.status_code == 201, resp.get_json()
    resp = client.post("/api/v1/windows", headers=headers, json={
        "code": "X-3", "name": "新窗口", "unit": "CD-SW", "remarks": "一\x0c二"})
    assert resp.status_code == 400 and "remarks" in resp.get_json()["error"]["details"]
    # Word's manual line break, pasted, is the line end it is; so are the Unicode separators.
    resp = client.post("/api/v1/windows", headers=headers, json={
        "code": "X-4", "name": "新窗口", "unit": "CD-SW", "remarks": "一\x0b二"})
    assert resp.status_code == 201, resp.get_json()
    resp = client.post("/api/v1/windows", headers=headers, json={
        "code": "X-5", "name": "新窗口", "unit": "CD-SW", "remarks": "一\u2028二\u2029三"})
    assert resp.status_code == 201, resp.get_json()
    with db() as s:
        assert s.scalars(sa.select(Window.remarks).where(Window.code == "X-2")).one() == "一\n二\r\n三\t四"
        assert s.scalars(sa.select(Window).where(Window.code == "X-3")).first() is None
        assert s.scalars(sa.select(Window.remarks).where(Window.code == "X-4")).one() == "一\n二"
        assert s.scalars(sa.select(Window.remarks).where(Window.code == "X-5")).one() == "一\n二\n三"


def test_api_refuses_an_indicator_name_and_a_query_with_a_control_character(client, district, token_for):
    headers = token_for("office")
    std = client.get("/api/v1/standards/2026", headers=headers).get_json()
    indicators = [{k: i[k] for k in ("category", "name", "weight", "pass_line")}
                  for i in std["indicators"]]
    indicators[0]["name"] = "服务\x08态度"
    resp = client.patch("/api/v1/standards/2026", headers=headers, json={"indicators": indicators})
    assert resp.status_code == 400 and "控制字符" in resp.get_data(as_text=True)
    resp = client.get("/api/v1/windows?q=%01", headers=headers)
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "invalid_parameter"


def test_the_window_form_refuses_a_name_with_a_control_character(client, auth, db, district):
    auth.login("office")
    token = auth.csrf_token("/windows/CD-SW-001/edit")
    form = {"csrf_token": token, "code": "CD-SW-001", "name": "综合\x7f窗口", "unit": "CD-SW",
            "staff_count": "6", "status": "candidate", "remarks": "一\r\n二"}
    resp = client.post("/windows/CD-SW-001/edit", data=form)
    assert resp.status_code == 200 and "窗口名称不能含有控制字符（U+007F）" in resp.get_data(as_text=True)
    resp = client.post("/windows/CD-SW-001/edit", data=dict(form, name="综合窗口", remarks="一\x1b二"))
    assert resp.status_code == 200 and "备注不能含有控制字符（U+001B）" in resp.get_data(as_text=True)
    with db() as s:
        assert s.scalars(sa.select(Window.name).where(Window.code == "CD-SW-001")).one() != "综合窗口"
    resp = client.post("/windows/CD-SW-001/edit", data=dict(form, name="综合\u2028窗口"))
    assert resp.status_code == 200 and "窗口名称不能含有换行符" in resp.get_data(as_text=True)
    resp = client.post("/windows/CD-SW-001/edit", data=dict(form, name="综合窗口",
                                                            remarks="一\r\n二\x0b三\u2028四\u2029五"))
    assert resp.status_code == 302
    with db() as s:
        w = s.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        assert (w.name, w.remarks) == ("综合窗口", "一\r\n二\n三\n四\n五")


def test_ledger_rows_with_control_characters_are_reported_by_row(db, district):
    csv_data = ("窗口编号,窗口名称,所属单位,单位编号,行业\n"
                "CD-SW-010,好窗口,CD-SW,,\n"
                "CD-SW-011,坏\x01窗口,CD-SW,,\n"
                "XQ-NEW-001,新窗口,新\x9f单位,XQ-NEW,tax\n").encode()
    with db() as s:
        report = ledger.import_ledger(None, csv_data, "台账.csv")
        assert report.created == ["CD-SW-010"]
        assert [(e.line, e.code) for e in report.errors] == [(3, "CD-SW-011"), (4, "XQ-NEW-001")]
        assert "窗口名称不能含有控制字符（U+0001）" in report.errors[0].reason
        assert "单位名称不能含有控制字符（U+009F）" in report.errors[1].reason
    with db() as s:
        assert s.scalars(sa.select(Window).where(Window.code.in_(["CD-SW-011", "XQ-NEW-001"]))).all() == []
        assert s.scalars(sa.select(Unit).where(Unit.code == "XQ-NEW")).first() is None


def test_xlsx_ledger_row_with_a_c1_character_is_refused(db, district):
    wb = Workbook()
    ws = wb.active
    ws.append(["窗口编号", "窗口名称", "所属单位", "备注"])
    ws.append(["CD-SW-012", "退税\x85窗口", "CD-SW", ""])
    ws.append(["CD-SW-013", "退税窗口", "CD-SW", "第一行\n第二行"])
    buf = io.BytesIO()
    wb.save(buf)
    with db():
        report = ledger.import_ledger(None, buf.getvalue(), "台账.xlsx")
        assert [e.line for e in report.errors] == [2] and "U+0085" in report.errors[0].reason
        assert report.created == ["CD-SW-013"]


def test_the_standard_form_refuses_an_indicator_name_with_a_control_character(client, auth, db, district):
    """A row of a form's list (a subform) is checked as a top-level field is."""
    from feedback_api.models import Standard

    auth.login("office")
    client.get("/assessment/standard?year=2026")
    data, rows = standard_form(auth, db)
    data["indicators-0-name"] = "服务\x85态度"
    resp = client.post("/assessment/standard?year=2026", data=data)
    assert resp.status_code == 200 and "指标名称不能含有控制字符（U+0085）" in resp.get_data(as_text=True)
    with db() as s:
        assert s.scalars(sa.select(Standard).where(Standard.year == 2026)).one().indicators[0].name == rows[0][2]
