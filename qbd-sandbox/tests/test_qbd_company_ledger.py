"""The ledger behind the reports: what each transaction posts, and a trial balance that always balances."""

from __future__ import annotations

import calendar
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest
from qbd_client import qbxml
from qbd_client.xml import local_name
from qbd_sandbox.company import Company
from qbd_sandbox.reports import trial_balance_rows

AT = datetime(2024, 1, 2, 17, 0, tzinfo=timezone.utc)


def report(
    company: Company,
    report_type: str,
    to: str,
    basis: str = "Accrual",
    start: str | None = None,
    **extra: Any,
) -> Any:
    period = {"ToReportDate": to} if start is None else {"FromReportDate": start, "ToReportDate": to}
    request = qbxml.build(
        "GeneralSummaryReportQueryRq",
        {"GeneralSummaryReportType": report_type, "ReportPeriod": period, "ReportBasis": basis, **extra},
    )
    (answer,) = qbxml.parse_response(company.process(qbxml.message_set([request]), "reports")).responses
    assert answer.status_code == 0, answer.status_message
    return answer.rets[0]


def tb(company: Company, to: str = "2024-12-31", basis: str = "Accrual") -> dict[str, tuple[int, int]]:
    return trial_balance_rows(report(company, "TrialBalance", to, basis))


def net(rows: dict[str, tuple[int, int]]) -> dict[str, int]:
    """{account: debit minus credit in cents} without the total row."""
    return {name: debit - credit for name, (debit, credit) in rows.items() if name != "TOTAL"}


def setup_books(company: Company) -> None:
    for name, account_type, extra in (
        ("Checking", "Bank", {"OpenBalance": "5000.00", "OpenBalanceDate": "2023-12-31"}),
        ("Savings", "Bank", {}),
        ("Sales", "Income", {}),
        ("Rent", "Expense", {}),
        ("Supplies", "Expense", {}),
        ("Visa", "CreditCard", {}),
        ("Inventory Asset", "OtherCurrentAsset", {}),
        ("Cost of Goods Sold", "CostOfGoodsSold", {}),
        ("Owner Contributions", "Equity", {}),
    ):
        company.add("Account", {"Name": name, "AccountType": account_type, **extra}, at=AT)
    company.add("SalesTaxCode", {"Name": "Tax", "IsTaxable": True}, at=AT)
    company.add("Vendor", {"Name": "State Board"}, at=AT)
    company.add(
        "ItemSalesTax",
        {"Name": "State Tax", "TaxRate": "7.5", "TaxVendorRef": {"FullName": "State Board"}},
        at=AT,
    )
    company.add("Customer", {"Name": "Acme"}, at=AT)
    company.add("Customer", {"Name": "Globex"}, at=AT)
    company.add("Vendor", {"Name": "Landlord"}, at=AT)
    company.add("Vendor", {"Name": "Widget Works"}, at=AT)
    company.add("Employee", {"FirstName": "Ana", "LastName": "Lopez"}, at=AT)
    company.add(
        "ItemService",
        {
            "Name": "Design",
            "SalesTaxCodeRef": {"FullName": "Tax"},
            "SalesOrPurchase": {"Price": "120.00", "AccountRef": {"FullName": "Sales"}},
        },
        at=AT,
    )
    company.add(
        "ItemInventory",
        {
            "Name": "Widget",
            "IncomeAccountRef": {"FullName": "Sales"},
            "COGSAccountRef": {"FullName": "Cost of Goods Sold"},
            "AssetAccountRef": {"FullName": "Inventory Asset"},
            "SalesPrice": "25.00",
            "PurchaseCost": "10.00",
            "QuantityOnHand": "20",
        },
        at=AT,
    )


