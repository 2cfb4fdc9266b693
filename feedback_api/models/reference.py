"""Fixed vocabularies: industries, window statuses, roles, channels, ratings (code -> Chinese label)."""

from __future__ import annotations

#: The office's one name (GLOSSARY.md): site footers and the Word documents it signs.
OFFICE_NAME = "区社会信用体系建设联席会议办公室"

INDUSTRIES: dict[str, str] = {
    "tax": "税务",
    "social_security": "人力资源和社会保障",
    "health": "卫生健康",
    "transport": "交通运输",
    "banking": "银行金融",
    "utilities": "水电气公用事业",
    "public_security": "公安",
    "market": "市场监管",
    "housing": "住房和不动产",
    "government_service": "政务服务",
    "civil_affairs": "民政",
    "other": "其他",
}

#: The window statuses (GLOSSARY.md): code compares a window's status with these names.
CANDIDATE = "candidate"
DEMONSTRATION = "demonstration"  # holds the title (示范), with its award year
DELISTED = "delisted"
WINDOW_STATUSES: dict[str, str] = {
    CANDIDATE: "创建中",
    DEMONSTRATION: "示范",
    DELISTED: "摘牌",
}
#: The programme's first year: no window was listed (挂牌) before it, so an earlier listing date
#: in a ledger is a typo.
PROGRAMME_FIRST_YEAR = 2015

ROLES: dict[str, str] = {
    "office": "区联席办",
    "agency": "第三方机构",
    "authority": "行业主管部门",
    "unit": "窗口单位",
    "expert": "评审专家",
}

CHANNELS: dict[str, str] = {
    "wechat": "微信公众号",
    "h5": "网页评价",
    "phone": "电话",
    "onsite": "现场",
    "import": "导入",
}

RATINGS: dict[int, str] = {
    1: "非常不满意",
    2: "不满意",
    3: "基本满意",
    4: "满意",
    5: "非常满意",
}

#: Messages to citizens (the outbox): why we write, and how far delivery got.
OUTBOX_KINDS: dict[str, str] = {
    "answer": "答复",
    "rerate": "整改评价邀请",
    "notice": "通知",
    "alert": "工作提醒",
}
OUTBOX_STATES: dict[str, str] = {
    "pending": "待发送",
    "sent": "已发送",
    "failed": "发送失败",
}

REVIEW_STATES: dict[str, str] = {
    "pending": "待审核",
    "valid": "有效",
    "invalid": "无效",
}


def label(vocabulary: dict, code: object) -> str:
    """The Chinese label of a code, or the code itself when unknown."""
    return vocabulary.get(code, str(code) if code is not None else "")


def lookup_code(vocabulary: dict[str, str], value: str) -> str | None:
    """Accept a code or its Chinese label (as spreadsheets carry) and return the code."""
    value = (value or "").strip()
    if value in vocabulary:
        return value
    for code, text in vocabulary.items():
        if value == text:
            return code
    return None

#: Topics (问题类别): the assessment standard's indicator categories; analytics predicts them.
TOPICS: dict[str, str] = {
    "attitude": "服务态度",
    "efficiency": "办事效率/等候",
    "competence": "业务能力/解释",
    "environment": "环境设施",
    "integrity": "廉洁诚信",
    "process": "制度流程",
    "convenience": "便民措施",
    "publicity": "信息公开",
    "other": "其他",
}

SENTIMENTS: dict[int, str] = {1: "正面", 0: "负面"}

#: What the audit log records, as the office reads it.
AUDIT_ACTIONS: dict[str, str] = {
    "create": "新建",
    "update": "修改",
    "review": "审核",
    "answer": "答复",
    "request_rerating": "请群众整改评价",
    "import": "导入",
    "confirm": "确认",
    "dismiss": "不予采纳",
    "withdraw": "撤回（无需处理）",
    "lock": "锁定账号",
    "sign_in": "登录成功",
    "sign_in_failed": "登录失败",
    "reset_password": "重置密码",
    "set_password": "修改密码",
    "revoke": "撤销",
    "disable": "停用账号",
    "enable": "启用账号",
    "forget": "删除个人信息（群众要求）",
    "retention": "按保存期限删除个人信息",
    "submit": "提交",
    "return": "退回",
    "accept": "受理",
    "attach": "上传附件",
    "assign": "分配专家",
    "score": "评分",
    "recuse": "申请回避",
    "recuse_by_office": "撤回分配（回避）",
    "set_work_unit": "设置工作单位",
    "publish": "发布",
    "withdraw_public": "撤下公示",
    "transfer": "转办",
    "award": "命名",
    "delete": "删除",
}
AUDIT_ENTITIES: dict[str, str] = {
    "window": "窗口",
    "unit": "单位",
    "user": "用户",
    "api_token": "访问令牌",
    "feedback": "评价",
    "citizen": "群众",
    "personal_data": "个人信息",
    "standard": "测评标准",
    "indicator": "测评指标",
    "inspection": "综合检查",
    "covert_inspection": "暗查",
    "covert_evidence": "暗查证据",
    "incident": "重大事件",
    "delisting_proposal": "摘牌建议",
    "cycle": "创建年度",
    "submission": "报送材料",
    "expert_assignment": "专家评分",
    "publicity": "公示",
    "objection": "异议",
    "published_snapshot": "公开信息",
}

