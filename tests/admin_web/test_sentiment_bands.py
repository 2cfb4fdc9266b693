"""The feedback page names the model's score by the desk's bands (负面 below 0.4, 中性 up to 0.6,
正面 from 0.6): an opinion reads the same on its page as in the desk's sentiment filter."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from feedback_api.models import Window
from feedback_api.services import feedback as fb
from feedback_api.services import feedback_list, opinions
from wechat_bot import contacts

DAY = datetime(2026, 5, 6, 1, 0, tzinfo=UTC)
SCORES = (0.05, 0.39, 0.4, 0.45, 0.55, 0.59, 0.6, 0.95)


@pytest.mark.parametrize(("score", "band"), [
    (0.0, "negative"), (0.399, "negative"), (0.4, "neutral"), (0.45, "neutral"),
    (0.599, "neutral"), (0.6, "positive"), (1.0, "positive")])
def test_the_band_of_a_score(score, band):
    assert feedback_list.sentiment_band(score) == band


def test_the_band_of_no_score():
    assert feedback_list.sentiment_band(None) is None
    assert feedback_list.band_label(None) is None
    assert feedback_list.band_label(0.45) == "中性"


def seed(db) -> dict[float, tuple[int, str]]:
    """One unrated, unreviewed opinion per score (the model's score is its only reading)."""
    out = {}
    with db() as s:
        window = s.scalars(sa.select(Window).where(Window.code == "CD-SW-001")).one()
        for n, score in enumerate(SCORES):
            item = fb.record_feedback(window, citizen=contacts.get_or_create_citizen(f"o-band-{n}"),
                                      channel="wechat", text=f"意见{n}",
                                      received_at=DAY + timedelta(hours=n)).feedback
            opinions.apply_analysis(item, sentiment=score, topics=[], keywords=[],
                                    masked_text=f"意见{n}", flags=[], model_version="t")
            s.flush()
            out[score] = (item.id, item.receipt_no)
    return out


def test_the_page_names_the_score_as_the_desk_filter_does(client, auth, db, district):
    items = seed(db)
    auth.login("agency")
    listed = {band: client.get(f"/feedback?sentiment={band}&window=CD-SW-001").get_data(as_text=True)
              for band in feedback_list.SENTIMENT_BANDS}
    for score, (feedback_id, receipt_no) in items.items():
        page = client.get(f"/feedback/{feedback_id}").get_data(as_text=True)
        shown = re.search(r"<dt>情感</dt><dd>([0-9.]+)（(.+?)）", page)
        assert shown, f"no sentiment on the page of {score}"
        filtered_in = [band for band, html in listed.items() if receipt_no in html]
        assert len(filtered_in) == 1, (score, filtered_in)
        assert shown.groups() == (f"{score:.2f}", feedback_list.SENTIMENT_BANDS[filtered_in[0]])
    # The case reported: 0.45 is 中性 on its page, not 负面.
    page = client.get(f"/feedback/{items[0.45][0]}").get_data(as_text=True)
    assert "0.45（中性）" in page
