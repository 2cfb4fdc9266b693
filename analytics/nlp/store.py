"""Versioned model directories: load, save, list and activate model versions.

A version's model file (:data:`MODEL_FILE`, from wave 11) is gzip of one JSON line, then the weights of
its linear models as little-endian 32-bit integers (1e-4 units, :meth:`.linear.LogReg.to_dict`): the
JSON holds everything else, each model's keys as one newline-joined string, and ``[start, count]`` of
its weights in that array; groups of models (the topics) share one sorted key list
(:class:`.linear.LogRegGroup`). It is data only (no pickle), and loads with far fewer Python objects
than the JSON-only :data:`LEGACY_MODEL_FILE` of older versions, which still loads."""

from __future__ import annotations

import gzip
import json
import os
import re
import sys
import tempfile
from array import array
from collections.abc import Mapping
from pathlib import Path

from .linear import LogRegGroup

SHIPPED_DIR = Path(__file__).resolve().parent / "models"
ACTIVE_FILE = "active.txt"
MODEL_FILE = "model.bin.gz"
LEGACY_MODEL_FILE = "model.json.gz"
META_FILE = "meta.json"
_VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_FORMAT = "wwmodel2"
_INT32 = "i"  # a C int: 4 bytes wherever CPython runs (checked when a file is read)


def default_model_dir() -> Path:
    """``WW_MODEL_DIR`` if set, otherwise the model shipped inside the package."""
    env = os.environ.get("WW_MODEL_DIR")
    return Path(env) if env else SHIPPED_DIR


def _check_version(version: str) -> str:
    if not _VERSION_RE.match(version or ""):
        raise ValueError(f"invalid model version name: {version!r}")
    return version


def model_file(version_dir: Path) -> Path | None:
    """The model file of a version directory (the current format first), None if it has none."""
    for name in (MODEL_FILE, LEGACY_MODEL_FILE):
        if (version_dir / name).exists():
            return version_dir / name
    return None


def version_path(model_dir: Path | str, version: str) -> Path:
    """Directory of ``version``: in ``model_dir`` if present there, else in the shipped models."""
    _check_version(version)
    local = Path(model_dir) / "versions" / version
    if model_file(local):
        return local
    shipped = SHIPPED_DIR / "versions" / version
    if model_file(shipped):
        return shipped
    raise FileNotFoundError(f"model version {version!r} not found in {model_dir} or the package")


def active_version(model_dir: Path | str | None = None) -> str:
    """Name of the active version of ``model_dir`` (falls back to the shipped active version)."""
    for base in (Path(model_dir) if model_dir else default_model_dir(), SHIPPED_DIR):
        f = base / ACTIVE_FILE
        if f.exists():
            return _check_version(f.read_text(encoding="utf-8").strip())
    raise FileNotFoundError("no active model version")


def _compact(part: object) -> bool:
    """A :meth:`.linear.LogReg.to_dict` dict (keys string, integer weights)."""
    return (isinstance(part, dict) and part.keys() == {"bias", "keys", "values"}
            and isinstance(part["keys"], str) and isinstance(part["values"], list)
            and all(type(v) is int for v in part["values"]))


