"""target-quickbooks, edition desktop, never writes twice: answers the Web Connector lost, a target
run again over the same input, a target killed while QuickBooks was writing its batch. Counted in
the company: Deposits have no natural key, so only the keyed job stands between them and a copy."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import target_desktop_harness as h
from qbd_client.client import BridgeClient
from qbd_sandbox.faults import ConnectorFaults
from qbd_sandbox.stack import DesktopStack

TARGET = str(Path(sys.executable).parent / "target-quickbooks")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DesktopStack]:
    # Sessions cut by a lost answer are over after a few seconds, not QBWC's minutes.
    with DesktopStack(
        tmp_path_factory.mktemp("desktop-once"), session_idle_timeout=3.0, session_quiet_timeout=2.0
    ) as running:
        running.add_company("once", seed=5, size=60)
        yield running


@pytest.fixture(scope="module")
def once(stack: DesktopStack) -> BridgeClient:
    return h.client_of(stack, "once")


def _batch(prefix: str, customers: int, deposits: int) -> dict[str, list[dict[str, Any]]]:
    return {
        "Customer": [{"Name": f"{prefix} Customer {n}"} for n in range(customers)],
        "Deposit": [
            {
                "TxnDate": "2026-11-25",
                "DepositToAccountRef": {"FullName": "Checking"},
                "Memo": f"{prefix} deposit {n}",
                "DepositLineRet": [
                    {
                        "EntityRef": {"FullName": f"{prefix} Customer {n % customers}"},
                        "AccountRef": {"FullName": "Owner's Capital:Investments"},
                        "Amount": 100 + n,
                    }
                ],
            }
            for n in range(deposits)
        ],
    }


def _deposits(client: BridgeClient, prefix: str) -> list[dict[str, Any]]:
    return [d for d in h.read(client, ["Deposit"])["Deposit"] if str(d.get("Memo", "")).startswith(prefix)]


def _customers(client: BridgeClient, prefix: str) -> list[dict[str, Any]]:
    return [c for c in h.read(client, ["Customer"])["Customer"] if str(c["Name"]).startswith(prefix)]


def test_lost_answers_and_a_second_run_write_each_record_once(
    stack: DesktopStack, once: BridgeClient, tmp_path: Path
) -> None:
    emulated = stack.companies["once"]
    records = _batch("Dropped", customers=8, deposits=6)
    emulated.set_faults(ConnectorFaults(seed=11, drop=1.0, times=3))
    try:
        first = h.run(h.target_config(stack, "once", tmp_path), h.messages(records))
    finally:
        dropped = emulated.faults.fired["drop"]
        emulated.set_faults(ConnectorFaults())
    assert dropped == 3
    assert (first.counts["create"], first.counts.get("dead_lettered", 0)) == (14, 0)
    assert (len(_customers(once, "Dropped")), len(_deposits(once, "Dropped"))) == (8, 6)

    # The same input again (a target restarted from an older state): customers are found by name,
    # the deposits' batch is the same job, whose answers are read instead of writing again.
    second = h.run(h.target_config(stack, "once", tmp_path), h.messages(records))
    assert second.counts["unchanged"] == 8
    assert second.stats["jobs_found_again"] == 1
    assert (len(_customers(once, "Dropped")), len(_deposits(once, "Dropped"))) == (8, 6)


def test_a_target_killed_while_quickbooks_writes_does_not_write_twice(
    stack: DesktopStack, once: BridgeClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulated = stack.companies["once"]
    original = emulated.company.process
    reached, release = threading.Event(), threading.Event()

    def slow_deposits(request: bytes | str, session: str) -> bytes:
        # QuickBooks takes its time over the deposits: long enough to kill the target meanwhile.
        text = request.decode() if isinstance(request, bytes) else request
        if "DepositAddRq" in text and not reached.is_set():
            reached.set()
            release.wait(30)
        return original(request, session)

    monkeypatch.setattr(emulated.company, "process", slow_deposits)
    config = h.target_config(stack, "once", tmp_path)
    (tmp_path / "config.json").write_text(json.dumps(config))
    records = _batch("Killed", customers=5, deposits=4)
    text = "".join(json.dumps(m) + "\n" for m in h.messages(records))
    (tmp_path / "input.jsonl").write_text(text)
    with (tmp_path / "input.jsonl").open() as stdin:
        process = subprocess.Popen(
            [TARGET, "--config", str(tmp_path / "config.json")],
            stdin=stdin,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
    try:
        assert reached.wait(60), "the target never sent its deposits"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        release.set()
    assert process.returncode == -signal.SIGKILL
    # QuickBooks finishes the batch the killed target submitted.
    assert stack.until(lambda: len(_deposits(once, "Killed")) == 4, timeout=30)

    rerun = h.run(config, h.messages(records))
    assert rerun.counts.get("dead_lettered", 0) == 0
    assert (rerun.counts["unchanged"], rerun.stats["jobs_found_again"]) == (5, 1)
    assert (len(_customers(once, "Killed")), len(_deposits(once, "Killed"))) == (5, 4)
