"""The tap reads the objects beyond the first 36: each a stream whose records fit its schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import requests
from qbo_client import catalog
from qbo_sandbox.testing import RunningSandbox
from tap_harness import run_tap, tap_config
from tap_quickbooks.online.edition import object_schema

NEW = (
    "CreditCardPaymentTxn",
    "CustomerType",
    "InventoryAdjustment",
    "RecurringTransaction",
    "ReimburseCharge",
)


def _first(http: requests.Session, base: str, query: str) -> dict[str, Any]:
    answer = http.get(f"{base}/query", params={"query": query}, timeout=30).json()["QueryResponse"]
    rows: list[dict[str, Any]] = next(v for v in answer.values() if isinstance(v, list))
    return rows[0]


def _post(http: requests.Session, base: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = http.post(f"{base}/{path}", json=body, timeout=30)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _seed(running: RunningSandbox) -> None:
    """One or two of each new object, written over HTTP where the API writes them, else loaded."""
    http, base = running.session(), running.company_url
    bank = _first(http, base, "SELECT * FROM Account WHERE Name = 'Checking'")
    card = _first(http, base, "SELECT * FROM Account WHERE Name = 'Visa'")
    cogs = _first(http, base, "SELECT * FROM Account WHERE AccountType = 'Cost of Goods Sold'")
    item = _first(http, base, "SELECT * FROM Item WHERE Type = 'Inventory'")
    vendor = _first(http, base, "SELECT * FROM Vendor WHERE Active = true")
    customer = _first(http, base, "SELECT * FROM Customer WHERE Active = true")
    for amount in (75, 120):
        _post(
            http,
            base,
            "creditcardpayment",
            {
                "Amount": amount,
                "BankAccountRef": {"value": bank["Id"]},
                "CreditCardAccountRef": {"value": card["Id"]},
            },
        )
    _post(
        http,
        base,
        "inventoryadjustment",
        {
            "AdjustAccountRef": {"value": cogs["Id"]},
            "Line": [
                {
                    "DetailType": "ItemAdjustmentLineDetail",
                    "ItemAdjustmentLineDetail": {"QtyDiff": -1, "ItemRef": {"value": item["Id"]}},
                }
            ],
        },
    )
    line = {
        "Amount": 900,
        "DetailType": "AccountBasedExpenseLineDetail",
        "AccountBasedExpenseLineDetail": {"AccountRef": {"value": cogs["Id"]}},
    }
    info = {
        "Name": "Yard lease",
        "RecurType": "Automated",
        "Active": True,
        "ScheduleInfo": {"IntervalType": "Monthly", "NumInterval": 1},
    }
    _post(
        http,
        base,
        "recurringtransaction",
        {"Bill": {"VendorRef": {"value": vendor["Id"]}, "Line": [line], "RecurringInfo": info}},
    )
    running.sandbox.service.load(
        running.realm,
        [
            ("CustomerType", {"Name": "Wholesale", "Active": True}),
            ("CustomerType", {"Name": "Nonprofit", "Active": True}),
            (
                "ReimburseCharge",
                {"CustomerRef": {"value": customer["Id"]}, "Amount": 5.0, "HasBeenInvoiced": False},
            ),
        ],
    )


def test_new_objects_are_streams_with_records_that_fit_their_schemas(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    # The sample company holds a few of each (no TaxPayment: it is a US company); _seed adds more.
    http, base = qbo_sandbox.session(), qbo_sandbox.company_url
    held = {
        name: http.get(f"{base}/query", params={"query": f"SELECT COUNT(*) FROM {name}"}, timeout=30).json()[
            "QueryResponse"
        ]["totalCount"]
        for name in NEW
    }
    assert all(held.values()), held
    _seed(qbo_sandbox)
    run = run_tap(qbo_sandbox, tap_config(qbo_sandbox, tmp_path))
    counts = {name: len(run.records[name]) - held[name] for name in NEW}
    assert counts == {
        "CreditCardPaymentTxn": 2,
        "CustomerType": 2,
        "InventoryAdjustment": 1,
        "RecurringTransaction": 1,
        "ReimburseCharge": 1,
    }
    assert run.records["TaxPayment"] == []
    for name in NEW:
        # One validator per schema (jsonschema.validate checks the schema itself again on every call,
        # which for RecurringTransaction's schema costs seconds a record).
        validator = jsonschema.Draft7Validator(object_schema(catalog.get(name), include_deletes=True))
        for record in run.records[name]:
            validator.validate(record)
    payments = [p for p in run.records["CreditCardPaymentTxn"] if p["Amount"] in (75.0, 120.0)]
    assert sorted(p["Amount"] for p in payments) == [75.0, 120.0]
    assert {p["CreditCardAccountRef"]["name"] for p in payments} == {"Visa"}
    # A template keeps QuickBooks' shape, {"Bill": {...}}, with its Id and type on top.
    (template,) = [
        t
        for t in run.records["RecurringTransaction"]
        if t["Type"] == "Bill" and t["Bill"]["RecurringInfo"]["Name"] == "Yard lease"
    ]
    assert template["Type"] == "Bill"
    assert template["Id"] == template["Bill"]["Id"]
    assert template["Bill"]["RecurringInfo"]["Name"] == "Yard lease"
    assert template["LastUpdatedTime"].endswith("+00:00")
