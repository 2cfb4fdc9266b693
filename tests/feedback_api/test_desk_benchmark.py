"""The desk benchmark runs end to end on a small district (its timings are not asserted: those
are in benchmarks/README.md), and the service returns exactly the raw query's rows."""

import importlib.util
import os

import pytest

from feedback_api.db import Session


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")),
                    reason="the benchmark empties its database: run it on SQLite only here")
def test_desk_benchmark_runs_with_2000_rows(repo_root, tmp_path):
    spec = importlib.util.spec_from_file_location("bench_desk", repo_root / "benchmarks/desk.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    lines: list[str] = []
    kept = tmp_path / "kept.db"
    ratios = module.run(2000, 200, 1, out=lines.append, keep=str(kept))
    Session.remove()
    # run() itself checks, per filter set, that the service's page and total are the raw query's.
    assert set(ratios) == {"queue (pending)", "window + month", "pending + keyword",
                           "industry + 1 star + week", "unit's pending negative"}
    assert all(r > 0 for r in ratios.values())
    assert lines[0].startswith("inserted 2,000 feedback rows")
    assert lines[-1].startswith("worst ratio:")
    # --keep leaves the database for --reuse, which times the same rows without generating them.
    assert kept.stat().st_size > 0
    again: list[str] = []
    assert set(module.run(0, 0, 1, out=again.append, keep=str(kept), reuse=True)) == set(ratios)
    Session.remove()
    assert again[0] == "reusing 2,000 feedback rows (sqlite)"
