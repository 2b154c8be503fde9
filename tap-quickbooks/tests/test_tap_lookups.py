"""Reading objects by Id: the ``ids`` setting (a lookup run) and ``tap-quickbooks get``."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from qbo_client.config_checks import SettingsError
from qbo_sandbox.testing import RunningSandbox
from tap_harness import run_tap, sandbox_rows, selected_catalog, tap_config
from tap_quickbooks.tap import TapQuickBooks

TAP = str(Path(sys.executable).parent / "tap-quickbooks")


def ids_of(running: RunningSandbox, entity: str) -> list[str]:
    return sorted(sandbox_rows(running, entity), key=int)


def test_a_lookup_run_reads_exactly_the_ids_asked_for_and_keeps_the_bookmarks(
    qbo_sandbox: RunningSandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    plain = tap_config(qbo_sandbox, tmp_path)
    selection = selected_catalog(plain)
    before = run_tap(qbo_sandbox, plain, catalog_dict=selection)

    invoices = ids_of(qbo_sandbox, "Invoice")
    assert len(invoices) > 60
    wanted = [*invoices[:60], "999999"]
    customer = ids_of(qbo_sandbox, "Customer")[3]
    config = tap_config(qbo_sandbox, tmp_path, ids={"Invoice": wanted, "Customer": [customer]})
    with caplog.at_level(logging.WARNING):
        lookup = run_tap(qbo_sandbox, config, state=before.state, catalog_dict=selection)

    assert set(lookup.records) == {"Invoice", "Customer"}, "a lookup run reads nothing else"
    assert lookup.ids("Invoice") == invoices[:60]
    stored = sandbox_rows(qbo_sandbox, "Invoice")
    for record in lookup.records["Invoice"]:
        assert record["SyncToken"] == stored[record["Id"]]["SyncToken"]
        assert record["TotalAmt"] == stored[record["Id"]]["TotalAmt"]
        assert record["LastUpdatedTime"].endswith("+00:00")
    assert lookup.ids("Customer") == [customer]
    assert lookup.requests == 2, "one batch request per object: 60 Ids ride in one"
    assert lookup.state["bookmarks"] == before.state["bookmarks"], "a lookup moves no bookmark"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("Invoice: 1 Id(s) not found" in w and "999999" in w for w in warnings)


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ({"Invoyce": ["1"]}, "'Invoyce' is not a QuickBooks Online object"),
        ({"ExchangeRate": ["1"]}, "ExchangeRate has no Id"),
        ({"Invoice": ["12a"]}, "Invoice Id '12a' is not a QuickBooks Id"),
        ({"Invoice": []}, "Invoice needs a list of Ids"),
    ],
)
def test_an_ids_setting_that_cannot_work_is_refused_naming_the_object(
    qbo_sandbox: RunningSandbox, tmp_path: Path, ids: dict[str, list[str]], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        TapQuickBooks(config=tap_config(qbo_sandbox, tmp_path, ids=ids)).streams  # noqa: B018


def test_get_prints_each_object_as_quickbooks_answers_it(qbo_sandbox: RunningSandbox, tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(tap_config(qbo_sandbox, tmp_path)))
    first, second = ids_of(qbo_sandbox, "Invoice")[:2]
    found = subprocess.run(
        [TAP, "get", "Invoice", first, second, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert found.returncode == 0, found.stderr
    printed = [json.loads(line) for line in found.stdout.splitlines()]
    stored = sandbox_rows(qbo_sandbox, "Invoice")
    assert [p["Id"] for p in printed] == [first, second]
    assert printed[0] == stored[first]

    missing = subprocess.run(
        [TAP, "get", "invoice", "999999", first, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert missing.returncode == 1
    assert [json.loads(line)["Id"] for line in missing.stdout.splitlines()] == [first]
    assert (
        missing.stderr.strip().splitlines()[-1].startswith("tap-quickbooks get: Invoice: 1 Id(s) not found")
    )
    assert "999999" in missing.stderr

    wrong = subprocess.run(
        [TAP, "get", "Invoyce", "1", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert wrong.returncode == 2
    assert "Traceback" not in wrong.stderr
    assert "'Invoyce' is not a QuickBooks Online object" in wrong.stderr
