"""The 行业 filters of the lists offer only industries the viewer can see: the office and the
agency every one; an authority its own (none to choose with a single one), so no filter leads
to an empty page that looks like missing data."""

from __future__ import annotations

import pytest

from feedback_api.services import users
from tests.assessment_helpers import publish_quarter

PAGES = ["/windows", "/feedback", "/assessment/?period=2026Q3"]


def _industry_options(html: str) -> list[str]:
    import re

    select = re.search(r'<select name="industry"[^>]*>(.*?)</select>', html, re.S)
    return re.findall(r'<option value="([^"]*)"', select.group(1)) if select else []


@pytest.mark.parametrize("path", PAGES)
def test_the_office_filters_by_every_industry(client, auth, district, path):
    auth.login("office")
    options = _industry_options(client.get(path).get_data(as_text=True))
    assert {"tax", "health", "transport"} <= set(options)


@pytest.mark.parametrize("path", PAGES)
def test_an_authority_of_one_industry_gets_no_filter_of_other_industries(client, auth, district, path):
    auth.login("authority")  # health only
    html = client.get(path).get_data(as_text=True)
    assert client.get(path).status_code == 200
    assert "tax" not in _industry_options(html) and "transport" not in _industry_options(html)


@pytest.mark.parametrize("path", PAGES)
def test_an_authority_of_two_industries_chooses_between_them(client, auth, db, district, path):
    with db():
        users.create_user(None, "authority-two", role="authority", password="authority-two-pw",
                          scopes=["health", "tax"])
        publish_quarter()  # an authority reads published figures only
    auth.login("authority-two", "authority-two-pw")
    options = _industry_options(client.get(path).get_data(as_text=True))
    assert sorted(o for o in options if o) == ["health", "tax"]
