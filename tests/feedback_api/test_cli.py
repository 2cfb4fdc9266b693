"""The stable CLI: users add, tokens create, windows import/export, demo (the core's commands, on the
core app alone), db upgrade and help through the console script."""

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from feedback_api.models import Feedback, FeedbackAnswer, User, Window
from wechat_bot.models import OutboundMessage


def test_users_add_with_role_and_scope(core_runner, db, district):
    result = core_runner.invoke(args=["users", "add", "hr-auth", "--role", "authority",
                                 "--scope", "social_security", "--scope", "CD-SW-001",
                                 "--password", "long-enough-pw"])
    assert result.exit_code == 0, result.output
    with db() as s:
        user = s.scalars(sa.select(User).where(User.username == "hr-auth")).one()
        assert user.role == "authority"
        assert sorted((x.industry or "", x.window.code if x.window else "") for x in user.scopes) == [
            ("", "CD-SW-001"), ("social_security", "")]


def test_users_add_refuses_bad_input_with_a_message(core_runner, district):
    r = core_runner.invoke(args=["users", "add", "x", "--role", "unit", "--password", "long-enough-pw"])
    assert r.exit_code == 1 and "须指定范围" in r.output
    r = core_runner.invoke(args=["users", "add", "x", "--role", "unit", "--scope", "NOPE",
                            "--password", "long-enough-pw"])
    assert r.exit_code == 1 and "NOPE" in r.output
    r = core_runner.invoke(args=["users", "add", "office", "--role", "office", "--password", "long-enough-pw"])
    assert r.exit_code == 1 and "已存在" in r.output
    r = core_runner.invoke(args=["users", "add", "y", "--role", "office", "--password", "short"])
    assert r.exit_code == 1 and "至少" in r.output


def test_tokens_create_prints_the_token_alone(core_runner, core_client, district):
    result = core_runner.invoke(args=["tokens", "create", "unit"])
    assert result.exit_code == 0
    token = result.stdout.strip()
    assert result.stdout == token + "\n" and token.startswith("ww_")
    resp = core_client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert resp.get_json() == {"username": "unit", "role": "unit", "scopes": ["CD-SW"]}
    missing = core_runner.invoke(args=["tokens", "create", "ghost"])
    assert missing.exit_code == 1 and "不存在" in missing.output


def test_windows_import_then_export(core_runner, tmp_path, db, district):
    path = tmp_path / "ledger.csv"
    path.write_bytes("窗口编号,窗口名称,所属单位\nCD-SW-005,退税窗口,CD-SW\nbad code,x,CD-SW\n"
                     .encode("gb18030"))
    result = core_runner.invoke(args=["windows", "import", str(path)])
    assert result.exit_code == 1  # one row refused
    assert "第 3 行" in result.output and "新增 1 个" in result.output
    result = core_runner.invoke(args=["windows", "export"])
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0][0] == "窗口编号"
    assert {r[0] for r in rows[1:]} == {"CD-SW-001", "CD-SW-002", "CD-SW-005", "CD-RMYY-001", "CD-RMYY-002"}
    out = tmp_path / "out.xlsx"
    assert core_runner.invoke(args=["windows", "export", "-o", str(out)]).exit_code == 0
    assert out.read_bytes()[:2] == b"PK"
    template = tmp_path / "模板.xlsx"
    assert core_runner.invoke(args=["windows", "template", str(template)]).exit_code == 0
    from openpyxl import load_workbook
    assert load_workbook(template).worksheets[0]["A1"].value == "窗口编号*"


