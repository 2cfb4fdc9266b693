"""The composition root: the one place that mounts every blueprint and CLI group.

gunicorn serves ``"admin_web.app:create_app()"``; the ``window-watch`` command is ``cli`` below.
"""

from __future__ import annotations

from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup

from feedback_api.app import create_app as create_core_app


def create_app(config: dict[str, Any] | None = None) -> Flask:
    from admin_web.views import bp as admin_bp

    blueprints = [admin_bp]
    cli_groups = []
    try:
        from analytics.cli import nlp as nlp_cli
    except ImportError:  # analytics.cli arrives with the NLP work
        nlp_cli = None
    if nlp_cli is not None:
        cli_groups.append(nlp_cli)
    app = create_core_app(config, blueprints=blueprints, cli_groups=cli_groups,
                          import_name="admin_web")
    # What `window-watch serve` hands to gunicorn: this very factory, as in production.
    app.config.setdefault("WW_WSGI_APP", "admin_web.app:create_app()")
    return app


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=False,
             add_version_option=False, load_dotenv=False)
def cli() -> None:
    """window-watch: 文明诚信示范窗口监督平台."""


def main() -> None:
    """Entry point of the ``window-watch`` command: configuration errors end with a message."""
    import sys

    from feedback_api.config import ConfigError

    try:
        cli.main(prog_name="window-watch")
    except ConfigError as exc:
        click.echo(f"配置错误 / configuration error: {exc}", err=True)
        sys.exit(2)
