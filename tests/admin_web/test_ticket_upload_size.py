"""The unit's proof as the form promises it: each file up to WW_EVIDENCE_MAX_MB, up to ten of
them. Two phone photos under the limit each go through together (not the generic 16 MB request
cap's 413, which loses what the clerk typed); a file over the limit is refused in Chinese."""

from __future__ import annotations

import io

from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from feedback_api.db import Session
from feedback_api.models import Ticket
from feedback_api.services import ticket_open, users
from tests.admin_web.test_tickets_pages import bad_review, signed_in

MB = 1024 * 1024


def _photo(size: int) -> io.BytesIO:
    return io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * (size - 8))


def _post(client, path, fields):
    """A large multipart body built in memory (the test client's own spools to an unclosed file)."""
    boundary, body = encode_multipart(MultiDict([
        (k, FileStorage(f, filename=n)) if isinstance(v, list) else (k, v)
        for k, v in fields.items() for f, n in (v if isinstance(v, list) else [(None, None)])]))
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def _ticket(db) -> int:
    fid = bad_review(db)
    with db():
        return ticket_open.open_from_feedback(users.get_user("agency"), fid).id


def test_two_photos_each_under_the_limit_are_accepted_together(app, district, db):
    tid = _ticket(db)
    unit, auth = signed_in(app, "unit")
    resp = _post(unit, f"/tickets/{tid}/respond", {
        "csrf_token": auth.csrf_token(f"/tickets/{tid}"), "text": "已整改，附现场照片",
        "files": [(_photo(9 * MB), "整改前.png"), (_photo(9 * MB), "整改后.png")]})
    assert resp.status_code == 302, resp.status_code
    with db():
        assert Session.get(Ticket, tid).state == "responded"


def test_a_file_over_the_limit_is_refused_with_the_typed_text_kept(app, district, db):
    tid = _ticket(db)
    unit, auth = signed_in(app, "unit")
    resp = _post(unit, f"/tickets/{tid}/respond", {
        "csrf_token": auth.csrf_token(f"/tickets/{tid}"), "text": "已整改，附现场照片",
        "files": [(_photo(11 * MB), "整改后.png")]})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "MB" in html and "已整改，附现场照片" in html
    with db():
        assert Session.get(Ticket, tid).state == "open"


def test_an_appeal_takes_two_photos_under_the_limit_too(app, district, db):
    fid = bad_review(db)
    unit, auth = signed_in(app, "unit")
    url = f"/appeals/new?feedback={fid}"
    resp = _post(unit, url, {
        "csrf_token": auth.csrf_token(url), "kind": "malicious", "reason": "该群众当日未到窗口办事",
        "files": [(_photo(9 * MB), "监控截图1.png"), (_photo(9 * MB), "监控截图2.png")]})
    assert resp.status_code == 302, resp.status_code
