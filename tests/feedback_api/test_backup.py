"""`window-watch backup` and `window-watch restore`: a populated database, backed up and restored
into an empty one, comes back identical, table by table and row by row."""

from __future__ import annotations

import pytest

from admin_web.app import create_app
from feedback_api.db import dispose_engines
from feedback_api.demo import seed_demo
from tests.db_compare import drop_scratch_database, scratch_database, table_rows


@pytest.fixture
def populated(db):
    with db():
        seed_demo(feedback_per_window=4)


def test_backup_then_restore_into_an_empty_database_keeps_every_row(
        app, app_config, populated, runner, tmp_path):
    source = app.extensions["ww_engine"]
    before = table_rows(source)
    assert sum(len(rows) for rows in before.values()) > 200
    filled = sorted(name for name, rows in before.items() if rows)
    assert {"windows", "feedback_items", "users", "alembic_version"} <= set(filled)

    out = tmp_path / "ww.backup"
    result = runner.invoke(args=["backup", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file() and out.stat().st_size > 0
    assert not list(tmp_path.glob("*.partial"))

    target_url = scratch_database(app_config["DATABASE_URL"], "restore", tmp_path)
    target = create_app({**app_config, "DATABASE_URL": target_url})
    try:
        result = target.test_cli_runner().invoke(args=["restore", str(out)])
        assert result.exit_code == 0, result.output
        after = table_rows(target.extensions["ww_engine"])
        assert sorted(after) == sorted(before)
        for name in before:
            assert after[name] == before[name], f"table {name} differs after restore"
        print(f"backup/restore: {len(before)} tables ({len(filled)} with rows), "
              f"{sum(len(r) for r in before.values())} rows compared")

        # A second restore into the now populated database is refused and changes nothing.
        again = target.test_cli_runner().invoke(args=["restore", str(out)])
        assert again.exit_code == 1
        assert "不是空的" in again.output
        assert table_rows(target.extensions["ww_engine"]) == after
    finally:
        dispose_engines(target)
        drop_scratch_database(target_url)


def test_backup_without_output_goes_to_the_instance_backups_folder(app, runner, app_config):
    result = runner.invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    written = result.stdout.strip().splitlines()[0]
    assert written.startswith(app_config["WW_INSTANCE_PATH"])
    assert "/backups/window-watch-" in written


def test_restoring_a_missing_or_broken_file_is_a_clear_error(app, app_config, tmp_path):
    target_url = scratch_database(app_config["DATABASE_URL"], "broken", tmp_path)
    target = create_app({**app_config, "DATABASE_URL": target_url})
    try:
        cli = target.test_cli_runner()
        missing = cli.invoke(args=["restore", str(tmp_path / "nope.dump")])
        assert missing.exit_code == 1 and "不存在" in missing.output
        broken = tmp_path / "broken.dump"
        broken.write_bytes(b"this is not a backup" * 100)
        result = cli.invoke(args=["restore", str(broken)])
        assert result.exit_code == 1
        assert "错误" in result.output and "Traceback" not in result.output
    finally:
        dispose_engines(target)
        drop_scratch_database(target_url)
