"""The audit log page: the office reads every change (who, what, when, before and after), each
field by its Chinese name and each stored code by its label."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for

from admin_web.common import paginate, role_required
from analytics.snapshots import TRIGGERS
from feedback_api.models.reference import (
    APPEAL_STATES,
    CHANNELS,
    INDUSTRIES,
    PROPOSAL_STATES,
    RATINGS,
    REVIEW_STATES,
    ROLES,
    SUBMISSION_KINDS,
    SUBMISSION_STATES,
    TICKET_SOURCES,
    TICKET_STATES,
    TOPICS,
    WINDOW_STATUSES,
)
from feedback_api.services import audit as audit_service
from feedback_api.services.ledger import LEDGER_COLUMNS
from feedback_api.services.window_status import SYSTEM_ACTORS

bp = Blueprint("audit", __name__)

#: The Chinese name of each field the services record (a window's are the ledger's headers).
FIELDS: dict[str, str] = dict(LEDGER_COLUMNS) | {
    "unit": "所属单位", "industry": "行业", "authority": "主管部门", "role": "角色", "scopes": "管理范围",
    "display_name": "显示名称", "disabled": "停用", "reason": "原因", "text": "内容", "title": "标题",
    "comment": "意见", "state": "状态", "kind": "类别", "late": "逾期", "return_reason": "退回理由",
    "payload": "内容", "data": "内容", "items": "各项得分", "scores": "各项得分", "total": "总分",
    "max_total": "满分", "pass_score": "合格线", "passed": "合格", "period": "考核期",
    "version": "版本", "trigger": "方式", "year": "年度", "quarter": "季度", "window": "窗口",
    "windows": "窗口", "inspected_on": "检查日期", "inspectors": "检查人员", "notes": "备注",
    "topic": "问题类别", "reviewed_topics": "问题类别", "review_state": "审核状态",
    "valid": "审核结论", "source": "来源", "source_ref": "来源编号", "number": "督办单编号",
    "feedback": "关联评价", "receipt_no": "受理编号", "callback_due": "回访期限",
    "fix_due": "整改期限", "answer_id": "答复", "message_id": "消息", "duplicate_of": "重复于",
    "rating_counts": "计分", "expert": "评审专家", "submission": "报送材料", "starts_on": "开始",
    "ends_on": "截止", "workday": "工作日", "indicators": "测评指标", "weight_feedback": "群众评价权重",
    "weight_inspection": "综合检查权重", "weight_covert": "暗查权重", "weight_tickets": "督办办理权重",
    "email": "邮箱", "label": "名称", "channel": "渠道", "rating": "评分",
    "recommendation": "推荐申报", "management_rules": "常态管理办法报送", "review": "评审评定",
    "publicity": "公示与宣传", "score": "得分", "indicator": "测评指标", "inspection": "综合检查",
    "by": "操作人",
}
_CODES: dict[str, dict[Any, str]] = {
    "status": WINDOW_STATUSES, "industry": INDUSTRIES, "role": ROLES, "topic": TOPICS,
    "reviewed_topics": TOPICS, "scopes": INDUSTRIES, "review_state": REVIEW_STATES, "source": TICKET_SOURCES,
    "kind": SUBMISSION_KINDS, "channel": CHANNELS, "rating": RATINGS,
    "trigger": TRIGGERS,
}
#: Changes made by no signed-in user: from the command line, or by the platform's own jobs.
ACTORS = SYSTEM_ACTORS  # the same words as a window's title history
#: ``state`` means a different thing for each kind of object.
_STATES = {"ticket": TICKET_STATES, "submission": SUBMISSION_STATES, "appeal": APPEAL_STATES,
           "delisting_proposal": PROPOSAL_STATES}


def _text(value: Any, codes: dict[Any, str]) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_text(v, codes) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{FIELDS.get(str(k), k)} {_text(v, codes)}" for k, v in value.items())
    return codes.get(value, str(value))


def describe(entity_type: str, values: dict[str, Any] | None) -> list[tuple[str, str]]:
    """``values`` as (field name, text) pairs, in Chinese wherever a label is known."""
    if not isinstance(values, dict):
        return []
    states = _STATES.get(entity_type, {})
    return [(FIELDS.get(key, key),
             _text(value, states if key == "state" else _CODES.get(key, {})))
            for key, value in values.items()]


#: The page of each kind of object that has one, by the endpoint and its argument.
_PAGES = {"ticket": ("tickets.ticket_detail", "ticket_id"), "feedback": ("feedback.detail", "feedback_id"),
          "appeal": ("appeals.detail", "appeal_id"),
          "submission": ("cycle_submissions.submission", "submission_id"),
          "covert_inspection": ("covert.covert_detail", "covert_id"),
          "agency_report": ("agency_reports.view", "report_id"), "window": ("windows.detail", "code")}


def page_of(entity_type: str, entity_id: Any) -> str | None:
    """The link to an audited object's page, if it has one (it may have been deleted since)."""
    page = _PAGES.get(entity_type)
    if page is None or entity_id in (None, ""):
        return None
    endpoint, arg = page
    if arg != "code":
        if not str(entity_id).isdigit():
            return None
        entity_id = int(entity_id)
    return url_for(endpoint, **{arg: entity_id})


@bp.get("/audit")
@role_required("office")
def index() -> str:
    actor = (request.args.get("actor") or "").strip()
    entity = (request.args.get("entity") or "").strip()
    page = paginate(audit_service.list_entries, actor=actor or None, entity=entity or None)
    return render_template("audit/index.html", page=page, actor=actor, entity=entity,
                           describe=describe, page_of=page_of, ACTORS=ACTORS)
