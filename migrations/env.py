"""Alembic environment: the schema is the models' metadata (the core's and WeChat's).

The connection comes from the app."""

from __future__ import annotations

from contextlib import nullcontext

import sqlalchemy as sa
from alembic import context

import feedback_api.models  # noqa: F401  (registers every table)
import wechat_bot.models  # noqa: F401  (WeChat's tables live with WeChat)
from feedback_api.db import Base, UTCDateTime, make_engine

config = context.config
target_metadata = Base.metadata


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    # Migrations spell our UTC wrapper as the plain type it stores, so they never import app code.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _sqlite_foreign_keys(connection: sa.Connection, on: bool) -> None:
    # On the DBAPI connection, outside any transaction: inside one SQLite ignores the pragma,
    # and SQLAlchemy would begin one for a statement of its own.
    connection.connection.dbapi_connection.execute(  # type: ignore[union-attr]
        f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def _run(connection: sa.Connection) -> None:
    # Batch mode rebuilds a SQLite table by copying it and dropping the old one; with foreign keys
    # on, that drop deletes (ON DELETE CASCADE) or orphans every row referencing it. Alembic's
    # documented remedy: foreign keys off for the migrations (the pragma only works outside a
    # transaction), and the references checked before the one transaction commits.
    own = not connection.in_transaction()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite and not own:
        raise RuntimeError("SQLite migrations need a connection outside a transaction "
                           "(feedback_api.schema.upgrade gives one)")
    if sqlite:
        _sqlite_foreign_keys(connection, False)
    try:
        # One transaction for the whole run on every engine: Alembic joins it.
        with connection.begin() if own else nullcontext():
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=True,  # SQLite cannot ALTER most things; batch mode rebuilds tables
                compare_type=True,
                render_item=_render_item,
            )
            with context.begin_transaction():
                context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"the migration broke foreign keys: {broken[:10]}")
    finally:
        if sqlite:
            _sqlite_foreign_keys(connection, True)


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
