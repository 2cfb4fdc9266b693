"""Publishing a quarter that has not ended yet fixes its results at that moment: the office is
told so beside the button (later ratings and inspections enter only through a recompute)."""

from __future__ import annotations

from datetime import datetime, timedelta

from analytics.periods import Period
from feedback_api.services.feedback import LOCAL_TZ


def _quarter(today) -> Period:  # type: ignore[no-untyped-def]
    return Period("quarter", today.year, (today.month - 1) // 3 + 1)


def _previous(p: Period) -> Period:
    return Period("quarter", p.year - (p.number == 1), (p.number - 2) % 4 + 1)


def test_the_publish_button_of_a_running_quarter_warns(client, auth, district):
    auth.login("office")
    current = _quarter(datetime.now(LOCAL_TZ).date())
    html = client.get(f"/assessment/?period={current.code}").get_data(as_text=True)
    assert f"发布{current.label}考核结果" in html
    last_day = current.end - timedelta(days=1)
    assert f"{current.label}尚未结束（至 {last_day.isoformat()}）" in html
    ended = client.get(f"/assessment/?period={_previous(current).code}").get_data(as_text=True)
    assert f"发布{_previous(current).label}考核结果" in ended
    assert "尚未结束" not in ended
