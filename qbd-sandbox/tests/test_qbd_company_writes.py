"""Adds, Mods, deletes and voids: ids, times, names, references and totals as QuickBooks makes them."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
from qbd_client import qbxml
from qbd_client.errors import EditSequenceStale, StatusError
from qbd_sandbox.company import Company

WINTER = datetime(2024, 1, 15, 20, 0, 5, tzinfo=timezone.utc)
SUMMER = datetime(2024, 7, 15, 20, 0, 5, tzinfo=timezone.utc)


def books(company: Company, at: datetime = WINTER) -> dict[str, dict[str, Any]]:
    """A few accounts, a customer, a vendor and items every test below starts from."""
    out = {
        "bank": company.add("Account", {"Name": "Checking", "AccountType": "Bank"}, at=at),
        "income": company.add("Account", {"Name": "Sales", "AccountType": "Income"}, at=at),
        "expense": company.add("Account", {"Name": "Rent", "AccountType": "Expense"}, at=at),
        "customer": company.add("Customer", {"Name": "Acme"}, at=at),
        "vendor": company.add("Vendor", {"Name": "Landlord"}, at=at),
        "tax": company.add("SalesTaxCode", {"Name": "Tax", "IsTaxable": True}, at=at),
        "non": company.add("SalesTaxCode", {"Name": "Non", "IsTaxable": False}, at=at),
    }
    out["service"] = company.add(
        "ItemService",
        {
            "Name": "Consulting",
            "SalesTaxCodeRef": {"FullName": "Tax"},
            "SalesOrPurchase": {
                "Desc": "Hourly consulting",
                "Price": "150.00",
                "AccountRef": {"FullName": "Sales"},
            },
        },
        at=at,
    )
    return out


def invoice(company: Company, *lines: dict[str, Any], at: datetime = WINTER, **header: Any) -> dict[str, Any]:
    fields = {
        "CustomerRef": {"FullName": "Acme"},
        "TxnDate": "2024-01-15",
        **header,
        "InvoiceLineAdd": list(lines),
    }
    return company.add("Invoice", fields, at=at)


def test_list_ids_edit_sequences_and_times_are_shaped_as_quickbooks_shapes_them(
    make_qbd_company: Any,
) -> None:
    company = make_qbd_company()
    first = company.add("Customer", {"Name": "Winter Co"}, at=WINTER)
    second = company.add("Customer", {"Name": "Summer Co"}, at=SUMMER)
    unix_winter, unix_summer = int(WINTER.timestamp()), int(SUMMER.timestamp())
    assert first["ListID"] == f"80000001-{unix_winter}"
    assert second["ListID"] == f"80000002-{unix_summer}"
    assert first["EditSequence"] == str(unix_winter)
    # The company machine is in Los Angeles: its offset follows daylight-saving time.
    assert first["TimeCreated"] == "2024-01-15T12:00:05-08:00"
    assert second["TimeCreated"] == "2024-07-15T13:00:05-07:00"
    assert first["TimeModified"] == first["TimeCreated"]
    # Each list has its own counter, as in QuickBooks (a class after two customers is 80000001 too).
    assert company.add("Class", {"Name": "East"}, at=WINTER)["ListID"] == f"80000001-{unix_winter}"


def test_company_in_another_zone_stamps_its_own_offset(make_qbd_company: Any) -> None:
    company = make_qbd_company(tz="America/New_York")
    assert (
        company.add("Vendor", {"Name": "East Coast"}, at=WINTER)["TimeCreated"] == "2024-01-15T15:00:05-05:00"
    )


def test_transaction_ids_and_line_ids_share_one_hex_counter_and_txn_numbers_count_up(
    make_qbd_company: Any,
) -> None:
    company = make_qbd_company()
    books(company)
    first = invoice(company, {"ItemRef": {"FullName": "Consulting"}, "Quantity": 1})
    second = invoice(company, {"ItemRef": {"FullName": "Consulting"}, "Quantity": 1})
    pattern = re.compile(r"^([0-9A-F]+)-(\d{10})$")
    txn, line = pattern.match(first["TxnID"]), pattern.match(first["InvoiceLineRet"][0]["TxnLineID"])
    assert txn is not None
    assert line is not None
    assert int(line.group(1), 16) == int(txn.group(1), 16) + 1
    assert txn.group(2) == str(int(WINTER.timestamp()))
    assert (first["TxnNumber"], second["TxnNumber"]) == (1, 2)
    # QuickBooks numbers invoices itself when the request names no RefNumber.
    assert (first["RefNumber"], second["RefNumber"]) == ("1", "2")
    third = invoice(company, {"ItemRef": {"FullName": "Consulting"}}, RefNumber="1001")
    assert third["RefNumber"] == "1001"
    assert invoice(company, {"ItemRef": {"FullName": "Consulting"}})["RefNumber"] == "1002"


def test_edit_sequence_changes_on_every_mod_even_within_one_second(make_qbd_company: Any) -> None:
    company = make_qbd_company()
    customer = company.add("Customer", {"Name": "Acme"}, at=WINTER)
    seen = {customer["EditSequence"]}
    current = customer
    for phone in ("555-0100", "555-0101", "555-0102"):
        current = company.modify(
            "Customer",
            {"ListID": customer["ListID"], "EditSequence": current["EditSequence"], "Phone": phone},
            at=WINTER,
        )
        seen.add(current["EditSequence"])
    assert len(seen) == 4
    assert current["Phone"] == "555-0102"
    assert current["TimeCreated"] == customer["TimeCreated"]


def test_stale_edit_sequence_answers_3200_and_changes_nothing(
    make_qbd_company: Any, qbd_session: Any
) -> None:
    company = make_qbd_company()
    customer = company.add("Customer", {"Name": "Acme"}, at=WINTER)
    company.modify(
        "Customer", {"ListID": customer["ListID"], "EditSequence": customer["EditSequence"], "Phone": "1"}
    )
    before = company.digest()
    answer = qbd_session(company).mod(
        "Customer", {"ListID": customer["ListID"], "EditSequence": customer["EditSequence"], "Phone": "2"}
    )
    assert (answer.status_code, answer.status_severity) == (3200, "Error")
    assert answer.status_message == f'The provided edit sequence "{customer["EditSequence"]}" is out-of-date.'
    assert company.digest() == before
    with pytest.raises(EditSequenceStale):
        company.modify("Customer", {"ListID": customer["ListID"], "EditSequence": customer["EditSequence"]})


def test_hierarchy_full_names_sublevels_and_a_rename_that_reaches_the_children(make_qbd_company: Any) -> None:
    company = make_qbd_company()
    parent = company.add("Customer", {"Name": "Acme"}, at=WINTER)
    job = company.add("Customer", {"Name": "Roof", "ParentRef": {"FullName": "Acme"}}, at=WINTER)
    phase = company.add("Customer", {"Name": "Phase 1", "ParentRef": {"ListID": job["ListID"]}}, at=WINTER)
    assert (job["FullName"], job["Sublevel"]) == ("Acme:Roof", 1)
    assert job["ParentRef"] == {"ListID": parent["ListID"], "FullName": "Acme"}
    assert (phase["FullName"], phase["Sublevel"]) == ("Acme:Roof:Phase 1", 2)
    company.modify(
        "Customer", {"ListID": parent["ListID"], "EditSequence": parent["EditSequence"], "Name": "Acme Corp"}
    )
    moved = company.get("Customer", phase["ListID"])
    assert moved is not None
    assert moved["FullName"] == "Acme Corp:Roof:Phase 1"
    assert moved["ParentRef"]["FullName"] == "Acme Corp:Roof"
    # A reference by the new full name finds the job; the old one no longer does.
    company.add("Customer", {"Name": "Phase 2", "ParentRef": {"FullName": "Acme Corp:Roof"}}, at=WINTER)
    with pytest.raises(StatusError) as failure:
        company.add("Customer", {"Name": "Phase 3", "ParentRef": {"FullName": "Acme:Roof"}}, at=WINTER)
    assert failure.value.code == 3130


def test_a_parent_cannot_become_its_own_descendant(make_qbd_company: Any) -> None:
    company = make_qbd_company()
    top = company.add("Class", {"Name": "Top"}, at=WINTER)
    child = company.add("Class", {"Name": "Child", "ParentRef": {"FullName": "Top"}}, at=WINTER)
    with pytest.raises(StatusError) as failure:
        company.modify(
            "Class",
            {
                "ListID": top["ListID"],
                "EditSequence": top["EditSequence"],
                "ParentRef": {"ListID": child["ListID"]},
            },
        )
    assert failure.value.code == 3130
    assert company.get("Class", top["ListID"])["FullName"] == "Top"  # type: ignore[index]


def test_names_are_unique_within_their_namespace_case_insensitively(
    make_qbd_company: Any, qbd_session: Any
) -> None:
    company = make_qbd_company()
    company.add("Customer", {"Name": "Blue Sky"}, at=WINTER)
    answer = qbd_session(company).add("Vendor", {"Name": "BLUE SKY"})
    # Customers, vendors and employees share QuickBooks' name list.
    assert (answer.status_code, answer.status_message) == (
        3100,
        'The name "BLUE SKY" of the list element is already in use.',
    )
    # An account or an item may carry a customer's name: other namespaces.
    company.add("Account", {"Name": "Blue Sky", "AccountType": "Bank"}, at=WINTER)
    company.add("Account", {"Name": "Income", "AccountType": "Income"}, at=WINTER)
    company.add(
        "ItemService",
        {"Name": "Blue Sky", "SalesOrPurchase": {"AccountRef": {"FullName": "Income"}}},
        at=WINTER,
    )
    with pytest.raises(StatusError) as failure:
        company.add(
            "ItemNonInventory",
            {"Name": "blue sky", "SalesOrPurchase": {"AccountRef": {"FullName": "Income"}}},
            at=WINTER,
        )
    assert failure.value.code == 3100  # every item type shares the item list
    # The same leaf name under two parents is two full names.
    company.add("Customer", {"Name": "Roof", "ParentRef": {"FullName": "Blue Sky"}}, at=WINTER)
    company.add("Customer", {"Name": "Roof"}, at=WINTER)


def test_invalid_references_answer_3140_in_quickbooks_words(make_qbd_company: Any, qbd_session: Any) -> None:
    company = make_qbd_company()
    books(company)
    session = qbd_session(company)
    header = session.add(
        "SalesOrder",
        {
            "CustomerRef": {"FullName": "Joe Smith"},
            "SalesOrderLineAdd": [{"ItemRef": {"FullName": "Consulting"}}],
        },
    )
    assert (header.status_code, header.status_severity) == (3140, "Error")
    assert header.status_message == (
        'There is an invalid reference to QuickBooks Customer "Joe Smith" in the SalesOrder.  '
        "QuickBooks error message: Invalid argument.  The specified record does not exist in the list."
    )
    line = session.add(
        "SalesOrder",
        {"CustomerRef": {"FullName": "Acme"}, "SalesOrderLineAdd": [{"ItemRef": {"FullName": "sooo wrong"}}]},
    )
    assert line.status_message == (
        'There is an invalid reference to QuickBooks Item "sooo wrong" in the SalesOrder line.  '
        "QuickBooks error message: Invalid argument.  The specified record does not exist in the list."
    )
    by_id = session.add("Invoice", {"CustomerRef": {"ListID": "80000099-1700000000"}})
    assert by_id.status_code == 3140
    assert '"80000099-1700000000"' in by_id.status_message
    # A vendor is not a customer, even with the right ListID.
    vendor_id = company.add("Vendor", {"Name": "Supplier"}, at=WINTER)["ListID"]
    assert session.add("Invoice", {"CustomerRef": {"ListID": vendor_id}}).status_code == 3140


def test_references_resolve_from_either_listid_or_fullname_to_both(make_qbd_company: Any) -> None:
    company = make_qbd_company()
    made = books(company)
    by_name = invoice(company, {"ItemRef": {"FullName": "consulting"}, "Quantity": 1})
    by_id = invoice(company, {"ItemRef": {"ListID": made["service"]["ListID"]}, "Quantity": 1})
    expected = {"ListID": made["service"]["ListID"], "FullName": "Consulting"}
    assert by_name["InvoiceLineRet"][0]["ItemRef"] == expected
    assert by_id["InvoiceLineRet"][0]["ItemRef"] == expected
    assert by_id["CustomerRef"] == {"ListID": made["customer"]["ListID"], "FullName": "Acme"}


def test_missing_business_elements_answer_3150(make_qbd_company: Any, qbd_session: Any) -> None:
    company = make_qbd_company()
    books(company)
    session = qbd_session(company)
    no_account = session.add("ItemService", {"Name": "Loose", "SalesOrPurchase": {"Price": "1.00"}})
    assert (no_account.status_code, no_account.status_message) == (
        3150,
        'There is a missing element: "AccountRef".',
    )
    transfer = session.add("Transfer", {"TransferFromAccountRef": {"FullName": "Checking"}})
    assert transfer.status_code == 3150


def test_text_outside_iso_8859_1_is_kept_as_question_marks(make_qbd_company: Any, qbd_session: Any) -> None:
    company = make_qbd_company()
    answer = qbd_session(company).add("Customer", {"Name": "Zoë Ωmega 東京", "Notes": "café €5"})
    (record,) = answer.records()
    assert record["Name"] == "Zoë ?mega ??"
    assert record["Notes"] == "café ?5"


def test_invoice_totals_come_from_quantity_rate_item_defaults_and_sales_tax(make_qbd_company: Any) -> None:
    company = make_qbd_company()
    books(company)
    company.add("ItemSalesTax", {"Name": "CA Tax", "TaxRate": "8.25"}, at=WINTER)
    company.add(
        "ItemNonInventory",
        {
            "Name": "Cable",
            "SalesTaxCodeRef": {"FullName": "Non"},
            "SalesOrPurchase": {"Price": "2.50", "AccountRef": {"FullName": "Sales"}},
        },
        at=WINTER,
    )
    made = invoice(
        company,
        {"ItemRef": {"FullName": "Consulting"}, "Quantity": Decimal("2.5")},
        {"ItemRef": {"FullName": "Cable"}, "Quantity": 3, "Rate": "1.99"},
        {"ItemRef": {"FullName": "Consulting"}, "Quantity": 2, "Amount": "250.00"},
        ItemSalesTaxRef={"FullName": "CA Tax"},
    )
    first, second, third = made["InvoiceLineRet"]
    assert (first["Desc"], first["Rate"], first["Amount"]) == (
        "Hourly consulting",
        Decimal("150.00"),
        Decimal("375.00"),
    )
    assert first["SalesTaxCodeRef"]["FullName"] == "Tax"
    assert second["Amount"] == Decimal("5.97")
    assert (third["Rate"], third["Amount"]) == (Decimal("125.00"), Decimal("250.00"))
    assert made["Subtotal"] == Decimal("630.97")
    # Tax on the taxable lines only: (375 + 250) x 8.25 % = 51.5625.
    assert (made["SalesTaxPercentage"], made["SalesTaxTotal"]) == (Decimal("8.25"), Decimal("51.56"))
    assert made["BalanceRemaining"] == Decimal("682.53")
    assert (made["AppliedAmount"], made["IsPaid"]) == (Decimal("0.00"), False)
    assert made["ARAccountRef"]["FullName"] == "Accounts Receivable"


def test_transaction_mod_keeps_sent_lines_drops_the_others_and_adds_minus_one(make_qbd_company: Any) -> None:
    company = make_qbd_company()
    books(company)
    made = invoice(
        company,
        {"ItemRef": {"FullName": "Consulting"}, "Quantity": 1},
        {"ItemRef": {"FullName": "Consulting"}, "Quantity": 2},
        {"ItemRef": {"FullName": "Consulting"}, "Quantity": 3},
    )
    one, _, three = made["InvoiceLineRet"]
    changed = company.modify(
        "Invoice",
        {
            "TxnID": made["TxnID"],
            "EditSequence": made["EditSequence"],
            "Memo": "revised",
            "InvoiceLineMod": [
                {"TxnLineID": three["TxnLineID"], "Quantity": 4},
                {"TxnLineID": one["TxnLineID"]},
                {"TxnLineID": "-1", "ItemRef": {"FullName": "Consulting"}, "Amount": "10.00"},
            ],
        },
        at=SUMMER,
    )
    lines = changed["InvoiceLineRet"]
    assert [line["TxnLineID"] for line in lines[:2]] == [three["TxnLineID"], one["TxnLineID"]]
    assert lines[2]["TxnLineID"] not in (one["TxnLineID"], three["TxnLineID"])
    assert [line["Amount"] for line in lines] == [Decimal("600.00"), Decimal("150.00"), Decimal("10.00")]
    assert changed["Subtotal"] == Decimal("760.00")
    assert changed["Memo"] == "revised"
    assert changed["TimeModified"] == "2024-07-15T13:00:05-07:00"
    assert changed["TimeCreated"] == made["TimeCreated"]
    # A Mod that sends no lines leaves the lines alone.
    again = company.modify(
        "Invoice", {"TxnID": made["TxnID"], "EditSequence": changed["EditSequence"], "PONumber": "7"}
    )
    assert [line["TxnLineID"] for line in again["InvoiceLineRet"]] == [line["TxnLineID"] for line in lines]
    # A line id that is not on the transaction is an error.
    with pytest.raises(StatusError) as failure:
        company.modify(
            "Invoice",
            {
                "TxnID": made["TxnID"],
                "EditSequence": again["EditSequence"],
                "InvoiceLineMod": [{"TxnLineID": "FFFF-1"}],
            },
        )
    assert failure.value.code == 3120


def test_payments_apply_to_invoices_and_change_them(make_qbd_company: Any, qbd_clock: Any) -> None:
    company = make_qbd_company()
    books(company)
    first = invoice(company, {"ItemRef": {"FullName": "Consulting"}, "Quantity": 2}, TxnDate="2024-01-10")
    second = invoice(company, {"ItemRef": {"FullName": "Consulting"}, "Quantity": 1}, TxnDate="2024-01-12")
    payment = company.add(
        "ReceivePayment",
        {
            "CustomerRef": {"FullName": "Acme"},
            "TxnDate": "2024-02-01",
            "RefNumber": "CHK 881",
            "TotalAmount": "400.00",
            "AppliedToTxnAdd": [{"TxnID": first["TxnID"], "PaymentAmount": "300.00"}],
        },
        at=SUMMER,
    )
    assert payment["UnusedPayment"] == Decimal("100.00")
    assert payment["DepositToAccountRef"]["FullName"] == "Undeposited Funds"
    (applied,) = payment["AppliedToTxnRet"]
    assert (applied["TxnType"], applied["Amount"], applied["BalanceRemaining"]) == (
        "Invoice",
        Decimal("300.00"),
        Decimal("0.00"),
    )
    paid = company.get("Invoice", first["TxnID"])
    assert paid is not None
    assert (paid["BalanceRemaining"], paid["AppliedAmount"], paid["IsPaid"]) == (
        Decimal("0.00"),
        Decimal("-300.00"),
        True,
    )
    assert paid["LinkedTxn"] == [
        {
            "TxnID": payment["TxnID"],
            "TxnType": "ReceivePayment",
            "TxnDate": "2024-02-01",
            "RefNumber": "CHK 881",
            "LinkType": "AMTTYPE",
            "Amount": Decimal("-300.00"),
        }
    ]
    # Being paid changes the invoice: a sync reading modified invoices sees it.
    assert paid["TimeModified"] == "2024-07-15T13:00:05-07:00"
    assert paid["EditSequence"] != first["EditSequence"]
    # Paying more than is open is refused.
    with pytest.raises(StatusError) as failure:
        company.add(
            "ReceivePayment",
            {
                "CustomerRef": {"FullName": "Acme"},
                "AppliedToTxnAdd": [{"TxnID": second["TxnID"], "PaymentAmount": "150.01"}],
            },
        )
    assert failure.value.code == 3210
    # Auto-apply pays the oldest open invoice first.
    auto = company.add(
        "ReceivePayment", {"CustomerRef": {"FullName": "Acme"}, "TotalAmount": "20.00", "IsAutoApply": True}
    )
    assert [(a["TxnID"], a["Amount"]) for a in auto["AppliedToTxnRet"]] == [
        (second["TxnID"], Decimal("20.00"))
    ]
    customer = company.get("Customer", first["CustomerRef"]["ListID"])
    assert customer is not None
    assert customer["Balance"] == Decimal("30.00")  # 450 invoiced, 420 received


def test_a_payment_mod_moves_what_it_applies_from_one_invoice_to_another(make_qbd_company: Any) -> None:
    company = make_qbd_company()
    books(company)
    first = invoice(company, {"ItemRef": {"FullName": "Consulting"}, "Quantity": 1}, RefNumber="INV-1")
    second = invoice(company, {"ItemRef": {"FullName": "Consulting"}, "Quantity": 1}, RefNumber="INV-2")
    payment = company.add(
        "ReceivePayment",
        {
            "CustomerRef": {"FullName": "Acme"},
            "TotalAmount": "150.00",
            "AppliedToTxnAdd": [{"TxnID": first["TxnID"], "PaymentAmount": "150.00"}],
        },
    )
    moved = company.modify(
        "ReceivePayment",
        {
            "TxnID": payment["TxnID"],
            "EditSequence": payment["EditSequence"],
            "AppliedToTxnMod": [{"TxnID": second["TxnID"], "PaymentAmount": "100.00"}],
        },
    )
    assert [(a["TxnID"], a["Amount"]) for a in moved["AppliedToTxnRet"]] == [
        (second["TxnID"], Decimal("100.00"))
    ]
    assert moved["UnusedPayment"] == Decimal("50.00")
    reopened, paid = company.get("Invoice", first["TxnID"]), company.get("Invoice", second["TxnID"])
    assert reopened is not None
    assert paid is not None
    assert (reopened["BalanceRemaining"], paid["BalanceRemaining"]) == (Decimal("150.00"), Decimal("50.00"))


def test_deleting_an_invoice_unapplies_its_payment_and_leaves_a_tombstone(
    make_qbd_company: Any, qbd_session: Any
) -> None:
    company = make_qbd_company()
    books(company)
    made = invoice(company, {"ItemRef": {"FullName": "Consulting"}, "Quantity": 1}, RefNumber="INV-9")
    payment = company.add(
        "ReceivePayment",
        {
            "CustomerRef": {"FullName": "Acme"},
            "TotalAmount": "150.00",
            "AppliedToTxnAdd": [{"TxnID": made["TxnID"], "PaymentAmount": "150.00"}],
        },
    )
    answer = qbd_session(company).one(_build("TxnDelRq", {"TxnDelType": "Invoice", "TxnID": made["TxnID"]}))
    assert answer.status_code == 0
    assert [c.tag for c in answer.element] == ["TxnDelType", "TxnID", "TimeDeleted", "RefNumber"]
    assert company.get("Invoice", made["TxnID"]) is None
    unapplied = company.get("ReceivePayment", payment["TxnID"])
    assert unapplied is not None
    assert "AppliedToTxnRet" not in unapplied
    assert unapplied["UnusedPayment"] == Decimal("150.00")
    again = qbd_session(company).one(_build("TxnDelRq", {"TxnDelType": "Invoice", "TxnID": made["TxnID"]}))
    assert again.status_code == 3120


def test_a_list_element_in_use_cannot_be_deleted_and_an_unused_one_can(make_qbd_company: Any) -> None:
    company = make_qbd_company()
    made = books(company)
    invoice(company, {"ItemRef": {"FullName": "Consulting"}})
    before = company.digest()
    with pytest.raises(StatusError) as failure:
        company.delete("Customer", made["customer"]["ListID"])
    assert failure.value.code == 3210
    assert company.digest() == before
    company.delete("Vendor", made["vendor"]["ListID"])
    assert company.get("Vendor", made["vendor"]["ListID"]) is None
    assert company.count("Vendor") == 0


def test_void_zeroes_amounts_marks_the_memo_and_keeps_the_transaction(
    make_qbd_company: Any, qbd_session: Any
) -> None:
    company = make_qbd_company()
    books(company)
    made = invoice(company, {"ItemRef": {"FullName": "Consulting"}, "Quantity": 2}, Memo="March work")
    answer = qbd_session(company).one(_build("TxnVoidRq", {"TxnVoidType": "Invoice", "TxnID": made["TxnID"]}))
    assert answer.status_code == 0
    voided = company.get("Invoice", made["TxnID"])
    assert voided is not None
    assert voided["Memo"] == "VOID: March work"
    assert (voided["Subtotal"], voided["BalanceRemaining"]) == (Decimal("0.00"), Decimal("0.00"))
    assert [line["Amount"] for line in voided["InvoiceLineRet"]] == [Decimal("0.00")]
    assert voided["EditSequence"] != made["EditSequence"]
    check = company.add(
        "Check",
        {
            "AccountRef": {"FullName": "Checking"},
            "ExpenseLineAdd": [{"AccountRef": {"FullName": "Rent"}, "Amount": "80.00"}],
        },
    )
    assert company.void("Check", check["TxnID"])["Memo"] == "VOID:"


def test_journal_entries_must_balance(make_qbd_company: Any) -> None:
    company = make_qbd_company()
    books(company)
    with pytest.raises(StatusError) as failure:
        company.add(
            "JournalEntry",
            {
                "JournalDebitLine": [{"AccountRef": {"FullName": "Checking"}, "Amount": "10.00"}],
                "JournalCreditLine": [{"AccountRef": {"FullName": "Sales"}, "Amount": "9.99"}],
            },
        )
    assert failure.value.code == 3210


def test_make_inactive_through_a_mod(make_qbd_company: Any) -> None:
    company = make_qbd_company()
    customer = company.add("Customer", {"Name": "Old Client"}, at=WINTER)
    changed = company.modify(
        "Customer",
        {"ListID": customer["ListID"], "EditSequence": customer["EditSequence"], "IsActive": False},
        at=SUMMER,
    )
    assert changed["IsActive"] is False


def _build(tag: str, fields: dict[str, Any]) -> Any:
    from qbd_client import qbxml

    return qbxml.build(tag, fields)


def test_a_paid_invoice_cannot_shrink_below_its_payments(make_qbd_company: Any) -> None:
    company = make_qbd_company()
    books(company)
    made = invoice(company, {"ItemRef": {"FullName": "Consulting"}, "Quantity": 2})
    company.add(
        "ReceivePayment",
        {
            "CustomerRef": {"FullName": "Acme"},
            "AppliedToTxnAdd": [{"TxnID": made["TxnID"], "PaymentAmount": "200.00"}],
        },
    )
    current = company.get("Invoice", made["TxnID"])
    assert current is not None
    line = current["InvoiceLineRet"][0]["TxnLineID"]
    with pytest.raises(StatusError) as failure:
        company.modify(
            "Invoice",
            {
                "TxnID": made["TxnID"],
                "EditSequence": current["EditSequence"],
                "InvoiceLineMod": [{"TxnLineID": line, "Quantity": 1}],
            },
        )
    assert failure.value.code == 3210
    grown = company.modify(
        "Invoice",
        {
            "TxnID": made["TxnID"],
            "EditSequence": current["EditSequence"],
            "InvoiceLineMod": [{"TxnLineID": line, "Quantity": 3}],
        },
    )
    assert (grown["BalanceRemaining"], grown["AppliedAmount"]) == (Decimal("250.00"), Decimal("-200.00"))


def test_bulk_writes_store_what_the_checked_api_stores(make_qbd_company: Any) -> None:
    fields = {
        "CustomerRef": {"FullName": "Acme"},
        "TxnDate": "2024-01-15",
        "RefNumber": "B-1",
        "Memo": "Zoë of Łódź",  # Ł and ź are outside ISO-8859-1: kept as "?"
        "InvoiceLineAdd": [
            {"ItemRef": {"FullName": "Consulting"}, "Quantity": Decimal("2.5")},
            {"ItemRef": {"FullName": "Consulting"}, "Quantity": 1, "Rate": "99.5"},
        ],
    }
    checked, bulk = make_qbd_company(name="checked"), make_qbd_company(name="bulk")
    customer = books(checked)["customer"]["ListID"]
    added = checked.add("Invoice", fields, at=WINTER)
    checked.modify(
        "Customer",
        {
            "ListID": customer,
            "EditSequence": checked.get("Customer", customer)["EditSequence"],
            "IsActive": False,
        },  # type: ignore[index]
        at=SUMMER,
    )
    assert books(bulk)["customer"]["ListID"] == customer
    with bulk.bulk() as writes:
        txn_id = writes.add("Invoice", fields, at=WINTER)
        sequence = writes.modify(
            "Customer",
            {
                "ListID": customer,
                "EditSequence": writes.edit_sequence("Customer", customer),
                "IsActive": False,
            },
            at=SUMMER,
        )
        assert sequence == writes.edit_sequence("Customer", customer)
    assert txn_id == added["TxnID"]
    assert bulk.get("Invoice", txn_id) == checked.get("Invoice", txn_id)
    assert bulk.get("Invoice", txn_id)["Memo"] == "Zoë of ?ód?"  # type: ignore[index]
    assert bulk.get("Customer", customer)["IsActive"] is False  # type: ignore[index]
    assert bulk.digest() == checked.digest()


def test_a_failing_bulk_write_rolls_back_alone_and_unknown_fields_are_refused(make_qbd_company: Any) -> None:
    company = make_qbd_company()
    books(company)
    with company.bulk() as writes:
        with pytest.raises(StatusError) as failed:
            writes.add("Invoice", {"CustomerRef": {"FullName": "Nobody"}, "InvoiceLineAdd": []}, at=WINTER)
        assert failed.value.code == 3140
        with pytest.raises(qbxml.QbxmlError, match="Colour"):
            writes.add("Customer", {"Name": "Painted", "Colour": "red"}, at=WINTER)
        kept = writes.add("Customer", {"Name": "After"}, at=WINTER)
    assert company.count("Invoice") == 0
    assert company.get("Customer", kept)["Name"] == "After"  # type: ignore[index]
    assert company.count("Customer") == 2  # Acme and After
