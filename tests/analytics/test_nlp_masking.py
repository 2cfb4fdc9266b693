"""Masking of personal data: the shipped case set plus targeted edge cases."""

import json
from pathlib import Path

import pytest

from analytics.nlp.masking import find_spans, mask

DATA = Path(__file__).resolve().parents[1] / "data" / "masking.jsonl"
CASES = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_case_set_is_large_and_balanced():
    assert len(CASES) >= 100
    assert sum(c["personal"] for c in CASES) >= 60
    assert sum(not c["personal"] for c in CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=[c["input"][:20] for c in CASES])
def test_masking_case(case):
    assert mask(case["input"]) == case["expected"]


def test_every_personal_case_changes_and_no_negative_case_changes():
    changed = [c["input"] for c in CASES if c["personal"] and mask(c["input"]) == c["input"]]
    wrongly = [c["input"] for c in CASES if not c["personal"] and mask(c["input"]) != c["input"]]
    assert changed == []
    assert wrongly == []


def test_full_width_digits_masked_in_place():
    text = "请打１３８００１３８０００联系我"
    assert mask(text) == "请打[手机号]联系我"
    assert [s.kind for s in find_spans(text)] == ["mobile"]


def test_spans_kinds_and_offsets():
    text = "我叫王小明，身份证44030119900101123X，车牌京AD12345"
    spans = find_spans(text)
    assert [s.kind for s in spans] == ["name", "id_card", "plate"]
    assert text[spans[0].start : spans[0].end] == "小明"
    assert text[spans[1].start : spans[1].end] == "44030119900101123X"


def test_new_kinds_spans_and_offsets():
    text = "我住东风小区12幢3单元602，微信号 zhang_san_88，老身份证130503670401001"
    spans = find_spans(text)
    assert [s.kind for s in spans] == ["address", "wechat", "id_card"]
    assert [text[s.start : s.end] for s in spans] == ["东风小区12幢3单元602", "zhang_san_88",
                                                      "130503670401001"]


@pytest.mark.parametrize("text, kind", [
    ("440301199013451234", "id_card"),  # month 13
    ("44030119900230123X", "id_card"),  # 30 February, check digit X
    ("110105194912310022", "id_card"),  # wrong check digit
    ("6222020200001234567", "bank_card"),  # 19 digits stay a card
    ("622202020000123456", "bank_card"),  # 18 digits with no birth year where an ID has one
])
def test_mistyped_ids_are_ids_and_cards_stay_cards(text, kind):
    assert [s.kind for s in find_spans(f"号码{text}。")] == [kind]


def test_no_leak_of_digits_in_masked_output():
    masked = mask("卡号6222020200001234567，手机13912345678，身份证110105194912310021")
    assert not any(ch.isdigit() for ch in masked)


@pytest.mark.parametrize("text", ["", "   ", "😀😀", "a" * 50, "等了2个小时，3号窗口", "<b>你好</b>"])
def test_inputs_without_personal_data_unchanged(text):
    assert mask(text) == text
