"""Correcting a covert inspection as the office meets it: a 更正 button on the record, the form
filled with what was entered, the window kept; the API's PATCH does the same; others may not."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.models import CovertInspection, Standard
from feedback_api.services import covert


def _ids(db) -> dict[str, int]:
    with db() as s:
        std = s.scalars(sa.select(Standard).where(Standard.year == 2026)).one()
        return {i.name: i.id for i in std.indicators}


def test_the_office_corrects_a_covert_inspection_on_its_page(client, auth, db, district):
    with db():
        item_id = covert.record_covert(None, {"window": "CD-SW-001", "inspected_on": "2026-10-01",
                                              "notes": "窗口无人", "results": {"服务态度": False}}).id
    ids = _ids(db)
    auth.login("office")
    url = f"/assessment/covert/{item_id}/edit"
    assert f'href="{url}"' in client.get(f"/assessment/covert/{item_id}").get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    assert "更正暗查" in page and "CD-SW-001" in page and "窗口无人" in page
    assert '<option selected value="0">' in page or 'value="0" selected' in page
    resp = client.post(url, follow_redirects=True, data={
        "csrf_token": auth.csrf_token(url), "window": "CD-SW-002", "inspected_on": "2026-10-02",
        "notes": "复核录像", f"result_{ids['服务态度']}": "1", f"result_{ids['环境设施']}": "0"})
    assert resp.status_code == 200 and "暗查记录已更正" in resp.get_data(as_text=True)
    with db() as s:
        item = s.get(CovertInspection, item_id)
        assert (item.window.code, item.inspected_on.isoformat(), item.notes) == (
            "CD-SW-001", "2026-10-02", "复核录像")
        assert {r.indicator.name: r.passed for r in item.results} == {"服务态度": True, "环境设施": False}


def test_only_the_office_corrects_and_the_api_patches(client, auth, db, district, token_for):
    with db():
        item_id = covert.record_covert(None, {"window": "CD-SW-001", "inspected_on": "2026-10-01",
                                              "results": {"服务态度": False}}).id
    for who in ("unit", "agency", "authority"):
        resp = client.patch(f"/api/v1/covert-inspections/{item_id}", headers=token_for(who),
                            json={"results": {"服务态度": True}})
        assert resp.status_code == 403, who
    resp = client.patch(f"/api/v1/covert-inspections/{item_id}", headers=token_for("office"),
                        json={"results": {"服务态度": True}, "notes": "复核"})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["notes"] == "复核" and body["indicators"][0]["passed"] is True
    resp = client.patch("/api/v1/covert-inspections/99999999", headers=token_for("office"),
                        json={"notes": "x"})
    assert resp.status_code == 404
    resp = client.patch(f"/api/v1/covert-inspections/{item_id}", headers=token_for("office"),
                        json={"inspected_on": "2025-12-01"})
    assert resp.status_code == 400 and "跨年度" in resp.get_json()["error"]["message"]
    auth.login("authority")
    assert client.get(f"/assessment/covert/{item_id}/edit").status_code == 403
