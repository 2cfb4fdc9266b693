"""Only the office sets the year's incident deductions (wave 14): every other role is refused on
the standard's page and in the API, a deduction alone in the request or not, and the standard
keeps its points."""

from __future__ import annotations

import re

from feedback_api.services import standards
from tests.security.conftest import USERS, sign_in

ROLES = ("agency", "authority", "unit", "expert")


def _deductions(app, year):
    with app.app_context():
        std = standards.read_standard(year)
        return std.deduction_general, std.deduction_major


def test_no_role_but_the_office_changes_the_deductions(app, world, token_for):
    year = world.year
    before = _deductions(app, year)
    assert before != (0.0, 0.0)
    for role in ROLES:
        client = app.test_client()
        sign_in(client, role)
        with app.app_context():
            headers = token_for(USERS[role][0])
        for body in ({"deduction_general": 0, "deduction_major": 0}, {"deduction_major": 100}):
            resp = client.patch(f"/api/v1/standards/{year}", headers=headers, json=body)
            assert resp.status_code == 403, (role, body, resp.status_code)
        page = client.get(f"/assessment/standard?year={year}").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        resp = client.post(f"/assessment/standard?year={year}", data={
            "csrf_token": token, "deduction_general": "0", "deduction_major": "0"})
        assert resp.status_code == 403, (role, resp.status_code)
    assert _deductions(app, year) == before
