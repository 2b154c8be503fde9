"""tap-quickbooks-airbyte as Airbyte runs it: each command a process, every stdout line a protocol
message (parsed with Airbyte's own models), against the sandbox over HTTP."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from airbyte_protocol.models import AirbyteMessage
from qbo_sandbox.testing import RunningSandbox
from tap_harness import Api, refresh_token_works, sandbox_rows, tap_config
from tap_quickbooks import airbyte
from tap_quickbooks.tap import TapQuickBooks

SOURCE = str(Path(sys.executable).parent / "tap-quickbooks-airbyte")
SINGER_TAP = str(Path(sys.executable).parent / "tap-quickbooks")
PACKAGE = Path(__file__).resolve().parents[1]


def source(*args: str | Path) -> tuple[list[dict[str, Any]], subprocess.CompletedProcess[str]]:
    """Run one command; every stdout line must be an Airbyte message (returned as dicts)."""
    done = subprocess.run([SOURCE, *map(str, args)], capture_output=True, text=True, timeout=300, check=False)
    found = []
    for line in done.stdout.splitlines():
        message = AirbyteMessage.model_validate_json(line)  # raises on anything else
        found.append(json.loads(message.model_dump_json(exclude_none=True, by_alias=True)))
    return found, done


def of_type(found: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [m for m in found if m["type"] == kind]


def write(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def configured(streams: list[str], tmp_path: Path, config: Path, mode: str = "incremental") -> Path:
    """The discovered streams, configured as Airbyte's UI would (dedup on the source's key)."""
    found, _ = source("discover", "--config", config)
    wanted = [s for s in of_type(found, "CATALOG")[0]["catalog"]["streams"] if s["name"] in streams]
    entries = [
        {
            "stream": s,
            "sync_mode": mode,
            "destination_sync_mode": "append_dedup",
            "cursor_field": ["LastUpdatedTime"],
        }
        for s in wanted
    ]
    return write(tmp_path / f"catalog-{mode}.json", {"streams": entries})


def records(found: list[dict[str, Any]], stream: str) -> dict[str, dict[str, Any]]:
    return {
        m["record"]["data"]["Id"]: m["record"]["data"]
        for m in of_type(found, "RECORD")
        if m["record"]["stream"] == stream
    }


def states(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m["state"] for m in of_type(found, "STATE")]


def test_spec_is_the_taps_config_schema_with_its_secrets_marked_for_airbyte() -> None:
    found, done = source("spec")
    assert done.returncode == 0, done.stderr
    [spec] = of_type(found, "SPEC")
    schema = spec["spec"]["connectionSpecification"]
    about = subprocess.run(
        [str(Path(sys.executable).parent / "tap-quickbooks"), "--about", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    declared = set(json.loads(about.stdout)["settings"]["properties"])
    assert set(schema["properties"]) == declared - airbyte.sdk_settings()
    assert "stream_maps" not in schema["properties"]
    assert {"client_id", "realm_id", "reports", "add_realm_id"} <= set(schema["properties"])
    secret = {name for name, prop in schema["properties"].items() if prop.get("airbyte_secret")}
    assert {"client_secret", "refresh_token", "bridge_token"} <= secret
    assert "realm_id" not in secret
    assert spec["spec"]["supportsIncremental"] is True


def test_discover_offers_the_taps_streams_with_their_keys_cursors_and_cdc_columns(tmp_path: Path) -> None:
    settings = {"client_id": "a", "client_secret": "b", "realm_id": "1"}
    found, done = source("discover", "--config", write(tmp_path / "config.json", settings))
    assert done.returncode == 0, done.stderr
    streams = {s["name"]: s for s in of_type(found, "CATALOG")[0]["catalog"]["streams"]}
    singer = {e["tap_stream_id"]: e for e in TapQuickBooks(config=settings).catalog_dict["streams"]}
    assert set(streams) == set(singer)
    for name, entry in singer.items():
        stream = streams[name]
        assert stream["source_defined_primary_key"] == [[k] for k in entry["key_properties"]], name
        assert stream["default_cursor_field"] == [entry["replication_key"]], name
        assert stream["supported_sync_modes"] == ["full_refresh", "incremental"], name
        assert stream["source_defined_cursor"] is True
        assert stream["json_schema"]["properties"]["_ab_cdc_deleted_at"]["format"] == "date-time"
    assert streams["Invoice"]["default_cursor_field"] == ["LastUpdatedTime"]
    assert "_ab_cdc_updated_at" in streams["Invoice"]["json_schema"]["properties"]
    reports = [n for n, e in singer.items() if e["replication_key"] != "LastUpdatedTime"]
    assert reports, "the default reports are discovered too"
    assert all(streams[n]["default_cursor_field"] == ["period_end"] for n in reports)


def test_read_emits_records_and_per_stream_states_that_resume_the_next_read(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    config = write(tmp_path / "config.json", tap_config(qbo_sandbox, tmp_path))
    catalog = configured(["Customer", "Invoice"], tmp_path, config)
    found, done = source("read", "--config", config, "--catalog", catalog)
    assert done.returncode == 0, done.stderr

    customers, invoices = sandbox_rows(qbo_sandbox, "Customer"), sandbox_rows(qbo_sandbox, "Invoice")
    assert set(records(found, "Customer")) == set(customers)
    assert set(records(found, "Invoice")) == set(invoices)
    assert all(m["record"]["emitted_at"] > 1_600_000_000_000 for m in of_type(found, "RECORD"))
    assert {r["_ab_cdc_deleted_at"] for r in records(found, "Invoice").values()} == {None}
    assert all(r["_ab_cdc_updated_at"] == r["LastUpdatedTime"] for r in records(found, "Invoice").values())
    # A state per stream, after that stream's records: the tap's bookmark, the run's start.
    first = states(found)
    assert [s["stream"]["stream_descriptor"]["name"] for s in first] == ["Customer", "Invoice"]
    kinds = [
        (m["type"], (m.get("record") or {}).get("stream")) for m in found if m["type"] in ("RECORD", "STATE")
    ]
    assert kinds.index(("STATE", None)) > max(i for i, k in enumerate(kinds) if k == ("RECORD", "Customer"))
    for state in first:
        assert state["type"] == "STREAM"
        assert state["stream"]["stream_state"]["replication_key"] == "LastUpdatedTime"
    # The per-stream states make the Singer state again (what the tap resumes from).
    singer = airbyte.singer_state(first)
    assert set(singer["bookmarks"]) == {"Customer", "Invoice"}
    assert singer["bookmarks"]["Invoice"] == first[1]["stream"]["stream_state"]

    api = Api(qbo_sandbox)
    try:
        customer_id = sorted(customers, key=int)[0]
        api.touch("Customer", customer_id, DisplayName="Changed between syncs")
        invoice_id = sorted(invoices, key=int)[0]
        api.delete("Invoice", invoice_id)
    finally:
        api.close()

    state_file = write(tmp_path / "state.json", first)
    again, done = source("read", "--config", config, "--catalog", catalog, "--state", state_file)
    assert done.returncode == 0, done.stderr
    assert list(records(again, "Customer")) == [customer_id]
    assert records(again, "Customer")[customer_id]["DisplayName"] == "Changed between syncs"
    assert list(records(again, "Invoice")) == [invoice_id]
    deleted = records(again, "Invoice")[invoice_id]
    assert deleted["_ab_cdc_deleted_at"] is not None
    assert deleted["_ab_cdc_deleted_at"] == deleted["_sdc_deleted_at"]
    later = {s["stream"]["stream_descriptor"]["name"]: s["stream"]["stream_state"] for s in states(again)}
    assert all(
        later[s]["replication_key_value"] > singer["bookmarks"][s]["replication_key_value"] for s in later
    )

    # full_refresh ignores the state Airbyte hands in: every live customer again.
    full = configured(["Customer"], tmp_path, config, mode="full_refresh")
    everything, done = source("read", "--config", config, "--catalog", full, "--state", state_file)
    assert done.returncode == 0, done.stderr
    assert set(records(everything, "Customer")) == set(customers)


def test_a_rotated_refresh_token_goes_to_airbyte_as_the_config_and_works_in_a_fresh_container(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    settings = tap_config(qbo_sandbox, tmp_path)
    original = settings["refresh_token"]
    found, done = source("check", "--config", write(tmp_path / "config.json", settings))
    assert done.returncode == 0, done.stderr
    assert of_type(found, "CONNECTION_STATUS")[0]["connectionStatus"]["status"] == "SUCCEEDED"
    [control] = of_type(found, "CONTROL")
    assert control["control"]["type"] == "CONNECTOR_CONFIG"
    handed = control["control"]["connectorConfig"]["config"]
    rotated = handed["refresh_token"]
    assert rotated != original
    assert handed == {**settings, "refresh_token": rotated}  # the whole config, only the token new
    assert not refresh_token_works(qbo_sandbox, original)
    # No secret anywhere but in the control message: not in a LOG message, not on stderr.
    logs = json.dumps(of_type(found, "LOG")) + done.stderr
    for secret in (original, rotated, settings["client_secret"]):
        assert secret not in logs

    # The next container: the config Airbyte kept, no token store.
    fresh = write(tmp_path / "fresh.json", {**handed, "token_store_path": str(tmp_path / "none" / "t.json")})
    found, done = source("check", "--config", fresh)
    assert of_type(found, "CONNECTION_STATUS")[0]["connectionStatus"]["status"] == "SUCCEEDED", done.stderr
    handed_again = of_type(found, "CONTROL")[-1]["control"]["connectorConfig"]["config"]
    # Where the first store survived (it holds a token retired since), the config's newer token wins.
    survived = write(
        tmp_path / "survived.json", {**handed_again, "token_store_path": settings["token_store_path"]}
    )
    found, done = source("check", "--config", survived)
    assert of_type(found, "CONNECTION_STATUS")[0]["connectionStatus"]["status"] == "SUCCEEDED", done.stderr


def singer_tap_reason(config: Path, tmp_path: Path) -> str:
    """The one line the Singer tap stops with for the same config."""
    settings = json.loads(config.read_text(encoding="utf-8"))
    singer = TapQuickBooks(config={**settings, "refresh_token": "x"}).catalog_dict
    for entry in singer["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = entry["tap_stream_id"] == "CompanyInfo"
    catalog = write(tmp_path / "singer-catalog.json", singer)
    done = subprocess.run(
        [SINGER_TAP, "--config", str(config), "--catalog", str(catalog)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    return done.stderr.splitlines()[-1].split("tap-quickbooks stopped: ", 1)[1]


def test_a_failed_check_gives_the_reason_the_tap_gives(qbo_sandbox: RunningSandbox, tmp_path: Path) -> None:
    with socket.socket() as s:  # a loopback port nothing listens on
        s.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{s.getsockname()[1]}"
    cases = {
        "dead": tap_config(qbo_sandbox, tmp_path, refresh_token="a-refresh-token-quickbooks-never-issued"),
        "unreachable": tap_config(qbo_sandbox, tmp_path, base_url=nowhere),
    }
    said = {}
    for name, settings in cases.items():
        config = write(tmp_path / f"{name}.json", settings)
        found, done = source("check", "--config", config)
        assert done.returncode == 0, done.stderr
        [status] = of_type(found, "CONNECTION_STATUS")
        assert status["connectionStatus"]["status"] == "FAILED"
        said[name] = status["connectionStatus"]["message"]
        assert said[name] == singer_tap_reason(config, tmp_path)
        assert settings["refresh_token"] not in json.dumps(found) + done.stderr
    assert "refused the refresh token" in said["dead"]
    assert "invalid_grant" in said["dead"]
    assert said["unreachable"].startswith(f"nothing answers at {nowhere}/oauth2/v1/tokens/bearer")


def test_bad_settings_fail_the_check_and_stop_a_read_with_an_error_trace(tmp_path: Path) -> None:
    settings = {"client_id": "a", "client_secret": "b", "realm_id": "1", "page_size": 5000}
    config = write(tmp_path / "config.json", settings)
    found, done = source("check", "--config", config)
    [status] = of_type(found, "CONNECTION_STATUS")
    assert status["connectionStatus"]["status"] == "FAILED"
    assert (
        "5000 is greater than the maximum of 1000 in config['page_size']"
        in status["connectionStatus"]["message"]
    )

    catalog = write(tmp_path / "catalog.json", {"streams": []})
    found, done = source("read", "--config", config, "--catalog", catalog)
    assert done.returncode == 1
    [trace] = of_type(found, "TRACE")
    assert trace["trace"]["type"] == "ERROR"
    assert trace["trace"]["error"]["failure_type"] == "config_error"
    assert "config['page_size']" in trace["trace"]["error"]["message"]


def test_the_dockerfile_has_airbytes_labels_and_runs_the_airbyte_command() -> None:
    dockerfile = (PACKAGE / "Dockerfile").read_text(encoding="utf-8")
    pyproject = (PACKAGE / "pyproject.toml").read_text(encoding="utf-8")
    version = re.search(r'^version = "(.+)"$', pyproject, re.MULTILINE)
    lines = [line.strip() for line in dockerfile.splitlines()]
    assert "LABEL io.airbyte.name=airbyte/source-quickbooks-singer" in lines
    assert f"LABEL io.airbyte.version={version[1] if version else None}" in lines
    assert 'ENTRYPOINT ["tap-quickbooks-airbyte"]' in lines
    assert 'ENV AIRBYTE_ENTRYPOINT="tap-quickbooks-airbyte"' in lines
    # The entrypoint is the package's console script, and what it names exists.
    assert re.search(r'^tap-quickbooks-airbyte = "tap_quickbooks.airbyte:main"$', pyproject, re.MULTILINE)
    assert callable(airbyte.main)
    assert Path(SOURCE).is_file()
    # It copies from the repository root what it installs.
    root = PACKAGE.parent
    for copied in ("qbo-client", "qbd-client", "tap-quickbooks"):
        assert f"COPY {copied} ./{copied}" in lines
        assert (root / copied / "pyproject.toml").is_file()


@pytest.mark.parametrize("legacy", [True, False], ids=["legacy-blob", "stream-states"])
def test_state_from_airbyte_becomes_the_taps_singer_state(legacy: bool) -> None:
    bookmark = {"replication_key": "LastUpdatedTime", "replication_key_value": "2026-01-02T03:04:05+00:00"}
    singer = {"bookmarks": {"Invoice": bookmark}}
    handed: Any = singer if legacy else [airbyte.stream_state_message("Invoice", bookmark).state.model_dump()]  # type: ignore[union-attr]
    assert airbyte.singer_state(handed) == singer
