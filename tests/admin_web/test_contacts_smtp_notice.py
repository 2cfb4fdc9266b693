"""The alert-contacts page says in plain Chinese that mail is not set up; the setting's name is
for the office, who runs the system, not for the units."""

from __future__ import annotations

import pytest

from tests.admin_web.test_tickets_pages import signed_in


@pytest.fixture()
def no_smtp(app, monkeypatch):
    monkeypatch.setitem(app.config, "WW_SMTP_URL", None)


@pytest.mark.parametrize("name", ["unit", "authority", "agency"])
def test_staff_read_a_sentence_not_a_setting(app, district, no_smtp, name):
    client, _ = signed_in(app, name)
    html = client.get("/alert-contacts").get_data(as_text=True)
    assert "邮件发送尚未配置" in html and "请联系系统管理员" in html
    assert "WW_SMTP_URL" not in html and "SMTP" not in html


def test_the_office_also_reads_which_setting(app, district, no_smtp):
    client, _ = signed_in(app, "office")
    html = client.get("/alert-contacts").get_data(as_text=True)
    assert "邮件发送尚未配置" in html and "WW_SMTP_URL" in html


def test_nothing_is_said_once_mail_is_set_up(app, district, monkeypatch):
    monkeypatch.setitem(app.config, "WW_SMTP_URL", "smtp://127.0.0.1:2525")
    client, _ = signed_in(app, "unit")
    assert "邮件发送尚未配置" not in client.get("/alert-contacts").get_data(as_text=True)
