"""The objects beyond the first 36, written by the target over real HTTP and read back.

CreditCardPayment (answered as CreditCardPaymentTxn) and InventoryAdjustment are written as any
transaction; a RecurringTransaction record, as tap-quickbooks emits it (its template's ``Id`` and
``Type`` on top, the template under its type), is sent as the API takes it, ``{"Invoice": {...}}``,
its references mapped inside the template; CustomerType, ReimburseCharge and TaxPayment, which the
API only reads, are dead-lettered with a one-line reason.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from qbo_client.client import QBOClient
from qbo_sandbox.testing import RunningSandbox
from test_target_roundtrip import export_company
from tq_helpers import (
    count,
    dead_letters,
    reader,
    record,
    rows,
    run_target,
    schema,
    tap_record,
    target_config,
)


def _balance(company: QBOClient, account_id: str) -> float:
    (account,) = rows(company, "Account", f"Id = '{account_id}'")
    return float(account["CurrentBalance"])


def _one(company: QBOClient, obj: str, where: str) -> dict[str, Any]:
    found = rows(company, obj, where)
    assert found, f"the sample company has no {obj} where {where}"
    return found[0]


def test_credit_card_payment_and_inventory_adjustment_are_created_updated_and_deleted(
    config: dict[str, Any], company: QBOClient
) -> None:
    bank = _one(company, "Account", "Name = 'Checking'")
    card = _one(company, "Account", "Name = 'Visa'")
    item = _one(company, "Item", "Type = 'Inventory'")
    asset = item["AssetAccountRef"]["value"]
    before = {key: _balance(company, key) for key in (bank["Id"], card["Id"], asset)}
    payments, adjustments = count(company, "CreditCardPaymentTxn"), count(company, "InventoryAdjustment")
    payment = {
        "TxnDate": "2026-01-15",
        "Amount": 250.0,
        "BankAccountRef": {"name": "Checking"},  # by name: looked up in the company
        "CreditCardAccountRef": {"value": card["Id"]},
        "PrivateNote": "target: card payment",
    }
    adjustment = {
        "TxnDate": "2026-01-16",
        "DocNumber": "ADJ-T1",
        "AdjustAccountRef": {"name": "Cost of Goods Sold"},
        "PrivateNote": "target: stock count",
        "Line": [
            {
                "DetailType": "ItemAdjustmentLineDetail",
                "ItemAdjustmentLineDetail": {"ItemRef": {"value": item["Id"]}, "QtyDiff": -2},
            }
        ],
    }

    run_target(
        config,
        [
            schema("CreditCardPaymentTxn"),
            record("CreditCardPaymentTxn", payment),
            schema("InventoryAdjustment"),
            record("InventoryAdjustment", adjustment),
        ],
    )

    assert dead_letters(config) == []
    assert count(company, "CreditCardPaymentTxn") == payments + 1
    assert count(company, "InventoryAdjustment") == adjustments + 1
    (paid,) = [
        p for p in rows(company, "CreditCardPaymentTxn") if p.get("PrivateNote") == "target: card payment"
    ]
    assert paid["BankAccountRef"]["value"] == bank["Id"]
    (adjusted,) = rows(company, "InventoryAdjustment", "DocNumber = 'ADJ-T1'")
    cost = 2 * float(item["PurchaseCost"])
    assert _balance(company, bank["Id"]) == round(before[bank["Id"]] - 250, 2)
    assert _balance(company, card["Id"]) == round(before[card["Id"]] - 250, 2)
    assert _balance(company, asset) == round(before[asset] - cost, 2)

    # updated by Id as the tap emits them, then deleted as a CDC stub
    changed = {**tap_record(paid), "Amount": 100.0}
    run_target(config, [schema("CreditCardPaymentTxn"), record("CreditCardPaymentTxn", changed)])
    (paid_again,) = rows(company, "CreditCardPaymentTxn", f"Id = '{paid['Id']}'")
    assert (paid_again["Amount"], paid_again["SyncToken"]) == (100.0, "1")
    assert _balance(company, bank["Id"]) == round(before[bank["Id"]] - 100, 2)

    now = datetime.now(timezone.utc).isoformat()
    run = run_target(
        config,
        [
            schema("CreditCardPaymentTxn"),
            record("CreditCardPaymentTxn", {"Id": paid["Id"], "status": "Deleted", "_sdc_deleted_at": now}),
            schema("InventoryAdjustment"),
            record(
                "InventoryAdjustment", {"Id": adjusted["Id"], "status": "Deleted", "_sdc_deleted_at": now}
            ),
        ],
    )
    assert run.counts["delete"] == 2
    assert dead_letters(config) == []
    assert {key: _balance(company, key) for key in before} == before


def _template(company: QBOClient, name: str) -> dict[str, Any]:
    """A RecurringTransaction record as tap-quickbooks emits a new one: no Id, its type on top."""
    customer = _one(company, "Customer", "Active = true")
    return {
        "Type": "Invoice",
        "Invoice": {
            "CustomerRef": {"name": customer["DisplayName"]},
            "Line": [
                {
                    "Amount": 90.0,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"name": "Gardening"}, "Qty": 2, "UnitPrice": 45.0},
                }
            ],
            "RecurringInfo": {
                "Name": name,
                "RecurType": "Automated",
                "Active": True,
                "ScheduleInfo": {"IntervalType": "Monthly", "NumInterval": 1, "DayOfMonth": 1},
            },
        },
    }


def test_a_recurring_template_is_written_wrapped_in_its_type_updated_and_deleted(
    config: dict[str, Any], company: QBOClient
) -> None:
    customer = _one(company, "Customer", "Active = true")
    gardening = _one(company, "Item", "Name = 'Gardening'")
    ar = _one(company, "Account", "AccountType = 'Accounts Receivable'")
    ar_before = _balance(company, ar["Id"])
    held = count(company, "RecurringTransaction")

    run_target(
        config, [schema("RecurringTransaction"), record("RecurringTransaction", _template(company, "Hedges"))]
    )

    assert dead_letters(config) == []
    (made,) = [
        t
        for t in rows(company, "RecurringTransaction")
        if t.get("Invoice", {}).get("RecurringInfo", {}).get("Name") == "Hedges"
    ]
    assert list(made) == ["Invoice"]
    invoice = made["Invoice"]
    assert invoice["CustomerRef"]["value"] == customer["Id"]  # names mapped inside the template
    assert invoice["Line"][0]["SalesItemLineDetail"]["ItemRef"]["value"] == gardening["Id"]
    assert invoice["TotalAmt"] == 90.0
    assert count(company, "RecurringTransaction") == held + 1
    assert _balance(company, ar["Id"]) == ar_before  # a template posts nothing

    # the tap's record of it, with the schedule changed: an update inside the wrapper
    emitted = tap_record(made)
    assert (emitted["Id"], emitted["Type"]) == (invoice["Id"], "Invoice")
    info = invoice["RecurringInfo"]
    emitted["Invoice"] = {
        **invoice,
        "RecurringInfo": {**info, "ScheduleInfo": {**info["ScheduleInfo"], "DayOfMonth": 15}},
    }
    first = run_target(config, [schema("RecurringTransaction"), record("RecurringTransaction", emitted)])
    assert first.counts.get("update") == 1
    (updated,) = rows(company, "RecurringTransaction", f"Id = '{invoice['Id']}'")
    assert updated["Invoice"]["SyncToken"] == "1"
    assert updated["Invoice"]["RecurringInfo"]["ScheduleInfo"]["DayOfMonth"] == 15

    # the same record again changes nothing
    again = run_target(config, [schema("RecurringTransaction"), record("RecurringTransaction", emitted)])
    assert again.counts.get("update", 0) == 0
    assert again.counts.get("unchanged") == 1

    now = datetime.now(timezone.utc).isoformat()
    stub = {"Id": invoice["Id"], "Type": "Invoice", "status": "Deleted", "_sdc_deleted_at": now}
    gone = run_target(config, [schema("RecurringTransaction"), record("RecurringTransaction", stub)])
    assert gone.counts["delete"] == 1
    assert rows(company, "RecurringTransaction", f"Id = '{invoice['Id']}'") == []
    assert dead_letters(config) == []


def _names(value: Any, key: str = "") -> list[tuple[str, str]]:
    """(property, name) of every named reference inside a template (not its own RecurDataRef)."""
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        if key.endswith("Ref") and key != "RecurDataRef" and "name" in value:
            found.append((key, str(value["name"])))
        for k, v in value.items():
            found += _names(v, k)
    elif isinstance(value, list):
        for v in value:
            found += _names(v, key)
    return found


def _templates(client: QBOClient) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Each template: its name, its type and the names of what it refers to."""
    out = []
    for row in rows(client, "RecurringTransaction"):
        ((kind, inner),) = row.items()
        out.append((inner["RecurringInfo"]["Name"], kind, sorted(_names(inner))))
    return sorted(out)