def build_year(company: Company) -> dict[str, dict[str, Any]]:
    """A year of every transaction type, spread over the months."""
    made: dict[str, dict[str, Any]] = {}
    for month in range(1, 13):
        day = f"2024-{month:02d}-1{month % 9}"
        invoice = company.add(
            "Invoice",
            {
                "CustomerRef": {"FullName": "Acme" if month % 2 else "Globex"},
                "TxnDate": day,
                "ItemSalesTaxRef": {"FullName": "State Tax"},
                "InvoiceLineAdd": [
                    {"ItemRef": {"FullName": "Design"}, "Quantity": month},
                    {"ItemRef": {"FullName": "Widget"}, "Quantity": 1},
                ],
            },
            at=AT,
        )
        made[f"invoice-{month}"] = invoice
        if month % 3 == 0:
            made[f"payment-{month}"] = company.add(
                "ReceivePayment",
                {
                    "CustomerRef": invoice["CustomerRef"],
                    "TxnDate": day,
                    "TotalAmount": "100.00",
                    "AppliedToTxnAdd": [{"TxnID": invoice["TxnID"], "PaymentAmount": "60.00"}],
                },
                at=AT,
            )
        bill = company.add(
            "Bill",
            {
                "VendorRef": {"FullName": "Landlord"},
                "TxnDate": f"2024-{month:02d}-01",
                "ExpenseLineAdd": [{"AccountRef": {"FullName": "Rent"}, "Amount": "900.00"}],
            },
            at=AT,
        )
        made[f"bill-{month}"] = bill
        if month % 2 == 0:
            company.add(
                "BillPaymentCheck",
                {
                    "PayeeEntityRef": {"FullName": "Landlord"},
                    "BankAccountRef": {"FullName": "Checking"},
                    "TxnDate": f"2024-{month:02d}-20",
                    "RefNumber": f"10{month:02d}",
                    "AppliedToTxnAdd": [{"TxnID": bill["TxnID"], "PaymentAmount": "900.00"}],
                },
                at=AT,
            )
    made["sales-receipt"] = company.add(
        "SalesReceipt",
        {
            "CustomerRef": {"FullName": "Globex"},
            "TxnDate": "2024-04-02",
            "SalesReceiptLineAdd": [{"ItemRef": {"FullName": "Widget"}, "Quantity": 2}],
        },
        at=AT,
    )
    made["credit-memo"] = company.add(
        "CreditMemo",
        {
            "CustomerRef": {"FullName": "Acme"},
            "TxnDate": "2024-05-03",
            "CreditMemoLineAdd": [{"ItemRef": {"FullName": "Design"}, "Amount": "40.00"}],
        },
        at=AT,
    )
    made["stock-bill"] = company.add(
        "Bill",
        {
            "VendorRef": {"FullName": "Widget Works"},
            "TxnDate": "2024-03-05",
            "ItemLineAdd": [{"ItemRef": {"FullName": "Widget"}, "Quantity": 10, "Cost": "13.00"}],
        },
        at=AT,
    )
    made["vendor-credit"] = company.add(
        "VendorCredit",
        {
            "VendorRef": {"FullName": "Widget Works"},
            "TxnDate": "2024-03-09",
            "ExpenseLineAdd": [{"AccountRef": {"FullName": "Supplies"}, "Amount": "12.00"}],
        },
        at=AT,
    )
    made["check"] = company.add(
        "Check",
        {
            "AccountRef": {"FullName": "Checking"},
            "TxnDate": "2024-06-06",
            "ExpenseLineAdd": [{"AccountRef": {"FullName": "Supplies"}, "Amount": "45.50"}],
        },
        at=AT,
    )
    made["card"] = company.add(
        "CreditCardCharge",
        {
            "AccountRef": {"FullName": "Visa"},
            "TxnDate": "2024-07-07",
            "ExpenseLineAdd": [{"AccountRef": {"FullName": "Supplies"}, "Amount": "19.99"}],
        },
        at=AT,
    )
    made["deposit"] = company.add(
        "Deposit",
        {
            "TxnDate": "2024-09-25",
            "DepositToAccountRef": {"FullName": "Checking"},
            "DepositLineAdd": [
                {"PaymentTxnID": made["payment-3"]["TxnID"]},
                {"PaymentTxnID": made["payment-6"]["TxnID"]},
                {"AccountRef": {"FullName": "Owner Contributions"}, "Amount": "250.00"},
            ],
        },
        at=AT,
    )
    made["journal"] = company.add(
        "JournalEntry",
        {
            "TxnDate": "2024-08-31",
            "JournalDebitLine": [{"AccountRef": {"FullName": "Supplies"}, "Amount": "30.00"}],
            "JournalCreditLine": [{"AccountRef": {"FullName": "Checking"}, "Amount": "30.00"}],
        },
        at=AT,
    )
    made["transfer"] = company.add(
        "Transfer",
        {
            "TxnDate": "2024-10-01",
            "TransferFromAccountRef": {"FullName": "Checking"},
            "TransferToAccountRef": {"FullName": "Savings"},
            "Amount": "500.00",
        },
        at=AT,
    )
    company.add(
        "Estimate",
        {
            "CustomerRef": {"FullName": "Acme"},
            "EstimateLineAdd": [{"ItemRef": {"FullName": "Design"}, "Quantity": 9}],
        },
        at=AT,
    )
    company.add(
        "SalesOrder",
        {
            "CustomerRef": {"FullName": "Acme"},
            "SalesOrderLineAdd": [{"ItemRef": {"FullName": "Widget"}, "Quantity": 3}],
        },
        at=AT,
    )
    company.add(
        "PurchaseOrder",
        {
            "VendorRef": {"FullName": "Widget Works"},
            "PurchaseOrderLineAdd": [{"ItemRef": {"FullName": "Widget"}, "Quantity": 5}],
        },
        at=AT,
    )
    company.add(
        "TimeTracking",
        {"TxnDate": "2024-02-02", "EntityRef": {"FullName": "Ana Lopez"}, "Duration": "PT3H0M0S"},
        at=AT,
    )
    return made


