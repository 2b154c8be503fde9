"""The ledger's postings, checked as pure functions over a small in-memory company.

``Company`` and ``make_company`` are also used by test_reports.py.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import date
from typing import Any

import pytest
from qbo_sandbox.ledger import (
    ACCOUNT_TYPES,
    LedgerError,
    Posting,
    allocate,
    classification,
    current_balance,
    postings,
)

DAY = "2024-05-10"

# Id, Name, AccountType, AccountSubType, parent Id
CHART: list[tuple[str, str, str, str, str | None]] = [
    ("1", "Checking", "Bank", "Checking", None),
    ("2", "Savings", "Bank", "Savings", None),
    ("3", "Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable", None),
    ("4", "Undeposited Funds", "Other Current Asset", "UndepositedFunds", None),
    ("5", "Inventory Asset", "Other Current Asset", "Inventory", None),
    ("6", "Truck", "Fixed Asset", "Vehicles", None),
    ("7", "Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable", None),
    ("8", "Mastercard", "Credit Card", "CreditCard", None),
    ("9", "Board of Equalization Payable", "Other Current Liability", "SalesTaxPayable", None),
    ("10", "Notes Payable", "Long Term Liability", "NotesPayable", None),
    ("11", "Opening Balance Equity", "Equity", "OpeningBalanceEquity", None),
    ("12", "Retained Earnings", "Equity", "RetainedEarnings", None),
    ("13", "Services", "Income", "ServiceFeeIncome", None),
    ("14", "Sales of Product Income", "Income", "SalesOfProductIncome", None),
    ("15", "Discounts given", "Income", "DiscountsRefundsGiven", None),
    ("16", "Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs", None),
    ("17", "Rent or Lease", "Expense", "RentOrLeaseOfBuildings", None),
    ("18", "Supplies", "Expense", "SuppliesMaterials", None),
    ("19", "Interest Earned", "Other Income", "InterestEarned", None),
    ("20", "Penalties", "Other Expense", "PenaltiesSettlements", None),
    ("21", "Landscaping Services", "Income", "ServiceFeeIncome", None),
    ("22", "Job Materials", "Income", "ServiceFeeIncome", "21"),
    ("23", "Fountains and Garden Lighting", "Income", "ServiceFeeIncome", "22"),
    ("24", "Plants and Soil", "Income", "ServiceFeeIncome", "22"),
    ("25", "Security Deposits", "Other Asset", "SecurityDeposits", None),
]

# Id, Name, Type, income, expense, asset, PurchaseCost
ITEMS: list[tuple[str, str, str, str | None, str | None, str | None, float | None]] = [
    ("1", "Gardening", "Service", "13", "18", None, None),
    ("2", "Rock Fountain", "Inventory", "14", "16", "5", 125.0),
    ("3", "Sprinkler Heads", "NonInventory", "14", "18", None, None),
    ("4", "Fountain Installation", "Service", "23", None, None, None),
    ("5", "Soil", "Service", "24", None, None, None),
    ("6", "No Income Item", "Service", None, None, None, None),
    ("7", "Pump", "NonInventory", "14", None, None, None),
]


class Company:
    """An in-memory company: what a LedgerContext reads, and a ledger of dated postings."""

    def __init__(self) -> None:
        self.objects: dict[str, dict[str, dict[str, Any]]] = {}
        self.ledger: list[tuple[date, Posting]] = []
        self._ids = itertools.count(1000)

    # LedgerContext
    def get(self, entity: str, id: str) -> dict[str, Any] | None:
        return self.objects.get(entity, {}).get(str(id))

    def accounts(self) -> list[dict[str, Any]]:
        return list(self.objects.get("Account", {}).values())

    def put(self, entity: str, payload: dict[str, Any]) -> dict[str, Any]:
        payload.setdefault("Id", str(next(self._ids)))
        self.objects.setdefault(entity, {})[payload["Id"]] = payload
        return payload

    def post(self, entity: str, payload: dict[str, Any]) -> list[Posting]:
        """Store a transaction and add its postings to the ledger, as the server does."""
        payload.setdefault("TxnDate", DAY)
        self.put(entity, payload)
        posts = postings(entity, payload, self)
        day = date.fromisoformat(payload["TxnDate"])
        self.ledger.extend((day, p) for p in posts)
        return posts

    def balances(self, start: date | None, end: date, basis: str) -> dict[str, float]:
        """Debit minus credit per account over [start, end] on a basis (the server's BalanceFn)."""
        out: dict[str, float] = {}
        for day, p in self.ledger:
            if p.basis in (basis, "both") and day <= end and (start is None or day >= start):
                out[p.account_id] = round(out.get(p.account_id, 0.0) + p.amount, 2)
        return out


def make_company() -> Company:
    co = Company()
    for aid, name, atype, subtype, parent in CHART:
        acc: dict[str, Any] = {
            "Id": aid,
            "Name": name,
            "AccountType": atype,
            "AccountSubType": subtype,
            "Classification": classification(atype),
            "Active": True,
        }
        if parent:
            acc["ParentRef"] = {"value": parent}
            acc["SubAccount"] = True
        co.put("Account", acc)
    for acc in co.objects["Account"].values():
        names = [acc["Name"]]
        cur = acc
        while "ParentRef" in cur:
            cur = co.objects["Account"][cur["ParentRef"]["value"]]
            names.insert(0, cur["Name"])
        acc["FullyQualifiedName"] = ":".join(names)
    for iid, name, itype, income, expense, asset, cost in ITEMS:
        item: dict[str, Any] = {"Id": iid, "Name": name, "Type": itype, "Active": True}
        if income:
            item["IncomeAccountRef"] = {"value": income}
        if expense:
            item["ExpenseAccountRef"] = {"value": expense}
        if asset:
            item["AssetAccountRef"] = {"value": asset}
            item["TrackQtyOnHand"] = True
        if cost is not None:
            item["PurchaseCost"] = cost
        co.put("Item", item)
    co.put("Customer", {"Id": "1", "DisplayName": "Amy's Bird Sanctuary"})
    co.put("Customer", {"Id": "2", "DisplayName": "Red Rock Diner"})
    co.put("Vendor", {"Id": "1", "DisplayName": "Norton Lumber"})
    co.put("Vendor", {"Id": "2", "DisplayName": "PG&E"})
    return co


# -- payload builders ---------------------------------------------------------------------------


def ref(value: str) -> dict[str, str]:
    return {"value": value}


def sales_line(item: str, amount: float, qty: float = 1) -> dict[str, Any]:
    return {
        "DetailType": "SalesItemLineDetail",
        "Amount": amount,
        "SalesItemLineDetail": {"ItemRef": ref(item), "Qty": qty},
    }


def sales_doc(lines: list[dict[str, Any]], tax: float = 0, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"CustomerRef": ref("1"), "Line": lines, **extra}
    total = sum(ln["Amount"] for ln in lines if ln["DetailType"] == "SalesItemLineDetail")
    total -= sum(ln["Amount"] for ln in lines if ln["DetailType"] == "DiscountLineDetail")
    total += sum(
        inner["Amount"]
        for ln in lines
        if ln["DetailType"] == "GroupLineDetail"
        for inner in ln["GroupLineDetail"]["Line"]
    )
    if tax:
        doc["TxnTaxDetail"] = {"TotalTax": tax}
    doc["TotalAmt"] = round(total + tax, 2)
    return doc


def expense_line(account: str, amount: float) -> dict[str, Any]:
    return {
        "DetailType": "AccountBasedExpenseLineDetail",
        "Amount": amount,
        "AccountBasedExpenseLineDetail": {"AccountRef": ref(account)},
    }


def item_expense_line(item: str, amount: float, qty: float = 1) -> dict[str, Any]:
    return {
        "DetailType": "ItemBasedExpenseLineDetail",
        "Amount": amount,
        "ItemBasedExpenseLineDetail": {"ItemRef": ref(item), "Qty": qty},
    }


def purchase_doc(lines: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "VendorRef": ref("1"),
        "Line": lines,
        "TotalAmt": round(sum(ln["Amount"] for ln in lines), 2),
        **extra,
    }


def payment(amount: float, links: Iterable[tuple[str, str, float]] = (), **extra: Any) -> dict[str, Any]:
    lines = [{"Amount": amt, "LinkedTxn": [{"TxnId": tid, "TxnType": kind}]} for kind, tid, amt in links]
    return {"CustomerRef": ref("1"), "TotalAmt": amount, "Line": lines, **extra}


def bill_payment(
    amount: float, links: Iterable[tuple[str, str, float]] = (), card: bool = False
) -> dict[str, Any]:
    lines = [{"Amount": amt, "LinkedTxn": [{"TxnId": tid, "TxnType": kind}]} for kind, tid, amt in links]
    doc: dict[str, Any] = {"VendorRef": ref("1"), "TotalAmt": amount, "Line": lines}
    if card:
        doc |= {"PayType": "CreditCard", "CreditCardPayment": {"CCAccountRef": ref("8")}}
    else:
        doc |= {"PayType": "Check", "CheckPayment": {"BankAccountRef": ref("1")}}
    return doc


def journal(*lines: tuple[str, str, float]) -> dict[str, Any]:
    return {
        "Line": [
            {
                "DetailType": "JournalEntryLineDetail",
                "Amount": amount,
                "JournalEntryLineDetail": {"PostingType": side, "AccountRef": ref(account)},
            }
            for side, account, amount in lines
        ]
    }


# -- helpers --------------------------------------------------------------------------------------


def on(posts: Iterable[Posting], basis: str) -> dict[str, float]:
    """Net amount per account on one basis ("both" counts in each), zeros dropped."""
    out: dict[str, float] = {}
    for p in posts:
        if p.basis in (basis, "both"):
            out[p.account_id] = round(out.get(p.account_id, 0.0) + p.amount, 2)
    return {k: v for k, v in out.items() if v}


def assert_balanced(posts: list[Posting]) -> None:
    for p in posts:
        assert p.basis in ("accrual", "cash", "both")
        assert round(p.amount, 2) == p.amount
    for basis in ("accrual", "cash"):
        assert round(sum(on(posts, basis).values()), 2) == 0, (basis, posts)


@pytest.fixture
def co() -> Company:
    return make_company()


# -- sales ----------------------------------------------------------------------------------------


def test_invoice_with_tax_posts_ar_income_and_tax_on_accrual_only(co: Company) -> None:
    posts = co.post("Invoice", sales_doc([sales_line("1", 100)], tax=8))
    assert_balanced(posts)
    assert on(posts, "accrual") == {"3": 108.0, "13": -100.0, "9": -8.0}
    assert on(posts, "cash") == {}


def test_invoice_inventory_item_posts_cost_of_sales_on_both_bases(co: Company) -> None:
    posts = co.post("Invoice", sales_doc([sales_line("2", 300, qty=2)]))
    assert_balanced(posts)
    assert on(posts, "accrual") == {"3": 300.0, "14": -300.0, "16": 250.0, "5": -250.0}
    assert on(posts, "cash") == {"16": 250.0, "5": -250.0}


def test_invoice_discount_group_and_subtotal_lines(co: Company) -> None:
    group = {
        "DetailType": "GroupLineDetail",
        "GroupLineDetail": {"GroupItemRef": ref("99"), "Line": [sales_line("4", 60), sales_line("5", 40)]},
    }
    discount = {
        "DetailType": "DiscountLineDetail",
        "Amount": 10,
        "DiscountLineDetail": {"PercentBased": False},
    }
    subtotal = {"DetailType": "SubTotalLineDetail", "Amount": 200, "SubTotalLineDetail": {}}
    doc = sales_doc([sales_line("1", 100), group, discount, subtotal])
    assert doc["TotalAmt"] == 190
    posts = co.post("Invoice", doc)
    assert_balanced(posts)
    assert on(posts, "accrual") == {"3": 190.0, "13": -100.0, "23": -60.0, "24": -40.0, "15": 10.0}


def test_discount_line_uses_its_own_account(co: Company) -> None:
    discount = {
        "DetailType": "DiscountLineDetail",
        "Amount": 5,
        "DiscountLineDetail": {"DiscountAccountRef": ref("18")},
    }
    posts = co.post("Invoice", sales_doc([sales_line("1", 50), discount]))
    assert on(posts, "accrual") == {"3": 45.0, "13": -50.0, "18": 5.0}


def test_invoice_ar_account_ref_and_deposit(co: Company) -> None:
    co.put(
        "Account",
        {
            "Id": "30",
            "Name": "A/R 2",
            "AccountType": "Accounts Receivable",
            "AccountSubType": "AccountsReceivable",
        },
    )
    doc = sales_doc([sales_line("1", 100)], ARAccountRef=ref("30"), Deposit=40, DepositToAccountRef=ref("1"))
    posts = co.post("Invoice", doc)
    assert_balanced(posts)
    assert on(posts, "accrual") == {"30": 60.0, "13": -100.0, "1": 40.0}
    assert on(posts, "cash") == {"1": 40.0, "13": -40.0}


def test_shipping_line_posts_to_its_item_account(co: Company) -> None:
    shipping = {
        "DetailType": "SalesItemLineDetail",
        "Amount": 15,
        "SalesItemLineDetail": {"ItemRef": ref("SHIPPING_ITEM_ID"), "ItemAccountRef": ref("14")},
    }
    posts = co.post("Invoice", sales_doc([sales_line("1", 100), shipping]))
    assert on(posts, "accrual") == {"3": 115.0, "13": -100.0, "14": -15.0}


def test_sales_receipt_posts_both_bases_to_undeposited_funds_by_default(co: Company) -> None:
    posts = co.post("SalesReceipt", sales_doc([sales_line("1", 100), sales_line("2", 125)], tax=18))
    assert_balanced(posts)
    expected = {"4": 243.0, "13": -100.0, "14": -125.0, "9": -18.0, "16": 125.0, "5": -125.0}
    assert on(posts, "accrual") == expected
    assert on(posts, "cash") == expected
    posts = co.post("SalesReceipt", sales_doc([sales_line("1", 10)], DepositToAccountRef=ref("1")))
    assert on(posts, "cash") == {"1": 10.0, "13": -10.0}


def test_credit_memo_mirrors_an_invoice(co: Company) -> None:
    posts = co.post("CreditMemo", sales_doc([sales_line("1", 100), sales_line("2", 125)], tax=8))
    assert_balanced(posts)
    assert on(posts, "accrual") == {"3": -233.0, "13": 100.0, "14": 125.0, "9": 8.0, "16": -125.0, "5": 125.0}
    assert on(posts, "cash") == {"16": -125.0, "5": 125.0}


def test_refund_receipt_debits_income_and_credits_the_paying_account(co: Company) -> None:
    posts = co.post("RefundReceipt", sales_doc([sales_line("1", 80)], DepositToAccountRef=ref("1")))
    assert_balanced(posts)
    assert on(posts, "accrual") == on(posts, "cash") == {"1": -80.0, "13": 80.0}


# -- customer payments ----------------------------------------------------------------------------


def test_payment_applied_to_an_invoice_moves_income_onto_the_cash_basis(co: Company) -> None:
    inv = co.post("Invoice", sales_doc([sales_line("1", 100)], tax=8))
    assert on(inv, "cash") == {}
    invoice_id = co.objects["Invoice"][max(co.objects["Invoice"])]["Id"]
    posts = co.post("Payment", payment(108, [("Invoice", invoice_id, 108)]))
    assert_balanced(posts)
    assert on(posts, "accrual") == {"4": 108.0, "3": -108.0}
    assert on(posts, "cash") == {"4": 108.0, "13": -100.0, "9": -8.0}


def test_partial_payment_splits_in_proportion_to_the_cent(co: Company) -> None:
    co.post("Invoice", sales_doc([sales_line("1", 100), sales_line("3", 33.33)], tax=10.67, Id="50"))
    posts = co.post("Payment", payment(50, [("Invoice", "50", 50)], DepositToAccountRef=ref("1")))
    assert_balanced(posts)
    cash = on(posts, "cash")
    assert cash["1"] == 50.0
    assert round(cash["13"] + cash["14"] + cash["9"], 2) == -50.0
    # 3472.22, 1157.29 and 370.49 cents: the cent left over goes to the largest remainder (tax)
    assert cash == {"1": 50.0, "13": -34.72, "14": -11.57, "9": -3.71}


def test_unapplied_payment_stays_on_receivables_on_both_bases(co: Company) -> None:
    co.post("Invoice", sales_doc([sales_line("1", 100)], Id="51"))
    posts = co.post("Payment", payment(150, [("Invoice", "51", 100)]))
    assert_balanced(posts)
    assert on(posts, "accrual") == {"4": 150.0, "3": -150.0}
    assert on(posts, "cash") == {"4": 150.0, "13": -100.0, "3": -50.0}
    posts = co.post("Payment", payment(20))
    assert on(posts, "accrual") == on(posts, "cash") == {"4": 20.0, "3": -20.0}


def test_payment_applying_a_credit_memo(co: Company) -> None:
    co.post("Invoice", sales_doc([sales_line("1", 100)], Id="52"))
    co.post("CreditMemo", sales_doc([sales_line("3", 30)], Id="53"))
    posts = co.post("Payment", payment(70, [("Invoice", "52", 100), ("CreditMemo", "53", 30)]))
    assert_balanced(posts)
    assert on(posts, "accrual") == {"4": 70.0, "3": -70.0}
    assert on(posts, "cash") == {"4": 70.0, "13": -100.0, "14": 30.0}


def test_payment_of_a_missing_invoice_counts_as_unapplied(co: Company) -> None:
    posts = co.post("Payment", payment(10, [("Invoice", "404", 10)]))
    assert on(posts, "cash") == {"4": 10.0, "3": -10.0}


# -- purchases ------------------------------------------------------------------------------------


def test_bill_posts_expense_and_inventory_against_payables_on_accrual(co: Company) -> None:
    posts = co.post(
        "Bill",
        purchase_doc([expense_line("17", 1000), item_expense_line("2", 250, 2), item_expense_line("3", 40)]),
    )
    assert_balanced(posts)
    assert on(posts, "accrual") == {"17": 1000.0, "5": 250.0, "18": 40.0, "7": -1290.0}
    assert on(posts, "cash") == {}


def test_vendor_credit_mirrors_a_bill(co: Company) -> None:
    posts = co.post("VendorCredit", purchase_doc([expense_line("18", 25)]))
    assert_balanced(posts)
    assert on(posts, "accrual") == {"18": -25.0, "7": 25.0}


@pytest.mark.parametrize(("card", "source"), [(False, "1"), (True, "8")])
def test_bill_payment_moves_expenses_onto_the_cash_basis(co: Company, card: bool, source: str) -> None:
    co.post("Bill", purchase_doc([expense_line("17", 300), expense_line("18", 100)], Id="60"))
    posts = co.post("BillPayment", bill_payment(200, [("Bill", "60", 200)], card=card))
    assert_balanced(posts)
    assert on(posts, "accrual") == {source: -200.0, "7": 200.0}
    assert on(posts, "cash") == {source: -200.0, "17": 150.0, "18": 50.0}


def test_bill_payment_with_vendor_credit_and_unapplied_amount(co: Company) -> None:
    co.post("Bill", purchase_doc([expense_line("17", 100)], Id="61"))
    co.post("VendorCredit", purchase_doc([expense_line("18", 20)], Id="62"))
    posts = co.post("BillPayment", bill_payment(90, [("Bill", "61", 100), ("VendorCredit", "62", 20)]))
    assert_balanced(posts)
    assert on(posts, "cash") == {"1": -90.0, "17": 100.0, "18": -20.0, "7": 10.0}


def test_purchase_and_its_refund(co: Company) -> None:
    posts = co.post(
        "Purchase",
        purchase_doc(
            [expense_line("18", 60), item_expense_line("2", 125)],
            AccountRef=ref("8"),
            PaymentType="CreditCard",
        ),
    )
    assert_balanced(posts)
    assert on(posts, "accrual") == on(posts, "cash") == {"18": 60.0, "5": 125.0, "8": -185.0}
    refund = co.post("Purchase", purchase_doc([expense_line("18", 60)], AccountRef=ref("8"), Credit=True))
    assert on(refund, "cash") == {"18": -60.0, "8": 60.0}


def test_deposit_of_undeposited_funds_other_lines_and_cash_back(co: Company) -> None:
    doc = {
        "DepositToAccountRef": ref("1"),
        "Line": [
            {"Amount": 108, "LinkedTxn": [{"TxnId": "5", "TxnType": "Payment", "TxnLineId": "0"}]},
            {
                "Amount": 12.5,
                "DetailType": "DepositLineDetail",
                "DepositLineDetail": {"AccountRef": ref("19")},
            },
        ],
        "CashBack": {"AccountRef": ref("2"), "Amount": 20},
        "TotalAmt": 100.5,
    }
    posts = co.post("Deposit", doc)
    assert_balanced(posts)
    assert on(posts, "accrual") == on(posts, "cash") == {"4": -108.0, "19": -12.5, "2": 20.0, "1": 100.5}


def test_transfer(co: Company) -> None:
    posts = co.post("Transfer", {"FromAccountRef": ref("1"), "ToAccountRef": ref("2"), "Amount": 500})
    assert on(posts, "cash") == on(posts, "accrual") == {"2": 500.0, "1": -500.0}
    assert all(p.basis == "both" for p in posts)


def test_journal_entry_posts_each_line_as_entered(co: Company) -> None:
    posts = co.post(
        "JournalEntry", journal(("Debit", "6", 20000), ("Credit", "10", 15000), ("Credit", "11", 5000))
    )
    assert_balanced(posts)
    assert on(posts, "accrual") == on(posts, "cash") == {"6": 20000.0, "10": -15000.0, "11": -5000.0}


def test_unbalanced_journal_entry_is_a_business_error(co: Company) -> None:
    with pytest.raises(LedgerError, match="not balanced"):
        co.post("JournalEntry", journal(("Debit", "6", 10), ("Credit", "10", 9)))


# -- what posts nothing -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "entity", ["Estimate", "PurchaseOrder", "TimeActivity", "Customer", "Item", "Nonsense"]
)
def test_documents_that_do_not_post(co: Company, entity: str) -> None:
    assert co.post(entity, sales_doc([sales_line("1", 100)])) == []


