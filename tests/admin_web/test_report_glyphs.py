"""A citizen's ·, ✓ and ❤ in a rating report PDF: STSong-Light has no glyph for them (boxes on
paper, and a ❤ took the next character's code with it); the report prints readable stand-ins,
every code of its text one the font's CMap maps, and poppler reads the glyphs back as them. A
window's poster likewise prints a name typed with ·."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest

from feedback_api.services.pdf_glyphs import covered
from tests.admin_web.test_report_opinions import _opinion

SAID = "张·三办事快✓，态度好❤️谢谢👍"
PRINTED = "张・三办事快√，态度好[心]谢谢[表情]"


@pytest.fixture()
def praised(db, district):  # type: ignore[no-untyped-def]
    with db():
        _opinion("CD-SW-001", 5, 0.95, ["态度"], SAID, SAID)


def _report(client, auth) -> bytes:  # type: ignore[no-untyped-def]
    auth.login("office")
    response = client.get("/reports/windows/CD-SW-001/report.pdf?period=2026Q3")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return response.data


def test_a_citizens_symbols_print_as_readable_stand_ins(client, auth, praised):
    pypdf = pytest.importorskip("pypdf")
    # pypdf reads the codes the PDF sends the font (its UTF-16), as they are.
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(_report(client, auth))).pages)
    assert PRINTED in "".join(text.split())
    assert not [ch for ch in set(text) if not ch.isspace() and not covered(ch)]


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils is not installed")
def test_poppler_reads_the_stand_ins_back_from_the_glyphs(client, auth, praised, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(_report(client, auth))
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    # poppler reads each glyph back through the collection's own Unicode, where GB 2312's 中点
    # (sent as U+30FB) is U+00B7. Before, it read 张 and 三办事快 apart and ❤ as 擾.
    assert PRINTED.replace("・", "·") in "".join(text.split())


def test_a_window_poster_prints_a_middle_dot_in_its_name(client, auth, db, district):
    """A window's name typed with · (门诊·挂号) printed a box on its poster."""
    from pypdf import PdfReader

    from feedback_api.services import windows

    with db():
        windows.update_window(None, "CD-SW-001", {"name": "综合办税·发票窗口"})
    auth.login("office")
    resp = client.get("/windows/CD-SW-001/poster.pdf")
    assert resp.status_code == 200
    text = PdfReader(io.BytesIO(resp.data)).pages[0].extract_text()
    assert "综合办税・发票窗口" in text
    assert not [ch for ch in set(text) if not ch.isspace() and not covered(ch)]
