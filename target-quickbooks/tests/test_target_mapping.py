"""Stream names to objects, natural-key overrides, the write order, and the requestid scheme."""

from __future__ import annotations

from typing import Any

import pytest
from qbo_client import catalog, ordering
from qbo_client.client import QBOClient
from target_quickbooks.mapping import StreamMappingError, object_for_name, resolve_stream
from target_quickbooks.plan import request_id
from tq_helpers import (
    dead_letters,
    record,
    rows,
    run_target,
)


@pytest.mark.parametrize(
    ("stream", "obj"),
    [
        ("Invoice", "Invoice"),
        ("invoices", "Invoice"),
        ("sales_receipt", "SalesReceipt"),
        ("SalesReceipts", "SalesReceipt"),
        ("journal-entries", "JournalEntry"),
        ("public-customers", "Customer"),
        ("classes", "Class"),
        ("company_currencies", "CompanyCurrency"),
        ("Preferences", "Preferences"),
        ("bill_payments", "BillPayment"),
    ],
)
def test_stream_names_map_to_objects(stream: str, obj: str) -> None:
    found = object_for_name(stream)
    assert found is not None
    assert found.name == obj


def test_explicit_mapping_and_its_mistakes() -> None:
    mapped = resolve_stream("crm", {"crm": {"object": "Customer", "natural_key": ["CompanyName"]}})
    assert (mapped.object, mapped.natural_key) == ("Customer", ("CompanyName",))
    assert resolve_stream("Invoice", None).natural_key == ("DocNumber",)
    with pytest.raises(StreamMappingError, match="not a property of Customer"):
        resolve_stream("crm", {"crm": {"object": "Customer", "natural_key": ["Nickname"]}})
    with pytest.raises(StreamMappingError, match="maps to no QuickBooks object"):
        resolve_stream("web_events", {})


def test_natural_key_override_updates_the_object_it_finds(config: dict[str, Any], company: QBOClient) -> None:
    settings = {
        **config,
        "stream_maps_to_objects": {"crm": {"object": "Customer", "natural_key": ["CompanyName"]}},
    }
    loose = {"type": "SCHEMA", "stream": "crm", "schema": {"properties": {}}, "key_properties": []}

    run_target(settings, [loose, record("crm", {"DisplayName": "Acme Inc", "CompanyName": "Acme"})])
    run_target(settings, [loose, record("crm", {"DisplayName": "Acme Incorporated", "CompanyName": "Acme"})])

    (acme,) = rows(company, "Customer", "CompanyName = 'Acme'")
    assert acme["DisplayName"] == "Acme Incorporated"
    assert dead_letters(config) == []


def test_write_order_puts_parents_before_children() -> None:
    order = ordering.write_order()
    assert set(order) == {s.name for s in catalog.OBJECTS if s.create or s.update}
    position = {name: n for n, name in enumerate(order)}
    for parent, child in [
        ("Account", "Item"),
        ("TaxAgency", "TaxRate"),
        ("TaxRate", "TaxCode"),
        ("TaxCode", "Customer"),
        ("Term", "Vendor"),
        ("Vendor", "Item"),
        ("Item", "Invoice"),
        ("Customer", "Invoice"),
        ("Estimate", "Invoice"),
        ("Invoice", "Payment"),
        ("CreditMemo", "Payment"),
        ("Payment", "Deposit"),
        ("SalesReceipt", "Deposit"),
        ("PurchaseOrder", "Bill"),
        ("Bill", "BillPayment"),
        ("VendorCredit", "BillPayment"),
        ("Invoice", "Attachable"),
    ]:
        assert position[parent] < position[child], (parent, child)


def test_request_ids_are_deterministic_and_fit_with_a_batch_id() -> None:
    items = [{"bId": "1", "operation": "create", "Customer": {"DisplayName": "A"}}]
    same = [{"bId": "7", "operation": "create", "Customer": {"DisplayName": "A"}}]
    other = [{"bId": "1", "operation": "create", "Customer": {"DisplayName": "B"}}]
    assert request_id("123", items) == request_id("123", same)
    assert request_id("123", items) != request_id("123", other)
    assert request_id("123", items) != request_id("456", items)
    assert len(request_id("123", items)) + len("30") <= 50


def test_report_streams_of_the_tap_are_read_and_not_written(config: dict[str, Any]) -> None:
    report = {"type": "SCHEMA", "stream": "TrialBalance", "schema": {"properties": {}}, "key_properties": []}
    row = {"account_key": "1", "period_start": "2025-01-01", "period_end": "2025-01-31", "debit": 10}

    run = run_target(config, [report, record("TrialBalance", row), {"type": "STATE", "value": {"r": 1}}])

    assert run.counts["report_rows_ignored"] == 1
    assert run.states == [{"r": 1}]
    assert dead_letters(config) == []
