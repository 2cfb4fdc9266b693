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
        assert sender.conversation.citizen_id == sender.citizen.id
        assert sender.conversation.window_id is None
    with db() as s:
        citizen = s.scalars(sa.select(Citizen)).one()
        assert citizen.pseudonym == citizens.pseudonym_for(OPENID)
        assert s.get(CitizenContact, citizen.id).openid == OPENID
        assert s.get(WechatConversation, citizen.id).service_messages_sent == 0
    with db():
        assert contacts.load_sender(OPENID, now=WHEN).citizen.id == citizen.id


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
