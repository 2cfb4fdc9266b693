"""A window unit's forms of the programme year show only what it can fill: no 行业 drop-down
with nothing to choose (a unit has no industry scope), and its window is not marked optional
(a unit reports for a window); an authority still picks its industry or leaves the window out."""

from __future__ import annotations

import re

import sqlalchemy as sa

from feedback_api.models import Submission
from tests.admin_web.test_cycle_pages import people, token, year  # noqa: F401


def test_a_unit_is_not_offered_an_empty_industry_list(client, auth, db, year):  # noqa: F811
    auth.login("unit")
    for kind in ("summary", "good_practice"):
        html = client.get(f"/cycle/{year}/new/{kind}").get_data(as_text=True)
        assert 'name="title"' in html, kind
        assert 'name="industry"' not in html, kind
        # The window is what a unit must choose: not "（选填）", not an authority's hint.
        label = re.search(r'<label[^>]*>\s*([^<]*)<select[^>]*name="window"', html)
        assert label and label.group(1).strip() == "窗口", (kind, label and label.group(1))
    path = f"/cycle/{year}/new/summary"
    resp = client.post(path, data={"window": "CD-SW-001", "title": "办税服务厅年度总结",
                                   "text": "全年创建情况", "action": "draft",
                                   "csrf_token": token(client, path)})
    assert resp.status_code == 302
    with db() as s:
        sub = s.scalars(sa.select(Submission)).one()
        # The industry comes from the window, as the service fills it.
        assert (sub.kind, sub.state, sub.industry) == ("summary", "draft", "tax")
    client.post("/logout", data={"csrf_token": token(client, "/")})
    auth.login("authority")
    html = client.get(path).get_data(as_text=True)
    assert 'name="industry"' in html and '<option value="health">卫生健康</option>' in html
    assert "窗口（行业总结不填）（选填）" in html

