"""A 差评 whose appeal was upheld as malicious (恶意差评) is no complaint anywhere: not by its
rating (it no longer counts), and not by the reviewer's negative verdict either. THE rule is
``services.complaints.complaint``; the reports, typical cases, automatic tickets and repeat
problems select with it. A mistaken rating's upheld appeal (误评) leaves the opinion's text to
be read as it is (the lead's decision names the malicious kind only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from feedback_api.models import Feedback
from feedback_api.services import appeals, users
from feedback_api.services.complaints import complaint, praise
from tests.assessment_helpers import add_feedback


def _complaints(s) -> set[str]:
    return set(s.scalars(sa.select(Feedback.receipt_no).where(complaint())))


def _appeal(s, receipt: str, kind: str) -> None:
    fid = s.scalar(sa.select(Feedback.id).where(Feedback.receipt_no == receipt))
    appeal = appeals.file_appeal(users.get_user("unit"), fid, kind=kind, reason="有监控为证")
    appeals.decide_appeal(users.get_user("agency"), appeal.id, upheld=True, reason="核实属实")


def test_an_upheld_malicious_appeal_makes_a_bad_review_no_complaint(db, district):
    at = datetime.now(UTC) - timedelta(hours=2)
    with db() as s:
        # The reviewer read both as negative: before the appeals both are complaints.
        add_feedback("CD-SW-001", [1, 1], at=at, text="态度很差", reviewed_sentiment=0)
        add_feedback("CD-SW-001", [2], at=at, text="等了很久")
        malicious, mistaken, plain = s.scalars(
            sa.select(Feedback.receipt_no).order_by(Feedback.id)).all()
        assert _complaints(s) == {malicious, mistaken, plain}
    with db() as s:
        _appeal(s, malicious, "malicious")
        _appeal(s, mistaken, "mistaken")
    with db() as s:
        assert _complaints(s) == {mistaken, plain}
        # Nor is it praise: it is set aside.
        assert malicious not in set(s.scalars(sa.select(Feedback.receipt_no).where(praise())))
