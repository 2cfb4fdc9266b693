"""Every download a clerk saves: a Chinese file name (RFC 5987 ``filename*``, with an ASCII
fallback for old clients), the right type, and never stored on a shared computer."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from feedback_api.services.workdays import local_today


def saved_name(resp) -> str:
    """The name a browser saves the file under: ``filename*`` when present (RFC 6266)."""
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    star = [p.strip() for p in disposition.split(";") if p.strip().startswith("filename*=")]
    assert star, disposition
    charset, _, quoted = star[0].removeprefix("filename*=").partition("''")
    assert charset == "UTF-8"
    # The fallback for clients without filename*: plain ASCII with a name before the extension.
    fallback = re.search(r'filename="([^"]+)"', disposition)
    assert fallback and fallback.group(1).isascii() and re.match(r"[a-z]+-[\w.-]+\.[a-z]+$", fallback.group(1))
    return unquote(quoted)


@pytest.mark.parametrize("path,mimetype,name", [
    ("/windows/export.csv", "text/csv", "窗口登记台账-{today}.csv"),
    ("/windows/template.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
     "窗口登记台账导入模板.xlsx"),
    ("/assessment/inspections/template.csv?year=2026", "text/csv", "2026年度综合检查导入模板.csv"),
    ("/assessment/inspections/template.xlsx?year=2026",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "2026年度综合检查导入模板.xlsx"),
    ("/reports/windows/CD-SW-001/report.xlsx?period=2026Q3", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
     "CD-SW-001 综合办税窗口 2026年第三季度评价报告（实时结果，未发布）-{today}.xlsx"),
    ("/reports/units/CD-SW/report.pdf?period=2026Q3", "application/pdf",
     "CD-SW 城东区税务局办税服务厅 2026年第三季度评价报告（实时结果，未发布）-{today}.pdf"),
])
def test_a_download_is_saved_under_its_chinese_name(client, auth, district, path, mimetype, name):
    auth.login("office")
    # Today read beside the request, not when the module was collected: a run that passes
    # Beijing's midnight (16:00 UTC) would otherwise expect yesterday's date.
    before = local_today()
    resp = client.get(path)
    days = {f"{day:%Y%m%d}" for day in (before, local_today())}
    assert resp.status_code == 200 and resp.mimetype == mimetype
    assert saved_name(resp) in {name.format(today=day) for day in days}
    assert resp.headers["Cache-Control"] == "no-store"
    if mimetype == "text/csv":  # one charset, said once
        assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_the_ticket_export_is_named_for_the_day(client, auth, district):
    auth.login("office")
    name = saved_name(client.get("/tickets/export.xlsx"))
    assert name.startswith("督办单-") and name.endswith(".xlsx") and len(name) == len("督办单-20260101.xlsx")
