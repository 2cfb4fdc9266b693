"""The dashboard's trend reads each published period from its stored version: late data moves a
published period's point only through an audited recompute, while a period not published is
computed live; the chart data and the tables beside it hold the stored numbers."""

from __future__ import annotations

import re
from statistics import fmean

from analytics import snapshots
from analytics.assessment import Period, assess
from tests.admin_web.test_dashboard import MAY, _data, _ranking, scored  # noqa: F401
from tests.assessment_helpers import add_feedback, user

Q2, Q3 = Period("quarter", 2026, 2), Period("quarter", 2026, 3)


def _table(html: str, table_id: str) -> list[list[str]]:
    """A table's body rows as their cells' text."""
    table = re.search(rf'<table class="grid compact" id="{table_id}">(.*?)</table>', html, re.S)
    assert table
    body = table.group(1).split("<tbody>", 1)[1]
    return [[" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<td>(.*?)</td>", tr, re.S)]
            for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def _composites(result) -> dict[str, float | None]:  # type: ignore[no-untyped-def]
    return {r.code: r.composite for r in result.rows}


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.1f}"


def _check_tables_hold_the_data(html: str) -> dict:
    """The trend and history tables beside the chart show exactly the chart's numbers."""
    data = _data(html)
    assert _table(html, "t-trend") == [[s["name"], *[_fmt(v) for v in s["values"]]]
                                       for s in data["trend"]]
    history = {row[0].split()[0]: row[1:] for row in _table(html, "t-history")}
    assert history == {w["code"]: [_fmt(v) for v in w["history"]] for w in data["windows"]}
    return data


def test_a_published_quarter_stays_as_published_in_the_trend_until_recomputed(
        app, db, client, auth, scored):  # noqa: F811
    with db():
        snapshots.publish(user("office"), Q2)
    with db():
        published = _composites(snapshots.stored(Q2).result)
        # Late data in both quarters: twenty 非常不满意 for the tax hall's first window.
        add_feedback("CD-SW-001", [1] * 20, at=MAY)
        add_feedback("CD-SW-001", [1] * 20)
    with db():
        live_q2, live_q3 = _composites(assess(Q2)), _composites(assess(Q3))
    assert live_q2["CD-SW-001"] is not None and published["CD-SW-001"] is not None
    assert round(live_q2["CD-SW-001"], 1) != round(published["CD-SW-001"], 1)

    auth.login("office")
    html = client.get(f"/dashboard/?period={Q3.code}").get_data(as_text=True)
    data = _check_tables_hold_the_data(html)
    assert data["versions"] == [None, None, 1, None]
    assert "<br><span class=\"small\">v1</span></th>" in html and "考核结果未发布" in html
    for w in data["windows"]:
        # Q2 is the stored version's, Q3 (not published) the live computation's.
        assert w["history"][-2:] == [None if published[w["code"]] is None
                                     else round(published[w["code"]], 1),
                                     None if live_q3[w["code"]] is None
                                     else round(live_q3[w["code"]], 1)]
    stored_mean = fmean(v for v in published.values() if v is not None)
    assert data["trend"][0]["values"][-2] == round(stored_mean, 1)
    assert data["trend"][0]["values"][-1] == round(fmean(v for v in live_q3.values() if v is not None), 1)
    # The JSON endpoint and Q2's own dashboard read the same stored version.
    assert client.get(f"/dashboard/data.json?period={Q3.code}").get_json() == data
    q2_page = client.get(f"/dashboard/?period={Q2.code}").get_data(as_text=True)
    assert "考核结果：已发布 v1" in q2_page
    assert _ranking(q2_page)["CD-SW-001"][9] == _fmt(published["CD-SW-001"])

    # The audited recompute stores v2; the trend's Q2 point is v2's now.
    with db():
        snapshots.recompute(user("office"), Q2, "补录第二季度评价")
    html = client.get(f"/dashboard/?period={Q3.code}").get_data(as_text=True)
    data = _check_tables_hold_the_data(html)
    assert data["versions"] == [None, None, 2, None]
    sw1 = next(w for w in data["windows"] if w["code"] == "CD-SW-001")
    assert sw1["history"][-2] == round(live_q2["CD-SW-001"], 1)


def test_the_assessed_period_when_published_is_read_from_its_version(
        app, db, client, auth, scored):  # noqa: F811
    with db():
        snapshots.publish(user("office"), Q3)
    with db():
        published = _composites(snapshots.stored(Q3).result)
        add_feedback("CD-RMYY-002", [5] * 40)  # late ratings for a window with a failed inspection
        # A ticket opened since: the alerts count the tickets open now, not those when published.
        from feedback_api.services import ticket_open, windows
        ticket_open.open_ticket(None, windows.get_window(None, "CD-RMYY-001"), topic="attitude",
                            problem="服务态度生硬", source="office")
    auth.login("authority")  # health: its windows of the stored version only
    html = client.get(f"/dashboard/?period={Q3.code}").get_data(as_text=True)
    data = _check_tables_hold_the_data(html)
    assert data["versions"][-1] == 1 and "考核结果：已发布 v1" in html
    assert {w["code"] for w in data["windows"]} == {"CD-RMYY-001", "CD-RMYY-002"}
    ranking = _ranking(html)
    for code in ("CD-RMYY-001", "CD-RMYY-002"):
        assert ranking[code][9] == _fmt(published[code])
    assert data["trend"][0]["values"][-1] == round(
        fmean(published[c] for c in ("CD-RMYY-001", "CD-RMYY-002") if published[c] is not None), 1)
    assert "CD-SW-001" not in html
    assert ("CD-RMYY-001", "tickets", "未办结督办单 1 件") in {
        (a["code"], a["kind"], a["text"]) for a in data["alerts"]}
