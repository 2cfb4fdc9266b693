"""The NLP benchmark's reporting (``benchmarks/nlp.py`` and its parts): one line a figure, kept
for the summary, and snownlp's default, the baseline it is reported beside."""

from __future__ import annotations

RESULTS: list[tuple[str, float, str, bool | None]] = []


def report(name: str, value: float, target: str = "", ok: bool | None = None, fmt: str = "{:.4f}") -> None:
    status = "" if ok is None else ("PASS" if ok else "BELOW TARGET")
    tgt = f"  (target {target})" if target else ""
    print(f"  {name:<58} {fmt.format(value):>10}{tgt}  {status}", flush=True)
    RESULTS.append((name, value, target, ok))


def snow_default(texts):
    from snownlp import SnowNLP

    out = []
    for t in texts:
        try:
            out.append(SnowNLP(t).sentiments if t.strip() else 0.5)
        except Exception:  # noqa: BLE001 - snownlp fails on some inputs; count them as neutral
            out.append(0.5)
    return out


def accuracy(scores, labels):
    return sum((s >= 0.5) == (y == 1) for s, y in zip(scores, labels, strict=True)) / max(len(labels), 1)
