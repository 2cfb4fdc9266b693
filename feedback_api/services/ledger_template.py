"""The ledger import's Excel template: the ledger's headers (required ones marked *, which the
import ignores), drop-down lists for the industry and the status, and a sheet of instructions."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from feedback_api.models.reference import INDUSTRIES, WINDOW_STATUSES
from feedback_api.services import cells
from feedback_api.services.ledger import LEDGER_COLUMNS, REQUIRED, UPLOAD_MAX_ROWS

#: The rows the drop-down lists cover (the web import takes this many).
LIST_ROWS = UPLOAD_MAX_ROWS + 1

NOTES = (
    "填写说明",
    "1. 第一张工作表“登记台账”的第一行为表头，请勿修改；带 * 的列必须填写。",
    "2. 每个窗口一行；已有窗口按窗口编号更新，空白单元格保留原值。",
    "3. 新单位请填写单位编号（缺省取窗口编号前缀）和行业；行业、状态请从下拉列表中选择。",
    "4. 状态、状态日期、命名/摘牌年度、状态原因是窗口的称号状态，由区联席办通过授牌、摘牌办理："
    "行业主管部门导入时，新窗口这几列留空（即创建中），已有窗口留空或与现状相同，否则该行不导入；"
    "区联席办登记摘牌时须填写状态日期（如 2026-07-15）和状态原因。",
    "5. 挂牌日期（授牌日期）是窗口成为示范创建窗口的日期，决定它参加哪些考核期：可填 2026-03-01、"
    "2026/3/1、2026年3月1日或 Excel 日期；不能晚于导入当天。新窗口留空即为导入当天；"
    "由区联席办登记，行业主管部门导入时请留空。",
    f"6. 网页一次最多导入 {UPLOAD_MAX_ROWS} 行；有问题的行会逐行报告，其他行照常导入。",
)


def template_xlsx() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "登记台账"
    cells.xlsx_table(ws, [f"{header}*" if fld in REQUIRED else header
                          for fld, header in LEDGER_COLUMNS], [])
    cells.fit_columns(ws, minimum=12)  # room to type in
    for fld, choices in (("industry", INDUSTRIES), ("status", WINDOW_STATUSES)):
        col = get_column_letter(1 + [f for f, _ in LEDGER_COLUMNS].index(fld))
        rule = DataValidation(type="list", formula1='"' + ",".join(choices.values()) + '"',
                              allow_blank=True, showErrorMessage=True, errorTitle="请从列表中选择",
                              error="请从下拉列表中选择")
        rule.add(f"{col}2:{col}{LIST_ROWS}")
        ws.add_data_validation(rule)
    cells.notes_sheet(wb, NOTES, 90)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
