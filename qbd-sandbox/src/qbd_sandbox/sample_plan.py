"""The plan of a sample company: the operations that fill it, in the order they happen.

The generators (``sample_lists``, ``sample_sales``, ``sample_purchases``, ``sample_books``) do
not talk to a company. They write :class:`Op` objects into a :class:`Schedule`, one bucket per
day of the company's year; :mod:`qbd_sandbox.sample` walks the days in order, gives each operation
its time of day, and applies it through the company's Python API. An operation that needs the id
of an earlier one (a payment applied to an invoice, a Mod of a customer) holds a :class:`Ref` to
that operation's key, resolved when it is applied. So the plan is a pure function of
``(seed, size, now)``, testable without a company, and every Add in it can be checked against the
qbXML spec offline.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

Fields = dict[str, Any]
Action = Literal["add", "modify", "delete", "void"]

#: Days of history before ``now``: day 0 sets the company up, days 1..YEAR are its year.
YEAR = 365
SETUP_DAY = 0
#: Business hours in which operations are entered (seconds after midnight, local time).
OPEN, CLOSE = 8 * 3600, 18 * 3600
#: How far back deletions reach: within QuickBooks' deleted-object window (about 90 days).
RECENT_DAYS = 75
#: About how many transactions a year does not depend on the size (monthly bills, payroll, ...).
FIXED_PER_YEAR = 400


@dataclass(frozen=True, slots=True)
class Ref:
    """The id (ListID or TxnID) of the operation added under ``key``, known once it is applied."""

    key: int


@dataclass(slots=True)
class Op:
    """One write to the company.

    ``add``: ``fields`` are the Add's; ``key`` (if set) names the new record for later Refs.
    ``modify``: ``fields`` without the id and EditSequence; ``key`` is the record modified.
    ``delete`` / ``void``: ``key`` is the record.
    """

    action: Action
    object: str
    fields: Fields
    key: int | None = None
    at: datetime | None = None


def _present(fields: Fields) -> Fields:
    return {name: value for name, value in fields.items() if value is not None}


def money(cents: int) -> Decimal:
    """Cents as the exact Decimal qbXML amounts are written from."""
    return Decimal(cents).scaleb(-2)


def ref(full_name: str) -> Fields:
    """A list reference by full name (``{"FullName": "Parent:Child"}``)."""
    return {"FullName": full_name}


class Calendar:
    """The company's year: day numbers to dates and times in the company's zone."""

    def __init__(self, now: datetime, tz: ZoneInfo) -> None:
        self.tz = tz
        self.today = now.astimezone(tz).date()
        # Day YEAR is yesterday: every operation happens before ``now``.
        self.first = self.today - timedelta(days=YEAR + 1)

    def date(self, day: int) -> date:
        return self.first + timedelta(days=day)

    def iso(self, day: int) -> str:
        return self.date(day).isoformat()

    def at(self, day: int, seconds: int) -> datetime:
        """The instant ``seconds`` after midnight of ``day``, local time."""
        moment = datetime.combine(self.date(day), time(), tzinfo=self.tz)
        # Add on the wall clock, then normalise: business hours never cross a DST change.
        return (moment + timedelta(seconds=seconds)).astimezone(self.tz)

    def weekday(self, day: int) -> int:
        return self.date(day).weekday()

    def is_business_day(self, day: int) -> bool:
        return self.weekday(day) < 5

    def month_end(self, day: int) -> bool:
        return (self.date(day) + timedelta(days=1)).day == 1


@dataclass
class Schedule:
    """Operations per day. Within a day: list setup first, then the day's work in order."""

    early: dict[int, list[Op]] = field(default_factory=dict)
    main: dict[int, list[Op]] = field(default_factory=dict)
    #: Later events (Mods, voids, deletes) placed among a day's work at random positions.
    later: dict[int, list[Op]] = field(default_factory=dict)
    next_key: int = 0
    _mods: dict[int, list[tuple[int, dict[int, list[Op]], Op]]] = field(default_factory=dict)

    def key(self) -> int:
        self.next_key += 1
        return self.next_key

    def add(
        self, day: int, object_name: str, fields: Fields, *, early: bool = False, keyed: bool = True
    ) -> Ref:
        """Schedule an Add on ``day`` (fields set to None are left out); its Ref names the new record."""
        key = self.key()
        # The setup day is all list work, in the order it was scheduled (terms before customers).
        bucket = self.early if early and day != SETUP_DAY else self.main
        bucket.setdefault(day, []).append(Op("add", object_name, _present(fields), key))
        return Ref(key)

    def modify(self, day: int, object_name: str, target: Ref, fields: Fields, *, early: bool = False) -> None:
        bucket = self.early if early else self.later
        op = Op("modify", object_name, _present(fields), target.key)
        bucket.setdefault(day, []).append(op)
        self._mods.setdefault(target.key, []).append((day, bucket, op))

    def delete(self, day: int, object_name: str, target: Ref) -> None:
        self._drop_mods(target, day)
        self.later.setdefault(day, []).append(Op("delete", object_name, {}, target.key))

    def void(self, day: int, object_name: str, target: Ref) -> None:
        self._drop_mods(target, day)
        self.later.setdefault(day, []).append(Op("void", object_name, {}, target.key))

    def _drop_mods(self, target: Ref, day: int) -> None:
        """A record deleted or voided on ``day`` is not modified from that day on."""
        for when, bucket, op in self._mods.pop(target.key, ()):
            if when >= day:
                bucket[when].remove(op)

    def take(self, day: int, rng: random.Random, calendar: Calendar) -> list[Op]:
        """The operations of ``day`` in order, each with its time; removes them from the schedule."""
        ops = self.early.pop(day, [])
        work = self.main.pop(day, [])
        # Later events go anywhere among the day's work, but after the Add they concern when it
        # happened the same day (a sales receipt rung up twice and voided an hour later).
        added = {op.key: n for n, op in enumerate(work) if op.action == "add" and op.key is not None}
        before: dict[int, list[Op]] = {}
        for op in self.later.pop(day, []):
            low = added.get(op.key, -1) + 1 if op.key is not None else 0
            before.setdefault(rng.randint(low, len(work)), []).append(op)
        for n, op in enumerate(work):
            ops.extend(before.pop(n, ()))
            ops.append(op)
        ops.extend(before.pop(len(work), ()))
        if not ops:
            return ops
        span = CLOSE - OPEN
        if len(ops) <= span:
            seconds = sorted(rng.sample(range(OPEN, CLOSE), len(ops)))
        else:  # more than one a second: several share a second, still in order
            seconds = sorted(rng.randrange(OPEN, CLOSE) for _ in ops)
        for op, second in zip(ops, seconds, strict=True):
            op.at = calendar.at(day, second)
        return ops