def test_recurring_templates_copy_into_another_company_with_their_references_mapped(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    source = reader(target_config(qbo_sandbox, tmp_path))
    messages = export_company(source)
    empty = qbo_sandbox.sandbox.store.create_realm()
    config = target_config(qbo_sandbox, tmp_path, realm=empty, source_realm_id=qbo_sandbox.realm)
    copy = reader(config)

    run_target(config, messages)

    copied = _templates(copy)
    assert copied == _templates(source)
    assert {kind for _, kind, _ in copied} == {"Invoice", "Bill", "Transfer"}
    # the copies' references are the copy's own objects (ids of the copy, whatever the source's were)
    copy_customers = {c["Id"] for c in rows(copy, "Customer")}
    for row in rows(copy, "RecurringTransaction"):
        if "Invoice" in row:
            assert row["Invoice"]["CustomerRef"]["value"] in copy_customers
    copy.close()
    source.close()


def test_objects_the_api_only_reads_are_dead_lettered_with_a_reason(
    config: dict[str, Any], company: QBOClient
) -> None:
    kinds, charges = count(company, "CustomerType"), count(company, "ReimburseCharge")
    customer = _one(company, "Customer", "Active = true")
    messages = [
        schema("CustomerType"),
        record("CustomerType", {"Name": "Wholesale", "Active": True}),
        schema("ReimburseCharge"),
        record("ReimburseCharge", {"CustomerRef": {"value": customer["Id"]}, "Amount": 12.5}),
        schema("TaxPayment"),
        record("TaxPayment", {"PaymentAmount": 10.0, "PaymentDate": "2026-01-30", "Refund": False}),
        schema("RecurringTransaction"),
        record("RecurringTransaction", {"Type": "Invoice", "RecurringInfo": {"Name": "flat"}}),
    ]

    run_target(config, messages)

    dead = {d["object"]: d for d in dead_letters(config)}
    assert set(dead) == {"CustomerType", "ReimburseCharge", "TaxPayment", "RecurringTransaction"}
    for name in ("CustomerType", "ReimburseCharge", "TaxPayment"):
        assert dead[name]["code"] == "500"
        assert f"{name} is read-only through the QuickBooks API" in dead[name]["reason"]
        assert "\n" not in dead[name]["reason"]
    assert dead["RecurringTransaction"]["code"] == "2010"
    assert 'template under its transaction type, {"Invoice": {...}}' in dead["RecurringTransaction"]["reason"]
    assert (count(company, "CustomerType"), count(company, "ReimburseCharge")) == (kinds, charges)
