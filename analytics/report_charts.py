"""The rating report PDF's two charts (reportlab.graphics): the five-level distribution and the
monthly trend, as the report page draws them."""

from __future__ import annotations

from typing import Any

from analytics.reports import Report
from feedback_api.models.reference import RATINGS

FONT = "STSong-Light"


def distribution_chart(report: Report) -> Any:
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    levels = (5, 4, 3, 2, 1)
    counts = [report.distribution[k] for k in levels]
    drawing = Drawing(440, 170)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 30, 380, 115
    chart.data = [counts]
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = FONT
    chart.barLabels.nudge = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max(max(counts), 1) * 1.2
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labelTextFormat = "%d"
    chart.valueAxis.valueStep = max(1, -(-max(max(counts), 1) // 5))
    chart.categoryAxis.categoryNames = [RATINGS[k] for k in levels]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 9
    chart.bars[0].fillColor = colors.HexColor("#3b6ea8")
    for i, k in enumerate(levels):
        if k <= 2:  # the 差评 in red
            chart.bars[(0, i)].fillColor = colors.HexColor("#c0392b")
    drawing.add(chart)
    drawing.add(String(40, 155, f"五级评分分布（计分评价 {report.ratings} 条）", fontName=FONT,
                       fontSize=10))
    return drawing


def months_chart(report: Report) -> Any:
    """The monthly trend as the page draws it: counted ratings and 差评 per month."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    ratings = [m.ratings for m in report.trend]
    top = max([*ratings, 1])
    drawing = Drawing(440, 170)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 30, 380, 115
    chart.data = [ratings, [m.bad for m in report.trend]]
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = FONT
    chart.barLabels.nudge = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = top * 1.2
    chart.valueAxis.valueStep = max(1, -(-top // 5))
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labelTextFormat = "%d"
    chart.categoryAxis.categoryNames = [m.label for m in report.trend]
    chart.categoryAxis.labels.fontName = FONT
    chart.bars[0].fillColor = colors.HexColor("#3b6ea8")
    chart.bars[1].fillColor = colors.HexColor("#c0392b")
    drawing.add(chart)
    drawing.add(String(40, 155, "月度趋势：计分评价（蓝）与差评（红）", fontName=FONT, fontSize=10))
    return drawing
