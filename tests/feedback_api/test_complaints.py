"""One definition of a complaint (投诉意见) wherever one is picked: the tickets opened
automatically and the agency report's typical cases (表10 典型差评意见, 表11 典型好评意见) follow
the rating report's rule, so a 3-5 rating becomes a complaint only by a reviewer's verdict, never
by the model misreading its words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from feedback_api.db import Session
from feedback_api.models import Feedback
from feedback_api.services import ticket_jobs, tickets
from tests.assessment_helpers import add_feedback

AUG = datetime(2026, 8, 10, 4, tzinfo=UTC)
#: (window, rating, model score, reviewer's verdict, masked text): one window each, as the agency
#: report shows one typical case per window at most.
OPINIONS = {
    "five_misread": ("CD-SW-001", 5, 0.05, None, "叫号有序，不拥挤，很快"),
    "three_judged": ("CD-SW-002", 3, 0.7, 0, "等候时间太久，没人引导"),
    "one_star": ("CD-RMYY-001", 1, 0.3, None, "工作人员态度恶劣，推诿"),
    "one_star_praised": ("CD-RMYY-002", 1, 0.95, 1, "态度好个鬼，还说很满意"),
}


@pytest.fixture()
def opinions(db, district) -> dict[str, int]:
    ids = {}
    with db():
        for key, (code, rating, score, verdict, text) in OPINIONS.items():
            add_feedback(code, [rating], at=AUG, text=text, masked_text=text, sentiment=score,
                         reviewed_sentiment=verdict, analyzed_at=AUG, main_topic="attitude",
                         topics=[{"topic": "attitude", "confidence": 0.9}])
            ids[key] = Session.query(Feedback.id).filter_by(text=text).scalar()
    return ids


def test_only_complaints_open_tickets_on_their_own(db, opinions):
    with db():
        assert ticket_jobs.auto_open(now=AUG + timedelta(days=1)) == "3 tickets opened"
        opened = {key for key, fid in opinions.items() if tickets.ticket_of_feedback(fid)}
    # A counted 差评 stays a complaint whatever the reviewer read in its words.
    assert opened == {"three_judged", "one_star", "one_star_praised"}


def test_the_agency_reports_typical_cases_are_complaints_and_praise(app, opinions):
    from analytics import agency_report
    from analytics.periods import parse_period

    with app.app_context():
        cases = agency_report.generate(parse_period("2026Q3"))["cases"]
    negative = {c["text"] for c in cases["negative"]}
    positive = {c["text"] for c in cases["positive"]}
    assert negative == {OPINIONS[k][4] for k in ("three_judged", "one_star", "one_star_praised")}
    assert positive == {OPINIONS["five_misread"][4]}
