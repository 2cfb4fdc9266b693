"""Forms of the assessment pages: the standard, inspections, covert inspections, incidents and
the office's decisions. Forms whose fields follow the year's standard (one score or result per
indicator) are built per request."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf.file import FileAllowed, FileField, FileRequired, MultipleFileField
from wtforms import (
    DateField,
    FieldList,
    FloatField,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from admin_web.forms import PageForm, PageMeta
from feedback_api.models import Window
from feedback_api.models.reference import INCIDENT_KINDS, INCIDENT_SEVERITIES
from feedback_api.services import standards

_CATEGORY_CHOICES = [SelectChoice(k, v) for k, v in standards.CATEGORIES.items()]
_RESULT_CHOICES = [SelectChoice("", "未检查"), SelectChoice("1", "合格"), SelectChoice("0", "不合格")]


def window_choices(windows: Iterable[Window]) -> list[SelectChoice]:
    return [SelectChoice(w.code, f"{w.code} {w.name}") for w in windows]


class IndicatorForm(Form):
    class Meta(PageMeta):  # a row of the standard's form: no CSRF of its own, the page's checks
        pass

    id = HiddenField()
    category = SelectField("类别", choices=_CATEGORY_CHOICES, invalid_choice_message="类别无效")
    name = StringField("指标名称", validators=[Optional(), Length(max=100)])
    weight = FloatField("分值", validators=[Optional()])
    pass_line = FloatField("合格线", validators=[Optional()])


class StandardForm(PageForm):
    name = StringField("标准名称", validators=[DataRequired("请填写名称"), Length(max=200)])
    pass_score = FloatField("综合检查合格分数线", validators=[InputRequired("请填写合格分数线")])
    weight_feedback = FloatField("群众评价权重", validators=[InputRequired("请填写权重")])
    weight_inspection = FloatField("综合检查权重", validators=[InputRequired("请填写权重")])
    weight_covert = FloatField("暗查权重", validators=[InputRequired("请填写权重")])
    weight_tickets = FloatField("督办办理权重", validators=[InputRequired("请填写权重")])
    deduction_general = FloatField("一般事件每起扣分", validators=[InputRequired("请填写扣分")])
    deduction_major = FloatField("重大事件每起扣分", validators=[InputRequired("请填写扣分")])
    indicators = FieldList(FormField(IndicatorForm), min_entries=1, max_entries=60)

    def to_data(self) -> dict[str, Any]:
        items = [{"id": int(f.id.data) if (f.id.data or "").isdigit() else None,
                  "category": f.category.data, "name": f.name.data,
                  "weight": f.weight.data, "pass_line": f.pass_line.data}
                 for f in (e.form for e in self.indicators) if (f.name.data or "").strip()]
        data = {k: getattr(self, k).data for k in ("name", "pass_score", *standards.DEFAULT_WEIGHTS,
                                                  *standards.DEFAULT_DEDUCTIONS)}
        return {**data, "indicators": items}

    def load(self, std: Any) -> None:
        """Show ``std`` with one blank row to add an indicator."""
        while len(self.indicators):
            self.indicators.pop_entry()
        for ind in std.indicators:
            self.indicators.append_entry({"id": str(ind.id or ""), "category": ind.category,
                                          "name": ind.name, "weight": ind.weight,
                                          "pass_line": ind.pass_line})
        self.indicators.append_entry({"category": "attitude"})


def inspection_form(std: Any, windows: Iterable[Window]) -> Any:
    class InspectionForm(PageForm):
        window = SelectField("窗口", validators=[DataRequired("请选择窗口")],
                             invalid_choice_message="所选窗口无效（或不属于本行业）")
        quarter = SelectField("季度", choices=[SelectChoice(str(q), f"第{'一二三四'[q - 1]}季度")
                                              for q in (1, 2, 3, 4)],
                              invalid_choice_message="季度无效")
        inspected_on = DateField("检查日期", validators=[InputRequired("请填写检查日期")])
        inspectors = StringField("检查人员", validators=[DataRequired("请填写检查人员"),
                                                      Length(max=200)])
        notes = TextAreaField("备注（发现的问题）", validators=[Optional(), Length(max=2000)])

    for ind in std.indicators:
        setattr(InspectionForm, f"score_{ind.id}", FloatField(
            f"{ind.name}（满分 {ind.weight:g}，合格线 {ind.pass_line:g}）",
            validators=[InputRequired(f"请为“{ind.name}”评分"),
                        NumberRange(0, ind.weight, f"{ind.name}得分应在 0–{ind.weight:g} 之间")]))
    form = InspectionForm()
    form.window.choices = window_choices(windows)
    return form


class UploadForm(PageForm):
    file = FileField("检查表文件", validators=[
        FileRequired("请选择要导入的文件"),
        FileAllowed(["csv", "xlsx", "xls"], "只支持 CSV、XLSX 或 XLS 文件")])


class EvidenceForm(PageForm):
    files = MultipleFileField("证据文件（照片、录音、视频、PDF、Word）")


def covert_form(std: Any, windows: Iterable[Window]) -> Any:
    class CovertForm(EvidenceForm):
        window = SelectField("窗口", validators=[DataRequired("请选择窗口")],
                             invalid_choice_message="所选窗口无效")
        inspected_on = DateField("暗查日期", validators=[InputRequired("请填写暗查日期")])
        notes = TextAreaField("情况记录", validators=[Optional(), Length(max=5000)])

    for ind in std.indicators:
        setattr(CovertForm, f"result_{ind.id}", SelectField(
            ind.name, choices=_RESULT_CHOICES, default="", invalid_choice_message="所选项无效"))
    form = CovertForm()
    form.window.choices = window_choices(windows)
    return form


class IncidentForm(PageForm):
    window = SelectField("窗口", validators=[DataRequired("请选择窗口")],
                         invalid_choice_message="所选窗口无效")
    occurred_on = DateField("发生日期", validators=[InputRequired("请填写发生日期")])
    kind = SelectField("事件类型", choices=[SelectChoice(k, v) for k, v in INCIDENT_KINDS.items()],
                       invalid_choice_message="所选项无效")
    severity = SelectField("严重程度", choices=[SelectChoice(k, v) for k, v in
                                             INCIDENT_SEVERITIES.items()],
                           invalid_choice_message="所选项无效")
    source = StringField("信息来源", validators=[DataRequired("请填写信息来源"), Length(max=200)])
    description = TextAreaField("事件经过", validators=[DataRequired("请填写事件经过"),
                                                    Length(max=5000)])


class DecisionForm(PageForm):
    note = TextAreaField("说明", validators=[Optional(), Length(max=2000)])


class PublishForm(PageForm):
    """Publish a period, or recompute a published one (a reason is required then)."""

    period = HiddenField()
    reason = TextAreaField("重新计算原因", validators=[Optional(), Length(max=500)])
