"""target-quickbooks as an Airbyte destination (``target-quickbooks-airbyte``), run as Airbyte runs
it: a subprocess fed AirbyteMessages on stdin, against the sandbox over HTTP."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jsonschema
from airbyte_protocol.models import (
    AirbyteMessage,
    AirbyteRecordMessage,
    AirbyteStateBlob,
    AirbyteStateMessage,
    AirbyteStateType,
    AirbyteStream,
    AirbyteStreamState,
    ConfiguredAirbyteCatalog,
    ConfiguredAirbyteStream,
    ConnectorSpecification,
    DestinationSyncMode,
    FailureType,
    Status,
    StreamDescriptor,
    SyncMode,
    Type,
)
from qbo_client import schemas
from qbo_client.client import QBOClient
from tq_helpers import company_digest, dead_letters, rows

COMMAND = str(Path(sys.executable).parent / "target-quickbooks-airbyte")
DOCKERFILE = Path(__file__).resolve().parents[1] / "Dockerfile"


def _catalog(path: Path, mode: DestinationSyncMode = DestinationSyncMode.append_dedup) -> Path:
    streams = []
    for name, obj in (("customers", "Customer"), ("invoices", "Invoice")):
        body = schemas.load(obj)
        body["properties"]["_ab_cdc_deleted_at"] = {"type": ["string", "null"]}
        stream = AirbyteStream(
            name=name,
            json_schema=body,
            supported_sync_modes=[SyncMode.full_refresh, SyncMode.incremental],
            source_defined_primary_key=[["Id"]],
        )
        streams.append(
            ConfiguredAirbyteStream(
                stream=stream,
                sync_mode=SyncMode.incremental,
                destination_sync_mode=mode,
                primary_key=[["Id"]],
            )
        )
    path.write_text(ConfiguredAirbyteCatalog(streams=streams).model_dump_json(exclude_none=True))
    return path


def _record(stream: str, data: dict[str, Any]) -> AirbyteMessage:
    return AirbyteMessage(
        type=Type.RECORD,
        record=AirbyteRecordMessage(stream=stream, data=data, emitted_at=int(time.time() * 1000)),
    )


def _state(stream: str, cursor: str) -> AirbyteMessage:
    state = AirbyteStateMessage(
        type=AirbyteStateType.STREAM,
        stream=AirbyteStreamState(
            stream_descriptor=StreamDescriptor(name=stream),
            stream_state=AirbyteStateBlob(LastUpdatedTime=cursor),
        ),
    )
    return AirbyteMessage(type=Type.STATE, state=state)


def _business(prefix: str, customer_ids: Iterable[str] = ()) -> list[AirbyteMessage]:
    """Three customers, a state, two invoices for the sample company's customers 1 and 2, a state."""
    out = [_record("customers", {"DisplayName": f"{prefix} Customer {n}"}) for n in range(3)]
    out.append(_state("customers", f"{prefix}-customers"))
    line = {
        "Amount": 25.0,
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1, "UnitPrice": 25.0},
    }
    for n, customer in enumerate(customer_ids or ("1", "2")):
        body = {"DocNumber": f"{prefix}-{n}", "CustomerRef": {"value": customer}, "Line": [line]}
        out.append(_record("invoices", body))
    out.append(_state("invoices", f"{prefix}-invoices"))
    return out


def _stdin(messages: Iterable[AirbyteMessage]) -> str:
    return "".join(m.model_dump_json(exclude_none=True) + "\n" for m in messages)


def _config_file(config: dict[str, Any], path: Path) -> Path:
    path.write_text(json.dumps(config))
    return path


def _run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COMMAND, *args], input=stdin, capture_output=True, text=True, timeout=180, check=False
    )


def _messages(stdout: str) -> list[AirbyteMessage]:
    """Every stdout line, each an AirbyteMessage (the protocol allows nothing else there)."""
    return [AirbyteMessage.model_validate_json(line) for line in stdout.splitlines()]


