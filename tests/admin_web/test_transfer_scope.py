"""A ticket transferred to another unit's window (转办) keeps its history, but what the first unit
answered for its own window (its text and its proof files) stays with that unit: the new unit
reads that a round was answered and transferred, never the other unit's answer or files, on the
page, through the file link or through the API. The office and the agency still read both."""

from __future__ import annotations

import re

import sqlalchemy as sa

from feedback_api.models import EvidenceFile, Window
from feedback_api.services import evidence_files, ticket_loop, ticket_open, ticket_transfer, users
from feedback_api.services.feedback import record_feedback
from tests.conftest import AuthActions
from wechat_bot.contacts import get_or_create_citizen

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ANSWER = "本院内部处理：当班护士已作书面检查"


def _transferred(db) -> tuple[int, int, int]:
    """A hospital window's ticket the hospital answered with a proof file, then transferred by
    the agency to the tax hall's window: (ticket id, file id, feedback id)."""
    with db() as s:
        users.create_user(None, "hospital", role="unit", password="hospital-password",
                          scopes=["CD-RMYY"])
        window = s.scalars(sa.select(Window).where(Window.code == "CD-RMYY-001")).one()
        fid = record_feedback(window, citizen=get_or_create_citizen("oTransfer0000000000000001"),
                              channel="wechat", rating=1, text="收费有误").feedback.id
        tid = ticket_open.open_from_feedback(users.get_user("agency"), fid).id
        ticket_loop.respond(users.get_user("hospital"), tid, ANSWER,
                            [evidence_files.Upload("医院内部处分决定.pdf", PDF)])
        ticket_transfer.transfer(users.get_user("agency"), tid, "CD-SW-001", "属税务窗口收费事项")
        file_id = s.scalars(sa.select(EvidenceFile.id)).one()
    return tid, file_id, fid


def _client(app, name: str):
    client = app.test_client()
    assert AuthActions(client).login(name).status_code == 302
    return client


def test_the_new_unit_does_not_read_the_first_units_answer_or_files(app, db, district, token_for):
    tid, file_id, _fid = _transferred(db)
    unit = _client(app, "unit")
    page = unit.get(f"/tickets/{tid}").get_data(as_text=True)
    rounds = page.split('id="rounds"')[1]
    assert "已转办" in rounds and "属税务窗口收费事项" in rounds
    assert ANSWER not in page and "医院内部处分决定" not in page
    assert f"/tickets/files/{file_id}" not in page
    assert "原窗口单位的反馈不向本单位显示" in re.sub(r"<[^>]+>", "", rounds)
    assert unit.get(f"/tickets/files/{file_id}").status_code == 404
    body = unit.get(f"/api/v1/tickets/{tid}", headers=token_for("unit")).get_json()
    first = body["rounds"][0]
    assert first["verdict"] == "transferred" and first["responded_at"] is not None
    assert first["response_text"] is None and first["files"] == []
    # The supervisors read the whole history, files included.
    for name in ("agency", "office"):
        client = _client(app, name)
        assert ANSWER in client.get(f"/tickets/{tid}").get_data(as_text=True)
        resp = client.get(f"/tickets/files/{file_id}")
        resp.close()  # a file download holds its file open until closed
        assert resp.status_code == 200
        api = client.get(f"/api/v1/tickets/{tid}", headers=token_for(name)).get_json()
        assert api["rounds"][0]["response_text"] == ANSWER and len(api["rounds"][0]["files"]) == 1


def test_the_new_unit_is_not_linked_to_the_feedback_page_it_may_not_open(app, db, district):
    """The complaint stays on the ticket (the new unit has to fix it), but its receipt number
    linked to the hospital window's feedback page, which the tax hall is refused (404)."""
    tid, _file_id, fid = _transferred(db)
    unit = _client(app, "unit")
    linked = unit.get(f"/tickets/{tid}").get_data(as_text=True).split('id="linked"')[1]
    linked = linked.split("</section>")[0]
    assert "收费有误" in linked or "（意见待脱敏处理后可见）" in linked
    assert f'href="/feedback/{fid}"' not in linked
    assert unit.get(f"/feedback/{fid}").status_code == 404
    agency = _client(app, "agency").get(f"/tickets/{tid}").get_data(as_text=True)
    assert f'href="/feedback/{fid}"' in agency


def test_a_proof_file_keeps_its_chinese_name_and_a_plain_fallback(app, db, district):
    """Werkzeug's fallback for a Chinese name was ".pdf" (or " .pdf"), a name with nothing left
    of the file's; clients without RFC 5987 saved files under it."""
    _tid, file_id, _fid = _transferred(db)
    resp = _client(app, "agency").get(f"/tickets/files/{file_id}")
    resp.close()
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("inline;"), disposition  # a PDF opens in the browser
    assert f'filename="evidence-{file_id}.pdf"' in disposition, disposition
    assert "filename*=UTF-8''%E5%8C%BB%E9%99%A2" in disposition, disposition  # 医院…
