"""Rating reports: a unit reads its own windows' (page, Excel, PDF) once the period is published
and gets 404 for another unit's; the Excel numbers and the PDF text agree with the page."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from analytics import assessment
from feedback_api.services import ticket_open, windows
from tests.assessment_helpers import add_feedback, inspection

Q3 = "2026Q3"


@pytest.fixture()
def rated(db, district):
    with db():
        add_feedback("CD-SW-001", [5] * 12 + [4] * 5 + [3] * 2 + [2] + [1] * 3)
        add_feedback("CD-SW-002", [4] * 6)
        add_feedback("CD-RMYY-001", [5] * 4 + [1])
        inspection("CD-SW-001", 2026, 3)
        window = windows.get_window(None, "CD-SW-001")
        ticket_open.open_ticket(None, window, topic="attitude", problem="服务态度生硬",
                                source="office", now=datetime(2026, 8, 12, 2, tzinfo=UTC))
    with db():
        row = next(r for r in assessment.assess(assessment.parse_period(Q3)).rows
                   if r.code == "CD-SW-001")
        return {"composite": row.composite, "rank_industry": row.rank_industry,
                "industry_ranked": row.industry_ranked}


@pytest.fixture()
def published(db, rated):
    """The quarter published by the office: units and authorities read published figures only."""
    from analytics import snapshots
    from tests.assessment_helpers import user

    with db():
        snapshots.publish(user("office"), assessment.parse_period(Q3))
    return rated


def test_a_unit_reads_its_own_window_report(client, auth, published):
    rated = published
    auth.login("unit")
    page = client.get(f"/reports/windows/CD-SW-001?period={Q3}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "综合办税窗口 2026年第三季度评价报告" in html
    assert f"综合得分 {rated['composite']:.1f}" in html
    assert f"第 {rated['rank_industry']} / {rated['industry_ranked']} 名" in html
    assert "综合得分 = Σ（权重 × 分项得分）" in html  # the formula
    assert "<td>12</td><td>5</td><td>2</td><td>1</td><td>3</td><td>23</td>" in html
    assert "本期督办单" in html and "服务态度" in html
    # The monthly trend: counted ratings, from WeChat, from H5 (the helper rates on H5), mean, 差评.
    assert "<td>8月</td><td>23</td><td>0</td><td>23</td><td>3.96</td><td>4</td>" in html
    assert "/reports/windows/CD-SW-001/report.pdf?period=2026Q3" in html
    # The unit's own unit report covers both its windows.
    unit = client.get(f"/reports/units/CD-SW?period={Q3}").get_data(as_text=True)
    assert "CD-SW-001" in unit and "CD-SW-002" in unit and "<td>29</td>" in unit
    index = client.get(f"/reports/?period={Q3}").get_data(as_text=True)
    assert "CD-SW-002" in index and "CD-RMYY" not in index


@pytest.mark.parametrize("path", ["/reports/windows/CD-RMYY-001", "/reports/units/CD-RMYY",
                                  "/reports/windows/CD-RMYY-001/report.xlsx",
                                  "/reports/windows/CD-RMYY-001/report.pdf",
                                  "/reports/units/CD-RMYY/report.pdf", "/reports/windows/NOPE"])
def test_a_unit_gets_404_for_another_units_report(client, auth, rated, path):
    auth.login("unit")
    assert client.get(f"{path}?period={Q3}").status_code == 404


def test_an_authority_reads_its_industry_only_and_the_office_any(client, auth, published):
    auth.login("authority")  # health
    assert client.get(f"/reports/windows/CD-RMYY-001?period={Q3}").status_code == 200
    assert client.get(f"/reports/windows/CD-SW-001?period={Q3}").status_code == 404
    assert client.get(f"/reports/units/CD-SW?period={Q3}").status_code == 404
    # The office and the agency read any window's and unit's report, and download it (issue 14).
    for role in ("office", "agency"):
        client.post("/logout", data={"csrf_token": auth.csrf_token("/")})
        auth.login(role)
        for path in ("/reports/windows/CD-SW-001", "/reports/windows/CD-RMYY-001",
                     "/reports/units/CD-SW", "/reports/windows/CD-SW-001/report.xlsx",
                     "/reports/windows/CD-RMYY-001/report.pdf"):
            resp = client.get(f"{path}?period={Q3}")
            assert resp.status_code == 200, (role, path)
            resp.close()


def test_the_excel_report_holds_the_pages_numbers(client, auth, published):
    rated = published
    auth.login("unit")
    resp = client.get(f"/reports/windows/CD-SW-001/report.xlsx?period={Q3}")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(resp.data))
    assert wb.sheetnames == ["概况", "综合得分", "评分分布", "月度趋势", "问题类别", "督办", "群众意见"]
    trend = list(wb["月度趋势"].iter_rows(min_row=2, values_only=True))
    assert [m[0] for m in trend] == ["7月", "8月", "9月"] and trend[1][1] == 23 and trend[1][5] == 4
    assert trend[1][2:4] == (0, 23)  # from WeChat, from H5
    assert trend[1][4] == pytest.approx(round((60 + 20 + 6 + 2 + 3) / 23, 2)) and trend[0][1] == 0
    facts = {r[0]: r[1] for r in wb["概况"].iter_rows(min_row=2, values_only=True) if r and r[0]}
    assert facts["计分评价数"] == 23 and facts["本期督办单"] == 1
    assert facts["差评率（%）"] == pytest.approx(round(100 * 4 / 23, 1))
    header, row = list(wb["综合得分"].iter_rows(values_only=True))
    assert header[2] == "综合得分" and row[0] == "CD-SW-001"
    assert isinstance(row[2], float) and row[2] == pytest.approx(round(rated["composite"], 1))
    dist = {r[0]: r[2] for r in wb["评分分布"].iter_rows(min_row=2, values_only=True)}
    assert dist == {5: 12, 4: 5, 3: 2, 2: 1, 1: 3}


def test_the_pdf_report_reads_back_with_the_pages_figures(client, auth, published):
    rated = published
    pypdf = pytest.importorskip("pypdf")
    auth.login("unit")
    resp = client.get(f"/reports/windows/CD-SW-001/report.pdf?period={Q3}")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    reader = pypdf.PdfReader(io.BytesIO(resp.data))
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in reader.pages))
    assert "综合办税窗口2026年第三季度评价报告" in text
    assert f"{round(rated['composite'], 1):g}" in text
    assert f"第{rated['rank_industry']}/{rated['industry_ranked']}名" in text
    assert "五级评分分布（计分评价23条）" in text and "督办情况" in text
    assert "月度趋势：计分评价（蓝）与差评（红）" in text  # the trend chart, drawn
    fonts = reader.pages[0]["/Resources"]["/Font"]
    assert any("STSong-Light" in str(f.get_object()["/BaseFont"]) for f in fonts.values())


def test_a_published_report_counts_the_tickets_a_live_one_counts(app, db, client, auth, rated):
    """A cancelled ticket is left out of the stored version's ticket summary, as it is live."""
    from analytics import snapshots
    from feedback_api.services import ticket_links
    from tests.assessment_helpers import user

    with db():
        window = windows.get_window(None, "CD-SW-001")
        second = ticket_open.open_ticket(None, window, topic="efficiency", problem="办理慢",
                                     source="office", now=datetime(2026, 8, 20, 2, tzinfo=UTC))
        ticket_links.cancel_ticket(user("office"), second.id, "重复交办")
    auth.login("office")  # the live figures are the office's and the agency's

    def ticket_cells() -> list[str]:
        html = client.get(f"/reports/windows/CD-SW-001?period={Q3}").get_data(as_text=True)
        table = html.split("<th>目前未办结（含往期）</th></tr></thead>", 1)[1].split("</tbody>", 1)[0]
        return re.findall(r"<td>(\d+)</td>", table)

    live = ticket_cells()
    assert live == ["1", "0", "0", "1"]  # the office's cancelled ticket is not reported
    with db():
        snapshots.publish(user("office"), assessment.parse_period(Q3))
    assert ticket_cells() == live


