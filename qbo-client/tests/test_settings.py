"""The client settings, declared once: what a plugin's config schema says and what the client reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from qbo_client import settings
from qbo_client.config import ClientConfig
from singer_sdk import typing as th


def schema() -> dict[str, dict[str, object]]:
    properties: dict[str, dict[str, object]] = th.PropertiesList(*settings.sdk_properties()).to_dict()[
        "properties"
    ]
    return properties


def test_every_setting_a_plugin_declares_reaches_the_client_config_as_its_type() -> None:
    given = {
        "client_id": "app",
        "client_secret": "app-secret",
        "refresh_token": "refresh",
        "realm_id": "123",
        "environment": "sandbox",
        "base_url": "http://127.0.0.1:9",
        "token_url": "http://127.0.0.1:9/token",
        "token_store_path": "state/store.json",
        "token_store_url": "sqlite:///state/tokens.db",
        "minor_version": 70,
        "requests_per_minute": 100,
        "max_in_flight": 3,
        "batch_per_minute": 7,
        "rate_limit_window_seconds": 2,
        "user_agent": "agent/1",
        "timeout": 5,
        "max_retries": 2,
        "max_backoff": 1,
    }
    assert set(given) == set(settings.NAMES)
    config = ClientConfig.from_mapping(given)
    assert config.token_store_path == Path("state/store.json")
    assert config.token_store_url == "sqlite:///state/tokens.db"
    assert config.rate_limit_window == 2.0
    assert isinstance(config.rate_limit_window, float)
    assert (config.timeout, config.max_backoff) == (5.0, 1.0)
    assert isinstance(config.timeout, float)
    assert (config.minor_version, config.requests_per_minute, config.max_in_flight) == (70, 100, 3)
    assert (config.batch_per_minute, config.max_retries) == (7, 2)
    assert (config.environment, config.base_url, config.token_url) == (
        "sandbox",
        "http://127.0.0.1:9",
        "http://127.0.0.1:9/token",
    )
    assert (config.user_agent, config.refresh_token, config.realm_id) == ("agent/1", "refresh", "123")


def test_empty_text_settings_count_as_unset_and_the_refresh_token_may_be_absent() -> None:
    config = ClientConfig.from_mapping(
        {"client_id": "app", "client_secret": "s", "realm_id": "1", "base_url": "", "token_store_path": ""}
    )
    assert (config.base_url, config.token_store_path, config.refresh_token) == (None, None, "")


def test_a_missing_credential_is_named() -> None:
    with pytest.raises(ValueError, match="missing required setting\\(s\\): client_secret, realm_id"):
        ClientConfig.from_mapping({"client_id": "app"})


def test_the_schema_defaults_are_the_clients_own() -> None:
    built = ClientConfig(client_id="a", client_secret="b", refresh_token="", realm_id="1")
    declared = {name: prop["default"] for name, prop in schema().items() if "default" in prop}
    assert declared == {
        s.name: getattr(built, s.config_field) for s in settings.SETTINGS if s.default is not None
    }
    assert declared["minor_version"] == 75
    assert declared["rate_limit_window_seconds"] == 60.0


def test_credentials_are_secret_and_the_environment_is_one_of_intuits() -> None:
    properties = schema()
    assert list(properties) == list(settings.NAMES)
    assert {name for name, prop in properties.items() if prop.get("secret")} == {
        "client_id",
        "client_secret",
        "refresh_token",
        "token_store_url",  # its password
    }
    assert properties["environment"]["enum"] == ["production", "sandbox"]
    required = th.PropertiesList(*settings.sdk_properties()).to_dict()["required"]
    assert required == ["client_id", "client_secret", "realm_id"]
