"""The general ledger: the postings each transaction makes, as QuickBooks Online posts them.

Pure functions over JSON payloads. A :class:`Posting` is one account's debit (positive) or credit
(negative) on the accrual basis, the cash basis, or both. Every transaction's postings balance on
each basis (a "both" posting counts in each), so any sum of them gives a trial balance whose debits
equal its credits.

Cash basis follows QuickBooks: an invoice or a bill posts nothing until it is paid; its payment then
posts the document's income (or expense) accounts in proportion to the amount applied. Inventory
cost (COGS against the Inventory Asset) posts on both bases at the sale, as QuickBooks does.

Amounts are kept in integer cents inside this module so that proportional splits and totals are
exact; :attr:`Posting.amount` is the rounded float the store keeps.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Protocol

ACCRUAL = "accrual"
CASH = "cash"
BOTH = "both"
BASES = (ACCRUAL, CASH)

#: Bases of the rows a bulk load keeps for an account's loaded balance (its opening figure): the
#: difference between the loaded ``CurrentBalance`` (``OPENING``) or ``CurrentBalanceWithSubAccounts``
#: (``OPENING_SUB``) and what the company's postings gave at the load, as debit minus credit, in the
#: postings table under the type ``Account`` and the account's Id. Reports read only the accrual and
#: cash bases, so these rows move the balance an account shows and no report.
OPENING = "opening"
OPENING_SUB = "opening_sub"

#: QBO's account types in the order its reports list them, with their classification and
#: whether a debit makes the balance QBO shows (Account.CurrentBalance) grow.
ACCOUNT_TYPES: dict[str, tuple[str, bool]] = {
    "Bank": ("Asset", True),
    "Accounts Receivable": ("Asset", True),
    "Other Current Asset": ("Asset", True),
    "Fixed Asset": ("Asset", True),
    "Other Asset": ("Asset", True),
    "Accounts Payable": ("Liability", False),
    "Credit Card": ("Liability", False),
    "Other Current Liability": ("Liability", False),
    "Long Term Liability": ("Liability", False),
    "Equity": ("Equity", False),
    "Income": ("Revenue", False),
    "Cost of Goods Sold": ("Expense", True),
    "Expense": ("Expense", True),
    "Other Income": ("Revenue", False),
    "Other Expense": ("Expense", True),
}

#: Clients write both "Accounts Receivable" and the enum-like "AccountsReceivable".
_TYPE_KEYS = {t.replace(" ", "").lower(): t for t in ACCOUNT_TYPES}
_TYPE_KEYS["longtermliabilities"] = "Long Term Liability"
_TYPE_KEYS["costofgoodssold"] = "Cost of Goods Sold"

_DEBIT_NORMAL_CLASSES = {"Asset", "Expense"}


class LedgerContext(Protocol):
    """What the ledger may read of the company a transaction belongs to."""

    def get(self, entity: str, id: str) -> dict[str, Any] | None: ...

    def accounts(self) -> Iterable[dict[str, Any]]: ...


@dataclass(frozen=True)
class Posting:
    """One account's debit (positive) or credit (negative), in currency units rounded to cents."""

    account_id: str
    amount: float
    basis: str  # "accrual", "cash" or "both"


