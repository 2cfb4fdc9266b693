"""Flask CLI group ``inspections``: import quarterly inspections from an office's sheet."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext

from feedback_api.cli import fail
from feedback_api.db import Session
from feedback_api.services import cells, delisting, inspection_sheets
from feedback_api.services.errors import ServiceError

inspections_cli = AppGroup("inspections", help="季度综合检查：导入。")


@inspections_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def inspections_import(file: Path) -> None:
    """Import inspections (CSV in UTF-8/GB18030, or XLSX; columns 窗口编号, 季度, 检查日期,
    检查人员 and one per indicator name); good rows are kept, exit 1 if any row was refused."""
    try:
        report = inspection_sheets.import_inspections(None, file.read_bytes(), file.name)
        raised = delisting.run_rules(report.affected)
    except ServiceError as exc:
        Session.rollback()
        fail(exc.message, 2)
    Session.commit()
    for err in report.errors:
        click.echo(f"第 {err.line} 行 {err.code or '-'}：{err.reason}", err=True)
    click.echo(report.summary() + delisting.raised(raised), err=True)
    if report.errors:
        sys.exit(1)


@inspections_cli.command("template")
@click.option("--year", type=click.IntRange(2000, 2100), required=True)
@with_appcontext
def inspections_template(year: int) -> None:
    """Print the header row (CSV) of an import sheet for YEAR's standard."""
    import csv

    headers = inspection_sheets.template_headers(year)
    Session.commit()  # the year's standard, if this made it
    csv.writer(sys.stdout).writerow(cells.csv_row(headers))