@pytest.fixture
def year(make_qbd_company: Any) -> tuple[Company, dict[str, dict[str, Any]]]:
    company = make_qbd_company()
    setup_books(company)
    return company, build_year(company)


def test_trial_balance_balances_at_the_end_of_every_month_on_both_bases(year: Any) -> None:
    company, _ = year
    for basis in ("Accrual", "Cash"):
        for month in range(1, 13):
            end = f"2024-{month:02d}-{calendar.monthrange(2024, month)[1]}"
            rows = tb(company, end, basis)
            debit, credit = rows.pop("TOTAL")
            assert debit == credit, (basis, end)
            assert debit == sum(d for d, _ in rows.values())
            assert credit == sum(c for _, c in rows.values())


def test_each_transaction_type_posts_to_the_accounts_quickbooks_posts_to(year: Any) -> None:
    company, _ = year
    balances = net(tb(company))
    # Checking: 5000 opening, -900 x 6 bill payments, -45.50 check, +450 deposit (2 x 100 + 250),
    # -30 journal entry, -500 transfer.
    assert balances["Checking"] == 500000 - 6 * 90000 - 4550 + 45000 - 3000 - 50000
    assert balances["Savings"] == 50000
    assert balances["Visa"] == -1999
    # Invoices: Design 120 x (1+...+12) = 9360 and Widget 25 x 12 = 300, a receipt of 2 widgets, less
    # a 40.00 credit memo.
    assert balances["Sales"] == -(936000 + 30000 + 5000 - 4000)
    # Sales tax of 7.5 % on the taxable Design lines of the invoices (per invoice, rounded to cents).
    tax = sum(round(Decimal(120 * m) * Decimal("0.075"), 2) for m in range(1, 13))
    assert balances["Sales Tax Payable"] == -int(tax * 100)
    assert balances["Rent"] == 12 * 90000
    assert balances["Supplies"] == 4550 + 1999 + 3000 - 1200
    assert balances["Accounts Payable"] == -(6 * 90000 + 13000 - 1200)
    assert balances["Undeposited Funds"] == 4 * 10000 + 5000 - 2 * 10000
    assert balances["Opening Balance Equity"] == -(500000 + 20000)
    assert balances["Owner Contributions"] == -25000
    # Inventory: 20 at 10.00 opening; 14 sold, each at the average cost when it was entered (10.00:
    # they were all entered before the purchase); 10 bought at 13.00.
    assert balances["Cost of Goods Sold"] == 14 * 1000
    assert balances["Inventory Asset"] == 20000 - 14000 + 13000
    widget = company.get("ItemInventory", _item_id(company, "Widget"))
    assert widget is not None
    assert widget["QuantityOnHand"] == Decimal("16")
    assert widget["AverageCost"] == Decimal("11.88")  # 190.00 / 16
    assert widget["QuantityOnOrder"] == Decimal("5")
    assert widget["QuantityOnSalesOrder"] == Decimal("3")


