"""The forms of tickets, appeals, the holiday calendar and the alert contacts (CSRF on every
POST), and the uploads they carry."""

from __future__ import annotations

from flask_wtf.file import MultipleFileField
from werkzeug.datastructures import FileStorage
from wtforms import (
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from admin_web.forms import PageForm
from feedback_api.models.reference import APPEAL_KINDS, CALLBACK_OUTCOMES, TICKET_SOURCES, TOPICS
from feedback_api.services import appeals as appeal_service
from feedback_api.services import tickets as ticket_service
from feedback_api.services.evidence_files import Upload

_TOPIC_CHOICES = [SelectChoice(k, v) for k, v in TOPICS.items()]
_TEXT = "请填写{}"
_INVALID = "所选项无效"


def uploads(field: MultipleFileField) -> list[Upload]:
    """The files of a multiple-file field, as the evidence service takes them."""
    return [Upload(f.filename, f.read()) for f in field.data or []
            if isinstance(f, FileStorage) and f.filename]


class OpenTicketForm(PageForm):
    window = StringField("窗口编号", validators=[Optional(), Length(max=64)])
    topic = SelectField("问题类别", choices=_TOPIC_CHOICES, invalid_choice_message="未知的问题类别")
    source = SelectField("来源", choices=[SelectChoice("office", TICKET_SOURCES["office"]),
                                        SelectChoice("inspection", TICKET_SOURCES["inspection"])],
                         invalid_choice_message=_INVALID)
    source_ref = StringField("来源编号（如检查记录编号）", validators=[Optional(), Length(max=200)])
    problem = TextAreaField("整改要求", validators=[
        DataRequired(_TEXT.format("整改要求")),
        Length(max=ticket_service.MAX_PROBLEM, message="整改要求过长")])


def _round_field() -> IntegerField:
    """The round the page showed (the template writes the current one): the service refuses the
    form once the ticket has moved on (two people on one ticket)."""
    return IntegerField(widget=HiddenInput(), validators=[Optional()])


class RespondForm(PageForm):
    round = _round_field()
    text = TextAreaField("整改情况", validators=[
        DataRequired(_TEXT.format("整改情况")),
        Length(max=ticket_service.MAX_RESPONSE,
               message=f"整改情况不能超过 {ticket_service.MAX_RESPONSE} 字")])
    files = MultipleFileField("证明材料（图片、PDF、Word 或 Excel）")


class VerdictForm(PageForm):
    round = _round_field()
    reason = TextAreaField("核验意见 / 退回理由", validators=[
        Optional(), Length(max=ticket_service.MAX_REASON, message="内容过长")])


class CallbackForm(PageForm):
    # InputRequired, not DataRequired: a time typed in a shape the field cannot read keeps its
    # own message (a browser without a date-time picker), instead of "please fill in".
    called_at = DateTimeLocalField("回访时间", format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired("请填写回访时间")])
    outcome = SelectField("回访结果", choices=[SelectChoice(k, v) for k, v in CALLBACK_OUTCOMES.items()],
                          invalid_choice_message=_INVALID)
    note = TextAreaField("回访情况", validators=[Optional(), Length(
        max=ticket_service.MAX_REASON, message=f"回访情况不能超过 {ticket_service.MAX_REASON} 字")])


class AttachForm(PageForm):
    receipt_no = StringField("受理编号", validators=[DataRequired("请填写受理编号"), Length(max=32)])


class ReasonForm(PageForm):
    """Detaching a feedback from a ticket, or cancelling a ticket: a reason is required."""

    reason = StringField("理由", validators=[
        DataRequired(_TEXT.format("理由")),
        Length(max=ticket_service.MAX_REASON, message="理由过长")])


class TransferForm(PageForm):
    """Transferring a ticket to another window (转办): the window and a reason are required."""

    round = _round_field()
    window = StringField("转至窗口", validators=[DataRequired("请选择转办的窗口"), Length(max=64)])
    reason = StringField("转办理由", validators=[
        DataRequired(_TEXT.format("转办理由")),
        Length(max=ticket_service.MAX_REASON, message="转办理由过长")])


class AttachToTicketForm(PageForm):
    """On a feedback's page: attach it to a running ticket of its window."""

    # The page offers the window's running tickets; the service checks the one posted.
    ticket_id = IntegerField("督办单", validators=[DataRequired("请选择督办单")])


class AppealForm(PageForm):
    kind = SelectField("申诉类型", choices=[SelectChoice(k, v) for k, v in APPEAL_KINDS.items()],
                       invalid_choice_message=_INVALID)
    reason = TextAreaField("申诉理由", validators=[
        DataRequired(_TEXT.format("申诉理由")), Length(max=appeal_service.MAX_REASON)])
    files = MultipleFileField("证明材料（图片、PDF、Word 或 Excel）")


class DecideForm(PageForm):
    decision = SelectField("裁定", choices=[SelectChoice("upheld", "申诉成立（该评分不计入统计）"),
                                           SelectChoice("rejected", "申诉不成立")],
                           invalid_choice_message=_INVALID)
    reason = TextAreaField("裁定理由", validators=[
        DataRequired(_TEXT.format("裁定理由")), Length(max=appeal_service.MAX_REASON)])


class CalendarForm(PageForm):
    day = DateField("日期", validators=[DataRequired("请填写日期（YYYY-MM-DD）")])
    kind = SelectField("设置", choices=[SelectChoice("holiday", "放假（休息日）"),
                                      SelectChoice("workday", "调休上班（工作日）"),
                                      SelectChoice("clear", "删除自定义设置")],
                       invalid_choice_message=_INVALID)
    name = StringField("名称", validators=[Optional(), Length(max=100)])


class ContactForm(PageForm):
    unit = SelectField("单位", validators=[DataRequired("请选择单位")],
                       invalid_choice_message=_INVALID)
    email = StringField("电子邮箱", validators=[DataRequired("请填写电子邮箱"), Length(max=254)])
    name = StringField("联系人", validators=[Optional(), Length(max=100)])
