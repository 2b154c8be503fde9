"""Line and total arithmetic as QuickBooks checks it, over HTTP against the sample company.

A sales item line whose Amount is not UnitPrice x Qty (rounded half up to the cent) is refused with
6070, as QuickBooks refuses it ({"Message": "Amount calculation incorrect in the request.", "Detail":
"Amount is not equal to UnitPrice * Qty. Supplied value:1,000", "code": "6070", "element":
"Line.Amount"}, a live answer quoted in public code); an unbalanced journal entry with 2300 (Intuit's
error code table). A TotalAmt that disagrees with the lines is not refused: QuickBooks computes it
("any value you supply is over-written"). Bulk loading keeps records as loaded.
"""

from __future__ import annotations

from typing import Any

import pytest
from qbo_sandbox.testing import RunningSandbox
from sandbox_harness import Api, company_digest

SALES_FORMS = ("Invoice", "SalesReceipt", "CreditMemo", "RefundReceipt", "Estimate")


def item_line(item_id: str, amount: Any, *, price: Any = None, qty: Any = None) -> dict[str, Any]:
    detail: dict[str, Any] = {"ItemRef": {"value": item_id}}
    if price is not None:
        detail["UnitPrice"] = price
    if qty is not None:
        detail["Qty"] = qty
    return {"Amount": amount, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail}


def sales_form(api: Api, entity: str, *lines: dict[str, Any], **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"CustomerRef": {"value": api.one("Customer")["Id"]}, "Line": list(lines), **extra}
    if entity == "RefundReceipt":
        bank = api.one("Account", "WHERE AccountType = 'Bank'")
        body["DepositToAccountRef"] = {"value": bank["Id"]}
    return body


def service_item(api: Api) -> str:
    return str(api.one("Item", "WHERE Type = 'Service'")["Id"])


def count(api: Api, entity: str) -> int:
    return int(api.query(f"SELECT COUNT(*) FROM {entity}").get("totalCount", 0))


def assert_6070(answer: Any, supplied: str) -> None:
    assert answer.status_code == 400, answer.text
    error = answer.json()["Fault"]["Error"][0]
    assert error == {
        "Message": "Amount calculation incorrect in the request.",
        "Detail": f"Amount is not equal to UnitPrice * Qty. Supplied value:{supplied}",
        "code": "6070",
        "element": "Line.Amount",
    }
    assert answer.json()["Fault"]["type"] == "ValidationFault"


@pytest.mark.parametrize("entity", SALES_FORMS)
def test_a_line_whose_amount_is_not_price_times_qty_is_refused_and_nothing_is_stored(
    api: Api, qbo_sandbox: RunningSandbox, entity: str
) -> None:
    # A tap that rounded Qty 1.5 down to 1 sends 1 x 40.00 for a line of 60.00.
    before, rows = company_digest(qbo_sandbox), count(api, entity)
    body = sales_form(api, entity, item_line(service_item(api), 60, price=40, qty=1))
    answer = api.post(entity.lower(), body)
    assert_6070(answer, "60")
    assert count(api, entity) == rows
    assert company_digest(qbo_sandbox) == before
    # The same line with its real quantity is taken, and stored as sent.
    body["Line"][0]["SalesItemLineDetail"]["Qty"] = 1.5
    created = api.create(entity, body)
    line = api.read(entity, created["Id"])["Line"][0]
    assert (line["Amount"], line["SalesItemLineDetail"]["Qty"], line["SalesItemLineDetail"]["UnitPrice"]) == (
        60,
        1.5,
        40,
    )


def test_the_supplied_value_is_written_as_quickbooks_writes_it(api: Api) -> None:
    # The live answer quoted in public code: UnitPrice 225 x Qty 7 sent with Amount 1000.
    item = service_item(api)
    assert_6070(
        api.post("invoice", sales_form(api, "Invoice", item_line(item, 1000, price=225, qty=7))), "1,000"
    )
    assert_6070(
        api.post("invoice", sales_form(api, "Invoice", item_line(item, 1861.07, price=14.5, qty=128.35))),
        "1,861.07",
    )