def test_account_customer_and_vendor_balances_follow_the_ledger(year: Any) -> None:
    company, made = year
    balances = net(tb(company))
    accounts = qbxml.parse_response(
        company.process(qbxml.message_set([qbxml.build("AccountQueryRq", {"ActiveStatus": "All"})]), "s")
    ).responses[0]
    shown = {record["FullName"]: record["Balance"] for record in accounts.records()}
    assert shown["Checking"] == Decimal(balances["Checking"]) / 100
    assert (
        shown["Accounts Payable"] == Decimal(-balances["Accounts Payable"]) / 100
    )  # credit-normal, shown positive
    assert shown["Sales"] == Decimal(-balances["Sales"]) / 100
    customers = {
        c["FullName"]: c["Balance"]
        for c in qbxml.parse_response(
            company.process(qbxml.message_set([qbxml.build("CustomerQueryRq")]), "s")
        )
        .responses[0]
        .records()
    }
    assert (customers["Acme"] + customers["Globex"]) * 100 == balances["Accounts Receivable"]
    open_invoices = sum(
        company.get("Invoice", made[f"invoice-{m}"]["TxnID"])["BalanceRemaining"]  # type: ignore[index]
        for m in range(1, 13)
    )
    assert open_invoices - Decimal("40.00") - 4 * Decimal("40.00") == customers["Acme"] + customers["Globex"]


def test_trial_balance_follows_modify_delete_and_void(year: Any) -> None:
    company, made = year
    before = net(tb(company))
    check = made["check"]
    changed = company.modify(
        "Check",
        {
            "TxnID": check["TxnID"],
            "EditSequence": check["EditSequence"],
            "ExpenseLineMod": [{"TxnLineID": check["ExpenseLineRet"][0]["TxnLineID"], "Amount": "100.00"}],
        },
    )
    after_mod = net(tb(company))
    assert after_mod["Supplies"] - before["Supplies"] == 10000 - 4550
    assert after_mod["Checking"] - before["Checking"] == -(10000 - 4550)
    company.void("Check", changed["TxnID"])
    after_void = net(tb(company))
    assert after_void["Supplies"] == before["Supplies"] - 4550
    assert after_void["Checking"] == before["Checking"] + 4550
    company.delete("JournalEntry", made["journal"]["TxnID"])
    after_delete = net(tb(company))
    assert after_delete["Supplies"] == after_void["Supplies"] - 3000
    assert after_delete["Checking"] == after_void["Checking"] + 3000
    # An invoice with a payment applied: voiding it leaves the payment as credit in A/R.
    company.void("Invoice", made["invoice-3"]["TxnID"])
    rows = tb(company)
    assert rows["TOTAL"][0] == rows["TOTAL"][1]
    payment = company.get("ReceivePayment", made["payment-3"]["TxnID"])
    assert payment is not None
    assert payment["UnusedPayment"] == Decimal("100.00")


def test_cash_basis_recognises_income_as_it_is_paid(make_qbd_company: Any) -> None:
    company = make_qbd_company()
    setup_books(company)
    invoice = company.add(
        "Invoice",
        {
            "CustomerRef": {"FullName": "Acme"},
            "TxnDate": "2024-02-01",
            "InvoiceLineAdd": [{"ItemRef": {"FullName": "Design"}, "Quantity": 10}],
        },
        at=AT,
    )
    assert "Sales" not in net(tb(company, basis="Cash"))
    company.add(
        "ReceivePayment",
        {
            "CustomerRef": {"FullName": "Acme"},
            "TxnDate": "2024-02-10",
            "TotalAmount": "300.00",
            "AppliedToTxnAdd": [{"TxnID": invoice["TxnID"], "PaymentAmount": "300.00"}],
        },
        at=AT,
    )
    cash = net(tb(company, basis="Cash"))
    assert cash["Sales"] == -30000
    assert cash["Undeposited Funds"] == 30000
    assert "Accounts Receivable" not in cash
    assert net(tb(company, "2024-02-05", basis="Cash")).get("Sales") is None
    accrual = net(tb(company))
    assert (accrual["Sales"], accrual["Accounts Receivable"]) == (-120000, 90000)