class LedgerError(Exception):
    """A business rule the transaction breaks; the server answers Fault code 6000 with the message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- account types ------------------------------------------------------------------------------


def account_type(value: Any) -> str | None:
    """The canonical QBO spelling of an AccountType ("AccountsReceivable" -> "Accounts Receivable")."""
    if not isinstance(value, str):
        return None
    return _TYPE_KEYS.get(value.replace(" ", "").replace("-", "").replace("_", "").lower())


def classification(account_type_name: str) -> str:
    """Asset, Liability, Equity, Revenue or Expense for an AccountType; "" when the type is unknown.

    It does not raise: the server fills Classification with it before validating the type.
    """
    canonical = account_type(account_type_name)
    return ACCOUNT_TYPES[canonical][0] if canonical else ""


def is_debit_normal(account: Mapping[str, Any]) -> bool:
    """True for asset and expense accounts (a debit raises the balance QBO shows)."""
    canonical = account_type(account.get("AccountType"))
    if canonical:
        return ACCOUNT_TYPES[canonical][1]
    # An unknown type: trust a stored Classification, else show the raw debit balance.
    return account.get("Classification") not in ("Liability", "Equity", "Revenue")


def current_balance(account: Mapping[str, Any], debit_minus_credit: float) -> float:
    """The balance as QBO shows it in Account.CurrentBalance (credit-normal accounts sign-flipped)."""
    value = debit_minus_credit if is_debit_normal(account) else -debit_minus_credit
    return round(value + 0.0, 2) + 0.0  # "+ 0.0" turns -0.0 into 0.0


def find_special(
    accounts: Iterable[Mapping[str, Any]], *subtypes: str, types: Sequence[str] = ()
) -> dict[str, Any] | None:
    """The company's account of one of these AccountSubTypes (or, failing that, AccountTypes).

    Active accounts win over inactive ones, then the lowest Id, so the choice is stable.
    """
    wanted = set(subtypes)
    wanted_types = {account_type(t) for t in types}
    by_subtype: list[Mapping[str, Any]] = []
    by_type: list[Mapping[str, Any]] = []
    for acc in accounts:
        if acc.get("AccountSubType") in wanted:
            by_subtype.append(acc)
        elif wanted_types and account_type(acc.get("AccountType")) in wanted_types:
            by_type.append(acc)
    pool = by_subtype or by_type
    if not pool:
        return None
    best = min(pool, key=lambda a: (a.get("Active") is False, _id_order(a.get("Id"))))
    return dict(best)


def _id_order(value: Any) -> tuple[int, str]:
    text = str(value)
    return (int(text), "") if text.isdigit() else (1 << 62, text)


# -- amounts ------------------------------------------------------------------------------------


#: Amounts the books can hold (cents fit a 64-bit integer with room for sums of many lines).
MAX_AMOUNT = Decimal(10) ** 13


def to_cents(value: Any, what: str = "amount") -> int:
    """A money value (number or numeric string) in integer cents, rounded half up."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise LedgerError(f"{what} is not a number: {value!r}")
    try:
        exact = Decimal(str(value))
    except InvalidOperation:
        raise LedgerError(f"{what} is not a number: {value!r}") from None
    if not exact.is_finite():
        raise LedgerError(f"{what} is not a number: {value!r}")
    if abs(exact) >= MAX_AMOUNT:
        raise LedgerError(f"{what} is too large: {value!r} (at most {MAX_AMOUNT - Decimal('0.01')})")
    return int((exact * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _decimal(value: Any, what: str) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    try:
        exact = Decimal(str(value))
    except InvalidOperation:
        raise LedgerError(f"{what} is not a number: {value!r}") from None
    if isinstance(value, bool) or not exact.is_finite():
        raise LedgerError(f"{what} is not a number: {value!r}")
    if abs(exact) >= MAX_AMOUNT:
        raise LedgerError(f"{what} is too large: {value!r} (at most {MAX_AMOUNT - Decimal('0.01')})")
    return exact


def allocate(weights: Sequence[tuple[str, int]], target: int) -> list[tuple[str, int]]:
    """Split ``target`` cents over accounts in proportion to ``weights`` (cents), summing exactly.

    Largest-remainder rounding: each share is floored, then the cents left over go to the shares
    with the largest fractional parts, so no cent is lost or invented.
    """
    total = sum(c for _, c in weights)
    if total == 0 or target == 0:
        return []
    exact = [Fraction(c * target, total) for _, c in weights]
    shares = [math.floor(x) for x in exact]
    left = target - sum(shares)
    order = sorted(range(len(exact)), key=lambda i: (exact[i] - shares[i], -i), reverse=True)
    for i in order[:left]:
        shares[i] += 1
    return [(acct, share) for (acct, _), share in zip(weights, shares, strict=True) if share]


def _ref_id(ref: Any) -> str | None:
    if isinstance(ref, Mapping):
        value = ref.get("value")
        return str(value) if value not in (None, "") else None
    if isinstance(ref, (str, int)) and not isinstance(ref, bool) and str(ref):
        return str(ref)
    return None


# -- the company as the ledger sees it ----------------------------------------------------------


class _Book:
    """Lookups with the errors the server answers as business-rule faults.

    With a ``skipped`` list (a bulk load), a line that cannot post is left out and its reason noted.
    """

    def __init__(self, ctx: LedgerContext, skipped: list[str] | None = None) -> None:
        self.ctx = ctx
        self.skipped = skipped
        self._accounts: dict[str, dict[str, Any]] | None = None

    @contextmanager
    def line(self, name: str) -> Iterator[None]:
        """One line's postings: on a bulk load a line that cannot post (a reference to an item or
        account the company does not hold, an amount that is not a number) is skipped, its reason
        noted; the document's balancing account then posts the lines that did post."""
        if self.skipped is None:
            yield
            return
        try:
            yield
        except LedgerError as exc:
            self.skipped.append(f"{name} not posted: {exc.message}")

    @property
    def accounts(self) -> dict[str, dict[str, Any]]:
        if self._accounts is None:
            self._accounts = {str(a.get("Id")): a for a in self.ctx.accounts()}
        return self._accounts

    def account(self, ref: Any, what: str) -> str:
        """The Id of a referenced account, which must exist."""
        aid = _ref_id(ref)
        if aid is None:
            raise LedgerError(f"{what} is missing")
        if aid not in self.accounts:
            raise LedgerError(f"Account {aid} ({what}) does not exist")
        return aid

    def account_or(self, ref: Any, what: str, default: str) -> str:
        """A referenced account if the payload names one, else the special account ``default``."""
        return self.account(ref, what) if _ref_id(ref) is not None else self.special(default)

    def special(self, kind: str) -> str:
        subtypes, types, label = _SPECIAL[kind]
        found = find_special(self.accounts.values(), *subtypes, types=types)
        if found is None:
            raise LedgerError(f"The company has no {label} account (AccountSubType {subtypes[0]})")
        return str(found.get("Id"))

    def item(self, ref: Any, what: str) -> dict[str, Any]:
        iid = _ref_id(ref)
        if iid is None:
            raise LedgerError(f"{what} has no ItemRef")
        item = self.ctx.get("Item", iid)
        if item is None:
            raise LedgerError(f"Item {iid} ({what}) does not exist")
        return item

    def item_account(self, item: Mapping[str, Any], field: str, label: str) -> str | None:
        """The Id of an item's account field, checked; None when the item has no such account."""
        aid = _ref_id(item.get(field))
        if aid is None:
            return None
        if aid not in self.accounts:
            raise LedgerError(f"Item {item.get('Id')} has {label} account {aid}, which does not exist")
        return aid

    def linked(self, entity: str, id_: Any) -> dict[str, Any] | None:
        return self.ctx.get(entity, str(id_)) if id_ not in (None, "") else None


#: kind -> (AccountSubTypes, fallback AccountTypes, label for errors)
_SPECIAL: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "ar": (("AccountsReceivable",), ("Accounts Receivable",), "Accounts Receivable"),
    "ap": (("AccountsPayable",), ("Accounts Payable",), "Accounts Payable"),
    "undeposited": (("UndepositedFunds",), (), "Undeposited Funds"),
    "tax": (("SalesTaxPayable", "GlobalTaxPayable"), (), "sales tax payable"),
    "inventory": (("Inventory",), (), "Inventory Asset"),
    "cogs": ((), ("Cost of Goods Sold",), "Cost of Goods Sold"),
    "discount": (("DiscountsRefundsGiven",), (), "discounts given"),
    "retained": (("RetainedEarnings",), (), "Retained Earnings"),
    "opening": (("OpeningBalanceEquity",), (), "Opening Balance Equity"),
}


class _Entries:
    """Postings being gathered, in cents, merged per account and basis at the end."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, int, str]] = []

    def add(self, account_id: str, cents: int, basis: str) -> None:
        if cents:
            self.rows.append((account_id, cents, basis))

    def extend(self, pairs: Iterable[tuple[str, int]], basis: str, sign: int = 1) -> None:
        for acct, cents in pairs:
            self.add(acct, sign * cents, basis)

    def postings(self, sign: int = 1) -> list[Posting]:
        """Merge per account; an account with the same amount on both bases becomes one "both" row."""
        order: list[str] = []
        totals: dict[str, dict[str, int]] = {}
        for acct, cents, basis in self.rows:
            if acct not in totals:
                order.append(acct)
                totals[acct] = {ACCRUAL: 0, CASH: 0}
            for b in BASES if basis == BOTH else (basis,):
                totals[acct][b] += sign * cents
        for basis in BASES:
            if sum(t[basis] for t in totals.values()) != 0:
                raise LedgerError("The transaction's debits and credits do not balance")
        out: list[Posting] = []
        for acct in order:
            acc, cash = totals[acct][ACCRUAL], totals[acct][CASH]
            if acc == cash:
                if acc:
                    out.append(Posting(acct, acc / 100, BOTH))
                continue
            if acc:
                out.append(Posting(acct, acc / 100, ACCRUAL))
            if cash:
                out.append(Posting(acct, cash / 100, CASH))
        return out


# -- document sides -----------------------------------------------------------------------------


def _lines(payload: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    lines = payload.get("Line")
    return [ln for ln in lines if isinstance(ln, Mapping)] if isinstance(lines, list) else []


def _line_name(line: Mapping[str, Any], index: int) -> str:
    return f"Line {line.get('LineNum') or line.get('Id') or index + 1}"


def _tax_cents(payload: Mapping[str, Any]) -> int:
    detail = payload.get("TxnTaxDetail")
    return to_cents(detail.get("TotalTax"), "TxnTaxDetail.TotalTax") if isinstance(detail, Mapping) else 0


def _sales_side(
    book: _Book, payload: Mapping[str, Any]
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """A sales document's postings other than its A/R or deposit account, as an invoice makes them.

    Returns (revenue side, inventory side): income credits, discount debits and the tax credit,
    which sum to minus the document total; and the COGS/Inventory Asset pair, which sums to zero.
    """
    revenue: list[tuple[str, int]] = []
    inventory: list[tuple[str, int]] = []
    _sales_lines(book, _lines(payload), revenue, inventory)
    with book.line("TxnTaxDetail"):
        tax = _tax_cents(payload)
        if tax:
            revenue.append((book.special("tax"), -tax))
    return revenue, inventory


def _sales_lines(
    book: _Book,
    lines: Sequence[Mapping[str, Any]],
    revenue: list[tuple[str, int]],
    inventory: list[tuple[str, int]],
) -> None:
    for index, line in enumerate(lines):
        kind = line.get("DetailType")
        name = _line_name(line, index)
        detail = line.get(str(kind)) if isinstance(kind, str) else None
        detail = detail if isinstance(detail, Mapping) else {}
        with book.line(name):
            if kind == "SalesItemLineDetail":
                amount = to_cents(line.get("Amount"), f"{name} Amount")
                item_id = _ref_id(detail.get("ItemRef"))
                if item_id == "SHIPPING_ITEM_ID":
                    # QBO's shipping pseudo-item: its income account travels on the line.
                    revenue.append(
                        (book.account(detail.get("ItemAccountRef"), f"{name} ItemAccountRef"), -amount)
                    )
                    continue
                item = book.item(detail.get("ItemRef"), name)
                income = book.item_account(item, "IncomeAccountRef", "income")
                if income is None:
                    # Newer minor versions echo the item's income account on the line.
                    income = _ref_id(detail.get("ItemAccountRef"))
                    if income is None:
                        raise LedgerError(f"Item {item.get('Id')} has no income account")
                    income = book.account(income, f"{name} ItemAccountRef")
                revenue.append((income, -amount))
                if item.get("Type") == "Inventory":
                    cost = _decimal(item.get("PurchaseCost"), f"Item {item.get('Id')} PurchaseCost")
                    qty = _decimal(detail.get("Qty"), f"{name} Qty")
                    cents = int((cost * qty * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
                    if cents:
                        cogs = book.item_account(item, "ExpenseAccountRef", "expense")
                        asset = book.item_account(item, "AssetAccountRef", "asset")
                        cogs, asset = cogs or book.special("cogs"), asset or book.special("inventory")
                        inventory.extend([(cogs, cents), (asset, -cents)])
            elif kind == "GroupLineDetail":
                _sales_lines(book, _lines(detail), revenue, inventory)
            elif kind == "DiscountLineDetail":
                amount = abs(to_cents(line.get("Amount"), f"{name} Amount"))
                if amount:
                    account = book.account_or(
                        detail.get("DiscountAccountRef"), f"{name} DiscountAccountRef", "discount"
                    )
                    revenue.append((account, amount))
            # SubTotalLineDetail, DescriptionOnly and the like post nothing.


def _expense_side(book: _Book, payload: Mapping[str, Any]) -> list[tuple[str, int]]:
    """A purchase document's debits (expense, asset and recoverable tax), summing to its total."""
    side: list[tuple[str, int]] = []
    for index, line in enumerate(_lines(payload)):
        kind = line.get("DetailType")
        name = _line_name(line, index)
        detail = line.get(str(kind)) if isinstance(kind, str) else None
        detail = detail if isinstance(detail, Mapping) else {}
        with book.line(name):
            amount = to_cents(line.get("Amount"), f"{name} Amount")
            if kind == "AccountBasedExpenseLineDetail":
                side.append((book.account(detail.get("AccountRef"), f"{name} AccountRef"), amount))
            elif kind == "ItemBasedExpenseLineDetail":
                item = book.item(detail.get("ItemRef"), name)
                if item.get("Type") == "Inventory":
                    account = book.item_account(item, "AssetAccountRef", "asset") or book.special("inventory")
                else:
                    found = book.item_account(item, "ExpenseAccountRef", "expense")
                    if found is None:
                        raise LedgerError(f"Item {item.get('Id')} has no expense account")
                    account = found
                side.append((account, amount))
    with book.line("TxnTaxDetail"):
        tax = _tax_cents(payload)
        if tax:
            side.append((book.special("tax"), tax))
    return side


def _first_link(line: Mapping[str, Any], types: Sequence[str]) -> tuple[str, str] | None:
    links = line.get("LinkedTxn")
    for link in links if isinstance(links, list) else []:
        if isinstance(link, Mapping) and link.get("TxnType") in types and link.get("TxnId") not in (None, ""):
            return str(link["TxnType"]), str(link["TxnId"])
    return None


# -- one function per kind of transaction -------------------------------------------------------


def _invoice(book: _Book, p: Mapping[str, Any], e: _Entries) -> None:
    revenue, inventory = _sales_side(book, p)
    receivable = -sum(c for _, c in revenue)  # the balancing figure: TotalAmt when the payload is consistent
    ar = book.account_or(p.get("ARAccountRef"), "ARAccountRef", "ar")
    e.add(ar, receivable, ACCRUAL)
    e.extend(revenue, ACCRUAL)
    e.extend(inventory, BOTH)
    deposit = to_cents(p.get("Deposit"), "Deposit")
    if deposit:
        # A deposit taken on the invoice is a payment made with it.
        to = book.account_or(p.get("DepositToAccountRef"), "DepositToAccountRef", "undeposited")
        e.add(to, deposit, BOTH)
        e.add(ar, -deposit, ACCRUAL)
        portion = min(deposit, max(receivable, 0))
        e.extend(allocate(revenue, -portion), CASH)
        e.add(ar, -(deposit - portion), CASH)


def _sales_receipt(book: _Book, p: Mapping[str, Any], e: _Entries) -> None:
    revenue, inventory = _sales_side(book, p)
    to = book.account_or(p.get("DepositToAccountRef"), "DepositToAccountRef", "undeposited")
    e.add(to, -sum(c for _, c in revenue), BOTH)
    e.extend(revenue, BOTH)
    e.extend(inventory, BOTH)


def _customer_payment(book: _Book, p: Mapping[str, Any], e: _Entries) -> None:
    total = to_cents(p.get("TotalAmt"), "TotalAmt")
    to = book.account_or(p.get("DepositToAccountRef"), "DepositToAccountRef", "undeposited")
    ar = book.account_or(p.get("ARAccountRef"), "ARAccountRef", "ar")
    e.add(to, total, BOTH)
    e.add(ar, -total, ACCRUAL)
    left = total  # what the cash basis still has to credit to A/R
    for index, line in enumerate(_lines(p)):
        link = _first_link(line, ("Invoice", "CreditMemo"))
        if link is None:
            continue
        doc = book.linked(*link)
        if doc is None:
            continue  # the document is gone: the amount stays unapplied, on A/R
        revenue, _ = _sales_side(book, doc)
        open_amount = -sum(c for _, c in revenue)
        applied = to_cents(line.get("Amount"), f"{_line_name(line, index)} Amount")
        portion = min(applied, open_amount) if applied > 0 and open_amount > 0 else 0
        if link[0] == "Invoice":
            e.extend(allocate(revenue, -portion), CASH)
            left -= portion
        else:  # a credit memo applied by the payment gives back its share of income
            e.extend(allocate(revenue, -portion), CASH, sign=-1)
            left += portion
    e.add(ar, -left, CASH)


def _bill(book: _Book, p: Mapping[str, Any], e: _Entries) -> None:
    side = _expense_side(book, p)
    ap = book.account_or(p.get("APAccountRef"), "APAccountRef", "ap")
    e.extend(side, ACCRUAL)
    e.add(ap, -sum(c for _, c in side), ACCRUAL)


def _bill_payment(book: _Book, p: Mapping[str, Any], e: _Entries) -> None:
    total = to_cents(p.get("TotalAmt"), "TotalAmt")
    card = p.get("CreditCardPayment")
    if p.get("PayType") == "CreditCard" or (p.get("PayType") is None and isinstance(card, Mapping)):
        source = book.account((card or {}).get("CCAccountRef"), "CreditCardPayment.CCAccountRef")
    else:
        check = p.get("CheckPayment")
        source = book.account(
            (check or {}).get("BankAccountRef") if isinstance(check, Mapping) else None,
            "CheckPayment.BankAccountRef",
        )
    ap = book.account_or(p.get("APAccountRef"), "APAccountRef", "ap")
    e.add(source, -total, BOTH)
    e.add(ap, total, ACCRUAL)
    left = total  # what the cash basis still has to debit to A/P
    for index, line in enumerate(_lines(p)):
        link = _first_link(line, ("Bill", "VendorCredit"))
        if link is None:
            continue
        doc = book.linked(*link)
        if doc is None:
            continue
        side = _expense_side(book, doc)
        open_amount = sum(c for _, c in side)
        applied = to_cents(line.get("Amount"), f"{_line_name(line, index)} Amount")
        portion = min(applied, open_amount) if applied > 0 and open_amount > 0 else 0
        if link[0] == "Bill":
            e.extend(allocate(side, portion), CASH)
            left -= portion
        else:
            e.extend(allocate(side, portion), CASH, sign=-1)
            left += portion
    e.add(ap, left, CASH)


def _purchase(book: _Book, p: Mapping[str, Any], e: _Entries) -> None:
    side = _expense_side(book, p)
    source = book.account(p.get("AccountRef"), "AccountRef")
    sign = -1 if p.get("Credit") is True else 1  # a credit is a refund: the purchase reversed
    e.extend(side, BOTH, sign)
    e.add(source, -sign * sum(c for _, c in side), BOTH)


def _deposit(book: _Book, p: Mapping[str, Any], e: _Entries) -> None:
    to = book.account(p.get("DepositToAccountRef"), "DepositToAccountRef")
    total = 0
    for index, line in enumerate(_lines(p)):
        name = _line_name(line, index)
        with book.line(name):
            amount = to_cents(line.get("Amount"), f"{name} Amount")
            detail = line.get("DepositLineDetail")
            detail = detail if isinstance(detail, Mapping) else {}
            if line.get("LinkedTxn"):
                # Payments and sales receipts wait in Undeposited Funds until deposited.
                account = book.special("undeposited")
            else:
                account = book.account(detail.get("AccountRef"), f"{name} DepositLineDetail.AccountRef")
            e.add(account, -amount, BOTH)
            total += amount
    cash_back = p.get("CashBack")
    if isinstance(cash_back, Mapping):
        back = to_cents(cash_back.get("Amount"), "CashBack.Amount")
        if back:
            e.add(book.account(cash_back.get("AccountRef"), "CashBack.AccountRef"), back, BOTH)
            total -= back
    e.add(to, total, BOTH)


def _transfer(book: _Book, p: Mapping[str, Any], e: _Entries) -> None:
    amount = to_cents(p.get("Amount"), "Amount")
    e.add(book.account(p.get("ToAccountRef"), "ToAccountRef"), amount, BOTH)
    e.add(book.account(p.get("FromAccountRef"), "FromAccountRef"), -amount, BOTH)


def _credit_card_payment(book: _Book, p: Mapping[str, Any], e: _Entries) -> None:
    """Paying down a card: the card's balance owed falls (debit), the bank account pays (credit)."""
    amount = to_cents(p.get("Amount"), "Amount")
    e.add(book.account(p.get("CreditCardAccountRef"), "CreditCardAccountRef"), amount, BOTH)
    e.add(book.account(p.get("BankAccountRef"), "BankAccountRef"), -amount, BOTH)


def _inventory_adjustment(book: _Book, p: Mapping[str, Any], e: _Entries) -> None:
    """Each line's quantity change at the item's cost: the Inventory Asset against the adjustment
    account (shrinkage debits the adjustment account and credits the asset)."""
    adjust = book.account(p.get("AdjustAccountRef"), "AdjustAccountRef")
    for index, line in enumerate(_lines(p)):
        detail = line.get("ItemAdjustmentLineDetail")
        if not isinstance(detail, Mapping):
            continue
        name = _line_name(line, index)
        item = book.item(detail.get("ItemRef"), f"{name} ItemRef")
        cost = _decimal(item.get("PurchaseCost") or 0, f"Item {item.get('Id')} PurchaseCost")
        qty = _decimal(detail.get("QtyDiff") or 0, f"{name} QtyDiff")
        cents = int((cost * qty * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if cents:
            asset = book.item_account(item, "AssetAccountRef", "asset") or book.special("inventory")
            e.add(asset, cents, BOTH)
            e.add(adjust, -cents, BOTH)


def _journal_entry(book: _Book, p: Mapping[str, Any], e: _Entries) -> None:
    debits = credits = 0
    for index, line in enumerate(_lines(p)):
        if line.get("DetailType") not in (None, "JournalEntryLineDetail"):
            continue
        name = _line_name(line, index)
        detail = line.get("JournalEntryLineDetail")
        detail = detail if isinstance(detail, Mapping) else {}
        amount = to_cents(line.get("Amount"), f"{name} Amount")
        account = book.account(detail.get("AccountRef"), f"{name} AccountRef")
        side = detail.get("PostingType")
        if side == "Debit":
            debits += amount
            e.add(account, amount, BOTH)
        elif side == "Credit":
            credits += amount
            e.add(account, -amount, BOTH)
        else:
            raise LedgerError(f"{name} PostingType must be Debit or Credit, not {side!r}")
    if debits != credits:
        raise LedgerError(
            f"The journal entry is not balanced: debits {debits / 100:.2f}, credits {credits / 100:.2f}"
        )


#: entity -> (poster, sign): a sign of -1 posts the mirror image of the poster's document.
_POSTERS: dict[str, tuple[Any, int]] = {
    "Invoice": (_invoice, 1),
    "CreditMemo": (_invoice, -1),
    "SalesReceipt": (_sales_receipt, 1),
    "RefundReceipt": (_sales_receipt, -1),
    "Payment": (_customer_payment, 1),
    "Bill": (_bill, 1),
    "VendorCredit": (_bill, -1),
    "BillPayment": (_bill_payment, 1),
    "Purchase": (_purchase, 1),
    "Deposit": (_deposit, 1),
    "Transfer": (_transfer, 1),
    "JournalEntry": (_journal_entry, 1),
    "CreditCardPaymentTxn": (_credit_card_payment, 1),
    "InventoryAdjustment": (_inventory_adjustment, 1),
}
_POSTER_KEYS = {name.lower(): name for name in _POSTERS}


def postings(
    entity: str, payload: dict[str, Any], ctx: LedgerContext, *, skipped: list[str] | None = None
) -> list[Posting]:
    """The balanced postings one transaction makes; [] for documents that do not post.

    Raises LedgerError when the transaction references an item or account that does not exist,
    an item lacks the account its line needs, a special account (A/R, Undeposited Funds, ...) is
    missing from the chart of accounts, or a journal entry does not balance.

    With a ``skipped`` list (the bulk load, which keeps records exactly as given), nothing raises:
    a line that cannot post is left out (the document's A/R, A/P, bank or deposit account posts the
    total of the lines that did), a transaction that cannot post at all (its own account unknown, a
    journal entry left unbalanced) posts nothing, and each reason is appended to the list.
    """
    name = _POSTER_KEYS.get(entity.lower())
    if name is None or not isinstance(payload, Mapping):
        return []  # Estimate, PurchaseOrder, TimeActivity and the name lists post nothing
    note = payload.get("PrivateNote")
    if isinstance(note, str) and note.startswith("Voided"):
        return []
    poster, sign = _POSTERS[name]
    entries = _Entries()
    if skipped is None:
        poster(_Book(ctx), payload, entries)
        return entries.postings(sign)
    notes: list[str] = []
    try:
        poster(_Book(ctx, notes), payload, entries)
        posts = entries.postings(sign)
    except LedgerError as exc:
        skipped.append(f"{name} {payload.get('Id')}: nothing posted: {exc.message}")
        return []
    skipped.extend(f"{name} {payload.get('Id')}: {note}" for note in notes)
    return posts
