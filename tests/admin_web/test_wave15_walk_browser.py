"""This wave's changes walked in a real browser as the staff meet them: a clerk whose input method
is in full width (全角) getting the password wrong until they must wait; a covert visit dated
before its window's listing day, refused with photos attached; an authority's inspection of a
quarter before the listing, by form and by Excel; an expert's score refused for a comment too long; a rating report with a citizen's symbols downloaded as Word and PDF."""

from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa

from feedback_api.models import CovertInspection, ExpertAssignment, RateLimitHit, Submission, Window
from feedback_api.services import cycle as svc
from feedback_api.services import users
from tests.admin_web.test_browser import _sign_in, live_server, page, pytestmark  # noqa: F401
from tests.admin_web.test_cycle_recusal_pages import candidate  # noqa: F401  (fixture)
from tests.admin_web.test_report_opinions import _opinion


def _list(db, day: date, code: str) -> None:  # type: ignore[no-untyped-def]
    with db() as s:
        s.scalars(sa.select(Window).where(Window.code == code)).one().listed_on = day


def test_a_refused_covert_visit_says_its_photos_must_be_chosen_again(live_server, page, district,  # noqa: F811
                                                                     db, tmp_path):
    _list(db, date(2026, 9, 15), "CD-RMYY-001")
    photo = tmp_path / "现场.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + b"0" * 200 + b"\xff\xd9")
    _sign_in(page, live_server, "office")
    page.wait_for_selector("text=概况")
    page.goto(live_server + "/assessment/covert/new?year=2026")
    page.select_option("select[name=window]", "CD-RMYY-001")
    page.fill("input[name=inspected_on]", "2026-09-10")
    page.locator("select[name^=result_]").first.select_option("0")
    page.fill("textarea[name=notes]", "工作人员玩手机")
    page.set_input_files("input[name=files]", str(photo))
    page.click("button:has-text('保存')")
    page.wait_for_selector(".flash-error")
    assert "不能录入挂牌前（2026年9月10日）的暗查" in page.inner_text(".flash-error")
    # What was typed stays; a browser cannot keep a chosen file, so the page says so by the field.
    assert page.input_value("input[name=inspected_on]") == "2026-09-10"
    assert page.input_value("textarea[name=notes]") == "工作人员玩手机"
    said = page.locator("input[name=files] ~ .field-error").inner_text()
    assert "现场.jpg" in said and "重新选择" in said
    # Corrected and chosen again, the visit and its photo are saved.
    page.fill("input[name=inspected_on]", "2026-09-20")
    page.set_input_files("input[name=files]", str(photo))
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=暗查记录已保存")
    with db() as s:
        (item,) = s.scalars(sa.select(CovertInspection)).all()
        assert item.inspected_on == date(2026, 9, 20) and len(item.evidence) == 1


def _sign_in_typed(tab, base: str, username: str, password: str) -> list[str]:  # type: ignore[no-untyped-def]
    tab.goto(base + "/login")
    tab.fill("input[name=username]", username)
    tab.fill("input[name=password]", password)
    tab.click("button[type=submit]")
    tab.wait_for_load_state()
    return tab.locator(".flash-error").all_inner_texts()


def test_a_clerk_in_full_width_who_must_wait_is_told_the_right_password_waits_too(
        live_server, page, district, db):  # noqa: F811
    for n in range(5):
        said = _sign_in_typed(page, live_server, "ｏｆｆｉｃｅ", f"wrong-{n}")
        assert said and said[0].startswith("用户名或密码错误")
        assert page.input_value("input[name=username]") == "ｏｆｆｉｃｅ"  # as typed, to correct
    # The right password now waits as well: the page says so (the same words for every failure,
    # so nothing tells an account or its waiting apart), or the clerk takes it for a wrong one.
    (said,) = _sign_in_typed(page, live_server, "ｏｆｆｉｃｅ", "office-password")
    assert "等待 15 分钟" in said and "密码正确也不能登录" in said and "再试会重新计时" in said
    with db() as s:  # fifteen minutes and more go by without a try
        s.execute(sa.update(RateLimitHit).values(bucket=RateLimitHit.bucket - 16))
    assert _sign_in_typed(page, live_server, "ｏｆｆｉｃｅ", "office-password") == []
    assert not page.url.endswith("/login")


def test_an_experts_refused_score_keeps_the_comment_typed(live_server, page, db,  # noqa: F811
                                                          candidate):  # noqa: F811
    with db() as s:
        svc.assign_expert(users.get_user("office"), s.get(Submission, candidate),
                          users.get_user("expert3"))
    comment = "材料翔实，服务规范。" * 510  # 5100 characters
    _sign_in(page, live_server, "expert3")
    page.wait_for_load_state()
    page.goto(f"{live_server}/cycle/submissions/{candidate}")
    # The browser's own checks stop both (maxlength cuts the comment at 5000): a client without
    # them is what the server refuses.
    assert page.get_attribute("textarea[name=comment]", "maxlength") == "5000"
    page.evaluate("""() => { document.querySelectorAll('textarea[name=comment], input[name^=indicator_]')
                               .forEach(e => { e.removeAttribute('maxlength'); e.removeAttribute('max'); }); }""")
    fields = page.locator("input[name^=indicator_]")
    for n in range(fields.count()):
        fields.nth(n).fill("9")
    fields.first.fill("99")  # over the indicator's 15 points
    page.fill("textarea[name=comment]", comment)
    page.click("button:has-text('保存评分')")
    page.wait_for_selector(".flash-error")
    said = page.inner_text(".flash-error")
    assert "得分应在 0–15 之间" in said and "评审意见不能超过 5000 个字" in said
    assert page.input_value("textarea[name=comment]") == comment
    assert page.input_value("input[name=indicator_1]") == "99"
    page.fill("input[name=indicator_1]", "9")
    page.fill("textarea[name=comment]", comment[:5000])
    page.click("button:has-text('保存评分')")
    page.wait_for_selector("text=评分已保存")
    with db() as s:
        (a,) = s.scalars(sa.select(ExpertAssignment)).all()
        assert a.comment == comment[:5000] and a.items["服务态度"] == 9


