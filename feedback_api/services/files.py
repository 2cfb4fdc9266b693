"""Uploaded files (ticket evidence, covert-inspection evidence, programme submissions) on disk.

One store for every feature: a file is kept under ``<instance>/files`` by the SHA-256 of its
content, so the checksum that a feature records is also the file's name, the same upload twice
is kept once, and no name from the user ever reaches the file system. Its type is read from the
content (``filetype``), never from the name or the browser's content type. Services record the
returned ``StoredFile`` in their own tables; whoever serves it checks the reader's scope first.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import filetype
from flask import Response, current_app, send_file

from feedback_api.services.errors import ValidationError

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Upload kinds a feature may accept, each the MIME types that content sniffing may find.
KINDS: dict[str, dict[str, str]] = {
    "image": {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp",
              "image/bmp": "bmp"},
    "pdf": {"application/pdf": "pdf"},
    "word": {DOCX: "docx", "application/msword": "doc"},
    "excel": {XLSX: "xlsx", "application/vnd.ms-excel": "xls"},
    # Only the OOXML formats: checked by their parts, where an old OLE file is opaque.
    "docx": {DOCX: "docx"},
    "xlsx": {XLSX: "xlsx"},
    # Phone recordings and videos (covert inspections): what phones and recorders write.
    "audio": {"audio/mpeg": "mp3", "audio/mp4": "m4a", "audio/aac": "aac", "audio/amr": "amr",
              "audio/x-wav": "wav", "audio/ogg": "ogg"},
    "video": {"video/mp4": "mp4", "video/quicktime": "mov", "video/3gpp": "3gp",
              "video/x-m4v": "m4v", "video/webm": "webm"},
}
KIND_NAMES = {"image": "图片", "pdf": "PDF", "word": "Word 文档", "excel": "Excel 表格",
              "docx": "Word 文档（.docx）", "xlsx": "Excel 表格（.xlsx）",
              "audio": "录音（MP3、M4A、AAC、AMR、WAV、OGG）", "video": "视频（MP4、MOV、3GP、WebM）"}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
#: Old Office files (.doc, .xls, WPS) are OLE compound documents, which filetype does not name.
_OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
_CHECKSUM_RE = re.compile(r"^[0-9a-f]{64}$")
#: An OOXML file's main part and the content type [Content_Types].xml gives it.
_OOXML_MAIN = (("word/document.xml", DOCX + ".main+xml", DOCX),
               ("xl/workbook.xml", XLSX + ".main+xml", XLSX))
_CONTENT_TYPES_MAX = 1024 * 1024
#: iPhones' photos: refused (browsers and most PCs cannot show them), with the way out.
HEIC_MESSAGE = "是 HEIC 格式（苹果手机照片），无法查看：请转成 JPG 后上传，如在微信里用“原图”转发或截图"


@dataclass(frozen=True)
class StoredFile:
    checksum: str  # SHA-256 of the content, hex; also its name in the store
    size: int
    content_type: str
    filename: str  # the uploader's name, cleaned, for display and download only


def folder() -> Path:
    return Path(current_app.config["WW_INSTANCE_PATH"]) / "files"


def path_of(checksum: str) -> Path:
    if not _CHECKSUM_RE.match(checksum or ""):
        raise ValueError("not a SHA-256 checksum")
    return folder() / checksum[:2] / checksum


def clean_filename(name: str, default: str = "附件") -> str:
    """The uploader's file name without path, control characters or more than 120 characters."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    return name[-120:] or default


def _ooxml(data: bytes) -> str | None:
    """DOCX or XLSX when ``data`` is a zip package with a [Content_Types].xml that declares the
    main part it holds (a zip with a word/ folder is not enough; a .docm declares another type)."""
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = set(package.namelist())
            if package.getinfo("[Content_Types].xml").file_size > _CONTENT_TYPES_MAX:
                return None
            types = package.read("[Content_Types].xml").decode("utf-8", "replace")
    except Exception:  # a damaged, encrypted or odd zip raises many types: not an Office file
        return None
    return next((mime for part, main, mime in _OOXML_MAIN
                 if part in names and f'ContentType="{main}"' in types), None)


def sniff(data: bytes, kinds: tuple[str, ...]) -> str:
    """The content type of ``data`` if it is one of ``kinds``; else a ValidationError in Chinese."""
    allowed = {mime for kind in kinds for mime in KINDS[kind]}
    guess = filetype.guess(data)
    mime = guess.mime if guess is not None else None
    if mime in ("application/zip", DOCX, XLSX):
        mime = _ooxml(data) or "application/zip"
    if mime in ("image/heic", "image/heif") and "image" in kinds:
        raise ValidationError("文件" + HEIC_MESSAGE)
    if mime is None and data.startswith(_OLE_MAGIC):
        # The name cannot be trusted, but an OLE file is a Word or an Excel file to whoever
        # opens it; serve it as the kind the feature asked for.
        mime = "application/msword" if "word" in kinds else "application/vnd.ms-excel"
    if mime not in allowed:
        names = "、".join(KIND_NAMES[k] for k in kinds)
        raise ValidationError(f"文件类型不支持：只接受{names}")
    return mime


def save(data: bytes, filename: str, *, kinds: tuple[str, ...] = ("image", "pdf", "word"),
         max_bytes: int = DEFAULT_MAX_BYTES) -> StoredFile:
    """Check and store one upload; returns what the feature records. Durable when it returns."""
    if not data:
        raise ValidationError("文件为空")
    if len(data) > max_bytes:
        raise ValidationError(f"文件过大：不超过 {max_bytes // (1024 * 1024)} MB")
    content_type = sniff(data, kinds)
    checksum = hashlib.sha256(data).hexdigest()
    target = path_of(checksum)
    # Stored already, unless what is there no longer has its checksum (damaged or altered on
    # disk): the same bytes uploaded again repair it.
    if not target.exists() or not intact(checksum):
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written whole and synced before it takes its name: a crash leaves no partial file
        # under a checksum that a committed row may already name.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return StoredFile(checksum, len(data), content_type, clean_filename(filename))


def read(checksum: str) -> bytes:
    return path_of(checksum).read_bytes()


def intact(checksum: str) -> bool:
    """Whether the stored file is still there and still has the checksum it is named by."""
    path = path_of(checksum)
    if not path.is_file():
        return False
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest() == checksum


_View = TypeVar("_View", bound=Callable[..., Any])


def request_limit(limit: Callable[[], int]) -> Callable[[_View], _View]:
    """Mark a view that takes larger uploads than MAX_CONTENT_LENGTH: ``limit()`` (bytes) is set
    on its requests before anything reads the body (feedback_api.app), for that view only."""

    def mark(view: _View) -> _View:
        view.ww_request_limit = limit  # type: ignore[attr-defined]
        return view

    return mark


def send(stored: StoredFile, *, inline: bool = False) -> Response:
    """Serve a stored file with its sniffed type; the caller has checked the reader's scope."""
    path = path_of(stored.checksum)
    if not path.exists():
        raise FileNotFoundError(stored.checksum)
    # Only pictures and PDFs open in the browser; anything else is a download.
    inline = inline and (stored.content_type.startswith("image/")
                         or stored.content_type == "application/pdf")
    resp = send_file(path, mimetype=stored.content_type, as_attachment=not inline,
                     download_name=stored.filename, max_age=0)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp
