"""Retention of personal data and erasure on request (issue 12, item 7): raw opinion text, the
text copied into training corrections, raw openids of inactive citizens and evidence images
are erased after their configured days, and `citizens forget RECEIPT_NO` erases one citizen's
personal data; every count and score stays."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from feedback_api.config import ConfigError, load_config
from feedback_api.db import utcnow
from feedback_api.models import AuditLog, Citizen, Correction, Feedback, FeedbackEvidence, Window
from feedback_api.services import citizens, evidence, opinions, privacy
from feedback_api.services import feedback as fb
from wechat_bot import contacts
from wechat_bot.models import CitizenContact, OutboundMessage, WechatConversation

DAY = timedelta(days=1)
OLD = 400  # days ago: past every default


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 3), "red").save(buf, format="PNG")
    return buf.getvalue()


def _window(s, code="CD-SW-001") -> Window:
    return s.scalars(sa.select(Window).where(Window.code == code)).one()


def _opinion(s, openid: str | None, *, days_ago: int, text: str, masked: str, rating: int = 2,
             with_photo: bool = False) -> int:
    """A rated opinion as the webhook and the analysis leave it, ``days_ago`` old."""
    when = utcnow() - days_ago * DAY
    citizen = contacts.get_or_create_citizen(openid, now=when) if openid else None
    item = fb.record_feedback(_window(s), citizen=citizen, channel="wechat" if openid else "h5",
                              rating=rating, text=text, received_at=when,
                              client_network_hash=None if openid else citizens.network_hash_for(
                                  "203.0.113.7")).feedback
    opinions.apply_analysis(item, sentiment=0.2, topics=[{"topic": "attitude", "score": 0.9}],
                            keywords=["态度"], masked_text=masked, flags=[], model_version="test")
    s.add(Correction(feedback_id=item.id, text=text, valid=True, sentiment=0, created_at=when))
    if citizen is not None:
        if s.get(WechatConversation, citizen.id) is None:
            s.add(WechatConversation(citizen_id=citizen.id))
        s.add(OutboundMessage(citizen_id=citizen.id, feedback_id=item.id, kind="answer",
                              text="您好，已整改", status="pending"))
    if with_photo:
        ev = FeedbackEvidence(feedback_id=item.id, media_id="MEDIA", pic_url="http://mmbiz.example/x",
                              received_at=when)
        s.add(ev)
        s.flush()
        evidence.store(ev, _png(), "image/png", now=when)
    s.flush()
    return item.id


def _scores(s) -> list[tuple]:
    """Everything counts and scores are made of."""
    return list(s.execute(sa.select(Feedback.id, Feedback.window_id, Feedback.rating,
                                     Feedback.rating_counts, Feedback.sentiment, Feedback.topics,
                                     Feedback.review_state, Feedback.received_at)
                          .order_by(Feedback.id)))


def _evidence_files(app) -> list[Path]:
    root = Path(app.config["WW_INSTANCE_PATH"]) / "evidence"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def two_citizens(app, db, district):
    for path in _evidence_files(app):
        path.unlink()
    with db() as s:
        old = _opinion(s, "o-inactive", days_ago=OLD, text="我叫张三，电话13800138000，态度差",
                       masked="我叫张**，电话[手机号]，态度差", with_photo=True)
        new = _opinion(s, "o-active", days_ago=2, text="我是李四，13900139000，很慢",
                       masked="我是李**，[手机号]，很慢", with_photo=True)
        h5 = _opinion(s, None, days_ago=OLD, text="联系我13700137000", masked="联系我[手机号]")
        h5_new = _opinion(s, None, days_ago=2, text="很好", masked="很好")
    return {"old": old, "new": new, "h5": h5, "h5_new": h5_new}


def test_retention_settings_have_defaults_and_refuse_bad_values(monkeypatch):
    cfg = load_config({"WW_ENV": "testing", "SECRET_KEY": "x", "DATABASE_URL": "sqlite://"})
    assert {k: cfg[k] for k in privacy.SETTINGS} == {
        "WW_RETAIN_OPINION_TEXT_DAYS": 180, "WW_RETAIN_CORRECTION_TEXT_DAYS": 180,
        "WW_RETAIN_OPENID_DAYS": 365, "WW_RETAIN_EVIDENCE_DAYS": 365,
        "WW_RETAIN_ADDRESS_DAYS": 90}
    monkeypatch.setenv("WW_RETAIN_OPENID_DAYS", "0")
    assert load_config({"WW_ENV": "testing", "SECRET_KEY": "x"})["WW_RETAIN_OPENID_DAYS"] == 0
    for bad in ("-1", "abc", "1.5", "100000"):
        monkeypatch.setenv("WW_RETAIN_EVIDENCE_DAYS", bad)
        with pytest.raises(ConfigError, match="WW_RETAIN_EVIDENCE_DAYS"):
            load_config({"WW_ENV": "testing", "SECRET_KEY": "x"})


def test_the_daily_job_erases_what_is_past_its_days_and_keeps_every_score(app, db, two_citizens):
    ids = two_citizens
    with db() as s:
        scores = _scores(s)
        old_citizen = s.get(Feedback, ids["old"]).citizen_id
        new_citizen = s.get(Feedback, ids["new"]).citizen_id
    assert len(_evidence_files(app)) == 2

    with app.app_context():
        counts = privacy.apply_retention()
        privacy_session_commit()
    assert counts == {"opinion_texts": 2, "correction_texts": 2, "address_hashes": 1,
                      "openids": 1, "evidence_images": 1}

    with db() as s:
        assert _scores(s) == scores  # every count and score as before
        old, new, h5 = (s.get(Feedback, ids[k]) for k in ("old", "new", "h5"))
        # Raw text past its days is replaced by the masked text units already read.
        assert old.text == old.masked_text == "我叫张**，电话[手机号]，态度差"
        assert h5.text == "联系我[手机号]"
        assert new.text == "我是李四，13900139000，很慢"
        # The H5 network-address hash past its days is gone; a recent one stays.
        assert h5.client_network_hash is None
        assert s.get(Feedback, ids["h5_new"]).client_network_hash == citizens.network_hash_for(
            "203.0.113.7")
        texts = dict(s.execute(sa.select(Correction.feedback_id, Correction.text)).all())
        assert texts == {ids["old"]: "我叫张**，电话[手机号]，态度差", ids["h5"]: "联系我[手机号]",
                         ids["new"]: "我是李四，13900139000，很慢", ids["h5_new"]: "很好"}
        # The inactive citizen's openid is gone, their pseudonym no longer names them, their
        # pending messages cannot be sent; the active citizen is untouched.
        assert s.get(CitizenContact, old_citizen) is None
        assert s.get(CitizenContact, new_citizen).openid == "o-active"
        assert s.get(Citizen, old_citizen).pseudonym == f"erased-{old_citizen}"
        assert s.get(Citizen, new_citizen).pseudonym == citizens.pseudonym_for("o-active")
        assert s.get(WechatConversation, old_citizen) is None
        assert s.get(WechatConversation, new_citizen) is not None
        assert {m.citizen_id: m.status for m in s.scalars(sa.select(OutboundMessage))} == {
            old_citizen: "failed", new_citizen: "pending"}
        # The old picture's file is deleted (its row says so); the new one stays.
        rows = {e.feedback_id: e for e in s.scalars(sa.select(FeedbackEvidence))}
        assert rows[ids["old"]].stored_name is None and rows[ids["old"]].media_id == ""
        assert rows[ids["old"]].pic_url == "" and "保存期限" in rows[ids["old"]].fetch_error
        assert rows[ids["new"]].stored_name is not None
        assert [e.problem for e in evidence.of_feedback(ids["old"])] == [
            f"图片未能保存（{rows[ids['old']].fetch_error}）"]
    assert len(_evidence_files(app)) == 1

    [entry] = _audit(db, "retention")
    assert entry.actor == "system" and entry.after == counts

    with app.app_context():  # the job is idempotent
        assert privacy.apply_retention() == {"opinion_texts": 0, "correction_texts": 0,
                                             "address_hashes": 0, "openids": 0,
                                             "evidence_images": 0}
        privacy_session_commit()
    assert len(_audit(db, "retention")) == 1  # nothing erased, nothing logged

    with db() as s:  # the citizen comes back: a new pseudonymous citizen with a contact
        again = contacts.get_or_create_citizen("o-inactive")
        assert again.id != old_citizen and contacts.openid_of(again.id) == "o-inactive"


def test_zero_days_keeps_everything(app, db, two_citizens, monkeypatch):
    for key in privacy.SETTINGS:
        monkeypatch.setitem(app.config, key, 0)
    with app.app_context():
        assert set(privacy.apply_retention().values()) == {0}
    with db() as s:
        assert s.get(Feedback, two_citizens["old"]).text.startswith("我叫张三")
        assert s.scalar(sa.select(sa.func.count()).select_from(CitizenContact)) == 2
    assert len(_evidence_files(app)) == 2


def test_the_retention_command_runs_the_job(runner, db, two_citizens):
    r = runner.invoke(args=["citizens", "apply-retention"])
    assert r.exit_code == 0, r.output
    assert "2 条意见原文" in r.output
    with db() as s:
        assert s.get(Feedback, two_citizens["old"]).text == "我叫张**，电话[手机号]，态度差"


def test_forget_erases_one_citizens_personal_data_and_keeps_their_ratings(app, runner, db,
                                                                           two_citizens):
    ids = two_citizens
    with db() as s:
        second = _opinion(s, "o-active", days_ago=1, text="再反映一次，我住幸福路88号",
                          masked="再反映一次，我住[地址]", rating=1)
        receipt = s.get(Feedback, ids["new"]).receipt_no
        cid = s.get(Feedback, ids["new"]).citizen_id
        scores = _scores(s)

    r = runner.invoke(args=["citizens", "forget", receipt])
    assert r.exit_code == 0, r.output

    with db() as s:
        assert _scores(s) == scores  # their ratings still count, anonymously
        for fid in (ids["new"], second):
            item = s.get(Feedback, fid)
            assert (item.text, item.masked_text, item.keywords) == (None, None, None)
            assert item.citizen_id == cid
        assert s.get(Citizen, cid).pseudonym == f"erased-{cid}"
        assert s.get(CitizenContact, cid) is None and s.get(WechatConversation, cid) is None
        assert s.scalars(sa.select(OutboundMessage).where(OutboundMessage.citizen_id == cid)).all() == []
        assert {c.text for c in s.scalars(sa.select(Correction).where(
            Correction.feedback_id.in_([ids["new"], second])))} == {""}
        ev = s.scalars(sa.select(FeedbackEvidence).where(FeedbackEvidence.feedback_id == ids["new"])).one()
        assert ev.stored_name is None and ev.pic_url == "" and "删除" in ev.fetch_error
        # Someone else's data is untouched.
        assert s.get(Feedback, ids["old"]).text.startswith("我叫张三")
        assert s.get(CitizenContact, s.get(Feedback, ids["old"]).citizen_id) is not None
    assert len(_evidence_files(app)) == 1
    [entry] = _audit(db, "forget")
    assert entry.entity_type == "citizen" and entry.entity_id == receipt and entry.actor == "cli"
    assert entry.after["feedback"] == 2 and entry.after["openids"] == 1
    assert "13900139000" not in str(entry.after) and "o-active" not in str(entry.after)

    again = runner.invoke(args=["citizens", "forget", receipt])  # safe to repeat
    assert again.exit_code == 0, again.output
    missing = runner.invoke(args=["citizens", "forget", "PJ20260101-NOPE00"])
    assert missing.exit_code == 1 and "不存在" in missing.output


def test_forget_an_h5_feedback_erases_its_text_only(runner, db, two_citizens):
    with db() as s:
        receipt = s.get(Feedback, two_citizens["h5_new"]).receipt_no
    assert runner.invoke(args=["citizens", "forget", receipt]).exit_code == 0
    with db() as s:
        assert s.get(Feedback, two_citizens["h5_new"]).text is None
        assert s.get(Feedback, two_citizens["h5_new"]).client_network_hash is None
        assert s.get(Feedback, two_citizens["h5_new"]).rating == 2
        assert s.get(Feedback, two_citizens["h5"]).text == "联系我13700137000"  # not that one
        assert s.scalar(sa.select(sa.func.count()).select_from(CitizenContact)) == 2


def privacy_session_commit() -> None:
    from feedback_api.db import Session

    Session.commit()


def _audit(db, action: str) -> list[AuditLog]:
    with db() as s:
        return list(s.scalars(sa.select(AuditLog).where(AuditLog.action == action)))


def test_the_office_reads_erasures_in_its_audit_log(runner, auth, client, db, two_citizens):
    with db() as s:
        receipt = s.get(Feedback, two_citizens["new"]).receipt_no
    assert runner.invoke(args=["citizens", "forget", receipt]).exit_code == 0
    assert runner.invoke(args=["citizens", "apply-retention"]).exit_code == 0
    auth.login("office")
    page = client.get("/audit").get_data(as_text=True)
    assert "删除个人信息（群众要求）" in page and "按保存期限删除个人信息" in page
    assert receipt in page
