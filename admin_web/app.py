"""The composition root: the one place that mounts every blueprint, CLI command and scheduled job,
wires the sign-in and the error pages.

gunicorn serves ``"admin_web.app:create_app()"``; the ``window-watch`` command is ``main`` below.
"""

from __future__ import annotations

import sys
from typing import Any

import click
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from admin_web import (
    abuse,
    account_import,
    account_password,
    accounts,
    agency_reports,
    appeals,
    assessment,
    audit,
    auth,
    calendar,
    contacts,
    covert,
    dashboard,
    desk,
    feedback,
    home,
    inspections,
    profile,
    public,
    reports,
    ticket_links,
    tickets,
    windows,
)
from admin_web.cli import CommandGroup, serve
from admin_web.common import error_page, init_templates
from admin_web.cycle import publicity as cycle_publicity
from admin_web.cycle import review as cycle_review
from admin_web.cycle import submissions as cycle_submissions
from admin_web.cycle import year as cycle_year
from analytics import api as analytics_api
from analytics.assessment_cli import assessment_cli
from analytics.assessment_publish import publish_assessment_command
from analytics.assessment_run import nightly as assessment_nightly
from analytics.cli import nlp as nlp_cli
from analytics.daily import refresh as refresh_daily_sums
from analytics.delisting import evaluate_affected, evaluate_recent
from analytics.jobs import analyze_pending, retrain
from analytics.repeat_cli import repeats_cli
from analytics.repeat_problems import nightly as repeat_problems_nightly
from analytics.scheduler import TIMEZONE, Job, scheduler_command
from feedback_api.app import create_app as create_core_app
from feedback_api.cli import COMMANDS as CORE_COMMANDS
from feedback_api.config import ConfigError
from feedback_api.cycle_cli import cycle_cli, remind_job
from feedback_api.inspections_cli import inspections_cli
from feedback_api.services import ticket_jobs
from feedback_api.services.privacy import run_retention
from feedback_api.ticket_cli import tickets_cli
from wechat_bot import demo_contacts, outbox
from wechat_bot import health as wechat_health
from wechat_bot import privacy as wechat_privacy
from wechat_bot import staff as wechat_staff
from wechat_bot.cli import qrcodes_cli, simulate, wechat_cli
from wechat_bot.h5 import bp as wechat_h5_bp
from wechat_bot.jobs import deliver_outbox, fetch_evidence, purge_inbound_log
from wechat_bot.views import bp as wechat_bp

BLUEPRINTS = (auth.bp, home.bp, windows.bp, feedback.bp, desk.bp, audit.bp, tickets.bp, appeals.bp, abuse.bp,
              ticket_links.bp, calendar.bp, contacts.bp, assessment.bp, dashboard.bp, inspections.bp,
              covert.bp, reports.bp,
              cycle_year.bp, cycle_submissions.bp, cycle_review.bp, cycle_publicity.bp, public.bp,
              profile.bp, agency_reports.bp, accounts.bp, account_import.bp, account_password.bp, wechat_bp,
              wechat_h5_bp)
#: /api/v1 operations outside the core (they need analytics), in the same document.
API_BLUEPRINTS = (analytics_api.bp,)
CLI_COMMANDS = (nlp_cli, scheduler_command, wechat_cli, qrcodes_cli, simulate, tickets_cli,
                inspections_cli, assessment_cli, cycle_cli, repeats_cli, serve)

# The assessment publishes into the cycle's public page; feedback_api's group cannot import it.
cycle_cli.add_command(publish_assessment_command)

