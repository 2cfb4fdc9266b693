"""Sending the 发布公示 form again while a publicity of the year is open (or yet to start) would
put the same windows on the public list twice, with their objections split between two entries
and each awardable twice: it is refused, and the page shows no form but when publicity opened."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from feedback_api.models import Publicity, PublicityEntry, Submission
from feedback_api.services import cycle as svc
from feedback_api.services import users
from feedback_api.services.errors import Conflict
from tests.admin_web.test_cycle_pages import published_district, token  # noqa: F401  (fixture)
from tests.feedback_api.test_cycle import accept_and_score


@pytest.fixture
def scored(db, published_district):  # noqa: F811
    """The recommended CD-RMYY-002, accepted and scored: ready for publicity."""
    with db() as s:
        sub = accept_and_score(s)
        return sub.cycle.year


def test_a_second_publicity_while_one_is_open_is_refused(db, scored):
    today = svc.local_today()
    with db():
        cycle = svc.get_cycle(scored)
        svc.open_publicity(users.get_user("office"), cycle, today - timedelta(days=1),
                           today + timedelta(days=5))
    with db():
        with pytest.raises(Conflict, match="公示已于 .* 开始.*公示期结束前不能再次发布"):
            svc.open_publicity(users.get_user("office"), svc.get_cycle(scored), today,
                               today + timedelta(days=7))
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Publicity)) == 1
        assert s.scalar(sa.select(sa.func.count()).select_from(PublicityEntry)) == 1


def test_once_the_period_has_ended_a_new_publicity_may_be_opened(db, scored):
    today = svc.local_today()
    with db():
        svc.open_publicity(users.get_user("office"), svc.get_cycle(scored), today - timedelta(days=9),
                           today - timedelta(days=2), not_before=today - timedelta(days=9))
    with db():
        svc.open_publicity(users.get_user("office"), svc.get_cycle(scored), today,
                           today + timedelta(days=7))
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Publicity)) == 2


def test_the_page_hides_the_form_once_publicity_is_open(client, auth, db, scored):
    auth.login("office")
    path = f"/cycle/{scored}/publicity"
    page = client.get(path).get_data(as_text=True)
    assert f'action="{path}"' in page
    csrf = token(client, path)
    today = svc.local_today()
    form = {"csrf_token": csrf, "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=7)).isoformat(), "notice": "公示"}
    with db() as s:
        form["candidates"] = str(s.scalars(sa.select(Submission.id).where(
            Submission.kind == "recommendation")).one())
    assert client.post(path, data=form).status_code == 302
    page = client.get(path).get_data(as_text=True)
    assert f'action="{path}"' not in page and f"公示已于 {today} 开始" in page
    # A form sent from a page opened before (another tab): refused, nothing doubled.
    resp = client.post(path, data=form, follow_redirects=True)
    assert resp.status_code == 200 and "公示期结束前不能再次发布" in resp.get_data(as_text=True)
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(PublicityEntry)) == 1
