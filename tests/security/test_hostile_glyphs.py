"""A citizen's opinion is whatever a phone sends: pdf_glyphs.printable and the rating report's PDF,
Word and Excel files take the worst of it (the longest opinion kept, all pictographs; combining marks
by the thousand; joined and flag sequences cut anywhere; controls, noncharacters, markup) and
never answer a server error."""

from __future__ import annotations

import io

import pytest

from feedback_api.services.feedback import MAX_TEXT
from feedback_api.services.pdf_glyphs import covered, printable
from tests.admin_web.test_report_opinions import _opinion

HOSTILE = [
    "😀" * MAX_TEXT,
    "❤️" * (MAX_TEXT // 2),
    "好" + "\u0301" * (MAX_TEXT - 1),
    "👨\u200d" * (MAX_TEXT // 2),
    "\U0001F1E8" * 7 + "\U0001F1F3\u200d",
    "\x01\x0b\x1f\x7f\x85\u2028\u2029\ufffe\uffff\U0010ffff\U000e0001\u202e\u200b",
    "<para>&amp;</b><font name='x'>&#0;]]>",
    "9\ufe0f\u20e3" * 1000 + "\u200d",
    "x" * MAX_TEXT,
]


@pytest.mark.parametrize("text", [*HOSTILE, "\ud800", "a\udfff\ud83d", "\u200d", "\U0001F1E6"])
def test_printable_takes_anything_and_gives_only_what_the_font_prints(text):
    out = printable(text)
    assert all(covered(ch) or ch in "\t\n\r" for ch in out)
    assert len(out) <= 6 * len(text)  # a stand-in is at most "[表情]" a character


@pytest.fixture()
def hostile(db, district):
    with db():
        for n, text in enumerate(HOSTILE):
            _opinion("CD-SW-001", 1 + n % 5, 0.5, ["态度"], text, text)


def test_cells_printable_leaves_only_what_xml_holds():
    """XML 1.0 (so XLSX and DOCX) holds no C0 control but tab and line ends, no surrogate and
    neither U+FFFE nor U+FFFF: lxml (under python-docx and openpyxl) refuses the whole file for
    one of them."""
    from docx.oxml import OxmlElement

    from feedback_api.services.cells import printable as cell_text

    for text in [*HOSTILE, "\ud800", "a\udfff\ud83d", "\x00"]:
        OxmlElement("w:t").text = cell_text(text)  # raises ValueError on any it cannot hold
    assert cell_text("a\ufffeb\uffff\x0bc\td") == "a b  c\td"


@pytest.mark.parametrize("ext", ["pdf", "docx", "xlsx"])
def test_the_rating_report_takes_the_worst_opinions(client, auth, hostile, ext):
    auth.login("office")
    resp = client.get(f"/reports/windows/CD-SW-001/report.{ext}?period=2026Q3")
    assert resp.status_code == 200, resp.status_code
    if ext == "pdf":
        from pypdf import PdfReader

        assert len(PdfReader(io.BytesIO(resp.data)).pages) >= 1
    elif ext == "docx":
        from docx import Document

        assert Document(io.BytesIO(resp.data)).paragraphs
    else:
        from openpyxl import load_workbook

        assert load_workbook(io.BytesIO(resp.data)).worksheets


def test_a_delisting_circular_takes_what_was_typed_into_the_incident(db, titled_district, client, auth):
    """An incident's account (rule 4), pasted from Word (\\x0b) or holding U+FFFF, is the
    circular's evidence: still a document."""
    from datetime import date

    from analytics import delisting
    from feedback_api.services import covert
    from feedback_api.services import delisting as proposals
    from tests.assessment_helpers import user

    with db():
        covert.save_incident(None, {"window": "CD-RMYY-001", "occurred_on": "2026-05-01",
                                    "kind": "safety", "severity": "major", "source": "群众\uffff举报",
                                    "description": "电梯故障\x0b致群众受伤\ufffe"})
        (p,) = delisting.evaluate(2026)
        pid = p.id
        proposals.confirm(user("office"), pid, on=date(2026, 10, 9))
    auth.login("office")
    for kind in ("circular", "special-report"):
        resp = client.get(f"/assessment/delisting/{pid}/{kind}.docx")
        assert resp.status_code == 200, kind
        from docx import Document

        text = "\n".join(p.text for p in Document(io.BytesIO(resp.data)).paragraphs)
        assert "电梯故障 致群众受伤" in text and "群众 举报" in text


def test_the_agency_reports_typical_opinions_take_the_worst(db, district):
    """A typical opinion is cut to 300 characters; all pictographs, each a 4-character stand-in,
    it is a table cell of 1200: the quarterly report still builds, in PDF and Word."""
    from analytics import agency_report, agency_report_exports
    from analytics.periods import parse_period

    with db():
        for n, code in enumerate(("CD-SW-001", "CD-SW-002", "CD-RMYY-001", "CD-RMYY-002")):
            text = ("😀", "❤️", "👨\u200d👩", "\uffff")[n] * MAX_TEXT
            _opinion(code, 1, 0.01, ["态度"], text, text)
            _opinion(code, 5, 0.99, ["耐心"], text, text)
        figures = agency_report.generate(parse_period("2026Q3"))
        sections = agency_report.default_sections(figures) | {"cases": "😀" * MAX_TEXT}
    assert figures["cases"]["negative"] and figures["cases"]["positive"]
    pdf = agency_report_exports.report_pdf(figures, sections, version=1, state="草稿")
    assert pdf.startswith(b"%PDF")
    from docx import Document

    word = agency_report_exports.report_docx(figures, sections, version=1, state="草稿")
    assert Document(io.BytesIO(word)).paragraphs


@pytest.mark.parametrize(("said", "printed"), [
    ("好\u200d人", "好人"),  # a joiner pasted between two characters takes neither with it
    ("办事\u200d\u200d快", "办事快"),
    ("👨\u200d👩\u200d👧", "[表情]"),  # one picture drawn from three
    ("\u2764\u200d\U0001f525", "[心]"),
    ("\U0001f3c3\u200d\u2640\ufe0f", "[表情]"),  # ♀ the font has, joined into the picture
])
def test_a_joiner_swallows_only_a_picture_joined_to_another(said, printed):
    assert printable(said) == printed
