"""The target as a scheduler runs it: the ``target-quickbooks`` command, its config file, its exit status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from qbo_client.client import QBOClient
from tq_helpers import (
    dead_letters,
    lines,
    record,
    rows,
    schema,
    state,
)

TARGET = str(Path(sys.executable).parent / "target-quickbooks")


def target(config: Path, text: str = "", *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TARGET, "--config", str(config), *args],
        input=text,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def refused(result: subprocess.CompletedProcess[str]) -> str:
    """The one error line of a run that stopped on its config: exit status 2, nothing on stdout."""
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
        ("{'client_id': 'a'}", "is not valid JSON (line 1, column 2"),
        ('"client_id"', "holds a string, not an object of settings"),
    ],
    ids=["missing", "not JSON", "a string"],
)
def test_a_config_file_that_cannot_be_read_is_named_in_one_line(
    tmp_path: Path, content: str | None, said: str
) -> None:
    config = tmp_path / "config.json"
    if content is not None:
        config.write_text(content)
    line = refused(target(config))
    assert f"the config file {config} {said}" in line


def test_an_invalid_setting_is_named_in_one_line_with_its_problem(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"client_id": 7, "client_secret": "s", "realm_id": "1"}))
    line = refused(target(config))
    assert "7 is not of type 'string'" in line
    assert "in config['client_id']" in line


def test_help_tells_of_the_auth_command() -> None:
    shown = subprocess.run([TARGET, "--help"], capture_output=True, text=True, timeout=120, check=True)
    assert "target-quickbooks auth --config FILE` connects a company" in " ".join(shown.stdout.split())


def _invoices(prefix: str, customers: list[str]) -> list[dict[str, Any]]:
    line = {
        "Amount": 10.0,
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1, "UnitPrice": 10.0},
    }
    return [
        record("Invoice", {"DocNumber": f"{prefix}-{n}", "CustomerRef": {"value": c}, "Line": [line]})
        for n, c in enumerate(customers)
    ]


@pytest.mark.parametrize(("setting", "status"), [(None, 3), (0, 0), (5, 5)])
def test_a_run_with_dead_letters_exits_with_dead_letter_exit_code(
    config: dict[str, Any], company: QBOClient, tmp_path: Path, setting: int | None, status: int
) -> None:
    settings = config if setting is None else {**config, "dead_letter_exit_code": setting}
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(settings))
    # the second invoice names a customer that does not exist: QuickBooks refuses it
    text = lines([schema("Invoice"), *_invoices("DL", ["1", "999999"]), state({"done": True})])

    done = target(config_file, text)

    assert done.returncode == status, done.stderr
    assert [d["record"]["DocNumber"] for d in dead_letters(config)] == ["DL-1"]
    assert [r["DocNumber"] for r in rows(company, "Invoice", "DocNumber LIKE 'DL-%'")] == ["DL-0"]
    # the state is confirmed: every record before it was written or dead-lettered
    assert [json.loads(line) for line in done.stdout.splitlines()] == [{"done": True}]
    warned = [line for line in done.stderr.splitlines() if "| WARNING " in line and "finished" in line]
    assert len(warned) == 1, done.stderr
    assert f"1 record(s) in the dead letter {config['dead_letter_path']}" in warned[0]


def test_a_run_that_writes_every_record_exits_0(
    config: dict[str, Any], company: QBOClient, tmp_path: Path
) -> None:
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    done = target(config_file, lines([schema("Invoice"), *_invoices("OK", ["1", "2"])]))
    assert done.returncode == 0, done.stderr
    assert dead_letters(config) == []
    assert sorted(r["DocNumber"] for r in rows(company, "Invoice", "DocNumber LIKE 'OK-%'")) == [
        "OK-0",
        "OK-1",
    ]