def test_voided_transactions_post_nothing(co: Company) -> None:
    assert co.post("Invoice", sales_doc([sales_line("1", 100)], PrivateNote="Voided - wrong customer")) == []
    zeroed = sales_doc([sales_line("1", 0)])
    zeroed["TotalAmt"] = 0
    assert co.post("Invoice", zeroed) == []
    assert co.post("Payment", payment(0, [("Invoice", "1", 0)])) == []


def test_entity_names_are_case_insensitive(co: Company) -> None:
    assert on(co.post("invoice", sales_doc([sales_line("1", 10)])), "accrual") == {"3": 10.0, "13": -10.0}


# -- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entity", "payload", "message"),
    [
        ("Invoice", sales_doc([sales_line("77", 10)]), "Item 77"),
        ("Invoice", sales_doc([sales_line("6", 10)]), "Item 6 has no income account"),
        ("Bill", purchase_doc([item_expense_line("7", 10)]), "Item 7 has no expense account"),
        ("Bill", purchase_doc([expense_line("999", 10)]), "Account 999"),
        ("Purchase", purchase_doc([expense_line("18", 10)]), "AccountRef is missing"),
        (
            "Deposit",
            {"Line": [{"Amount": 1, "DepositLineDetail": {"AccountRef": ref("19")}}]},
            "DepositToAccountRef",
        ),
        ("Transfer", {"FromAccountRef": ref("1"), "ToAccountRef": ref("404"), "Amount": 1}, "Account 404"),
        ("BillPayment", {"TotalAmt": 5, "PayType": "Check", "CheckPayment": {}}, "BankAccountRef"),
        ("JournalEntry", journal(("Debit", "6", 1), ("Sideways", "10", 1)), "PostingType"),
        (
            "Invoice",
            {
                "Line": [
                    {
                        "DetailType": "SalesItemLineDetail",
                        "Amount": "ten",
                        "SalesItemLineDetail": {"ItemRef": ref("1")},
                    }
                ]
            },
            "not a number",
        ),
    ],
)
def test_business_rule_errors(co: Company, entity: str, payload: dict[str, Any], message: str) -> None:
    with pytest.raises(LedgerError, match=message):
        co.post(entity, payload)


