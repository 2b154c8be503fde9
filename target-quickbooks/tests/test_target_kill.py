"""A target killed (SIGKILL) at seeded points, inside a batch or between two, then run again from
the last state it emitted: the company ends equal to the company of a run that was never killed.

test_target_crash.py kills a customers-only run once, between batches, before any state. Here the
input mixes objects that refer to each other (items, customers, invoices naming both, payments),
an update and a delete, and emits states along the way; the kill lands while a batch's writes are
in the sandbox's store but its answer is still held back (the sandbox's per-request latency), so
the target never learned what it wrote: the re-run must find it (requestid, natural keys) rather
than write it twice.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from qbo_client.client import QBOClient
from qbo_sandbox.config import SandboxConfig
from qbo_sandbox.testing import RunningSandbox, start_sandbox
from tq_helpers import (
    Message,
    lines,
    new_business,
    reader,
    record,
    rows,
    run_target,
    scaled_sandbox_config,
    schema,
    state,
    target_config,
)

SEED = 6
#: The objects the input writes (the store is watched for their rows).
WRITTEN = ("Item", "Customer", "Invoice", "Payment")


@pytest.fixture
def qbo_sandbox_config() -> SandboxConfig:
    # every answer is held back a while after the write is stored: a kill lands inside a batch
    return scaled_sandbox_config(latency_per_request=0.25)


@pytest.fixture
def clean_sandbox(qbo_sandbox_config: SandboxConfig, qbo_sample_company_db: Path) -> Iterator[RunningSandbox]:
    """A second copy of the sample company, for the run that is never killed."""
    with start_sandbox(qbo_sandbox_config, template=qbo_sample_company_db) as running:
        yield running


def mixed_input(company: QBOClient) -> list[Message]:
    """Items, customers, invoices naming both, payments, one update and one delete, with states."""
    services = rows(company, "Item", "Name = 'Services'")[0]
    business = new_business("Kill", 40, 100)
    customers = [
        m["record"]["DisplayName"] for m in business if m["type"] == "RECORD" and m["stream"] == "customers"
    ]
    messages: list[Message] = [schema("items", "Item")]
    for n in range(20):
        item = {"Name": f"Kill Item {n}", "Type": "Service", "IncomeAccountRef": services["IncomeAccountRef"]}
        messages.append(record("items", item))
    messages.append(state({"at": "items"}))
    messages += business
    for n, message in enumerate(m for m in business if m["type"] == "RECORD" and m["stream"] == "invoices"):
        if n % 4 == 0:  # a second line with one of the new items
            line = {
                "Amount": 3.0,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {
                    "ItemRef": {"name": f"Kill Item {n % 20}"},
                    "Qty": 1,
                    "UnitPrice": 3.0,
                },
            }
            message["record"]["Line"].append(line)
    messages.insert(len(messages) - 60, state({"at": "invoices-40"}))
    messages.append(state({"at": "invoices"}))
    messages.append(schema("payments", "Payment"))
    for n in range(40):
        payment = {
            "PaymentRefNum": f"KP-{n}",
            "CustomerRef": {"name": customers[n]},
            "TotalAmt": 5.0 + n,
            "TxnDate": "2025-06-01",
        }
        messages.append(record("payments", payment))
    messages.append(state({"at": "payments"}))
    messages.append(record("customers", {"DisplayName": customers[1], "Notes": "updated after its invoices"}))
    messages.append(record("invoices", {"DocNumber": "Kill-7", "_qbo_operation": "delete"}))
    messages.append(state({"at": "end"}))
    return messages


def view(company: QBOClient) -> dict[str, Any]:
    """What the input wrote, by natural key (Ids differ between companies): names, amounts, refs."""
    names = {r["Id"]: r["DisplayName"] for r in rows(company, "Customer", "DisplayName LIKE 'Kill %'")}
    items = {r["Id"]: r["Name"] for r in rows(company, "Item")}
    invoices = rows(company, "Invoice", "DocNumber LIKE 'Kill-%'")
    payments = [r for r in rows(company, "Payment") if str(r.get("PaymentRefNum", "")).startswith("KP-")]
    return {
        "customers": sorted(
            (r["DisplayName"], r.get("Notes"), r.get("Active"))
            for r in rows(company, "Customer", "DisplayName LIKE 'Kill %'")
        ),
        "items": sorted(r["Name"] for r in rows(company, "Item", "Name LIKE 'Kill Item %'")),
        "invoices": sorted(
            (
                r["DocNumber"],
                names.get(r["CustomerRef"]["value"]),
                r["TotalAmt"],
                tuple(
                    (
                        line.get("Amount"),
                        items.get(line.get("SalesItemLineDetail", {}).get("ItemRef", {}).get("value")),
                    )
                    for line in r["Line"]
                    if line.get("DetailType") == "SalesItemLineDetail"
                ),
            )
            for r in invoices
        ),
        "payments": sorted(
            (r["PaymentRefNum"], names.get(r["CustomerRef"]["value"]), r["TotalAmt"]) for r in payments
        ),
    }


def stored(running: RunningSandbox) -> int:
    """Rows of the written objects in the sandbox's store (watched directly: no request, no limit)."""
    marks = ",".join("?" * len(WRITTEN))
    with running.sandbox.db.read() as conn:
        found = conn.execute(
            f"SELECT COUNT(*) FROM entities WHERE realm_id = ? AND type IN ({marks})",
            (running.realm, *WRITTEN),
        ).fetchone()
    return int(found[0])


