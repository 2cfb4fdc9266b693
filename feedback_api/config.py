"""Configuration read only from the environment (DATABASE_URL, SECRET_KEY and WW_* variables)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any


class ConfigError(RuntimeError):
    """Raised when the environment cannot produce a safe configuration."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


#: Every variable the platform reads, with its meaning; the README and .env.example list the same.
ENV_VARS: dict[str, str] = {
    "DATABASE_URL": "SQLAlchemy URL; default: SQLite file window-watch.db in the instance folder",
    "SECRET_KEY": "session/CSRF signing key; required when WW_ENV=production",
    "WW_ENV": "production (default), development or testing",
    "WW_INSTANCE_PATH": "folder for the SQLite file and generated files; default ./instance",
    "WW_CITIZEN_HASH_KEY": "key for the citizen pseudonym hash; defaults to SECRET_KEY",
    "WW_PAGE_SIZE_MAX": "largest page size the API accepts (default 200)",
    "WW_SQL_ECHO": "log SQL statements (default off)",
    "WW_PASSWORD_HASH_METHOD": "werkzeug password hash method (default scrypt)",
    "WW_MODEL_DIR": "writable folder of retrained NLP model versions (default <instance>/models)",
    "WW_SECURE_COOKIES": "send session cookies over HTTPS only (default on in production)",
    "WW_WINDOW_CACHE_SECONDS": "how long a process reuses a window's name and status for citizens' "
                               "messages (default 10; 0 reads them every time)",
    "WW_MESSAGE_WAIT_MS": "the longest a citizen's message waits for a database lock before "
                          "the citizen is told 系统繁忙 (default 2000; the messenger gives up "
                          "after 5 seconds)",
    "WW_DB_ASYNC_COMMIT": "opt-in, less durable: commits do not wait for the disk (PostgreSQL "
                          "synchronous_commit=off, SQLite synchronous=NORMAL), so a crash may "
                          "lose the last moments of answered messages; default off, and a "
                          "warning at start when on",
}


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the Flask config mapping from the environment, then apply explicit overrides."""
    overrides = dict(overrides or {})
    env = overrides.get("WW_ENV") or os.environ.get("WW_ENV", "production")
    if env not in {"production", "development", "testing"}:
        raise ConfigError(f"WW_ENV must be production, development or testing, got {env!r}")
    instance = Path(
        overrides.get("WW_INSTANCE_PATH") or os.environ.get("WW_INSTANCE_PATH") or "instance"
    ).resolve()

    secret = overrides.get("SECRET_KEY") or os.environ.get("SECRET_KEY")
    if not secret:
        if env == "production":
            raise ConfigError(
                "SECRET_KEY is not set. In production window-watch refuses to start without it: "
                "set SECRET_KEY to a long random string (for example the output of "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`), "
                "or set WW_ENV=development for a local trial."
            )
        secret = _instance_secret(instance)

    database_url = overrides.get("DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not database_url:
        instance.mkdir(parents=True, exist_ok=True)
        database_url = f"sqlite:///{instance / 'window-watch.db'}"

    config: dict[str, Any] = {
        "WW_ENV": env,
        "WW_INSTANCE_PATH": str(instance),
        "SECRET_KEY": secret,
        "DATABASE_URL": database_url,
        "WW_CITIZEN_HASH_KEY": os.environ.get("WW_CITIZEN_HASH_KEY") or secret,
        "WW_PAGE_SIZE_MAX": _int("WW_PAGE_SIZE_MAX", 200),
        "WW_WINDOW_CACHE_SECONDS": _int("WW_WINDOW_CACHE_SECONDS", 10),
        "WW_SQL_ECHO": _bool(os.environ.get("WW_SQL_ECHO")),
        "WW_DB_ASYNC_COMMIT": _bool(os.environ.get("WW_DB_ASYNC_COMMIT")),
        "WW_MESSAGE_WAIT_MS": _int("WW_MESSAGE_WAIT_MS", 2000),
        "WW_PASSWORD_HASH_METHOD": os.environ.get("WW_PASSWORD_HASH_METHOD") or "scrypt",
        "WW_MODEL_DIR": os.environ.get("WW_MODEL_DIR") or str(instance / "models"),
        "TESTING": env == "testing",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production" and _bool(os.environ.get("WW_SECURE_COOKIES"), True),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,
        "JSON_AS_ASCII": False,
    }
    config.update(overrides)
    if not 0 < config["WW_MESSAGE_WAIT_MS"] <= 4500:
        raise ConfigError("WW_MESSAGE_WAIT_MS must be between 1 and 4500 (a messenger waits 5 seconds), "
                          f"got {config['WW_MESSAGE_WAIT_MS']!r}")
    return config


def _instance_secret(instance: Path) -> str:
    """A development-only key kept in the instance folder so sessions survive restarts."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "dev-secret-key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
