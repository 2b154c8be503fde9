"""The general ledger: the postings each transaction makes, as QuickBooks Desktop posts them.

A posting is one account's debit (positive cents) or credit (negative cents) on the accrual basis,
the cash basis or both. Every transaction's postings balance on each basis, so any sum of them is a
trial balance whose debits equal its credits.

Accrual: an invoice debits Accounts Receivable and credits each line's income account and the sales
tax liability; a bill credits Accounts Payable and debits its expense lines and its items' expense,
cost or asset accounts; payments move money between A/R or A/P and a bank (or Undeposited Funds);
checks, card charges, deposits, journal entries and transfers post the same on both bases. Estimates,
sales orders, purchase orders and time tracking post nothing.

Cash: invoices, credit memos, bills and vendor credits post nothing; a payment recognises the income
(or expense) of what it pays in proportion to the amount applied, and the part it does not apply stays
in A/R (A/P). Inventory cost (cost of goods sold against the inventory asset, at the item's average
cost) posts on both bases at the sale, as QuickBooks does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any, Protocol

from .elements import cents
from .store import Posting

ACCRUAL = "accrual"
CASH = "cash"
BOTH = "both"

#: Account types whose balance is carried forward (balance sheet) and those that start again each
#: fiscal year (profit and loss), in the order QuickBooks lists them in reports.
BALANCE_SHEET_TYPES = (
    "Bank",
    "AccountsReceivable",
    "OtherCurrentAsset",
    "FixedAsset",
    "OtherAsset",
    "AccountsPayable",
    "CreditCard",
    "OtherCurrentLiability",
    "LongTermLiability",
    "Equity",
)
PROFIT_AND_LOSS_TYPES = ("Income", "CostOfGoodsSold", "Expense", "OtherIncome", "OtherExpense")
ACCOUNT_TYPE_ORDER = (*BALANCE_SHEET_TYPES, *PROFIT_AND_LOSS_TYPES, "NonPosting")
ASSET_TYPES = frozenset({"Bank", "AccountsReceivable", "OtherCurrentAsset", "FixedAsset", "OtherAsset"})
DEBIT_NORMAL_TYPES = ASSET_TYPES | {"CostOfGoodsSold", "Expense", "OtherExpense"}

SALES_FORMS = ("Invoice", "SalesReceipt", "CreditMemo", "Estimate", "SalesOrder")
PURCHASE_FORMS = ("Bill", "VendorCredit", "Check", "CreditCardCharge")
NO_POSTINGS = frozenset({"Estimate", "SalesOrder", "PurchaseOrder", "TimeTracking"})


class Books(Protocol):
    """What the ledger reads of the company while it posts a transaction."""

    def item(self, list_id: str) -> tuple[str, Mapping[str, Any]] | None: ...

    def special_account(self, kind: str) -> str: ...

    def average_cost(self, item_id: str, exclude: tuple[str, str]) -> Fraction: ...

    def postings_of(self, object_name: str, id_: str) -> list[Posting]: ...


def ref_id(value: Any) -> str | None:
    if isinstance(value, Mapping):
        list_id = value.get("ListID")
        return str(list_id) if list_id else None
    return None


def is_debit_normal(account_type: str | None) -> bool:
    return account_type in DEBIT_NORMAL_TYPES


def item_account(kind: str, item: Mapping[str, Any], *, purchase: bool) -> str | None:
    """The account a sale (income) or a purchase (expense, cost or asset) of the item posts to."""
    if kind == "ItemInventory":
        return ref_id(item.get("AssetAccountRef" if purchase else "IncomeAccountRef"))
    sales_or_purchase = item.get("SalesOrPurchase")
    if isinstance(sales_or_purchase, Mapping):
        return ref_id(sales_or_purchase.get("AccountRef"))
    both = item.get("SalesAndPurchase")
    if isinstance(both, Mapping):
        return ref_id(both.get("ExpenseAccountRef" if purchase else "IncomeAccountRef"))
    return None


class StockMove:
    """A change of an inventory item's quantity (in 1/100000 units) and value (cents)."""

    __slots__ = ("item_id", "kind", "quantity", "value")

    def __init__(self, item_id: str, kind: str, quantity: int, value: int) -> None:
        self.item_id = item_id
        self.kind = kind
        self.quantity = quantity
        self.value = value


