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
                           description="窗口编号、单位编号或行业代码，多个用空格或逗号分隔；"
                                       "行业主管部门和窗口单位必填")
    display_name = StringField("显示名称", validators=[Length(max=100)])
    email = StringField("邮箱", validators=[Length(max=254)], description="可不填")


class NewAccountForm(AccountForm):
    username = StringField("用户名", validators=[DataRequired("请填写用户名"), Length(max=64)])


class ChangePasswordForm(PageForm):
    current = PasswordField("当前密码", validators=[DataRequired("请输入当前密码"),
                                                    Length(max=200)])
    new = PasswordField("新密码", validators=[DataRequired("请输入新密码"), Length(max=200)])
    repeated = PasswordField("再次输入新密码", validators=[DataRequired("请再次输入新密码"),
                                                         Length(max=200)])
