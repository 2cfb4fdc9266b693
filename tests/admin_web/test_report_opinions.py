"""A rating report's complaint hot words and best and worst comments: from the report's own
windows and period only, counted opinions only, masked text only; the page, the Excel workbook
and the PDF show the same; a published period still reads them live (an erased opinion leaves)."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from analytics import snapshots
from analytics.assessment import Period
from feedback_api.models import Feedback
from tests.assessment_helpers import add_feedback, user

Q3 = "2026Q3"
AUG = datetime(2026, 8, 10, 4, tzinfo=UTC)


def _opinion(code: str, rating: int | None, sentiment: float, keywords: list[str], raw: str,
             masked: str, *, at: datetime = AUG, **extra: object) -> None:
    add_feedback(code, [rating], at=at, text=raw, masked_text=masked, keywords=keywords,
                 sentiment=sentiment, analyzed_at=at, **extra)


@pytest.fixture()
def said(db, district):
    with db():
        _opinion("CD-SW-001", 1, 0.05, ["态度", "排队"], "态度差，排队一小时，电话13812345678",
                 "态度差，排队一小时，电话[电话]")
        _opinion("CD-SW-001", 2, 0.2, ["排队", "系统"], "系统慢又排队", "系统慢又排队")
        # Unrated: the model's reading is all there is, and it reads a complaint.
        _opinion("CD-SW-001", None, 0.1, ["排队"], "还行吧，就是排队太久", "还行吧，就是排队太久")
        _opinion("CD-SW-001", 5, 0.95, ["耐心"], "王小明很耐心，服务很好", "[姓名]很耐心，服务很好")
        _opinion("CD-SW-001", 4, 0.7, ["方便"], "办事方便", "办事方便")
        # Not counted or not this report's: an invalid opinion, another window's, last quarter's.
        _opinion("CD-SW-001", 1, 0.01, ["无效词"], "乱写的", "乱写的", review_state="invalid")
        _opinion("CD-RMYY-001", 1, 0.02, ["挂号"], "挂号难", "挂号难")
        _opinion("CD-SW-001", 1, 0.02, ["旧词"], "上季度的意见", "上季度的意见",
                 at=datetime(2026, 5, 10, 4, tzinfo=UTC))


def _published(db) -> None:
    """The quarter published: a unit reads published figures only (its comments stay live)."""
    with db():
        snapshots.publish(user("office"), Period("quarter", 2026, 3))


def _hot_words(html: str) -> list[tuple[str, str]]:
    table = re.search(r'<table class="grid compact" id="t-hot-words">(.*?)</table>', html, re.S)
    assert table
    return re.findall(r"<tr><td>([^<]*)</td><td>(\d+)</td></tr>", table.group(1))


def test_the_page_shows_the_windows_hot_words_and_masked_comments(client, auth, db, said):
    _published(db)
    auth.login("unit")
    html = client.get(f"/reports/windows/CD-SW-001?period={Q3}").get_data(as_text=True)
    assert _hot_words(html) == [("排队", "3"), ("态度", "1"), ("系统", "1")]
    assert "本期 3 条投诉" in html
    for absent in ("无效词", "挂号", "旧词", "乱写的", "上季度的意见", "13812345678", "王小明"):
        assert absent not in html, absent
    section = html.split('id="opinions"', 1)[1].split("</section>", 1)[0]
    # A complaint list (差评 or negative), named so: 差评 alone is a 1-2 rating (GLOSSARY.md).
    assert "差评意见" not in html
    best, worst = section.split("<h3>投诉意见</h3>")
    assert best.index("[姓名]很耐心") < best.index("办事方便")  # most favourable first
    assert "态度差" not in best
    assert worst.index("态度差，排队一小时，电话[电话]") < worst.index("系统慢又排队") < worst.index("就是排队太久")
    assert "2026-08-10" in worst and "非常不满意" in worst


def test_the_excel_and_pdf_hold_the_same_words_and_comments(client, auth, db, said):
    _published(db)
    auth.login("unit")
    html = client.get(f"/reports/windows/CD-SW-001?period={Q3}").get_data(as_text=True)
    wb = load_workbook(io.BytesIO(client.get(
        f"/reports/windows/CD-SW-001/report.xlsx?period={Q3}").data))
    rows = list(wb["群众意见"].iter_rows(values_only=True))
    assert rows[0][:2] == ("投诉热词", "投诉条数")
    assert [(w, str(n)) for w, n, *_ in rows[1:4]] == _hot_words(html)
    assert all(isinstance(n, int) for _w, n, *_ in rows[1:4])
    worst_at = next(i for i, r in enumerate(rows) if r[0] == "投诉意见")
    # Each list's name on a row of its own, then a header over the columns it names.
    assert rows[worst_at][1:] == (None, None, None)
    assert rows[worst_at + 1] == ("日期", "窗口", "评分", "意见（已脱敏）")
    best_at = next(i for i, r in enumerate(rows) if r[0] == "好评意见")
    assert rows[best_at + 1] == ("日期", "窗口", "评分", "意见（已脱敏）")
    assert rows[best_at + 2][1:3] == ("CD-SW-001", 5)
    first = rows[worst_at + 2]
    assert first[0].date() == date(2026, 8, 10) and first[1:] == (
        "CD-SW-001", 1, "态度差，排队一小时，电话[电话]")
    cells = " ".join(str(c) for r in rows for c in r)
    assert "13812345678" not in cells and "王小明" not in cells and "[姓名]很耐心" in cells
    pypdf = pytest.importorskip("pypdf")
    pdf = client.get(f"/reports/windows/CD-SW-001/report.pdf?period={Q3}").data
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages))
    assert "投诉热词" in text and "排队3" in text and "系统慢又排队" in text
    assert "投诉意见" in text and "差评意见" not in text
    assert "13812345678" not in text and "王小明" not in text


def test_a_published_report_reads_comments_live_so_an_erased_one_leaves(db, client, auth, said):
    with db():
        snapshots.publish(user("office"), Period("quarter", 2026, 3))
    auth.login("unit")
    html = client.get(f"/reports/windows/CD-SW-001?period={Q3}").get_data(as_text=True)
    assert "已发布 v1" in html and "系统慢又排队" in html
    with db() as s:  # the citizen's opinion is erased (as ``citizens forget`` does)
        s.execute(sa.update(Feedback).where(Feedback.masked_text == "系统慢又排队")
                  .values(text=None, masked_text=None, keywords=sa.null()))
    html = client.get(f"/reports/windows/CD-SW-001?period={Q3}").get_data(as_text=True)
    assert "已发布 v1" in html and "系统慢又排队" not in html
    assert _hot_words(html)[0] == ("排队", "2")


def test_a_report_without_opinions_says_so(client, auth, district):
    auth.login("office")
    html = client.get(f"/reports/windows/CD-SW-002?period={Q3}").get_data(as_text=True)
    section = html.split('id="opinions"', 1)[1].split("</section>", 1)[0]
    assert section.count("本期无") == 3 and "本期 0 条投诉" in section


def test_an_opinion_with_markup_characters_prints_as_typed(client, auth, db, district):
    """reportlab reads a Paragraph's text as markup: a citizen's "<" must not break the PDF."""
    pypdf = pytest.importorskip("pypdf")
    typed = "排队<b>一小时 & 没人管</i>"
    with db():
        _opinion("CD-SW-001", 1, 0.05, ["排队"], typed, typed)
    _published(db)
    auth.login("unit")
    resp = client.get(f"/reports/windows/CD-SW-001/report.pdf?period={Q3}")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(resp.data)).pages)
    assert typed.replace(" ", "") in re.sub(r"\s+", "", text)


def test_an_opinion_with_control_characters_still_exports_to_excel(client, auth, db, district):
    """Word's line break (\\x0b) and other control characters, pasted into an opinion, are ones
    an XLSX cell cannot hold: the workbook shows them as spaces instead of failing."""
    typed = "排队\x0b太久\x01了"
    with db():
        _opinion("CD-SW-001", 1, 0.05, ["排队"], typed, typed)
    _published(db)
    auth.login("unit")
    resp = client.get(f"/reports/windows/CD-SW-001/report.xlsx?period={Q3}")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.data))["群众意见"]
    assert "排队 太久 了" in [row[3] for row in ws.iter_rows(values_only=True)]


def test_a_complaint_is_what_the_citizen_meant_not_what_the_model_guessed(client, auth, db,
                                                                          district):
    """A 差评 is a complaint; a rating of 3-5 is not, whatever the model reads in its words
    ("不拥挤" reads negative to it); the reviewer's verdict, a person's reading, decides over
    both but a counted 差评; the model decides only an unrated opinion."""
    with db():
        _opinion("CD-SW-001", 5, 0.08, ["叫号"], "叫号有序，不拥挤", "叫号有序，不拥挤")
        _opinion("CD-SW-001", 3, 0.2, ["等候"], "等候有点久", "等候有点久")
        _opinion("CD-SW-001", None, 0.1, ["材料"], "材料要求说不清", "材料要求说不清")
        _opinion("CD-SW-001", 4, 0.9, ["收费"], "乱收费还说好", "乱收费还说好",
                 reviewed_sentiment=0)
        _opinion("CD-SW-001", 1, 0.9, ["态度"], "态度好个鬼", "态度好个鬼", reviewed_sentiment=1)
        _opinion("CD-SW-001", None, 0.9, ["便民"], "很便民", "很便民")
    _published(db)
    auth.login("unit")
    html = client.get(f"/reports/windows/CD-SW-001?period={Q3}").get_data(as_text=True)
    section = html.split('id="opinions"', 1)[1].split("</section>", 1)[0]
    best, worst = section.split("<h3>投诉意见</h3>")
    assert sorted(w for w, _n in _hot_words(html)) == ["态度", "收费", "材料"]
    assert "本期 3 条投诉" in html
    for complaint in ("材料要求说不清", "乱收费还说好", "态度好个鬼"):
        assert complaint in worst and complaint not in best, complaint
    for neither in ("叫号有序", "等候有点久"):
        assert neither not in worst, neither
    assert "叫号有序，不拥挤" in best and "很便民" in best and "等候有点久" not in best