def test_missing_special_accounts_are_business_errors() -> None:
    co = make_company()
    del co.objects["Account"]["4"]  # no Undeposited Funds
    with pytest.raises(LedgerError, match="Undeposited Funds"):
        co.post("SalesReceipt", sales_doc([sales_line("1", 10)]))
    assert co.post("SalesReceipt", sales_doc([sales_line("1", 10)], DepositToAccountRef=ref("1")))
    del co.objects["Account"]["9"]  # no sales tax payable
    with pytest.raises(LedgerError, match="sales tax payable"):
        co.post("Invoice", sales_doc([sales_line("1", 10)], tax=1))
    del co.objects["Account"]["3"]
    with pytest.raises(LedgerError, match="Accounts Receivable"):
        co.post("Invoice", sales_doc([sales_line("1", 10)]))


def test_special_accounts_prefer_active_then_lowest_id() -> None:
    co = make_company()
    co.objects["Account"]["3"]["Active"] = False
    co.put(
        "Account",
        {
            "Id": "40",
            "Name": "A/R new",
            "AccountType": "Accounts Receivable",
            "AccountSubType": "AccountsReceivable",
            "Active": True,
        },
    )
    co.put(
        "Account",
        {
            "Id": "41",
            "Name": "A/R newer",
            "AccountType": "Accounts Receivable",
            "AccountSubType": "AccountsReceivable",
            "Active": True,
        },
    )
    assert on(co.post("Invoice", sales_doc([sales_line("1", 10)])), "accrual") == {"40": 10.0, "13": -10.0}


