"""A review saved from the desk's queue returns to the queue where the reviewer left it (wave 13
walkthrough): its filters, sort and page; a page opened by itself stays the page."""

from __future__ import annotations

import re

from feedback_api.models import Feedback
from tests.admin_web.test_desk_pages import _seed, _token


def test_a_review_saved_from_the_queue_returns_to_the_queue(client, auth, db, district):
    ids = _seed(db)
    auth.login("agency")
    queue = "/feedback?review_state=pending&sort=uncertain&window=CD-SW-001"
    html = client.get(queue).get_data(as_text=True)
    link = re.search(rf'href="(/feedback/{ids["b"][0]}\?[^"]+)"', html).group(1).replace("&amp;", "&")
    page = client.get(link).get_data(as_text=True)
    back = re.search(r'<a href="([^"]+)"[^>]*>返回评价列表', page).group(1).replace("&amp;", "&")
    assert back.startswith("/feedback?") and "sort=uncertain" in back and "review_state=pending" in back
    resp = client.post(link, data={"csrf_token": _token(client, link), "valid": "1", "sentiment": ""})
    assert resp.status_code == 302, re.findall(r'class="flash[^>]*>([^<]*)', resp.get_data(as_text=True))
    location = resp.headers["Location"]
    assert location.startswith("/feedback?") and "sort=uncertain" in location
    assert "window=CD-SW-001" in location
    listed = client.get(location).get_data(as_text=True)
    assert "审核已保存" in listed
    with db() as s:
        assert s.get(Feedback, ids["b"][0]).review_state == "valid"
    # Opened by itself (a link from elsewhere), the page stays the page; nothing odd is followed.
    plain = f"/feedback/{ids['c'][0]}"
    resp = client.post(plain, data={"csrf_token": _token(client, plain), "valid": "1", "sentiment": ""})
    assert resp.headers["Location"].endswith(plain)
    odd = f"/feedback/{ids['d'][0]}?back=//evil.example/x&back=sort%3Dzz"
    assert client.get(odd).status_code == 200
    resp = client.post(odd, data={"csrf_token": _token(client, odd), "valid": "1", "sentiment": ""})
    assert resp.status_code == 302 and "evil" not in resp.headers["Location"]


def test_a_review_with_a_choice_the_form_does_not_offer_says_so(client, auth, db, district):
    ids = _seed(db)
    auth.login("agency")
    path = f"/feedback/{ids['a'][0]}"
    resp = client.post(path, data={"csrf_token": _token(client, path), "valid": "7",
                                   "sentiment": "9"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert html.count('<span class="field-error">所选项无效</span>') == 2
    with db() as s:
        assert s.get(Feedback, ids["a"][0]).review_state == "pending"


def test_a_place_past_the_queues_end_shows_its_last_page(client, auth, db, district):
    """Reviewing the last feedback of the queue's last page returns to a page that no longer
    exists: the last one is shown, not an empty page with a link to the page before it."""
    ids = _seed(db)
    auth.login("agency")
    html = client.get("/feedback?review_state=pending&page=7").get_data(as_text=True)
    assert "暂无评价" not in html and ids["a"][1] in html and "page=6" not in html
