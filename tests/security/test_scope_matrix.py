"""Every admin GET route × every role × an object inside and one outside the role's scope.

A cell is one (route, role, side) request. Inside: never a server error. Outside: 403 or 404
(anonymous: a redirect to sign-in), never a 200; and no page a scoped user is shown (lists
included) names a window outside its scope. The routes come from ``app.url_map``: a new route
with an argument this test cannot fill fails ``test_every_route_argument_is_known``."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from tests.security.conftest import World, sign_in
from tests.security.routes import PUBLIC, admin_rules, build

ROLES = ("office", "agency", "authority", "unit", "expert", "anonymous")
#: Arguments naming an object that belongs to a window: the world has one on each side.
SCOPED_ARGS = {"code", "feedback_id", "ticket_id", "file_id", "appeal_id", "inspection_id",
               "covert_id", "incident_id", "submission_id", "proposal_id", "evidence_id",
               "attachment_id"}
#: Arguments that are not objects of a scope.
FREE_ARGS = {"year": lambda w: w.year, "kind": lambda w: "recommendation",
             # The agency's report is district-wide: the agency and the office read it, others 403.
             "report_id": lambda w: w.objects["report_id"][0][0],
             # Accounts are the office's alone: the office reads any, every other role 403.
             "user_id": lambda w: w.objects["user_id"][0][0]}
#: Arguments of object kinds this test does not construct; only POST routes take them.
KNOWN_GAPS = {
    "entry_id": "publicity entries (only POST routes)",
    "objection_id": "publicity objections (only POST routes)",
    "contact_id": "alert contacts (only a POST route)",
    "decision": "delisting decisions (only a POST route)",
    "indicator_id": "a failed indicator's ticket (only a POST route)",
    "assignment_id": "an expert's assignment withdrawn by the office (only a POST route, office only)",
}
#: GET routes whose objects the world does not construct, listed rather than silently skipped
#: (a new GET route the world cannot fill fails the matrix until it is filled or listed here).
KNOWN_GAP_ROUTES: dict[str, str] = {}


#: Pages known to answer 5xx (none: the six list pages this matrix found crashing, whose templates
#: called ``pager`` with three arguments, were fixed when the tickets and assessment pages moved to
#: the admin_web pattern). A path added here is reported, not counted as an error.
KNOWN_5XX_HOLES: set[str] = set()


def _values(world: World, role: str, rule: Any) -> dict[str, list[tuple[dict[str, Any], bool]]]:
    """For one rule: {"own": [(values, visible)], "other": [...]} (one object each side)."""
    args = set(rule.arguments)
    scoped = sorted(args & SCOPED_ARGS)
    base = {a: FREE_ARGS[a](world) for a in args & set(FREE_ARGS)}
    if not scoped:
        return {"own": [(base, True)], "other": []}
    key = "+".join(scoped)  # a route taking two (covert + evidence) has pairs in the world
    sides: dict[str, list[tuple[dict[str, Any], bool]]] = {"own": [], "other": []}
    for value, code in world.objects[key]:
        chosen = value if isinstance(value, dict) else {key: value}
        if "submission_id" in chosen and role == "expert":
            seen = chosen["submission_id"] in world.expert_submissions
        else:
            seen = world.visible(role, code)
        side = "own" if seen else "other"
        if not sides[side]:
            sides[side].append(({**base, **chosen}, seen))
    return sides


def _text(resp: Any) -> str | None:
    """What a response shows, to look for foreign windows in: a page, JSON, CSV, or the XML
    inside an Excel or Word download (the exports: report columns, tables); None for others
    (pictures, PDFs, whose text is compressed)."""
    if resp.mimetype.startswith("text/") or resp.is_json:
        return resp.get_data(as_text=True)
    if resp.mimetype.startswith("application/vnd.openxmlformats-officedocument."):
        with zipfile.ZipFile(io.BytesIO(resp.get_data())) as book:
            return " ".join(book.read(n).decode("utf-8", "replace") for n in book.namelist()
                            if n.endswith(".xml"))
    return None


def _foreign(world: World, role: str) -> list[str]:
    if role == "expert":
        assigned = {c for sid, c in world.objects["submission_id"] if sid in world.expert_submissions}
        return [c for c in world.windows if c not in assigned]
    return world.foreign_codes(role)


def test_every_route_argument_is_known(app):
    known = SCOPED_ARGS | set(FREE_ARGS) | set(KNOWN_GAPS)
    unknown = {r.rule: sorted(set(r.arguments) - known) for r in admin_rules(app)
               if set(r.arguments) - known}
    assert unknown == {}, "a new route takes an argument the matrix cannot fill: add it"


def test_no_route_leaks_outside_the_scope(app, world, capsys):
    rules = [r for r in admin_rules(app) if "GET" in r.methods]
    gaps = [r.rule for r in rules if set(r.arguments) & set(KNOWN_GAPS)
            or "+".join(sorted(set(r.arguments) & SCOPED_ARGS)) not in world.objects | {"": 0}]
    assert set(gaps) == set(KNOWN_GAP_ROUTES), "a GET route whose objects the world cannot build"
    leaks: list[str] = []
    errors: list[str] = []
    holes: list[str] = []
    cells = markers_seen = documents = 0
    other_cells: dict[str, int] = {}
    own_objects_shown: dict[str, int] = {}
    for role in ROLES:
        client = app.test_client()
        sign_in(client, role)
        foreign = _foreign(world, role) if role not in ("office", "agency") else []
        for rule in rules:
            if rule.rule in gaps:
                continue
            for side, choices in _values(world, role, rule).items():
                for values, _seen in choices:
                    url = build(rule, values)
                    resp = client.get(url)
                    body = _text(resp) if resp.status_code == 200 else None
                    resp.close()  # file downloads hold their file open until closed
                    cells += 1
                    if side == "other":
                        other_cells[role] = other_cells.get(role, 0) + 1
                    elif set(rule.arguments) & SCOPED_ARGS and resp.status_code == 200:
                        own_objects_shown[role] = own_objects_shown.get(role, 0) + 1
                    status = resp.status_code
                    if status >= 500 and rule.rule in KNOWN_5XX_HOLES:
                        holes.append(f"{role} {url}")
                        continue
                    if status >= 500:
                        errors.append(f"{role} {side} {url}: {status}")
                        continue
                    if role == "anonymous" and rule.rule not in PUBLIC:
                        if not (status in (401, 403, 404) or (
                                status == 302 and "/login" in resp.headers["Location"])):
                            leaks.append(f"anonymous {url}: {status}")
                        continue
                    if side == "other" and status not in (403, 404):
                        leaks.append(f"{role} other-scope {url}: {status}")
                        continue
                    if body is not None and role == "office":
                        # The markers are real: the office's pages do name other units' windows.
                        markers_seen += "CD-RMYY-" in body
                        documents += not (resp.mimetype.startswith("text/") or resp.is_json)
                    if body is not None and foreign and rule.rule not in PUBLIC:
                        shown = [c for c in foreign if c in body]
                        if shown:
                            leaks.append(f"{role} {url} shows {shown[:3]}")
    with capsys.disabled():
        print(f"\nscope matrix: {len(rules)} GET routes ({len(gaps)} known gaps: {gaps}), "
              f"{len(ROLES)} roles, {cells} cells, {len(leaks)} leaks, {len(errors)} server errors, "
              f"{len(holes)} cells on known holes, {documents} office downloads read")
    assert errors == []
    assert markers_seen >= 3
    assert documents >= 3  # Excel and Word downloads were read, not skipped
    # Both sides were really exercised: each scoped role met objects outside its scope on every
    # route taking one, and was shown objects inside it.
    scoped_routes = sum(1 for r in rules if set(r.arguments) & SCOPED_ARGS and r.rule not in gaps)
    for role in ("authority", "unit", "expert", "anonymous"):
        assert other_cells.get(role, 0) >= scoped_routes, role
    for role in ("office", "agency", "authority", "unit"):
        assert own_objects_shown.get(role, 0) >= 5, (role, own_objects_shown)
    assert leaks == []
    assert cells > 300
