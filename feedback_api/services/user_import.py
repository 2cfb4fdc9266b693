"""账号批量导入: the office fills a template (one account a row: 用户名, 姓名, 角色, 所属单位/窗口/主管部门
by the codes the accounts page shows, 邮箱), uploads it, reads every row's problems in Chinese, and
confirms. The sheet is read through services/sheets.py like every import; each row is checked by
the very rules of a single new account (users.check_username, check_role, scope_entries,
alert_contacts.clean_email) and created by user_edits.create_account, one-time password and all.

All or nothing: one wrong row and nothing is created. The office hands the one-time passwords of
a sheet out together and corrects a sheet as a whole; half a sheet created would come back as
"already exists" on every corrected upload and leave them guessing which accounts exist."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy.exc import IntegrityError

from feedback_api.db import Session
from feedback_api.models import User
from feedback_api.models.reference import ROLES
from feedback_api.services import alert_contacts, audit, cells, expert_units, sheets, user_edits
from feedback_api.services import users as user_service
from feedback_api.services.errors import ServiceError, ValidationError

#: The template's columns (field, header) in order; the required ones are marked * there.
COLUMNS = (("username", "用户名"), ("display_name", "姓名"), ("role", "角色"),
           ("scopes", "所属单位/窗口/主管部门"), ("email", "邮箱"),
           ("work_unit", "工作单位（评审专家）"))
REQUIRED = {"username": "用户名", "role": "角色"}
#: Other headers people write for the same columns.
_ALIASES = {"账号": "username", "登录名": "username", "显示名称": "display_name",
            "范围": "scopes", "所属单位": "scopes", "单位/窗口/主管部门": "scopes",
            "电子邮箱": "email", "邮件": "email", "电子邮件": "email", "工作单位": "work_unit"}
_FIELDS = {header: fld for fld, header in COLUMNS} | _ALIASES
#: Rows one upload may hold. Every account costs a password hash (scrypt, slow on purpose) in
#: the confirming request, which must finish within gunicorn's 60 s timeout on a busy server;
#: a district's few hundred accounts go in a few sheets.
MAX_ROWS = 100
#: A role as typed: its Chinese name (as the page shows it) or its code.
_ROLE_BY_TEXT = {name: code for code, name in ROLES.items()} | {code: code for code in ROLES}

NOTES = (
    "填写说明",
    "1. 第一张工作表“账号”的第一行为表头，请勿修改；带 * 的列必须填写。每个账号一行。",
    "2. 用户名：1–64 个字符，不能含空格或不可见字符；不能与已有账号相同（不区分大小写）。",
    "3. 角色：" + "、".join(ROLES.values()) + "，请从下拉列表中选择。",
    "4. 所属单位/窗口/主管部门：填账号管理页显示的编号——窗口编号、单位编号、行业代码"
    "或行业名称（如 health 或 卫生健康），多个用空格或逗号分隔；行业主管部门和窗口单位必填。",
    "5. 邮箱可不填；姓名不填时取用户名。",
    "6. 工作单位仅评审专家填写：填本区登记单位的编号或名称的，评审时回避该单位的候选窗口；"
    "区外单位（如高等院校）照实填写。",
    f"7. 一次最多 {MAX_ROWS} 行。任何一行有错则整表不导入，请按预览中的提示改正后重新上传。",
    "8. 导入后每个账号生成一次性密码，只显示一次，可下载一次；本人首次登录须修改密码。",
)


@dataclass
class ImportRow:
    line: int
    username: str = ""
    display_name: str = ""
    role: str = ""
    scopes: str = ""
    email: str = ""
    work_unit: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def role_code(self) -> str:
        return _ROLE_BY_TEXT.get(self.role.strip(), "")

    @property
    def registered_unit(self) -> str:
        """The name of the registered unit the 工作单位 names (recusal follows), or ""."""
        unit = expert_units.find_unit(self.work_unit)
        return unit.name if unit is not None else ""

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "username": self.username, "display_name": self.display_name,
                "role": self.role, "scopes": self.scopes, "email": self.email, "work_unit": self.work_unit}


def template_xlsx() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "账号"
    cells.xlsx_table(ws, [f"{h}*" if f in REQUIRED else h for f, h in COLUMNS], [])
    cells.fit_columns(ws, [16, 14, 14, 30, 28, 30])
    rule = DataValidation(type="list", formula1='"' + ",".join(ROLES.values()) + '"',
                          allow_blank=True, showErrorMessage=True, error="请从下拉列表中选择")
    rule.add(f"C2:C{MAX_ROWS + 1}")
    ws.add_data_validation(rule)
    cells.notes_sheet(wb, NOTES, 100)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def read_sheet(data: bytes, filename: str) -> list[ImportRow]:
    """The filled rows under the header, each checked (``check_rows``); refusals of the file
    itself (not a sheet, no header, too long) as ValidationError."""
    _line, header, table = sheets.locate_header(
        data, filename, _FIELDS.get, REQUIRED, max_rows=MAX_ROWS,
        too_long=lambda: ValidationError(f"文件超过 {MAX_ROWS} 行，请分批导入"))
    names = [_FIELDS.get(sheets.header_name(c)) for c in header]
    rows = []
    for line, values in table:
        if not any((v or "").strip() for v in values):
            continue
        row = ImportRow(line=line)
        for name, value in zip(names, values, strict=False):
            if name is not None and not getattr(row, name):
                setattr(row, name, value or "")
        rows.append(row)
    if len(rows) > MAX_ROWS:
        raise ValidationError(f"文件超过 {MAX_ROWS} 行，请分批导入")
    if not rows:
        raise ValidationError("表头下没有数据行：请填写后再导入")
    return check_rows(rows)


def _problem(errors: list[str], check: Callable[..., Any], *args: Any) -> Any:
    """``check(*args)``, or None with its refusal's message added to ``errors``."""
    try:
        return check(*args)
    except ServiceError as exc:
        errors.append(exc.message)
        return None


