"""Shared fixtures: a migrated database (SQLite file, or PostgreSQL from DATABASE_URL), the app,
clients and helpers. Tables are emptied after every test, so live servers see committed data."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from admin_web.app import create_app
from feedback_api import schema
from feedback_api.db import Base, Session, dispose_engines, make_engine
from feedback_api.services.window_cards import forget_window_cards
from tests.mail import Inbox, start_smtp

TEST_SECRET = "test-secret-key-not-for-production"


def _reset_database(url: str) -> None:
    """Start from an empty database so the migrations build the whole schema."""
    engine = make_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        else:
            for table in reversed(sa.MetaData().tables.values()):
                conn.execute(sa.text(f'DROP TABLE IF EXISTS "{table.name}"'))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        _reset_database(url)
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def app_config(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return {
        "WW_ENV": "testing",
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": database_url,
        "WW_INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
        "SESSION_COOKIE_SECURE": False,
        # Fast hashing keeps fixtures quick; production keeps scrypt.
        "WW_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }


@pytest.fixture(scope="session")
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app(app_config)
    schema.upgrade(app.extensions["ww_engine"])
    yield app
    Session.remove()
    dispose_engines(app)


@pytest.fixture(autouse=True)
def _empty_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    names = [n for n in ("app", "core_app") if n in request.fixturenames]
    if not names:
        return
    app: Flask = request.getfixturevalue(names[0])
    Session.remove()
    engine = app.extensions["ww_engine"]
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    with app.app_context():
        forget_window_cards()  # the rows went without the ORM


@pytest.fixture
def db(app: Flask) -> Callable[[], Any]:
    """``with db() as s:`` runs in a fresh app context and commits at the end."""

    @contextmanager
    def _ctx() -> Iterator[Any]:
        with app.app_context():
            yield Session
            Session.commit()

    return _ctx


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def district(db: Callable[[], Any]) -> dict[str, Any]:
    """A small district: two units in two industries, four windows, a user of each role."""
    from feedback_api.services import units, users, windows

    with db():
        units.ensure_unit(None, name="城东区税务局办税服务厅", code="CD-SW", industry="tax",
                          authority="城东区税务局")
        units.ensure_unit(None, name="城东区人民医院", code="CD-RMYY", industry="health",
                          authority="城东区卫生健康局")
        for code, name, unit in (("CD-SW-001", "综合办税窗口", "CD-SW"),
                                 ("CD-SW-002", "发票领用窗口", "CD-SW"),
                                 ("CD-RMYY-001", "门诊挂号收费处", "CD-RMYY"),
                                 ("CD-RMYY-002", "住院结算窗口", "CD-RMYY")):
            windows.create_window(None, {"code": code, "name": name, "unit": unit})
        # Listed long ago: a quarter assesses only the windows listed (挂牌) before its end.
        from feedback_api.models import Window

        for w in Session.query(Window):
            w.listed_on = date(2025, 1, 1)
        for name, role, scopes in (("office", "office", []), ("agency", "agency", []),
                                   ("authority", "authority", ["health"]),
                                   ("unit", "unit", ["CD-SW"])):
            users.create_user(None, name, role=role, password=f"{name}-password", scopes=scopes)
    return {"password": lambda name: f"{name}-password"}


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def csrf_token(self, path: str = "/login") -> str:
        import re

        html = self.client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
            r'name="csrf_token" value="([^"]+)"', html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, username: str, password: str | None = None) -> Any:
        return self.client.post(
            "/login",
            data={"username": username, "password": password or f"{username}-password",
                  "csrf_token": self.csrf_token()},
        )


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def token_for(db: Callable[[], Any]) -> Callable[[str], dict[str, str]]:
    """Headers with a fresh bearer token for the named user."""
    from feedback_api.services import users

    def _make(username: str) -> dict[str, str]:
        with db():
            raw = users.create_token(None, users.get_user(username), "test")
        return {"Authorization": f"Bearer {raw}"}

    return _make


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture
def smtp_server(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Any], Any]]:
    """Starts a real SMTP server on loopback with the given aiosmtpd handler and points the
    app's ``WW_SMTP_URL`` at it; returns the handler. Servers stop after the test."""
    controllers = []

    def _start(handler: Any) -> Any:
        controller, port = start_smtp(handler)
        controllers.append(controller)
        monkeypatch.setitem(app.config, "WW_SMTP_URL",
                            f"smtp://127.0.0.1:{port}?from=alerts@ww.example.cn")
        return handler

    try:
        yield _start
    finally:
        for controller in controllers:
            controller.stop()


@pytest.fixture
def smtp(smtp_server: Callable[[Any], Any]) -> Inbox:
    """The mail the app sends during the test, received by a real SMTP server on loopback."""
    return smtp_server(Inbox())


@pytest.fixture
def titled_district(db: Callable[[], Any], district: dict[str, Any]) -> dict[str, Any]:
    """The district with its four windows holding the title (示范): delisting applies only then."""
    from tests.assessment_helpers import award

    with db():
        award("CD-SW-001", "CD-SW-002", "CD-RMYY-001", "CD-RMYY-002")
    return district
