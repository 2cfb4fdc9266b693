"""The H5 receipt page promises only what the platform does: there is no page where a browser
citizen looks a receipt up, so it does not say 查询办理进度; it says what the number is for and
where answers come (WeChat)."""

from __future__ import annotations

from tests.wechat_bot.test_h5 import form_fields


def test_the_receipt_page_promises_no_lookup_that_does_not_exist(client, district):
    fields = form_fields(client.get("/f/CD-SW-001").get_data(as_text=True))
    html = client.post("/f/CD-SW-001", data={**fields, "rating": "2", "opinion": "等太久"}).get_data(
        as_text=True)
    assert "受理编号" in html
    assert "查询办理进度" not in html
    assert "反映情况时请提供此编号" in html and "关注公众号" in html
