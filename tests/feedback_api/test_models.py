"""Model constraints hold on SQLite and PostgreSQL alike."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from feedback_api.models import Citizen, Feedback, Window
from feedback_api.services import citizens
from feedback_api.services import feedback as fb
from wechat_bot.contacts import get_or_create_citizen, openid_of
from wechat_bot.models import CitizenContact


def _window(s, code="CD-SW-001"):
    return s.scalars(sa.select(Window).where(Window.code == code)).one()


def test_rating_outside_one_to_five_is_refused_by_the_database(db, district):
    with pytest.raises(IntegrityError):
        with db() as s:
            s.add(Feedback(receipt_no="X1", window_id=_window(s).id, channel="wechat", rating=6))
            s.flush()


def test_source_message_is_unique(db, district):
    with pytest.raises(IntegrityError):
        with db() as s:
            w = _window(s)
            s.add(Feedback(receipt_no="A1", window_id=w.id, rating=5, source_msg_id="m1"))
            s.add(Feedback(receipt_no="A2", window_id=w.id, rating=4, source_msg_id="m1"))
            s.flush()


def test_window_code_is_unique(db, district):
    with pytest.raises(IntegrityError):
        with db() as s:
            s.add(Window(code="CD-SW-001", name="重复", unit_id=_window(s).unit_id))
            s.flush()


def test_timestamps_come_back_timezone_aware_utc(db, district):
    with db() as s:
        w = _window(s)
        rec = fb.record_feedback(w, citizen=None, channel="h5", rating=5,
                                 received_at=datetime(2026, 3, 1, 8, 0, tzinfo=UTC))
        fid = rec.feedback.id
    with db() as s:
        item = s.get(Feedback, fid)
        assert item.received_at == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
        assert item.received_at.tzinfo is not None
        assert item.created_at.tzinfo is not None


def test_citizen_is_pseudonymous_and_openid_is_kept_apart(db, district, app):
    with db() as s:
        c = get_or_create_citizen("oABCDEF-openid-1")
        cid, pseudonym = c.id, c.pseudonym
    assert "oABCDEF" not in pseudonym and len(pseudonym) == 64
    with db() as s:
        # The citizen row carries no openid column at all.
        assert "openid" not in Citizen.__table__.columns
        assert s.get(CitizenContact, cid).openid == "oABCDEF-openid-1"
        assert openid_of(cid) == "oABCDEF-openid-1"
        # The pseudonym is keyed: another key gives another pseudonym.
        assert citizens.pseudonym_for("oABCDEF-openid-1", key="other") != pseudonym
        assert get_or_create_citizen("oABCDEF-openid-1").id == cid
