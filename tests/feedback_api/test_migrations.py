"""Alembic is the only source of the schema: the migrations and the models agree."""

import pytest
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


def test_expert_role_migration_keeps_scopes_and_tokens_and_downgrades(tmp_path):
    """0014 widens users.role's CHECK by rebuilding ``users`` on SQLite: the rows that reference
    users (scopes, tokens, the audit log) survive it both ways, and the CHECK still holds."""
    from feedback_api.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'roles.db'}")
    schema.upgrade(engine, "0012")
    now = "2026-06-01 08:00:00.000000"

    def add_user(conn, name, role):
        conn.execute(sa.text(
            "INSERT INTO users (username, display_name, role, password_hash, active, created_at,"
            " failed_logins, session_version) VALUES (:u, :u, :r, 'x', 1, :now, 0, 1)"),
            {"u": name, "r": role, "now": now})
        uid = conn.execute(sa.text("SELECT id FROM users WHERE username = :u"), {"u": name}).scalar()
        conn.execute(sa.text("INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at)"
                             " VALUES (:id, 't', :h, 'p', :now)"), {"id": uid, "h": name * 4, "now": now})
        conn.execute(sa.text("INSERT INTO audit_log (user_id, actor, action, entity_type, entity_id,"
                             " created_at) VALUES (:id, :u, 'login', 'user', :u, :now)"),
                     {"id": uid, "u": name, "now": now})
        return uid

    with engine.begin() as conn:
        uid = add_user(conn, "authority-tax", "authority")
        conn.execute(sa.text("INSERT INTO user_scopes (user_id, industry) VALUES (:id, 'tax')"),
                     {"id": uid})

    def counts(conn):
        return [conn.execute(sa.text(f"SELECT count(*) FROM {t} WHERE user_id = :id"), {"id": uid})
                .scalar() for t in ("user_scopes", "api_tokens", "audit_log")]

    schema.upgrade(engine)
    with engine.begin() as conn:
        assert counts(conn) == [1, 1, 1]
        expert = add_user(conn, "expert1", "expert")
    with engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1  # back on after it
        with pytest.raises(sa.exc.IntegrityError):
            add_user(conn, "nobody", "citizen")
        conn.rollback()

    schema.downgrade(engine, "0012")
    with engine.begin() as conn:
        assert counts(conn) == [1, 1, 1]
        assert conn.execute(sa.text("SELECT count(*) FROM users WHERE role = 'expert'")).scalar() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM api_tokens WHERE user_id = :id"),
                            {"id": expert}).scalar() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM audit_log WHERE actor = 'expert1'"
                                    " AND user_id IS NULL")).scalar() == 1
    with engine.connect() as conn:
        with pytest.raises(sa.exc.IntegrityError):
            add_user(conn, "expert2", "expert")
    schema.upgrade(engine)
    with engine.connect() as conn:
        assert counts(conn) == [1, 1, 1]
        assert conn.execute(sa.text("PRAGMA foreign_key_check")).all() == []
    engine.dispose()
