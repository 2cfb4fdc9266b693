"""The agency's desk: the queue's filters (and their scope), bulk review, one ticket for several
feedback, merging duplicates, a citizen's other feedback."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from feedback_api.models import AuditLog, Feedback, TicketFeedback, Window
from feedback_api.services import desk, feedback_list, opinions, users
from feedback_api.services import feedback as fb
from feedback_api.services.errors import Conflict, PermissionDenied, ValidationError
from wechat_bot import contacts

DAY = datetime(2026, 5, 6, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def _w(s, code="CD-SW-001"):
    return s.scalars(sa.select(Window).where(Window.code == code)).one()


def _add(s, code="CD-SW-001", *, openid=None, rating=None, text=None, channel="wechat",
         at=DAY, sentiment=None, topic=None, masked=None, reviewed_sentiment=None):
    citizen = contacts.get_or_create_citizen(openid) if openid else None
    item = fb.record_feedback(_w(s, code), citizen=citizen, channel=channel, rating=rating,
                              text=text, received_at=at).feedback
    if sentiment is not None or topic or masked:
        opinions.apply_analysis(item, sentiment=sentiment if sentiment is not None else 0.5,
                                topics=[{"topic": topic or "other", "confidence": 0.9}], keywords=[],
                                masked_text=masked if masked is not None else (text or ""),
                                flags=[], model_version="test")
    item.reviewed_sentiment = reviewed_sentiment
    s.flush()
    return item.id


@pytest.fixture
def queue(db, district):
    """Feedback spread over the filters; the unit user's scope is CD-SW."""
    with db() as s:
        ids = {
            "rude": _add(s, openid="o1", rating=1, text="张三13800138000态度差", sentiment=0.1,
                         topic="attitude", masked="某某（电话已隐藏）态度差"),
            "slow": _add(s, "CD-SW-002", openid="o2", rating=3, text="排队太慢", sentiment=0.5,
                         topic="efficiency", channel="h5", at=DAY + timedelta(days=1)),
            "nice": _add(s, "CD-RMYY-001", openid="o1", rating=5, text="很好", sentiment=0.9,
                         topic="attitude", at=DAY + timedelta(days=2)),
            "flip": _add(s, "CD-RMYY-002", rating=4, text="一般", sentiment=0.2,
                         reviewed_sentiment=1, topic="environment", channel="phone",
                         at=DAY + timedelta(days=3)),
            "bare": _add(s, rating=2, at=DAY + timedelta(days=4)),
        }
    return ids


def _ids(user, **filters):
    items, total = feedback_list.list_feedback(users.get_user(user), **filters)
    assert total == len(items)
    return [i.id for i in items]


@pytest.mark.parametrize(("filters", "expected"), [
    ({}, ["bare", "flip", "nice", "slow", "rude"]),  # newest first
    ({"window": "CD-SW-002"}, ["slow"]),
    ({"unit": "CD-RMYY"}, ["flip", "nice"]),
    ({"industry": "tax"}, ["bare", "slow", "rude"]),
    ({"topic": "attitude"}, ["nice", "rude"]),
    ({"sentiment": "negative"}, ["rude"]),  # "flip" was scored 0.2, the reviewer said positive
    ({"sentiment": "positive"}, ["flip", "nice"]),
    ({"sentiment": "neutral"}, ["slow"]),
    ({"rating": 2}, ["bare"]),
    ({"channel": "h5"}, ["slow"]),
    ({"review_state": "pending", "industry": "health"}, ["flip", "nice"]),
    ({"date_from": date(2026, 5, 7), "date_to": date(2026, 5, 8)}, ["nice", "slow"]),
    # The ends of the calendar are no bound, never an overflow (a user typing 9999-12-31).
    ({"date_from": date.min, "date_to": date.max}, ["bare", "flip", "nice", "slow", "rude"]),
    ({"date_from": date.max}, []),
    ({"date_to": date.min}, []),
    ({"q": "态度"}, ["rude"]),
    ({"q": "13800138000"}, ["rude"]),
    ({"q": "100%"}, []),  # wildcards are literal
])
def test_filters(db, queue, filters, expected):
    with db():
        assert _ids("agency", **filters) == [queue[k] for k in expected]


def test_a_units_keyword_search_reads_only_masked_text(db, queue):
    with db():
        assert _ids("unit", q="13800138000") == []  # in the raw text only
        assert _ids("unit", q="张三") == []
        assert _ids("unit", q="电话已隐藏") == [queue["rude"]]
        assert _ids("agency", q="电话已隐藏") == []  # the agency searches what it reads: raw
        # Scope still holds: a health keyword finds nothing for the tax unit.
        assert _ids("unit", q="很好") == []
        assert _ids("authority", q="态度") == []  # health authority: "nice" is masked "很好"


def test_bulk_review_reports_each_and_audits(db, queue):
    with db() as s:
        agency = users.get_user("agency")
        result = desk.bulk_review(agency, [queue["rude"], queue["slow"], 999999, queue["rude"]],
                                  valid=False, reason="广告")
        assert result.done == [queue["rude"], queue["slow"]]
        assert list(result.failed) == [999999]
    with db() as s:
        states = {s.get(Feedback, queue[k]).review_state for k in ("rude", "slow")}
        assert states == {"invalid"}
        assert s.get(Feedback, queue["nice"]).review_state == "pending"
        reasons = s.scalars(sa.select(AuditLog.after).where(AuditLog.action == "bulk_review")).all()
        assert [r["reason"] for r in reasons] == ["广告", "广告"]
        with pytest.raises(ValidationError):
            desk.bulk_review(users.get_user("agency"), [queue["nice"]], valid=True, reason=" ")
        with pytest.raises(PermissionDenied):
            desk.bulk_review(users.get_user("unit"), [queue["bare"]], valid=True, reason="x")


