"""An inspection a confirmed delisting cites as its evidence is not deleted: the decision's
evidence keeps its record (refused in words, on the page too); one an undecided proposal cites
is deleted as before, its proposal withdrawn when it no longer holds."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from analytics import delisting
from feedback_api.db import Session
from feedback_api.models import DelistingProposal, Inspection
from feedback_api.services import delisting as proposals
from feedback_api.services import inspections
from feedback_api.services.errors import Conflict
from tests.assessment_helpers import inspection, user


def _three_failed(db) -> list[int]:
    with db():
        ids = [inspection("CD-RMYY-001", 2026, q, passed=False).id for q in (1, 2, 3)]
        delisting.evaluate(2026)
    return ids


def test_an_inspection_a_confirmed_delisting_cites_is_not_deleted(client, auth, db, titled_district):
    q1, q2, _q3 = _three_failed(db)
    with db():
        pid = Session.scalar(sa.select(DelistingProposal.id))
        proposals.confirm(user("office"), pid, "经核实")
        q4 = inspection("CD-RMYY-001", 2026, 4, passed=True).id
    with db():
        with pytest.raises(Conflict, match="已确认的摘牌依据"):
            inspections.delete_inspection(user("office"), q1, "录错窗口")
    auth.login("office")
    resp = client.post(f"/assessment/inspections/{q2}/delete", follow_redirects=True, data={
        "csrf_token": auth.csrf_token(f"/assessment/inspections/{q2}"), "note": "录错窗口"})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "已确认的摘牌依据" in text and "已删除" not in text
    # An inspection the decision does not cite is deleted as ever.
    resp = client.post(f"/assessment/inspections/{q4}/delete", follow_redirects=True, data={
        "csrf_token": auth.csrf_token(f"/assessment/inspections/{q4}"), "note": "录错季度"})
    assert "已删除" in resp.get_data(as_text=True)
    with db() as s:
        assert s.get(Inspection, q1) is not None and s.get(Inspection, q2) is not None
        assert s.get(Inspection, q4) is None
        assert s.scalars(sa.select(DelistingProposal.state)).one() == "confirmed"


def test_one_an_undecided_proposal_cites_is_deleted_and_the_proposal_withdrawn(db, titled_district):
    q1, _q2, _q3 = _three_failed(db)
    with db():
        inspections.delete_inspection(user("office"), q1, "录错窗口")
        assert Session.scalars(sa.select(DelistingProposal.state)).one() == "withdrawn"
        assert Session.get(Inspection, q1) is None


def test_the_page_says_why_an_inspection_cannot_be_deleted_instead_of_a_button(
        client, auth, db, titled_district):
    q1, _q2, _q3 = _three_failed(db)
    with db():
        proposals.confirm(user("office"), Session.scalar(sa.select(DelistingProposal.id)), "经核实")
        q4 = inspection("CD-RMYY-001", 2026, 4, passed=True).id
    auth.login("office")
    text = client.get(f"/assessment/inspections/{q1}").get_data(as_text=True)
    assert "已确认的摘牌依据（规则 1），不能删除" in text
    assert "删除该检查记录" not in text and "/delete" not in text
    text = client.get(f"/assessment/inspections/{q4}").get_data(as_text=True)
    assert "删除该检查记录" in text and "已确认的摘牌依据" not in text
