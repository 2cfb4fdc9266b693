"""Word and Excel (OOXML only, checked by their parts, not their names) as ticket proof and as
cycle attachments; served as downloads with their own type. HEIC is refused with the way out."""

from __future__ import annotations

import io
import zipfile

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from feedback_api.db import Session
from feedback_api.models import EvidenceFile
from feedback_api.services import cycle as svc
from feedback_api.services import evidence_files, files, ticket_loop, ticket_open, users
from feedback_api.services.errors import ValidationError
from tests.conftest import AuthActions
from tests.feedback_api.test_cycle import rec, u, year  # noqa: F401 (the fixture)
from tests.feedback_api.test_tickets import make_feedback

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
          'package/2006/content-types"><Override PartName="/{part}" ContentType="{type}"/></Types>')


def docx(main: str = DOCX + ".main+xml", part: str = "word/document.xml") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", _TYPES.format(part=part, type=main))
        z.writestr(part, "<w:document/>")
    return buf.getvalue()


def xlsx() -> bytes:
    wb = Workbook()
    wb.active.append(["整改事项", "完成情况"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def zip_named_like_word() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "no content types: not a Word file")
    return buf.getvalue()


HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
OLE = bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 600


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def test_ooxml_is_recognised_by_its_parts(ctx):
    assert files.sniff(docx(), ("docx",)) == DOCX
    assert files.sniff(xlsx(), ("xlsx",)) == XLSX
    for data, kinds in [(xlsx(), ("docx",)), (docx(), ("xlsx",)), (OLE, ("docx", "xlsx")),
                        (zip_named_like_word(), ("docx",)),
                        # A macro-enabled document (.docm) is not a .docx.
                        (docx("application/vnd.ms-word.document.macroEnabled.main+xml"), ("docx",))]:
        with pytest.raises(ValidationError, match="文件类型不支持"):
            files.sniff(data, kinds)


def test_heic_is_refused_with_the_way_to_send_it(ctx):
    with pytest.raises(ValidationError) as err:
        files.sniff(HEIC, ("image", "pdf"))
    assert "HEIC" in err.value.message and "JPG" in err.value.message and "原图" in err.value.message
    with pytest.raises(ValidationError) as err:
        evidence_files.check([evidence_files.Upload("IMG_0001.HEIC", HEIC)])
    assert "IMG_0001.HEIC" in err.value.message and "JPG" in err.value.message


def test_a_word_report_and_an_excel_sheet_are_ticket_proof(app, district, db):
    fid = make_feedback(db)
    with db():
        ticket = ticket_open.open_from_feedback(users.get_user("agency"), fid, problem="请整改")
        rnd = ticket_loop.respond(users.get_user("unit"), ticket.id, "已整改，见整改报告",
                                  [evidence_files.Upload("整改报告.docx", docx()),
                                   evidence_files.Upload("整改台账.xlsx", xlsx())])
        rows = Session.scalars(sa.select(EvidenceFile).where(EvidenceFile.round_id == rnd.id)).all()
        kinds = {f.original_name: (f.content_type, f.id) for f in rows}
    assert {k: v[0] for k, v in kinds.items()} == {"整改报告.docx": DOCX, "整改台账.xlsx": XLSX}
    with db():
        with pytest.raises(ValidationError, match="Word"):
            evidence_files.check([evidence_files.Upload("旧报告.doc", OLE)])
    client = app.test_client()
    assert AuthActions(client).login("agency").status_code == 302
    for name, (mime, file_id) in kinds.items():
        resp = client.get(f"/tickets/files/{file_id}")
        assert resp.status_code == 200 and resp.mimetype == mime, name
        assert resp.headers["Content-Disposition"].startswith("attachment")
        resp.close()


def test_cycle_attachments_take_excel(db, year, app):  # noqa: F811 (the fixture)
    with db():
        health = u("authority")
        s = svc.save_draft(health, svc.get_cycle(year), "recommendation", rec("CD-RMYY-001"))
        att = svc.add_attachment(health, s, xlsx(), "推荐汇总表.xlsx")
        assert att.content_type == XLSX
        with pytest.raises(ValidationError, match="Excel"):
            svc.add_attachment(health, s, zip_named_like_word(), "假的.xlsx")