def test_the_ticket_figures_say_which_tickets_each_counts(db, client, auth, published):
    """The tickets still open include earlier quarters': each figure's label says what it counts,
    so 本期 1 + an open one from Q2 reading "2" adds up (page, Excel, PDF)."""
    pypdf = pytest.importorskip("pypdf")
    with db():
        window = windows.get_window(None, "CD-SW-001")
        ticket_open.open_ticket(None, window, topic="efficiency", problem="上季度的办理慢",
                                source="office", now=datetime(2026, 5, 20, 2, tzinfo=UTC))
    auth.login("unit")
    html = client.get(f"/reports/windows/CD-SW-001?period={Q3}").get_data(as_text=True)
    head = ("<th>本期督办单</th><th>其中已办结</th><th>其中曾超期</th>"
            "<th>目前未办结（含往期）</th></tr></thead>")
    assert re.findall(r"<td>(\d+)</td>", html.split(head, 1)[1].split("</tbody>", 1)[0]) == [
        "1", "0", "0", "2"]
    assert "含往期开出、尚未办结的督办单" in html
    wb = load_workbook(io.BytesIO(client.get(
        f"/reports/windows/CD-SW-001/report.xlsx?period={Q3}").data))
    facts = {r[0]: r[1] for r in wb["概况"].iter_rows(values_only=True) if r and r[0]}
    assert facts["本期督办单"] == 1 and facts["其中已办结"] == 0
    assert facts["目前未办结（含往期）"] == 2 and "目前未办结" not in facts
    pdf = client.get(f"/reports/windows/CD-SW-001/report.pdf?period={Q3}").data
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages))
    assert "目前未办结（含往期）" in text and "其中已办结" in text