#: Every scheduled job; `window-watch scheduler` runs them in its own process.
JOBS = [
    Job("nlp-analyze-pending", analyze_pending, IntervalTrigger(seconds=30),
        "analyse new opinions (topics, sentiment, keywords, masking)"),
    Job("nlp-retrain-weekly", retrain, CronTrigger(day_of_week="sun", hour=3, timezone=TIMEZONE),
        "retrain the NLP model from the reviewers' corrections; promote only if not worse"),
    Job("wechat-deliver-outbox", deliver_outbox, IntervalTrigger(seconds=60),
        "send queued messages to citizens (customer-service, else template), retrying"),
    Job("wechat-fetch-evidence", fetch_evidence, IntervalTrigger(seconds=60),
        "save the images citizens sent while WeChat keeps them (3 days)"),
    Job("wechat-purge-inbound-log", purge_inbound_log, IntervalTrigger(hours=24),
        "forget the inbound-message log older than WW_WECHAT_LOG_DAYS (default 30)"),
    Job("privacy-retention", run_retention, CronTrigger(hour=3, minute=40, timezone=TIMEZONE),
        "erase personal data past its retention days (WW_RETAIN_…), keeping every score"),
    # Supervision tickets (督办单): also `window-watch tickets auto-open|mark-overdue|alerts|digest`.
    Job("tickets-auto-open", ticket_jobs.auto_open, IntervalTrigger(minutes=5),
        "open a ticket for every counted 差评 and clearly negative opinion"),
    Job("tickets-mark-overdue", ticket_jobs.mark_overdue, IntervalTrigger(minutes=30),
        "mark rounds and call-backs past their working-day deadlines"),
    Job("tickets-alerts", ticket_jobs.send_alerts, IntervalTrigger(minutes=5),
        "e-mail units about new 差评 and tickets (WW_SMTP_URL)"),
    Job("tickets-digest", ticket_jobs.send_digest, CronTrigger(hour=8, minute=30, timezone=TIMEZONE),
        "e-mail each unit the day's tickets due (08:30)"),
    Job("assessment-delisting-nightly", evaluate_recent, CronTrigger(hour=2, timezone=TIMEZONE),
        "check the delisting rules on the year's records; open proposals for the office"),
    Job("assessment-daily-sums", refresh_daily_sums,
        CronTrigger(hour=2, minute=10, timezone=TIMEZONE),
        "per-window per-day feedback sums: recompute the days whose feedback changed"),
    Job("assessment-nightly", assessment_nightly,
        CronTrigger(hour=2, minute=15, timezone=TIMEZONE),
        "store each quarter's assessment once it has ended (as assessment run does)"),
    Job("repeat-problems-nightly", repeat_problems_nightly,
        CronTrigger(hour=2, minute=20, timezone=TIMEZONE),
        "repeat problems across an industry's windows; e-mail the authority once per period"),
    Job("cycle-remind", remind_job, CronTrigger(hour=8, minute=30, timezone=TIMEZONE),
        "record reminders 7/3/1 days before programme deadlines, queue each once to the alert channels"),
]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = create_core_app(config, blueprints=BLUEPRINTS, api_blueprints=API_BLUEPRINTS,
                          cli_groups=CLI_COMMANDS,
                          error_page=error_page, import_name="admin_web")
    auth.init_login(app)
    account_password.init_forced_change(app)
    init_templates(app)
    outbox.connect()  # the core's answers reach WeChat citizens through the outbox
    wechat_staff.connect()  # staff alerts also go to bound staff in WeChat (template messages)
    demo_contacts.connect()  # the demo's WeChat citizens can be answered
    app.extensions["ww_jobs"] = JOBS
    # /healthz: the WeChat outbox's backlog beside the database and the scheduler's heartbeat.
    app.extensions["ww_health_checks"] = {"wechat_outbox": wechat_health.outbox_backlog}
    # What the WeChat side erases when personal data is past its days or a citizen asks.
    app.extensions["ww_privacy"] = [wechat_privacy.HOOKS]
    # An inspection or covert visit written (page, API, CLI) runs the delisting rules at once.
    app.extensions["ww_delisting_rules"] = evaluate_affected
    proxies = app.config["WW_TRUSTED_PROXIES"]
    if proxies:
        # Behind nginx: the per-IP limits (H5, sign-in) and secure-cookie checks must see the
        # citizen's address and scheme, from the headers only the trusted proxies set.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    return app


@click.group(cls=CommandGroup, create_app=create_app, add_default_commands=False,
             add_version_option=False, load_dotenv=False)
def cli() -> None:
    """window-watch: 文明诚信示范窗口监督平台."""


for _command in (*CORE_COMMANDS, *CLI_COMMANDS):
    cli.add_command(_command)


def main() -> None:
    """Entry point of the ``window-watch`` command: configuration errors end with a message."""
    try:
        cli.main(prog_name="window-watch")
    except ConfigError as exc:
        click.echo(f"配置错误 / configuration error: {exc}", err=True)
        sys.exit(2)
