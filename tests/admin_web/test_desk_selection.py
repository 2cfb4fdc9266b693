"""A desk action the desk refuses (no verdict chosen, feedback of two windows for one ticket)
returns to the list as the agency left it: its sort order and the feedback it had ticked."""

from __future__ import annotations

import re

from tests.admin_web.test_desk_pages import _seed, _token


def _ticked(html: str) -> set[int]:
    return {int(v) for v in re.findall(r'<input type="checkbox" name="ids" value="(\d+)"[^>]*checked', html)}


def test_a_refused_bulk_review_keeps_the_sort_and_the_selection(client, auth, db, district):
    ids = _seed(db)
    auth.login("agency")
    token = _token(client, "/feedback")
    chosen = [ids["a"][0], ids["c"][0]]
    resp = client.post("/feedback/desk/review", data={
        "csrf_token": token, "ids": chosen, "valid": "", "reason": "",
        "filters": "review_state=pending&sort=uncertain"})
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert "sort=uncertain" in location and "review_state=pending" in location
    html = client.get(location).get_data(as_text=True)
    assert "请选择有效或无效" in html
    assert _ticked(html) == set(chosen)


def test_a_refused_ticket_keeps_the_selection_and_a_done_action_clears_it(client, auth, db, district):
    ids = _seed(db)
    auth.login("agency")
    token = _token(client, "/feedback")
    chosen = [ids["a"][0], ids["d"][0]]  # two windows: one ticket cannot take both
    resp = client.post("/feedback/desk/ticket", data={"csrf_token": token, "ids": chosen,
                                                      "filters": "sort=uncertain"})
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "所选评价须属于同一窗口" in html and _ticked(html) == set(chosen)
    resp = client.post("/feedback/desk/review", data={
        "csrf_token": token, "ids": [ids["b"][0]], "valid": "1", "reason": "属实",
        "filters": "sort=uncertain"})
    assert "selected" not in resp.headers["Location"]
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "已将 1 条评价标记为有效" in page and _ticked(page) == set()


def _reason_box(html: str) -> str:
    box = re.search(r'<input type="text" name="reason"[^>]*aria-label="审核理由"[^>]*>', html).group(0)
    value = re.search(r'value="([^"]*)"', box)
    return value.group(1) if value else ""


def test_a_refused_bulk_review_keeps_the_reason_typed_and_the_verdict(client, auth, db, district):
    ids = _seed(db)
    auth.login("agency")
    token = _token(client, "/feedback")
    chosen = [ids["a"][0]]
    reason = "内容与窗口服务无关 <广告>"
    resp = client.post("/feedback/desk/review", data={
        "csrf_token": token, "ids": chosen, "valid": "", "reason": reason, "filters": ""})
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "请选择有效或无效" in html and _ticked(html) == set(chosen)
    assert _reason_box(html) == "内容与窗口服务无关 &lt;广告&gt;"  # kept, escaped
    # Shown once: the next visit of the list starts empty.
    assert _reason_box(client.get("/feedback").get_data(as_text=True)) == ""
    # The verdict chosen is kept too when the service refuses (a reason is needed).
    resp = client.post("/feedback/desk/review", data={
        "csrf_token": token, "ids": chosen, "valid": "0", "reason": " ", "filters": ""})
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert _ticked(html) == set(chosen) and '<option value="0" selected>' in html