def check_rows(rows: list[ImportRow]) -> list[ImportRow]:
    """Every problem of every row, in Chinese, on ``row.errors`` (nothing is written): the rules
    of a single new account, and no username twice in the sheet (in any capitals)."""
    first: dict[str, int] = {}
    for row in rows:
        row.errors = []
        name = _problem(row.errors, user_service.check_username, row.username)
        if isinstance(name, str):
            if name.lower() in first:
                row.errors.append(f"用户名 {name} 与第 {first[name.lower()]} 行重复（不区分大小写）")
            first.setdefault(name.lower(), row.line)
        role = row.role_code
        if not role:
            row.errors.append(f"角色“{row.role.strip()}”不是" + "、".join(ROLES.values()) + "之一"
                              if row.role.strip() else "请填写角色")
        else:
            _problem(row.errors, user_service.scope_entries, role, user_edits.scope_list(row.scopes))
        if len(row.display_name.strip()) > 100:
            row.errors.append("姓名须为 1–100 个字符")
        if row.email.strip():
            _problem(row.errors, alert_contacts.clean_email, row.email)
        if row.work_unit.strip() and (role != "expert" or len(row.work_unit.strip()) > 200):
            row.errors.append("工作单位仅评审专家填写" if role != "expert" else "工作单位不能超过 200 字")
    return rows


def import_rows(actor: User | None, rows: list[ImportRow], filename: str) -> list[tuple[User, str]]:
    """Create every row's account with a one-time password (the caller commits, shows the
    passwords once). Any row wrong: ValidationError, nothing created (the caller rolls back),
    the rows' errors set for the preview again."""
    check_rows(rows)
    if any(r.errors for r in rows):
        raise ValidationError(f"有 {sum(bool(r.errors) for r in rows)} 行有错，未导入任何账号")
    try:
        # Another request may make one of these accounts after the check above (two offices, two
        # tabs): the unique username stops the write (PostgreSQL makes it wait for the other to
        # commit). In a savepoint, so the check can run again and say who now exists.
        with Session.begin_nested():
            created = []
            for r in rows:
                created.append(user_edits.create_account(
                    actor, r.username, role=r.role_code, scopes=user_edits.scope_list(r.scopes),
                    display_name=r.display_name, email=r.email))
                if r.work_unit.strip():
                    expert_units.set_from_text(actor, created[-1][0], r.work_unit)
    except IntegrityError:
        check_rows(rows)
        raise ValidationError("导入时有账号被同时创建，未导入任何账号；请核对后重新上传") from None
    audit.record_change(actor, "import", "user", (filename or "账号导入")[:64], None,
                        {"usernames": [u.username for u, _ in created]})
    return created


def passwords_xlsx(created: list[tuple[User, str]]) -> bytes:
    """The one-time passwords of an import, to hand out: built for the one response that shows
    them, never stored."""
    wb = Workbook()
    ws = wb.active
    ws.title = "一次性密码"
    cells.xlsx_table(ws, ["用户名", "姓名", "角色", "一次性密码"],
                     [[u.username, u.display_name, ROLES[u.role], p] for u, p in created])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
