"""The tap as a user runs it: the ``tap-quickbooks`` command, its files, its output streams."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from qbo_client import catalog
from qbo_sandbox.testing import RunningSandbox
from tap_harness import selected_catalog, tap_config
from tap_quickbooks.online.reports import DEFAULT_REPORTS

TAP = str(Path(sys.executable).parent / "tap-quickbooks")


def tap(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TAP, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, **(env or {})},
    )


def messages(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_about_lists_every_setting_and_marks_credentials_secret() -> None:
    about = json.loads(tap("--about", "--format", "json").stdout)
    settings = about["settings"]["properties"]
    for name in (
        "client_id",
        "realm_id",
        "start_date",
        "page_size",
        "stream_filters",
        "reconcile_deletes",
        "reports",
    ):
        assert name in settings
    for name in ("client_id", "client_secret", "refresh_token"):
        assert settings[name].get("secret") is True, name
    assert settings["page_size"]["maximum"] == 1000


def test_discover_offers_every_object_keyed_by_id_and_incremental(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"client_id": "a", "client_secret": "b", "realm_id": "1"}))
    found = json.loads(tap("--config", str(config), "--discover").stdout)
    streams = {entry["tap_stream_id"]: entry for entry in found["streams"]}
    # without a ``reports`` setting: the default reports (the aging and detail ones are opt-in)
    assert set(catalog.names()) | set(DEFAULT_REPORTS) == set(streams)
    for name in catalog.names():
        assert streams[name]["key_properties"] == ["Id"]
        assert streams[name]["replication_key"] == "LastUpdatedTime"


def test_sync_with_state_keeps_the_config_file_as_it_was_and_logs_no_secret(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    settings = tap_config(qbo_sandbox, tmp_path)
    config = tmp_path / "config.json"
    config.write_text(json.dumps(settings))
    written = config.read_bytes()
    catalog_file = tmp_path / "catalog.json"
    catalog_file.write_text(json.dumps(selected_catalog(settings, ["Customer", "Invoice"])))
    debug = {"LOGLEVEL": "DEBUG"}

    first = tap("--config", str(config), "--catalog", str(catalog_file), env=debug)
    out = messages(first.stdout)
    records = [m for m in out if m["type"] == "RECORD"]
    assert {m["stream"] for m in records} == {"Customer", "Invoice"}
    state = tmp_path / "state.json"
    state.write_text(json.dumps([m for m in out if m["type"] == "STATE"][-1]["value"]))

    # The refresh token of the config was rotated away: the second run uses the token store's.
    second = tap("--config", str(config), "--catalog", str(catalog_file), "--state", str(state), env=debug)
    assert [m for m in messages(second.stdout) if m["type"] == "RECORD"] == []
    assert config.read_bytes() == written
    stored = json.loads(Path(settings["token_store_path"]).read_text())
    for secret in (
        settings["client_secret"],
        settings["refresh_token"],
        stored["refresh_token"],
        stored["access_token"],
    ):
        assert secret not in first.stderr + second.stderr


def refused(*args: str) -> str:
    """The one error line of a command that stopped on its config: exit status 2, nothing on stdout."""
    result = subprocess.run([TAP, *args], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "| ERROR " in line]
    assert len(errors) == 1, result.stderr
    return errors[0]


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (None, "does not exist: check the --config path"),
        ('{"client_id": "a",', "is not valid JSON (line 1, column 19"),
        ('["client_id"]', "holds an array, not an object of settings"),
    ],
    ids=["missing", "not JSON", "a list"],
)
@pytest.mark.parametrize("mode", [["--discover"], []], ids=["discover", "sync"])
def test_a_config_file_that_cannot_be_read_is_named_in_one_line(
    tmp_path: Path, content: str | None, said: str, mode: list[str]
) -> None:
    config = tmp_path / "config.json"
    if content is not None:
        config.write_text(content)
    line = refused("--config", str(config), *mode)
    assert f"the config file {config} {said}" in line


@pytest.mark.parametrize("mode", [["--discover"], []], ids=["discover", "sync"])
def test_an_invalid_setting_is_named_in_one_line_with_its_problem(tmp_path: Path, mode: list[str]) -> None:
    secret = "98765432109876543"
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps({"client_id": "a", "client_secret": int(secret), "realm_id": "1", "page_size": 5000})
    )
    line = refused("--config", str(config), *mode)
    assert "5000 is greater than the maximum of 1000 in config['page_size']" in line
    # not required in the schema (which settings are depends on the edition), so it may be null too
    assert "is not of type 'string', 'null' in config['client_secret']" in line
    assert secret not in line


def test_help_tells_of_the_auth_command() -> None:
    shown = " ".join(tap("--help").stdout.split())
    assert "tap-quickbooks auth --config FILE` connects a company" in shown


def test_a_run_logs_no_unsorted_warning_and_keeps_no_progress_markers(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    settings = tap_config(qbo_sandbox, tmp_path)
    config = tmp_path / "config.json"
    config.write_text(json.dumps(settings))
    catalog_file = tmp_path / "catalog.json"
    catalog_file.write_text(json.dumps(selected_catalog(settings)))  # every object

    run = tap("--config", str(config), "--catalog", str(catalog_file))

    out = messages(run.stdout)
    assert {m["stream"] for m in out if m["type"] == "RECORD"} >= {"Account", "Invoice", "CompanyInfo"}
    assert "assumed to be unsorted" not in run.stderr
    states = [m["value"] for m in out if m["type"] == "STATE"]
    for value in states:
        for name, bookmark in value.get("bookmarks", {}).items():
            assert "progress_markers" not in bookmark, name
    # every stream completed, and each bookmark is the run's start (the same moment for all)
    bookmarks = states[-1]["bookmarks"]
    assert set(bookmarks) == set(catalog.names())
    assert {b["replication_key"] for b in bookmarks.values()} == {"LastUpdatedTime"}
    assert len({b["replication_key_value"] for b in bookmarks.values()}) == 1


def test_a_quickbooks_fault_stops_the_run_in_one_line_without_an_unhandled_error_line(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    # QuickBooks refuses the query of a property Account does not have (fault 4001)
    settings = tap_config(qbo_sandbox, tmp_path, stream_filters={"Account": "NoSuchProperty = 'x'"})
    config = tmp_path / "config.json"
    config.write_text(json.dumps(settings))
    catalog_file = tmp_path / "catalog.json"
    catalog_file.write_text(json.dumps(selected_catalog(settings, ["Account", "Customer"])))

    run = subprocess.run(
        [TAP, "--config", str(config), "--catalog", str(catalog_file)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert run.returncode == 2, run.stderr
    errors = [line for line in run.stderr.splitlines() if "| ERROR " in line]
    assert len(errors) == 1, run.stderr
    assert "tap-quickbooks stopped: QuickBooks fault 400" in errors[0]
    assert "NoSuchProperty" in errors[0]
    assert "unhandled error" not in run.stderr
    assert [m for m in messages(run.stdout) if m["type"] == "RECORD"] == []


def test_a_base_url_where_nothing_listens_stops_the_tap_saying_what_was_tried(tmp_path: Path) -> None:
    with socket.socket() as s:  # a loopback port nothing listens on
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    settings = {
        "client_id": "app",
        "client_secret": "app-secret",
        "refresh_token": "refresh-token-0",
        "realm_id": "1",
        "base_url": url,
        "token_store_path": str(tmp_path / "tokens.json"),
        "reports": [],
    }
    config = tmp_path / "config.json"
    config.write_text(json.dumps(settings))
    catalog_file = tmp_path / "catalog.json"
    catalog_file.write_text(json.dumps(selected_catalog(settings, ["Account"])))

    run = subprocess.run(
        [TAP, "--config", str(config), "--catalog", str(catalog_file)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert run.returncode == 2, run.stderr
    lines = run.stderr.splitlines()
    retries = [line for line in lines if "| WARNING " in line and "connection refused; retry" in line]
    assert len(retries) == 2, run.stderr
    assert f"{url}/oauth2/v1/tokens/bearer" in retries[0]
    assert lines[-1].endswith(
        f"tap-quickbooks stopped: nothing answers at {url}/oauth2/v1/tokens/bearer "
        "(connection refused, 3 attempts): check base_url"
    )
    assert [m for m in messages(run.stdout) if m["type"] == "RECORD"] == []
