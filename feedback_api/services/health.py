"""What /healthz reports beside the database: the background processes' heartbeats, free disk
space, and the checks other packages register (the WeChat outbox's backlog) in
``app.extensions["ww_health_checks"]``.

A check returns ``{"status": "ok" | <a word for what is wrong>, ...figures}``; /healthz says
"degraded" while any is not ok, and stays 200: a web worker still serves citizens while the
scheduler is down, so a load balancer must not take it out of rotation.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app

from feedback_api.db import Session, end_session, get_engine, utcnow
from feedback_api.models import Heartbeat

HealthCheck = Callable[[], dict[str, Any]]
#: The scheduler beats every BEAT_SECONDS; past STALE_AFTER without a beat it counts as down.
BEAT_SECONDS = 30
STALE_AFTER = timedelta(seconds=120)


def beat(name: str, *, now: datetime | None = None) -> None:
    """Record that the process ``name`` is alive (the caller commits)."""
    row = Session.get(Heartbeat, name)
    if row is None:
        row = Heartbeat(name=name)
        Session.add(row)
    row.beat_at, row.host, row.pid = now or utcnow(), socket.gethostname()[:255], os.getpid()
    Session.flush()


def heartbeat_check(name: str) -> HealthCheck:
    def check() -> dict[str, Any]:
        row = Session.get(Heartbeat, name)
        if row is None:
            return {"status": "never_seen"}
        age = (utcnow() - row.beat_at).total_seconds()
        return {"status": "ok" if age <= STALE_AFTER.total_seconds() else "stale",
                "last_beat_at": row.beat_at.isoformat(), "seconds_ago": int(age)}
    return check


def storage_check() -> dict[str, Any]:
    """Free space where the platform writes: the SQLite database's folder (a full disk makes
    every commit fail: citizens are told 系统繁忙 and nothing is stored) and the instance folder
    (uploads, pictures, backups). ``low_space`` below WW_DISK_MIN_FREE_MB; no paths shown."""
    folders = {"instance": Path(current_app.config["WW_INSTANCE_PATH"])}
    database = get_engine().url
    if database.get_backend_name() == "sqlite" and database.database not in (None, "", ":memory:"):
        folders["database"] = Path(database.database).resolve().parent
    minimum = int(current_app.config.get("WW_DISK_MIN_FREE_MB", DISK_MIN_FREE_MB))
    free = {}
    for name, folder in folders.items():
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent  # not made yet: the disk it will be made on
        free[name] = shutil.disk_usage(folder).free // (1024 * 1024)
    return {"status": "low_space" if min(free.values()) < minimum else "ok",
            "free_mb": free, "min_free_mb": minimum}


#: Default of WW_DISK_MIN_FREE_MB.
DISK_MIN_FREE_MB = 200


def component_checks() -> dict[str, dict[str, Any]]:
    """Every registered check; one that raises reports ``error`` instead of failing /healthz."""
    checks: dict[str, HealthCheck] = {"scheduler": heartbeat_check("scheduler"),
                                      "storage": storage_check,
                                      **current_app.extensions.get("ww_health_checks", {})}
    out: dict[str, dict[str, Any]] = {}
    for name, check in checks.items():
        try:
            out[name] = check()
        except Exception as exc:  # a health check reports, it never raises
            current_app.logger.warning("healthz: check %s failed: %s", name, exc)
            end_session(rollback=True)  # its connection may be dead: discarded then
            out[name] = {"status": "error"}
    return out
