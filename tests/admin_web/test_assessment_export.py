"""The quarterly assessment table as an Excel workbook, as staff expect next to a ranking: the
rows, ranks and scores the page shows (its industry filter and the viewer's scope applied), the
formula on a sheet of its own."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from tests.assessment_helpers import add_feedback, publish_quarter


def _sheet(resp):  # type: ignore[no-untyped-def]
    assert resp.status_code == 200
    assert resp.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    wb = load_workbook(io.BytesIO(resp.data))
    return wb, [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]


def _page_scores(html: str) -> dict[str, str]:
    """Window code -> the composite score the table shows."""
    rows = re.findall(r'class="mono">([A-Z0-9-]+)</a>.*?<b>([0-9.—]+)</b></td>', html, re.S)
    return dict(rows)


def test_the_table_downloads_with_the_page_figures(client, auth, db, district):
    with db():
        add_feedback("CD-SW-001", [5] * 12 + [1] * 3)
        add_feedback("CD-RMYY-001", [4] * 20)
    auth.login("office")
    page = client.get("/assessment/?period=2026Q3").get_data(as_text=True)
    assert "/assessment/export.xlsx?period=2026Q3" in page
    wb, rows = _sheet(client.get("/assessment/export.xlsx?period=2026Q3"))
    header, body = rows[0], rows[1:]
    assert header[:7] == ["区内排名", "行业排名", "行业参评窗口数", "窗口编号", "窗口名称", "所属单位", "行业"]
    assert "综合得分" in header and "好评率（%）" in header
    by_code = {r[header.index("窗口编号")]: r for r in body}
    shown = _page_scores(page)
    assert shown and set(shown) == set(by_code)
    for code, score in shown.items():
        cell = by_code[code][header.index("综合得分")]
        assert (f"{cell:.1f}" if cell is not None else "—") == score
    sw = by_code["CD-SW-001"]
    assert sw[header.index("计分评价")] == 15 and sw[header.index("好评率（%）")] == 80.0
    assert sw[header.index("行业")] == "税务"
    assert "综合得分 = Σ" in str(wb.worksheets[1]["A1"].value)


def test_the_export_keeps_the_industry_filter_and_the_scope(client, auth, db, district):
    with db():
        add_feedback("CD-SW-001", [5] * 5)
        add_feedback("CD-RMYY-001", [4] * 5)
    auth.login("office")
    _wb, rows = _sheet(client.get("/assessment/export.xlsx?period=2026Q3&industry=health"))
    codes = {r[rows[0].index("窗口编号")] for r in rows[1:]}
    assert "CD-RMYY-001" in codes and "CD-SW-001" not in codes
    client.post("/logout", data={"csrf_token": auth.csrf_token("/")})
    with db():
        publish_quarter()  # a unit reads published figures only
    auth.login("unit")
    _wb, rows = _sheet(client.get("/assessment/export.xlsx?period=2026Q3"))
    assert {r[3] for r in rows[1:]} == {r[3] for r in rows[1:] if r[3].startswith("CD-SW-")}
    assert any(r[3] == "CD-SW-001" for r in rows[1:])


def test_a_bad_period_is_explained_not_a_500(client, auth, district):
    auth.login("office")
    resp = client.get("/assessment/export.xlsx?period=2026Q9")
    assert resp.status_code == 400 and "季度 9 无效" in resp.get_data(as_text=True)


def test_the_file_name_carries_the_download_date_and_live_figures_say_so(client, auth, db, district):
    from urllib.parse import unquote

    from analytics import snapshots
    from analytics.assessment import Period
    from feedback_api.services import workdays
    from tests.assessment_helpers import user

    with db():
        add_feedback("CD-SW-001", [5] * 5)
    auth.login("office")
    stamp = workdays.local_today().strftime("%Y%m%d")
    resp = client.get("/assessment/export.xlsx?period=2026Q3")
    disposition = unquote(resp.headers["Content-Disposition"])
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert f"2026年第三季度量化考核（实时结果，未发布）-{stamp}.xlsx" in disposition
    assert f'filename="assessment-2026Q3-live-{stamp}.xlsx"' in disposition
    wb = load_workbook(io.BytesIO(resp.data))
    assert "实时结果，未发布" in wb.worksheets[0].title
    assert any("结果版本：实时结果，未发布" in str(v) for v, in wb.worksheets[1].values)
    with db():
        snapshots.publish(user("office"), Period("quarter", 2026, 3))
    resp = client.get("/assessment/export.xlsx?period=2026Q3")
    disposition = unquote(resp.headers["Content-Disposition"])
    assert f"2026年第三季度量化考核-{stamp}.xlsx" in disposition and "未发布" not in disposition
    wb = load_workbook(io.BytesIO(resp.data))
    assert "未发布" not in wb.worksheets[0].title and any(
        "结果版本：已发布 v1" in str(v) for v, in wb.worksheets[1].values)
