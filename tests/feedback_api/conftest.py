"""The core alone: ``feedback_api.app.create_app`` without admin_web (no UI, no WeChat), on the
same migrated database as the composed app."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from feedback_api import schema
from feedback_api.app import create_app as create_core_app
from feedback_api.db import Session, dispose_engines


@pytest.fixture(scope="session")
def core_app(app_config: dict[str, Any]) -> Iterator[Flask]:
    app = create_core_app(app_config)
    schema.upgrade(app.extensions["ww_engine"])
    yield app
    Session.remove()
    dispose_engines(app)


@pytest.fixture
def core_client(core_app: Flask) -> FlaskClient:
    return core_app.test_client()


@pytest.fixture
def core_runner(core_app: Flask) -> Any:
    return core_app.test_cli_runner()