def test_the_index_links_only_windows_with_a_report_for_the_period(db, client, auth, rated):
    """A window added after the period was published (or delisted before it) has no report:
    the index names it without a link, so every link it gives answers."""
    from analytics import snapshots
    from tests.assessment_helpers import user

    with db():
        snapshots.publish(user("office"), assessment.parse_period(Q3))
        windows.create_window(None, {"code": "CD-SW-003", "name": "发布后新增窗口", "unit": "CD-SW"})
    auth.login("unit")
    html = client.get(f"/reports/?period={Q3}").get_data(as_text=True)
    assert "发布后新增窗口" in html and "本期无报告" in html
    links = re.findall(r'href="(/reports/[^"]+)"', html.replace("&amp;", "&"))
    assert f"/reports/windows/CD-SW-001?period={Q3}" in links
    assert not any("CD-SW-003" in link for link in links)
    assert all(client.get(link).status_code == 200 for link in links)
    # A period not published, this month (the new window is listed today, so in no month
    # before): the unit is told so, and given no link.
    from feedback_api.services.workdays import local_today

    month = f"{local_today():%Y-%m}"
    live = client.get(f"/reports/?period={month}").get_data(as_text=True)
    assert "本月考核结果尚未发布" in live and "/reports/windows/" not in live
    # The office's live view reports every window in the programme, the new one included.
    client.post("/logout", data={"csrf_token": auth.csrf_token("/")})
    auth.login("office")
    live = client.get(f"/reports/?period={month}").get_data(as_text=True)
    assert f"/reports/windows/CD-SW-003?period={month}" in live


def test_a_long_name_leaves_the_pdf_facts_labels_beside_their_first_line(client, auth, db, rated):
    """A name of 50 Chinese characters wraps in its cell; its label stays on the first line
    (top-aligned) rather than sinking to the bottom of the row."""
    pypdf = pytest.importorskip("pypdf")
    long_name = "城东区人民政府政务服务中心不动产登记与交易税费一窗受理综合服务窗口（二楼东侧第三排靠近电梯口位置）"
    with db():
        windows.update_window(None, "CD-SW-001", {"name": long_name})
    auth.login("office")
    resp = client.get(f"/reports/windows/CD-SW-001/report.pdf?period={Q3}")
    assert resp.status_code == 200
    found: dict[str, float] = {}

    def visit(text, cm, tm, font, size):
        for key in ("报告对象", "CD-SW-001"):
            if text.startswith(key) and key not in found:
                found[key] = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]  # on the page

    pypdf.PdfReader(io.BytesIO(resp.data)).pages[0].extract_text(visitor_text=visit)
    assert set(found) == {"报告对象", "CD-SW-001"}
    assert abs(found["报告对象"] - found["CD-SW-001"]) < 2, found


@pytest.mark.parametrize("suffix", ["", "/report.xlsx", "/report.pdf"])
def test_a_unit_without_windows_gets_a_page_saying_so(client, auth, db, rated, suffix):
    """Not the bare 404: the unit exists, has no window yet, and the page says who adds one and
    where. Its downloads answer the same (a page, not an empty file). Another's stays a 404."""
    from feedback_api.services import units

    with db():
        units.ensure_unit(None, name="区税务局新办税点", code="CD-SWX", industry="tax")
    path = f"/reports/units/CD-SWX{suffix}?period={Q3}"
    for who in ("office", "unit"):  # the unit user's scope is the tax unit CD-SW, not CD-SWX
        auth.login(who)
        resp = client.get(path)
        html = resp.get_data(as_text=True)
        if who == "unit":
            assert resp.status_code == 404 and "还没有登记窗口" not in html
            continue
        assert resp.status_code == 404 and resp.mimetype == "text/html"
        assert "区税务局新办税点（CD-SWX）还没有登记窗口" in html
        assert "窗口台账" in html and "新建窗口" in html and "台账导入" in html
        assert 'href="/windows/new"' in html
        client.post("/logout", data={"csrf_token": auth.csrf_token("/")})
