"""Forms of the programme-cycle pages (Flask-WTF: CSRF on every POST)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from admin_web.forms import PageForm
from feedback_api.models import Standard, StandardIndicator
from feedback_api.models.reference import INDUSTRIES, OBJECTION_OUTCOMES
from feedback_api.services.cycle import SUBMISSION_FIELDS


class SubmissionFormBase(PageForm):
    attachments = MultipleFileField("附件（PDF、Word、Excel、图片；每个不超过 10 MB）")
    #: Which button was pressed: "draft" saves, "submit" saves and submits.
    action = HiddenField(default="draft")
    #: (field name, indicator) of a "standard" field: one number per indicator.
    indicators: list[tuple[str, StandardIndicator]] = []


def submission_form(kind: str, windows: list[tuple[str, str]], industries: list[str],
                    standard: Standard | None = None, **kwargs: Any) -> SubmissionFormBase:
    """The form of one submission kind; fields follow ``services.cycle.SUBMISSION_FIELDS`` (a
    "standard" field is one number per indicator of ``standard``)."""

    class Form(SubmissionFormBase):
        pass

    for f in SUBMISSION_FIELDS[kind]:
        label = f.label + ("" if f.required else "（选填）")
        if f.kind == "standard":
            # By position, not id: a standard made on first need by a GET is not committed, and
            # is made again (new ids on PostgreSQL) by the POST.
            Form.indicators = [(f"self_{n}", ind) for n, ind in
                               enumerate(standard.indicators if standard else [], 1)]
            for name, ind in Form.indicators:
                setattr(Form, name, DecimalField(f"{ind.name}（0–{ind.weight:g} 分）", places=None,
                                                 validators=[Optional(), NumberRange(0, ind.weight, (
                                                     f"“{ind.name}”应在 0–{ind.weight:g} 之间"))]))
            data = kwargs.get("data")
            if data and isinstance(data.get(f.name), dict):
                for name, ind in Form.indicators:
                    data.setdefault(name, data[f.name].get(ind.name))
            continue
        if f.kind == "window":
            if not f.required and not industries:
                # Who has no industry (a unit) reports for one of its windows: not optional.
                label = "窗口"
            field: Any = SelectField(label, choices=[SelectChoice("", "—")] + [
                SelectChoice(code, text) for code, text in windows], default="",
                invalid_choice_message="所选窗口无效或不在本单位（行业）范围内",
                description=f.hint)
        elif f.kind == "industry":
            field = SelectField(label, choices=[SelectChoice("", "—")] + [
                SelectChoice(code, INDUSTRIES[code]) for code in industries], default="",
                invalid_choice_message="所选行业无效")
        elif f.kind == "choice":
            field = SelectField(label, choices=[SelectChoice(k, v) for k, v in f.choices],
                                invalid_choice_message="所选项无效")
        elif f.kind == "score":
            field = DecimalField(label, places=None, validators=[
                Optional(), NumberRange(0, 100, "应在 0–100 之间")])
        elif f.kind == "str":
            field = StringField(label, validators=[Optional(), Length(max=f.max_len)],
                                description=f.hint)
        else:
            field = TextAreaField(label, validators=[Optional(), Length(max=f.max_len)],
                                  description=f.hint)
        setattr(Form, f.name, field)
    return Form(**kwargs)


def form_data(form: FlaskForm, kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in SUBMISSION_FIELDS[kind]:
        if f.kind == "standard":
            given = {ind.name: str(getattr(form, name).data) for name, ind in form.indicators
                     if getattr(form, name).data is not None}
            out[f.name] = given or None
            continue
        value = getattr(form, f.name).data
        out[f.name] = "" if value is None else (str(value) if f.kind == "score" else value)
    return out


class ReturnForm(PageForm):
    reason = TextAreaField("退回原因", validators=[DataRequired("请填写退回原因"), Length(max=2000)])


class AssignForm(PageForm):
    experts = SelectMultipleField("评审专家", validators=[DataRequired("请选择评审专家")],
                                  invalid_choice_message="所选专家无效")


class RecusalForm(PageForm):
    """An expert's declared conflict (申请回避), or the office withdrawing an assignment."""

    reason = TextAreaField("回避理由", validators=[
        DataRequired("请填写回避理由"), Length(max=500, message="回避理由不能超过 500 个字")])


class ScoreFormBase(PageForm):
    comment = TextAreaField("评审意见", validators=[
        Optional(), Length(max=5000, message="评审意见不能超过 5000 个字")])
    #: (field name, indicator) in the standard's order.
    indicators: list[tuple[str, StandardIndicator]] = []

    def item_scores(self) -> dict[str, Any]:
        """The points given, by indicator name (the service checks them against the standard)."""
        return {ind.name: getattr(self, name).data for name, ind in self.indicators}


def score_form(std: Standard, items: dict[str, float] | None = None, **kwargs: Any) -> ScoreFormBase:
    """One number field per indicator of the year's evaluation standard, 0 to its points."""

    class Form(ScoreFormBase):
        pass

    # By position, not id (see submission_form).
    Form.indicators = [(f"indicator_{n}", ind) for n, ind in enumerate(std.indicators, 1)]
    for name, ind in Form.indicators:
        setattr(Form, name, DecimalField(
            f"{ind.name}（0–{ind.weight:g} 分）", places=None, default=(items or {}).get(ind.name),
            validators=[InputRequired(f"请为“{ind.name}”评分"),
                        NumberRange(0, ind.weight, f"“{ind.name}”得分应在 0–{ind.weight:g} 之间")]))
    return Form(**kwargs)


class CycleForm(PageForm):
    year = IntegerField("年度", validators=[DataRequired("请填写年度"),
                                          NumberRange(2000, 2100, "年度应在 2000–2100 之间")])


class PhaseForm(PageForm):
    kind = HiddenField(validators=[DataRequired()])
    starts_on = DateField("开始", validators=[DataRequired("请填写开始日期")])
    ends_on = DateField("截止", validators=[DataRequired("请填写截止日期")])


class PublicityForm(PageForm):
    starts_on = DateField("公示开始", validators=[DataRequired("请填写公示开始日期")])
    ends_on = DateField("公示结束", validators=[DataRequired("请填写公示结束日期")])
    candidates = SelectMultipleField("公示的候选窗口", validators=[DataRequired("请选择候选窗口")],
                                     invalid_choice_message="所选窗口无效")
    notice = TextAreaField("公示说明（选填）", validators=[Optional(), Length(max=5000)])


class ObjectionForm(PageForm):
    received_on = DateField("收到日期", validators=[DataRequired("请填写收到日期")])
    channel = StringField("来源方式（来信、来电、网上留言）", validators=[Optional(), Length(max=50)])
    text = TextAreaField("异议内容（请勿录入反映人的姓名、电话）",
                         validators=[DataRequired("请填写异议内容"), Length(max=5000)])


class AnswerObjectionForm(PageForm):
    outcome = SelectField("结论", choices=[SelectChoice(k, v) for k, v in OBJECTION_OUTCOMES.items()
                                          if k != "pending"], invalid_choice_message="所选项无效")
    answer = TextAreaField("答复", validators=[DataRequired("请填写答复内容"), Length(max=5000)])
