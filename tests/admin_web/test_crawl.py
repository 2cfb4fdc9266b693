"""Every page reachable by links, as each role, answers without a server error."""

import re
from urllib.parse import urldefrag, urlsplit

import pytest

from feedback_api.demo import seed_demo

LINK = re.compile(r'href="([^"]+)"')


@pytest.fixture
def demo_district(db):
    from analytics import assessment, snapshots
    from feedback_api.services import users, windows

    with db():
        seed_demo(feedback_per_window=3)
    with db():
        snapshots.publish(users.get_user("office"), assessment.current_quarter())
        # A window registered after this quarter was published: it has no report for it.
        windows.create_window(None, {"code": "CD-SW-099", "name": "新增窗口😀", "unit": "CD-SW"})


@pytest.mark.parametrize("user,password", [
    ("office", "office-demo-2026"), ("agency", "agency-demo-2026"),
    ("authority-health", "health-demo-2026"), ("unit-sw", "unit-demo-2026"),
    ("expert", "expert-demo-2026"),
])
def test_crawl_every_linked_page(client, auth, demo_district, user, password):
    auth.login(user, password)
    seen, queue, statuses = set(), ["/"], {}
    while queue and len(seen) < 120:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        resp = client.get(url)
        statuses[url] = resp.status_code
        if resp.mimetype != "text/html":
            continue
        for href in LINK.findall(resp.get_data(as_text=True)):
            href = urldefrag(href.replace("&amp;", "&"))[0]
            parts = urlsplit(href)
            if parts.netloc or not href.startswith("/") or href.startswith("/static/"):
                continue
            if href not in seen:
                queue.append(href)
    assert len(seen) > (3 if user == "expert" else 10)
    # Every link answers: no server error, and a scoped user never reaches a page it may not
    # see (403/404) through the links it is given.
    assert {u: s for u, s in statuses.items() if s >= 400} == {}
