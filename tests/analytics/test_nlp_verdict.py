"""Verdict phrases of the general sentiment model."""

from analytics.nlp.features_general import VERDICT_TAIL, verdict_features


def test_verdict_phrases_anywhere_and_in_the_tail():
    assert verdict_features("房间干净，服务热情，推荐") == {"V+", "VT+"}
    early = "很后悔" + "的" * (VERDICT_TAIL + 5) + "就这样"
    assert verdict_features(early) == {"V-"}  # not in the closing characters
    assert verdict_features("一般般") == set()


def test_a_negated_positive_verdict_counts_as_negative():
    assert verdict_features("不推荐购买") == {"V-", "VT-"}  # 不推荐 is on the negative list too
    assert verdict_features("没值得买的") == {"V-", "VT-"}
    assert verdict_features("态度满意，但退货很麻烦") == {"V+", "VT+", "V-", "VT-"}
