"""Recording feedback: once per source message, one counted rating per citizen/window/day."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from feedback_api.models import Feedback, User, Window
from feedback_api.services import citizens, feedback_list
from feedback_api.services import feedback as fb
from feedback_api.services.errors import ValidationError


def _w(s, code="CD-SW-001"):
    return s.scalars(sa.select(Window).where(Window.code == code)).one()


def test_same_source_message_is_stored_once(db, district):
    with db() as s:
        c = citizens.create_citizen(citizens.pseudonym_for("o1"))
        first = fb.record_feedback(_w(s), citizen=c, channel="wechat", rating=5, source_msg_id="wx:1")
        again = fb.record_feedback(_w(s), citizen=c, channel="wechat", rating=5, source_msg_id="wx:1")
        assert first.created and not again.created
        assert again.feedback.id == first.feedback.id
        assert again.feedback.receipt_no == first.feedback.receipt_no
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Feedback)) == 1


def test_second_rating_same_day_replaces_the_first(db, district):
    morning = datetime(2026, 5, 6, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    with db() as s:
        c = citizens.create_citizen(citizens.pseudonym_for("o2"))
        a = fb.record_feedback(_w(s), citizen=c, channel="wechat", rating=2, received_at=morning)
        b = fb.record_feedback(_w(s), citizen=c, channel="wechat", rating=4,
                               received_at=morning + timedelta(hours=3))
        opinion = fb.record_feedback(_w(s), citizen=c, channel="wechat", text="等太久",
                                     received_at=morning + timedelta(hours=4))
        other_window = fb.record_feedback(_w(s, "CD-SW-002"), citizen=c, channel="wechat",
                                          rating=1, received_at=morning)
        next_day = fb.record_feedback(_w(s), citizen=c, channel="wechat", rating=3,
                                      received_at=morning + timedelta(days=1))
        ids = [x.feedback.id for x in (a, b, opinion, other_window, next_day)]
    with db() as s:
        counts = {i: s.get(Feedback, i).rating_counts for i in ids}
    assert counts == {ids[0]: False, ids[1]: True, ids[2]: True, ids[3]: True, ids[4]: True}


def test_feedback_without_rating_or_text_is_refused(db, district):
    with db() as s, pytest.raises(ValidationError):
        fb.record_feedback(_w(s), citizen=None, channel="wechat", rating=None, text="   ")


def test_window_units_see_masked_opinions_only(db, district):
    with db() as s:
        item = fb.record_feedback(_w(s), citizen=None, channel="h5", text="我叫张三，电话13800138000").feedback
        office = s.scalars(sa.select(User).where(User.username == "office")).one()
        unit = s.scalars(sa.select(User).where(User.username == "unit")).one()
        assert fb.visible_text(item, office) == "我叫张三，电话13800138000"
        assert "13800138000" not in fb.visible_text(item, unit)
        item.masked_text = "我叫张*，电话138****8000"
        assert fb.visible_text(item, unit) == "我叫张*，电话138****8000"


def test_receipt_numbers_are_unique_and_dated(db, district):
    with db() as s:
        nos = {fb.record_feedback(_w(s), citizen=None, channel="h5", rating=5).feedback.receipt_no
               for _ in range(50)}
    assert len(nos) == 50
    assert all(n.startswith("PJ20") and len(n) == 17 for n in nos)


def test_every_page_of_a_listing_has_the_same_total(db, district):
    """A page that is not full gives the total without a count; the others count."""
    with db() as s:
        window = _w(s)
        for i in range(5):
            fb.record_feedback(window, citizen=None, channel="h5", rating=1 + i % 5,
                               text=f"意见 {i}")
        office = s.scalars(sa.select(User).where(User.username == "office")).one()
        pages = [feedback_list.list_feedback(office, page=n, per_page=2) for n in (1, 2, 3, 4)]
        assert [len(items) for items, _ in pages] == [2, 2, 1, 0]
        assert {total for _, total in pages} == {5}
        assert feedback_list.list_feedback(office, page=1, per_page=50)[1] == 5
        assert feedback_list.list_feedback(office, page=1, per_page=5)[1] == 5  # full, so counted
        assert feedback_list.list_feedback(office, channel="wechat", page=1, per_page=2) == ([], 0)
        assert feedback_list.list_feedback(office, rating=5, page=1, per_page=2)[1] == 1
        ids = [i.id for n in (1, 2, 3) for i in feedback_list.list_feedback(office, page=n, per_page=2)[0]]
        assert len(set(ids)) == 5
