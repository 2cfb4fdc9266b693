"""Versioned model directories: load, save, list and activate model versions."""

from __future__ import annotations

import gzip
import json
import os
import re
import tempfile
from pathlib import Path

SHIPPED_DIR = Path(__file__).resolve().parent / "models"
ACTIVE_FILE = "active.txt"
MODEL_FILE = "model.json.gz"
META_FILE = "meta.json"
_VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def default_model_dir() -> Path:
    """``WW_MODEL_DIR`` if set, otherwise the model shipped inside the package."""
    env = os.environ.get("WW_MODEL_DIR")
    return Path(env) if env else SHIPPED_DIR


def _check_version(version: str) -> str:
    if not _VERSION_RE.match(version or ""):
        raise ValueError(f"invalid model version name: {version!r}")
    return version


def version_path(model_dir: Path | str, version: str) -> Path:
    """Directory of ``version``: in ``model_dir`` if present there, else in the shipped models."""
    _check_version(version)
    local = Path(model_dir) / "versions" / version
    if (local / MODEL_FILE).exists():
        return local
    shipped = SHIPPED_DIR / "versions" / version
    if (shipped / MODEL_FILE).exists():
        return shipped
    raise FileNotFoundError(f"model version {version!r} not found in {model_dir} or the package")


def active_version(model_dir: Path | str | None = None) -> str:
    """Name of the active version of ``model_dir`` (falls back to the shipped active version)."""
    for base in (Path(model_dir) if model_dir else default_model_dir(), SHIPPED_DIR):
        f = base / ACTIVE_FILE
        if f.exists():
            return _check_version(f.read_text(encoding="utf-8").strip())
    raise FileNotFoundError("no active model version")


def load_model(model_dir: Path | str | None = None, version: str | None = None) -> tuple[dict, dict]:
    """Return ``(model, meta)`` for a version (default: the active one)."""
    base = Path(model_dir) if model_dir else default_model_dir()
    version = version or active_version(base)
    path = version_path(base, version)
    with gzip.open(path / MODEL_FILE, "rt", encoding="utf-8") as fh:
        model = json.load(fh)
    meta_file = path / META_FILE
    meta = json.loads(meta_file.read_text(encoding="utf-8")) if meta_file.exists() else {}
    return model, meta


def save_model(model_dir: Path | str, version: str, model: dict, meta: dict) -> Path:
    """Write a version directory (model + meta note) atomically; does not activate it."""
    _check_version(version)
    path = Path(model_dir) / "versions" / version
    path.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path, suffix=".tmp")
    with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(json.dumps(model, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode())
    os.chmod(tmp, 0o644)
    os.replace(tmp, path / MODEL_FILE)
    (path / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def list_versions(model_dir: Path | str | None = None) -> list[dict]:
    """Every version available to ``model_dir`` (its own and the shipped ones), oldest first."""
    base = Path(model_dir) if model_dir else default_model_dir()
    try:
        active = active_version(base)
    except FileNotFoundError:
        active = None
    seen: dict[str, dict] = {}
    for origin, root in (("shipped", SHIPPED_DIR), ("local", base)):
        if origin == "local" and base.resolve() == SHIPPED_DIR.resolve():
            continue
        vdir = root / "versions"
        if not vdir.is_dir():
            continue
        for child in sorted(vdir.iterdir()):
            if not (child / MODEL_FILE).exists():
                continue
            meta_file = child / META_FILE
            meta = json.loads(meta_file.read_text(encoding="utf-8")) if meta_file.exists() else {}
            seen[child.name] = {
                "version": child.name,
                "origin": origin,
                "created": meta.get("created"),
                "scores": meta.get("scores", {}),
                "active": child.name == active,
                "path": str(child),
            }
    return sorted(seen.values(), key=lambda v: (v["created"] or "", v["version"]))


def activate_version(model_dir: Path | str, version: str) -> str:
    """Make ``version`` the active one of ``model_dir`` (e.g. to restore an older model)."""
    version_path(model_dir, version)  # raises if unknown
    base = Path(model_dir)
    base.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=base, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(version + "\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, base / ACTIVE_FILE)
    return version
