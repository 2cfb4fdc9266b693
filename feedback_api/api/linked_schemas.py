"""The feedback a ticket answers (关联评价) in the JSON API, with the citizen's rating of the fix,
worked out once for all of a ticket's feedback (``answers.fix_ratings``), as the ticket page does."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from marshmallow import fields
from marshmallow.experimental.context import Context

from feedback_api.api.schemas import ApiSchema, Int, Label, Str
from feedback_api.models import Feedback
from feedback_api.models.reference import RATINGS
from feedback_api.services import answers


class FixRatingSchema(ApiSchema):
    """The citizen's rating of the fix (群众评价整改), as on the ticket page."""

    asked_at = fields.AwareDateTime(required=True, metadata={"description": "最近一次请群众评价的时间"})
    rating = Int(allow_none=True, metadata={"description": "此后群众对该窗口的评分（未评价为 null）"})
    rating_name = Label(RATINGS, attribute="rating")
    rated_at = fields.AwareDateTime(allow_none=True, metadata={"description": "评价时间（未评价为 null）"})


#: marshmallow's dump context (one for every schema: the tickets' clocks share it, by name) while
#: a ticket is dumped: under "fix_ratings", its feedback's ratings of the fix by feedback id.
DumpContext = Context[dict[str, Any]]


@contextmanager
def fix_ratings_of(items: list[Feedback]) -> Iterator[None]:
    """Work out ``items``' ratings of the fix once for the dump within."""
    with DumpContext({"fix_ratings": answers.fix_ratings(items)}):
        yield


class FixRatingField(fields.Nested):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(FixRatingSchema, dump_only=True, allow_none=True, **kwargs)

    def get_value(self, obj: Any, attr: str, accessor: Any = None, default: Any = None) -> Any:
        found = (DumpContext.get(None) or {}).get("fix_ratings")
        if found is None:  # dumped outside a ticket
            found = answers.fix_ratings([obj])
        return found.get(obj.id)


class LinkedFeedbackSchema(ApiSchema):
    id = fields.Integer(required=True)
    receipt_no = Str(required=True)
    rating = Int(allow_none=True)
    rating_name = Label(RATINGS, attribute="rating")
    fix_rating = FixRatingField(metadata={
        "description": "群众评价整改（只读）：核验办结后请群众再次评价，此后的评分与时间；"
                       "未请群众评价为 null"})
