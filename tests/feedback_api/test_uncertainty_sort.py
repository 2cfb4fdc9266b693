"""The analysis stores how unsure the model is, and the desk (page and API) can put the opinions
the model is least sure of first: a reviewer's correction teaches most there (issue 17)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from analytics import jobs
from feedback_api.models import Feedback, Window
from feedback_api.services import feedback as fb
from feedback_api.services import feedback_list, users


def _opinions(db, texts):
    with db() as s:
        window = s.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        start = datetime(2026, 11, 1, 2, tzinfo=UTC)
        for n, text in enumerate(texts):
            fb.record_feedback(window, citizen=None, channel="h5", rating=3, text=text,
                               received_at=start + timedelta(hours=n))


def test_the_analysis_stores_uncertainty_and_the_desk_sorts_by_it(db, district, client, auth,
                                                                  token_for):
    _opinions(db, ["工作人员态度很好，办事效率高，非常满意", "还行吧", "排队两个小时，态度恶劣",
                   "今天天气不错"])
    with db():
        assert jobs.analyze_pending() == 4
    with db() as s:
        stored = {f.text: f.uncertainty for f in s.scalars(sa.select(Feedback))}
        assert all(u is not None and 0 <= u <= 1 for u in stored.values()), stored
        expected = [t for t, _ in sorted(stored.items(), key=lambda kv: -kv[1])]
        newest_first = [f.text for f in feedback_list.list_feedback(users.get_user("agency"))[0]]
        unsure_first = [f.text for f in feedback_list.list_feedback(users.get_user("agency"),
                                                                     sort="uncertain")[0]]
    assert newest_first == ["今天天气不错", "排队两个小时，态度恶劣", "还行吧",
                            "工作人员态度很好，办事效率高，非常满意"]
    assert [stored[t] for t in unsure_first] == sorted(stored.values(), reverse=True)
    assert unsure_first == expected

    resp = client.get("/api/v1/feedback?sort=uncertain", headers=token_for("agency"))
    assert resp.status_code == 200
    items = resp.get_json()["items"]
    assert [i["text"] for i in items] == expected
    assert all(isinstance(i["uncertainty"], float) for i in items)
    assert client.get("/api/v1/feedback?sort=random", headers=token_for("agency")).status_code == 400

    auth.login("agency")
    page = client.get("/feedback?sort=uncertain").get_data(as_text=True)
    assert '<option value="uncertain" selected>' in page
    positions = [page.index(t) for t in expected]
    assert positions == sorted(positions)
