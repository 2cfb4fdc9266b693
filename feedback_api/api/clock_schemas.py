"""A ticket's deadline clocks in the JSON API (the fix round's and the agency's call-back), by
the rule of the ticket's page and the lists, and who is given the call-back fields."""

from __future__ import annotations

from typing import Any

from marshmallow import fields
from marshmallow.experimental.context import Context

from feedback_api.api.schemas import ApiSchema, Str, one_of
from feedback_api.models.reference import CLOCK_STATES
from feedback_api.services import ticket_clocks

#: A ticket's call-back (回访) fields: the agency's clock, so not in a unit's or its authority's
#: answers, as not on their pages (``tickets.sees_callback_clock``: a late call-back is never
#: the unit's, and a red 回访 would read as the unit's).
CALLBACK_FIELDS = frozenset({"callback_due", "callback_overdue", "callback_clock"})
AGENCY_ONLY = "；只在第三方机构、区联席办的答复中，窗口单位和行业主管部门的答复没有此项"


class ClockSchema(ApiSchema):
    """A deadline's clock, by the rule of the ticket's page and the lists: amber within
    WW_AMBER_WORKDAYS working days of the deadline, red after it even before the job marks it."""

    label = Str(required=True, metadata={"description": "时限名称，如“第 2 轮整改”“回访”"})
    state = Str(required=True, validate=one_of(CLOCK_STATES),
                metadata={"description": "ok 未到期 / amber 即将到期 / red 已超期 / done 按时完成 / "
                                         "late 超期完成"})
    text = Str(required=True, metadata={"description": "状态的文字，如“即将到期（剩 2 个工作日）”"})
    due = fields.Date(required=True, metadata={"description": "截止日（工作日计）"})
    done_at = fields.AwareDateTime(allow_none=True,
                                   metadata={"description": "完成时间（整改反馈或首次回访）"})


class ClockField(fields.Nested):
    """A ticket's clock by name (fix / callback), read-only: null when it has none (a cancelled
    ticket's clocks stopped; a ticket not from feedback has no call-back)."""

    def __init__(self, name: str, **kwargs: Any) -> None:
        super().__init__(ClockSchema, dump_only=True, allow_none=True, **kwargs)
        self.clock_name = name

    def get_value(self, obj: Any, attr: str, accessor: Any = None, default: Any = None) -> Any:
        listed = (ListClocks.get(None) or {}).get(self.clock_name)
        if listed is not None:  # a page's clocks, worked out once by TicketSummaryPageSchema
            return listed.get(obj.id)
        return next((c for c in ticket_clocks.clocks(obj) if c.name == self.clock_name), None)


#: marshmallow's dump context while a page of tickets is dumped: each clock by name (fix /
#: callback), then by ticket id (``ticket_clocks.fix_clocks``, ``callback_clocks``).
ListClocks = Context[dict[str, dict[int, ticket_clocks.Clock]]]
