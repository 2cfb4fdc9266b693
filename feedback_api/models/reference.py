"""Fixed vocabularies: industries, window statuses, roles, channels, ratings (code -> Chinese label)."""

from __future__ import annotations

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

WINDOW_STATUSES: dict[str, str] = {
    "candidate": "创建中",
    "demonstration": "示范",
    "delisted": "摘牌",
}

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
    "lock": "锁定账号",
    "set_password": "修改密码",
    "submit": "提交",
    "return": "退回",
    "accept": "受理",
    "attach": "上传附件",
    "assign": "分配专家",
    "score": "评分",
    "publish": "发布",
    "award": "命名",
    "delete": "删除",
}
AUDIT_ENTITIES: dict[str, str] = {
    "window": "窗口",
    "unit": "单位",
    "user": "用户",
    "api_token": "访问令牌",
    "feedback": "评价",
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