def test_earlier_years_income_moves_to_retained_earnings(make_qbd_company: Any) -> None:
    company = make_qbd_company()
    setup_books(company)
    company.add(
        "Invoice",
        {
            "CustomerRef": {"FullName": "Acme"},
            "TxnDate": "2023-11-15",
            "InvoiceLineAdd": [{"ItemRef": {"FullName": "Design"}, "Quantity": 5}],
        },
        at=AT,
    )
    company.add(
        "Check",
        {
            "AccountRef": {"FullName": "Checking"},
            "TxnDate": "2024-01-20",
            "ExpenseLineAdd": [{"AccountRef": {"FullName": "Rent"}, "Amount": "100.00"}],
        },
        at=AT,
    )
    last_year = net(tb(company, "2023-12-31"))
    assert last_year["Sales"] == -60000
    this_year = net(tb(company, "2024-12-31"))
    assert "Sales" not in this_year
    assert this_year["Retained Earnings"] == -60000
    assert this_year["Rent"] == 10000
    rows = tb(company, "2024-12-31")
    assert rows["TOTAL"][0] == rows["TOTAL"][1]


def test_profit_and_loss_and_balance_sheet_agree_with_the_trial_balance(year: Any) -> None:
    company, _ = year
    balances = net(tb(company))
    pnl = report(company, "ProfitAndLossStandard", "2024-12-31", start="2024-01-01")
    assert pnl.findtext("ReportTitle") == "Profit & Loss"
    assert pnl.findtext("ReportSubtitle") == "January 1 - December 31, 2024"
    net_income = _total(pnl, "TotalRow")
    profit = -sum(
        amount
        for name, amount in balances.items()
        if name in ("Sales", "Rent", "Supplies", "Cost of Goods Sold")
    )
    assert net_income == profit
    sheet = report(company, "BalanceSheetStandard", "2024-12-31")
    totals = {
        row.find("ColData").get("value"): int(Decimal(row.findall("ColData")[1].get("value")) * 100)  # type: ignore[union-attr]
        for row in sheet.find("ReportData")  # type: ignore[union-attr]
        if local_name(row) in ("SubtotalRow", "TotalRow")
    }
    assert totals["TOTAL ASSETS"] == totals["TOTAL LIABILITIES & EQUITY"]


def test_report_dates_from_a_macro_and_the_account_filter(year: Any, qbd_clock: Any) -> None:
    company, _ = year
    qbd_clock.set(datetime(2024, 6, 15, 12, 0, tzinfo=timezone.utc))
    request = qbxml.build(
        "GeneralSummaryReportQueryRq",
        {
            "GeneralSummaryReportType": "TrialBalance",
            "ReportDateMacro": "ThisMonthToDate",
            "ReportAccountFilter": {"FullName": ["Checking", "Rent"]},
        },
    )
    (answer,) = qbxml.parse_response(company.process(qbxml.message_set([request]), "s")).responses
    ret = answer.rets[0]
    assert ret.findtext("ReportSubtitle") == "As of June 15, 2024"
    rows = trial_balance_rows(ret)
    assert set(rows) == {"Checking", "Rent", "TOTAL"}
    assert rows["Rent"] == (6 * 90000, 0)


def _total(ret: Any, tag: str) -> int:
    row = [r for r in ret.find("ReportData") if local_name(r) == tag][-1]
    return int(Decimal(row.findall("ColData")[-1].get("value")) * 100)


def _item_id(company: Company, name: str) -> str:
    request = qbxml.build("ItemInventoryQueryRq", {"FullName": name})
    (answer,) = qbxml.parse_response(company.process(qbxml.message_set([request]), "s")).responses
    return str(answer.records()[0]["ListID"])
