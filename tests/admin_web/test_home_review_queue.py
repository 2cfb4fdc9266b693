"""The agency's morning starts at the home page: how many feedback wait for review, linked to the
desk's queue of them, which counts the same (wave 13 walkthrough). Units review nothing."""

from __future__ import annotations

import re

from tests.admin_web.test_desk_pages import _as, _seed


def test_home_counts_the_review_queue_for_the_desk_only(app, client, auth, db, district):
    _seed(db)
    auth.login("agency")
    home = client.get("/").get_data(as_text=True)
    found = re.search(r'待审核评价 <b>(\d+)</b> 条 · <a href="([^"]+)">去审核</a>', home)
    assert found is not None
    link = found.group(2).replace("&amp;", "&")
    assert "review_state=pending" in link
    desk = client.get(link).get_data(as_text=True)
    assert f"共 {found.group(1)} 条" in desk and found.group(1) == "4"
    unit_home = _as(app, "unit").get("/").get_data(as_text=True)
    assert "待审核评价" not in unit_home
