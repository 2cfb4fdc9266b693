"""The typed window filters (wave 14: the appeals, inspections, covert-inspection and incidents
lists, pages and API) narrow a scoped user's list, never widen it: a filter naming a window
outside the scope, part of every code ("CD"), a unit's code or a window's name shows no window
outside it, and the user's own windows still come through."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Window
from tests.security.conftest import USERS, sign_in

PAGES = ("/appeals", "/assessment/inspections", "/assessment/covert", "/assessment/incidents",
         "/tickets")
API = ("/api/v1/appeals", "/api/v1/inspections", "/api/v1/covert-inspections", "/api/v1/incidents",
       "/api/v1/tickets")


def _terms(world, role) -> list[str]:
    foreign = world.foreign_codes(role)
    return ["CD", "cd-", "-00", "001", "%", "_", foreign[0], foreign[-1].lower(),
            world.windows[foreign[0]][0], "门诊", "窗口"]


def test_typed_window_filters_never_widen_a_scope(app, world, token_for):
    leaks, errors, own_seen = [], [], 0
    with app.app_context():
        names = dict(Session.execute(sa.select(Window.code, Window.name)).all())
    for role in ("authority", "unit"):
        foreign = world.foreign_codes(role)
        own = [c for c in world.windows if world.visible(role, c)]
        client = app.test_client()
        sign_in(client, role)
        with app.app_context():
            headers = token_for(USERS[role][0])
        for term in _terms(world, role):
            for base, kwargs in [*((p, {}) for p in PAGES), *((a, {"headers": headers})
                                                            for a in API)]:
                resp = client.get(base, query_string={"window": term}, **kwargs)
                if resp.status_code >= 500:
                    errors.append(f"{role} {base}?window={term}: {resp.status_code}")
                    continue
                # The typed term comes back (the filter box, the API's 404): not a window shown.
                body = resp.get_data(as_text=True).replace(term, "")
                shown = [c for c in foreign if c in body or names[c] in body]
                if shown:
                    leaks.append(f"{role} {base}?window={term} shows {shown[:3]}")
                own_seen += any(c in body for c in own)
    assert errors == []
    assert leaks == [], "\n".join(leaks)
    assert own_seen >= 20  # the filters did find the user's own windows
