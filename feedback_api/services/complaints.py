"""THE filter of counted ratings, and one definition of a complaint (投诉意见) and of praise
(好评意见) for every place that picks them: the rating reports' hot words and comments
(``analytics.report_opinions``), the window page's 近 90 天意见分析
(``services.opinions``), the agency report's typical cases (``analytics.agency_report``)
and the tickets opened automatically (``ticket_jobs``). Here, below analytics, so that the ticket
job (the core) and the reports share it.

A complaint is what the citizen meant: it carries a counted 差评 (rating 1-2), or the reviewer
judged the opinion negative, or it has neither a rating nor a verdict and the model scores it
below a threshold (the desk's negative band; the ticket job passes its stricter
WW_TICKET_NEGATIVE_BELOW). A rating is the citizen's own word on the service: an opinion rated
3-5 is never a complaint because the model misreads its text ("不拥挤" scores negative), only
because a person read it so (a reviewer may still open a ticket by hand for anything). Praise is
what is not a complaint and has the reviewer's positive verdict, else a counted 4-5, else for an
unrated opinion the model's positive score.

A 差评 whose appeal was upheld as malicious (恶意差评) is neither: its rating no longer counts
(``counted_feedback``), and a reviewer's negative verdict on its text does not make it a
complaint either, so the reports, typical cases, automatic tickets and repeat problems drop it.
An upheld 误评 (mistaken rating) only takes the rating out; its text is read as it is."""

from __future__ import annotations

import sqlalchemy as sa

from feedback_api.models import Appeal, Feedback
from feedback_api.services.feedback_list import NEGATIVE_BELOW, POSITIVE_FROM

#: The ratings that are 差评 (bad reviews): 非常不满意 and 不满意.
BAD_RATINGS = (1, 2)


def counted_feedback() -> sa.ColumnElement[bool]:
    """THE filter of the ratings that count in the assessment: a rating, the one that counts of
    a citizen's ratings of a window on a day, and not marked invalid by the agency's review.

    An upheld appeal (申诉) sets ``rating_counts`` false (services.appeals), so a rating excluded
    on appeal leaves every figure of the assessment, the ticket rates included."""
    return sa.and_(Feedback.rating.is_not(None), Feedback.rating_counts.is_(True),
                   Feedback.review_state != "invalid")


def model_only() -> sa.ColumnElement[bool]:
    """No rating and no reviewer's verdict: the model's score is the only reading there is."""
    return sa.and_(Feedback.rating.is_(None), Feedback.reviewed_sentiment.is_(None))


def upheld_malicious() -> sa.ColumnElement[bool]:
    """The feedback's appeal was upheld as malicious (恶意差评): set aside, neither side."""
    return sa.exists().where(Appeal.feedback_id == Feedback.id, Appeal.state == "upheld",
                             Appeal.kind == "malicious")


def complaint(model_below: float = NEGATIVE_BELOW) -> sa.ColumnElement[bool]:
    """A counted 差评, a negative verdict, or an unrated, unreviewed opinion the model scores
    below ``model_below``; never one upheld on appeal as malicious."""
    return sa.and_(sa.or_(sa.and_(counted_feedback(), Feedback.rating.in_(BAD_RATINGS)),
                          Feedback.reviewed_sentiment == 0,
                          sa.and_(model_only(), Feedback.sentiment < model_below)),
                   ~upheld_malicious())


def praise() -> sa.ColumnElement[bool]:
    # CASE, not NOT: a comparison with a missing verdict or score is NULL, and NOT NULL too.
    return sa.and_(sa.case((complaint(), 1), else_=0) == 0, ~upheld_malicious(),
                   sa.or_(Feedback.reviewed_sentiment == 1,
                          sa.and_(Feedback.reviewed_sentiment.is_(None), counted_feedback(),
                                  Feedback.rating >= 4),
                          sa.and_(model_only(), Feedback.sentiment >= POSITIVE_FROM)))
