"""A score the server refuses (a comment over 5000 characters, or points out of range, from a client
without the browser's checks) comes back on the submission's page with the Chinese error (400) and
what the expert typed still in the form, as a refused recusal does; nothing is stored."""

from __future__ import annotations

import html
import re

import sqlalchemy as sa

from feedback_api.models import ExpertAssignment, Submission
from feedback_api.services import cycle as svc
from feedback_api.services import users
from tests.admin_web.test_cycle_pages import score_fields
from tests.admin_web.test_cycle_recusal_pages import candidate  # noqa: F401  (fixture)

COMMENT = "材料翔实，服务规范，建议推荐。" * 340  # 5100 characters


def _assigned(db, candidate) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    with db() as s:
        svc.assign_expert(users.get_user("office"), s.get(Submission, candidate),
                          users.get_user("expert3"))


def _form(page: str, url: str) -> str:
    form = re.search(rf'<form method="post" action="{url}/score">(.*?)</form>', page, re.S)
    assert form
    return form.group(1)


def _typed_comment(form: str) -> str:
    # A browser drops the one line end a textarea's content begins with (WTForms writes it).
    (typed,) = re.findall(r"<textarea[^>]*>\r?\n?(.*?)</textarea>", form, re.S)
    return html.unescape(typed)


def _unscored(db) -> bool:  # type: ignore[no-untyped-def]
    with db() as s:
        (a,) = s.scalars(sa.select(ExpertAssignment)).all()
        return a.scored_at is None and a.total is None and not a.comment


def test_an_over_long_comment_stays_in_the_score_form(client, auth, db, candidate):  # noqa: F811
    _assigned(db, candidate)
    auth.login("expert3", "expert3-password")
    url = f"/cycle/submissions/{candidate}"
    points = score_fields(client, url, 88)
    resp = client.post(f"{url}/score", data={**points, "comment": COMMENT,
                                             "csrf_token": auth.csrf_token(url)})
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert "评审意见不能超过 5000 个字" in page
    form = _form(page, url)
    assert _typed_comment(form) == COMMENT
    for name, value in points.items():  # the points typed, too
        assert re.search(rf'name="{name}"[^>]*value="{re.escape(value)}"', form), name
    assert _unscored(db)


def test_points_out_of_range_keep_the_comment(client, auth, db, candidate):  # noqa: F811
    _assigned(db, candidate)
    auth.login("expert3", "expert3-password")
    url = f"/cycle/submissions/{candidate}"
    points = score_fields(client, url, 88)
    points[next(iter(points))] = "99"
    resp = client.post(f"{url}/score", data={**points, "comment": "窗口服务规范，群众满意",
                                             "csrf_token": auth.csrf_token(url)})
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert "得分应在 0–15 之间" in page
    assert _typed_comment(_form(page, url)) == "窗口服务规范，群众满意"
    assert _unscored(db)
    # Corrected, it is saved and goes on to the expert's list.
    points = score_fields(client, url, 88)
    resp = client.post(f"{url}/score", data={**points, "comment": "窗口服务规范，群众满意",
                                             "csrf_token": auth.csrf_token(url)})
    assert resp.status_code == 302
    with db() as s:
        (a,) = s.scalars(sa.select(ExpertAssignment)).all()
        assert a.total == 88 and a.comment == "窗口服务规范，群众满意"
