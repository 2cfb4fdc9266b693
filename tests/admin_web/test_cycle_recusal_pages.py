"""Recusal (回避) through the pages: the office sets an expert's work unit on the accounts page;
assigning the expert to their own unit's candidate is refused with the reason; an expert declares
a conflict before scoring; an assignment that conflicts after the fact is flagged, and the
office withdraws it; the review results and their Excel show the recusals."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from feedback_api.models import ExpertAssignment, Submission, Unit, User
from feedback_api.services import cycle as svc
from feedback_api.services import expert_units, users
from tests.admin_web.test_cycle_pages import score_fields, token

REASON = "回避：该专家所在单位为被推荐窗口所属单位"


@pytest.fixture
def candidate(db, district):
    """This year's accepted recommendation of CD-RMYY-001 (unit CD-RMYY); experts 1–3."""
    with db():
        for n in (1, 2, 3):
            users.create_user(None, f"expert{n}", role="expert", password=f"expert{n}-password",
                              display_name=f"评审专家{n}")
        office, health = users.get_user("office"), users.get_user("authority")
        c = svc.create_cycle(office, svc.local_today().year)
        sub = svc.save_draft(health, c, "recommendation", {
            "window": "CD-RMYY-001", "reasons": "服务规范", "features": "一窗通办",
            "self_assessment": "逐项自评", "self_score": "92", "contact_person": "李主任",
            "contact_phone": "0571-88000000", "endorsement": "同意推荐"})
        svc.accept(office, svc.submit(health, sub))
        return sub.id


def _ids(db, *names):  # type: ignore[no-untyped-def]
    with db() as s:
        found = {u.username: u.id for u in s.scalars(sa.select(User).where(User.username.in_(names)))}
        unit = s.scalars(sa.select(Unit).where(Unit.code == "CD-RMYY")).one().id
        return [found[n] for n in names], unit


def test_the_office_sets_an_experts_work_unit_on_the_accounts_page(client, auth, db, candidate):
    (expert1,), unit = _ids(db, "expert1")
    auth.login("office")
    page = client.get("/accounts").get_data(as_text=True)
    assert "工作单位（本区登记单位）" in page and "CD-RMYY 城东区人民医院" in page
    resp = client.post("/accounts/new", data={
        "username": "expert9", "role": "expert", "display_name": "新专家", "scopes": "",
        "email": "", "work_unit": str(unit), "work_unit_other": "浙江大学",
        "csrf_token": auth.csrf_token("/accounts")})
    assert resp.status_code == 200 and "一次性" in resp.get_data(as_text=True)
    with db() as s:
        made = s.scalars(sa.select(User).where(User.username == "expert9")).one()
        assert (made.work_unit_id, made.work_unit_other) == (unit, "浙江大学")
    # A unit user has no work unit: refused, nothing stored.
    resp = client.post("/accounts/new", data={
        "username": "unit9", "role": "unit", "display_name": "", "scopes": "CD-SW", "email": "",
        "work_unit": str(unit), "work_unit_other": "", "csrf_token": auth.csrf_token("/accounts")})
    assert resp.status_code == 400 and "仅评审专家填写工作单位" in resp.get_data(as_text=True)
    with db() as s:
        assert s.scalars(sa.select(User).where(User.username == "unit9")).first() is None
    # The edit: the expert's unit, shown on the account's page.
    resp = client.post(f"/accounts/{expert1}", follow_redirects=True, data={
        "role": "expert", "display_name": "评审专家1", "scopes": "", "email": "",
        "work_unit": str(unit), "work_unit_other": "",
        "csrf_token": auth.csrf_token(f"/accounts/{expert1}")})
    page = resp.get_data(as_text=True)
    assert "<th>工作单位</th><td>城东区人民医院</td>" in page
    assert f'<option selected value="{unit}">' in page or f'<option value="{unit}" selected' in page
    # No longer an expert: the work unit goes with the role (the form still showing it).
    client.post(f"/accounts/{expert1}", data={
        "role": "office", "display_name": "评审专家1", "scopes": "", "email": "",
        "work_unit": str(unit), "work_unit_other": "浙江大学",
        "csrf_token": auth.csrf_token(f"/accounts/{expert1}")})
    with db() as s:
        changed = s.get(User, expert1)
        assert (changed.role, changed.work_unit_id, changed.work_unit_other) == ("office", None, "")


