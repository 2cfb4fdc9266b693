"""Every Word export numbers its pages as the PDFs do, 第 N 页 共 M 页: Word's PAGE and NUMPAGES
fields in the footer (a bare page number before), read from the footer's XML of each file and,
for one, from LibreOffice's rendering of it, where the fields hold the real numbers."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn

from feedback_api.demo import seed_demo

LABEL = ["第 ", "{PAGE}", " 页 共 ", "{NUMPAGES}", " 页"]


@pytest.fixture()
def demo(db):  # type: ignore[no-untyped-def]
    with db():
        seed_demo(feedback_per_window=12)


def _footer(data: bytes) -> list[str]:
    """The footer's text in order, a field as ``{INSTRUCTION}`` (its shown result left out)."""
    doc = Document(io.BytesIO(data))
    (section,) = doc.sections
    out: list[str] = []

    def walk(el) -> None:  # type: ignore[no-untyped-def]
        for child in el:
            if child.tag == qn("w:fldSimple"):
                out.append("{" + child.get(qn("w:instr")).strip() + "}")
            elif child.tag == qn("w:t"):
                out.append(child.text or "")
            else:
                walk(child)

    for p in section.footer.paragraphs:
        walk(p._p)
    # Adjacent texts as one (a run per piece or not is the writer's business).
    joined: list[str] = []
    for piece in out:
        if joined and not piece.startswith("{") and not joined[-1].startswith("{"):
            joined[-1] += piece
        else:
            joined.append(piece)
    return joined


def _word_files(client, auth, app) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    from analytics import agency_report, agency_report_exports, delisting_documents
    from analytics.periods import parse_period

    auth.login("office", "office-demo-2026")
    rating = client.get("/reports/units/CD-RMYY/report.docx?period=2026")
    assert rating.status_code == 200
    with app.app_context():
        figures = agency_report.generate(parse_period("2026Q4"))
        sections = agency_report.default_sections(figures)
    circular = delisting_documents.Document(
        "关于取消某窗口“文明诚信示范窗口”称号的通报", "各行业主管部门，各窗口单位：",
        [("", ["经审核确认，决定取消该窗口称号。"]), ("一、认定依据", ["1. 三次季度综合检查不合格"])],
        delisting_documents.OFFICE, "2026年10月9日")
    return {"rating": rating.data,
            "agency": agency_report_exports.report_docx(figures, sections, version=1, state="草稿"),
            "delisting": delisting_documents.document_docx(circular)}


def test_each_word_export_numbers_its_pages_of_the_total(client, auth, app, demo):
    for name, data in _word_files(client, auth, app).items():
        assert _footer(data) == LABEL, name


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice is not installed")
def test_libreoffice_prints_the_page_and_the_total_on_every_page(client, auth, app, demo, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    source = tmp_path / "agency.docx"
    source.write_bytes(_word_files(client, auth, app)["agency"])
    # A profile of its own: another LibreOffice running on the machine would take the job.
    profile = (tmp_path / "profile").as_uri()
    subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=180)
    reader = pypdf.PdfReader(Path(tmp_path / "agency.pdf"))
    total = len(reader.pages)
    assert total >= 3
    for n, page in enumerate(reader.pages, start=1):
        # Spacing as extracted from LibreOffice's fonts varies (ideographic spaces): compared without.
        lines = ["".join(ln.split()) for ln in page.extract_text().splitlines()]
        assert f"第{n}页共{total}页" in lines, lines[-3:]
