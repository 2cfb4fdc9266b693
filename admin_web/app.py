"""The composition root: the one place that mounts every blueprint, CLI group and scheduled job.

gunicorn serves ``"admin_web.app:create_app()"``; the ``window-watch`` command is ``main`` below.
"""

from __future__ import annotations

import sys
from typing import Any

import click
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from flask.cli import FlaskGroup

from admin_web.views import bp as admin_bp
from analytics.cli import nlp as nlp_cli
from analytics.scheduler import Job, scheduler_command
from feedback_api.app import create_app as create_core_app
from feedback_api.config import ConfigError
from wechat_bot import outbox
from wechat_bot.cli import qrcodes_cli, simulate, wechat_cli
from wechat_bot.h5 import bp as wechat_h5_bp
from wechat_bot.jobs import deliver_outbox, fetch_evidence, purge_inbound_log
from wechat_bot.views import bp as wechat_bp

BLUEPRINTS = (admin_bp, wechat_bp, wechat_h5_bp)
CLI_GROUPS = (nlp_cli, scheduler_command, wechat_cli, qrcodes_cli, simulate)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = create_core_app(config, blueprints=BLUEPRINTS, cli_groups=CLI_GROUPS,
                          import_name="admin_web")
    outbox.connect()  # the core's answers reach WeChat citizens through the outbox
    # Jobs of packages analytics may not import; the scheduler process picks them up.
    app.extensions["ww_jobs"] = [
        Job("wechat-deliver-outbox", deliver_outbox, IntervalTrigger(seconds=60),
            "send queued messages to citizens (customer-service, else template), retrying"),
        Job("wechat-fetch-evidence", fetch_evidence, IntervalTrigger(seconds=60),
            "save the images citizens sent while WeChat keeps them (3 days)"),
        Job("wechat-purge-inbound-log", purge_inbound_log, IntervalTrigger(hours=24),
            "forget the inbound-message log older than WW_WECHAT_LOG_DAYS (default 30)"),
    ]
    # What `window-watch serve` hands to gunicorn: this very factory, as in production.
    app.config.setdefault("WW_WSGI_APP", "admin_web.app:create_app()")
    return app


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=False,
             add_version_option=False, load_dotenv=False)
def cli() -> None:
    """window-watch: 文明诚信示范窗口监督平台."""


def main() -> None:
    """Entry point of the ``window-watch`` command: configuration errors end with a message."""
    try:
        cli.main(prog_name="window-watch")
    except ConfigError as exc:
        click.echo(f"配置错误 / configuration error: {exc}", err=True)
        sys.exit(2)
