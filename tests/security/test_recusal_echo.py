"""The recusal form shown again with its refused reason (an expert's 申请回避, the office's
撤回分配): the reason comes back escaped, wherever it lands (a textarea, an attribute); a forged
or missing CSRF token changes nothing; an expert reaches no submission and no assignment but
their own through it."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.models import ExpertAssignment, Submission
from feedback_api.services import cycle as svc
from feedback_api.services import users
from tests.admin_web.test_cycle_recusal_pages import candidate  # noqa: F401  (fixture)

#: Over 500 characters (refused), and markup that would run if it came back unescaped.
PAYLOAD = ('"><script>alert(1)</script></textarea><img src=x onerror=alert(2)>'
           "' onfocus='alert(3)' autofocus x='")
REASON = PAYLOAD + "理" * 500


def _assigned(db, candidate, expert: str = "expert3") -> int:  # noqa: F811
    with db() as s:
        sub = s.get(Submission, candidate)
        return svc.assign_expert(users.get_user("office"), sub, users.get_user(expert)).id


def _live(db) -> bool:
    with db() as s:
        return all(a.live for a in s.scalars(sa.select(ExpertAssignment)))


def _unescaped(page: str) -> list[str]:
    return [bit for bit in ("<script>alert(1)", "<img src=x", "' onfocus='", '"><script')
            if bit in page]


def test_an_experts_refused_reason_comes_back_escaped(client, auth, db, candidate):  # noqa: F811
    _assigned(db, candidate)
    auth.login("expert3", "expert3-password")
    url = f"/cycle/submissions/{candidate}"
    resp = client.post(f"{url}/recuse", data={"reason": REASON, "csrf_token": auth.csrf_token(url)})
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and _unescaped(page) == []
    assert _live(db)


def test_the_offices_refused_reason_comes_back_escaped_in_its_attribute(client, auth, db, candidate):  # noqa: F811
    a_id = _assigned(db, candidate)
    auth.login("office")
    url = f"/cycle/submissions/{candidate}"
    resp = client.post(f"/cycle/assignments/{a_id}/withdraw",
                       data={"reason": REASON, "csrf_token": auth.csrf_token(url)})
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert 'value="&#34;&gt;&lt;script&gt;' in page and _unescaped(page) == []
    assert _live(db)


def test_a_forged_token_changes_nothing(client, auth, db, candidate):  # noqa: F811
    a_id = _assigned(db, candidate)
    auth.login("office")
    for token in ("", "forged", auth.csrf_token("/password") + "x"):
        resp = client.post(f"/cycle/assignments/{a_id}/withdraw",
                           data={"reason": "利害关系", "csrf_token": token})
        assert resp.status_code == 400 and _unescaped(resp.get_data(as_text=True)) == []
    client.post("/logout", data={"csrf_token": auth.csrf_token("/password")})
    auth.login("expert3", "expert3-password")
    resp = client.post(f"/cycle/submissions/{candidate}/recuse",
                       data={"reason": "利害关系", "csrf_token": "forged"})
    assert resp.status_code == 400
    assert _live(db)


def test_an_expert_reaches_no_one_elses_assignment(client, auth, db, candidate):  # noqa: F811
    """expert3 is assigned; expert2 is not: the recusal of the submission is not theirs to
    declare (not found, nothing of the submission shown, with a valid reason or a refused one),
    and an assignment is withdrawn by the office alone."""
    a_id = _assigned(db, candidate)
    auth.login("expert2", "expert2-password")
    token = auth.csrf_token("/password")
    for reason in ("我与该窗口有利害关系", REASON):
        resp = client.post(f"/cycle/submissions/{candidate}/recuse",
                           data={"reason": reason, "csrf_token": token})
        assert resp.status_code == 404, resp.status_code
        assert "CD-RMYY-001" not in resp.get_data(as_text=True)
    resp = client.post(f"/cycle/assignments/{a_id}/withdraw",
                       data={"reason": "利害关系", "csrf_token": token})
    assert resp.status_code == 403
    assert _live(db)


def test_an_out_of_range_assignment_is_not_found(client, auth, db, candidate):  # noqa: F811
    auth.login("office")
    token = auth.csrf_token("/password")
    for a_id in (0, 2**31, 10**20):
        resp = client.post(f"/cycle/assignments/{a_id}/withdraw",
                           data={"reason": "利害关系", "csrf_token": token})
        assert resp.status_code == 404, (a_id, resp.status_code)
