"""Analytics jobs on the database: opinions get analysed, reviewers' corrections retrain the model."""

import json

import pytest
import sqlalchemy as sa

from analytics.nlp import store, training
from feedback_api.models import Feedback, User, Window
from feedback_api.services import feedback as fb
from feedback_api.services import opinions, review

SHIPPED = store.active_version(store.SHIPPED_DIR)


@pytest.fixture
def model_dir(app, tmp_path, monkeypatch):
    folder = tmp_path / "models"
    monkeypatch.setitem(app.config, "WW_MODEL_DIR", str(folder))
    return folder


def _opinion(s, code, text, rating=None):
    w = s.scalars(sa.select(Window).where(Window.code == code)).one()
    return fb.record_feedback(w, citizen=None, channel="h5", rating=rating, text=text).feedback.id


def test_analyze_pending_fills_results_and_masks_for_units(runner, db, district, model_dir, client,
                                                          token_for):
    with db() as s:
        first = _opinion(s, "CD-SW-001", "我叫张三，电话13800138000，排队等了三个小时", rating=1)
        second = _opinion(s, "CD-SW-001", "工作人员态度很好，耐心解答", rating=5)
        rating_only = fb.record_feedback(
            s.scalars(sa.select(Window).where(Window.code == "CD-SW-002")).one(),
            citizen=None, channel="h5", rating=4).feedback.id
    result = runner.invoke(args=["nlp", "analyze-pending", "--all"])
    assert result.exit_code == 0, result.output
    assert "已分析 2 条" in result.output
    with db() as s:
        a, b = s.get(Feedback, first), s.get(Feedback, second)
        assert a.masked_text == "我叫张**，电话[手机号]，排队等了三个小时"
        assert a.sentiment < 0.5 < b.sentiment
        assert a.topics[0]["topic"] == "efficiency" and b.topics[0]["topic"] == "attitude"
        assert a.model_version == b.model_version == SHIPPED and a.analyzed_at is not None
        assert s.get(Feedback, rating_only).analyzed_at is None
    unit_view = client.get("/api/v1/feedback?window=CD-SW-001", headers=token_for("unit")).get_json()
    texts = {item["text"] for item in unit_view["items"]}
    assert "我叫张**，电话[手机号]，排队等了三个小时" in texts
    assert not any("13800138000" in t for t in texts)
    again = runner.invoke(args=["nlp", "analyze-pending"])
    assert "已分析 0 条" in again.output


def test_corrections_retrain_a_new_version_that_can_be_restored(runner, db, district, model_dir,
                                                                small_labelled, monkeypatch):
    # The job trains on an eighth of the labelled opinions: the command is tested, not the model.
    monkeypatch.setattr(training, "LABELLED_PATH", small_labelled)
    with db() as s:
        agency = s.scalars(sa.select(User).where(User.username == "agency")).one()
        for text, topics, sentiment in (
            ("窗口旁边的饮水机坏了好几天没人修", ["environment"], 0),
            ("办事员主动告诉我要带哪些材料，一次就办好了", ["process"], 1),
            ("这个号码是推销贷款的广告", None, None),
        ):
            fid = _opinion(s, "CD-SW-001", text)
            payload = {"topics": topics, "sentiment": sentiment} if topics else {"valid": False}
            review.review_feedback(agency, fid, payload)
    result = runner.invoke(args=["nlp", "retrain"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[: result.output.rindex("}") + 1])
    assert report["trained_on"]["corrections_used"] == 2
    assert report["trained_on"]["corrections_skipped"] == 1
    assert report["current_version"] == SHIPPED
    version = report["version"]
    meta = json.loads((model_dir / "versions" / version / "meta.json").read_text())
    assert meta["trained_on"]["corrections_used"] == 2 and "scores" in meta
    listing = runner.invoke(args=["nlp", "versions"]).output
    assert version in listing and SHIPPED in listing and "v1" in listing
    # Whatever was promoted, a shipped version (here the oldest) can be restored, and analysis uses it.
    assert runner.invoke(args=["nlp", "activate", "v1"]).exit_code == 0
    assert (model_dir / "active.txt").read_text().strip() == "v1"
    assert runner.invoke(args=["nlp", "activate", "v999"]).exit_code == 1
    runner.invoke(args=["nlp", "analyze-pending"])
    with db() as s:
        assert set(s.scalars(sa.select(Feedback.model_version).where(Feedback.text.is_not(None)))) == {"v1"}


def test_window_page_summarises_topics_and_complaint_words(runner, db, district, model_dir, client,
                                                           auth):
    with db() as s:
        for text in ("排队等了三个小时，窗口只开了一个", "等了好久，叫号太慢", "工作人员态度很好"):
            _opinion(s, "CD-SW-001", text)
    assert runner.invoke(args=["nlp", "analyze-pending"]).exit_code == 0
    with db() as s:
        wid = s.scalar(sa.select(Window.id).where(Window.code == "CD-SW-001"))
        summary = opinions.opinion_summary(wid)
    assert summary.analyzed == 3 and summary.complaints == 2
    assert summary.topics[0] == ("efficiency", 2)
    assert any(word in {"排队", "叫号", "太慢", "等"} for word, _ in summary.complaint_words)
    auth.login("unit")
    page = client.get("/windows/CD-SW-001").get_data(as_text=True)
    assert "投诉热词" in page and "办事效率/等候 2" in page
