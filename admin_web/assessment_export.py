"""The quarterly assessment table as an Excel workbook (staff rank, sort and forward it in Excel):
the rows the page shows, as numbers, with the formula and its notes on a second sheet."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook

from feedback_api.models.reference import INDUSTRIES, TOPICS, WINDOW_STATUSES
from feedback_api.services import cells

HEADER = ["区内排名", "行业排名", "行业参评窗口数", "窗口编号", "窗口名称", "所属单位", "行业", "状态",
          "计分评价", "微信公众号", "网页评价", "平滑满意度", "好评率（%）", "差评率（%）", "情感均值",
          "主要问题", "综合检查", "综合检查不合格（次）", "暗查合格率（%）", "督办按时办理率（%）",
          "差评整改率（%）", "差评回访率（%）", "重大事件（起）", "其中重大（起）", "扣分前得分",
          "重大事件扣分", "综合得分",
          "计算公式"]
#: What a workbook of figures not yet published says (sheet name, file name, notes).
LIVE = "实时结果，未发布"


def _round(x: float | None, digits: int) -> float | None:
    return None if x is None else round(x, digits)


def _pct(x: float | None) -> float | None:
    return None if x is None else round(x * 100, 1)


def _row(r: Any) -> list[Any]:
    # The rank and the count ranked apart, as numbers: "1/5" as text sorts 10/12 before 2/12.
    return [r.rank_district, r.rank_industry or None, r.industry_ranked if r.rank_industry else None,
            r.code, r.name, r.unit_name, INDUSTRIES.get(r.industry, r.industry),
            WINDOW_STATUSES.get(r.status, r.status), r.ratings, r.ratings_wechat, r.ratings_h5,
            _round(r.smoothed_rating, 2), _pct(r.good_rate), _pct(r.bad_rate),
            _round(r.sentiment, 2),
            "、".join(f"{TOPICS.get(code, code)} {n}" for code, n in r.topics[:2]) or None,
            _round(r.inspection_score, 1), r.inspections_failed, _pct(r.covert_pass_rate),
            _pct(r.ticket_on_time_rate), _pct(r.bad_rectified_rate), _pct(r.bad_callback_rate),
            r.incidents, r.incidents_major, _round(r.composite_before, 1), r.deduction,
            _round(r.composite, 1), r.formula]


def table_xlsx(result: Any, rows: list[Any], *, title: str, version: str) -> bytes:
    """``rows`` (the page's rows of ``result``) as a sheet named ``title``; ``version`` says
    whether they are a published version or a live computation, as the page does."""
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    cells.xlsx_table(ws, HEADER, [_row(r) for r in rows], widths=[None] * (len(HEADER) - 1) + [60])
    notes = wb.create_sheet("计算说明")
    for line in [f"计算公式：{result.formula}", *result.notes, f"结果版本：{version}"]:
        cells.xlsx_append(notes, [line])
    notes.column_dimensions["A"].width = 120
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
