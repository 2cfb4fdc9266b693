"""Browsers ask every site for /favicon.ico: it is served from our own static files (no CDN),
to anyone, so the tab shows an icon and the logs carry no 404 per page."""

from __future__ import annotations

import io

from PIL import Image


def test_the_icon_is_served_at_the_site_root_to_anyone(db, client):
    with client.get("/favicon.ico") as resp:
        status, mimetype, data = resp.status_code, resp.mimetype, resp.get_data()
    assert status == 200
    assert mimetype.startswith("image/") and "icon" in mimetype
    with Image.open(io.BytesIO(data)) as icon:
        assert icon.format == "ICO" and icon.size[0] >= 16
