"""In a real browser: a username typed in full width (a Chinese input method in 全角) signs in."""

from tests.admin_web.test_browser import live_server, page, pytestmark  # noqa: F401


def test_a_clerk_signs_in_with_the_input_method_in_full_width(live_server, page, district):  # noqa: F811
    page.goto(live_server + "/login")
    page.fill("input[name=username]", "ｏｆｆｉｃｅ")
    page.fill("input[name=password]", "office-password")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert not page.url.endswith("/login") and "用户名或密码错误" not in page.content()
    page.goto(live_server + "/accounts")
    assert page.url.endswith("/accounts") and "用户名" in page.content()
