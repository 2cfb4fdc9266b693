"""A window unit's programme-year forms, as the unit meets them:

- a unit with no demonstration window (示范窗口) has no 常态管理办法 to submit: it is told why,
  on the year page and on the form's address, instead of a form with an empty window list, and a
  post is refused in Chinese with nothing stored;
- past a deadline the form says 已截止 with the date. A submission is still taken, marked
  逾期提交 (the programme's documented rule: a submission first made after its phase's deadline
  is marked late, README "The programme year"; the office's status board counts them), and the
  unit is told so before it submits; the office acts as before."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from feedback_api.models import Submission, Window
from feedback_api.models.reference import DEMONSTRATION
from feedback_api.services import cycle as svc
from tests.admin_web.test_cycle_pages import people, token, year  # noqa: F401

NO_WINDOW = "本单位没有已命名的示范窗口，无需报送常态管理办法"


def test_a_unit_without_a_demonstration_window_is_told_why_it_has_no_rules_form(
        client, auth, db, year):  # noqa: F811
    auth.login("unit")
    page = client.get(f"/cycle/{year}").get_data(as_text=True)
    assert NO_WINDOW in page
    assert f"/cycle/{year}/new/management_rules" not in page  # no way into an empty form
    assert f"/cycle/{year}/new/summary" in page  # its other forms are offered as before
    path = f"/cycle/{year}/new/management_rules"
    form = client.get(path).get_data(as_text=True)
    assert NO_WINDOW in form and 'name="window"' not in form and 'value="submit"' not in form
    resp = client.post(path, data={"window": "CD-SW-001", "text": "常态管理办法", "action": "submit",
                                   "csrf_token": token(client, f"/cycle/{year}")})
    assert resp.status_code == 409 and NO_WINDOW in resp.get_data(as_text=True)
    with db() as s:
        assert s.scalars(sa.select(Submission)).all() == []


def test_a_unit_with_a_demonstration_window_gets_the_rules_form(client, auth, db, year):  # noqa: F811
    with db() as s:
        s.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one().status = DEMONSTRATION
    auth.login("unit")
    page = client.get(f"/cycle/{year}").get_data(as_text=True)
    assert NO_WINDOW not in page and f"/cycle/{year}/new/management_rules" in page
    form = client.get(f"/cycle/{year}/new/management_rules").get_data(as_text=True)
    assert '<option value="CD-SW-001">' in form and "CD-SW-002" not in form


def test_past_its_deadline_a_units_form_says_so_and_a_submission_is_marked_late(
        client, auth, db, year):  # noqa: F811
    with db():
        ended = svc.deadline(svc.get_cycle(year), "summary")
    assert ended < svc.local_today()  # the year fixture: the publicity phase ended yesterday
    auth.login("unit")
    page = client.get(f"/cycle/{year}").get_data(as_text=True)
    assert f"已截止（{ended}），提交将标记为逾期提交" in page
    path = f"/cycle/{year}/new/summary"
    form = client.get(path).get_data(as_text=True)
    assert f"已截止（{ended}）" in form and "将标记为“逾期提交”" in form
    resp = client.post(path, data={"window": "CD-SW-001", "title": "办税服务厅年度总结",
                                   "text": "全年创建情况", "action": "submit",
                                   "csrf_token": token(client, path)}, follow_redirects=True)
    shown = resp.get_data(as_text=True)
    assert "已提交（已过截止日期，标记为逾期提交）" in shown and '<span class="late">逾期提交</span>' in shown
    with db() as s:
        sub = s.scalars(sa.select(Submission)).one()
        assert (sub.state, sub.late) == ("submitted", True)
        sid = sub.id
    client.post("/logout", data={"csrf_token": token(client, "/")})
    auth.login("office")  # the office still acts on it, and sees it counted late
    assert "逾期提交 1 份" in client.get(f"/cycle/{year}/status").get_data(as_text=True)
    url = f"/cycle/submissions/{sid}"
    assert client.post(f"{url}/accept", data={"csrf_token": token(client, url)}).status_code == 302
    with db() as s:
        assert s.get(Submission, sid).state == "accepted"


def test_before_its_deadline_a_form_carries_no_late_warning(client, auth, db, year):  # noqa: F811
    with db():
        programme = svc.get_cycle(year)
        phase = programme.phase("publicity")
        phase.ends_on = svc.local_today() + timedelta(days=5)
    auth.login("unit")
    form = client.get(f"/cycle/{year}/new/summary").get_data(as_text=True)
    assert "已截止" not in form and "逾期提交" not in form
