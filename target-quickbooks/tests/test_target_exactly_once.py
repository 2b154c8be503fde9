"""Exactly once: a replayed stream and a run stopped by fail_fast then run again never duplicate an
object nor lose one (a killed run: test_target_crash)."""

from __future__ import annotations

from typing import Any

import pytest
from qbo_client.client import QBOClient
from target_quickbooks.deadletter import FailFast
from tq_helpers import (
    company_digest,
    dead_letters,
    new_business,
    record,
    rows,
    run_target,
    schema,
    state,
    tap_record,
)


def test_replaying_the_same_input_leaves_the_company_unchanged(
    config: dict[str, Any], company: QBOClient
) -> None:
    existing = [tap_record(r) for r in rows(company, "Invoice")[:5]]  # as the tap read them
    messages = [
        *new_business("Replay", 40, 70),
        schema("Invoice"),
        *[record("Invoice", r) for r in existing],
    ]
    messages.append(state({"bookmark": 1}))

    first = run_target(config, messages)
    digest = company_digest(company)
    second = run_target(config, messages)

    assert company_digest(company) == digest
    assert first.counts["create"] == 110
    assert first.counts["unchanged"] == 5
    assert second.counts["unchanged"] == 115
    assert second.counts.get("create", 0) == second.counts.get("update", 0) == 0
    assert len(rows(company, "Customer", "DisplayName LIKE 'Replay%'")) == 40
    assert dead_letters(config) == []
    assert first.states == second.states == [{"bookmark": 1}]


def test_fail_fast_stops_at_the_first_failure_and_a_rerun_completes(
    config: dict[str, Any], company: QBOClient
) -> None:
    bad = {
        "DocNumber": "FF-bad",
        "CustomerRef": {"value": "999999"},
        "Line": [
            {
                "Amount": 5,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
            }
        ],
    }
    messages = [*new_business("FF", 90, 0), schema("Invoice"), record("Invoice", bad), state({"at": "end"})]

    with pytest.raises(FailFast, match="999999"):
        run_target({**config, "fail_fast": True}, messages)

    assert len(rows(company, "Customer", "DisplayName LIKE 'FF%'")) == 90  # written before the failure
    (failed,) = dead_letters(config)
    assert failed["code"] == "2500"
    assert failed["intuit_tid"]

    fixed = {**bad, "CustomerRef": {"name": "FF O'Neil \\ Sons 0"}}
    rerun = run_target(config, [*messages[:-2], record("Invoice", fixed), state({"at": "end"})])

    assert len(rows(company, "Customer", "DisplayName LIKE 'FF%'")) == 90
    assert rerun.counts["unchanged"] == 90
    assert rerun.counts["create"] == 1
    assert rows(company, "Invoice", "DocNumber = 'FF-bad'")
    assert rerun.states == [{"at": "end"}]
