"""The audit log page: the office reads every change (who, what, when, before and after), each
field by its Chinese name and each stored code by its label."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for
from openpyxl import Workbook

from admin_web.common import XLSX, download, paginate, role_required
from analytics.snapshots import TRIGGERS
from feedback_api.models.reference import (
    APPEAL_STATES,
    AUDIT_ACTIONS,
    AUDIT_ENTITIES,
    CALLBACK_OUTCOMES,
    CHANNELS,
    DELISTING_RULES,
    INDUSTRIES,
    OBJECTION_OUTCOMES,
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
    label,
)
from feedback_api.services import audit as audit_service
from feedback_api.services import cells, workdays
from feedback_api.services.feedback import LOCAL_TZ
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
    "deduction_general": "一般事件扣分", "deduction_major": "重大事件扣分",
    "email": "邮箱", "label": "名称", "channel": "渠道", "rating": "评分",
    "recused": "回避", "work_unit": "工作单位", "work_unit_other": "其他工作单位",
    "usernames": "用户名",
    "recommendation": "推荐申报", "management_rules": "常态管理办法报送", "review": "评审评定",
    "publicity": "公示与宣传", "score": "得分", "indicator": "测评指标", "inspection": "综合检查",
    "by": "操作人", "abuse": "异常类型", "active": "启用", "alert_email": "提醒邮箱", "answer": "答复",
    "answered": "已答复", "awarded_on": "命名日期", "callback_overdue": "回访超期",
    "called_at": "回访时间", "contact_given": "留有联系方式", "covert_inspection": "暗查",
    "decision_note": "决定说明", "due": "期限", "evidence": "依据", "expires_at": "到期时间",
    "file": "文件", "filename": "文件名", "files": "附件", "from_public": "来自公众",
    "from_window": "原窗口", "locked_until": "锁定至", "messaged": "已发消息", "note": "说明",
    "outcome": "结果", "payloads": "公开内容", "prefix": "令牌前缀", "received_on": "收到日期",
    "rerating_requested": "已请整改评价", "return_note": "退回说明", "round": "轮次",
    "rule": "摘牌规则", "sha256": "校验值", "size": "大小（字节）", "size_bytes": "大小（字节）",
    "user": "用户", "wechat_bound": "已绑定微信", "window_id": "窗口", "windows_changed": "变化窗口数",
    "overdue": "超期", "address": "登录地址", "result": "结果", "must_change_password": "须修改密码",
    "typed": "输入的用户名",
}
_CODES: dict[str, dict[Any, str]] = {
    "status": WINDOW_STATUSES, "industry": INDUSTRIES, "role": ROLES, "topic": TOPICS,
    "reviewed_topics": TOPICS, "scopes": INDUSTRIES, "review_state": REVIEW_STATES, "source": TICKET_SOURCES,
    "kind": SUBMISSION_KINDS, "channel": CHANNELS, "rating": RATINGS,
    "trigger": TRIGGERS, "rule": DELISTING_RULES,
}
#: Changes made by no signed-in user: from the command line, or by the platform's own jobs.
ACTORS = SYSTEM_ACTORS  # the same words as a window's title history
#: The actor filter takes the words shown (命令行) as well as the stored names (cli).
_ACTOR_BY_WORD = {word: name for name, word in ACTORS.items()}
#: ``state`` means a different thing for each kind of object.
_STATES = {"ticket": TICKET_STATES, "submission": SUBMISSION_STATES, "appeal": APPEAL_STATES,
           "delisting_proposal": PROPOSAL_STATES}
#: ``outcome`` too: a call-back's, or the answer to a publicity objection.
_OUTCOMES = {"ticket": CALLBACK_OUTCOMES, "objection": OBJECTION_OUTCOMES}


def _moment(value: str) -> str | None:
    """An ISO time with its zone (how the log stores times) in Beijing time, else None."""
    if len(value) < 19 or value[10] != "T":
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M") if moment.tzinfo else None


def _text(value: Any, codes: dict[Any, str]) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_text(v, codes) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{FIELDS.get(str(k), k)} {_text(v, codes)}" for k, v in value.items())
    if isinstance(value, str) and (moment := _moment(value)) is not None:
        return moment
    return codes.get(value, str(value))


def describe(entity_type: str, values: dict[str, Any] | None) -> list[tuple[str, str]]:
    """``values`` as (field name, text) pairs, in Chinese wherever a label is known."""
    if not isinstance(values, dict):
        return []
    by_entity = {"state": _STATES.get(entity_type, {}), "outcome": _OUTCOMES.get(entity_type, {})}
    return [(FIELDS.get(key, key), _text(value, by_entity.get(key) or _CODES.get(key, {})))
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


def _filters() -> tuple[dict[str, Any], list[str]]:
    """The page's filters from the query string, and what was ignored as invalid (in Chinese):
    a day is a Beijing calendar day, from its first moment to the next day's."""
    args = request.args
    filters: dict[str, Any] = {
        "actor": _ACTOR_BY_WORD.get(who := (args.get("actor") or "").strip()[:64], who) or None,
        "entity": (args.get("entity") or "").strip()[:64] or None,
        "action": args.get("action") if args.get("action") in AUDIT_ACTIONS else None,
        "since": None, "until": None,
    }
    ignored = []
    for key, arg, name, days in (("since", "start", "起始日期", 0), ("until", "end", "截止日期", 1)):
        text = (args.get(arg) or "").strip()
        if not text:
            continue
        try:
            day = date.fromisoformat(text)
        except ValueError:
            day = None
        if day is None or not 2000 <= day.year <= 2100:
            ignored.append(f"{name}“{text[:20]}”不是 2000–2100 年间的日期（年-月-日），未按它筛选")
            continue
        filters[key] = datetime.combine(day + timedelta(days=days), time(), LOCAL_TZ).astimezone(UTC)
    return filters, ignored