#: The programme year (issue 15): phases, submission kinds and states, objection outcomes.
CYCLE_PHASES: dict[str, str] = {
    "recommendation": "推荐申报",
    "management_rules": "常态管理办法报送",
    "review": "评审评定",
    "publicity": "公示与宣传",
}
SUBMISSION_KINDS: dict[str, str] = {
    "recommendation": "行业推荐表",
    "creation_plan": "创建工作方案",
    "management_rules": "常态管理办法",
    "summary": "工作总结",
    "good_practice": "诚信服务工作法/优秀案例",
}
SUBMISSION_STATES: dict[str, str] = {
    "draft": "草稿",
    "submitted": "已提交",
    "returned": "退回修改",
    "accepted": "已受理",
}
OBJECTION_OUTCOMES: dict[str, str] = {
    "pending": "待答复",
    "dismissed": "异议不成立",
    "upheld": "异议成立",
}

# Supervision tickets (督办单), call-backs (回访) and appeals (申诉).
TICKET_SOURCES: dict[str, str] = {
    "feedback": "群众评价",
    "inspection": "检查发现",
    "office": "联席办交办",
}
TICKET_STATES: dict[str, str] = {
    "open": "待整改",
    "responded": "待核验",
    "closed": "已办结",
    "cancelled": "已撤销",
}
#: States in which a ticket still runs (its clocks tick, it sits in the unit's inbox).
ACTIVE_TICKET_STATES: tuple[str, ...] = ("open", "responded")
ROUND_VERDICTS: dict[str, str] = {
    "verified": "核验通过",
    "sent_back": "退回重办",
    "transferred": "已转办",
}
CALLBACK_OUTCOMES: dict[str, str] = {
    "satisfied": "已回访，群众认可处理",
    "unsatisfied": "已回访，群众不认可",
    "unreachable": "未能联系上群众",
}
APPEAL_KINDS: dict[str, str] = {
    "malicious": "恶意差评",
    "mistaken": "误评",
}
APPEAL_STATES: dict[str, str] = {
    "pending": "待裁定",
    "upheld": "申诉成立",
    "rejected": "申诉不成立",
}
#: A deadline's colour on the ticket: ok, amber (due soon), red (past), done (met), late (met late).
CLOCK_STATES: dict[str, str] = {
    "ok": "未到期",
    "amber": "即将到期",
    "red": "已超期",
    "done": "按期完成",
    "late": "超期完成",
}
AUDIT_ACTIONS.update({
    "open_ticket": "开督办单",
    "attach": "关联评价",
    "respond": "单位反馈",
    "verify": "核验办结",
    "send_back": "退回重办",
    "callback": "回访",
    "mark_overdue": "标记超期",
    "file_appeal": "提出申诉",
    "decide_appeal": "裁定申诉",
    "set_calendar": "设置节假日",
    "bulk_review": "批量审核",
    "merge": "合并重复评价",
    "unmerge": "取消合并",
    "recount": "重新计数",
    "detach": "解除关联",
    "cancel": "撤销督办单",
    "recompute": "重新计算",
    "source_fix": "更正检查结果",
    "unlock": "解除锁定",
})
AUDIT_ENTITIES.update({
    "ticket": "督办单",
    "appeal": "申诉",
    "calendar": "节假日",
    "agency_report": "第三方测评报告",
    "industry_contact": "主管部门提醒邮箱",
    "assessment_snapshot": "考核结果版本",
})

#: Incidents (重大事件): what happened, and how grave (a major one is a delisting rule).
INCIDENT_KINDS: dict[str, str] = {"safety": "安全事故", "social": "不良社会影响事件"}
INCIDENT_SEVERITIES: dict[str, str] = {"major": "重大", "general": "一般"}

#: The delisting rules (摘牌规则), numbered as the programme states them; each within one year.
DELISTING_RULES: dict[int, str] = {
    1: "自然年内三次季度综合检查不合格",
    2: "同一督办问题连续三轮未完成整改",
    3: "同一测评指标四次及以上暗查不合格",
    4: "发生重大安全事故或造成不良社会影响的事件",
}
PROPOSAL_STATES: dict[str, str] = {"open": "待确认", "confirmed": "已确认摘牌", "dismissed": "不予采纳",
                                   "withdrawn": "无需处理"}
#: How a window's title status changed (window_status_changes.via).
STATUS_CHANGE_VIAS: dict[str, str] = {
    "edit": "页面编辑", "api": "接口", "import": "台账导入", "award": "评审命名",
    "delisting": "确认摘牌建议", "backfill": "启用记录时的状态"}
