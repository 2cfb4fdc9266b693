"""The ``nlp`` Flask CLI group: analyze reads stdin lines and writes JSON lines."""

import json

from click.testing import CliRunner
from flask.cli import AppGroup

from analytics.cli import nlp


def test_group_is_an_appgroup_named_nlp():
    assert isinstance(nlp, AppGroup)
    assert nlp.name == "nlp"
    assert {"analyze", "evaluate"} <= set(nlp.commands)


def test_analyze_reads_lines_and_writes_json_lines():
    text = "工作人员态度很好\n\n我叫张三，电话13800138000，等了三个小时\n"
    result = CliRunner().invoke(nlp, ["analyze"], input=text)
    assert result.exit_code == 0, result.output
    lines = result.output.strip().split("\n")
    assert len(lines) == 3  # one object per input line, the blank one included
    first, blank, second = (json.loads(line) for line in lines)
    assert blank["text"] == "" and blank["masked"] == "" and 0 <= blank["sentiment"] <= 1
    assert set(first) == {"text", "sentiment", "topics", "keywords", "masked", "flags", "model_version",
                          "uncertainty"}
    assert first["sentiment"] > 0.5 and first["topics"][0]["topic"] == "attitude"
    assert second["masked"] == "我叫张**，电话[手机号]，等了三个小时"
    assert second["sentiment"] < 0.5
    assert "张**" in lines[2]  # ensure_ascii=False keeps Chinese readable


def test_analyze_tsv_ratings():
    result = CliRunner().invoke(nlp, ["analyze", "--tsv"], input="5\t办理了业务\n1\t办理了业务\n")
    assert result.exit_code == 0, result.output
    a, b = (json.loads(x) for x in result.output.strip().split("\n"))
    assert a["sentiment"] > b["sentiment"]
    assert a["text"] == "办理了业务"


def test_evaluate_prints_scores():
    result = CliRunner().invoke(nlp, ["evaluate"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert scores["sentiment_accuracy"] >= 0.90 and "topic_macro_f1" in scores


def test_analyze_survives_bad_bytes_and_bom():
    data = "\ufeff态度很好\n".encode() + b"\xff\xfe bad bytes \xe4\n"
    result = CliRunner().invoke(nlp, ["analyze"], input=data)
    assert result.exit_code == 0, result.output
    first, second = (json.loads(x) for x in result.output.strip().split("\n"))
    assert first["text"] == "态度很好"
    assert "bad bytes" in second["text"]