class Quota:
    """Exactly ``rate`` of the chances taken, spread at random: ``floor(rate * n)`` events in n.

    A probability would give a small company none of the rare events (a voided check); a quota
    gives at least one as soon as ``rate * n`` reaches 1.
    """

    def __init__(self, rng: random.Random, rate: float) -> None:
        self.rate = rate
        self._rng = rng
        self._level = rng.random() * 0.5

    def __call__(self) -> bool:
        self._level += self.rate * (0.5 + self._rng.random())
        if self._level >= 1.0:
            self._level -= 1.0
            return True
        return False


class Pace:
    """How many of something happen each day, so that a year holds about ``per_year`` of them."""

    def __init__(self, rng: random.Random, per_year: float, days: int) -> None:
        self.per_day = per_year / days if days else 0.0
        self._rng = rng
        self._level = rng.random()

    def today(self) -> int:
        self._level += self.per_day * (0.4 + 1.2 * self._rng.random())
        count = int(self._level)
        self._level -= count
        return count


@dataclass
class Context:
    """What every generator shares: the schedule, the calendar, its own random source and the size."""

    sched: Schedule
    calendar: Calendar
    rng: random.Random
    size: int  # the transactions wanted in the year

    def date(self, day: int) -> str:
        return self.calendar.iso(day)

    def per_year(self, share: float) -> float:
        """How many of a transaction type drawn at ``share`` of the size a year holds.

        Monthly transactions (rent, payroll, depreciation, the card) and those that follow others
        (payments, deposits) come on top, so the drawn ones get a little less than their share of
        a small company: about ``size`` in all, at every size.
        """
        return share * self.size * self.size / (self.size + FIXED_PER_YEAR)


def business_days(calendar: Calendar) -> int:
    return sum(1 for day in range(1, YEAR + 1) if calendar.is_business_day(day))


def iter_days() -> Iterator[int]:
    """The days of the company's year after setup."""
    return iter(range(1, YEAR + 1))


@dataclass
class OpenDoc:
    """An invoice or bill not yet paid in full."""

    ref: Ref
    party: str  # the customer (job) or vendor full name
    amount: int  # cents still open
    due: int  # the day it falls due


@dataclass
class Books:
    """What the generators keep track of so that the books hang together.

    Balances are simulated in the order operations are scheduled, which is the order they are
    applied, so a payment is only written when the bank account holds the money on that day.
    """

    bank: dict[str, int] = field(default_factory=lambda: {"checking": 0, "savings": 0, "petty": 0})
    card: int = 0  # owed on the company card
    undeposited: list[tuple[Ref, int]] = field(default_factory=list)  # payments waiting for a deposit
    #: Open invoices by the day their customer pays them.
    collections: dict[int, list[OpenDoc]] = field(default_factory=dict)
    payables: list[OpenDoc] = field(default_factory=list)  # open bills
    on_hand: dict[str, int] = field(default_factory=dict)  # inventory quantities by item full name
    on_order: dict[str, int] = field(default_factory=dict)  # ordered, not yet received
    revenue: int = 0  # billed since the last payroll
    sales_tax: int = 0  # collected (invoiced) and not yet remitted
    tax_return: int = 0  # owed for the quarter that ended, remitted the month after
    numbers: dict[str, int] = field(default_factory=dict)

    def number(self, series: str, start: int) -> int:
        """The next number of a series (invoice numbers, check numbers, ...)."""
        value = self.numbers.get(series, start - 1) + 1
        self.numbers[series] = value
        return value