def test_an_own_unit_assignment_is_refused_and_a_later_conflict_is_flagged(client, auth, db,
                                                                           candidate):
    (e1, e2), unit = _ids(db, "expert1", "expert2")
    with db():
        expert_units.set_work_unit(None, users.get_user("expert1"), unit_id=unit)
    auth.login("office")
    url = f"/cycle/submissions/{candidate}"
    page = client.get(url).get_data(as_text=True)
    assert "评审专家1（本单位，须回避）" in page
    page = client.post(f"{url}/assign", follow_redirects=True, data={
        "experts": [str(e1), str(e2)], "csrf_token": auth.csrf_token(url)}).get_data(as_text=True)
    assert f"评审专家1：{REASON}" in page
    with db() as s:  # nothing assigned: the request is one unit of work
        assert s.scalars(sa.select(ExpertAssignment)).all() == []
    client.post(f"{url}/assign", data={"experts": [str(e2)], "csrf_token": auth.csrf_token(url)})
    # expert2's work unit set afterwards: flagged on the office's page, still assigned.
    resp = client.post(f"/accounts/{e2}", follow_redirects=True, data={
        "role": "expert", "display_name": "评审专家2", "scopes": "", "email": "",
        "work_unit": str(unit), "work_unit_other": "", "csrf_token": auth.csrf_token(f"/accounts/{e2}")})
    assert "该专家已分配的 1 个候选窗口属于其工作单位，须回避" in resp.get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    assert f'<span class="late">{REASON}</span>' in page and "撤回分配" in page
    year = svc.local_today().year
    review = client.get(f"/cycle/{year}/review").get_data(as_text=True)
    assert "须回避（本单位）：评审专家2" in review and "0/1" in review
    assert "须回避而尚未撤回的分配" in review
    client.post("/logout", data={"csrf_token": token(client, "/")})
    auth.login("expert2", "expert2-password")  # the expert is told, and may declare it
    page = client.get(url).get_data(as_text=True)
    assert f"{REASON}：不能评分，请申请回避" in page and f'action="{url}/recuse"' in page
    client.post("/logout", data={"csrf_token": token(client, "/")})
    auth.login("office")
    with db() as s:
        a_id = s.scalars(sa.select(ExpertAssignment.id)).one()
    page = client.post(f"/cycle/assignments/{a_id}/withdraw", follow_redirects=True, data={
        "reason": "专家为该单位职工", "csrf_token": auth.csrf_token(url)}).get_data(as_text=True)
    assert "已撤回 评审专家2 的评审分配" in page
    assert "已回避（联席办撤回" in page and "专家为该单位职工" in page
    review = client.get(f"/cycle/{year}/review").get_data(as_text=True)
    assert "须回避（本单位）" not in review and "0/0" in review
    assert "评审专家2（联席办撤回：专家为该单位职工）" in review
    assert "须回避而尚未撤回的分配" not in review and "有专家回避的候选窗口 1 个" in review