# -- amounts, balances and classification ----------------------------------------------------------


def test_allocate_keeps_every_cent() -> None:
    assert allocate([("a", 1), ("b", 1), ("c", 1)], 100) == [("a", 34), ("b", 33), ("c", 33)]
    assert allocate([("a", -100), ("b", -8)], -50) == [("a", -46), ("b", -4)]
    assert allocate([("a", 5)], 0) == []
    assert allocate([], 10) == []


@pytest.mark.parametrize(
    ("account_type", "expected_class", "debit_positive"),
    [
        ("Bank", "Asset", True),
        ("Accounts Receivable", "Asset", True),
        ("Other Current Asset", "Asset", True),
        ("Fixed Asset", "Asset", True),
        ("Other Asset", "Asset", True),
        ("Accounts Payable", "Liability", False),
        ("Credit Card", "Liability", False),
        ("Other Current Liability", "Liability", False),
        ("Long Term Liability", "Liability", False),
        ("Equity", "Equity", False),
        ("Income", "Revenue", False),
        ("Other Income", "Revenue", False),
        ("Cost of Goods Sold", "Expense", True),
        ("Expense", "Expense", True),
        ("Other Expense", "Expense", True),
    ],
)
def test_classification_and_current_balance_sign(
    account_type: str, expected_class: str, debit_positive: bool
) -> None:
    assert classification(account_type) == expected_class
    assert classification(account_type.replace(" ", "")) == expected_class  # enum-style spelling
    shown = current_balance({"AccountType": account_type}, 123.456)
    assert shown == (123.46 if debit_positive else -123.46)


def test_every_qbo_account_type_is_known() -> None:
    assert len(ACCOUNT_TYPES) == 15
    assert classification("") == classification("Non-Posting") == ""
    assert current_balance({"AccountType": "Mystery", "Classification": "Liability"}, 5) == -5
    assert current_balance({"AccountType": "Equity"}, 0.0) == 0.0
    assert str(current_balance({"AccountType": "Equity"}, 0.0)) == "0.0"  # never "-0.0"
