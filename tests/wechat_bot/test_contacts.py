"""A message's sender: created on first contact, their last message recorded to the minute."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from feedback_api.models import Citizen
from feedback_api.services import citizens
from wechat_bot import contacts
from wechat_bot.models import CitizenContact, WechatConversation

WHEN = datetime(2026, 11, 28, 9, 30, 15, 123456, tzinfo=UTC)
OPENID = "o-contact-10"


def test_a_first_message_creates_the_citizen_contact_and_conversation(db, district):
    with db():
        sender = contacts.load_sender(OPENID, now=WHEN)
        assert sender.conversation.citizen_id == sender.citizen_id
        assert sender.conversation.window_id is None
    with db() as s:
        citizen = s.scalars(sa.select(Citizen)).one()
        assert citizen.pseudonym == citizens.pseudonym_for(OPENID)
        assert s.get(CitizenContact, citizen.id).openid == OPENID
        assert s.get(WechatConversation, citizen.id).service_messages_sent == 0
    with db():
        assert contacts.load_sender(OPENID, now=WHEN).citizen_id == citizen.id


def test_a_citizens_last_message_is_recorded_to_the_minute(db, district):
    """Messages seconds apart (scan, rating, opinion) write the contact time once; a message a
    minute later writes it again, so the 48-hour allowance is never judged late."""

    def message(at: datetime) -> None:
        with db():
            contacts.load_sender(OPENID, now=at)

    def recorded() -> tuple[datetime, datetime]:
        with db() as s:
            citizen = s.scalars(sa.select(Citizen).where(
                Citizen.pseudonym == citizens.pseudonym_for(OPENID))).one()
            return citizen.last_seen_at, s.get(CitizenContact, citizen.id).last_message_at

    message(WHEN)  # first contact: the citizen is created
    assert recorded() == (WHEN, WHEN)
    message(WHEN + timedelta(seconds=20))
    message(WHEN + timedelta(seconds=59))
    assert recorded() == (WHEN, WHEN)
    later = WHEN + timedelta(seconds=61)
    message(later)
    assert recorded() == (later, later)
    earlier = WHEN  # a clock behind the recorded time (another worker) records too
    message(earlier)
    assert recorded() == (earlier, earlier)


def test_a_rotated_citizen_hash_key_finds_the_returning_citizen_by_openid(app, wechat, district,
                                                                          db, monkeypatch):
    """Rotating WW_CITIZEN_HASH_KEY changes a returning citizen's pseudonym; their contact row
    (keyed by openid) finds them, instead of a unique-key conflict and 系统繁忙 forever."""
    from wechat_bot import replies

    openid = "oRotate000000000000000000001"
    monkeypatch.setitem(app.config, "WW_CITIZEN_HASH_KEY", "old-key-" + "a" * 40)
    wechat.scan(openid, "CD-SW-001")
    assert wechat.say(openid, "5") != replies.BUSY
    monkeypatch.setitem(app.config, "WW_CITIZEN_HASH_KEY", "new-key-" + "b" * 40)
    second = wechat.say(openid, "窗口人员态度很好")
    assert second != replies.BUSY
    assert wechat.say(openid, "2") != replies.BUSY
    with db() as s:
        citizen = s.scalars(sa.select(Citizen)).one()  # one citizen, not a second
        assert citizen.pseudonym == citizens.pseudonym_for(openid, "new-key-" + "b" * 40)
        assert s.get(CitizenContact, citizen.id).openid == openid
