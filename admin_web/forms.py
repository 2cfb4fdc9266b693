"""Forms of the admin pages (Flask-WTF: CSRF on every POST)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    DateField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import Field
from wtforms.fields.choices import SelectChoice
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from feedback_api.models.reference import TOPICS, WINDOW_STATUSES
from feedback_api.services.answers import MAX_ANSWER
from feedback_api.services.characters import control_character, line_breaks


class NoControlCharacters:
    """Refuses a control character in a text field (services/characters.py, the API's check);
    a text area keeps its line ends and tabs."""

    def __init__(self, multiline: bool) -> None:
        self.multiline = multiline

    def __call__(self, form: Any, field: Field) -> None:
        if isinstance(field.data, str) and (
                reason := control_character(field.data, multiline=self.multiline)) is not None:
            raise ValidationError(f"{field.label.text}{reason}")


def _line_breaks(value: Any) -> Any:
    return line_breaks(value) if isinstance(value, str) else value


#: WTForms' messages for a number that is not one ("不是有效的浮点数") in a clerk's words.
_NUMBER_MESSAGES = {
    "Not a valid float value.": "请填写数字（如 5 或 2.5），不带“分”等单位，不用汉字数字",
    "Not a valid decimal value.": "请填写数字（如 5 或 2.5），不带“分”等单位，不用汉字数字",
    "Not a valid integer value.": "请填写整数（如 5），不带单位，不用汉字数字",
}


class _PlainNumbers:
    """The page's translations with :data:`_NUMBER_MESSAGES` in place of WTForms' own."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def gettext(self, string: str) -> str:
        if string in _NUMBER_MESSAGES:
            return _NUMBER_MESSAGES[string]
        return self.inner.gettext(string) if self.inner is not None else string

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        if self.inner is None:
            return singular if n == 1 else plural
        return self.inner.ngettext(singular, plural, n)


class PageMeta:
    """The Meta of every admin form and of its rows: the page's language, and every text field
    (a password aside: it is only hashed) checked for control characters; in a text area, Word's
    manual line break is a line end."""

    locales = ("zh",)

    def get_translations(self, form: Any) -> Any:
        return _PlainNumbers(super().get_translations(form))  # type: ignore[misc]

    def bind_field(self, form: Any, unbound_field: UnboundField, options: dict[str, Any]) -> Field:
        field = super().bind_field(form, unbound_field, options)  # type: ignore[misc]
        if isinstance(field, StringField) and not isinstance(field, PasswordField):
            multiline = isinstance(field, TextAreaField)
            field.validators = [*field.validators, NoControlCharacters(multiline=multiline)]
            if multiline:
                field.filters = [*field.filters, _line_breaks]
        return field


class PageForm(FlaskForm):
    """Every admin form: CSRF, and WTForms' own messages (a date that does not exist, a number
    that is not one, a text too long) in Chinese, as the rest of the page."""

    class Meta(PageMeta):
        pass


class LoginForm(PageForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=200)])


class EmptyForm(PageForm):
    """For POST-only buttons: just the CSRF token."""


class WindowForm(PageForm):
    code = StringField("窗口编号", validators=[DataRequired("请填写窗口编号"), Length(max=64)])
    name = StringField("窗口名称", validators=[DataRequired("请填写窗口名称"), Length(max=200)])
    unit = SelectField("所属单位", validators=[DataRequired("请选择所属单位")],
                       invalid_choice_message="所选项无效（或无权管理该单位）")
    address = StringField("窗口地址", validators=[Optional(), Length(max=300)])
    service_items = TextAreaField("主要服务事项（每行一项）", validators=[Optional(), Length(max=5000)])
    staff_count = IntegerField("窗口人数", default=0,
                               validators=[Optional(), NumberRange(0, 100000, "人数应在 0–100000 之间")])
    contact_person = StringField("负责人", validators=[Optional(), Length(max=100)])
    contact_phone = StringField("联系电话", validators=[Optional(), Length(max=50)])
    service_hours = StringField("服务时间", validators=[Optional(), Length(max=200)])
    listed_on = DateField("挂牌日期（留空：新窗口为今天，已有窗口不变）", validators=[Optional()])
    status = SelectField("状态", choices=[SelectChoice(k, v) for k, v in WINDOW_STATUSES.items()],
                         invalid_choice_message="所选项无效")
    status_date = DateField("状态日期", validators=[Optional()])
    status_year = IntegerField("命名/摘牌年度",
                               validators=[Optional(), NumberRange(2000, 2100, "年份应在 2000–2100 之间")])
    status_reason = TextAreaField("状态原因", validators=[Optional(), Length(max=2000)])
    remarks = TextAreaField("备注", validators=[Optional(), Length(max=2000)])

    def to_data(self) -> dict[str, object]:
        data = {name: field.data for name, field in self._fields.items() if name != "csrf_token"}
        for key in ("staff_count",):
            if data[key] is None:
                data[key] = 0
        for key in ("status_date", "listed_on"):  # absent where the title is not editable
            if data.get(key) is not None:
                data[key] = data[key].isoformat()
        return data


class AnswerForm(PageForm):
    """A unit's answer to a feedback; WeChat citizens receive it."""

    text = TextAreaField("答复内容", validators=[
        DataRequired("请填写答复内容"), Length(max=MAX_ANSWER, message=f"答复内容不能超过 {MAX_ANSWER} 字")])


class ImportForm(PageForm):
    file = FileField("台账文件", validators=[
        FileRequired("请选择要导入的文件"),
        FileAllowed(["csv", "xlsx", "xls"], "只支持 CSV、XLSX 或 XLS 文件"),
    ])


class ReviewForm(PageForm):
    """The agency's review of one feedback; each submission is kept as a training example."""

    valid = SelectField("有效性", choices=[SelectChoice("", "不改变"), SelectChoice("1", "有效"),
                                          SelectChoice("0", "无效（无关、广告、恶意）")],
                        invalid_choice_message="所选项无效")
    topics = SelectMultipleField("问题类别（更正）",
                                 choices=[SelectChoice(k, v) for k, v in TOPICS.items()],
                                 invalid_choice_message="未知的问题类别")
    sentiment = SelectField("情感（更正）", choices=[SelectChoice("", "不更正"),
                                                   SelectChoice("1", "正面"),
                                                   SelectChoice("0", "负面")],
                            invalid_choice_message="所选项无效")

    def to_data(self) -> dict[str, object]:
        data: dict[str, object] = {}
        if self.valid.data in {"0", "1"}:
            data["valid"] = self.valid.data == "1"
        if self.topics.data:
            data["topics"] = list(self.topics.data)
        if self.sentiment.data in {"0", "1"}:
            data["sentiment"] = int(self.sentiment.data)
        return data
