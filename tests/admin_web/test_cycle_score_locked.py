"""Once its candidate is on publicity an expert's score cannot change (the service refuses it):
the page shows the score read-only and says so, instead of a form whose save is refused."""

from __future__ import annotations

from datetime import timedelta

from feedback_api.services import cycle as svc
from feedback_api.services import users
from tests.cycle_helpers import scored_recommendation


def test_an_expert_sees_a_locked_score_once_the_results_are_on_publicity(client, auth, db, district):
    today = svc.local_today()
    with db():
        programme, sub = scored_recommendation(today.year)
        sub_id = sub.id
    auth.login("expert1", "expert1-password")
    page = client.get(f"/cycle/submissions/{sub_id}").get_data(as_text=True)
    assert f'action="/cycle/submissions/{sub_id}/score"' in page and "可在公示前修改" in page
    with db():
        svc.open_publicity(users.get_user("office"), svc.get_cycle(today.year), today,
                           today + timedelta(days=7), [sub_id])
    page = client.get(f"/cycle/submissions/{sub_id}").get_data(as_text=True)
    assert f'action="/cycle/submissions/{sub_id}/score"' not in page
    assert "可在公示前修改" not in page and "评审结果已公示，评分不能再修改" in page
    assert "当前总分：<b>90</b>" in page
