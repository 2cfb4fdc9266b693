"""Rewrite model versions stored in the legacy JSON file (``model.json.gz``) in the current format
(:mod:`.store`), each checked to load as the same model before the legacy file goes:

    python -m analytics.nlp.convert v11 [--dir MODEL_DIR]   # default: the shipped models
"""

from __future__ import annotations

import argparse

from . import store


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Rewrite legacy model.json.gz versions in the current format.")
    ap.add_argument("versions", nargs="+")
    ap.add_argument("--dir", default=str(store.SHIPPED_DIR),
                    help="model directory (default: the shipped models)")
    ns = ap.parse_args(argv)
    for version in ns.versions:
        print(store.convert_version(ns.dir, version))


if __name__ == "__main__":
    main()
