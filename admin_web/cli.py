"""The ``window-watch`` command group, and ``serve``: gunicorn running the composition root."""

from __future__ import annotations

import os
import sys
from typing import Any

import click
from flask.cli import FlaskGroup, with_appcontext

#: What gunicorn serves: the composition root's factory, as in production.
WSGI_APP = "admin_web.app:create_app()"
#: gunicorn's documented maximum request line (its default is 4,094). A longer URL gets
#: gunicorn's own English 414, which no setting translates; the filter forms' maxlengths keep
#: their URLs far below this (tests/admin_web/test_filter_urls.py).
REQUEST_LINE_LIMIT = 8190


class CommandGroup(FlaskGroup):
    """Every command is registered on the group itself, so listing them (``--help``) and finding
    one never builds the app: help works on a fresh install with no configuration, and only the
    commands that need the app (``with_appcontext``) build it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Flask's --app, --env-file and --debug: the app is this package's, and its configuration
        # comes only from the environment.
        self.params = [p for p in self.params if p.name not in {"app", "env_file", "debug"}]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return click.Group.get_command(self, ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return click.Group.list_commands(self, ctx)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@with_appcontext  # builds the app once here, so a configuration error shows before gunicorn starts
def serve(host: str, port: int, workers: int) -> None:
    """Serve the platform with gunicorn, exactly as in production."""
    click.echo(f"window-watch 正在 http://{host}:{port}/ 上运行（Ctrl+C 停止）", err=True)
    sys.stdout.flush()
    sys.stderr.flush()
    # A fresh interpreter: the CLI's app context must not leak into the workers' requests.
    os.execv(sys.executable, [
        sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}", "--workers", str(workers),
        "--access-logfile", "-", "--logger-class", "admin_web.accesslog.AccessLogger",
        "--timeout", "60", "--limit-request-line", str(REQUEST_LINE_LIMIT), WSGI_APP,
    ])
