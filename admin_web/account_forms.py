"""Forms of the office's accounts page and of a user's own password change."""

from __future__ import annotations

from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from admin_web.forms import PageForm
from feedback_api.models.reference import ROLES

_ROLE_CHOICES = [SelectChoice(code, name) for code, name in ROLES.items()]


class AccountForm(PageForm):
    """Role, scope and shown name: the fields of a new account and of an edit."""

    role = SelectField("角色", choices=_ROLE_CHOICES)
    scopes = TextAreaField("范围", validators=[Length(max=2000)],
                           description="窗口编号、单位编号、行业代码或行业名称（如 税务），"
                                       "多个用空格或逗号分隔；"
                                       "行业主管部门和窗口单位必填")
    display_name = StringField("显示名称", validators=[Length(max=100)])
    email = StringField("邮箱", validators=[Length(max=254)], description="可不填")
    #: Choices: the registered units (``unit_choices``), set by the view.
    work_unit = SelectField("工作单位（本区登记单位）", choices=[], validate_choice=False,
                            description="仅评审专家填写：评审时回避本单位的候选窗口")
    work_unit_other = StringField("其他工作单位", validators=[Length(max=200)],
                                  description="仅评审专家填写：区外单位，如高等院校、研究机构")

    def work_unit_id(self) -> int | None:
        value = (self.work_unit.data or "").strip()
        if not value:
            return None
        return int(value) if value.isdigit() else -1  # no such unit: the service says so


class NewAccountForm(AccountForm):
    username = StringField("用户名", validators=[DataRequired("请填写用户名"), Length(max=64)])


class ChangePasswordForm(PageForm):
    current = PasswordField("当前密码", validators=[DataRequired("请输入当前密码"),
                                                    Length(max=200)])
    new = PasswordField("新密码", validators=[DataRequired("请输入新密码"), Length(max=200)])
    repeated = PasswordField("再次输入新密码", validators=[DataRequired("请再次输入新密码"),
                                                         Length(max=200)])
