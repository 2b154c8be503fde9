"""What every generator shares: the company's constants, its clock, and the objects kept while building.

The objects here hold just what references and later steps need (an Id, the name a reference
carries, a few amounts); payloads are built by the generators.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

Payload = dict[str, Any]

DEFAULT_SIZE = 500
#: Below this many transactions not every transaction type can have one.
MIN_SIZE = 18

DAY = 86_400
YEAR = 365
TZ = timezone(timedelta(hours=-8))
OFFSET = "-08:00"
OPEN, CLOSE = 8 * 3600, 18 * 3600  # business hours: when transactions are entered
TWO = [f"{n:02d}" for n in range(60)]
HM = [f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)]

HOME = ("USD", "United States Dollar")
FOREIGN = ("EUR", "Euro")

COMPANY_NAME = "Craig's Design and Landscaping Services"

#: Share of ``size`` per transaction type, in percent (sums to 100). At the default size the
#: smallest share of the first fifteen types still gives each a dozen or more, and the last three
#: (credit card payments, inventory adjustments, reimbursable charges) five each.
TXN_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("Invoice", 18),
    ("Payment", 13),
    ("Estimate", 5),
    ("SalesReceipt", 6),
    ("CreditMemo", 3),
    ("RefundReceipt", 3),
    ("Bill", 10),
    ("BillPayment", 7),
    ("VendorCredit", 3),
    ("Purchase", 10),
    ("PurchaseOrder", 4),
    ("Deposit", 4),
    ("Transfer", 3),
    ("JournalEntry", 3),
    ("TimeActivity", 5),
    # the objects beyond the first 36: a few of each
    ("CreditCardPaymentTxn", 1),
    ("InventoryAdjustment", 1),
    ("ReimburseCharge", 1),
)

#: The order objects are yielded in: parents before children, documents before what settles them.
YIELD_ORDER: tuple[str, ...] = (
    "CompanyInfo",
    "Company",
    "Account",
    "TaxAgency",
    "TaxRate",
    "TaxCode",
    "Term",
    "PaymentMethod",
    "Class",
    "Department",
    "CompanyCurrency",
    "ExchangeRate",
    "JournalCode",
    "Item",
    "CustomerType",
    "Customer",
    "Vendor",
    "Employee",
    "Preferences",
    "Budget",
    "Estimate",
    "Invoice",
    "SalesReceipt",
    "CreditMemo",
    "RefundReceipt",
    "PurchaseOrder",
    "Bill",
    "VendorCredit",
    "Purchase",
    "ReimburseCharge",
    "Transfer",
    "CreditCardPaymentTxn",
    "InventoryAdjustment",
    "JournalEntry",
    "TimeActivity",
    "Payment",
    "BillPayment",
    "Deposit",
    "TaxReturn",
    "RecurringTransaction",
    "Attachable",
)
RANK = {name: n for n, name in enumerate(YIELD_ORDER)}


@dataclass(eq=False)
class Named:
    """A name-list object: its Id and the name references to it carry."""

    id: str
    name: str

    def ref(self) -> dict[str, str]:
        return {"value": self.id, "name": self.name}


@dataclass(eq=False)
class Account(Named):
    key: str = ""


@dataclass(eq=False)
class TaxRate(Named):
    bp: int = 0
    agency: int = 0


@dataclass(eq=False)
class TaxCode(Named):
    rates: tuple[TaxRate, ...] = ()


@dataclass(eq=False)
class Term(Named):
    days: int = 0


@dataclass(eq=False)
class Item(Named):
    label: str = ""  # the item's own Name (``name`` is the FullyQualifiedName)
    type: str = ""
    parent: Item | None = None
    income: Account | None = None
    expense: Account | None = None
    price: int = 0
    cost: int = 0
    taxable: bool = False
    lo: int = 1
    hi: int = 1
    half: bool = False
    desc: str = ""
    active: bool = True
    created: int = 0
    updated: int = 0
    start_qty: int = 0
    qty: int = 0  # sold minus bought during the year; QtyOnHand = start_qty - qty
    components: tuple[tuple[Item, int], ...] = ()


@dataclass(eq=False)
class Party(Named):
    """A customer, vendor or employee (one name space in QBO)."""

    kind: str = ""
    n: int = 0  # creation order within its kind (a stable dict key)
    label: str = ""  # DisplayName (``name`` is the FullyQualifiedName for a customer job)
    given: str = ""
    family: str = ""
    company: bool = False
    created: int = 0
    updated: int = 0
    active: bool = True
    currency: tuple[str, str] = HOME
    tax_code: TaxCode | None = None
    term: Term | None = None
    addr: dict[str, str] = field(default_factory=dict)
    phone: str = ""
    email: str = ""
    parent: Party | None = None
    expense: str = "office"
    supplier: bool = False
    contractor: bool = False
    rate: int = 0
    balance: int = 0


#: A planned payment: when, and which documents it pays how much (cents).
Plan = tuple[int, list[tuple["Txn", int]]]


class Txn:
    """A transaction under construction: its payload, when it was created and last changed."""

    __slots__ = ("day", "kind", "open", "p", "party", "rate", "seq", "total", "ts", "upd")

    def __init__(self, kind: str, ts: int, p: Payload, seq: int) -> None:
        self.kind = kind
        self.ts = ts
        self.upd = ts
        self.p = p
        self.seq = seq
        self.party: Party | None = None
        self.total = 0  # cents
        self.open = 0  # cents still owed (invoices, bills) or not yet deposited
        self.rate = 1.0
        self.day = ts // DAY


class Pool:
    """Objects a transaction may use: those created by the transaction's day, oldest favoured."""

    def __init__(self, objs: Sequence[Any], days: Sequence[int]) -> None:
        self.objs = list(objs)
        self.days = list(days)

    def pick(self, rng: random.Random, day: int, skew: float = 1.3) -> Any:
        n = bisect.bisect_right(self.days, day) or 1
        # skew > 1 favours long-standing customers, as real books do
        return self.objs[int(n * rng.random() ** skew)]


