"""Image evidence: downloaded from WeChat's media API (our fake) and shown to reviewers only."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from feedback_api.db import Session, utcnow
from feedback_api.models import Feedback, FeedbackEvidence
from feedback_api.services import evidence
from tests.conftest import AuthActions
from tests.wechat_bot.conftest import ACCOUNT, APPID, TOKEN, WechatTester
from wechat_bot.jobs import fetch_evidence
from wechat_bot.simulator import WechatPeer

OPENID = "oEvidence000000000000000001"


def png(colour: str = "red") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 3), colour).save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def citizen_with_photo(app, fake_wechat, district):
    """A citizen rated CD-SW-001 badly and sent a photo (MEDIA-OK at the fake WeChat)."""
    tester = WechatTester(app.test_client(), WechatPeer(token=TOKEN, appid=APPID, account=ACCOUNT),
                          "plain")
    tester.scan(OPENID, "CD-SW-001")
    tester.say(OPENID, "1")
    tester.send(tester.peer.image(OPENID, media_id="MEDIA-OK", pic_url="http://mmbiz.example/ok"))
    fake_wechat.add_media("MEDIA-OK", png(), "image/png")
    return tester


def run_job(app) -> str:
    with app.app_context():
        result = fetch_evidence()
        Session.commit()
        return result


def evidence_rows(app) -> list[FeedbackEvidence]:
    with app.app_context():
        return list(Session.scalars(sa.select(FeedbackEvidence).order_by(FeedbackEvidence.id)))


def test_the_job_saves_the_picture_once(app, citizen_with_photo, fake_wechat):
    assert run_job(app) == "1 saved, 0 failed"
    [ev] = evidence_rows(app)
    assert (ev.content_type, ev.size_bytes, ev.fetch_attempts, ev.fetch_error) == (
        "image/png", len(png()), 1, "")
    with app.app_context():
        path = evidence.folder() / ev.stored_name
        assert path.read_bytes() == png()
        assert path.resolve().is_relative_to(evidence.folder().resolve())
    assert run_job(app) == "0 saved, 0 failed"  # nothing left to fetch


def test_a_media_wechat_refuses_is_retried_then_given_up(app, citizen_with_photo, fake_wechat):
    fake_wechat.state.media.clear()  # e.g. a forged or expired media id: errcode 40007
    for attempt in range(1, evidence.MAX_ATTEMPTS + 1):
        assert run_job(app) == "0 saved, 1 failed"
        [ev] = evidence_rows(app)
        assert ev.fetch_attempts == attempt and "40007" in ev.fetch_error
    assert run_job(app) == "0 saved, 0 failed"  # attempts used up
    with app.app_context():
        [view] = evidence.of_feedback(evidence_rows(app)[0].feedback_id)
        assert not view.saved and "40007" in view.problem


def test_something_that_is_not_an_image_is_refused(app, citizen_with_photo, fake_wechat):
    fake_wechat.add_media("MEDIA-OK", b"<html>not a picture</html>", "text/html")
    assert run_job(app) == "0 saved, 1 failed"
    [ev] = evidence_rows(app)
    assert ev.stored_name is None and "not an image" in ev.fetch_error


def test_pictures_older_than_wechat_keeps_them_are_not_fetched(app, citizen_with_photo, db):
    with db() as s:
        s.execute(sa.update(FeedbackEvidence).values(received_at=utcnow() - timedelta(days=4)))
    assert run_job(app) == "0 saved, 0 failed"
    with app.app_context():
        [view] = evidence.of_feedback(evidence_rows(app)[0].feedback_id)
        assert "过期" in view.problem


def test_without_credentials_nothing_is_fetched(app, citizen_with_photo, monkeypatch):
    monkeypatch.setitem(app.config, "WW_WECHAT_SECRET", "")
    app.extensions.pop("ww_wechat_clients", None)
    assert run_job(app) == "not configured"


def signed_in(app, username: str):
    actions = AuthActions(app.test_client())
    assert actions.login(username).status_code == 302
    return actions.client


def _feedback_id(app) -> int:
    with app.app_context():
        return Session.scalar(sa.select(Feedback.id).where(Feedback.rating == 1))


def test_reviewers_see_the_picture_window_units_only_that_it_exists(app, citizen_with_photo):
    run_job(app)
    fid = _feedback_id(app)
    agency = signed_in(app, "agency")
    page = agency.get(f"/feedback/{fid}").get_data(as_text=True)
    assert "图片凭证" in page
    src = re.search(r'<img src="([^"]+)"', page).group(1)
    with agency.get(src) as image:
        assert image.status_code == 200 and image.mimetype == "image/png"
        assert image.data == png()
        assert "private" in image.headers["Cache-Control"]

    unit = signed_in(app, "unit")  # the window's own unit (CD-SW)
    page = unit.get(f"/feedback/{fid}").get_data(as_text=True)
    assert "图片凭证" in page and "<img" not in page and "不向窗口单位展示" in page
    assert unit.get(src).status_code == 404

    authority = signed_in(app, "authority")  # health: outside the tax window's scope
    assert authority.get(f"/feedback/{fid}").status_code == 404
    assert authority.get(src).status_code == 404


def test_evidence_urls_that_name_nothing_are_404(app, citizen_with_photo):
    run_job(app)
    fid = _feedback_id(app)
    office = signed_in(app, "office")
    for url in (f"/feedback/{fid}/evidence/999999", f"/feedback/{fid}/evidence/99999999999999999999",
                f"/feedback/{fid + 1}/evidence/1", "/feedback/99999999999999999999/evidence/1"):
        assert office.get(url).status_code == 404, url


def test_the_cli_command_reports_and_fails_when_something_failed(app, citizen_with_photo, fake_wechat):
    runner = app.test_cli_runner()
    fake_wechat.add_media("MEDIA-OK", b"", "image/png")  # an empty download
    result = runner.invoke(args=["wechat", "fetch-evidence"])
    assert result.exit_code == 1 and "0 saved, 1 failed" in result.output
    fake_wechat.add_media("MEDIA-OK", png("blue"), "image/png")
    result = runner.invoke(args=["wechat", "fetch-evidence"])
    assert result.exit_code == 0 and "1 saved, 0 failed" in result.output


def test_a_picture_whose_row_vanished_meanwhile_leaves_no_file(app, citizen_with_photo,
                                                               fake_wechat):
    """The feedback's evidence is deleted while the picture downloads (no transaction of the
    job is open meanwhile): the picture is not saved (no file that no row names)."""
    [ev] = evidence_rows(app)

    def delete_row(_media_id: str) -> None:
        with app.extensions["ww_engine"].begin() as conn:  # another connection, as another user
            conn.execute(sa.delete(FeedbackEvidence).where(FeedbackEvidence.id == ev.id))

    def files() -> set[str]:
        with app.app_context():
            return {str(p) for p in evidence.folder().rglob("*") if p.is_file()}

    before = files()  # the instance folder is shared by the tests
    fake_wechat.add_media("MEDIA-OK", png(), "image/png", while_serving=delete_row)
    assert run_job(app) == "0 saved, 1 failed"
    assert evidence_rows(app) == []
    assert files() == before


def test_no_transaction_is_held_while_wechat_answers(app, citizen_with_photo, fake_wechat):
    """While the picture downloads, another connection can write (SQLite's write lock, or the
    evidence row's lock on PostgreSQL, taken within 200 ms) and sees the attempt counted: a
    slow WeChat blocks no one, and the write after it is not refused for a stale read."""
    seen: list[tuple[int, str | None]] = []

    def probe(_media_id: str) -> None:
        # ww_write_wait_ms: SQLite begins with BEGIN IMMEDIATE waiting that long (feedback_api.db).
        engine = app.extensions["ww_engine"]
        with engine.connect().execution_options(ww_write_wait_ms=200) as conn, conn.begin():
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET LOCAL lock_timeout = '200ms'")
            row = conn.execute(sa.select(FeedbackEvidence.fetch_attempts,
                                         FeedbackEvidence.stored_name)
                               .with_for_update(nowait=True)).one()
            seen.append((row.fetch_attempts, row.stored_name))

    fake_wechat.add_media("MEDIA-OK", png(), "image/png", while_serving=probe)
    assert run_job(app) == "1 saved, 0 failed"
    assert seen == [(1, None)]
    [ev] = evidence_rows(app)
    assert ev.fetch_attempts == 1 and ev.stored_name is not None
