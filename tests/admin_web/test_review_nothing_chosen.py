"""Saving a review with nothing chosen is explained in the page's words, not the API's field
names (valid, topics, sentiment)."""

from __future__ import annotations

import re

from tests.admin_web.test_desk_pages import _seed, _token


def test_an_empty_review_is_explained_in_chinese(client, auth, db, district):
    ids = _seed(db)
    auth.login("agency")
    path = f"/feedback/{ids['a'][0]}"
    resp = client.post(path, data={"csrf_token": _token(client, path), "valid": "", "sentiment": ""})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    flashes = " ".join(re.findall(r'class="flash[^"]*"[^>]*>([^<]*)<', html))
    assert "请至少选择有效性、问题类别或情感更正之一" in flashes
    assert not re.search(r"valid|topics|sentiment", flashes)
