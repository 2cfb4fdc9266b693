"""Human agreement on blind5 (issue 17): the writer's labels against a second, independent labelling.

How far two careful labellers following tests/data/LABELS.md agree bounds what topic macro-F1 a
model can reasonably reach. The second labelling (tests/data/agreement/blind5_second.jsonl) is
scored against the first (tests/data/blind5/opinions.jsonl) exactly as benchmarks/nlp.py scores the
model: the same per-topic precision/recall/F1 (`topic_prf`, imported from there).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from nlp import topic_prf  # noqa: E402  (benchmarks/nlp.py: the model's topic scoring)

FIRST = ROOT / "tests/data/blind5/opinions.jsonl"
SECOND = ROOT / "tests/data/agreement/blind5_second.jsonl"


def cohen_kappa(a: list[int], b: list[int]) -> float:
    """Cohen's kappa of two labellings of the same items (1.0 when both are identical)."""
    n = len(a)
    if n == 0 or n != len(b):
        raise ValueError("two labellings of the same, non-empty items are needed")
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb[k] for k in set(ca) | set(cb)) / (n * n)
    if expected == 1.0:
        return 1.0 if observed == 1.0 else 0.0
    return (observed - expected) / (1 - expected)


def swaps(first: list[set[str]], second: list[set[str]]) -> tuple[Counter, Counter, Counter]:
    """Where the labellers differ on one opinion: (first's topic, second's topic) pairs when each
    has a topic the other lacks (a swap), else topics only the first gave (second omitted them)
    or only the second gave (second added them)."""
    pairs: Counter = Counter()
    omitted: Counter = Counter()
    added: Counter = Counter()
    for f, s in zip(first, second, strict=True):
        only_f, only_s = f - s, s - f
        if only_f and only_s:
            pairs.update((x, y) for x in sorted(only_f) for y in sorted(only_s))
        elif only_f:
            omitted.update(only_f)
        elif only_s:
            added.update(only_s)
    return pairs, omitted, added


def score(first: list[dict], second: list[dict]) -> dict:
    """All agreement figures for two labellings, matched by id (every id must be in both)."""
    by_id = {r["id"]: r for r in second}
    if set(by_id) != {r["id"] for r in first} or len(by_id) != len(first):
        raise ValueError("the two labellings must cover exactly the same ids")
    sa = [int(r["sentiment"]) for r in first]
    sb = [int(by_id[r["id"]]["sentiment"]) for r in first]
    ta = [set(r["topics"]) for r in first]
    tb = [set(by_id[r["id"]]["topics"]) for r in first]
    per_topic = topic_prf(ta, tb)
    pairs, omitted, added = swaps(ta, tb)
    return {
        "n": len(first),
        "sentiment_accuracy": sum(x == y for x, y in zip(sa, sb, strict=True)) / len(sa),
        "sentiment_kappa": cohen_kappa(sa, sb),
        "per_topic": per_topic,
        "topic_macro_f1": sum(v[2] for v in per_topic.values()) / len(per_topic),
        "identical_topic_sets": sum(a == b for a, b in zip(ta, tb, strict=True)) / len(ta),
        "swaps": pairs,
        "omitted": omitted,
        "added": added,
    }


def load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def print_report(s: dict, top: int) -> None:
    print(f"opinions: {s['n']}  (first = the writer's labels, second = the independent labelling)")
    print(f"  sentiment agreement (accuracy)          {s['sentiment_accuracy']:.4f}")
    print(f"  sentiment Cohen's kappa                 {s['sentiment_kappa']:.4f}")
    print(f"  topics macro-F1 (second vs first)       {s['topic_macro_f1']:.4f}")
    print(f"  identical topic sets                    {s['identical_topic_sets']:.4f}")
    print("  per topic (first as reference):  precision  recall      F1  support")
    for t, (p, r, f1, sup) in s["per_topic"].items():
        print(f"    {t:<14} {p:>27.3f} {r:>7.3f} {f1:>7.3f} {sup:>8d}")
    print(f"  topic swaps, most frequent (first's topic -> second's topic, opinions), top {top}:")
    for (a, b), c in s["swaps"].most_common(top):
        print(f"    {a:<14} -> {b:<14} {c:>4d}")
    print("  only the first gave (second omitted): "
          + ", ".join(f"{t} {c}" for t, c in s["omitted"].most_common()))
    print("  only the second gave (second added):  "
          + ", ".join(f"{t} {c}" for t, c in s["added"].most_common()))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--first", type=Path, default=FIRST)
    ap.add_argument("--second", type=Path, default=SECOND)
    ap.add_argument("--top", type=int, default=15, help="how many swapped pairs to print")
    ns = ap.parse_args(argv)
    print_report(score(load(ns.first), load(ns.second)), ns.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