def test_an_expert_declares_a_conflict_before_scoring(client, auth, db, candidate):
    (e3, e2), _ = _ids(db, "expert3", "expert2")
    with db() as s:
        sub = s.get(Submission, candidate)
        svc.assign_expert(users.get_user("office"), sub, users.get_user("expert3"))
        svc.assign_expert(users.get_user("office"), sub, users.get_user("expert2"))
    year = svc.local_today().year
    auth.login("expert3", "expert3-password")
    url = f"/cycle/submissions/{candidate}"
    page = client.get(url).get_data(as_text=True)
    assert f'action="{url}/recuse"' in page
    page = client.post(f"{url}/recuse", follow_redirects=True, data={
        "reason": "", "csrf_token": auth.csrf_token(url)}).get_data(as_text=True)
    assert "请填写回避理由" in page
    page = client.post(f"{url}/recuse", follow_redirects=True, data={
        "reason": "近亲属在该窗口工作", "csrf_token": auth.csrf_token(url)}).get_data(as_text=True)
    assert "已申请回避" in page and "已回避：近亲属在该窗口工作" in page
    assert f'href="{url}"' not in page  # no way back to the materials
    assert client.get(url).status_code == 404
    # expert2 scores; after that, no declaration (the office withdraws if need be).
    client.post("/logout", data={"csrf_token": token(client, "/")})
    auth.login("expert2", "expert2-password")
    client.post(f"{url}/score", data={**score_fields(client, url, 84),
                                      "csrf_token": auth.csrf_token(url)})
    assert f'action="{url}/recuse"' not in client.get(url).get_data(as_text=True)
    client.post("/logout", data={"csrf_token": token(client, "/")})
    auth.login("office")
    page = client.get(url).get_data(as_text=True)
    assert "已回避（专家申请" in page and "近亲属在该窗口工作" in page
    with db() as s:  # a live one, not flagged, may still be withdrawn (a conflict told by phone)
        live = s.scalars(sa.select(ExpertAssignment.id).where(
            ExpertAssignment.expert_id == e2)).one()
    assert f'action="/cycle/assignments/{live}/withdraw"' in page
    review = client.get(f"/cycle/{year}/review").get_data(as_text=True)
    assert "1/1" in review and "评审专家3（专家申请：近亲属在该窗口工作）" in review
    wb = load_workbook(io.BytesIO(client.get(f"/cycle/{year}/review.xlsx").data))
    ws = wb.active
    headers = [c.value for c in ws[1]]
    row = dict(zip(headers, [c.value for c in ws[2]], strict=True))
    assert (row["已评"], row["分配"], row["平均分"]) == (1, 1, 84)
    assert row["回避"] == "评审专家3（专家申请：近亲属在该窗口工作）"
    assert client.get(f"/cycle/{year}/review.pdf").status_code == 200


def test_the_account_import_takes_an_experts_work_unit(client, auth, db, district):
    """The import sheet's 工作单位: a registered unit's code or name links it (the expert then
    recuses from its candidates); anything else is kept as typed; a non-expert has none."""
    from tests.admin_web.test_account_import import _confirm, _upload, _xlsx

    auth.login("office")
    bad = _upload(client, auth, _xlsx([["clerk", "", "窗口单位", "CD-SW", "", "CD-SW"]]))
    assert bad.status_code == 400 and "工作单位仅评审专家填写" in bad.get_data(as_text=True)
    page = _upload(client, auth, _xlsx([["zj", "张教授", "评审专家", "", "", "浙江大学"],
                                        ["ly", "李医生", "评审专家", "", "", "城东区人民医院"],
                                        ["wk", "王科长", "评审专家", "", "", "CD-SW"]]))
    assert page.status_code == 200 and "浙江大学" in page.get_data(as_text=True)
    assert _confirm(client, page.get_data(as_text=True)).status_code == 200
    with db() as s:
        got = {x.username: (x.work_unit.code if x.work_unit else None, x.work_unit_other)
               for x in s.scalars(sa.select(User).where(User.role == "expert"))}
        assert got == {"zj": (None, "浙江大学"), "ly": ("CD-RMYY", ""), "wk": ("CD-SW", "")}


def test_an_expert_who_finds_a_conflict_after_scoring_is_told_whom_to_ask(client, auth, db, candidate):
    """申请回避 is gone once scored; the page says what to do instead (wave-14 walkthrough)."""
    with db() as s:
        svc.assign_expert(users.get_user("office"), s.get(Submission, candidate),
                          users.get_user("expert2"))
    auth.login("expert2", "expert2-password")
    url = f"/cycle/submissions/{candidate}"
    assert "请联系区联席办撤回" not in client.get(url).get_data(as_text=True)
    client.post(f"{url}/score", data={**score_fields(client, url, 84),
                                      "csrf_token": auth.csrf_token(url)})
    page = client.get(url).get_data(as_text=True)
    assert f'action="{url}/recuse"' not in page
    assert "已评分，不能再申请回避；如与该候选窗口有利害关系，请联系区联席办撤回分配" in page