def kill_at(
    running: RunningSandbox,
    config: dict[str, Any],
    messages: list[Message],
    writes: int,
    tmp: Path,
    *,
    between: bool,
) -> tuple[list[dict[str, Any]], int]:
    """Run the target as a process; SIGKILL it once ``writes`` more rows are stored (``between``:
    and no request is in flight, so the kill falls between two requests). Its states, and how
    many requests were in flight when it was killed."""
    (tmp / "config.json").write_text(json.dumps(config))
    (tmp / "input.jsonl").write_text(lines(messages))
    start = stored(running)
    command = [sys.executable, "-m", "target_quickbooks.target", "--config", str(tmp / "config.json")]
    with (tmp / "input.jsonl").open() as stdin, (tmp / "stdout").open("w") as stdout:
        process = subprocess.Popen(command, stdin=stdin, stdout=stdout, stderr=subprocess.DEVNULL)
        try:
            stats = running.sandbox.limits.stats
            in_flight = 0
            for _ in range(20000):
                if process.poll() is not None:
                    break
                in_flight = stats.in_flight
                if stored(running) - start >= writes and not (between and in_flight):
                    break
                time.sleep(0.002)
            # inside: the answer to the request that stored the row is still held back by the latency
            assert process.poll() is None, "the run finished before its kill point"
            os.kill(process.pid, signal.SIGKILL)
        finally:
            process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL  # killed, not finished
    states = [json.loads(line) for line in (tmp / "stdout").read_text().splitlines() if line.strip()]
    return states, in_flight


def resume(messages: list[Message], states: list[dict[str, Any]]) -> list[Message]:
    """What a tap sends when it starts from the last state: every schema, then what came after."""
    if not states:
        return messages
    at = max(i for i, m in enumerate(messages) if m["type"] == "STATE" and m["value"] == states[-1])
    return [m for m in messages[:at] if m["type"] == "SCHEMA"] + messages[at + 1 :]


def test_killed_at_seeded_points_inside_and_between_batches_then_resumed_equals_a_clean_run(
    qbo_sandbox: RunningSandbox, clean_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    clean_config = target_config(clean_sandbox, tmp_path / "clean", max_in_flight=2)
    clean_company = reader(clean_config)
    messages = mixed_input(clean_company)
    clean = run_target(clean_config, messages)
    expected = view(clean_company)
    assert clean.counts.get("dead_lettered", 0) == 0
    assert len(expected["customers"]) == 40
    assert len(expected["invoices"]) == 99  # Kill-7 deleted
    assert ('Kill "Quoted" Co 1', "updated after its invoices", True) in expected["customers"]
    total = stored(clean_sandbox) - stored(qbo_sandbox)  # rows a whole run stores

    config = target_config(qbo_sandbox, tmp_path / "killed", max_in_flight=2, batch_size_rows=50)
    company = reader(config)
    rng = random.Random(SEED)
    remaining = messages
    emitted: list[dict[str, Any]] = []
    for n in range(3):
        directory = tmp_path / f"kill-{n}"
        directory.mkdir()
        between = n == 1
        states, in_flight = kill_at(
            qbo_sandbox, config, remaining, rng.randint(5, total // 6), directory, between=between
        )
        if not between:  # the request that stored the rows had not been answered
            assert in_flight > 0
        emitted += states
        remaining = resume(remaining, states)
    assert emitted  # some kill came after a confirmed state: that run resumed from it
    assert len(remaining) < len(messages)

    final = run_target(config, remaining)
    assert final.counts.get("dead_lettered", 0) == 0
    assert final.states[-1] == {"at": "end"}
    assert view(company) == expected
    # nothing twice: the natural keys are unique
    names = [r["DisplayName"] for r in rows(company, "Customer", "DisplayName LIKE 'Kill %'")]
    docs = [r["DocNumber"] for r in rows(company, "Invoice", "DocNumber LIKE 'Kill-%'")]
    assert len(names) == len(set(names)) == 40
    assert len(docs) == len(set(docs)) == 99
