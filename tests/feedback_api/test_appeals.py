"""Appeals (申诉): who files and decides, the working-day period, and an upheld appeal taking
the rating out of every count while keeping it on record."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Appeal, AuditLog, EvidenceFile, Feedback, Window
from feedback_api.services import appeals, evidence_files, ticket_jobs, users
from feedback_api.services.errors import Conflict, NotFound, PermissionDenied, ValidationError
from feedback_api.services.feedback import record_feedback
from wechat_bot.contacts import get_or_create_citizen
from wechat_bot.models import OutboundMessage

SH = ZoneInfo("Asia/Shanghai")


def make_rating(db, code="CD-SW-001", rating=1, received_at=None, openid="oAppeal00000000000000001"):
    with db():
        window = Session.scalars(sa.select(Window).where(Window.code == code)).one()
        citizen = get_or_create_citizen(openid)
        return record_feedback(window, citizen=citizen, channel="wechat", rating=rating,
                               received_at=received_at).feedback.id


def counted_bad_reviews() -> int:
    return Session.scalar(sa.select(sa.func.count()).select_from(Feedback).where(
        Feedback.rating <= 2, Feedback.rating_counts.is_(True))) or 0


def test_an_upheld_appeal_removes_the_rating_from_the_counts(app, district, db):
    fid = make_rating(db)
    with db():
        assert counted_bad_reviews() == 1
        appeal = appeals.file_appeal(users.get_user("unit"), fid, kind="malicious",
                                     reason="该群众当日未到窗口办理业务，监控可证",
                                     files=[evidence_files.Upload("监控截图.jpg", b"\xff\xd8\xff\xe0jpeg")])
        aid = appeal.id
    with db():
        with pytest.raises(PermissionDenied):
            appeals.decide_appeal(users.get_user("office"), aid, upheld=True, reason="成立")
        with pytest.raises(ValidationError, match="裁定理由"):
            appeals.decide_appeal(users.get_user("agency"), aid, upheld=True, reason=" ")
        appeals.decide_appeal(users.get_user("agency"), aid, upheld=True, reason="核实监控，属实")
    with db():
        item = Session.get(Feedback, fid)
        assert item.rating == 1 and not item.rating_counts  # kept on record, not counted
        assert counted_bad_reviews() == 0
        appeal = Session.get(Appeal, aid)
        assert appeal.state == "upheld" and appeal.decided_by_id == users.get_user("agency").id
        assert Session.scalar(sa.select(sa.func.count()).select_from(EvidenceFile)) == 1
        with pytest.raises(Conflict):
            appeals.decide_appeal(users.get_user("agency"), aid, upheld=False, reason="改判")
        # No ticket opens for an excluded rating; the citizen is told nothing.
        assert ticket_jobs.auto_open() == "0 tickets opened"
        assert Session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 0
        actions = set(Session.scalars(sa.select(AuditLog.action)))
        assert {"file_appeal", "decide_appeal"} <= actions


def test_a_rejected_appeal_keeps_the_rating_counted(app, district, db):
    fid = make_rating(db)
    with db():
        aid = appeals.file_appeal(users.get_user("unit"), fid, kind="mistaken", reason="误评").id
        appeals.decide_appeal(users.get_user("agency"), aid, upheld=False, reason="证据不足")
    with db():
        assert Session.get(Feedback, fid).rating_counts and counted_bad_reviews() == 1


def test_who_may_appeal_and_when(app, district, db):
    own, other = make_rating(db), make_rating(db, "CD-RMYY-001", openid="oAppeal00000000000000002")
    late = make_rating(db, received_at=datetime(2026, 9, 22, 10, tzinfo=SH).astimezone(UTC),
                       openid="oAppeal00000000000000003")
    with db():
        unit = users.get_user("unit")
        with pytest.raises(NotFound):
            appeals.file_appeal(unit, other, kind="malicious", reason="不是我们的窗口")
        with pytest.raises(PermissionDenied):
            appeals.file_appeal(users.get_user("agency"), own, kind="malicious", reason="代为申诉")
        with pytest.raises(ValidationError, match="申诉类型"):
            appeals.file_appeal(unit, own, kind="spite", reason="x")
        # 22 September 2026 + 5 working days, skipping 中秋节 (Friday 25th) = 30 September.
        item = Session.get(Feedback, late)
        assert appeals.deadline(item).isoformat() == "2026-09-30"
        assert appeals.appealable(unit, item, now=datetime(2026, 9, 30, 23, tzinfo=SH)).ok
        now = datetime(2026, 10, 1, 0, 30, tzinfo=SH).astimezone(UTC)
        with pytest.raises(ValidationError, match="申诉期已过"):
            appeals.file_appeal(unit, late, kind="malicious", reason="x", now=now)
        appeals.file_appeal(unit, own, kind="malicious", reason="恶意差评")
    with db():
        with pytest.raises(Conflict):
            appeals.file_appeal(users.get_user("unit"), own, kind="malicious", reason="再申诉")
        # The unit sees its own appeals, the office all of them.
        assert appeals.list_appeals(users.get_user("unit"))[1] == 1
        assert appeals.list_appeals(users.get_user("office"))[1] == 1
        assert appeals.list_appeals(users.get_user("authority"))[1] == 0


def test_the_units_open_appeal_candidates(app, district, db):
    from datetime import timedelta

    fresh = make_rating(db)
    old = make_rating(db, received_at=datetime.now(UTC) - timedelta(days=20),
                      openid="oAppeal00000000000000004")
    good = make_rating(db, rating=5, openid="oAppeal00000000000000005")
    make_rating(db, "CD-RMYY-001", openid="oAppeal00000000000000006")
    with db():
        found = appeals.open_for_appeal(users.get_user("unit"))
        assert [f.id for f, _ in found] == [fresh]
        assert old not in [f.id for f, _ in found] and good not in [f.id for f, _ in found]
        assert appeals.open_for_appeal(users.get_user("agency")) == []


@pytest.mark.parametrize("rating", [3, 4, 5])
def test_only_a_bad_review_may_be_appealed(app, district, db, rating):
    """An appeal contests a rating that counts against the unit (a 差评, 1–2 stars); a 3–5 star
    rating is refused with the reason, and the feedback page offers no appeal for it."""
    fid = make_rating(db, rating=rating, openid=f"oAppealGood00000000000000{rating}")
    with db():
        unit = users.get_user("unit")
        check = appeals.appealable(unit, Session.get(Feedback, fid))
        assert not check.ok and "只有差评" in check.why_not
        with pytest.raises(ValidationError, match="只有差评"):
            appeals.file_appeal(unit, fid, kind="mistaken", reason="评分有误")
        assert Session.scalar(sa.select(sa.func.count()).select_from(Appeal)) == 0
    for bad in (1, 2):
        fid = make_rating(db, rating=bad, openid=f"oAppealBad000000000000000{bad}")
        with db():
            assert appeals.appealable(users.get_user("unit"), Session.get(Feedback, fid)).ok


def test_a_rating_marked_invalid_is_not_offered_for_appeal(app, district, db):
    """A 差评 the agency's review marked invalid counts nowhere (``counted_feedback``): the unit is
    neither offered nor allowed an appeal of it, until a review marks it valid again."""
    from feedback_api.services import review

    fid = make_rating(db, openid="oAppealInvalid00000000001")
    with db():
        review.review_feedback(users.get_user("agency"), fid, {"valid": False})
    with db():
        unit = users.get_user("unit")
        assert appeals.open_for_appeal(unit) == []
        check = appeals.appealable(unit, Session.get(Feedback, fid))
        assert not check.ok and "无效" in check.why_not
        with pytest.raises(ValidationError, match="无效"):
            appeals.file_appeal(unit, fid, kind="malicious", reason="恶意差评")
    with db():
        review.review_feedback(users.get_user("agency"), fid, {"valid": True})
    with db():
        unit = users.get_user("unit")
        assert [f.id for f, _ in appeals.open_for_appeal(unit)] == [fid]
        assert appeals.appealable(unit, Session.get(Feedback, fid)).ok
