"""The upload store: content sniffing, size limit, checksum names, durable writes, serving."""

import hashlib
import io
import zipfile

import pytest
from flask import Flask

from feedback_api.services import files
from feedback_api.services.errors import ValidationError

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        # What makes it Word: the main part, and the type [Content_Types].xml declares for it.
        z.writestr("[Content_Types].xml", '<Types><Override PartName="/word/document.xml" '
                   'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml'
                   '.document.main+xml"/></Types>')
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


@pytest.fixture
def ctx(app: Flask):
    with app.test_request_context():
        yield


def test_saves_by_checksum_and_reads_back(ctx):
    stored = files.save(PNG, "C:\\Users\\张三\\现场照片.png")
    assert stored.checksum == hashlib.sha256(PNG).hexdigest()
    assert (stored.content_type, stored.size, stored.filename) == ("image/png", len(PNG), "现场照片.png")
    assert files.path_of(stored.checksum).parent.name == stored.checksum[:2]
    assert files.read(stored.checksum) == PNG
    assert files.save(PNG, "again.png").checksum == stored.checksum  # kept once


@pytest.mark.parametrize("data,kinds,mime", [
    (PDF, ("pdf",), "application/pdf"),
    (_docx(), ("word",), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 600, ("word",), "application/msword"),
])
def test_documents_are_recognised_by_content(ctx, data, kinds, mime):
    assert files.save(data, "x.bin", kinds=kinds).content_type == mime


@pytest.mark.parametrize("data,name,message", [
    (b"", "a.png", "文件为空"),
    (b"<script>alert(1)</script>", "evil.png", "文件类型不支持"),  # the name does not make it a picture
    (b"MZ\x90\x00" + b"\0" * 100, "report.pdf", "文件类型不支持"),
    (PDF + b"% only pictures\n", "a.pdf", "文件类型不支持"),  # a PDF where only pictures are asked for
    (PNG + b"\0" * 2048, "big.png", "文件过大"),
])
def test_refused_uploads_say_why_and_store_nothing(ctx, data, name, message):
    kinds = ("image",)
    with pytest.raises(ValidationError) as err:
        files.save(data, name, kinds=kinds, max_bytes=1024)
    assert message in err.value.message
    assert not files.path_of(hashlib.sha256(data).hexdigest()).exists()


def test_filenames_lose_paths_and_control_characters():
    assert files.clean_filename("../../etc/passwd") == "passwd"
    assert files.clean_filename("报告\x00\n.pdf") == "报告.pdf"
    assert files.clean_filename("   ") == "附件"
    assert len(files.clean_filename("长" * 300 + ".pdf")) == 120


def test_path_of_refuses_anything_but_a_checksum(ctx):
    for bad in ("../x", "ab", "G" * 64, ""):
        with pytest.raises(ValueError):
            files.path_of(bad)


def test_send_serves_pictures_inline_and_documents_as_downloads(ctx):
    pic = files.save(PNG, "照片.png")
    resp = files.send(pic, inline=True)
    resp.direct_passthrough = False
    assert resp.mimetype == "image/png" and resp.get_data() == PNG
    assert resp.headers["Content-Disposition"].startswith("inline")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    resp.close()
    doc = files.save(_docx(), "整改报告.docx", kinds=("word",))
    resp = files.send(doc, inline=True)
    resp.close()
    assert resp.headers["Content-Disposition"].startswith("attachment")
    assert "filename*=UTF-8''%E6%95%B4" in resp.headers["Content-Disposition"]
