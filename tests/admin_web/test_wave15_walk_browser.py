"""This wave's changes walked in a real browser as the staff meet them: a clerk whose input method
is in full width (全角) getting the password wrong until they must wait; a covert visit dated
before its window's listing day, refused with photos attached."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from feedback_api.models import CovertInspection, RateLimitHit, Window
from tests.admin_web.test_browser import _sign_in, live_server, page, pytestmark  # noqa: F401


def _list(db, day: date, code: str) -> None:  # type: ignore[no-untyped-def]
    with db() as s:
        s.scalars(sa.select(Window).where(Window.code == code)).one().listed_on = day


def test_a_refused_covert_visit_says_its_photos_must_be_chosen_again(live_server, page, district,  # noqa: F811
                                                                     db, tmp_path):
    _list(db, date(2026, 9, 15), "CD-RMYY-001")
    photo = tmp_path / "现场.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + b"0" * 200 + b"\xff\xd9")
    _sign_in(page, live_server, "office")
    page.wait_for_selector("text=概况")
    page.goto(live_server + "/assessment/covert/new?year=2026")
    page.select_option("select[name=window]", "CD-RMYY-001")
    page.fill("input[name=inspected_on]", "2026-09-10")
    page.locator("select[name^=result_]").first.select_option("0")
    page.fill("textarea[name=notes]", "工作人员玩手机")
    page.set_input_files("input[name=files]", str(photo))
    page.click("button:has-text('保存')")
    page.wait_for_selector(".flash-error")
    assert "不能录入挂牌前（2026年9月10日）的暗查" in page.inner_text(".flash-error")
    # What was typed stays; a browser cannot keep a chosen file, so the page says so by the field.
    assert page.input_value("input[name=inspected_on]") == "2026-09-10"
    assert page.input_value("textarea[name=notes]") == "工作人员玩手机"
    said = page.locator("input[name=files] ~ .field-error").inner_text()
    assert "现场.jpg" in said and "重新选择" in said
    # Corrected and chosen again, the visit and its photo are saved.
    page.fill("input[name=inspected_on]", "2026-09-20")
    page.set_input_files("input[name=files]", str(photo))
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=暗查记录已保存")
    with db() as s:
        (item,) = s.scalars(sa.select(CovertInspection)).all()
        assert item.inspected_on == date(2026, 9, 20) and len(item.evidence) == 1


def _sign_in_typed(tab, base: str, username: str, password: str) -> list[str]:  # type: ignore[no-untyped-def]
    tab.goto(base + "/login")
    tab.fill("input[name=username]", username)
    tab.fill("input[name=password]", password)
    tab.click("button[type=submit]")
    tab.wait_for_load_state()
    return tab.locator(".flash-error").all_inner_texts()


def test_a_clerk_in_full_width_who_must_wait_is_told_the_right_password_waits_too(
        live_server, page, district, db):  # noqa: F811
    for n in range(5):
        said = _sign_in_typed(page, live_server, "ｏｆｆｉｃｅ", f"wrong-{n}")
        assert said and said[0].startswith("用户名或密码错误")
        assert page.input_value("input[name=username]") == "ｏｆｆｉｃｅ"  # as typed, to correct
    # The right password now waits as well: the page says so (the same words for every failure,
    # so nothing tells an account or its waiting apart), or the clerk takes it for a wrong one.
    (said,) = _sign_in_typed(page, live_server, "ｏｆｆｉｃｅ", "office-password")
    assert "等待 15 分钟" in said and "密码正确也不能登录" in said and "再试会重新计时" in said
    with db() as s:  # fifteen minutes and more go by without a try
        s.execute(sa.update(RateLimitHit).values(bucket=RateLimitHit.bucket - 16))
    assert _sign_in_typed(page, live_server, "ｏｆｆｉｃｅ", "office-password") == []
    assert not page.url.endswith("/login")
