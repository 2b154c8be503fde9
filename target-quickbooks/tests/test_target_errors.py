"""Records that cannot be written: each gets a reason in the dead letter, nothing half-written,
the others carry on; and the switches that hold writes back (dry run, create/update only)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from qbo_client.client import QBOClient
from target_quickbooks.mapping import StreamMappingError
from target_quickbooks.target import TargetQuickBooks
from tq_helpers import (
    company_digest,
    count,
    dead_letters,
    loose_schema,
    record,
    rows,
    run_target,
    schema,
    state,
    tap_record,
)


def _invoice(doc: str, customer: dict[str, str], amount: Any = 10.0) -> dict[str, Any]:
    return {
        "DocNumber": doc,
        "CustomerRef": customer,
        "Line": [
            {
                "Amount": amount,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1, "UnitPrice": amount},
            }
        ],
    }


def test_partial_batch_failure_dead_letters_exactly_the_bad_records(
    config: dict[str, Any], company: QBOClient
) -> None:
    bad = {7, 19, 33}
    messages = [schema("Invoice")]
    for n in range(40):  # two batches; QBO refuses the three with a customer that does not exist
        customer = {"value": "999999"} if n in bad else {"value": "1"}
        messages.append(record("Invoice", _invoice(f"PB-{n}", customer)))

    run = run_target(config, messages)

    dead = dead_letters(config)
    assert sorted(d["record"]["DocNumber"] for d in dead) == sorted(f"PB-{n}" for n in bad)
    for letter in dead:
        assert letter["code"] == "2500"
        assert letter["intuit_tid"].startswith("1-")
        assert letter["stream"] == "Invoice"
        assert letter["object"] == "Invoice"
        assert letter["operation"] == "create"
        assert letter["message"]
        assert "PB-" in letter["reason"]
    written = {r["DocNumber"] for r in rows(company, "Invoice", "DocNumber LIKE 'PB-%'")}
    assert written == {f"PB-{n}" for n in range(40) if n not in bad}
    assert run.counts["create"] == 37
    assert run.counts["dead_lettered"] == 3


def test_bad_input_gets_a_reason_per_record_and_nothing_is_half_written(
    config: dict[str, Any], company: QBOClient
) -> None:
    quoted = 'Bob\'s "Best" \\ Backslashes'
    before = {name: count(company, name) for name in ("Customer", "Invoice", "Budget", "TaxReturn")}
    messages = [
        schema("customers", "Customer"),
        record("customers", {"DisplayName": "Misfit", "ShoeSize": 44}),  # not a Customer property
        record("customers", {"DisplayName": quoted, "Notes": "fine"}),  # quotes and backslashes: fine
        record("customers", {"DisplayName": 12.5, "Active": "maybe"}),  # not a boolean
        schema("invoices", "Invoice"),
        record("invoices", _invoice("BAD-REF", {"name": "Nobody At All"})),  # resolves to nothing
        record("invoices", _invoice("BAD-AMOUNT", {"value": "1"}, amount="12,50")),  # not a number
        record("invoices", _invoice("GOOD", {"name": quoted})),
        record("invoices", {"DocNumber": "NO-LINES", "CustomerRef": {"value": "1"}}),  # Line required
        schema("vendors", "Vendor"),  # a stream with no records at all
        schema("Budget"),
        record("Budget", {"Name": "FY2099", "StartDate": "2099-01-01"}),  # read-only object
        schema("TaxReturn"),
        record("TaxReturn", {"StartDate": "2099-01-01", "EndDate": "2099-03-31"}),  # cannot be created
        record("invoices", {"Id": "1", "_qbo_operation": "explode"}),  # unknown operation
    ]

    run_target(config, messages)

    dead = {
        d["record"].get("DisplayName") or d["record"].get("DocNumber") or d["object"]: d
        for d in dead_letters(config)
    }
    expected = {
        "Misfit": ("2010", "ShoeSize"),
        "BAD-REF": ("2500", "Nobody At All"),
        "BAD-AMOUNT": ("2010", "must be a number"),
        "NO-LINES": ("2020", "needs Line"),
        "Budget": ("500", "read-only"),
        "TaxReturn": ("500", "cannot be created"),
    }
    for key, (code, said) in expected.items():
        assert dead[key]["code"] == code, key
        assert said in dead[key]["reason"], key
    assert len(dead) == len(expected) + 2  # and the non-boolean Active, and the unknown operation
    assert all(d["reason"] and d["object"] and d["stream"] for d in dead.values())
    # nothing of a refused record was written; the good ones were
    assert count(company, "Customer") == before["Customer"] + 1
    assert count(company, "Invoice") == before["Invoice"] + 1
    assert count(company, "Budget") == before["Budget"]
    assert count(company, "TaxReturn") == before["TaxReturn"]
    (good,) = rows(company, "Invoice", "DocNumber = 'GOOD'")
    (bob,) = rows(company, "Customer", "DisplayName = 'Bob\\'s \"Best\" \\\\ Backslashes'")
    assert good["CustomerRef"]["value"] == bob["Id"]


def test_a_stream_that_maps_to_nothing_fails_at_its_schema(
    config: dict[str, Any], company: QBOClient
) -> None:
    with pytest.raises(StreamMappingError, match="'marketing_campaigns' maps to no QuickBooks object"):
        run_target(config, [loose_schema("marketing_campaigns")])
    with pytest.raises(StreamMappingError, match="not a QuickBooks object"):
        TargetQuickBooks(config={**config, "stream_maps_to_objects": {"leads": "Lead"}})


def test_dry_run_prints_the_plan_and_writes_nothing(config: dict[str, Any], company: QBOClient) -> None:
    invoice, payment = rows(company, "Invoice")[0], rows(company, "Payment")[0]
    customer = rows(company, "Customer", "Active = true")[0]
    digest = company_digest(company)
    messages = [
        schema("Customer"),
        record("Customer", {"DisplayName": "Dry Co"}),
        record("Customer", {**tap_record(customer), "Notes": "dry"}),
        record("Customer", {"DisplayName": customer["DisplayName"], "_qbo_operation": "delete"}),
        schema("Invoice"),
        record("Invoice", _invoice("DRY-1", {"name": "Dry Co"})),  # refers to the customer planned above
        record("Invoice", {"Id": invoice["Id"], "_sdc_deleted_at": "2030-01-01T00:00:00Z"}),
        schema("Payment"),
        record("Payment", {"Id": payment["Id"], "_qbo_operation": "void"}),
    ]

    run = run_target({**config, "dry_run": True}, messages)

    plan = [json.loads(line) for line in run.stderr.splitlines() if line.startswith("{")]
    assert [(p["object"], p["action"]) for p in plan] == [
        ("Customer", "create"),
        ("Customer", "update"),
        ("Customer", "inactivate"),
        ("Invoice", "create"),
        ("Invoice", "delete"),
        ("Payment", "void"),
    ]
    assert plan[1]["target_id"] == customer["Id"]
    assert company_digest(company) == digest
    assert dead_letters(config) == []


def test_create_only_and_update_only(config: dict[str, Any], company: QBOClient) -> None:
    customer = rows(company, "Customer", "Active = true")[0]
    messages = [
        schema("Customer"),
        record("Customer", {**tap_record(customer), "Notes": "changed"}),
        record("Customer", {"DisplayName": "Brand New Co"}),
    ]

    created = run_target({**config, "create_only": True}, messages)
    (same,) = rows(company, "Customer", f"Id = '{customer['Id']}'")
    assert same["SyncToken"] == customer["SyncToken"]
    assert rows(company, "Customer", "DisplayName = 'Brand New Co'")
    assert (created.counts["create"], created.counts["skip"]) == (1, 1)

    messages[2] = record("Customer", {"DisplayName": "Another New Co"})
    updated = run_target({**config, "update_only": True}, messages)
    (now,) = rows(company, "Customer", f"Id = '{customer['Id']}'")
    assert now["Notes"] == "changed"
    assert rows(company, "Customer", "DisplayName = 'Another New Co'") == []
    assert (updated.counts["update"], updated.counts["skip"]) == (1, 1)


class _DrainAfterEveryRecord(TargetQuickBooks):
    """Drains (and may emit state) after every record, as the SDK does once records are old."""

    _MAX_RECORD_AGE_IN_MINUTES = 0.0


def test_state_waits_until_the_records_before_it_are_written(
    config: dict[str, Any], company: QBOClient
) -> None:
    messages = [
        schema("Invoice"),
        schema("Customer"),
        record("Invoice", _invoice("LATER-1", {"name": "Later Co"})),  # its customer comes later
        state({"n": 1}),
        record("Customer", {"DisplayName": "Unrelated Co"}),  # a drain: the invoice still waits
        state({"n": 2}),
        record("Customer", {"DisplayName": "Later Co"}),  # now both can be written
        state({"n": 3}),
    ]

    run = run_target(config, messages, target_class=_DrainAfterEveryRecord)

    # After "Unrelated Co" the target drained with the invoice still waiting: {"n": 1} was held
    # back. After "Later Co" everything before {"n": 2} was written, so that is the next state.
    assert run.states == [{"n": 2}, {"n": 3}]
    (invoice,) = rows(company, "Invoice", "DocNumber = 'LATER-1'")
    (later,) = rows(company, "Customer", "DisplayName = 'Later Co'")
    assert invoice["CustomerRef"]["value"] == later["Id"]


def test_secrets_never_reach_the_logs(
    config: dict[str, Any], company: QBOClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = (config["client_secret"], config["refresh_token"])

    run_target(config, [schema("Customer"), record("Customer", {"DisplayName": f"Log {secrets[0]}"})])
    logging.getLogger("target_quickbooks").info("config was %s", config)

    assert caplog.records  # the run did log (SDK, client, target)
    for secret in secrets:
        assert secret not in caplog.text
