"""What citizens said, in a rating report: the complaint hot words (投诉热词) and the best and
worst comments (典型意见), masked, of the report's windows in the period.

A complaint (投诉意见) and praise (好评意见) are counted opinions (analysed, not invalid, not a
merged duplicate) as ``feedback_api.services.complaints`` defines them, the one definition the
agency report and the tickets opened automatically use too: a counted 差评, a negative verdict, or
an unrated opinion the model reads negative; an opinion rated 3-5 is a complaint only by a
reviewer's verdict. Its hot words are the keywords the analysis took from it (TF-IDF over the
masked text), each counted once per opinion. The best comments are the most favourable praise,
the worst the least favourable complaints.

These are read live, also for a published period: they are the citizens' words behind the
figures, not figures, and an opinion erased since (``citizens forget``) or found invalid must not
stay in a report. Only the masked text is ever shown."""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from analytics.counting import counted_opinions
from analytics.periods import Period
from feedback_api.db import Session
from feedback_api.models import Feedback, Window
from feedback_api.services.complaints import complaint, praise
from feedback_api.services.feedback import LOCAL_TZ

#: How many hot words and how many comments of each kind a report shows.
HOT_WORDS = 10
COMMENTS = 3
#: The longest comment shown (the rest is cut with an ellipsis).
MAX_COMMENT = 200


@dataclass(frozen=True)
class Comment:
    day: date
    window_code: str
    rating: int | None
    text: str


BEST_LABEL = "好评意见"
#: 投诉 as the page counts it: a 差评, a negative verdict, or an unrated opinion read negative.
WORST_LABEL = "投诉意见"


@dataclass
class Opinions:
    #: (word, complaints that contain it), most first.
    hot_words: list[tuple[str, int]] = field(default_factory=list)
    complaints: int = 0
    best: list[Comment] = field(default_factory=list)
    worst: list[Comment] = field(default_factory=list)

    def lists(self) -> list[tuple[str, list[Comment]]]:
        """The two comment lists under their one label each (page, Excel, PDF). The worst are
        complaints (see the module), not 差评 alone: a 差评 is a 1-2 rating."""
        return [(BEST_LABEL, self.best), (WORST_LABEL, self.worst)]


def _comments(where: list[sa.ColumnElement[bool]], best: bool) -> sa.Select[Any]:
    rating = Feedback.rating.desc() if best else Feedback.rating.asc()
    score = Feedback.sentiment.desc() if best else Feedback.sentiment.asc()
    return (sa.select(Feedback.received_at, Window.code, Feedback.rating, Feedback.masked_text)
            .join(Window, Window.id == Feedback.window_id)
            .where(*where)
            .order_by(rating.nulls_last(), score.nulls_last(), Feedback.received_at.desc(),
                      Feedback.id.desc())
            .limit(COMMENTS))


@functools.cache
def _statements() -> tuple[sa.Select[Any], sa.Select[Any], sa.Select[Any]]:
    """The three statements, built once with their parameters bound at each call: building
    these filters costs more than running them on one report's rows."""
    where = [Feedback.window_id.in_(sa.bindparam("ids", expanding=True)),
             Feedback.received_at >= sa.bindparam("start"),
             Feedback.received_at < sa.bindparam("end"), counted_opinions()]
    shown = [*where, Feedback.masked_text.is_not(None), Feedback.masked_text != ""]
    return (sa.select(Feedback.keywords).where(*where, complaint()),
            _comments([*shown, praise()], best=True),
            _comments([*shown, complaint()], best=False))


def _comment(at: datetime, code: str, stars: int | None, text: str) -> Comment:
    return Comment(at.astimezone(LOCAL_TZ).date(), code, stars,
                   text if len(text) <= MAX_COMMENT else text[:MAX_COMMENT] + "…")


def opinions(window_ids: list[int], period: Period) -> Opinions:
    """The hot words of the complaints and the best and worst comments of ``window_ids``."""
    start, end = period.utc_bounds()
    params = {"ids": list(window_ids), "start": start, "end": end}
    keywords, best, worst = _statements()
    words: Counter[str] = Counter()
    complaints = 0
    # One report's complaints of one period: their keyword lists are counted here (JSON arrays
    # are unnested differently by each engine); the rows are few.
    for (found,) in Session.execute(keywords, params):
        complaints += 1
        words.update({str(w) for w in found or [] if str(w).strip()})
    hot = sorted(words.items(), key=lambda kv: (-kv[1], kv[0]))[:HOT_WORDS]
    return Opinions(hot, complaints, [_comment(*row) for row in Session.execute(best, params)],
                    [_comment(*row) for row in Session.execute(worst, params)])
