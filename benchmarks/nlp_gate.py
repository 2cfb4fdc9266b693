"""The promotion gate (analytics/nlp/gate.py) for a trained candidate against an incumbent, run by hand.

`--sets held-out` (default): the held-out split of the labelled opinions, as training judges it.
`--sets blind`: the lead's one blind run (step 2 of each wave's prereg): the newest blind set on its own,
and all the earlier ones pooled (wave 10: blind8 and blind1-7; wave 11: blind9 and blind1-8; wave 12: blind10
and blind1-9; wave 13: blind11 and blind1-10; wave 14: blind12 and blind1-11; wave 15: blind13 and blind1-12),
each opinion scored by the same calls as benchmarks/nlp.py's blind() (hard cases: negation, contrast, sarcasm;
every row counts for the topics). Never run by a helper on the blind sets.

    python benchmarks/nlp_gate.py --candidate-dir /tmp/v11 --candidate-version v11 [--incumbent-version v10]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analytics.nlp import store  # noqa: E402
from analytics.nlp.evaluation import Judged, judge  # noqa: E402
from analytics.nlp.gate import compare, format_gate, gate_models  # noqa: E402
from analytics.nlp.pipeline import Pipeline  # noqa: E402
from analytics.nlp.segment import make_tokenizer  # noqa: E402
from analytics.nlp.training import load_labelled  # noqa: E402
from benchmarks import nlp as bench  # noqa: E402


def blind_groups() -> dict[str, tuple[str, ...]]:
    """The sets of the blind run: the newest on its own, the ones before it pooled (prereg, step 2)."""
    *older, newest = bench.BLIND_SETS
    return {newest: (newest,), f"blind1-{len(older)} pooled": tuple(older)}


def judge_blind(pipe: Pipeline, names: tuple[str, ...]) -> list[Judged]:
    return [judge(pipe, r["text"], r["sentiment"], r["topics"], r["style"], r["style"] in bench.HARD_STYLES)
            for name in names for r in bench.blind_rows(name)]


def gates(candidate: Pipeline, incumbent: Pipeline, sets: str,
          labelled: str | None = None) -> dict[str, dict]:
    """The gate per set, by set name."""
    if sets == "held-out":
        test = [e for e in load_labelled(labelled) if e.split == "test"]
        return {"held-out": gate_models(candidate, incumbent, test)[2]}
    out = {}
    for title, names in blind_groups().items():
        gate = compare(judge_blind(candidate, names), judge_blind(incumbent, names))
        out[title] = {"candidate": candidate.version, "incumbent": incumbent.version, **gate}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--candidate-dir", required=True, 
                    help="model directory the candidate was trained into (--out)")
    ap.add_argument("--candidate-version", required=True)
    ap.add_argument("--incumbent-version", default=None,
                    help="a version of --incumbent-dir (default: its active version)")
    ap.add_argument("--incumbent-dir", default=str(store.SHIPPED_DIR), help="default: the shipped models")
    ap.add_argument("--sets", choices=("held-out", "blind"), default="held-out")
    ap.add_argument("--labelled", default=None, 
                    help="labelled opinions for --sets held-out (default: the shipped ones)")
    ns = ap.parse_args(argv)
    if not store.model_file(Path(ns.candidate_dir) / "versions" / ns.candidate_version):
        ap.error(f"no version {ns.candidate_version} in {ns.candidate_dir}")
    tokenizer = make_tokenizer()
    candidate = Pipeline(*store.load_model(ns.candidate_dir, ns.candidate_version), tokenizer=tokenizer)
    incumbent_version = ns.incumbent_version or store.active_version(ns.incumbent_dir)
    incumbent = Pipeline(*store.load_model(ns.incumbent_dir, incumbent_version), tokenizer=tokenizer)
    results = gates(candidate, incumbent, ns.sets, ns.labelled)
    for title, gate in results.items():
        print(format_gate(gate, title) + "\n")
    refused = [title for title, gate in results.items() if not gate["passed"]]
    print(f"OVERALL: {'REFUSE (' + ', '.join(refused) + ')' if refused else 'PROMOTE'}: "
          f"{candidate.version} against {incumbent.version} on {ns.sets}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