def test_the_line_is_compared_after_rounding_half_up_to_the_cent(api: Api) -> None:
    item = service_item(api)
    # 128.35 x 14.50 is 1861.075 exactly: QuickBooks expects 1861.08 (binary floating point gives 1861.07).
    created = api.create(
        "Invoice", sales_form(api, "Invoice", item_line(item, 1861.08, price=14.5, qty=128.35))
    )
    assert created["TotalAmt"] == 1861.08
    # A unit price with more decimals than cents, and a fractional quantity.
    created = api.create("Invoice", sales_form(api, "Invoice", item_line(item, 10, price=3.33333, qty=3)))
    assert created["Line"][0]["SalesItemLineDetail"]["UnitPrice"] == 3.33333
    created = api.create("Invoice", sales_form(api, "Invoice", item_line(item, 2.47, price=0.987, qty=2.5)))
    assert created["TotalAmt"] == 2.47
    # Negative quantities round away from zero too (-2.5 x 0.987 = -2.4675 -> -2.47).
    answer = api.post("invoice", sales_form(api, "Invoice", item_line(item, -2.46, price=0.987, qty=-2.5)))
    assert_6070(answer, "-2.46")


def test_lines_without_a_price_or_a_quantity_are_taken_as_sent(api: Api) -> None:
    item = service_item(api)
    body = sales_form(
        api,
        "SalesReceipt",
        item_line(item, 100),
        item_line(item, 33.5, price=10),
        item_line(item, 12, qty=5),
    )
    created = api.create("SalesReceipt", body)
    lines = [line for line in created["Line"] if line["DetailType"] == "SalesItemLineDetail"]
    assert [line["Amount"] for line in lines] == [100, 33.5, 12]
    assert "Qty" not in lines[1]["SalesItemLineDetail"]
    assert "UnitPrice" not in lines[2]["SalesItemLineDetail"]
    assert created["TotalAmt"] == 145.5


def test_a_wrong_total_is_replaced_by_the_lines_total_not_refused(api: Api) -> None:
    item = service_item(api)
    body = sales_form(api, "Invoice", item_line(item, 60, price=40, qty=1.5), item_line(item, 15))
    body["TotalAmt"] = 999.99
    created = api.create("Invoice", body)
    stored = api.read("Invoice", created["Id"])
    assert (stored["TotalAmt"], stored["Balance"]) == (75, 75)
    vendor = api.one("Vendor")
    expense = api.one("Account", "WHERE AccountType = 'Expense'")
    bill = api.create(
        "Bill",
        {
            "VendorRef": {"value": vendor["Id"]},
            "TotalAmt": 1,
            "Line": [
                {
                    "Amount": 42.5,
                    "DetailType": "AccountBasedExpenseLineDetail",
                    "AccountBasedExpenseLineDetail": {"AccountRef": {"value": expense["Id"]}},
                }
            ],
        },
    )
    assert (bill["TotalAmt"], bill["Balance"]) == (42.5, 42.5)


def test_a_full_update_is_checked_and_a_refused_one_changes_nothing(
    api: Api, qbo_sandbox: RunningSandbox
) -> None:
    item = service_item(api)
    created = api.create("Invoice", sales_form(api, "Invoice", item_line(item, 60, price=40, qty=1.5)))
    before = company_digest(qbo_sandbox)
    changed = {**created, "Line": [item_line(item, 60, price=40, qty=1)]}
    assert_6070(api.post("invoice", changed), "60")
    assert company_digest(qbo_sandbox) == before
    assert api.read("Invoice", created["Id"])["SyncToken"] == created["SyncToken"]
    # A sparse update that sends lines is checked as well.
    sparse = {"Id": created["Id"], "SyncToken": created["SyncToken"], "sparse": True}
    assert_6070(api.post("invoice", {**sparse, "Line": [item_line(item, 59.99, price=40, qty=1.5)]}), "59.99")
    assert company_digest(qbo_sandbox) == before


