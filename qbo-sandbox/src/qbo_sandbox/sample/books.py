"""The company under construction: the state the generators share and the helpers they draw with.

One :class:`Books` holds the one ``random.Random`` every generator draws from, in a fixed order
(the coordinator's), so the output depends only on ``(seed, size, now)``. Each generator module
fills the lists it owns (``acct``, ``tax_codes``, ``cust_pool``, ...) for the ones after it.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from .data.people import STREETS
from .model import (
    CLOSE,
    DAY,
    OPEN,
    TXN_WEIGHTS,
    YEAR,
    YIELD_ORDER,
    Account,
    Clock,
    Item,
    Named,
    Party,
    Payload,
    Pool,
    TaxCode,
    Term,
    Txn,
    cos_season,
)


class Books:
    """The whole company in memory while it is built; payloads collect in ``out`` per object name."""

    # Filled by the generators, in the coordinator's order (lists first, then transactions).
    acct: dict[str, Account]
    agencies: list[Named]
    tax_codes: list[TaxCode]
    terms: list[Term]
    net30: Term
    methods: dict[str, Named]
    classes: list[Named]
    departments: list[Named]
    item_list: list[Item]
    item_by_id: dict[str, Item]
    sell_pool: Pool
    buy_pool: Pool
    service_pool: Pool
    customer_list: list[Party]
    eur_customers: list[Party]
    cust_pool: Pool
    eur_pool: Pool
    vendor_list: list[Party]
    vendor_pool: Pool
    supplier_pool: Pool
    contractor_pool: Pool
    employee_list: list[Party]
    employee_pool: Pool
    opening: Txn

    def __init__(self, seed: int, size: int, now: datetime) -> None:
        self.rng = random.Random(seed)
        self.size = size
        self.clock = Clock(now)
        self.out: dict[str, list[Payload]] = {name: [] for name in YIELD_ORDER}
        self.txns: list[Txn] = []
        self.by_kind: dict[str, list[Txn]] = {name: [] for name, _ in TXN_WEIGHTS}
        # (dict, key, transaction): fill dict[key] with the transaction's Id once Ids are known
        self.fixups: list[tuple[dict[str, Any], str, Txn]] = []
        self.addr_seq = 0
        self.taken: set[str] = set()  # Customer, Vendor and Employee share one name space
        self.tax_due: dict[tuple[int, int], int] = {}
        self.undeposited: list[Txn] = []
        self.rates: list[float] = []
        # the calendar quarter (year * 4 + quarter) of each day, for tax returns
        self.quarter_of: list[int] = []
        for d in range(YEAR + 1):
            when = self.clock.start + timedelta(days=d)
            self.quarter_of.append(when.year * 4 + (when.month - 1) // 3)
        self.day_range = list(range(1, YEAR + 1))
        self.day_weights = self._day_weights()

    def _day_weights(self) -> list[float]:
        """Cumulative weights of the year's days: busier on weekdays and in the summer."""
        start = self.clock.start
        weights: list[float] = []
        total = 0.0
        for d in self.day_range:
            when = start + timedelta(days=d)
            weekday = (1.0, 1.0, 1.0, 1.0, 1.0, 0.3, 0.1)[when.weekday()]
            season = 1.0 + 0.4 * cos_season(when.timetuple().tm_yday)
            total += weekday * season
            weights.append(total)
        return weights

    # -- helpers -----------------------------------------------------------------------------

    def entity(self, obj_id: str, created: int, updated: int) -> Payload:
        return {
            "Id": obj_id,
            "SyncToken": "0",
            "domain": "QBO",
            "sparse": False,
            "MetaData": self.clock.meta(created, updated),
        }

    def setup_ts(self, k: int) -> int:
        """The k-th object of the company's setup on day 0, a few seconds apart, before business hours."""
        return 5 * 3600 + 7 * k

    def later(self, created: int, recent: bool = False) -> int:
        """A LastUpdatedTime: most objects unchanged, some edited since, ``recent`` ones in the last days."""
        now = self.clock.now_ts
        if recent:
            return max(created, now - self.rng.randrange(3 * DAY))
        if self.rng.random() < 0.12 and created < now:
            return self.rng.randint(created, now)
        return created

    def sometime(self, created: int) -> int:
        """A time between ``created`` and now (when an inactive object was made inactive)."""
        return self.rng.randint(created, self.clock.now_ts)

    def early(self, day: int) -> int:
        """A time on ``day`` before business hours: when name-list objects are set up."""
        return day * DAY + 6 * 3600 + self.rng.randrange(7200)

    def recent_set(self, n: int, share: int = 40) -> set[int]:
        """Indexes of the objects (of n) that were changed in the last few days, so CDC has work."""
        return set(self.rng.sample(range(n), min(n, max(1, n // share)))) if n else set()

    def address(
        self, line1: str, city: str, state: str, postal: str, country: str | None = None
    ) -> dict[str, str]:
        self.addr_seq += 1
        addr = {
            "Id": str(self.addr_seq),
            "Line1": line1,
            "City": city,
            "CountrySubDivisionCode": state,
            "PostalCode": postal,
        }
        if country:
            addr["Country"] = country
        return addr

    def street(self) -> str:
        return f"{self.rng.randint(10, 9999)} {self.rng.choice(STREETS)}"

    def phone(self, area: str = "650") -> str:
        return f"({area}) 555-{self.rng.randint(1000, 9999)}"

    def unique(self, name: str) -> str:
        """``name``, or a variant of it no other customer, vendor or employee uses."""
        candidate, n = name, 2
        while candidate in self.taken:
            candidate = f"{name} {n}"
            n += 1
        self.taken.add(candidate)
        return candidate

    def link(self, target: Txn, txn_type: str) -> dict[str, str]:
        linked = {"TxnId": "", "TxnType": txn_type}
        self.fixups.append((linked, "TxnId", target))
        return linked

    def txn(self, kind: str, ts: int, p: Payload) -> Txn:
        t = Txn(kind, ts, p, len(self.txns))
        self.txns.append(t)
        self.by_kind[kind].append(t)
        return t

    def days(self, n: int) -> list[int]:
        """n transaction days over the year (day 1 to today), busier on weekdays and in the summer."""
        return sorted(self.rng.choices(self.day_range, cum_weights=self.day_weights, k=n))

    def at(self, day: int) -> int:
        """A time within business hours on ``day``, never after now."""
        return min(day * DAY + self.rng.randrange(OPEN, CLOSE), self.clock.now_ts)

    def after(self, ts: int, lo: int, hi: int) -> int | None:
        """A business-hours time lo..hi days after ``ts``, or None when that is after now."""
        day = ts // DAY + self.rng.randint(lo, hi)
        out = max(day * DAY + self.rng.randrange(OPEN, CLOSE), ts + 60)
        return out if out <= self.clock.now_ts else None

    def rate_on(self, day: int) -> float:
        """The EUR rate a transaction uses: the ExchangeRate row of its week."""
        return self.rates[day - day % 7]

    def tagging(self, p: Payload, class_share: float = 0.35, dept_share: float = 0.4) -> None:
        """Class and location on some transactions, as a company tracking them would."""
        rng = self.rng
        if rng.random() < class_share:
            p["ClassRef"] = rng.choice(self.classes).ref()
        if rng.random() < dept_share:
            p["DepartmentRef"] = rng.choice(self.departments).ref()

    def payloads(self) -> Iterator[tuple[str, Payload]]:
        """Every payload made, in :data:`YIELD_ORDER`."""
        for name in YIELD_ORDER:
            for payload in self.out[name]:
                yield name, payload
