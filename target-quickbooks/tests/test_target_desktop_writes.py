"""target-quickbooks, edition desktop, writing to an emulated QuickBooks Desktop company through a
real qbd-bridge and Web Connector: creates, updates, deletes, inactivations, voids, refusals, upserts
by natural key, references by full name, 3200, busy answers, transaction lines, message-set counts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import target_desktop_harness as h
from qbd_client.client import BridgeClient
from qbd_sandbox.faults import ConnectorFaults
from qbd_sandbox.stack import DesktopStack, EmulatedCompany

DELETED = "2026-12-01T00:00:00+00:00"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DesktopStack]:
    with DesktopStack(tmp_path_factory.mktemp("desktop")) as running:
        running.add_company("acme", seed=3, size=100)
        yield running


@pytest.fixture(scope="module")
def acme(stack: DesktopStack) -> BridgeClient:
    return h.client_of(stack, "acme")


def _config(stack: DesktopStack, tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return h.target_config(stack, "acme", tmp_path, **extra)


def _one(client: BridgeClient, obj: str, **filters: Any) -> dict[str, Any]:
    rows = h.read(client, [obj], **{obj: filters})[obj]
    assert len(rows) == 1, rows
    return rows[0]


def _service_item(client: BridgeClient) -> str:
    items = h.read(client, ["ItemService"])["ItemService"]
    return str(next(i["FullName"] for i in items if i.get("IsActive") and i.get("Sublevel") == 0))


def test_creates_with_references_by_full_name_then_upserts_by_natural_key(
    stack: DesktopStack, acme: BridgeClient, tmp_path: Path
) -> None:
    item = _service_item(acme)
    records = {
        "Customer": [
            {"Name": "Desk Test Co", "Phone": "555-0100"},
            {"Name": "Kitchen", "ParentRef": {"FullName": "Desk Test Co"}},
        ],
        "Invoice": [
            {
                "RefNumber": "DT-1",
                "TxnDate": "2026-11-20",
                "CustomerRef": {"FullName": "Desk Test Co:Kitchen"},
                "InvoiceLineRet": [{"ItemRef": {"FullName": item}, "Quantity": 2, "Rate": 10}],
            }
        ],
    }
    customers = h.count(acme, "Customer")
    first = h.run(_config(stack, tmp_path), h.messages(records))
    assert (first.counts["create"], first.counts.get("dead_lettered", 0)) == (3, 0)
    job = _one(acme, "Customer", FullName=["Desk Test Co:Kitchen"])
    assert (job["Sublevel"], job["ParentRef"]["FullName"]) == (1, "Desk Test Co")
    invoice = _one(acme, "Invoice", RefNumber=["DT-1"], IncludeLineItems=True)
    assert invoice["CustomerRef"]["ListID"] == job["ListID"]
    assert [(line["ItemRef"]["FullName"], line["Amount"]) for line in invoice["InvoiceLineRet"]] == [
        (item, 20)
    ]

    # The same records again: found by FullName and RefNumber, nothing added or changed.
    again = h.run(_config(stack, tmp_path), h.messages(records))
    assert (again.counts.get("create", 0), again.counts["unchanged"]) == (0, 3)
    assert h.count(acme, "Customer") == customers + 2
    assert len(h.read(acme, ["Invoice"], Invoice={"RefNumber": ["DT-1"]})["Invoice"]) == 1


def test_updates_read_edit_sequences_in_one_message_set(
    stack: DesktopStack, acme: BridgeClient, tmp_path: Path
) -> None:
    found = h.read(acme, ["Customer"])["Customer"]
    customers = [c for c in found if c.get("IsActive") and c.get("Sublevel") == 0][:20]
    assert len(customers) == 20
    records = [{**c, "Notes": f"updated {n}"} for n, c in enumerate(customers)]
    before = h.requests_relayed(stack, "acme")
    run = h.run(_config(stack, tmp_path), h.messages({"Customer": records}))
    relayed = h.requests_relayed(stack, "acme") - before
    assert (run.counts["update"], run.counts.get("dead_lettered", 0)) == (20, 0)
    # One message set reads the 20 EditSequences, one writes the 20 Mods: never one per record.
    assert run.stats["message_sets"] == 2
    assert relayed == 2
    after = {
        c["ListID"]: c
        for c in h.read(acme, ["Customer"], Customer={"ListID": [c["ListID"] for c in customers]})["Customer"]
    }
    assert [after[c["ListID"]].get("Notes") for c in customers] == [f"updated {n}" for n in range(20)]
    assert all(after[c["ListID"]]["EditSequence"] != c["EditSequence"] for c in customers)


def test_many_creates_take_at_most_one_message_set_per_25_records(
    stack: DesktopStack, acme: BridgeClient, tmp_path: Path
) -> None:
    records = [{"Name": f"Batch Vendor {n:03d}", "CompanyName": f"Batch {n}"} for n in range(250)]
    before = h.requests_relayed(stack, "acme")
    run = h.run(_config(stack, tmp_path), h.messages({"Vendor": records}))
    assert run.counts["create"] == 250
    relayed = h.requests_relayed(stack, "acme") - before
    # 1 read (the natural-key check) + 3 writes of 100.
    assert relayed == run.stats["message_sets"] == 4
    assert relayed <= 250 / 25


def test_deletes_inactivations_voids_and_what_the_catalog_refuses(
    stack: DesktopStack, acme: BridgeClient, tmp_path: Path
) -> None:
    item = _service_item(acme)
    setup = {
        "Class": [{"Name": "DT Temporary"}],
        "Vendor": [{"Name": "DT Old Supplier"}],
        "Invoice": [
            {
                "RefNumber": "DT-VOID",
                "TxnDate": "2026-11-21",
                "CustomerRef": {"FullName": "DT Void Customer"},
                "InvoiceLineRet": [{"ItemRef": {"FullName": item}, "Quantity": 1, "Rate": 75}],
            }
        ],
    }
    setup["Customer"] = [{"Name": "DT Void Customer"}]
    assert h.run(_config(stack, tmp_path), h.messages(setup)).counts["create"] == 4
    temporary = _one(acme, "Class", FullName=["DT Temporary"])
    supplier = _one(acme, "Vendor", FullName=["DT Old Supplier"])
    invoice = _one(acme, "Invoice", RefNumber=["DT-VOID"])
    time_entry = h.read(acme, ["TimeTracking"])["TimeTracking"][0]
    payment = h.read(acme, ["ReceivePayment"])["ReceivePayment"][0]
    transfer = h.read(acme, ["Transfer"])["Transfer"][0]

    config = _config(stack, tmp_path, dead_letter_path=str(tmp_path / "second.jsonl"))
    records = {
        "Class": [{"ListID": temporary["ListID"], "_sdc_deleted_at": DELETED}],
        "Invoice": [{"TxnID": invoice["TxnID"], "_qbo_operation": "void"}],
        "TimeTracking": [{"TxnID": time_entry["TxnID"], "_sdc_deleted_at": DELETED}],
        "ReceivePayment": [{"TxnID": payment["TxnID"], "_qbo_operation": "void"}],
        "Transfer": [{"TxnID": transfer["TxnID"], "_sdc_deleted_at": DELETED}],
    }
    run = h.run(config, h.messages(records))
    assert (run.counts["delete"], run.counts["void"], run.counts["dead_lettered"]) == (2, 1, 2)
    assert h.read(acme, ["Class"], Class={"FullName": ["DT Temporary"]})["Class"] == []
    assert h.read(acme, ["TimeTracking"], TimeTracking={"TxnID": [time_entry["TxnID"]]})["TimeTracking"] == []
    voided = _one(acme, "Invoice", TxnID=[invoice["TxnID"]])
    assert (voided["Subtotal"], voided["BalanceRemaining"]) == (0, 0)
    refused = {d["object"]: d for d in h.dead_letters(config)}
    assert set(refused) == {"ReceivePayment", "Transfer"}
    assert refused["ReceivePayment"]["code"] == "3250"
    assert "ReceivePayment cannot be voided through qbXML" in refused["ReceivePayment"]["reason"]
    assert "Transfer cannot be deleted through qbXML" in refused["Transfer"]["reason"]
    assert _one(acme, "Transfer", TxnID=[transfer["TxnID"]])["TxnID"] == transfer["TxnID"]

    # A list record that says deleted makes its object inactive when asked to (or when it cannot go).
    inactivate = _config(stack, tmp_path, desktop_list_deletes="inactivate")
    gone = {"Vendor": [{"ListID": supplier["ListID"], "Name": "DT Old Supplier", "_sdc_deleted_at": DELETED}]}
    assert h.run(inactivate, h.messages(gone)).counts["inactivate"] == 1
    assert _one(acme, "Vendor", ListID=[supplier["ListID"]])["IsActive"] is False


def test_a_transaction_mod_keeps_the_lines_that_exist(
    stack: DesktopStack, acme: BridgeClient, tmp_path: Path
) -> None:
    bills = h.read(acme, ["Bill"])["Bill"]
    bill = next(
        b for b in bills if len(b.get("ExpenseLineRet", [])) >= 2 or len(b.get("ItemLineRet", [])) >= 2
    )
    key = "ExpenseLineRet" if len(bill.get("ExpenseLineRet", [])) >= 2 else "ItemLineRet"
    ids = [line["TxnLineID"] for line in bill[key]]

    # Only the header changes: every line stays, with its TxnLineID.
    header = {k: v for k, v in bill.items() if k not in ("ExpenseLineRet", "ItemLineRet")}
    run = h.run(_config(stack, tmp_path), h.messages({"Bill": [{**header, "Memo": "memo changed"}]}))
    assert run.counts["update"] == 1
    after = _one(acme, "Bill", TxnID=[bill["TxnID"]], IncludeLineItems=True)
    assert after["Memo"] == "memo changed"
    assert [line["TxnLineID"] for line in after[key]] == ids

    # One line changed and a new one: the existing lines keep their ids, the new one gets its own.
    lines = [dict(line) for line in after[key]]
    lines[0]["Memo" if key == "ExpenseLineRet" else "Desc"] = "line changed"
    account = after.get("ExpenseLineRet", [{}])[0].get("AccountRef") or {"FullName": "Office Supplies"}
    new_line = {"AccountRef": account, "Amount": 12.5, "Memo": "new line"}
    record = {**after, key: lines}
    record["ExpenseLineRet"] = (
        [*record.get("ExpenseLineRet", []), new_line] if key == "ExpenseLineRet" else [new_line]
    )
    run = h.run(_config(stack, tmp_path), h.messages({"Bill": [record]}))
    assert (run.counts["update"], run.counts.get("dead_lettered", 0)) == (1, 0)
    final = _one(acme, "Bill", TxnID=[bill["TxnID"]], IncludeLineItems=True)
    assert [line["TxnLineID"] for line in final[key]][: len(ids)] == ids
    assert final["ExpenseLineRet"][-1]["Memo"] == "new line"
    assert final["ExpenseLineRet"][-1]["TxnLineID"] not in ids


def test_3200_applies_again_only_when_the_fields_the_record_sets_did_not_change(
    stack: DesktopStack, acme: BridgeClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulated: EmulatedCompany = stack.companies["acme"]
    vendors = [v for v in h.read(acme, ["Vendor"])["Vendor"] if v.get("IsActive")][:2]
    quiet, busy = vendors
    original = emulated.company.process
    changed = []

    def another_user_first(request: bytes | str, session: str) -> bytes:
        # Another user saves both vendors just before QuickBooks runs the target's Mods.
        text = request.decode() if isinstance(request, bytes) else request
        if "VendorModRq" in text and not changed:
            changed.append(True)
            for vendor, change in ((quiet, {"Phone": "555-0199"}), (busy, {"Notes": "their note"})):
                current = emulated.company.get("Vendor", vendor["ListID"])
                assert current is not None
                fields = {"ListID": vendor["ListID"], "EditSequence": current["EditSequence"], **change}
                emulated.company.modify("Vendor", fields)
        return original(request, session)

    monkeypatch.setattr(emulated.company, "process", another_user_first)
    records = [
        {"ListID": quiet["ListID"], "Name": quiet["Name"], "Notes": "our note"},
        {"ListID": busy["ListID"], "Name": busy["Name"], "Notes": "our note"},
    ]
    config = _config(stack, tmp_path)
    run = h.run(config, h.messages({"Vendor": records}))
    assert changed
    assert (run.counts["update"], run.counts["dead_lettered"], run.counts["reapplied"]) == (1, 1, 1)
    now_quiet = _one(acme, "Vendor", ListID=[quiet["ListID"]])
    assert (now_quiet["Notes"], now_quiet["Phone"]) == ("our note", "555-0199")
    assert _one(acme, "Vendor", ListID=[busy["ListID"]])["Notes"] == "their note"
    (letter,) = h.dead_letters(config)
    assert letter["code"] == "3200"
    assert "changed in QuickBooks while the target was writing it" in letter["reason"]
    assert "(Notes)" in letter["reason"]
    assert letter["record"]["ListID"] == busy["ListID"]


def test_busy_answers_are_sent_again(stack: DesktopStack, acme: BridgeClient, tmp_path: Path) -> None:
    emulated = stack.companies["acme"]
    emulated.set_faults(ConnectorFaults(seed=2, busy=1.0, times=1))
    try:
        records = [{"Name": f"Busy Class {n}"} for n in range(5)]
        run = h.run(_config(stack, tmp_path), h.messages({"Class": records}))
    finally:
        emulated.set_faults(ConnectorFaults())
    assert (run.counts["create"], run.counts.get("dead_lettered", 0)) == (5, 0)
    assert (run.counts["busy"], run.stats["retries"]) == (5, 5)
    names = {c["Name"] for c in h.read(acme, ["Class"])["Class"]}
    assert {f"Busy Class {n}" for n in range(5)} <= names


def test_a_dry_run_prints_the_plan_and_writes_nothing(
    stack: DesktopStack, acme: BridgeClient, tmp_path: Path
) -> None:
    item = _service_item(acme)
    records = {
        "Customer": [{"Name": "Dry Co"}, {"Name": "Porch", "ParentRef": {"FullName": "Dry Co"}}],
        "Invoice": [
            {
                "RefNumber": "DRY-1",
                "CustomerRef": {"FullName": "Dry Co:Porch"},
                "InvoiceLineRet": [{"ItemRef": {"FullName": item}, "Quantity": 1, "Rate": 5}],
            }
        ],
    }
    customers = h.count(acme, "Customer")
    run = h.run(_config(stack, tmp_path, dry_run=True), h.messages(records))
    assert run.counts["create"] == 3
    planned = [line for line in run.stderr.splitlines() if line.startswith('{"dry_run": true')]
    assert [json.loads(line)["object"] for line in planned] == ["Customer", "Customer", "Invoice"]
    assert h.count(acme, "Customer") == customers
    assert h.read(acme, ["Invoice"], Invoice={"RefNumber": ["DRY-1"]})["Invoice"] == []