def _query_args() -> dict[str, str]:
    return {k: request.args.get(k, "") for k in ("actor", "entity", "action", "start", "end")}


@bp.get("/audit")
@role_required("office")
def index() -> str:
    filters, ignored = _filters()
    page = paginate(audit_service.list_entries, **filters)
    cap = audit_service.MAX_EXPORT
    if page.total > cap:
        ignored.append(f"共 {page.total} 条，导出 Excel 仅含最新的 {cap} 条，请缩小时间范围后分次导出。")
    return render_template("audit/index.html", page=page, args=_query_args(), notes=ignored,
                           describe=describe, page_of=page_of, ACTORS=ACTORS,
                           actions=sorted(AUDIT_ACTIONS.items(), key=lambda kv: kv[1]))


def _cell(entity_type: str, values: dict[str, Any] | None) -> str:
    return "\n".join(f"{name}：{text}" for name, text in describe(entity_type, values)) or "—"


@bp.get("/audit/export.xlsx")
@role_required("office")
def export() -> Response:
    """The log of the page's filters as an Excel workbook, in Chinese, times in Beijing time."""
    filters, _ignored = _filters()
    rows = [[e.created_at.astimezone(LOCAL_TZ).replace(tzinfo=None), ACTORS.get(e.actor, e.actor),
             label(AUDIT_ACTIONS, e.action), label(AUDIT_ENTITIES, e.entity_type), e.entity_id,
             _cell(e.entity_type, e.before), _cell(e.entity_type, e.after)]
            for e in audit_service.export_entries(**filters)]
    wb = Workbook()
    ws = wb.active
    ws.title = "操作日志"
    cells.xlsx_table(ws, ["时间", "操作人", "操作", "对象", "对象编号", "修改前", "修改后"], rows,
                     wrap=True)
    if len(rows) >= audit_service.MAX_EXPORT:
        total = audit_service.list_entries(per_page=1, **filters)[1]
        if total > len(rows):
            wb.create_sheet("说明")["A1"] = (f"共 {total} 条，仅导出最新的 {len(rows)} 条，"
                                           "请缩小时间范围后分次导出。")
    buf = io.BytesIO()
    wb.save(buf)
    stamp = workdays.local_today().strftime("%Y%m%d")
    return download(buf.getvalue(), XLSX, f"操作日志-{stamp}.xlsx", fallback=f"audit-log-{stamp}.xlsx")
