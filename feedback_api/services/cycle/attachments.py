"""Attachments of a submission (PDF, Word, Excel .xlsx, pictures), through the one upload store."""

from __future__ import annotations

from feedback_api.db import Session
from feedback_api.models import Submission, SubmissionAttachment, User
from feedback_api.services import audit, files
from feedback_api.services.cycle.fields import SUBMITTER_ROLES
from feedback_api.services.cycle.submissions import _check_own, _check_visible, get_submission
from feedback_api.services.errors import Conflict, NotFound, PermissionDenied, ValidationError

ATTACHMENT_KINDS = ("pdf", "word", "xlsx", "image")


#: The upload store's default (the request limit, MAX_CONTENT_LENGTH, is 16 MB).
ATTACHMENT_MAX_BYTES = files.DEFAULT_MAX_BYTES


MAX_ATTACHMENTS = 10


def add_attachment(actor: User, submission: Submission, data: bytes,
                   filename: str) -> SubmissionAttachment:
    """Store a PDF, Word or Excel file or a picture through the one upload store and attach it."""
    _check_visible(actor, submission)
    _check_own(actor, submission)
    if actor.role not in SUBMITTER_ROLES[submission.kind]:
        raise PermissionDenied("无权上传附件")
    if submission.state not in {"draft", "returned"}:
        raise Conflict("已提交的材料不能再添加附件")
    if len(submission.attachments) >= MAX_ATTACHMENTS:
        raise ValidationError(f"每份材料最多 {MAX_ATTACHMENTS} 个附件")
    stored = files.save(data, filename, kinds=ATTACHMENT_KINDS, max_bytes=ATTACHMENT_MAX_BYTES)
    att = SubmissionAttachment(submission=submission, checksum=stored.checksum, size=stored.size,
                               content_type=stored.content_type, filename=stored.filename,
                               uploaded_by=actor.id)
    Session.add(att)
    Session.flush()
    audit.record_change(actor, "attach", "submission", submission.id, None,
                        {"file": stored.filename, "sha256": stored.checksum, "size": stored.size})
    return att


def attachment_file(actor: User, submission_id: int, attachment_id: int) -> files.StoredFile:
    sub = get_submission(actor, submission_id)
    att = next((a for a in sub.attachments if a.id == attachment_id), None)
    if att is None:
        raise NotFound("附件不存在")
    return files.StoredFile(att.checksum, att.size, att.content_type, att.filename)
