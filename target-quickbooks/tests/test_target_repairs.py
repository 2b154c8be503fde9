"""Faults the target repairs: 5010 (someone changed the object since it was read), 6240 and 6140
(someone created the name or number since the target looked), and the 6240 it cannot repair.

"Someone" is another user of the company, played on the server side: the sandbox runs their
write just before it handles the target's first batch, between the target's read and its write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qbo_client import catalog
from qbo_client.client import QBOClient
from qbo_sandbox.testing import RunningSandbox
from tq_helpers import (
    dead_letters,
    record,
    rows,
    run_target,
    schema,
    tap_record,
)


def _before_first_batch(running: RunningSandbox, other_user: Callable[[], None]) -> None:
    service = running.sandbox.service
    original = service.batch
    done = []

    def batch(realm: str, body: Any) -> dict[str, Any]:
        if not done:
            done.append(True)
            other_user()
        return original(realm, body)

    service.batch = batch  # type: ignore[method-assign]


def _line(amount: float) -> dict[str, Any]:
    return {
        "Amount": amount,
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1, "UnitPrice": amount},
    }


def test_stale_sync_token_is_read_again_and_the_change_reapplied(
    qbo_sandbox: RunningSandbox, config: dict[str, Any], company: QBOClient
) -> None:
    customer = rows(company, "Customer", "Active = true")[0]
    service, realm = qbo_sandbox.sandbox.service, qbo_sandbox.realm

    def other_user() -> None:
        current = service.read(realm, catalog.get("Customer"), customer["Id"])
        body = {"Id": current["Id"], "SyncToken": current["SyncToken"], "sparse": True, "Notes": "theirs"}
        service.update(realm, catalog.get("Customer"), body)

    _before_first_batch(qbo_sandbox, other_user)
    mine = {**tap_record(customer), "Notes": "mine"}

    run = run_target(config, [schema("Customer"), record("Customer", mine)])

    (now,) = rows(company, "Customer", f"Id = '{customer['Id']}'")
    assert now["Notes"] == "mine"
    assert int(now["SyncToken"]) == int(customer["SyncToken"]) + 2  # theirs, then mine re-applied
    assert dead_letters(config) == []
    assert run.counts["update"] == 1


def test_duplicate_name_created_meanwhile_becomes_an_update(
    qbo_sandbox: RunningSandbox, config: dict[str, Any], company: QBOClient
) -> None:
    service, realm = qbo_sandbox.sandbox.service, qbo_sandbox.realm
    _before_first_batch(
        qbo_sandbox,
        lambda: service.create(realm, catalog.get("Customer"), {"DisplayName": "Race Co", "Notes": "theirs"}),
    )

    run_target(config, [schema("Customer"), record("Customer", {"DisplayName": "Race Co", "Notes": "mine"})])

    (race,) = rows(company, "Customer", "DisplayName = 'Race Co'")
    assert race["Notes"] == "mine"
    assert dead_letters(config) == []


def test_duplicate_doc_number_created_meanwhile_becomes_an_update(
    qbo_sandbox: RunningSandbox, config: dict[str, Any], company: QBOClient
) -> None:
    service, realm = qbo_sandbox.sandbox.service, qbo_sandbox.realm
    theirs = {"DocNumber": "RACE-1", "CustomerRef": {"value": "1"}, "Line": [_line(10.0)]}
    _before_first_batch(qbo_sandbox, lambda: service.create(realm, catalog.get("Invoice"), theirs))
    mine = {
        "DocNumber": "RACE-1",
        "CustomerRef": {"value": "1"},
        "Line": [_line(25.0)],
        "PrivateNote": "mine",
    }

    run_target(config, [schema("Invoice"), record("Invoice", mine)])

    (invoice,) = rows(company, "Invoice", "DocNumber = 'RACE-1'")
    assert invoice["TotalAmt"] == 25.0
    assert invoice["PrivateNote"] == "mine"
    assert dead_letters(config) == []


def test_name_taken_by_a_vendor_is_dead_lettered_with_the_reason(
    config: dict[str, Any], company: QBOClient
) -> None:
    vendor = rows(company, "Vendor", "Active = true")[0]["DisplayName"]
    before = len(rows(company, "Customer"))

    run_target(config, [schema("Customer"), record("Customer", {"DisplayName": vendor})])

    (dead,) = dead_letters(config)
    assert dead["code"] == "6240"
    assert dead["intuit_tid"].startswith("1-")
    assert "name space" in dead["reason"]
    assert dead["record"] == {"DisplayName": vendor}
    assert len(rows(company, "Customer")) == before
