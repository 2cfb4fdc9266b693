"""The agency's review: corrections are validated, kept as training data, and scoped."""

import pytest
import sqlalchemy as sa

from feedback_api.models import AuditLog, Correction, Feedback, Window
from feedback_api.services import feedback as fb
from feedback_api.services import opinions, review


@pytest.fixture
def opinion(db, district):
    with db() as s:
        w = s.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        item = fb.record_feedback(w, citizen=None, channel="h5", rating=2, text="态度还行，就是太慢").feedback
        opinions.apply_analysis(item, sentiment=0.7, topics=[{"topic": "attitude", "confidence": 0.8}],
                                keywords=["态度", "太慢"], masked_text="态度还行，就是太慢", flags=[],
                                model_version="v-test")
        return item.id


def test_review_via_api_stores_a_correction_and_audits(client, db, opinion, token_for):
    resp = client.post(f"/api/v1/feedback/{opinion}/review", headers=token_for("agency"),
                       json={"valid": True, "topics": ["efficiency", "attitude"], "sentiment": 0})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["review_state"] == "valid" and body["reviewed_topics"] == ["efficiency", "attitude"]
    assert body["reviewed_sentiment"] == 0
    with db() as s:
        c = s.scalars(sa.select(Correction)).one()
        assert (c.text, c.valid, c.topics, c.sentiment) == ("态度还行，就是太慢", True,
                                                            ["efficiency", "attitude"], 0)
        assert c.predicted_topics == ["attitude"] and c.predicted_sentiment == 0.7
        assert c.model_version == "v-test"
        entry = s.scalars(sa.select(AuditLog).where(AuditLog.action == "review")).one()
        assert entry.actor == "agency" and entry.after["reviewed_sentiment"] == 0


def test_latest_correction_per_feedback_is_the_training_example(db, opinion):
    with db() as s:
        from feedback_api.models import User

        agency = s.scalars(sa.select(User).where(User.username == "agency")).one()
        review.review_feedback(agency, opinion, {"sentiment": 1})
        review.review_feedback(agency, opinion, {"valid": False})
    with db():
        examples = list(review.training_examples())
        assert review.count_corrections() == 2
    assert len(examples) == 1 and examples[0].valid is False and examples[0].sentiment is None
    with db() as s:
        assert s.get(Feedback, opinion).review_state == "invalid"


@pytest.mark.parametrize("payload,field", [
    ({}, "valid"), ({"valid": "yes"}, "valid"), ({"topics": []}, "topics"),
    ({"topics": ["bribery"]}, "topics"), ({"sentiment": 2}, "sentiment"),
    ({"sentiment": True}, "sentiment"), ({"mood": "bad"}, "mood"), ({"valid": 0}, "valid"), ({"valid": 1}, "valid"),
])
def test_bad_reviews_get_400_and_store_nothing(client, db, opinion, token_for, payload, field):
    resp = client.post(f"/api/v1/feedback/{opinion}/review", headers=token_for("agency"), json=payload)
    assert resp.status_code == 400 and field in resp.get_json()["error"]["details"]
    with db() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Correction)) == 0
        assert s.get(Feedback, opinion).review_state == "pending"


@pytest.mark.parametrize("user,status", [("agency", 200), ("office", 200), ("unit", 403),
                                         ("authority", 404)])
def test_only_reviewers_review(client, opinion, token_for, user, status):
    resp = client.post(f"/api/v1/feedback/{opinion}/review", headers=token_for(user),
                       json={"valid": True})
    assert resp.status_code == status


def test_review_page_for_the_agency(client, auth, db, opinion):
    import re

    auth.login("agency")
    page = client.get(f"/feedback/{opinion}").get_data(as_text=True)
    assert "态度还行，就是太慢" in page and "保存审核" in page and "v-test" in page
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    resp = client.post(f"/feedback/{opinion}", data={"csrf_token": token, "valid": "1",
                                                     "sentiment": "0", "topics": ["efficiency"]})
    assert resp.status_code == 302
    with db() as s:
        assert s.get(Feedback, opinion).reviewed_topics == ["efficiency"]
    bad = client.post(f"/feedback/{opinion}", data={"csrf_token": token, "topics": ["nope"]})
    assert bad.status_code == 200 and "未知的问题类别" in bad.get_data(as_text=True)


def test_window_unit_reads_but_cannot_review(client, auth, opinion):
    auth.login("unit")
    page = client.get(f"/feedback/{opinion}").get_data(as_text=True)
    assert "保存审核" not in page
    token = auth.csrf_token("/windows")
    assert client.post(f"/feedback/{opinion}", data={"csrf_token": token, "valid": "1"}).status_code == 403
    listing = client.get("/feedback?rating=2&review_state=pending&date_from=bad").get_data(as_text=True)
    assert "日期格式应为" in listing and "态度还行" in listing
