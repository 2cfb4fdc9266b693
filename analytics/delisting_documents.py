"""The documents a confirmed delisting produces (issue 14): the circular (通报) the office sends
to the industry authorities and window units, and the special report to the district government
(政府工作专报). Both are Word documents (python-docx, the official-document layout of the agency's
report: A4, GB/T 9704 margins, 仿宋 body, 黑体 headings, page numbers), which the office edits,
seals and forwards; their facts come from the proposal (the rule and its evidence) and the window's
status as the confirmation set it. Nothing is sent: the office downloads them."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

# The agency report's Word set-up (fonts with their East Asian names, page numbers), shared.
from analytics.agency_report_exports import (
    HEADING_FONT,
    TITLE_FONT,
    official_docx,
    set_font,
)
from feedback_api.models import DelistingProposal
from feedback_api.models.reference import (
    DELISTED,
    DELISTING_RULES,
    INCIDENT_KINDS,
    INDUSTRIES,
    OFFICE_NAME,
    TOPICS,
    label,
)
from feedback_api.services.cells import printable
from feedback_api.services.errors import Conflict
from feedback_api.services.feedback import LOCAL_TZ

OFFICE = OFFICE_NAME
KINDS = {"circular": "通报", "special-report": "专报"}


@dataclass(frozen=True)
class Document:
    title: str
    addressee: str
    #: (heading or "", paragraphs) in order; a heading of "" is plain body text.
    sections: list[tuple[str, list[str]]]
    signature: str
    date: str


def _evidence_lines(p: DelistingProposal) -> list[str]:
    """Each piece of evidence as one line, as the rule recorded it."""
    lines = []
    for n, item in enumerate(p.evidence.get("items", []), start=1):
        if p.rule == 1:
            text = (f"{item['quarter']} 季度综合检查（{item['inspected_on']}）得分 "
                    f"{item['total']:g} / {item['max_total']:g}，不合格")
        elif p.rule == 2:
            text = (f"督办单 {item['ticket']}（{label(TOPICS, item['topic'])}）第 {item['round']} 轮，"
                    f"{item['opened_on']} 交办、{item['due']} 到期：{item['outcome']}"
                    + (f"（{item['reason']}）" if item.get("reason") else ""))
        elif p.rule == 3:
            text = f"{item['inspected_on']} 暗查，“{item['indicator']}”不合格"
        else:
            text = (f"{item['occurred_on']} 发生重大{label(INCIDENT_KINDS, item['kind'])}："
                    f"{item['description']}（来源：{item['source']}）")
        lines.append(f"{n}. {text}")
    return lines


def _confirmed(p: DelistingProposal) -> tuple[str, str]:
    """The delisting date (as the window's status has it) and the decision day, in Chinese."""
    if p.state != "confirmed":
        raise Conflict("摘牌建议确认后才生成通报和专报")
    w = p.window
    on = w.status_date if w.status == DELISTED and w.status_date else None
    decided = p.decided_at.astimezone(LOCAL_TZ).date() if p.decided_at else None
    day = on or decided
    as_text = f"{day.year}年{day.month}月{day.day}日" if day else "—"
    return as_text, (f"{decided.year}年{decided.month}月{decided.day}日" if decided else as_text)


def document(p: DelistingProposal, kind: str) -> Document:
    """The circular (``kind="circular"``) or the special report (``"special-report"``)."""
    delisted_on, decided_on = _confirmed(p)
    w = p.window
    who = f"{w.unit.name}{w.name}（编号 {w.code}，{label(INDUSTRIES, w.unit.industry)}行业）"
    rule = f"摘牌规则第 {p.rule} 条“{DELISTING_RULES[p.rule]}”"
    facts = (f"经{p.year}年度文明诚信示范窗口量化考核与监督，{who}触发{rule}："
             f"{p.evidence.get('summary', '')}。")
    evidence = _evidence_lines(p)
    # Typed or pasted by the office: a .docx refuses control characters (Word's \x0b).
    note = [f"联席办意见：{printable(p.decision_note)}"] if p.decision_note else []
    if kind == "circular":
        return Document(
            f"关于取消{w.name}“文明诚信示范窗口”称号的通报",
            "各行业主管部门，各窗口单位：",
            [("", [facts, f"经{OFFICE}审核确认，决定自{delisted_on}起取消该窗口“文明诚信示范窗口”"
                          "称号（摘牌），并予以通报。", *note]),
             ("一、认定依据", evidence),
             ("二、工作要求", ["请该窗口所在单位及行业主管部门认真剖析原因，限期整改，整改情况报送区联席办。",
                           "各窗口单位要引以为戒，举一反三，对照测评标准自查自纠，切实提升服务质量。"])],
            OFFICE, decided_on)
    if kind == "special-report":
        return Document(
            f"关于{w.name}摘牌情况的专报",
            "区政府：",
            [("一、基本情况", [facts, *evidence]),
             ("二、处理情况", [f"平台按摘牌规则自动生成摘牌建议，经{OFFICE}审核，于{decided_on}确认摘牌，"
                           f"窗口状态自{delisted_on}起为“摘牌”，并已向各行业主管部门和窗口单位通报。",
                           *note]),
             ("三、下一步工作", ["督促该窗口所在单位限期整改，跟踪整改落实情况；"
                            "加强对同类窗口的日常监督和暗查，防止类似问题再次发生。"])],
            OFFICE, decided_on)
    raise ValueError(kind)


def document_docx(doc_: Document) -> bytes:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    doc = official_docx(body_size=16, line_spacing=28)
    set_font(doc.styles["Heading 1"], HEADING_FONT, 16, bold=False)
    doc.styles["Heading 1"].font.color.rgb = RGBColor(0, 0, 0)
    doc.core_properties.title, doc.core_properties.author = printable(doc_.title), OFFICE

    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_font(title.add_run(printable(doc_.title)), TITLE_FONT, 22, bold=True)
    doc.add_paragraph(doc_.addressee)

    def body(text: str) -> Any:
        # Evidence holds what people typed (an incident's account, pasted from Word): only what
        # a .docx may hold.
        para = doc.add_paragraph(printable(text))
        para.paragraph_format.first_line_indent = Pt(32)  # two characters
        return para

    last = None
    for heading, paragraphs in doc_.sections:
        if heading:
            doc.add_heading(heading, level=1)
        for text in paragraphs:
            last = body(text)
    # The signature and date never on a page of their own (an official paper's rule): the last
    # paragraph kept with them.
    if last is not None:
        last.paragraph_format.keep_with_next = True
    for text in (doc_.signature, doc_.date):
        sign = doc.add_paragraph(text)
        sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        sign.paragraph_format.keep_with_next = text == doc_.signature
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
