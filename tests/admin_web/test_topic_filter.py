"""The desk's topic filter finds an opinion by any of the topics its row shows: the reviewer's
corrected topics when reviewed, else all the model's, not only the first."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.models import Feedback, Window
from feedback_api.models.reference import TOPICS
from feedback_api.services import feedback as fb
from feedback_api.services import opinions, review, users
from wechat_bot import contacts

DAY = datetime(2026, 5, 6, 1, 0, tzinfo=UTC)

#: name -> (the model's topics, the reviewer's topics or None)
OPINIONS = {
    "second": (["attitude", "efficiency"], None),
    "only": (["efficiency"], None),
    "third": (["attitude", "competence", "efficiency"], None),
    "elsewhere": (["environment"], None),
    "corrected away": (["attitude", "efficiency"], ["process"]),
    "corrected to second": (["environment"], ["attitude", "efficiency"]),
    "unanalysed": (None, None),
}


@pytest.fixture
def seeded(db, district) -> dict[str, str]:
    """name -> receipt number."""
    out = {}
    with db():
        window = Session.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        agency = users.get_user("agency")
        for n, (name, (model, reviewed)) in enumerate(OPINIONS.items()):
            item = fb.record_feedback(
                window, citizen=contacts.get_or_create_citizen(f"o-topic-{n}"), channel="wechat",
                text=f"意见{n}", received_at=DAY + timedelta(hours=n)).feedback
            if model is not None:
                opinions.apply_analysis(
                    item, sentiment=0.3, keywords=[], masked_text=f"意见{n}", flags=[],
                    model_version="t",
                    topics=[{"topic": t, "confidence": 0.9 - i / 10} for i, t in enumerate(model)])
            Session.flush()
            if reviewed is not None:
                review.review_feedback(agency, item.id, {"topics": reviewed})
            out[name] = item.receipt_no
    return out


def rows(html: str, seeded: dict[str, str]) -> dict[str, str]:
    """name -> its row's HTML, for the opinions the page lists."""
    found = {}
    for row in re.findall(r"<tr>.*?</tr>", html, re.S):
        for name, receipt in seeded.items():
            if receipt in row:
                found[name] = row
    return found


@pytest.mark.parametrize(("topic", "expected"), [
    ("efficiency", {"second", "only", "third", "corrected to second"}),
    ("attitude", {"second", "third", "corrected to second"}),
    ("competence", {"third"}),
    ("process", {"corrected away"}),
    ("environment", {"elsewhere"}),   # not "corrected to second": the reviewer said otherwise
    ("integrity", set()),
])
def test_the_topic_filter_finds_any_topic_the_row_shows(client, auth, seeded, topic, expected):
    auth.login("agency")
    listed = rows(client.get(f"/feedback?topic={topic}").get_data(as_text=True), seeded)
    assert set(listed) == expected
    for name, row in listed.items():
        assert TOPICS[topic] in row, f"{name} is listed under {topic} without showing it"


def test_without_a_topic_every_opinion_is_listed(client, auth, seeded):
    auth.login("agency")
    assert set(rows(client.get("/feedback").get_data(as_text=True), seeded)) == set(OPINIONS)


def test_the_api_keeps_its_documented_main_topic(client, seeded, token_for):
    """The API's ``topic`` is documented as the main topic (the reviewer's first, else the
    model's): API clients keep it."""
    h = token_for("agency")
    by_receipt = {receipt: name for name, receipt in seeded.items()}

    def listed(topic: str) -> set[str]:
        body = client.get(f"/api/v1/feedback?topic={topic}", headers=h).get_json()
        return {by_receipt[f["receipt_no"]] for f in body["items"]}

    assert listed("efficiency") == {"only"}
    assert listed("attitude") == {"second", "third", "corrected to second"}
    assert listed("process") == {"corrected away"}


def test_a_review_left_empty_falls_back_to_the_model_and_unknown_codes_find_nothing(db, district):
    """A reviewed list stored empty or as JSON null is no review: the model's topics count (as
    the row shows them). A code that is not a topic, wildcards included, finds nothing."""
    from feedback_api.services import feedback_list

    with db():
        window = Session.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        made = {}
        for n, reviewed in enumerate(([], None, ["integrity"])):
            item = fb.record_feedback(
                window, citizen=contacts.get_or_create_citizen(f"o-empty-{n}"), channel="wechat",
                text=f"意见{n}", received_at=DAY + timedelta(hours=n)).feedback
            opinions.apply_analysis(
                item, sentiment=0.3, keywords=[], masked_text=f"意见{n}", flags=[],
                model_version="t", topics=[{"topic": "attitude", "confidence": 0.9},
                                           {"topic": "publicity", "confidence": 0.5}])
            item.reviewed_topics = ["attitude"]
            item.reviewed_topics = reviewed  # [] or JSON null (a value set, then cleared)
            made[n] = item.id
        Session.flush()
        assert Session.scalar(sa.select(sa.cast(Feedback.reviewed_topics, sa.Text))
                              .where(Feedback.id == made[1])) == "null"
        agency = users.get_user("agency")

        def found(topic: str) -> set[int]:
            return {i.id for i in feedback_list.list_feedback(agency, topic=topic)[0]}

        assert found("publicity") == {made[0], made[1]}
        assert found("integrity") == {made[2]}
        for odd in ("%", "_", '"', "publicity%", "nope"):
            assert found(odd) == set(), odd
