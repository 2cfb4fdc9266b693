"""账号批量导入 in a real browser (Debian's chromium): the office uploads a sheet, confirms the
preview, and downloads the one-time passwords from the page under the site's
Content-Security-Policy; the file holds the passwords the page shows."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook

from tests.admin_web.test_account_import import GOOD, _xlsx
from tests.admin_web.test_browser import _sign_in, live_server, page, pytestmark  # noqa: F401


def test_the_office_imports_and_downloads_the_passwords(live_server, page, district, tmp_path):  # noqa: F811
    sheet = tmp_path / "账号.xlsx"
    sheet.write_bytes(_xlsx(GOOD))
    _sign_in(page, live_server, "office")
    page.wait_for_selector("text=概况")
    page.goto(f"{live_server}/accounts")
    page.click("text=从 Excel 批量导入账号")
    page.set_input_files("input[type=file]", str(sheet))
    page.click("button:has-text('上传并预览')")
    page.wait_for_selector("text=共 3 行，均可导入")
    page.click("button:has-text('确认导入 3 个账号')")
    page.wait_for_selector("text=已导入 3 个账号")
    shown = page.eval_on_selector_all(
        "tr", "rows => rows.filter(r => r.querySelector('.one-time-password'))"
              ".map(r => [r.cells[0].innerText, r.cells[3].innerText])")
    with page.expect_download() as info:
        page.click("text=下载一次性密码（Excel）")
    download = info.value
    assert download.suggested_filename == "账号一次性密码.xlsx"
    book = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    rows = [[r[0], r[3]] for r in book.active.iter_rows(min_row=2, values_only=True)]
    assert rows == shown and len(rows) == 3