def encode_model(model: dict) -> bytes:
    """The bytes of :data:`MODEL_FILE` (before gzip) for a model dict; the same model, the same bytes."""
    ints = array(_INT32)

    def put(values) -> list[int]:
        start = len(ints)
        try:
            ints.extend(values)
        except OverflowError:
            raise ValueError("a model weight does not fit in 32 bits") from None
        return [start, len(ints) - start]

    head = {}
    for name, part in model.items():
        if _compact(part):
            head[name] = {"$logreg": {"bias": part["bias"], "keys": part["keys"],
                                      "values": put(part["values"])}}
        elif isinstance(part, LogRegGroup) or (isinstance(part, Mapping) and part
                                               and all(map(_compact, part.values()))):
            group = part if isinstance(part, LogRegGroup) else LogRegGroup.of(part)
            head[name] = {"$logregs": {"biases": group.biases, "keys": group.keys_text,
                                       "columns": [put(c) for c in group.columns],
                                       "absent": [put(a) for a in group.absent]}}
        else:
            head[name] = part
    if sys.byteorder == "big":
        ints.byteswap()
    header = {"format": _FORMAT, "ints": len(ints), "model": head}
    text = json.dumps(header, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return text.encode() + b"\n" + ints.tobytes()


def decode_model(body: bytes, where: object = "model") -> dict:
    """The model dict of :func:`encode_model`'s bytes: linear models as ``LogReg.to_dict()`` dicts
    (weights as lists), groups as :class:`.linear.LogRegGroup` (weights as ``array`` columns)."""
    cut = body.index(b"\n")
    header = json.loads(body[:cut])
    if not isinstance(header, dict) or header.get("format") != _FORMAT:
        raise ValueError(f"{where}: not a model file of this project")
    ints = array(_INT32)
    if ints.itemsize != 4:  # pragma: no cover - no such CPython platform
        raise RuntimeError("C int is not 32 bits here")
    ints.frombytes(memoryview(body)[cut + 1 :])
    if sys.byteorder == "big":
        ints.byteswap()
    if len(ints) != header["ints"]:
        raise ValueError(f"{where}: corrupt model file (weights cut short)")

    def take(span: list[int]) -> array:
        start, count = span
        if not 0 <= start <= start + count <= len(ints):
            raise ValueError(f"{where}: corrupt model file (weights out of range)")
        return ints[start : start + count]

    model = {}
    for name, part in header["model"].items():
        if isinstance(part, dict) and "$logreg" in part:
            p = part["$logreg"]
            model[name] = {"bias": p["bias"], "keys": p["keys"], "values": take(p["values"]).tolist()}
        elif isinstance(part, dict) and "$logregs" in part:
            p = part["$logregs"]
            model[name] = LogRegGroup(p["biases"], p["keys"], [take(c) for c in p["columns"]],
                                      [take(a) for a in p["absent"]])
        else:
            model[name] = part
    return model


def read_model_file(file: Path) -> dict:
    """The model dict stored in ``file`` (either format)."""
    body = gzip.decompress(file.read_bytes())
    return decode_model(body, file) if file.name == MODEL_FILE else json.loads(body)


def load_model(model_dir: Path | str | None = None, version: str | None = None) -> tuple[dict, dict]:
    """Return ``(model, meta)`` for a version (default: the active one)."""
    base = Path(model_dir) if model_dir else default_model_dir()
    version = version or active_version(base)
    path = version_path(base, version)
    model = read_model_file(model_file(path))
    meta_file = path / META_FILE
    meta = json.loads(meta_file.read_text(encoding="utf-8")) if meta_file.exists() else {}
    return model, meta


def _write_model_file(path: Path, model: dict) -> Path:
    fd, tmp = tempfile.mkstemp(dir=path, suffix=".tmp")
    with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(encode_model(model))
    os.chmod(tmp, 0o644)
    os.replace(tmp, path / MODEL_FILE)
    return path / MODEL_FILE


def save_model(model_dir: Path | str, version: str, model: dict, meta: dict) -> Path:
    """Write a version directory (model + meta note) atomically; does not activate it."""
    _check_version(version)
    path = Path(model_dir) / "versions" / version
    path.mkdir(parents=True, exist_ok=True)
    _write_model_file(path, model)
    (path / LEGACY_MODEL_FILE).unlink(missing_ok=True)  # an older file of the same name must not linger
    (path / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def convert_version(model_dir: Path | str, version: str) -> Path:
    """Rewrite a version of ``model_dir`` stored in the legacy JSON file as :data:`MODEL_FILE`
    (meta.json untouched); the legacy file goes only once the new file loads as the same model."""
    path = Path(model_dir) / "versions" / _check_version(version)
    legacy = path / LEGACY_MODEL_FILE
    if not legacy.exists():
        raise FileNotFoundError(f"{legacy} not found")
    model = read_model_file(legacy)
    new = _write_model_file(path, model)
    if read_model_file(new) != model:
        new.unlink()
        raise ValueError(f"{version}: the rewritten model differs from the legacy one; kept the legacy file")
    legacy.unlink()
    return new


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
            if not model_file(child):
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

