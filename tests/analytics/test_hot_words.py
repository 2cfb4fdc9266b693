"""Keywords (the window page's 投诉热词 and the reports' 投诉热词) skip the generic words of any
service window (窗口, 工作人员, 群众, 办事...): they say nothing about what went wrong. The
stop words serve keywords only: sentiment, topics and flags do not read them."""

from __future__ import annotations

import pytest

from analytics.nlp import analyze

GENERIC = {"窗口", "工作", "工作人员", "人员", "群众", "老百姓", "服务", "办理", "办事", "同志"}


@pytest.mark.parametrize("text, wanted", [
    ("窗口工作人员态度差，群众来办事排队两个小时", {"排队"}),
    ("办理业务的同志服务不好，老百姓跑了三趟窗口", {"三趟"}),
    ("窗口人员工作时间玩手机，群众反映多次", {"手机"}),
])
def test_keywords_leave_out_generic_service_words(text, wanted):
    keywords = set(analyze(text).keywords)
    assert not keywords & GENERIC, keywords
    assert wanted <= keywords, keywords
