"""账号批量导入: the office downloads the template, uploads it, reads a preview with every row's
problems in Chinese, and confirms (services/user_import.py: all or nothing). The confirmation
carries the previewed rows back and they are checked again, since anything may have changed
meanwhile. The one-time passwords are shown once, in the confirmation's response, with the same
table as an .xlsx inside that page (a data: link): built for that response, stored nowhere."""

from __future__ import annotations

import base64
import json
from typing import Any

from flask import Blueprint, Response, flash, render_template
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import DataRequired, Length

from admin_web.common import XLSX, actor, commit_or_flash, download, role_required
from admin_web.forms import PageForm
from feedback_api.models.reference import ROLES
from feedback_api.services import user_import
from feedback_api.services.errors import ValidationError

bp = Blueprint("account_import", __name__, url_prefix="/accounts/import")


class UploadForm(PageForm):
    file = FileField("账号表", validators=[FileRequired("请选择要导入的文件"), FileAllowed(
        ["csv", "xlsx", "xls"], "只支持 XLSX、XLS 或 CSV 文件")])


class ConfirmForm(PageForm):
    rows = HiddenField(validators=[DataRequired(), Length(max=400_000)])
    filename = HiddenField(validators=[Length(max=200)])


def _page(rows: list[user_import.ImportRow] | None = None, filename: str = "",
          status: int = 200) -> tuple[str, int]:
    confirm = None
    if rows and not any(r.errors for r in rows):
        confirm = ConfirmForm(formdata=None, rows=json.dumps([r.as_dict() for r in rows],
                                                             ensure_ascii=False), filename=filename)
    return render_template("accounts/import.html", form=UploadForm(formdata=None), rows=rows,
                           confirm=confirm, filename=filename, columns=user_import.COLUMNS,
                           max_rows=user_import.MAX_ROWS, roles=ROLES), status


@bp.get("")
@role_required("office")
def index() -> tuple[str, int]:
    return _page()


@bp.get("/template.xlsx")
@role_required("office")
def template() -> Response:
    return download(user_import.template_xlsx(), XLSX, "账号导入模板.xlsx",
                    fallback="accounts-template.xlsx")


@bp.post("")
@role_required("office")
def preview() -> tuple[str, int]:
    form = UploadForm()
    if not form.validate_on_submit():
        for error in form.file.errors or ["页面已过期，请重新上传"]:
            flash(str(error), "error")
        return _page(status=400)
    upload = form.file.data
    name = (upload.filename or "")[:200]
    try:
        rows = user_import.read_sheet(upload.read(), name)
    except ValidationError as exc:
        flash(exc.message, "error")
        return _page(status=400)
    return _page(rows, name, 400 if any(r.errors for r in rows) else 200)


def _rows(text: str) -> list[user_import.ImportRow]:
    """The previewed rows the confirmation carries; anything else is a stale or forged page."""
    try:
        items = json.loads(text)
        rows = [user_import.ImportRow(line=int(i["line"]), **{
            k: str(i.get(k) or "")[:2000] for k in ("username", "display_name", "role", "scopes",
                                                     "email", "work_unit")}) for i in items]
    except (ValueError, TypeError, KeyError, OverflowError, RecursionError):
        # OverflowError: a line of 1e999 (int(inf)); RecursionError: json nested too deep.
        rows = []
    if not rows or len(rows) > user_import.MAX_ROWS:
        raise ValidationError("导入内容无效，请重新上传")
    return rows


@bp.post("/confirm")
@role_required("office")
def confirm() -> Any:
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash("页面已过期，请重新上传", "error")
        return _page(status=400)
    name = form.filename.data or ""
    try:
        rows = _rows(form.rows.data or "")
    except ValidationError as exc:
        flash(exc.message, "error")
        return _page(status=400)
    done = commit_or_flash(lambda: user_import.import_rows(actor(), rows, name))
    if done is None:
        return _page(rows, name, 400)
    created = done.value
    sheet = base64.b64encode(user_import.passwords_xlsx(created)).decode("ascii")
    return render_template("accounts/import_done.html", created=created, roles=ROLES,
                           sheet=f"data:{XLSX};base64,{sheet}"), 200
