"""Evidence files of a unit's response or appeal: images and PDFs, recognised by their content
(never by the name or the browser's content type), size-limited, stored in the instance folder
under our own name with their SHA-256, and served only to users who may see the window."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from feedback_api.db import Session, utcnow
from feedback_api.models import Appeal, EvidenceFile, TicketRound, User
from feedback_api.services import scope
from feedback_api.services.errors import NotFound, ValidationError
from feedback_api.services.feedback import MAX_ID

#: How many files one response or appeal may carry.
MAX_FILES = 10
_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif",
               "image/webp": ".webp", "application/pdf": ".pdf"}


@dataclass(frozen=True)
class Upload:
    """A file as received: the uploader's name and the bytes."""

    name: str
    content: bytes


def sniff(content: bytes) -> str | None:
    """The content type of an image or PDF, from its first bytes; None for anything else."""
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def folder() -> Path:
    return Path(current_app.config["WW_INSTANCE_PATH"]) / "ticket-evidence"


def max_bytes() -> int:
    return int(current_app.config["WW_EVIDENCE_MAX_MB"]) * 1024 * 1024


def check(uploads: list[Upload]) -> list[tuple[Upload, str]]:
    """Validate every file before anything is stored: all are accepted, or none."""
    uploads = [u for u in uploads if u.content or u.name]
    if len(uploads) > MAX_FILES:
        raise ValidationError(f"最多上传 {MAX_FILES} 个证明材料")
    limit = max_bytes()
    checked = []
    for u in uploads:
        name = (u.name or "file").replace("\x00", "")[-200:]
        if not u.content:
            raise ValidationError(f"文件“{name}”是空的")
        if len(u.content) > limit:
            raise ValidationError(f"文件“{name}”超过 {limit // (1024 * 1024)} MB")
        kind = sniff(u.content)
        if kind is None:
            raise ValidationError(f"文件“{name}”不是图片（JPEG、PNG、GIF、WebP）或 PDF")
        checked.append((Upload(name, u.content), kind))
    return checked


def store(uploads: list[tuple[Upload, str]], actor: User | None, *,
          round_: TicketRound | None = None, appeal: Appeal | None = None) -> list[EvidenceFile]:
    """Write checked files and add their rows (flushed). A file whose row is rolled back stays
    on disk unreferenced and is never served: nothing reaches it without its row."""
    target = folder()
    target.mkdir(parents=True, exist_ok=True)
    rows = []
    for upload, kind in uploads:
        stored = f"{utcnow():%Y%m%d}-{secrets.token_hex(12)}{_EXTENSIONS[kind]}"
        path = target / stored
        with open(path, "xb") as fh:
            fh.write(upload.content)
            fh.flush()
        row = EvidenceFile(
            round_id=round_.id if round_ is not None else None,
            appeal_id=appeal.id if appeal is not None else None,
            original_name=upload.name, stored_name=stored, content_type=kind,
            size_bytes=len(upload.content), sha256=hashlib.sha256(upload.content).hexdigest(),
            uploaded_by_id=actor.id if actor is not None else None)
        Session.add(row)
        rows.append(row)
    Session.flush()
    return rows


def get_for(user: User, file_id: int) -> tuple[EvidenceFile, Path]:
    """A file ``user`` may see (its ticket's or appeal's window is in scope), and its path."""
    row = Session.get(EvidenceFile, file_id) if 0 < file_id <= MAX_ID else None
    window = None
    if row is not None and row.round_id is not None:
        rnd = Session.get(TicketRound, row.round_id)
        window = rnd.ticket.window if rnd is not None else None
    elif row is not None and row.appeal_id is not None:
        appeal = Session.get(Appeal, row.appeal_id)
        window = appeal.feedback.window if appeal is not None else None
    if row is None or window is None or not scope.can_see_window(user, window):
        raise NotFound("文件不存在或无权查看")
    path = folder() / row.stored_name
    if not path.is_file():
        raise NotFound("文件已不在服务器上")
    return row, path


def files_of_rounds(round_ids: list[int]) -> dict[int, list[EvidenceFile]]:
    out: dict[int, list[EvidenceFile]] = {}
    if not round_ids:
        return out
    for row in Session.scalars(sa.select(EvidenceFile).where(EvidenceFile.round_id.in_(round_ids))
                               .order_by(EvidenceFile.id)):
        out.setdefault(row.round_id or 0, []).append(row)
    return out


def files_of_appeal(appeal_id: int) -> list[EvidenceFile]:
    return list(Session.scalars(sa.select(EvidenceFile).where(EvidenceFile.appeal_id == appeal_id)
                                .order_by(EvidenceFile.id)))
