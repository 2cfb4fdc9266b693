"""The window page's 近 90 天意见分析 counts complaints and their hot words by THE definition of a
complaint (``services.complaints.complaint``), as the reports do, not by its own reading of the
model's score: a counted 差评 is a complaint whatever the model reads, an opinion rated 3-5 only
by a reviewer's verdict, an unrated one below the desk's negative band; an upheld malicious
appeal sets the opinion aside, an upheld 误评 leaves its text to be read as it is."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from feedback_api.models import Feedback
from feedback_api.services import appeals, opinions, users
from tests.assessment_helpers import add_feedback, window_id

#: keyword -> (rating, model score, reviewer's verdict, channel, complaint by THE rule)
CASES = {
    "态度恶劣": (1, 0.05, None, "wechat", True),   # a counted 差评 read negative: both rules agree
    "不拥挤": (5, 0.30, None, "wechat", False),    # rated 5, the model misreads: no complaint
    "还算客气": (2, 0.80, None, "h5", True),       # a counted 差评 the model reads positive
    "有点慢": (None, 0.45, None, "h5", False),     # unrated, above the negative band (0.4)
    "没人管": (None, 0.10, None, "h5", True),      # unrated, below it
    "乱收费": (4, 0.90, 0, "h5", True),            # rated 4, the reviewer says negative
}


def _seed(s) -> dict[str, int]:
    at = datetime.now(UTC) - timedelta(days=3)
    for word, (rating, score, verdict, channel, _c) in CASES.items():
        add_feedback("CD-SW-001", [rating], at=at, channel=channel, text=word, sentiment=score,
                     reviewed_sentiment=verdict, keywords=[word], analyzed_at=at)
    # Two 差评 the reviewer read negative, then appealed: the malicious one is set aside, the
    # mistaken one (误评) loses its rating only and stays a complaint by the verdict.
    add_feedback("CD-SW-001", [1], at=at, text="恶意", sentiment=0.1, reviewed_sentiment=0,
                 keywords=["恶意差评"], analyzed_at=at)
    add_feedback("CD-SW-001", [1], at=at, text="误评", sentiment=0.1, reviewed_sentiment=0,
                 keywords=["误点差评"], analyzed_at=at)
    ids = {t: i for t, i in s.execute(sa.select(Feedback.text, Feedback.id))}
    for text, kind in (("恶意", "malicious"), ("误评", "mistaken")):
        appeal = appeals.file_appeal(users.get_user("unit"), ids[text], kind=kind, reason="有监控为证")
        appeals.decide_appeal(users.get_user("agency"), appeal.id, upheld=True, reason="核实属实")
    return ids


def test_the_summary_counts_complaints_by_the_one_rule(db, district):
    with db() as s:
        _seed(s)
    with db():
        summary = opinions.opinion_summary(window_id("CD-SW-001"))
    wanted = {w for w, case in CASES.items() if case[-1]} | {"误点差评"}
    assert {w for w, _n in summary.complaint_words} == wanted
    # Analysed: the six and the 误评; the malicious one is set aside.
    assert (summary.analyzed, summary.complaints) == (7, 5)
    assert summary.by_channel == {"wechat": (2, 1), "h5": (5, 4)}


def test_the_window_page_shows_the_complaints_and_their_hot_words(client, auth, db, district):
    with db() as s:
        _seed(s)
    auth.login("office")
    page = client.get("/windows/CD-SW-001").get_data(as_text=True)
    assert "已分析 7 条，其中投诉 5 条" in page
    assert "微信公众号 2 条、投诉 1 条；网页评价 5 条、投诉 4 条" in page
    words = re.search(r"<b>投诉热词：</b>(.*?)</p>", page, re.S)
    assert words, "no hot words"
    shown = set(re.findall(r'<span class="tag">(\S+) 1</span>', words.group(1)))
    assert shown == {"态度恶劣", "还算客气", "没人管", "乱收费", "误点差评"}
