"""Writes the Excel 97-2003 fixtures of the .xls import tests: each workbook is built with openpyxl
as staff lay theirs out, then saved as .xls by LibreOffice (no maintained Python library writes
.xls). Run from the repository root with LibreOffice installed (Debian: libreoffice-calc-nogui,
libreoffice-writer-nogui for the Word file, python3-uno for the password-protected workbook):

    python tests/data/sheets/make_fixtures.py
"""

from __future__ import annotations

import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
#: Saves IN.xlsx as OUT.xls with the opening password "secret" through LibreOffice's UNO API (its
#: command line cannot set one). Run with the system Python, which has LibreOffice's uno module;
#: kept as text because the project's environment has no uno (it is not a PyPI package).
SAVE_LOCKED = """
import subprocess
import sys
import tempfile
import time

import uno
from com.sun.star.beans import PropertyValue


def _prop(name, value):
    prop = PropertyValue()
    prop.Name, prop.Value = name, value
    return prop


def main(source, target):
    with tempfile.TemporaryDirectory() as profile:
        office = subprocess.Popen(["soffice", "--headless", "--invisible", "--norestore",
                                   "--accept=pipe,name=wwfixtures;urp;",
                                   "-env:UserInstallation=" + uno.systemPathToFileUrl(profile)])
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        for _ in range(60):
            try:
                ctx = resolver.resolve("uno:pipe,name=wwfixtures;urp;StarOffice.ComponentContext")
                break
            except Exception:  # not listening yet
                time.sleep(0.5)
        else:
            office.kill()
            raise SystemExit("LibreOffice did not start")
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(source), "_blank", 0, (_prop("Hidden", True),))
        doc.storeToURL(uno.systemPathToFileUrl(target), (_prop("FilterName", "MS Excel 97"), _prop("Password", "secret")))
        doc.close(True)
        try:
            desktop.terminate()
        except Exception:  # the bridge goes down with the office
            pass
        office.wait(timeout=60)


main(*sys.argv[1:3])
"""
INDICATORS = ["服务态度", "办事效率", "业务能力", "环境设施", "廉洁诚信", "制度流程", "便民措施", "信息公开"]
WEIGHTS = [15, 15, 15, 10, 15, 10, 10, 10]


def _ledger(wb: Workbook) -> None:
    notes = wb.active
    notes.title = "填写说明"
    notes.append(["1. 每个窗口一行；所属单位相同的可向下合并。"])
    ws = wb.create_sheet("台账")
    ws.append(["2026年西区文明诚信示范窗口登记台账"])
    ws.merge_cells("A1:I1")
    ws.append(["序号", "窗口\n编号", "窗口名称", "所属单位", "行业", "窗口人数（人）", "状态信息", None, None])
    ws.append([None, None, None, None, None, None, "状态", "状态日期", "命名/摘牌年度"])
    for col in "ABCDEF":
        ws.merge_cells(f"{col}2:{col}3")
    ws.merge_cells("G2:I2")
    ws.append([1, "XQ-YB-001", "医保窗口1", "西区医疗保障服务中心", "人力资源和社会保障", 3, "示范",
               datetime(2026, 3, 5), 2026])
    ws.append([2, "XQ-YB-002", "医保窗口2", None, "人力资源和社会保障", 4, "创建中", None, None])
    ws.append([3, "XQ-YB-003", "医保窗口3", None, "人力资源和社会保障", 2.5, "创建中", None, None])
    ws.merge_cells("D4:D6")


def _inspections(wb: Workbook) -> None:
    ws = wb.active
    ws.title = "综合检查"
    ws.append(["2026年第三季度综合检查评分表"])
    ws.merge_cells("A1:P1")
    ws.append(["序号", "窗口编号", "窗口名称", "季度", "检查日期", "检查人员", "检查得分"]
              + [None] * 7 + ["总分", "备注"])
    ws.append([None] * 6 + [f"{n}（{w}分）" for n, w in zip(INDICATORS, WEIGHTS, strict=True)] + [None, None])
    for col in "ABCDEFOP":
        ws.merge_cells(f"{col}2:{col}3")
    ws.merge_cells("G2:N2")
    scores = [14, 14, 14, 9, 14, 9, 9, 9.5]
    ws.append([1, "CD-SW-001", "办税窗口", "2026Q3", datetime(2026, 9, 20), "王五"] + scores + [sum(scores), None])
    ws.append([2, "CD-SW-002", "办税窗口2", "2026Q3", None, None] + scores + [sum(scores), "复查"])
    ws.merge_cells("E4:E5")
    ws.merge_cells("F4:F5")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name, build in (("ledger", _ledger), ("inspections", _inspections)):
            wb = Workbook()
            build(wb)
            wb.save(Path(tmp) / f"{name}.xlsx")
            subprocess.run(["soffice", "--headless", "--convert-to", "xls", "--outdir", str(HERE),
                            str(Path(tmp) / f"{name}.xlsx")], check=True)
        # A workbook with an opening password (xlrd cannot read one).
        locked = Workbook()
        locked.active.append(["窗口编号", "窗口名称", "所属单位"])
        locked.active.append(["XQ-YB-009", "医保窗口9", "西区医疗保障服务中心"])
        locked.save(Path(tmp) / "locked.xlsx")
        subprocess.run(["/usr/bin/python3", "-c", SAVE_LOCKED, str(Path(tmp) / "locked.xlsx"),
                        str(HERE / "locked.xls")], check=True)
        # An old Word file: OLE like an .xls, but no workbook inside.
        (Path(tmp) / "note.txt").write_text("整改说明：窗口已整改。\n", encoding="utf-8")
        subprocess.run(["soffice", "--headless", "--convert-to", "doc", "--outdir", str(HERE),
                        str(Path(tmp) / "note.txt")], check=True)


if __name__ == "__main__":
    main()
