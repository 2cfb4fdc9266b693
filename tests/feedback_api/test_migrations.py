"""Alembic is the only source of the schema: the migrations and the models agree."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import feedback_api.models  # noqa: F401
from feedback_api import schema
from feedback_api.db import Base


def test_models_and_migrations_agree(app):
    engine = app.extensions["ww_engine"]
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_database_is_at_head(app):
    with app.extensions["ww_engine"].connect() as conn:
        assert schema.current_revision(conn) == schema.head_revision()


def test_every_model_table_is_created_by_migrations(app):
    inspector = sa.inspect(app.extensions["ww_engine"])
    assert set(Base.metadata.tables) <= set(inspector.get_table_names())


def test_upgrade_from_empty_database(tmp_path):
    from feedback_api.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    schema.upgrade(engine)
    with engine.connect() as conn:
        assert schema.current_revision(conn) == schema.head_revision()
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
    schema.downgrade(engine, "base")
    assert "windows" not in sa.inspect(engine).get_table_names()
    schema.upgrade(engine)
    assert "windows" in sa.inspect(engine).get_table_names()
    engine.dispose()


def test_a_percent_encoded_database_url_reaches_alembic_unchanged():
    """A password with special characters, or a Unix socket directory, is percent-encoded in
    DATABASE_URL; Alembic's configparser must not read the % as interpolation."""
    url = "postgresql+psycopg://ww:p%40ss%25word@/ww?host=%2Fvar%2Frun%2Fpostgresql"
    engine = sa.create_engine(url)
    try:
        cfg = schema.alembic_config(engine)
        assert cfg.get_main_option("sqlalchemy.url") == engine.url.render_as_string(
            hide_password=False)
        assert sa.make_url(cfg.get_main_option("sqlalchemy.url")).password == "p@ss%word"
    finally:
        engine.dispose()
