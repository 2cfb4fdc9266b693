"""Configuration read only from the environment (DATABASE_URL, SECRET_KEY and WW_* variables)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
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
    "WW_CITIZEN_HASH_KEY": "key for the citizen pseudonym hash; required in production and "
                           "different from SECRET_KEY (development and testing fall back to it)",
    "WW_PAGE_SIZE_MAX": "largest page size the API accepts (default 200)",
    "WW_SQL_ECHO": "log SQL statements (default off)",
    "WW_PASSWORD_HASH_METHOD": "werkzeug password hash method (default scrypt)",
    "WW_MODEL_DIR": "writable folder of retrained NLP model versions (default <instance>/models)",
    "WW_SECURE_COOKIES": "send session cookies over HTTPS only, and HSTS (default on in production)",
    "WW_SESSION_MINUTES": "the longest a sign-in lasts: its session (and the CSRF tokens in it) is "
                          "refused this many minutes after it was issued or last changed "
                          "(default 480); closing the browser ends it sooner",
    "WW_WINDOW_CACHE_SECONDS": "how long a process reuses a window's name and status for citizens' "
                               "messages (default 10; 0 reads them every time)",
    "WW_MESSAGE_WAIT_MS": "the longest a citizen's message waits for a database lock before "
                          "the citizen is told 系统繁忙 (default 2000; the messenger gives up "
                          "after 5 seconds)",
    "WW_DB_ASYNC_COMMIT": "opt-in, less durable: commits do not wait for the disk (PostgreSQL "
                          "synchronous_commit=off, SQLite synchronous=NORMAL), so a crash may "
                          "lose the last moments of answered messages; default off, and a "
                          "warning at start when on",
    "WW_RETAIN_OPINION_TEXT_DAYS": "days an opinion's raw text is kept; then only its masked text "
                                   "(what units read) remains (default 180; 0 keeps it)",
    "WW_RETAIN_CORRECTION_TEXT_DAYS": "days the opinion text copied into a training correction is "
                                      "kept raw; then it is the masked text (default 180; 0 keeps it)",
    "WW_RETAIN_OPENID_DAYS": "days after a citizen's last message their raw WeChat openid is kept "
                             "(default 365; 0 keeps it)",
    "WW_RETAIN_EVIDENCE_DAYS": "days a citizen's evidence picture is kept (default 365; 0 keeps it)",
    "WW_RETAIN_ADDRESS_DAYS": "days the keyed hash of an H5 citizen's network address is kept "
                              "with their feedback, for the abuse findings (default 90; 0 keeps it)",
    # Supervision tickets (督办单) and appeals (申诉).
    "WW_CALLBACK_WORKDAYS": "working days to call a citizen back after a 差评 (default 1)",
    "WW_FIX_WORKDAYS": "working days a unit has to fix a ticket, per round (default 15)",
    "WW_APPEAL_WORKDAYS": "working days a unit has to appeal a rating (default 5)",
    "WW_AMBER_WORKDAYS": "a deadline turns amber this many working days before it (default 2)",
    "WW_TICKET_NEGATIVE_BELOW": "an unrated opinion without a reviewer's verdict that the model "
                                "scores below this (0-1) opens a ticket (default 0.2: clearly "
                                "negative)",
    "WW_TICKET_GROUP_DAYS": "a new 差评 or negative opinion joins a running ticket of the same window "
                            "and topic opened at most this many days ago (default 0: any still "
                            "running)",
    "WW_EVIDENCE_MAX_MB": "largest evidence file (image, PDF, .docx or .xlsx) of a response or "
                          "appeal (default 10)",
    "WW_REPEAT_MIN_WINDOWS": "a topic is a repeat problem of an industry when its complaints "
                             "(services.complaints) rose against the previous period in at least "
                             "this many of the industry's windows (default 3)",
    "WW_DISK_MIN_FREE_MB": "/healthz reports storage low_space when the SQLite database's or the "
                           "instance folder's disk has less free space (default 200)",
    "WW_COVERT_EVIDENCE_MAX_MB": "largest evidence file (photo, recording, video, document) of a "
                                 "covert inspection (default 50, at most 500)",
    "WW_TRUSTED_PROXIES": "how many reverse proxies (nginx) stand in front of the app and set "
                          "X-Forwarded-For/-Proto; 0 (default) trusts no such header",
    "WW_OBJECTION_RATE_LIMIT": "objections the public page accepts from one network address per "
                               "hour during publicity (default 10, 1-1000)",
    "WW_SMTP_URL": "e-mail alerts to units: smtp://user:password@host:587?starttls=1&from=ADDRESS "
                   "(or smtps://…:465); unset, alerts wait",
}

#: Retention of personal data, in days (0 keeps it): applied daily by the privacy-retention job.
RETENTION_DEFAULTS: dict[str, int] = {
    "WW_RETAIN_OPINION_TEXT_DAYS": 180,
    "WW_RETAIN_CORRECTION_TEXT_DAYS": 180,
    "WW_RETAIN_OPENID_DAYS": 365,
    "WW_RETAIN_EVIDENCE_DAYS": 365,
    "WW_RETAIN_ADDRESS_DAYS": 90,
}
#: A hundred years: anything longer is a typo.
MAX_RETENTION_DAYS = 36500


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
        "WW_CITIZEN_HASH_KEY": _citizen_hash_key(env, secret, overrides),
        "WW_PAGE_SIZE_MAX": _int("WW_PAGE_SIZE_MAX", 200),
        "WW_WINDOW_CACHE_SECONDS": _int("WW_WINDOW_CACHE_SECONDS", 10),
        "WW_SQL_ECHO": _bool(os.environ.get("WW_SQL_ECHO")),
        "WW_DB_ASYNC_COMMIT": _bool(os.environ.get("WW_DB_ASYNC_COMMIT")),
        "WW_MESSAGE_WAIT_MS": _int("WW_MESSAGE_WAIT_MS", 2000),
        "WW_TRUSTED_PROXIES": _int("WW_TRUSTED_PROXIES", 0),
        "WW_DISK_MIN_FREE_MB": _int("WW_DISK_MIN_FREE_MB", 200),
        "WW_PASSWORD_HASH_METHOD": os.environ.get("WW_PASSWORD_HASH_METHOD") or "scrypt",
        "WW_MODEL_DIR": model_dir(instance),
        **{name: _int(name, default) for name, default in RETENTION_DEFAULTS.items()},
        "TESTING": env == "testing",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production" and _bool(os.environ.get("WW_SECURE_COOKIES"), True),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        # Flask refuses a session cookie signed longer ago than this. CSRF tokens live in the
        # session, so they end with it rather than on a clock of their own.
        "PERMANENT_SESSION_LIFETIME": timedelta(minutes=_int("WW_SESSION_MINUTES", 480)),
        "WTF_CSRF_TIME_LIMIT": None,
        # WTForms' own messages come in the language of each form's Meta.locales (Chinese),
        # not from Flask-Babel, which the platform does not use.
        "WTF_I18N_ENABLED": False,
        "JSON_AS_ASCII": False,
    }
    config.update(_ticket_settings())
    config.update(overrides)
    _check_ticket_settings(config)
    if not 0 < config["WW_MESSAGE_WAIT_MS"] <= 4500:
        raise ConfigError("WW_MESSAGE_WAIT_MS must be between 1 and 4500 (a messenger waits 5 seconds), "
                          f"got {config['WW_MESSAGE_WAIT_MS']!r}")
    proxies = config["WW_TRUSTED_PROXIES"]
    if isinstance(proxies, bool) or not isinstance(proxies, int) or not 0 <= proxies <= 5:
        raise ConfigError("WW_TRUSTED_PROXIES must be the number of reverse proxies in front of "
                          f"the app, 0 to 5, got {proxies!r}")
    for name in RETENTION_DEFAULTS:
        value = config[name]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_RETENTION_DAYS:
            raise ConfigError(f"{name} must be a number of days between 0 (keep) and "
                              f"{MAX_RETENTION_DAYS}, got {value!r}")
    return config


def _citizen_hash_key(env: str, secret: str, overrides: dict[str, Any]) -> str:
    """The pseudonym key. In production it must be its own: rotating SECRET_KEY (sessions) must
    not give every returning citizen a new pseudonym."""
    key = overrides.get("WW_CITIZEN_HASH_KEY") or os.environ.get("WW_CITIZEN_HASH_KEY")
    if env != "production":
        return key or secret
    if not key:
        raise ConfigError(
            "WW_CITIZEN_HASH_KEY is not set. In production window-watch refuses to start without "
            "it: set it to a long random string of its own (not SECRET_KEY), once, and keep it; "
            "changing it later gives every returning citizen a new pseudonym."
        )
    if key == secret:
        raise ConfigError("WW_CITIZEN_HASH_KEY must differ from SECRET_KEY: rotating the session "
                          "secret must not change the citizens' pseudonyms.")
    return key


def model_dir(instance: Path | None = None) -> str:
    """WW_MODEL_DIR, else the ``models`` folder of the instance (WW_INSTANCE_PATH, else ./instance).

    Read on its own by commands that analyse text without the platform (no database, no
    SECRET_KEY needed)."""
    if os.environ.get("WW_MODEL_DIR"):
        return os.environ["WW_MODEL_DIR"]
    if instance is None:
        instance = Path(os.environ.get("WW_INSTANCE_PATH") or "instance").resolve()
    return str(instance / "models")


def _ticket_settings() -> dict[str, Any]:
    raw = os.environ.get("WW_TICKET_NEGATIVE_BELOW")
    try:
        negative_below = float(raw) if raw and raw.strip() else 0.2
    except ValueError as exc:
        raise ConfigError(f"WW_TICKET_NEGATIVE_BELOW must be a number, got {raw!r}") from exc
    return {
        "WW_CALLBACK_WORKDAYS": _int("WW_CALLBACK_WORKDAYS", 1),
        "WW_FIX_WORKDAYS": _int("WW_FIX_WORKDAYS", 15),
        "WW_APPEAL_WORKDAYS": _int("WW_APPEAL_WORKDAYS", 5),
        "WW_AMBER_WORKDAYS": _int("WW_AMBER_WORKDAYS", 2),
        "WW_TICKET_NEGATIVE_BELOW": negative_below,
        "WW_TICKET_GROUP_DAYS": _int("WW_TICKET_GROUP_DAYS", 0),
        "WW_EVIDENCE_MAX_MB": _int("WW_EVIDENCE_MAX_MB", 10),
        "WW_REPEAT_MIN_WINDOWS": _int("WW_REPEAT_MIN_WINDOWS", 3),
        "WW_COVERT_EVIDENCE_MAX_MB": _int("WW_COVERT_EVIDENCE_MAX_MB", 50),
        "WW_OBJECTION_RATE_LIMIT": _int("WW_OBJECTION_RATE_LIMIT", 10),
        "WW_SMTP_URL": os.environ.get("WW_SMTP_URL", "").strip(),
    }


def _check_ticket_settings(config: dict[str, Any]) -> None:
    for name, low, high in (("WW_CALLBACK_WORKDAYS", 1, 30), ("WW_FIX_WORKDAYS", 1, 120),
                            ("WW_APPEAL_WORKDAYS", 1, 60), ("WW_AMBER_WORKDAYS", 0, 30),
                            ("WW_EVIDENCE_MAX_MB", 1, 15), ("WW_REPEAT_MIN_WINDOWS", 2, 100),
                            ("WW_COVERT_EVIDENCE_MAX_MB", 1, 500), ("WW_TICKET_GROUP_DAYS", 0, 3650),
                            ("WW_OBJECTION_RATE_LIMIT", 1, 1000)):
        if not low <= config[name] <= high:
            raise ConfigError(f"{name} must be between {low} and {high}, got {config[name]!r}")
    if config.get("WW_SMTP_URL"):
        from feedback_api.services.alert_delivery import SmtpConfigError, parse_smtp_url

        try:
            parse_smtp_url(config["WW_SMTP_URL"])
        except SmtpConfigError as exc:
            raise ConfigError(str(exc)) from exc
    if not 0 < config["WW_TICKET_NEGATIVE_BELOW"] < 0.5:
        raise ConfigError("WW_TICKET_NEGATIVE_BELOW must be above 0 and below 0.5 (0.5 is the "
                          f"model's neutral point), got {config['WW_TICKET_NEGATIVE_BELOW']!r}")


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