def _states(messages: list[AirbyteMessage]) -> list[AirbyteStateMessage]:
    return [m.state for m in messages if m.type == Type.STATE and m.state is not None]


def _cursor(state: AirbyteStateMessage) -> Any:
    assert state.stream is not None
    assert state.stream.stream_state is not None
    return state.stream.stream_state.model_dump()["LastUpdatedTime"]


def _not_control(stdout: str) -> str:
    """stdout less the connector-config control messages (the one place a secret may go)."""
    return "".join(line for line in stdout.splitlines(keepends=True) if '"type":"CONTROL"' not in line)


def _secrets_absent(config: dict[str, Any], *texts: str) -> None:
    for secret in (config["client_secret"], config["refresh_token"]):
        for text in texts:
            assert secret not in text


def test_spec_is_the_targets_online_settings_with_secrets_marked_and_upsert_modes() -> None:
    done = _run("spec")

    assert done.returncode == 0, done.stderr
    (message,) = _messages(done.stdout)
    assert message.type == Type.SPEC
    assert message.spec is not None
    spec = ConnectorSpecification.model_validate(message.spec.model_dump())
    schema = spec.connectionSpecification
    jsonschema.Draft7Validator.check_schema(schema)
    props = schema["properties"]
    assert {k for k, v in props.items() if v.get("airbyte_secret")} >= {"client_secret", "refresh_token"}
    assert {"dead_letter_path", "dead_letter_exit_code", "stream_maps_to_objects", "base_url"} <= set(props)
    assert not [
        k for k in props if k.startswith("desktop_") or k in ("edition", "bridge_url", "bridge_token")
    ]
    assert set(schema["required"]) == {"client_id", "client_secret", "realm_id", "refresh_token"}
    assert spec.supported_destination_sync_modes == [
        DestinationSyncMode.append,
        DestinationSyncMode.append_dedup,
    ]


def test_check_succeeds_against_the_company_and_fails_with_the_reason_on_a_bad_refresh_token(
    config: dict[str, Any], tmp_path: Path
) -> None:
    schema = json.loads(_run("spec").stdout)["spec"]["connectionSpecification"]
    jsonschema.validate(config, schema)  # the tests' config is one the spec accepts

    good = _run("check", "--config", str(_config_file(config, tmp_path / "good.json")))
    bad_config = {
        **config,
        "refresh_token": "not-a-token-at-all",
        "token_store_path": str(tmp_path / "t2.json"),
    }
    bad = _run("check", "--config", str(_config_file(bad_config, tmp_path / "bad.json")))

    assert good.returncode == 0, good.stderr
    statuses = [m.connectionStatus for m in _messages(good.stdout) if m.type == Type.CONNECTION_STATUS]
    assert [s.status for s in statuses if s] == [Status.SUCCEEDED]
    assert bad.returncode == 0, bad.stderr
    (failed,) = [m.connectionStatus for m in _messages(bad.stdout) if m.type == Type.CONNECTION_STATUS]
    assert failed is not None
    assert failed.status == Status.FAILED
    assert failed.message is not None
    assert "the refresh token is no longer valid" in failed.message
    assert "\n" not in failed.message
    # check refreshed the token, which rotated: the new one goes to the platform, and only there
    (control,) = [m.control for m in _messages(good.stdout) if m.type == Type.CONTROL and m.control]
    assert control.connectorConfig is not None
    assert control.connectorConfig.config["refresh_token"] != config["refresh_token"]
    _secrets_absent(config, _not_control(good.stdout), good.stderr, bad.stdout, bad.stderr)
    assert "not-a-token-at-all" not in bad.stdout + bad.stderr


