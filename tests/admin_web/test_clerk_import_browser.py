"""The office imports a sheet as a clerk fills it (wave-14 walkthrough), in Chromium: 50 rows, the
roles by their Chinese names, codes with spaces around them and typed in full width by a Chinese
input method, experts with their work unit; then one of the new users signs in with the name as
they would type it and is made to choose a password."""

from __future__ import annotations

from tests.admin_web.test_account_import import _xlsx
from tests.admin_web.test_browser import _sign_in, live_server, page, pytestmark  # noqa: F401


def _rows() -> list[list[str]]:
    rows = [[f"ｓｗ－{n:02d}", f"税务窗口{n}", "窗口单位", " ＣＤ－ＳＷ ", ""] for n in range(1, 41)]
    rows += [[f"expert-{n}", f"专家{n}", "评审专家 ", "", "", "城东区人民医院"] for n in range(1, 6)]
    rows += [[f"wj-{n}", f"卫健局{n}", "行业主管部门", "health", f"wj{n}@example.cn"] for n in range(1, 6)]
    return rows


def test_a_clerks_fifty_rows_go_in_and_a_new_user_signs_in(live_server, page, district, tmp_path):  # noqa: F811
    sheet = tmp_path / "账号.xlsx"
    sheet.write_bytes(_xlsx(_rows()))
    _sign_in(page, live_server, "office")
    page.wait_for_selector("text=概况")
    page.goto(f"{live_server}/accounts/import")
    page.set_input_files("input[type=file]", str(sheet))
    page.click("button:has-text('上传并预览')")
    page.wait_for_selector("text=共 50 行，均可导入")
    page.click("button:has-text('确认导入 50 个账号')")
    page.wait_for_selector("text=已导入 50 个账号")
    shown = dict(page.eval_on_selector_all(
        "tr", "rows => rows.filter(r => r.querySelector('.one-time-password'))"
              ".map(r => [r.cells[0].innerText.trim(), r.cells[3].innerText.trim()])"))
    assert len(shown) == 50 and "sw-07" in shown
    page.click("text=退出")
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "sw-07")
    page.fill("input[name=password]", shown["sw-07"])
    page.click("button[type=submit]")
    page.wait_for_selector("text=请先设置自己的新密码")
    assert page.url.endswith("/password")
