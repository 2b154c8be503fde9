"""Tokens: rotation survives between runs through the token store, expiry mid-run, no secret in logs."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from qbo_sandbox.config import RealismConfig, SandboxConfig, TokenConfig
from qbo_sandbox.testing import RunningSandbox
from tap_harness import refresh_token_works, run_tap, sandbox_rows, selected_catalog, tap_config


@pytest.fixture
def qbo_sandbox_config() -> SandboxConfig:
    # Access tokens that expire while a run pages (latency keeps the run going for a while).
    return SandboxConfig(
        tokens=TokenConfig(access_token_ttl=0.4), realism=RealismConfig(latency_per_request=0.03)
    )


def test_rotated_refresh_token_from_the_store_is_used_by_the_next_run(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    config = tap_config(qbo_sandbox, tmp_path)
    selection = selected_catalog(config, ["Invoice"])
    original = config["refresh_token"]
    first = run_tap(qbo_sandbox, config, catalog_dict=selection)
    stored = json.loads(Path(config["token_store_path"]).read_text())
    assert stored["refresh_token"] != original, "QuickBooks rotated the refresh token"
    assert config["refresh_token"] == original, "the tap never writes tokens into its config"
    assert not refresh_token_works(qbo_sandbox, original), "the config's refresh token is dead now"
    second = run_tap(qbo_sandbox, config, catalog_dict=selection)
    assert sorted(second.ids("Invoice")) == sorted(first.ids("Invoice"))


def test_access_token_expiring_mid_run_is_refreshed_without_losing_records(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    config = tap_config(qbo_sandbox, tmp_path, page_size=3, max_in_flight=2)
    names = ["Invoice", "Customer"]
    run = run_tap(qbo_sandbox, config, catalog_dict=selected_catalog(config, names))
    assert run.tap.client.tokens.refreshes >= 2, "the run outlived its first access token"
    for name in names:
        assert sorted(run.ids(name)) == sorted(sandbox_rows(qbo_sandbox, name, before=run.upper_bound))


def test_secrets_never_reach_the_logs(
    qbo_sandbox: RunningSandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = tap_config(qbo_sandbox, tmp_path, page_size=5)
    with caplog.at_level(logging.DEBUG):
        run = run_tap(qbo_sandbox, config, catalog_dict=selected_catalog(config, ["Invoice", "Customer"]))
    stored = json.loads(Path(config["token_store_path"]).read_text())
    secrets = {
        config["client_secret"],
        config["refresh_token"],
        stored["refresh_token"],
        stored["access_token"],
    }
    logged = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    assert run.tap.client.tokens.refreshes >= 1
    assert "refreshed" in logged
    for secret in secrets:
        assert secret not in logged
