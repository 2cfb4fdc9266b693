"""A user whose account covers some of a unit's windows (not the whole unit) reads the unit's
report of those windows only; its title, on the page and in the PDF, the workbook, the Word
document and their file names, says which windows it covers, so a forwarded file is not read as
the whole unit's. A user of the whole unit reads the plain title."""

from __future__ import annotations

import io
import re

import pytest
from docx import Document
from openpyxl import load_workbook

from feedback_api.services import users
from tests.admin_web.test_downloads import saved_name
from tests.admin_web.test_reports import published, rated  # noqa: F401  (fixtures)

Q3 = "2026Q3"
LIMITED = "城东区税务局办税服务厅（限 综合办税窗口） 2026年第三季度评价报告"
WHOLE = "城东区税务局办税服务厅 2026年第三季度评价报告"


@pytest.fixture()
def clerk(db, published):  # noqa: F811
    with db():
        users.create_user(None, "clerk", role="unit", password="clerk-password", scopes=["CD-SW-001"])


def _files(client) -> dict[str, tuple[str, bytes]]:
    out = {}
    for ext in ("pdf", "xlsx", "docx"):
        resp = client.get(f"/reports/units/CD-SW/report.{ext}?period={Q3}")
        assert resp.status_code == 200, (ext, resp.status_code)
        out[ext] = (saved_name(resp), resp.data)
    return out


def test_a_window_scoped_users_unit_report_names_its_windows(client, auth, clerk):
    pypdf = pytest.importorskip("pypdf")
    auth.login("clerk")
    page = client.get(f"/reports/units/CD-SW?period={Q3}").get_data(as_text=True)
    assert f"<h1>{LIMITED}</h1>" in page and "CD-SW-002" not in page
    files = _files(client)
    for ext, (name, _body) in files.items():
        assert name == f"CD-SW {LIMITED}.{ext}", name
    pdf = pypdf.PdfReader(io.BytesIO(files["pdf"][1]))
    assert pdf.metadata.title == LIMITED
    assert re.sub(r"\s+", "", LIMITED) in re.sub(r"\s+", "", pdf.pages[0].extract_text())
    assert load_workbook(io.BytesIO(files["xlsx"][1]))["概况"]["A1"].value == LIMITED
    doc = Document(io.BytesIO(files["docx"][1]))
    assert doc.core_properties.title == LIMITED
    assert doc.paragraphs[0].text == LIMITED
    facts = [[c.text for c in row.cells][:2] for t in doc.tables for row in t.rows]
    assert ["报告对象", "CD-SW 城东区税务局办税服务厅（限 综合办税窗口）"] in facts


def test_a_user_of_the_whole_unit_reads_the_plain_title(client, auth, clerk):
    auth.login("unit")
    page = client.get(f"/reports/units/CD-SW?period={Q3}").get_data(as_text=True)
    assert f"<h1>{WHOLE}</h1>" in page and "（限 " not in page
    for ext, (name, _body) in _files(client).items():
        assert name == f"CD-SW {WHOLE}.{ext}", name
