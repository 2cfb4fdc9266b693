"""What the office is told after saving a major incident: a proposal is promised only when one
is there to confirm (a candidate, 创建中, holds no title to take)."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.models import DelistingProposal, Incident

INCIDENT = {"occurred_on": "2026-04-02", "kind": "safety", "severity": "major",
            "source": "卫健局通报", "description": "候诊区玻璃门碎裂伤人"}


def _save(client, auth, window: str) -> str:
    token = auth.csrf_token("/assessment/incidents/new")
    resp = client.post("/assessment/incidents/new", data={"csrf_token": token, "window": window,
                                                          **INCIDENT}, follow_redirects=True)
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def test_a_candidates_major_incident_promises_no_proposal(client, auth, db, district):
    auth.login("office")
    page = _save(client, auth, "CD-RMYY-001")
    assert "重大事件已保存" in page and "已生成摘牌建议" not in page
    assert "未持有示范窗口称号" in page
    with db() as s:
        assert s.scalars(sa.select(DelistingProposal)).all() == []


def test_a_titled_windows_major_incident_points_to_its_proposal(client, auth, db, titled_district):
    auth.login("office")
    page = _save(client, auth, "CD-RMYY-001")
    assert "已生成摘牌建议" in page
    # Saved again (a correction), the proposal is still there to confirm: still said.
    assert "已生成摘牌建议" in _save(client, auth, "CD-RMYY-001")
    with db() as s:
        (p,) = s.scalars(sa.select(DelistingProposal)).all()
        pid = p.id
    token = auth.csrf_token("/assessment/delisting")
    client.post(f"/assessment/delisting/{pid}/dismiss", data={"csrf_token": token,
                                                             "note": "经核实非窗口责任"})
    # Corrected after the office dismissed it: nothing new, it stays dismissed, and is said so.
    token = auth.csrf_token("/assessment/incidents")
    with db() as s:
        incident_id = s.scalar(sa.select(Incident.id).order_by(Incident.id))
    page = client.post(f"/assessment/incidents/{incident_id}/edit", follow_redirects=True,
                       data={"csrf_token": token, "window": "CD-RMYY-001",
                             **{**INCIDENT, "source": "卫健局通报（更正）"}}).get_data(as_text=True)
    assert "摘牌建议已处理（不予采纳）" in page and "未持有" not in page


def test_an_incident_corrected_to_general_says_its_proposal_was_withdrawn(client, auth, db,
                                                                          titled_district):
    auth.login("office")
    assert "已生成摘牌建议" in _save(client, auth, "CD-RMYY-001")
    with db() as s:
        incident_id = s.scalar(sa.select(Incident.id))
    page = client.post(f"/assessment/incidents/{incident_id}/edit", follow_redirects=True, data={
        "csrf_token": auth.csrf_token("/assessment/incidents"), "window": "CD-RMYY-001",
        **{**INCIDENT, "severity": "general"}}).get_data(as_text=True)
    assert "重大事件已保存；该窗口 2026 年据此生成的摘牌建议已撤回（无需处理）" in page
    with db() as s:
        assert s.scalars(sa.select(DelistingProposal.state)).one() == "withdrawn"
