"""The webhook's statement runner: same values as the ORM, deferred writes, window cards."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from feedback_api import fastsql
from feedback_api.db import Session
from feedback_api.models import Citizen, Feedback, Window
from feedback_api.services import citizens, conversation, wechat_inbound
from feedback_api.services import feedback as fb
from feedback_api.services import windows as ws

_citizens = Citizen.__table__
_SEEN = fastsql.Prepared(sa.select(_citizens.c.last_seen_at).where(_citizens.c.id == sa.bindparam("cid")))
_SET_SEEN = fastsql.Prepared(_citizens.update().where(_citizens.c.id == sa.bindparam("cid"))
                             .values(last_seen_at=sa.bindparam("now")))
WHEN = datetime(2026, 11, 28, 9, 30, 15, 123456, tzinfo=UTC)


def _window_id(s, code="CD-SW-001"):
    return s.scalar(sa.select(Window.id).where(Window.code == code))


def test_values_round_trip_like_the_orm(db, district):
    with db():
        cid = citizens.create_citizen("o-fast-1", now=WHEN)
    with db() as s:
        orm = s.get(Citizen, cid)
        assert orm.last_seen_at == WHEN and orm.last_seen_at.tzinfo is not None
        assert orm.created_at is not None  # the Python-side default was applied
        assert _SEEN.scalar({"cid": cid}) == WHEN


def test_a_claimed_feedback_stores_sql_null_json_and_the_defaults(db, district):
    with db() as s:
        cid = citizens.create_citizen("o-fast-2", now=WHEN)
        receipt = fb.record_claimed_feedback(_window_id(s), citizen_id=cid, channel="wechat",
                                             text="排队太久", received_at=WHEN)
    with db() as s:
        item = s.scalars(sa.select(Feedback).where(Feedback.receipt_no == receipt.receipt_no)).one()
        assert (item.review_state, item.rating_counts, item.text) == ("pending", True, "排队太久")
        assert item.received_at == WHEN and item.created_at is not None
        # JSON columns stay SQL NULL (not JSON null), so "not analysed yet" queries find them.
        assert s.scalar(sa.select(sa.func.count()).select_from(Feedback)
                        .where(Feedback.topics.is_(None), Feedback.flags.is_(None))) == 1


def test_deferred_writes_run_before_orm_reads_and_at_commit(db, district):
    later = WHEN.replace(hour=11)
    with db() as s:
        cid = citizens.create_citizen("o-fast-3", now=WHEN)
    with db() as s:
        _SET_SEEN.defer({"cid": cid, "now": later})
        assert s.info[fastsql._DEFERRED]  # queued, not sent
        assert s.get(Citizen, cid, populate_existing=True).last_seen_at == later
        assert not s.info[fastsql._DEFERRED]
    with db() as s:
        _SET_SEEN.defer({"cid": cid, "now": WHEN})
    with db() as s:  # the commit of the block above ran it
        assert s.get(Citizen, cid).last_seen_at == WHEN
    with db() as s:
        _SET_SEEN.defer({"cid": cid, "now": later})
        assert _SEEN.scalar({"cid": cid}) == later  # a fastsql read runs them first, in order


def test_a_rollback_forgets_deferred_writes(db, district):
    with db():
        cid = citizens.create_citizen("o-fast-4", now=WHEN)
    with db() as s:
        s.connection()
        _SET_SEEN.defer({"cid": cid, "now": WHEN.replace(year=2030)})
        s.rollback()
        assert not s.info.get(fastsql._DEFERRED)
    with db() as s:
        assert s.get(Citizen, cid).last_seen_at == WHEN


def test_a_failing_deferred_write_fails_the_commit_and_stores_nothing(db, district):
    with db() as s:
        cid = citizens.create_citizen("o-fast-5", now=WHEN)
        fb.record_claimed_feedback(_window_id(s), citizen_id=cid, channel="wechat", rating=5,
                                   source_msg_id="wx:dup", received_at=WHEN)
    with db() as s:
        citizens.touch_known_citizen(cid, now=WHEN.replace(hour=12))
        fb.record_claimed_feedback(_window_id(s), citizen_id=cid, channel="wechat", rating=1,
                                   source_msg_id="wx:dup", received_at=WHEN)
        with pytest.raises(Exception) as info:
            s.commit()
        assert "unique" in str(info.value).lower() or "duplicate" in str(info.value).lower()
        s.rollback()
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Feedback)) == 1
        assert s.get(Citizen, cid).last_seen_at == WHEN  # the touch went with the rest


def test_open_message_claims_once_and_loads_the_conversation(db, district):
    with db():
        first = wechat_inbound.open_message("msg:1", msg_type="text", event=None,
                                            openid="o-fast-6", now=WHEN)
        assert first.claim.new and first.conversation.citizen_id == first.citizen_id
        assert first.conversation.window_id is None
        card = ws.window_card(code="CD-SW-001")
        conversation.choose_window(first.conversation, card, now=WHEN)
        conversation.save(first.conversation)
        wechat_inbound.record_reply(first.claim, "好的", citizen_id=first.citizen_id)
    with db():
        again = wechat_inbound.open_message("msg:1", msg_type="text", event=None,
                                            openid="o-fast-6", now=WHEN)
        assert not again.claim.new and again.claim.reply == "好的" and again.conversation is None
        Session.rollback()
    with db():
        second = wechat_inbound.open_message("msg:2", msg_type="text", event=None,
                                             openid="o-fast-6", now=WHEN)
        assert second.citizen_id == first.citizen_id
        assert second.conversation.window_id == card.id
        assert second.conversation.window_chosen_at == WHEN


def test_window_cards_are_cached_and_forgotten_on_change(db, district, app):
    with db() as s:
        card = ws.window_card(code="CD-SW-001")
        assert (card.name, card.unit_name, card.status) == ("综合办税窗口", "城东区税务局办税服务厅", "candidate")
        assert ws.window_card(window_id=card.id) == card
        assert ws.window_card(code="NO-SUCH-1") is None
        # A change made without the ORM (as by another process) shows after the cache time...
        s.execute(sa.update(Window).where(Window.id == card.id).values(name="改名窗口")
                  .execution_options(synchronize_session=False))
        assert ws.window_card(code="CD-SW-001").name == "综合办税窗口"
        app.config["WW_WINDOW_CACHE_SECONDS"] = 0
        try:
            assert ws.window_card(code="CD-SW-001").name == "改名窗口"
        finally:
            app.config["WW_WINDOW_CACHE_SECONDS"] = 10
    with db() as s:
        # ...one made through the ORM in this process at once.
        assert ws.window_card(code="CD-SW-001").name == "改名窗口"
        assert ws.window_card(code="CD-SW-001").status == "candidate"
        s.get(Window, card.id).status = "delisted"
        s.flush()
        assert ws.window_card(code="CD-SW-001").status == "delisted"


def test_a_unit_of_work_commits_its_own_transaction_or_nothing(db, district, app):
    with db():
        cid = citizens.create_citizen("o-fast-7", now=WHEN)
    later = WHEN.replace(hour=15)
    with app.app_context():
        with fastsql.unit_of_work() as uow:
            _SET_SEEN.defer({"cid": cid, "now": later})
            assert uow.deferred  # queued until the commit
            assert _SEEN.scalar({"cid": cid}) == later  # a read in the unit sees its writes
            # ...while the ORM session, another transaction, does not take part.
            assert not Session.info.get(fastsql._DEFERRED)
        # Left without a commit: rolled back.
    with db() as s:
        assert s.get(Citizen, cid).last_seen_at == WHEN
    with app.app_context():
        with fastsql.unit_of_work() as uow:
            _SET_SEEN.defer({"cid": cid, "now": later})
            uow.commit()
            assert not uow.deferred
    with db() as s:
        assert s.get(Citizen, cid).last_seen_at == later


def test_postgresql_merges_runs_of_independent_writes_into_one_statement():
    from sqlalchemy.dialects import postgresql

    from feedback_api.services import feedback as fb_service

    dialect = postgresql.psycopg.dialect()
    # A rating's writes, as the webhook defers them: they all merge into one statement.
    writes = [citizens._TOUCH_CITIZEN, citizens._TOUCH_CONTACT, fb_service._SUPERSEDE,
              fb_service._INSERT_CLAIMED, conversation._update(frozenset({"latest_receipt_no"})),
              wechat_inbound._INSERT_CLAIM]
    items = [(p.compiled(dialect), {"n": i}) for i, p in enumerate(writes)]
    merged = fastsql._combine(items)
    assert [getattr(c, "members", 1) for c, _ in merged] == [6]
    sql, args = merged[0][0].sql, merged[0][1]
    assert sql.startswith("WITH w0 AS (UPDATE citizens") and "INSERT INTO feedback_items" in sql
    assert sql.endswith(")") and "INSERT INTO wechat_inbound_messages" in sql
    assert args == {f"s{i}_n": i for i in range(6)}
    assert "%(s2_cid)s" in sql and "%(cid)s" not in sql
    assert fastsql._expand(merged, [[]]) == [[]] * 6
    # The supersede reads feedback_items: after the insert it must see it, so a new statement.
    split = fastsql._combine([items[3], items[2], items[5]])
    assert [getattr(c, "members", 1) for c, _ in split] == [1, 2]
    # A statement whose rows are read is never merged, and it ends the run.
    load = wechat_inbound._LOOKUP_AND_LOAD.compiled(dialect)
    mixed = fastsql._combine([items[0], (load, {}), items[1], items[2]])
    assert [getattr(c, "members", 1) for c, _ in mixed] == [1, 1, 2]
    # Two writes of the same rows: the second reads what the first wrote, so it runs after it.
    twice = fastsql._combine([(_SET_SEEN.compiled(dialect), {}), (_SET_SEEN.compiled(dialect), {})])
    assert [getattr(c, "members", 1) for c, _ in twice] == [1, 1]


def test_merged_writes_give_the_same_result_as_writes_in_order(db, district, app):
    """Runs on each engine the suite runs on (the merging is PostgreSQL's)."""
    with db() as s:
        cid = citizens.create_citizen("o-fast-8", now=WHEN)
        wid = _window_id(s)
        first = fb.record_claimed_feedback(wid, citizen_id=cid, channel="wechat", rating=2,
                                           received_at=WHEN)
    later = WHEN.replace(hour=16)
    with app.app_context():
        with fastsql.unit_of_work() as uow:
            _SET_SEEN.defer({"cid": cid, "now": WHEN.replace(hour=12)})
            _SET_SEEN.defer({"cid": cid, "now": later})  # the same row again: the last wins
            conv = conversation.Conversation(cid)
            receipt = fb.record_claimed_feedback(wid, citizen_id=cid, channel="wechat", rating=5,
                                                 received_at=WHEN.replace(hour=10))
            conv.set(latest_receipt_no=receipt.receipt_no)
            conversation.save(conv)  # refers to the feedback inserted just before
            uow.commit()
    with db() as s:
        assert s.get(Citizen, cid).last_seen_at == later
        rows = dict(s.execute(sa.select(Feedback.receipt_no, Feedback.rating_counts)
                              .where(Feedback.citizen_id == cid)).all())
        assert rows == {first.receipt_no: False, receipt.receipt_no: True}  # superseded
        latest = s.scalar(sa.select(conversation._conv.c.latest_receipt_no)
                          .where(conversation._conv.c.citizen_id == cid))
        assert latest == receipt.receipt_no


def test_sql_echo_logs_the_prepared_statements_too(db, district, database_url, caplog):
    """WW_SQL_ECHO turns on the engine's echo; the webhook's statements are logged with it."""
    from feedback_api.db import make_engine

    with db():
        cid = citizens.create_citizen("o-fast-9", now=WHEN)
    engine = make_engine(database_url, echo=True)
    caplog.set_level("INFO", logger="sqlalchemy.engine.Engine")
    try:
        with fastsql.unit_of_work(engine) as uow:
            assert _SEEN.scalar({"cid": cid}) == WHEN
            _SET_SEEN.defer({"cid": cid, "now": WHEN.replace(hour=17)})
            uow.commit()
    finally:
        engine.dispose()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "[fastsql] SELECT citizens.last_seen_at" in logged
    assert "[fastsql] UPDATE citizens SET last_seen_at" in logged
    # PostgreSQL's unit of work runs in autocommit mode: its one write is its own transaction.
    assert ("[fastsql] COMMIT" in logged) == (engine.dialect.name == "sqlite")
    # Without echo (and with SQLAlchemy's logger left at its default level) nothing is logged.
    caplog.clear()
    caplog.set_level("WARNING", logger="sqlalchemy.engine.Engine")
    quiet = make_engine(database_url)
    try:
        with fastsql.unit_of_work(quiet):
            _SEEN.scalar({"cid": cid})
    finally:
        quiet.dispose()
    assert "[fastsql]" not in "\n".join(r.getMessage() for r in caplog.records)


def test_a_citizens_last_message_is_recorded_to_the_minute(db, district):
    """Messages seconds apart (scan, rating, opinion) write the contact time once; a message a
    minute later writes it again, so the 48-hour allowance is never judged late."""
    from datetime import timedelta

    from feedback_api.models import CitizenContact

    def message(n: int, at: datetime) -> None:
        with db():
            opened = wechat_inbound.open_message(f"msg:touch-{n}", msg_type="text", event=None,
                                                 openid="o-fast-10", now=at)
            assert opened.claim.new

    def recorded() -> tuple[datetime, datetime]:
        with db() as s:
            citizen = s.scalars(sa.select(Citizen).where(
                Citizen.pseudonym == citizens.pseudonym_for("o-fast-10"))).one()
            return citizen.last_seen_at, s.get(CitizenContact, citizen.id).last_message_at

    message(1, WHEN)  # first contact: the citizen is created
    assert recorded() == (WHEN, WHEN)
    message(2, WHEN + timedelta(seconds=20))
    message(3, WHEN + timedelta(seconds=59))
    assert recorded() == (WHEN, WHEN)
    later = WHEN + timedelta(seconds=61)
    message(4, later)
    assert recorded() == (later, later)
    earlier = WHEN  # a clock behind the recorded time (another worker) records too
    message(5, earlier)
    assert recorded() == (earlier, earlier)
