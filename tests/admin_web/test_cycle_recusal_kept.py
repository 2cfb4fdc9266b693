"""A recusal reason the server refuses (over 500 characters: the browser's maxlength stops it, a
client without one does not) comes back in its form on the refusal page with the Chinese error,
for the expert declaring a conflict and for the office withdrawing an assignment; nothing is
stored."""

from __future__ import annotations

import html
import re

import sqlalchemy as sa

from feedback_api.models import ExpertAssignment, Submission
from feedback_api.services import cycle as svc
from feedback_api.services import users
from tests.admin_web.test_cycle_recusal_pages import candidate  # noqa: F401  (fixture)

LONG = "本人近亲属在该窗口所属单位工作，" * 32  # 512 characters


def _assigned(db, candidate) -> int:  # type: ignore[no-untyped-def]  # noqa: F811
    with db() as s:
        sub = s.get(Submission, candidate)
        return svc.assign_expert(users.get_user("office"), sub, users.get_user("expert3")).id


def _live(db) -> bool:  # type: ignore[no-untyped-def]
    with db() as s:
        (a,) = s.scalars(sa.select(ExpertAssignment)).all()
        return a.live and a.recusal_reason in (None, "")


def test_an_experts_over_long_reason_stays_in_the_form(client, auth, db, candidate):  # noqa: F811
    _assigned(db, candidate)
    auth.login("expert3", "expert3-password")
    url = f"/cycle/submissions/{candidate}"
    resp = client.post(f"{url}/recuse", data={"reason": LONG, "csrf_token": auth.csrf_token(url)})
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert "回避理由不能超过 500 个字" in page
    form = re.search(rf'<form method="post" action="{url}/recuse">(.*?)</form>', page, re.S)
    assert form
    # A browser drops the one line end a textarea's content begins with (WTForms writes it).
    (typed,) = re.findall(r"<textarea[^>]*>\r?\n?(.*?)</textarea>", form.group(1), re.S)
    assert html.unescape(typed) == LONG
    assert _live(db)


def test_the_offices_over_long_withdrawal_reason_stays_in_its_form(client, auth, db, candidate):  # noqa: F811
    a_id = _assigned(db, candidate)
    auth.login("office")
    url = f"/cycle/submissions/{candidate}"
    resp = client.post(f"/cycle/assignments/{a_id}/withdraw",
                       data={"reason": LONG, "csrf_token": auth.csrf_token(url)})
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert "回避理由不能超过 500 个字" in page
    form = re.search(rf'<form method="post" action="/cycle/assignments/{a_id}/withdraw">(.*?)</form>',
                     page, re.S)
    assert form and f'value="{LONG}"' in html.unescape(form.group(1))
    assert _live(db)
