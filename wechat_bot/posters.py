"""Printable A4 posters: window name, unit, the QR code, the five levels, one instruction line."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from feedback_api.models import Window
from feedback_api.models.reference import RATINGS
from feedback_api.services.pdf_glyphs import printable

FONT = "STSong-Light"  # reportlab's built-in CID font: Chinese without shipping a font file
RED = HexColor("#b71c1c")
GREY = HexColor("#57606a")


def _register_font() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def qr_image(data: str) -> ImageReader:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=10, border=2)
    qr.add_data(data)
    qr.make(fit=True)
    return ImageReader(qr.make_image().get_image())


def _centred(c: Canvas, text: str, y: float, size: float, color: object = None,
             width: float = 170 * mm) -> float:
    """Draw ``text`` centred, wrapped to ``width``, in glyphs the font has (a name typed with ·);
    returns the y below it."""
    c.setFont(FONT, size)
    if color is not None:
        c.setFillColor(color)
    page_w = A4[0]
    for line in simpleSplit(printable(text), FONT, size, width) or [""]:
        c.drawCentredString(page_w / 2, y, line)
        y -= size * 1.35
    return y


def draw_poster(c: Canvas, window: Window, qr_data: str, *, via_wechat: bool) -> None:
    page_w, page_h = A4
    c.setStrokeColor(RED)
    c.setLineWidth(3)
    c.rect(12 * mm, 12 * mm, page_w - 24 * mm, page_h - 24 * mm)
    y = page_h - 38 * mm
    y = _centred(c, "文明诚信示范窗口　服务评价", y, 26, RED)
    y -= 8 * mm
    y = _centred(c, window.name, y, 30, HexColor("#1f2328"))
    y = _centred(c, window.unit.name, y - 2 * mm, 16, GREY)
    size = 95 * mm
    y -= 6 * mm + size
    c.drawImage(qr_image(qr_data), (page_w - size) / 2, y, size, size)
    y -= 10 * mm
    call = "微信扫一扫，为本窗口服务评分" if via_wechat else "手机扫一扫，为本窗口服务评分"
    y = _centred(c, call, y, 18, RED)
    y -= 4 * mm
    # The five levels as five columns: a big score over its label.
    col_w = 34 * mm
    x0 = (page_w - 5 * col_w) / 2
    for i, n in enumerate((5, 4, 3, 2, 1)):
        cx = x0 + col_w * (i + 0.5)
        c.setFillColor(RED if n <= 2 else HexColor("#1f2328"))
        c.setFont(FONT, 24)
        c.drawCentredString(cx, y - 6 * mm, str(n))
        c.setFont(FONT, 13)
        c.drawCentredString(cx, y - 13 * mm, RATINGS[n])
    y -= 24 * mm
    line = ("扫码后回复 1 至 5 分即可评价，直接发送文字或语音可提意见建议。" if via_wechat
            else "扫码后选择满意程度并提交，可同时填写意见建议。")
    _centred(c, line, y, 13, GREY)
    c.setFont(FONT, 10)
    c.setFillColor(GREY)
    c.drawCentredString(page_w / 2, 18 * mm, f"窗口编号 {window.code}")


def render_posters(windows: Iterable[Window], qr_for: Callable[[Window], tuple[str, bool]],
                   *, title: str = "窗口评价二维码") -> bytes:
    """One page per window; ``qr_for(window)`` gives (QR content, whether it is a WeChat code)."""
    _register_font()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4)
    c.setTitle(title)
    c.setAuthor("文明诚信示范窗口监督平台")
    for window in windows:
        data, via_wechat = qr_for(window)
        draw_poster(c, window, data, via_wechat=via_wechat)
        c.showPage()
    c.save()
    return buf.getvalue()
