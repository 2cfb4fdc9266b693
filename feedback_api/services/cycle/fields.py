"""Submission forms: who may submit each kind and the fields of each, validated."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from feedback_api.models.reference import INDUSTRIES
from feedback_api.services.errors import ValidationError

#: Who may create each kind of submission.
SUBMITTER_ROLES: dict[str, frozenset[str]] = {
    "recommendation": frozenset({"office", "authority"}),
    "creation_plan": frozenset({"office", "authority"}),
    "management_rules": frozenset({"office", "unit", "authority"}),
    "summary": frozenset({"office", "authority", "unit"}),
    "good_practice": frozenset({"office", "authority", "unit"}),
}


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    #: text (multi-line), str (one line), window, industry, score, choice, or standard (points
    #: per indicator of the cycle year's evaluation standard, by name)
    kind: str = "text"
    required: bool = True
    max_len: int = 5000
    choices: tuple[tuple[str, str], ...] = ()
    hint: str = ""


PRACTICE_KINDS = (("method", "诚信服务工作法"), ("case", "优秀案例"))


#: The fields of each submission kind, in the order of the office's paper forms.
SUBMISSION_FIELDS: dict[str, tuple[Field, ...]] = {
    "recommendation": (
        Field("window", "推荐窗口", "window"),
        Field("reasons", "推荐理由"),
        Field("features", "特色亮点"),
        Field("self_assessment", "对照测评标准自评情况", hint="逐项对照当年测评标准填写"),
        Field("self_scores", "对照测评标准逐项自评得分", "standard", required=False,
              hint="每项 0 至该指标分值；逐项填写后自评得分按分值折算为百分制"),
        Field("self_score", "自评得分（0–100）", "score", required=False,
              hint="已逐项自评的，按逐项得分自动计算"),
        Field("contact_person", "联系人", "str", max_len=100),
        Field("contact_phone", "联系电话", "str", max_len=50),
        Field("endorsement", "主管部门推荐意见"),
    ),
    "creation_plan": (
        Field("industry", "行业", "industry"),
        Field("goals", "创建目标"),
        Field("standards", "创建标准"),
        Field("steps", "实施步骤"),
        Field("measures", "工作措施"),
        Field("responsible", "责任部门及责任人", "str", max_len=200),
        Field("deadlines", "时间安排"),
    ),
    "management_rules": (
        Field("window", "示范窗口", "window"),
        Field("rules", "常态管理办法"),
        Field("responsible", "责任人", "str", max_len=100),
    ),
    "summary": (
        Field("window", "窗口（行业总结不填）", "window", required=False),
        Field("industry", "行业", "industry", required=False),
        Field("title", "标题", "str", max_len=200),
        Field("text", "工作总结"),
    ),
    "good_practice": (
        Field("window", "窗口（行业做法不填）", "window", required=False),
        Field("industry", "行业", "industry", required=False),
        Field("practice_kind", "类别", "choice", choices=PRACTICE_KINDS),
        Field("title", "标题", "str", max_len=200),
        Field("text", "内容"),
    ),
}


def _clean_field(f: Field, value: Any) -> Any:
    if f.kind == "standard":  # checked against the year's standard by save_draft
        if value is None or value == "":
            return None
        if not isinstance(value, Mapping):
            raise ValueError("应为“指标: 得分”")
        given = {k: v for k, v in value.items() if v is not None and v != ""}
        return given or None
    if f.kind == "score":
        if value is None or value == "":
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError("应为 0–100 之间的数") from None
        if not 0 <= number <= 100:
            raise ValueError("应为 0–100 之间的数")
        return number
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValueError("应为文本")
    value = value.strip()
    if len(value) > f.max_len:
        raise ValueError(f"不能超过 {f.max_len} 个字符")
    if f.kind == "choice" and value and value not in dict(f.choices):
        raise ValueError("所选项无效")
    if f.kind == "industry" and value and value not in INDUSTRIES:
        raise ValueError("未知的行业")
    return value


def clean_data(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """Validate the fields of a submission (missing required fields are checked on submit)."""
    if kind not in SUBMISSION_FIELDS:
        raise ValidationError("未知的材料类型")
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    known = {f.name: f for f in SUBMISSION_FIELDS[kind]}
    for name in sorted(set(data) - set(known)):
        errors[name] = "未知字段"
    for name, f in known.items():
        try:
            clean[name] = _clean_field(f, data.get(name))
        except ValueError as exc:
            errors[name] = f"{f.label}{exc}"
    if errors:
        raise ValidationError("材料填写有误：" + "；".join(errors.values()), details=errors)
    return clean
