"""A database connection that dies under a request (PostgreSQL restarted, a backend killed) must
not turn the end of the request into an error: found by the PostgreSQL restart drill, where
/healthz answered gunicorn's bare "Internal Server Error" because ending the request's
transaction (a ROLLBACK on the dead connection) raised in the teardown."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from feedback_api.db import Session
from feedback_api.services import health


def _kill_backend_of_the_session(app) -> None:
    pid = Session.execute(sa.select(sa.func.pg_backend_pid())).scalar_one()
    with app.extensions["ww_engine"].connect() as other:
        assert other.execute(sa.select(sa.func.pg_terminate_backend(pid))).scalar_one()
        other.commit()


@pytest.fixture
def postgresql(app):
    if app.extensions["ww_engine"].dialect.name != "postgresql":
        pytest.skip("a PostgreSQL backend killed under a request")


def test_the_end_of_a_request_survives_its_connection_dying(app, postgresql):
    with app.app_context():  # leaving it runs the teardown, which ends the transaction
        _kill_backend_of_the_session(app)
    with app.app_context():
        assert Session.execute(sa.select(sa.literal(1))).scalar_one() == 1  # served again


def test_healthz_answers_when_a_check_meets_a_dead_connection(app, client, postgresql,
                                                              monkeypatch):
    def dying_check():
        _kill_backend_of_the_session(app)
        return health.heartbeat_check("scheduler")()  # fails on the dead connection

    monkeypatch.setitem(app.extensions, "ww_health_checks", {"dying": dying_check})
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.get_json()["components"]["dying"] == {"status": "error"}
    monkeypatch.setitem(app.extensions, "ww_health_checks", {})
    assert client.get("/healthz").status_code == 200
