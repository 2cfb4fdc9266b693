"""Schema management through Alembic: ``migrations/`` is the only source of the schema."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(engine: sa.Engine) -> Config:
    cfg = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # The option goes through configparser's interpolation: a percent-encoded password or
    # socket path (``?host=%2Fvar%2Frun%2Fpostgresql``) must have its % doubled.
    url = engine.url.render_as_string(hide_password=False)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: sa.Engine, revision: str = "head", *, instance_path: str | None = None) -> None:
    """Migrate the database to ``revision`` (the latest by default). ``instance_path``: the
    app's instance folder, for migrations that move stored files (else WW_INSTANCE_PATH)."""
    cfg = alembic_config(engine)
    cfg.attributes["instance_path"] = instance_path
    # Not engine.begin(): the migrations begin and commit their own transaction, since on SQLite
    # foreign keys must be switched off before it (see migrations/env.py).
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: sa.Engine, revision: str, *, instance_path: str | None = None) -> None:
    cfg = alembic_config(engine)
    cfg.attributes["instance_path"] = instance_path
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def head_revision() -> str | None:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return script.get_current_head()


def current_revision(connection: sa.Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
