"""WW_CITIZEN_HASH_KEY: its own key in production, never SECRET_KEY (issue 12, item 8)."""

from __future__ import annotations

import pytest

from feedback_api.config import ConfigError, load_config

SECRET = "s" * 64


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("WW_CITIZEN_HASH_KEY", "SECRET_KEY", "WW_ENV", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_production_refuses_to_start_without_its_own_citizen_hash_key(clean_env, tmp_path):
    base = {"WW_ENV": "production", "SECRET_KEY": SECRET, "WW_INSTANCE_PATH": str(tmp_path)}
    with pytest.raises(ConfigError, match="WW_CITIZEN_HASH_KEY is not set"):
        load_config(base)
    with pytest.raises(ConfigError, match="WW_CITIZEN_HASH_KEY must differ from SECRET_KEY"):
        load_config({**base, "WW_CITIZEN_HASH_KEY": SECRET})
    clean_env.setenv("WW_CITIZEN_HASH_KEY", "c" * 64)
    assert load_config(base)["WW_CITIZEN_HASH_KEY"] == "c" * 64


@pytest.mark.parametrize("env", ["development", "testing"])
def test_development_and_testing_fall_back_to_the_secret(clean_env, tmp_path, env):
    config = load_config({"WW_ENV": env, "SECRET_KEY": SECRET, "WW_INSTANCE_PATH": str(tmp_path)})
    assert config["WW_CITIZEN_HASH_KEY"] == SECRET