def test_demo_is_safe_to_run_twice(core_runner, db):
    first = core_runner.invoke(args=["demo", "--feedback-per-window", "5"])
    assert first.exit_code == 0, first.output
    assert "office / office-demo-2026" in first.output
    with db() as s:
        counts = (s.scalar(sa.select(sa.func.count()).select_from(Window)),
                  s.scalar(sa.select(sa.func.count()).select_from(Feedback)),
                  s.scalar(sa.select(sa.func.count()).select_from(User)))
        units = s.scalar(sa.select(sa.func.count(sa.distinct(Window.unit_id))))
        ratings = set(s.scalars(sa.select(Feedback.rating).distinct()))
    assert counts == (40, 200, 12) and units == 8 and ratings <= {1, 2, 3, 4, 5} and len(ratings) >= 3
    with db() as s:  # README's demo sign-ins go straight to work, no forced password change
        assert s.scalars(sa.select(User.username).where(User.must_change_password)).all() == []
    with db() as s:  # complaints carry answers (a verified ticket's, or the agency's to a
        # reviewed opinion); nothing is queued to demo citizens
        answered = s.execute(sa.select(Feedback.rating, Feedback.review_state, Feedback.text)
                             .join(FeedbackAnswer, FeedbackAnswer.feedback_id == Feedback.id)).all()
        assert answered and all(r <= 2 for r, _state, _text in answered)
        assert s.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 0
    second = core_runner.invoke(args=["demo", "--feedback-per-window", "5"])
    assert second.exit_code == 0 and "新增 0 条评价" in second.output
    with db() as s:
        assert (s.scalar(sa.select(sa.func.count()).select_from(Window)),
                s.scalar(sa.select(sa.func.count()).select_from(Feedback)),
                s.scalar(sa.select(sa.func.count()).select_from(User))) == counts


def _cli(args, env_extra, cwd):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "WW_ENV"}}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-m", "admin_web", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


def test_console_script_upgrades_a_fresh_database(tmp_path, repo_root):
    env = {"WW_ENV": "development", "WW_INSTANCE_PATH": str(tmp_path / "inst")}
    result = _cli(["db", "upgrade"], env, repo_root)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "inst" / "window-watch.db").exists()
    again = _cli(["db", "current"], env, repo_root)
    assert "current: 0" in again.stdout and again.stdout.split()[1] == again.stdout.split()[3]


def test_production_without_secret_key_refuses_to_start(tmp_path, repo_root):
    result = _cli(["db", "upgrade"], {"WW_INSTANCE_PATH": str(tmp_path)}, repo_root)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr and "Traceback" not in result.stderr


def _fresh_install(args, tmp_path, stdin=None):
    """The console script with nothing configured: no SECRET_KEY, no DATABASE_URL, no WW_*."""
    script = Path(sys.executable).with_name("window-watch")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    return subprocess.run([str(script), *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path, input=stdin, timeout=120)


def test_help_lists_every_command_with_no_configuration(tmp_path):
    top = _fresh_install(["--help"], tmp_path)
    assert top.returncode == 0, top.stderr
    assert "Traceback" not in top.stderr and "配置错误" not in top.stderr
    for command in ("db", "users", "tokens", "windows", "demo", "serve", "scheduler", "nlp",
                    "wechat", "qrcodes", "simulate"):
        assert f"\n  {command} " in top.stdout, command
    for group, commands in (("db", ("upgrade", "current")), ("users", ("add", "passwd", "list")),
                            ("nlp", ("analyze", "evaluate", "analyze-pending")),
                            ("wechat", ("deliver",))):
        result = _fresh_install([group, "--help"], tmp_path)
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
        for command in commands:
            assert f"\n  {command} " in result.stdout, (group, command)
    assert list(tmp_path.iterdir()) == []  # nothing created: no instance folder, no database


def test_nlp_analyze_runs_without_secret_key_but_the_database_commands_refuse(tmp_path):
    result = _fresh_install(["nlp", "analyze"], tmp_path, stdin="工作人员态度很好\n")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["topics"][0]["topic"] == "attitude"
    refused = _fresh_install(["users", "list"], tmp_path)
    assert refused.returncode == 2 and "SECRET_KEY" in refused.stderr
    assert "Traceback" not in refused.stderr