def test_a_batch_item_with_a_wrong_line_faults_alone(api: Api) -> None:
    item = service_item(api)
    rows = count(api, "Invoice")
    answer = api.post(
        "batch",
        {
            "BatchItemRequest": [
                {
                    "bId": "bad",
                    "operation": "create",
                    "Invoice": sales_form(api, "Invoice", item_line(item, 5, price=2, qty=2)),
                },
                {
                    "bId": "good",
                    "operation": "create",
                    "Invoice": sales_form(api, "Invoice", item_line(item, 4, price=2, qty=2)),
                },
            ]
        },
    )
    assert answer.status_code == 200, answer.text
    items = {entry["bId"]: entry for entry in answer.json()["BatchItemResponse"]}
    assert items["bad"]["Fault"]["Error"][0]["code"] == "6070"
    assert (
        items["bad"]["Fault"]["Error"][0]["Detail"]
        == "Amount is not equal to UnitPrice * Qty. Supplied value:5"
    )
    assert items["good"]["Invoice"]["TotalAmt"] == 4
    assert count(api, "Invoice") == rows + 1


def journal(debit: Any, credit: Any, accounts: tuple[str, str]) -> dict[str, Any]:
    return {
        "Line": [
            {
                "Amount": amount,
                "DetailType": "JournalEntryLineDetail",
                "JournalEntryLineDetail": {"PostingType": side, "AccountRef": {"value": account}},
            }
            for side, amount, account in (("Debit", debit, accounts[0]), ("Credit", credit, accounts[1]))
        ]
    }


def test_an_unbalanced_journal_entry_is_refused_with_2300(api: Api, qbo_sandbox: RunningSandbox) -> None:
    accounts = (
        api.one("Account", "WHERE AccountType = 'Expense'")["Id"],
        api.one("Account", "WHERE AccountType = 'Bank'")["Id"],
    )
    before, rows = company_digest(qbo_sandbox), count(api, "JournalEntry")
    answer = api.post("journalentry", journal(100, 99.99, accounts))
    assert answer.status_code == 400, answer.text
    assert answer.json()["Fault"]["Error"][0] == {
        "Message": "Amount on debits not equal to credits",
        "Detail": "Please balance your debits and credits.",
        "code": "2300",
    }
    assert count(api, "JournalEntry") == rows
    assert company_digest(qbo_sandbox) == before
    created = api.create("JournalEntry", journal(100, 100, accounts))
    assert [line["Amount"] for line in created["Line"]] == [100, 100]


def test_bulk_load_keeps_a_line_as_loaded_and_a_sparse_update_without_lines_leaves_it(
    api: Api, qbo_sandbox: RunningSandbox
) -> None:
    item = service_item(api)
    invoice = sales_form(api, "Invoice", item_line(item, 60, price=40, qty=1))
    invoice.update({"Id": "900001", "SyncToken": "0", "TotalAmt": 60, "Balance": 60, "TxnDate": "2025-01-15"})
    qbo_sandbox.sandbox.service.load(qbo_sandbox.realm, [("Invoice", invoice)])
    loaded = api.read("Invoice", "900001")
    assert loaded["Line"][0]["Amount"] == 60
    assert loaded["Line"][0]["SalesItemLineDetail"]["Qty"] == 1
    # QuickBooks checks the lines it is sent: a memo changed alone goes through.
    updated = api.create(
        "Invoice", {"Id": "900001", "SyncToken": "0", "sparse": True, "PrivateNote": "checked"}
    )
    assert updated["PrivateNote"] == "checked"
    assert updated["Line"][0]["Amount"] == 60
    assert updated["TotalAmt"] == 60
