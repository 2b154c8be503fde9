"""A QuickBooks Desktop company copied into an empty one: ``tap-quickbooks | target-quickbooks``,
both with edition desktop, over a real qbd-bridge and two emulated company files with their Web
Connectors. Afterwards the trial balances are equal and every list and transaction count matches;
a change made in the source then travels with an incremental run, and nothing is written twice."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from qbd_client import catalog, qbxml
from qbd_client.client import BridgeClient
from qbd_client.xml import local_name
from qbd_sandbox.stack import DesktopStack

BIN = Path(sys.executable).parent
OBJECTS = [s.name for s in catalog.OBJECTS if not s.is_report]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DesktopStack]:
    with DesktopStack(tmp_path_factory.mktemp("desktop-copy")) as running:
        running.add_company("source", seed=7, size=150)
        empty = running.add_company("copy")
        # Sales tax items are outside the catalog (no qbXML Add here): the new company's
        # bookkeeper sets the rate up, as in QuickBooks' setup interview.
        empty.company.add("ItemSalesTax", {"Name": "CA Sales Tax", "TaxRate": "8.25"})
        yield running


def _client(stack: DesktopStack, company: str) -> BridgeClient:
    config = stack.tap_config(company)
    return BridgeClient(config["bridge_url"], config["bridge_token"], company, poll_wait=2.0)


def _records(client: BridgeClient) -> dict[str, list[dict[str, Any]]]:
    requests = []
    for name in OBJECTS:
        spec = catalog.get(name)
        fields: dict[str, Any] = {"MaxReturned": 100} if spec.iterator else {}
        if spec.is_list:
            fields["ActiveStatus"] = "All"
        if spec.line_items:
            fields["IncludeLineItems"] = True
        attrs = {"iterator": "Start"} if spec.iterator else {}
        requests.append(qbxml.build(spec.query_rq, fields, request_id=name, **attrs))
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in OBJECTS}
    for answer in client.run([qbxml.message_set(requests)], wait_for_qbwc=30):
        for response in answer.responses:
            out[str(response.request_id)].extend(response.records())
    return out


def _trial_balance(client: BridgeClient) -> dict[str, tuple[str, ...]]:
    request = qbxml.build(
        "GeneralSummaryReportQueryRq",
        {
            "GeneralSummaryReportType": "TrialBalance",
            "ReportPeriod": {"FromReportDate": "1990-01-01", "ToReportDate": "2099-12-31"},
            "ReportBasis": "Accrual",
        },
        request_id="tb",
    )
    (answer,) = client.run([qbxml.message_set([request])], wait_for_qbwc=30)
    rows: dict[str, tuple[str, ...]] = {}
    for row in answer.responses[0].element.iter():
        if not isinstance(row.tag, str) or local_name(row) not in ("DataRow", "TotalRow"):
            continue
        cells = [c for c in row if isinstance(c.tag, str)]
        label = next((c.get("value", "") for c in cells if local_name(c) == "RowData"), "TOTAL")
        rows[label] = tuple(c.get("value", "") for c in cells if local_name(c) == "ColData")
    return rows


def _pipeline(tmp: Path, tap: dict[str, Any], target: dict[str, Any]) -> tuple[str, int]:
    """``tap-quickbooks --config tap.json [--state] | target-quickbooks --config target.json``:
    the target's stdout (its states) and its exit status."""
    (tmp / "tap.json").write_text(json.dumps(tap))
    (tmp / "target.json").write_text(json.dumps(target))
    command = [str(BIN / "tap-quickbooks"), "--config", str(tmp / "tap.json")]
    if (tmp / "state.json").exists():
        command += ["--state", str(tmp / "state.json")]
    tap_run = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True)
    target_run = subprocess.run(
        [str(BIN / "target-quickbooks"), "--config", str(tmp / "target.json")],
        input=tap_run.stdout,
        capture_output=True,
        text=True,
        timeout=300,
    )
    states = [json.loads(line) for line in target_run.stdout.splitlines() if line.strip()]
    if states:
        (tmp / "state.json").write_text(json.dumps(states[-1]))
    return target_run.stderr, target_run.returncode


def test_a_desktop_company_copied_into_an_empty_one_has_the_same_books(
    stack: DesktopStack, tmp_path: Path
) -> None:
    source, copy = _client(stack, "source"), _client(stack, "copy")
    tap = stack.tap_config("source", start_date="2000-01-01T00:00:00Z")
    target = {
        **stack.tap_config("copy"),
        "desktop_source_company": "source",
        "id_map_path": str(tmp_path / "idmap.sqlite"),
        "dead_letter_path": str(tmp_path / "dead-letter.jsonl"),
    }
    stderr, status = _pipeline(tmp_path, tap, target)
    assert status == 0, stderr[-2000:]
    assert not (tmp_path / "dead-letter.jsonl").exists()

    before = _records(source)
    after = _records(copy)
    assert {k: len(v) for k, v in after.items()} == {k: len(v) for k, v in before.items()}
    for name in OBJECTS:
        spec = catalog.get(name)
        if spec.is_list:
            names = sorted((r.get("FullName") or r["Name"], r.get("IsActive")) for r in before[name])
            assert sorted((r.get("FullName") or r["Name"], r.get("IsActive")) for r in after[name]) == names
    balances = _trial_balance(source)
    assert len(balances) > 10
    assert _trial_balance(copy) == balances
    totals = [Decimal(v) for v in balances["TOTAL"] if v.replace(".", "").replace("-", "").isdigit()]
    assert len(totals) == 2
    assert totals[0] == totals[1]

    # A change in the source travels with the next (incremental) run; nothing is added twice.
    company = stack.companies["source"].company
    customer = next(c for c in before["Customer"] if c.get("IsActive") and c.get("Sublevel") == 0)
    current = company.get("Customer", customer["ListID"])
    assert current is not None
    company.modify(
        "Customer",
        {"ListID": customer["ListID"], "EditSequence": current["EditSequence"], "Notes": "moved offices"},
    )
    stderr, status = _pipeline(tmp_path, tap, target)
    assert status == 0, stderr[-2000:]
    assert "1 updated" in stderr
    again = _records(copy)
    assert {k: len(v) for k, v in again.items()} == {k: len(v) for k, v in before.items()}
    copied = next(c for c in again["Customer"] if c.get("FullName") == customer["FullName"])
    assert copied["Notes"] == "moved offices"
    assert _trial_balance(copy) == balances
