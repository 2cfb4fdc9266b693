"""jieba segmentation with a compact shipped dictionary, the domain user dictionary and a cache."""

from __future__ import annotations

import gzip
import hashlib
import logging
import marshal
import os
import sys
import tempfile
import threading
from pathlib import Path

import jieba

from .text import RESOURCES

DICT_PATH = RESOURCES / "jieba_dict.txt.gz"
USERDICT_PATH = RESOURCES / "userdict.txt"
STOPWORDS_PATH = RESOURCES / "stopwords.txt"

jieba.setLogLevel(logging.WARNING)
_lock = threading.Lock()


def cache_dir() -> Path:
    """Directory for derived caches (``WW_CACHE_DIR`` or the system temp dir)."""
    base = os.environ.get("WW_CACHE_DIR") or os.path.join(tempfile.gettempdir(), "window-watch-nlp")
    return Path(base)


def _read_words(path: Path) -> list[tuple[str, int]]:
    opener = gzip.open if path.suffix == ".gz" else open
    words = []
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                words.append((parts[0], int(parts[1])))
            elif len(parts) == 1:
                words.append((parts[0], 0))
    return words


def _build_freq(words: list[tuple[str, int]]) -> tuple[dict[str, int], int]:
    """Build jieba's prefix dictionary (word -> freq, every prefix -> 0 if absent)."""
    freq: dict[str, int] = {}
    total = 0
    for word, count in words:
        if count <= 0:
            continue
        freq[word] = count
        total += count
        for i in range(1, len(word)):
            freq.setdefault(word[:i], 0)
    return freq, total


def _fingerprint(*paths: Path) -> str:
    digest = hashlib.sha1(sys.version.encode())
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def make_tokenizer(extra_words: list[str] | None = None) -> jieba.Tokenizer:
    """Create an initialised jieba tokenizer; its prefix dictionary is cached with marshal."""
    tok = jieba.Tokenizer(str(DICT_PATH))
    key = _fingerprint(DICT_PATH, USERDICT_PATH)
    cache = cache_dir() / f"jieba-{key}.cache"
    freq_total = None
    with _lock:
        try:
            # loads() of the whole file: load() reads the file object piece by piece (about 4x slower).
            with open(cache, "rb") as fh:
                freq_total = marshal.loads(fh.read())
        except (OSError, EOFError, ValueError, TypeError):
            freq_total = None
        if freq_total is None:
            freq_total = _build_freq(_read_words(DICT_PATH) + _read_words(USERDICT_PATH))
            try:
                cache.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=cache.parent)
                with os.fdopen(fd, "wb") as fh:
                    marshal.dump(freq_total, fh)
                os.replace(tmp, cache)
            except OSError:
                pass
    tok.FREQ, tok.total = freq_total
    tok.initialized = True
    for word in extra_words or ():
        tok.add_word(word, 2000)
    return tok


def load_stopwords() -> frozenset[str]:
    """The shipped stop-word list used for keywords."""
    with open(STOPWORDS_PATH, encoding="utf-8") as fh:
        return frozenset(w.strip() for w in fh if w.strip() and not w.startswith("#"))