class Clock:
    """The company's year: day 0 is a year before ``now``; times are seconds from day 0's midnight."""

    def __init__(self, now: datetime) -> None:
        local = now.astimezone(TZ) if now.tzinfo is not None else now.replace(tzinfo=TZ)
        self.start: date = local.date() - timedelta(days=YEAR)
        self.now_ts = YEAR * DAY + local.hour * 3600 + local.minute * 60 + local.second
        # precomputed: date formatting would otherwise dominate the large sizes
        self.dates = [(self.start + timedelta(days=d)).isoformat() for d in range(YEAR + 200)]

    def stamp(self, ts: int) -> str:
        day, sec = divmod(ts, DAY)
        return f"{self.dates[day]}T{HM[sec // 60]}:{TWO[sec % 60]}{OFFSET}"

    def meta(self, created: int, updated: int) -> dict[str, str]:
        first = self.stamp(created)
        return {"CreateTime": first, "LastUpdatedTime": first if updated == created else self.stamp(updated)}

    def day_of(self, d: date) -> int:
        return (d - self.start).days


def quotas(size: int) -> dict[str, int]:
    """How many of each transaction type: ``size`` split by :data:`TXN_WEIGHTS`, at least one each."""
    raw = [size * w / 100 for _, w in TXN_WEIGHTS]
    counts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (counts[i] - raw[i], i))
    for i in order[: size - sum(counts)]:
        counts[i] += 1
    for i in range(len(counts)):
        while counts[i] == 0:
            j = max(range(len(counts)), key=lambda k: (counts[k], -k))
            counts[j] -= 1
            counts[i] += 1
    return {name: counts[n] for n, (name, _) in enumerate(TXN_WEIGHTS)}


def half_qty(q2: int) -> int | float:
    """A quantity kept in halves, as QBO writes it (1, 1.5)."""
    return q2 // 2 if q2 % 2 == 0 else q2 / 2


def cos_season(day_of_year: int) -> float:
    """1 at midsummer, -1 at midwinter: landscaping is a summer business."""
    return math.cos(2 * math.pi * (day_of_year - 172) / 365)