def test_one_ticket_for_several_feedback(db, queue):
    with db() as s:
        extra = _add(s, openid="o3", rating=1, text="又是态度差", sentiment=0.1, topic="attitude",
                     at=DAY + timedelta(hours=2))
    with db() as s:
        agency = users.get_user("agency")
        ticket = desk.open_ticket_for(agency, [queue["rude"], extra])
        assert ticket.topic == "attitude" and ticket.source == "feedback"
        linked = s.scalars(sa.select(TicketFeedback.feedback_id)
                           .where(TicketFeedback.ticket_id == ticket.id)).all()
        assert sorted(linked) == sorted([queue["rude"], extra])
        assert "13800138000" not in ticket.problem  # the unit reads the masked opinion
        with pytest.raises(ValidationError):  # another window
            desk.open_ticket_for(agency, [queue["slow"], queue["bare"]])


def _counts(s, *ids):
    return [s.get(Feedback, i).rating_counts for i in ids]


def test_merge_and_unmerge_duplicates(db, queue):
    with db() as s:
        # The same citizen rates the same window twice on one day: the later one counts.
        first = _add(s, openid="o9", rating=1, text="柜台没人", at=DAY)
        again = _add(s, openid="o9", rating=2, text="柜台还是没人", at=DAY + timedelta(hours=1))
        assert _counts(s, first, again) == [False, True]
    with db() as s:
        agency = users.get_user("agency")
        with pytest.raises(ValidationError):  # another citizen
            desk.merge_duplicate(agency, again, queue["rude"])
        with pytest.raises(ValidationError):
            desk.merge_duplicate(agency, again, again)
        desk.merge_duplicate(agency, again, first, "同一问题重复提交")
    with db() as s:
        # The duplicate stops counting; the citizen's one rating of that day is the first again.
        assert _counts(s, first, again) == [True, False]
        assert s.get(Feedback, again).duplicate_of_id == first
        assert [f.id for f in desk.duplicates_of(first)] == [again]
        assert _ids("agency", duplicates=False).count(again) == 0
        assert _ids("agency", duplicates=True) == [again]
        actions = s.scalars(sa.select(AuditLog.action).where(AuditLog.entity_id.in_(
            [str(first), str(again)]), AuditLog.action.in_(["merge", "recount"]))).all()
        assert sorted(actions) == ["merge", "recount", "recount"]
        with pytest.raises(Conflict):
            desk.merge_duplicate(users.get_user("agency"), again, first)
        with pytest.raises(PermissionDenied):
            desk.unmerge_duplicate(users.get_user("unit"), again)
    with db() as s:
        desk.unmerge_duplicate(users.get_user("office"), again, "误合并")
    with db() as s:
        assert _counts(s, first, again) == [False, True]
        assert s.get(Feedback, again).duplicate_of_id is None


def test_other_feedback_is_for_the_agency_and_office_only(db, queue):
    with db() as s:
        rude = s.get(Feedback, queue["rude"])
        for name in ("agency", "office"):
            others, total = desk.other_feedback(users.get_user(name), rude)
            assert [o.id for o in others] == [queue["nice"]] and total == 1
        for name in ("unit", "authority"):
            assert desk.other_feedback(users.get_user(name), rude) == ([], 0)
        assert desk.other_feedback(users.get_user("agency"), s.get(Feedback, queue["flip"])) == (
            [], 0)  # no citizen


@pytest.mark.parametrize("user", ["office", "agency", "authority", "unit"])
def test_the_api_list_shows_each_feedback_as_its_detail_does(client, db, queue, token_for, user):
    """The list is built from plain rows, the detail from the ORM object: each field the same,
    masking and the citizen's pseudonym included (a unit gets neither raw text nor alias)."""
    with db() as s:
        dup = _add(s, openid="o2", rating=3, text="排队太慢了", at=DAY + timedelta(days=5))
        s.get(Feedback, dup).duplicate_of_id = queue["slow"]
    h = token_for(user)
    listed = client.get("/api/v1/feedback?per_page=200", headers=h).get_json()["items"]
    assert listed and len(listed) == len({i["id"] for i in listed})
    for item in listed:
        assert client.get(f"/api/v1/feedback/{item['id']}", headers=h).get_json() == item
    by_id = {i["id"]: i for i in listed}
    if user == "unit":
        assert by_id[queue["rude"]]["text"] == "某某（电话已隐藏）态度差"
        assert all(i["citizen"] is None for i in listed)
    if user == "agency":
        assert by_id[queue["rude"]]["text"] == "张三13800138000态度差"
        assert by_id[queue["rude"]]["citizen"] and by_id[queue["bare"]]["citizen"] is None
        assert by_id[dup]["duplicate_of"] == queue["slow"]
        assert by_id[dup]["window_name"] and by_id[dup]["unit"]
