"""The programme's deadline reminders delivered: e-mail to the unit's, the industry authority's
and the expert's alert contacts through a real SMTP server on loopback (aiosmtpd), WeChat
template messages to their staff (or the expert) who bound their WeChat account (the fake WeChat
API); each reminder once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from feedback_api.db import Session, utcnow
from feedback_api.models import CycleReminder, StaffAlert, Unit, Window
from feedback_api.services import alert_contacts, alert_delivery, staff_bindings, ticket_jobs
from feedback_api.services import cycle as svc
from tests.feedback_api.test_cycle import points, rec, u, year  # noqa: F401  (year: a fixture)
from tests.mail import body, subject
from tests.wechat_bot.test_outbox import deliver

HEALTH_AUTHORITY = "oStaffHealthAuthority00001"
TAX_UNIT = "oStaffUnit0000000000000001"
EXPERT = "oStaffExpert00000000000001"


def _bind(db, wechat, username: str, openid: str) -> str:
    with db():
        code = staff_bindings.issue_code(u(username))
    reply = wechat.scan(openid, f"bind-{code}")
    assert reply.startswith("绑定成功"), reply
    return reply


@pytest.mark.parametrize("mode", ["plain"], indirect=True)
def test_reminders_reach_contacts_by_mail_and_bound_staff_in_wechat_once(
        app, db, year, fake_wechat, wechat, smtp, monkeypatch):  # noqa: F811
    monkeypatch.setitem(app.config, "WW_WECHAT_API_BASE", fake_wechat.base_url)
    monkeypatch.setitem(app.config, "WW_WECHAT_STAFF_TEMPLATE_ID", "tpl-staff-alert")
    with db():
        tax_unit = Session.scalars(sa.select(Unit).where(Unit.code == "CD-SW")).one()
        alert_contacts.add_contact(None, None, "office@wjj.example.cn", "卫健局办公室", industry="health")
        alert_contacts.add_contact(None, tax_unit, "zhang@sw.example.cn", "张科长")
        w = Session.scalars(sa.select(Window).where(Window.code == "CD-SW-002")).one()
        w.status, w.status_year = "demonstration", 2025  # awarded last year: owes its rules
    # The health authority's user and the tax hall's staff bind their own WeChat.
    assert "截止提醒" in _bind(db, wechat, "authority", HEALTH_AUTHORITY)
    _bind(db, wechat, "unit", TAX_UNIT)
    for openid in (HEALTH_AUTHORITY, TAX_UNIT):
        fake_wechat.user_messaged(openid)

    with app.app_context():
        # 29 May: management rules due tomorrow, recommendations in 7 days.
        made = svc.remind(today=date(2026, 5, 29))
        Session.commit()
        assert {r.target for r in made} == {"industry:health", "industry:tax", "unit:CD-SW"}
        assert svc.remind(today=date(2026, 5, 29)) == [] and svc.deliver_reminders(date(2026, 5, 29)) == 0
        Session.commit()
        # The tax authority has no address yet: its alert waits for a retry, not lost.
        assert ticket_jobs.send_alerts().endswith("2 alerts sent, 1 to retry, 0 failed")

    mails = {tuple(to): msg for to, msg in smtp.messages}
    assert set(mails) == {("office@wjj.example.cn",), ("zhang@sw.example.cn",)}
    health = mails[("office@wjj.example.cn",)]
    assert subject(health) == "【截止提醒】2026年度推荐申报 2026-06-05 截止"
    assert "创建工作方案" in body(health) and "https://ww.example.cn/cycle/2026" in body(health)
    rules = mails[("zhang@sw.example.cn",)]
    assert "常态管理办法" in subject(rules) and "发票领用窗口" in body(rules)

    assert deliver(app).sent_template == 2
    sent = {m["touser"]: m for m in fake_wechat.state.template_sent}
    assert set(sent) == {HEALTH_AUTHORITY, TAX_UNIT}
    assert sent[HEALTH_AUTHORITY]["data"]["first"]["value"].startswith("【截止提醒】2026年度推荐申报")
    assert sent[HEALTH_AUTHORITY]["data"]["keyword1"]["value"] == "截止提醒"
    assert "常态管理办法" in sent[TAX_UNIT]["data"]["keyword2"]["value"]
    assert {m["url"] for m in sent.values()} == {"https://ww.example.cn/cycle/2026"}

    with app.app_context():
        # The next day's run finds the same thresholds: nothing new is recorded or sent.
        assert svc.remind(today=date(2026, 5, 30)) == []
        Session.commit()
        with db():
            alert_contacts.add_contact(None, None, "ban@sw.example.cn", industry="tax")
        # The waiting alert goes out on its retry, once.
        report = alert_delivery.send_pending(now=utcnow() + timedelta(minutes=10), after_each=Session.commit)
        assert (report.sent, report.retried) == (1, 0)
        assert alert_delivery.send_pending(now=utcnow() + timedelta(hours=2)).sent == 0
        kinds = Session.scalars(sa.select(StaffAlert.kind)).all()
        assert kinds == ["cycle_reminder"] * 3
    assert [to for to, _ in smtp.messages][-1] == ["ban@sw.example.cn"] and len(smtp.messages) == 3
    assert deliver(app).sent_template == 0


def test_earlier_reminders_are_delivered_but_past_ones_are_not(app, db, year):  # noqa: F811
    with db() as s:
        cycle = svc.get_cycle(year)
        for target, due in (("industry:health", date(2026, 6, 5)), ("industry:tax", date(2026, 5, 1)),
                            ("expert:expert1", date(2026, 7, 15)), ("expert:gone", date(2026, 7, 15))):
            s.add(CycleReminder(cycle_id=cycle.id, phase="recommendation", target=target,
                                days_before=7, due_on=due, message="尚未提交：行业推荐表"))
    with app.app_context():
        assert svc.deliver_reminders(date(2026, 5, 30)) == 2
        alerts_by_target = {(a.industry, a.unit_id, a.user_id): a.status
                            for a in Session.scalars(sa.select(StaffAlert)).all()}
        assert alerts_by_target == {("health", None, None): "pending",
                                    (None, None, u("expert1").id): "pending"}
        assert svc.deliver_reminders(date(2026, 5, 30)) == 0


@pytest.mark.parametrize("mode", ["plain"], indirect=True)
def test_an_experts_reminder_reaches_their_address_and_bound_wechat_once(
        app, db, year, fake_wechat, wechat, smtp, monkeypatch):  # noqa: F811
    monkeypatch.setitem(app.config, "WW_WECHAT_API_BASE", fake_wechat.base_url)
    monkeypatch.setitem(app.config, "WW_WECHAT_STAFF_TEMPLATE_ID", "tpl-staff-alert")
    with db():
        c = svc.get_cycle(year)
        health, office = u("authority"), u("office")
        sub = svc.submit(health, svc.save_draft(health, c, "recommendation", rec("CD-RMYY-001")))
        svc.accept(office, sub)
        for name in ("expert1", "expert2", "expert3"):
            svc.assign_expert(office, sub, u(name))
        svc.score(u("expert2"), sub, points(80))  # expert2 is done: no reminder
        alert_contacts.add_contact(office, None, "li@expert.example.cn", "李教授", expert=u("expert1"))
        # expert3 has neither address nor WeChat: its alert waits, retried, not lost.
    # expert1 binds their own WeChat on 个人设置.
    assert "评审评分的截止提醒" in _bind(db, wechat, "expert1", EXPERT)
    fake_wechat.user_messaged(EXPERT)

    with app.app_context():
        # 14 July: scores due tomorrow.
        made = [r for r in svc.remind(today=date(2026, 7, 14)) if r.phase == "review"]
        Session.commit()
        assert {r.target for r in made} == {"expert:expert1", "expert:expert3"}
        assert ticket_jobs.send_alerts().endswith("1 alerts sent, 1 to retry, 0 failed")
    [(to, mail)] = smtp.messages
    assert to == ["li@expert.example.cn"]
    assert subject(mail) == "【截止提醒】2026年度评审评定 2026-07-15 截止"
    assert "1 个候选窗口待评分" in body(mail) and "/cycle/2026/scoring" in body(mail)

    assert deliver(app).sent_template == 1
    [sent] = fake_wechat.state.template_sent
    assert sent["touser"] == EXPERT and sent["data"]["keyword1"]["value"] == "截止提醒"
    assert "1 个候选窗口待评分" in sent["data"]["keyword2"]["value"]
    assert sent["url"] == "https://ww.example.cn/cycle/2026/scoring"

    with app.app_context():
        # Run again, the next day, and retried: nothing is sent twice.
        assert [r for r in svc.remind(today=date(2026, 7, 15)) if r.phase == "review"] == []
        Session.commit()
        report = alert_delivery.send_pending(now=utcnow() + timedelta(minutes=10), after_each=Session.commit)
        assert (report.sent, report.retried) == (0, 1)
        assert Session.scalar(sa.select(sa.func.count()).select_from(StaffAlert)) == 2
    assert len(smtp.messages) == 1 and deliver(app).sent_template == 0


def test_an_expert_may_bind_and_the_office_registers_their_address(app, db, year, auth):  # noqa: F811
    auth.login("office")
    token = auth.csrf_token("/alert-contacts")
    page = auth.client.get("/alert-contacts").get_data(as_text=True)
    assert "评审专家提醒邮箱" in page and 'value="expert:expert1"' in page
    resp = auth.client.post("/alert-contacts", data={
        "csrf_token": token, "unit": "expert:expert1", "email": "li@expert.example.cn",
        "name": "李教授"})
    assert resp.status_code == 302
    assert "li@expert.example.cn" in auth.client.get("/alert-contacts").get_data(as_text=True)
    with db():
        assert {k: [c.email for c in v] for k, v in alert_contacts.expert_contacts().items()} == {
            u("expert1").id: ["li@expert.example.cn"]}
        from feedback_api.services.errors import ValidationError

        with pytest.raises(ValidationError):  # only an expert is registered as one
            alert_contacts.add_contact(u("office"), None, "x@example.cn", expert=u("authority"))
    auth.client.post("/logout", data={"csrf_token": auth.csrf_token("/profile")})
    auth.login("expert1", "expert1-password")
    page = auth.client.get("/profile").get_data(as_text=True)
    assert "评审评分的截止提醒" in page and "生成绑定二维码" in page
    resp = auth.client.post("/profile/wechat/code", data={"csrf_token": auth.csrf_token("/profile")})
    assert resp.status_code == 200 and "bind-" in resp.get_data(as_text=True)


def test_industry_contacts_are_the_offices_to_keep(app, db, district):
    from feedback_api.services.errors import PermissionDenied, ValidationError

    with db():
        with pytest.raises(ValidationError):
            alert_contacts.add_contact(None, None, "x@example.cn", industry="nonsense")
        with pytest.raises(PermissionDenied):
            alert_contacts.add_contact(u("authority"), None, "x@example.cn", industry="health")
        contact = alert_contacts.add_contact(u("office"), None, "x@wjj.example.cn", industry="health")
        assert {k: [c.email for c in v] for k, v in alert_contacts.industry_contacts().items()} == {
            "health": ["x@wjj.example.cn"]}
        alert_contacts.remove_contact(u("office"), contact.id)
        assert alert_contacts.industry_contacts() == {}


def test_the_office_registers_an_authoritys_address_and_an_authority_may_bind(app, db, district,
                                                                              auth):
    auth.login("office")
    token = auth.csrf_token("/alert-contacts")
    resp = auth.client.post("/alert-contacts", data={
        "csrf_token": token, "unit": "industry:health", "email": "office@wjj.example.cn",
        "name": "卫健局办公室"})
    assert resp.status_code == 302
    page = auth.client.get("/alert-contacts").get_data(as_text=True)
    assert "行业主管部门提醒邮箱" in page and "office@wjj.example.cn" in page
    resp = auth.client.post("/alert-contacts", data={
        "csrf_token": token, "unit": "industry:nonsense", "email": "x@wjj.example.cn"})
    assert resp.status_code == 200 and "office@wjj.example.cn" in resp.get_data(as_text=True)
    with db():
        assert [c.email for c in alert_contacts.industry_contacts()["health"]] == ["office@wjj.example.cn"]
    auth.client.post("/logout", data={"csrf_token": auth.csrf_token("/profile")})
    auth.login("authority")
    page = auth.client.get("/profile").get_data(as_text=True)
    assert "本行业创建年度材料的截止提醒" in page and "生成绑定二维码" in page
    assert "行业主管部门提醒邮箱" not in auth.client.get("/alert-contacts").get_data(as_text=True)


@pytest.mark.parametrize("mode", ["plain"], indirect=True)
def test_an_expert_sees_their_own_address_and_binding_on_their_settings(
        app, db, year, auth, wechat):  # noqa: F811
    def settings() -> str:
        return auth.client.get("/profile").get_data(as_text=True)

    auth.login("expert1", "expert1-password")
    page = settings()
    assert "<th>提醒邮箱</th>" in page and "尚未登记" in page and "<td>未绑定</td>" in page
    with db():
        alert_contacts.add_contact(u("office"), None, "li@expert.example.cn", "李教授",
                                   expert=u("expert1"))
        alert_contacts.add_contact(u("office"), None, "wang@expert.example.cn", "王教授",
                                   expert=u("expert2"))
    _bind(db, wechat, "expert1", EXPERT)
    page = settings()
    assert "li@expert.example.cn" in page and "李教授" in page and "<td>已绑定</td>" in page
    assert "尚未登记" not in page
    # Only their own: not another expert's address, and nothing to edit it with.
    assert "wang@expert.example.cn" not in page and 'name="email"' not in page
    auth.client.post("/logout", data={"csrf_token": auth.csrf_token("/profile")})
    auth.login("expert2", "expert2-password")
    page = settings()
    assert "wang@expert.example.cn" in page and "li@expert.example.cn" not in page
    assert "<td>未绑定</td>" in page
    # Unit staff have no address of their own here (their unit's are on /alert-contacts).
    auth.client.post("/logout", data={"csrf_token": auth.csrf_token("/profile")})
    auth.login("unit")
    assert "<th>提醒邮箱</th>" not in settings()