SAID = "张·三办事快✓，态度好❤️谢谢👍"


def test_a_rating_report_downloads_as_word_and_pdf_with_a_citizens_symbols(
        live_server, page, district, db, tmp_path):  # noqa: F811
    pypdf = pytest.importorskip("pypdf")
    from docx import Document

    with db():
        _opinion("CD-SW-001", 5, 0.95, ["态度"], SAID, SAID)
    _sign_in(page, live_server, "office")
    page.wait_for_load_state()
    page.goto(live_server + "/reports/windows/CD-SW-001?period=2026Q3")
    files = {}
    for label in ("下载 Word", "下载 PDF"):
        with page.expect_download() as info:
            page.click(f"a:has-text('{label}')")
        name = info.value.suggested_filename
        assert name.startswith("CD-SW-001 综合办税窗口 2026年第三季度评价报告")
        files[name.rsplit(".", 1)[1]] = path = tmp_path / name
        info.value.save_as(path)
    doc = Document(str(files["docx"]))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert SAID in cells  # Word has the fonts: the opinion as the citizen wrote it
    (section,) = doc.sections
    footer = section.footer._element
    assert "".join(t.text or "" for t in footer.iter() if t.tag.endswith("}t")).startswith("第 ")
    assert [f.get(next(k for k in f.keys() if k.endswith("instr"))).strip()
            for f in footer.iter() if f.tag.endswith("}fldSimple")] == ["PAGE", "NUMPAGES"]
    pages = pypdf.PdfReader(str(files["pdf"])).pages
    texts = ["".join(p.extract_text().split()) for p in pages]
    for n, text in enumerate(texts, start=1):
        assert f"第{n}页共{len(pages)}页" in text
    assert any("张・三办事快√，态度好[心]谢谢[表情]" in t for t in texts)


def test_an_inspection_before_the_listing_is_refused_where_the_authority_looks(
        live_server, page, district, db, tmp_path):  # noqa: F811
    from openpyxl import Workbook

    from feedback_api.services import inspection_sheets

    _list(db, date(2026, 9, 15), "CD-RMYY-001")
    said = "窗口 CD-RMYY-001 的挂牌日期为2026年9月15日，不能录入挂牌前（2026年第2季度）的综合检查"
    _sign_in(page, live_server, "authority")
    page.wait_for_load_state()
    page.goto(live_server + "/assessment/inspections/new?year=2026")
    page.select_option("select[name=window]", "CD-RMYY-001")
    page.select_option("select[name=quarter]", "2")
    page.fill("input[name=inspected_on]", "2026-05-20")
    page.fill("input[name=inspectors]", "王五、赵六")
    for field in page.locator("input[name^=score_]").all():
        field.fill("9")
    page.fill("textarea[name=notes]", "叫号屏故障")
    page.click("button:has-text('保存')")
    page.wait_for_selector(".flash-error")
    assert page.inner_text(".flash-error") == said
    assert page.locator("select[name=quarter] ~ .field-error").inner_text() == "早于挂牌季度"
    typed = [page.input_value(f) for f in ("select[name=window]", "select[name=quarter]",
                                          "input[name=inspected_on]", "input[name=inspectors]",
                                          "textarea[name=notes]")]
    assert typed == ["CD-RMYY-001", "2", "2026-05-20", "王五、赵六", "叫号屏故障"]
    assert {f.input_value() for f in page.locator("input[name^=score_]").all()} == {"9"}
    # By Excel: the row is reported in the results table by its line, the other row imported.
    book = Workbook()
    with db():
        heads = inspection_sheets.template_headers(2026)
    book.active.append(heads)
    for code, quarter, on in (("CD-RMYY-001", "2026Q2", "2026-05-20"),
                              ("CD-RMYY-002", "2026Q3", "2026-08-20")):
        book.active.append([code, quarter, on, "王五"] + [9] * (len(heads) - 5) + [""])
    buf = io.BytesIO()
    book.save(buf)
    sheet = tmp_path / "综合检查.xlsx"
    sheet.write_bytes(buf.getvalue())
    page.goto(live_server + "/assessment/inspections/import?year=2026")
    page.set_input_files("input[name=file]", str(sheet))
    page.click("button:has-text('导入')")
    page.wait_for_selector("text=导入结果")
    assert "新增 1 条" in page.inner_text(".flash") and "错误 1 行" in page.inner_text(".flash")
    (row,) = page.locator("table.grid tbody tr").all()
    assert row.locator("td").all_inner_texts() == ["2", "CD-RMYY-001", said]
