"""What a clerk types, as a clerk types it (wave-14 walkthrough): full-width letters and digits
from a Chinese input method in an imported account's username and scope codes, and a deduction
written "5分" or "五" on the standard's page. Either taken as meant or refused in words a clerk
understands; nothing half-stored."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback_api.models import Standard, Unit, User, UserScope
from tests.admin_web.test_account_import import _confirm, _upload, _xlsx
from tests.admin_web.test_record_window_filters import LISTS, listed, recorded  # noqa: F401
from tests.assessment_helpers import standard_form


def test_full_width_username_and_scope_codes_are_stored_as_typed_at_sign_in(client, auth, district, db):
    auth.login("office")
    page = _upload(client, auth, _xlsx([["ｓｗ－ｃｌｅｒｋ２", "李明", "窗口单位", "ＣＤ－ＳＷ", ""]]))
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "行有错" not in text.replace("任何一行有错", ""), text
    assert _confirm(client, text).status_code == 200
    with db() as s:
        user = s.scalars(sa.select(User).where(User.username == "sw-clerk2")).one()
        scope = s.scalars(sa.select(UserScope).where(UserScope.user_id == user.id)).one()
        assert scope.unit_id == s.scalar(sa.select(Unit.id).where(Unit.code == "CD-SW"))


def test_a_deduction_that_is_not_a_number_is_refused_in_a_clerks_words(client, auth, district, db):
    auth.login("office")
    client.get("/assessment/standard?year=2026")
    for typed in ("5分", "五"):
        data, _rows = standard_form(auth, db)
        data["deduction_general"] = typed
        page = client.post("/assessment/standard?year=2026", data=data)
        text = page.get_data(as_text=True)
        assert page.status_code == 200 and "浮点数" not in text
        assert "请填写数字" in text and f'value="{typed}"' in text
    with db() as s:
        std = s.scalars(sa.select(Standard).where(Standard.year == 2026)).one()
        assert std.deduction_general == 5


@pytest.mark.parametrize("path", LISTS)
def test_a_window_typed_in_full_width_is_found(client, auth, recorded, path):  # noqa: F811
    """A Chinese input method left in full-width mode types ＣＤ－ＳＷ－００１."""
    auth.login("office")
    for typed, expected in (("ＣＤ－ＳＷ－００１", {"CD-SW-001"}), ("ｒｍｙｙ", {"CD-RMYY-001", "CD-RMYY-002"})):
        page = client.get(path, query_string={"window": typed, "year": 2026}).get_data(as_text=True)
        assert listed(page) == expected, typed


def test_the_preview_says_whether_an_experts_work_unit_is_a_registered_one(client, auth, district, db):
    """A registered unit typed in full width links it (recusal follows); a name the ledger does not
    hold is said to be an outside one in the preview, so a clerk sees no recusal will follow."""
    auth.login("office")
    page = _upload(client, auth, _xlsx([["expert-a", "甲", "评审专家", "", "", "ＣＤ－ＲＭＹＹ"],
                                        ["expert-b", "乙", "评审专家", "", "", "区人民医院"]]))
    text = page.get_data(as_text=True)
    assert "本区单位 城东区人民医院，评审时回避其候选窗口" in text
    assert "未匹配本区登记单位，按区外单位记录，不自动回避" in text
    assert _confirm(client, text).status_code == 200
    with db() as s:
        made = {u.username: u for u in s.scalars(sa.select(User).where(User.role == "expert"))}
        unit = s.scalar(sa.select(Unit.id).where(Unit.code == "CD-RMYY"))
        assert (made["expert-a"].work_unit_id, made["expert-a"].work_unit_other) == (unit, "")
        assert (made["expert-b"].work_unit_id, made["expert-b"].work_unit_other) == (None, "区人民医院")


def test_a_unit_row_without_scope_is_told_what_to_fill_not_a_command_line_option(client, auth, district):
    auth.login("office")
    page = _upload(client, auth, _xlsx([["sw-9", "", "窗口单位", "", ""]])).get_data(as_text=True)
    assert "--scope" not in page
    assert "行业主管部门和窗口单位用户须指定范围（窗口编号、单位编号、行业代码或行业名称）" in page
    page = client.post("/accounts/new", data={
        "username": "sw-10", "role": "unit", "display_name": "", "scopes": "", "email": "",
        "work_unit": "", "work_unit_other": "", "csrf_token": auth.csrf_token("/accounts")})
    assert "--scope" not in page.get_data(as_text=True)
