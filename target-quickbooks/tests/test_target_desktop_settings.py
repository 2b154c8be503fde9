"""target-quickbooks, edition desktop, refuses what it cannot use with one line and exit status 2:
the other edition's settings, a missing bridge setting, a bridge that refuses the token, a Web
Connector that does not call. And the Desktop writer covers every object of the Desktop catalog."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from qbd_client import catalog
from qbd_sandbox.stack import DesktopStack
from target_quickbooks.desktop.payloads import Shaper, changed_fields
from target_quickbooks.desktop.writer import ORDER

TARGET = str(Path(sys.executable).parent / "target-quickbooks")
CUSTOMER = [
    {
        "type": "SCHEMA",
        "stream": "Customer",
        "schema": {"type": "object", "properties": {}},
        "key_properties": [],
    },
    {"type": "RECORD", "stream": "Customer", "record": {"Name": "Settings Test Co"}},
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DesktopStack]:
    with DesktopStack(tmp_path_factory.mktemp("desktop-settings")) as running:
        running.add_company("silent", start=False)  # its Web Connector never calls
        yield running


def _run(tmp_path: Path, config: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"dead_letter_path": str(tmp_path / "dead.jsonl"), **config}))
    text = "".join(json.dumps(m) + "\n" for m in CUSTOMER)
    return subprocess.run(
        [TARGET, "--config", str(path)], input=text, capture_output=True, text=True, timeout=120
    )


def _stopped(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if "target-quickbooks stopped" in line]
    assert len(lines) == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    return lines[0]


def test_settings_of_the_other_edition_or_missing_ones_are_refused(
    stack: DesktopStack, tmp_path: Path
) -> None:
    config = stack.tap_config("silent")
    line = _stopped(_run(tmp_path, {**config, "client_id": "abc", "realm_id": "1"}))
    assert "client_id, realm_id are QuickBooks Online settings and edition is desktop" in line
    missing = {k: v for k, v in config.items() if k != "company"}
    assert "edition desktop needs company" in _stopped(_run(tmp_path, missing))
    online = {
        "edition": "online",
        "client_id": "a",
        "client_secret": "b",
        "refresh_token": "c",
        "realm_id": "1",
    }
    line = _stopped(_run(tmp_path, {**online, "bridge_url": "http://127.0.0.1:1"}))
    assert "bridge_url is a QuickBooks Desktop setting and edition is online" in line
    assert config["bridge_token"] not in _run(tmp_path, {**config, "client_id": "abc"}).stderr


def test_a_bridge_that_refuses_the_token_or_a_silent_web_connector_stops_the_run(
    stack: DesktopStack, tmp_path: Path
) -> None:
    config = stack.tap_config("silent", wait_for_qbwc=1)
    line = _stopped(_run(tmp_path, {**config, "bridge_token": "qbdb_wrong"}))
    assert "qbd-bridge refused the API token" in line
    line = _stopped(_run(tmp_path, config))
    assert (
        "QBWC for company silent has never called: is QuickBooks open and the Web Connector scheduled?"
        in line
    )


def test_the_writer_orders_every_object_and_builds_requests_the_spec_accepts() -> None:
    writable = {s.name for s in catalog.OBJECTS if not s.is_report}
    assert set(ORDER) == writable
    assert len(ORDER) == len(writable)
    shaper = Shaper(catalog.get("JournalEntry"), lambda name, ref: {"FullName": str(ref["FullName"])}, str)
    record = {
        "TxnID": "1-1",
        "EditSequence": "9",
        "TxnDate": "2026-01-31",
        "RefNumber": "GJ-1",
        "JournalDebitLine": [
            {"TxnLineID": "2-1", "AccountRef": {"ListID": "8-1", "FullName": "Wages"}, "Amount": "10.00"},
            {"TxnLineID": "3-1", "AccountRef": {"ListID": "8-2", "FullName": "Taxes"}, "Amount": "5.00"},
        ],
        "JournalCreditLine": [
            {"TxnLineID": "4-1", "AccountRef": {"FullName": "Checking"}, "Amount": "15.00"}
        ],
    }
    add = shaper.add(record)
    assert [line["AccountRef"] for line in add["JournalDebitLine"]] == [
        {"FullName": "Wages"},
        {"FullName": "Taxes"},
    ]
    assert "TxnLineID" not in add["JournalCreditLine"][0]
    mod = shaper.mod(record)
    assert [(line["TxnLineID"], line["JournalLineType"]) for line in mod["JournalLineMod"]] == [
        ("2-1", "Debit"),
        ("3-1", "Debit"),
        ("4-1", "Credit"),
    ]
    assert changed_fields({"RefNumber": "GJ-1", "Memo": "x"}, {"RefNumber": "GJ-1"}) == ["Memo"]
    assert changed_fields({"TxnDate": "2026-01-31"}, {"TxnDate": "2026-01-31"}) == []