def quantity_units(value: Any) -> int:
    """A quantity as an integer of 1/100000 units (QuickBooks keeps five decimals)."""
    number = Decimal(str(value)) if value not in (None, "") else Decimal(1)
    return int((number * 100000).quantize(Decimal(1)))


class Entry:
    """The postings and stock moves of one transaction, built line by line."""

    def __init__(self) -> None:
        self.postings: list[Posting] = []
        self.stock: list[StockMove] = []

    def post(self, account: str | None, amount: int, basis: str = BOTH, entity: str | None = None) -> None:
        if account and amount:
            self.postings.append(Posting(account, amount, entity, basis))


def _lines(ret: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    value = ret.get(name)
    if value is None:
        return []
    return [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, Mapping)]


def _sales_lines(spec_name: str, ret: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return _lines(ret, f"{spec_name}LineRet")


def _sale(
    spec_name: str, ret: Mapping[str, Any], books: Books, entry: Entry, key: tuple[str, str], sign: int
) -> int:
    """Credit (sign 1) or debit (sign -1, a credit memo) the lines' income and tax; the total in cents."""
    basis = BOTH if spec_name == "SalesReceipt" else ACCRUAL
    total = 0
    for line in _sales_lines(spec_name, ret):
        line_cents = cents(line.get("Amount"))
        total += line_cents
        item_id = ref_id(line.get("ItemRef"))
        found = books.item(item_id) if item_id else None
        account = ref_id(line.get("OverrideItemAccountRef"))
        if found is not None:
            kind, item = found
            account = account or item_account(kind, item, purchase=False)
            if kind == "ItemInventory" and item_id:
                units = quantity_units(line.get("Quantity"))
                cost = round(books.average_cost(item_id, key) * units)
                entry.stock.append(StockMove(item_id, "onhand", -sign * units, -sign * cost))
                entry.post(ref_id(item.get("COGSAccountRef")), sign * cost, BOTH)
                entry.post(ref_id(item.get("AssetAccountRef")), -sign * cost, BOTH)
        entry.post(account or books.special_account("UncategorizedIncome"), -sign * line_cents, basis)
    tax = cents(ret.get("SalesTaxTotal"))
    if tax:
        tax_line = ret.get("SalesTaxLineRet")
        tax_account = ref_id(tax_line.get("AccountRef")) if isinstance(tax_line, Mapping) else None
        entry.post(tax_account or books.special_account("SalesTaxPayable"), -sign * tax, basis)
        total += tax
    return total


def _purchase(
    spec_name: str, ret: Mapping[str, Any], books: Books, entry: Entry, sign: int, basis: str
) -> int:
    """Debit (sign 1) or credit (sign -1, a vendor credit) the expense and item lines; the total."""
    total = 0
    for line in _lines(ret, "ExpenseLineRet"):
        line_cents = cents(line.get("Amount"))
        total += line_cents
        entry.post(
            ref_id(line.get("AccountRef")) or books.special_account("UncategorizedExpenses"),
            sign * line_cents,
            basis,
        )
    for line in _lines(ret, "ItemLineRet"):
        line_cents = cents(line.get("Amount"))
        total += line_cents
        item_id = ref_id(line.get("ItemRef"))
        found = books.item(item_id) if item_id else None
        account = ref_id(line.get("OverrideItemAccountRef"))
        if found is not None:
            kind, item = found
            account = account or item_account(kind, item, purchase=True)
            if kind == "ItemInventory" and item_id:
                entry.stock.append(
                    StockMove(
                        item_id, "onhand", sign * quantity_units(line.get("Quantity")), sign * line_cents
                    )
                )
        entry.post(account or books.special_account("UncategorizedExpenses"), sign * line_cents, basis)
    return total


def _scaled(
    postings: Iterable[Posting], fraction: Fraction, target: int
) -> list[tuple[str, int, str | None]]:
    """Postings scaled by ``fraction``, rounded so that they sum exactly to ``target``."""
    scaled = [(p.account_id, round(p.amount * fraction), p.entity_id) for p in postings]
    if scaled:
        gap = target - sum(a for _, a, _ in scaled)
        if gap:
            largest = max(range(len(scaled)), key=lambda i: abs(scaled[i][1]))
            account, amount, entity = scaled[largest]
            scaled[largest] = (account, amount + gap, entity)
    return scaled


def _recognise(
    entry: Entry,
    books: Books,
    target: tuple[str, str],
    applied: int,
    control_account: str,
) -> int:
    """Cash basis: the target's accrual postings (less its A/R or A/P) in proportion to ``applied``.

    Returns the cents recognised (0 when the target has no accrual postings to spread).
    """
    accrual = [
        p for p in books.postings_of(*target) if p.basis == ACCRUAL and p.account_id != control_account
    ]
    control = sum(
        p.amount for p in books.postings_of(*target) if p.basis == ACCRUAL and p.account_id == control_account
    )
    if not accrual or not control:
        return 0
    # The control account's side has the opposite sign of the rest: sum(rest) == -control.
    fraction = Fraction(applied, abs(control))
    total_rest = sum(p.amount for p in accrual)
    target_sum = round(total_rest * fraction)
    for account, amount, entity in _scaled(accrual, fraction, target_sum):
        entry.post(account, amount, CASH, entity)
    return -target_sum if control > 0 else target_sum


def post(spec_name: str, ret: Mapping[str, Any], books: Books, key: tuple[str, str]) -> Entry:
    """The postings and stock moves of a transaction (or of a list element's opening balance)."""
    entry = Entry()
    poster = _POSTERS.get(spec_name)
    if poster is not None:
        poster(ret, books, entry, key)
    return entry


def _invoice(ret: Mapping[str, Any], books: Books, entry: Entry, key: tuple[str, str]) -> None:
    total = _sale("Invoice", ret, books, entry, key, 1)
    customer = ref_id(ret.get("CustomerRef"))
    entry.post(
        ref_id(ret.get("ARAccountRef")) or books.special_account("AccountsReceivable"),
        total,
        ACCRUAL,
        customer,
    )


def _credit_memo(ret: Mapping[str, Any], books: Books, entry: Entry, key: tuple[str, str]) -> None:
    total = _sale("CreditMemo", ret, books, entry, key, -1)
    customer = ref_id(ret.get("CustomerRef"))
    entry.post(
        ref_id(ret.get("ARAccountRef")) or books.special_account("AccountsReceivable"),
        -total,
        ACCRUAL,
        customer,
    )


def _sales_receipt(ret: Mapping[str, Any], books: Books, entry: Entry, key: tuple[str, str]) -> None:
    total = _sale("SalesReceipt", ret, books, entry, key, 1)
    entry.post(
        ref_id(ret.get("DepositToAccountRef")) or books.special_account("UndepositedFunds"), total, BOTH
    )


def _payment(
    ret: Mapping[str, Any],
    books: Books,
    entry: Entry,
    *,
    control_kind: str,
    control_ref: str,
    money_ref: str,
    money_default: str,
    entity_ref: str,
    total_field: str,
    sign: int,
) -> None:
    """ReceivePayment (sign 1: money in) and BillPaymentCheck (sign -1: money out)."""
    control = ref_id(ret.get(control_ref)) or books.special_account(control_kind)
    money = ref_id(ret.get(money_ref)) or books.special_account(money_default)
    entity = ref_id(ret.get(entity_ref))
    total = cents(ret.get(total_field))
    entry.post(money, sign * total, BOTH)
    entry.post(control, -sign * total, ACCRUAL, entity)
    recognised = 0
    for applied in _lines(ret, "AppliedToTxnRet"):
        target_object = str(applied.get("TxnType", ""))
        target = (target_object, str(applied.get("TxnID", "")))
        paid = cents(applied.get("Amount"))
        discount = cents(applied.get("DiscountAmount"))
        discount_account = ref_id(applied.get("DiscountAccountRef"))
        if discount and discount_account:
            entry.post(discount_account, sign * discount, ACCRUAL)
            entry.post(control, -sign * discount, ACCRUAL, entity)
            entry.post(discount_account, sign * discount, CASH)
            _recognise(entry, books, target, discount, control)
        recognised += paid
        got = _recognise(entry, books, target, paid, control)
        if got == 0 and paid:
            # Nothing to spread (the target posts nothing): the payment stays in A/R or A/P.
            entry.post(control, -sign * paid, CASH, entity)
    unapplied = total - recognised
    entry.post(control, -sign * unapplied, CASH, entity)


def _receive_payment(ret: Mapping[str, Any], books: Books, entry: Entry, key: tuple[str, str]) -> None:
    _payment(
        ret,
        books,
        entry,
        control_kind="AccountsReceivable",
        control_ref="ARAccountRef",
        money_ref="DepositToAccountRef",
        money_default="UndepositedFunds",
        entity_ref="CustomerRef",
        total_field="TotalAmount",
        sign=1,
    )


def _bill_payment(ret: Mapping[str, Any], books: Books, entry: Entry, key: tuple[str, str]) -> None:
    _payment(
        ret,
        books,
        entry,
        control_kind="AccountsPayable",
        control_ref="APAccountRef",
        money_ref="BankAccountRef",
        money_default="Checking",
        entity_ref="PayeeEntityRef",
        total_field="Amount",
        sign=-1,
    )


def _bill(ret: Mapping[str, Any], books: Books, entry: Entry, key: tuple[str, str]) -> None:
    total = _purchase("Bill", ret, books, entry, 1, ACCRUAL)
    vendor = ref_id(ret.get("VendorRef"))
    entry.post(
        ref_id(ret.get("APAccountRef")) or books.special_account("AccountsPayable"), -total, ACCRUAL, vendor
    )


def _vendor_credit(ret: Mapping[str, Any], books: Books, entry: Entry, key: tuple[str, str]) -> None:
    total = _purchase("VendorCredit", ret, books, entry, -1, ACCRUAL)
    vendor = ref_id(ret.get("VendorRef"))
    entry.post(
        ref_id(ret.get("APAccountRef")) or books.special_account("AccountsPayable"), total, ACCRUAL, vendor
    )


def _check(ret: Mapping[str, Any], books: Books, entry: Entry, key: tuple[str, str]) -> None:
    total = _purchase("Check", ret, books, entry, 1, BOTH)
    entry.post(ref_id(ret.get("AccountRef")), -total, BOTH)


def _deposit(ret: Mapping[str, Any], books: Books, entry: Entry, key: tuple[str, str]) -> None:
    total = 0
    for line in _lines(ret, "DepositLineRet"):
        amount = cents(line.get("Amount"))
        total += amount
        entry.post(
            ref_id(line.get("AccountRef")) or books.special_account("UndepositedFunds"),
            -amount,
            BOTH,
            ref_id(line.get("EntityRef")),
        )
    cash_back = ret.get("CashBackInfoRet")
    back = 0
    if isinstance(cash_back, Mapping):
        back = cents(cash_back.get("Amount"))
        entry.post(ref_id(cash_back.get("AccountRef")), back, BOTH)
    entry.post(ref_id(ret.get("DepositToAccountRef")), total - back, BOTH)


def _journal(ret: Mapping[str, Any], books: Books, entry: Entry, key: tuple[str, str]) -> None:
    for name, sign in (("JournalDebitLine", 1), ("JournalCreditLine", -1)):
        for line in _lines(ret, name):
            entry.post(
                ref_id(line.get("AccountRef")),
                sign * cents(line.get("Amount")),
                BOTH,
                ref_id(line.get("EntityRef")),
            )


def _transfer(ret: Mapping[str, Any], books: Books, entry: Entry, key: tuple[str, str]) -> None:
    amount = cents(ret.get("Amount"))
    entry.post(ref_id(ret.get("TransferFromAccountRef")), -amount, BOTH)
    entry.post(ref_id(ret.get("TransferToAccountRef")), amount, BOTH)


def _order(kind: str, line_name: str) -> Callable[[Mapping[str, Any], Books, Entry, tuple[str, str]], None]:
    """Sales and purchase orders post nothing, but count toward QuantityOnSalesOrder / QuantityOnOrder."""

    def poster(ret: Mapping[str, Any], books: Books, entry: Entry, key: tuple[str, str]) -> None:
        if ret.get("IsManuallyClosed") == "true":
            return
        for line in _lines(ret, line_name):
            item_id = ref_id(line.get("ItemRef"))
            found = books.item(item_id) if item_id else None
            if found is not None and found[0] == "ItemInventory" and item_id:
                entry.stock.append(StockMove(item_id, kind, quantity_units(line.get("Quantity")), 0))

    return poster


# -- opening balances of list elements ----------------------------------------------------------


def _account_opening(ret: Mapping[str, Any], books: Books, entry: Entry, key: tuple[str, str]) -> None:
    amount = cents(ret.get("OpenBalance"))
    if not amount:
        return
    sign = 1 if is_debit_normal(str(ret.get("AccountType"))) else -1
    entry.post(key[1], sign * amount, BOTH)
    entry.post(books.special_account("OpeningBalanceEquity"), -sign * amount, BOTH)


def _customer_opening(ret: Mapping[str, Any], books: Books, entry: Entry, key: tuple[str, str]) -> None:
    amount = cents(ret.get("OpenBalance"))
    if amount:
        entry.post(books.special_account("AccountsReceivable"), amount, BOTH, key[1])
        entry.post(books.special_account("UncategorizedIncome"), -amount, BOTH)


def _vendor_opening(ret: Mapping[str, Any], books: Books, entry: Entry, key: tuple[str, str]) -> None:
    amount = cents(ret.get("OpenBalance"))
    if amount:
        entry.post(books.special_account("AccountsPayable"), -amount, BOTH, key[1])
        entry.post(books.special_account("UncategorizedExpenses"), amount, BOTH)


def _inventory_opening(ret: Mapping[str, Any], books: Books, entry: Entry, key: tuple[str, str]) -> None:
    units = quantity_units(ret.get("OpeningQuantity", "0"))
    value = cents(ret.get("OpeningValue"))
    if units or value:
        entry.stock.append(StockMove(key[1], "onhand", units, value))
        entry.post(ref_id(ret.get("AssetAccountRef")), value, BOTH)
        entry.post(books.special_account("OpeningBalanceEquity"), -value, BOTH)


_POSTERS: dict[str, Callable[[Mapping[str, Any], Books, Entry, tuple[str, str]], None]] = {
    "Invoice": _invoice,
    "SalesReceipt": _sales_receipt,
    "CreditMemo": _credit_memo,
    "ReceivePayment": _receive_payment,
    "Bill": _bill,
    "VendorCredit": _vendor_credit,
    "BillPaymentCheck": _bill_payment,
    "Check": _check,
    "CreditCardCharge": _check,
    "Deposit": _deposit,
    "JournalEntry": _journal,
    "Transfer": _transfer,
    "SalesOrder": _order("salesorder", "SalesOrderLineRet"),
    "PurchaseOrder": _order("order", "PurchaseOrderLineRet"),
    "Account": _account_opening,
    "Customer": _customer_opening,
    "Vendor": _vendor_opening,
    "ItemInventory": _inventory_opening,
}


def balanced(postings: Iterable[Posting]) -> bool:
    """Whether postings balance on both bases (a "both" posting counts in each)."""
    sums: dict[str, int] = defaultdict(int)
    for p in postings:
        for basis in (ACCRUAL, CASH):
            if p.basis in (basis, BOTH):
                sums[basis] += p.amount
    return all(v == 0 for v in sums.values())