def test_write_creates_the_records_then_echoes_each_state_once_and_a_replay_writes_nothing(
    config: dict[str, Any], company: QBOClient, tmp_path: Path
) -> None:
    config_file = _config_file(config, tmp_path / "config.json")
    catalog = _catalog(tmp_path / "catalog.json")
    stdin = _stdin(_business("AB"))

    seen: list[str] = []
    held_at_first_state: list[str] = []
    with subprocess.Popen(
        [COMMAND, "write", "--config", str(config_file), "--catalog", str(catalog)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdin is not None
        assert process.stdout is not None
        assert process.stderr is not None
        process.stdin.write(stdin)
        process.stdin.close()
        for line in process.stdout:
            seen.append(line)
            if not held_at_first_state and AirbyteMessage.model_validate_json(line).type == Type.STATE:
                # the moment the first state is out, the records before it are in the company
                found = rows(company, "Customer", "DisplayName LIKE 'AB %'")
                held_at_first_state = [r["DisplayName"] for r in found]
        stderr = process.stderr.read()
        assert process.wait(timeout=180) == 0, stderr

    messages = _messages("".join(seen))
    states = _states(messages)
    assert [_cursor(s) for s in states] == ["AB-customers", "AB-invoices"]
    assert [s.destinationStats.recordCount if s.destinationStats else None for s in states] == [3.0, 2.0]
    assert sorted(held_at_first_state) == [f"AB Customer {n}" for n in range(3)]
    invoices = rows(company, "Invoice", "DocNumber LIKE 'AB-%'")
    assert sorted((r["DocNumber"], r["CustomerRef"]["value"]) for r in invoices) == [
        ("AB-0", "1"),
        ("AB-1", "2"),
    ]
    assert dead_letters(config) == []
    # the refresh token rotated: the platform is handed the config that holds the new one
    controls = [m.control for m in messages if m.type == Type.CONTROL and m.control is not None]
    assert len(controls) == 1
    assert controls[0].connectorConfig is not None
    rotated = controls[0].connectorConfig.config
    assert rotated["refresh_token"] != config["refresh_token"]
    assert {k: v for k, v in rotated.items() if k != "refresh_token"} == {
        k: v for k, v in config.items() if k != "refresh_token"
    }
    logs = [m.log.message for m in messages if m.type == Type.LOG and m.log is not None]
    assert any("target-quickbooks finished" in line for line in logs)
    _secrets_absent(config, stderr, *logs)
    assert rotated["refresh_token"] not in stderr + "".join(logs)

    # A replay in a new container (no token store: the rotated config) writes nothing new
    before = company_digest(company, ["Customer", "Invoice"])
    fresh = {**rotated, "token_store_path": str(tmp_path / "container-2-tokens.json")}
    replay = _run(
        "write",
        "--config",
        str(_config_file(fresh, tmp_path / "config2.json")),
        "--catalog",
        str(catalog),
        stdin=stdin,
    )

    assert replay.returncode == 0, replay.stderr
    assert [_cursor(s) for s in _states(_messages(replay.stdout))] == ["AB-customers", "AB-invoices"]
    assert company_digest(company, ["Customer", "Invoice"]) == before


def test_a_record_with_ab_cdc_deleted_at_deletes_the_object(
    config: dict[str, Any], company: QBOClient, tmp_path: Path
) -> None:
    invoice = next(r for r in rows(company, "Invoice") if not r.get("LinkedTxn"))
    now = datetime.now(timezone.utc).isoformat()
    stdin = _stdin(
        [
            _record("invoices", {"Id": invoice["Id"], "_ab_cdc_deleted_at": now, "_ab_cdc_updated_at": now}),
            _state("invoices", "deleted"),
        ]
    )

    done = _run(
        "write",
        "--config",
        str(_config_file(config, tmp_path / "config.json")),
        "--catalog",
        str(_catalog(tmp_path / "catalog.json")),
        stdin=stdin,
    )

    assert done.returncode == 0, done.stderr
    assert rows(company, "Invoice", f"Id = '{invoice['Id']}'") == []
    assert [_cursor(s) for s in _states(_messages(done.stdout))] == ["deleted"]
    assert dead_letters(config) == []


def test_a_record_quickbooks_refuses_goes_to_the_dead_letter_with_its_reason_and_the_run_says_so(
    config: dict[str, Any], company: QBOClient, tmp_path: Path
) -> None:
    stdin = _stdin(_business("DL", customer_ids=("1", "999999")))

    done = _run(
        "write",
        "--config",
        str(_config_file(config, tmp_path / "config.json")),
        "--catalog",
        str(_catalog(tmp_path / "catalog.json")),
        stdin=stdin,
    )

    assert done.returncode == 3, done.stderr  # the target's dead_letter_exit_code
    (dead,) = dead_letters(config)
    assert dead["record"]["DocNumber"] == "DL-1"
    assert re.search("999999|CustomerRef|Customer", dead["reason"]), dead["reason"]
    assert [r["DocNumber"] for r in rows(company, "Invoice", "DocNumber LIKE 'DL-%'")] == ["DL-0"]
    messages = _messages(done.stdout)
    # the states are confirmed all the same: every record before them is written or dead-lettered
    assert [_cursor(s) for s in _states(messages)] == ["DL-customers", "DL-invoices"]
    errors = [m.trace.error for m in messages if m.type == Type.TRACE and m.trace and m.trace.error]
    assert len(errors) == 1
    assert errors[0].failure_type == FailureType.config_error
    assert f"1 record(s) could not be written and are in the dead letter {config['dead_letter_path']}" in (
        errors[0].message
    )


def test_overwrite_is_refused_before_anything_is_written(
    config: dict[str, Any], company: QBOClient, tmp_path: Path
) -> None:
    done = _run(
        "write",
        "--config",
        str(_config_file(config, tmp_path / "config.json")),
        "--catalog",
        str(_catalog(tmp_path / "catalog.json", DestinationSyncMode.overwrite)),
        stdin=_stdin(_business("OW")),
    )

    assert done.returncode == 2
    (message,) = _messages(done.stdout)
    assert message.trace is not None
    assert message.trace.error is not None
    assert "overwrite is not supported" in message.trace.error.message
    assert rows(company, "Customer", "DisplayName LIKE 'OW %'") == []


def test_a_line_that_is_no_airbyte_message_stops_the_run_with_its_reason_and_status_2(
    config: dict[str, Any], company: QBOClient, tmp_path: Path
) -> None:
    stdin = _stdin(_business("BAD")[:1]) + "{not json\n" + _stdin(_business("BAD")[1:])

    done = _run(
        "write",
        "--config",
        str(_config_file(config, tmp_path / "config.json")),
        "--catalog",
        str(_catalog(tmp_path / "catalog.json")),
        stdin=stdin,
    )

    assert done.returncode == 2, done.stderr
    messages = _messages(done.stdout)
    assert _states(messages) == []
    errors = [m.trace.error for m in messages if m.type == Type.TRACE and m.trace and m.trace.error]
    assert [e.failure_type for e in errors] == [FailureType.config_error]
    assert "line 2 of the input is not an Airbyte message" in errors[0].message
    assert "Traceback" not in done.stderr
    # nothing after the last state confirmed is known written: a rerun from it loses nothing
    assert rows(company, "Invoice", "DocNumber LIKE 'BAD-%'") == []


def test_the_dockerfile_carries_airbytes_labels_and_runs_the_destination() -> None:
    text = DOCKERFILE.read_text()
    assert re.search(r"^LABEL io\.airbyte\.name=\S+", text, re.MULTILINE)
    assert re.search(r"^LABEL io\.airbyte\.version=\d+\.\d+\.\d+", text, re.MULTILINE)
    assert 'ENTRYPOINT ["target-quickbooks-airbyte"]' in text
    assert "AIRBYTE_ENTRYPOINT" in text
