"""Evidence files of a unit's response or appeal: images, PDFs, Word and Excel files, kept in the shared
content-addressed store (``services.files``: type sniffed from the content, size-limited,
durable), recorded in ``evidence_files`` with the checksum, type and size the store returns, and
served only to users who may see the window."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app

from feedback_api.db import Session
from feedback_api.models import Appeal, EvidenceFile, TicketRound, User
from feedback_api.services import files, scope
from feedback_api.services.errors import NotFound, ValidationError
from feedback_api.services.feedback import MAX_ID

#: How many files one response or appeal may carry.
MAX_FILES = 10
#: What a response or an appeal may carry (services.files.KINDS).
KINDS = ("image", "pdf", "docx", "xlsx")


@dataclass(frozen=True)
class Upload:
    """A file as received: the uploader's name and the bytes."""

    name: str
    content: bytes


def max_bytes() -> int:
    return int(current_app.config["WW_EVIDENCE_MAX_MB"]) * 1024 * 1024


def form_bytes() -> int:
    """The largest form with evidence the pages take (``files.request_limit``): its ten files of
    the full size, as the form says, plus its fields."""
    return MAX_FILES * max_bytes() + 1024 * 1024


def check(uploads: list[Upload]) -> list[tuple[Upload, str]]:
    """Validate every file before anything is stored: all are accepted, or none."""
    uploads = [u for u in uploads if u.content or u.name]
    if len(uploads) > MAX_FILES:
        raise ValidationError(f"最多上传 {MAX_FILES} 个证明材料")
    limit = max_bytes()
    checked = []
    for u in uploads:
        name = files.clean_filename(u.name, "file")
        if not u.content:
            raise ValidationError(f"文件“{name}”是空的")
        if len(u.content) > limit:
            raise ValidationError(f"文件“{name}”超过 {limit // (1024 * 1024)} MB")
        try:
            kind = files.sniff(u.content, KINDS)
        except ValidationError as exc:
            if exc.message.endswith(files.HEIC_MESSAGE):
                raise ValidationError(f"文件“{name}”{files.HEIC_MESSAGE}") from None
            raise ValidationError(f"文件“{name}”不是图片（JPEG、PNG、GIF、WebP、BMP）、PDF、"
                                  "Word 文档（.docx）或 Excel 表格（.xlsx）") from None
        checked.append((Upload(name, u.content), kind))
    return checked


def store(uploads: list[tuple[Upload, str]], actor: User | None, *,
          round_: TicketRound | None = None, appeal: Appeal | None = None) -> list[EvidenceFile]:
    """Save checked files in the shared store and add their rows (flushed). A file whose row is
    rolled back stays in the store unreferenced and is never served: nothing reaches it without
    its row."""
    rows = []
    for upload, _kind in uploads:
        saved = files.save(upload.content, upload.name, kinds=KINDS, max_bytes=max_bytes())
        row = EvidenceFile(
            round_id=round_.id if round_ is not None else None,
            appeal_id=appeal.id if appeal is not None else None,
            original_name=saved.filename[:200],
            # The file is found by its checksum; stored_name stays a unique name of the row (the
            # same picture may back two responses).
            stored_name=f"{saved.checksum[:16]}-{secrets.token_hex(12)}",
            content_type=saved.content_type, size_bytes=saved.size, sha256=saved.checksum,
            uploaded_by_id=actor.id if actor is not None else None)
        Session.add(row)
        rows.append(row)
    Session.flush()
    return rows


def get_for(user: User, file_id: int) -> tuple[EvidenceFile, files.StoredFile]:
    """A file ``user`` may see (its ticket's or appeal's window is in scope), as the store's
    ``StoredFile`` (for ``files.send``)."""
    row = Session.get(EvidenceFile, file_id) if 0 < file_id <= MAX_ID else None
    window = None
    if row is not None and row.round_id is not None:
        rnd = Session.get(TicketRound, row.round_id)
        window = rnd.window if rnd is not None else None  # the answering unit's, see reads_round
    elif row is not None and row.appeal_id is not None:
        appeal = Session.get(Appeal, row.appeal_id)
        window = appeal.feedback.window if appeal is not None else None
    if row is None or window is None or not scope.can_see_window(user, window):
        raise NotFound("文件不存在或无权查看")
    stored = files.StoredFile(row.sha256, row.size_bytes, row.content_type, row.original_name)
    if not files.path_of(row.sha256).is_file():
        raise NotFound("文件已不在服务器上")
    return row, stored


def reads_round(user: User, rnd: TicketRound) -> bool:
    """Whether ``user`` reads a round's answer and proof files: they are the unit's of the
    round's window, which a transfer (转办) leaves behind with the round, so the unit the ticket
    went to sees that the round was answered, not what another unit answered."""
    return scope.can_see_window(user, rnd.window)


class _AnswerWithheld:
    """A round read by someone outside its window's scope: all of it but the answer."""

    response_text = None
    files: tuple[EvidenceFile, ...] = ()

    def __init__(self, rnd: TicketRound) -> None:
        self._round = rnd

    def __getattr__(self, name: str) -> Any:
        return getattr(self._round, name)


def round_as_read(user: User, rnd: TicketRound) -> Any:
    """The round as ``user`` may read it (the API's dump): without the answer and its files
    when they are another unit's (``reads_round``)."""
    return rnd if reads_round(user, rnd) else _AnswerWithheld(rnd)


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
