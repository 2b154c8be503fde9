"""A believable sample QuickBooks Desktop company, with a year of history, for tests, demos and benchmarks.

A general contractor (``sample_data.COMPANY_NAME``): a chart of accounts with subaccounts, classes,
terms, sales tax codes, payment methods, employees, vendors, items of four kinds and customers with
jobs and sub-jobs; about 1000 transactions of the sixteen kinds of the catalog over the twelve months
before ``now``; some records modified later, some list entries made inactive, some transactions
voided, and some deleted recently (so the deleted-object queries have content).

:func:`plan` is the pure part: the operations, in the order they happen, each with its time (see
``sample_plan``); :func:`seed_company` applies them through the company's Python API. The same
``(seed, size, now)`` always gives the same plan, hence the same company.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from qbd_client import catalog

from .sample_books import Bookkeeping
from .sample_lists import build_lists
from .sample_plan import SETUP_DAY, Books, Calendar, Context, Op, Ref, Schedule, iter_days
from .sample_purchases import Purchases
from .sample_sales import Sales

if TYPE_CHECKING:
    from .company import Bulk, Company

#: Transactions in the default company's year.
DEFAULT_SIZE = 1000
#: Operations applied in one SQLite transaction.
BATCH = 500
DEFAULT_TZ = "America/Los_Angeles"


class SampleError(RuntimeError):
    """The company refused an operation of the sample plan (a bug of the generator or the engine)."""


def plan(*, seed: int = 1, size: int | None = None, now: datetime, tz: str = DEFAULT_TZ) -> Iterator[Op]:
    """The operations that make the sample company, in the order (and with the times) they happen.

    ``now`` must be aware; the history covers the 365 days before its date in ``tz``.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime (with its UTC offset)")
    size = DEFAULT_SIZE if size is None else size
    if size < 0:
        raise ValueError(f"size must be 0 or more, not {size}")
    calendar = Calendar(now, ZoneInfo(tz))
    sched = Schedule()

    def context(domain: str) -> Context:
        # One random source per domain: a change in how invoices are drawn does not reshuffle bills.
        return Context(sched, calendar, random.Random(f"qbd-sample:{seed}:{domain}"), size)

    lists = build_lists(context("lists"))
    books = Books()
    sales = Sales(context("sales"), lists, books)
    purchases = Purchases(context("purchases"), lists, books)
    bookkeeping = Bookkeeping(context("books"), lists, books)
    timing = random.Random(f"qbd-sample:{seed}:times")
    yield from sched.take(SETUP_DAY, timing, calendar)
    for day in iter_days():
        bookkeeping.morning(day)
        sales.day(day)
        purchases.day(day)
        bookkeeping.evening(day)
        yield from sched.take(day, timing, calendar)


def resolve(value: Any, ids: dict[int, str]) -> Any:
    """``value`` with every :class:`Ref` replaced by the id it names."""
    if isinstance(value, Ref):
        return ids[value.key]
    if isinstance(value, dict):
        return {name: resolve(inner, ids) for name, inner in value.items()}
    if isinstance(value, list):
        return [resolve(inner, ids) for inner in value]
    return value


class _Applier:
    """Applies operations to a company, keeping the id of every record it made.

    With ``bulk`` (the company's trusted writes) no qbXML request is built and no Ret returned;
    without it every operation goes through the checked Python API. Both make the same company.
    """

    def __init__(self, company: Company, bulk: Bulk | None = None) -> None:
        self.company = company
        self.bulk = bulk
        self.ids: dict[int, str] = {}
        self.counts: Counter[str] = Counter()

    def apply(self, op: Op) -> None:
        id_field = _id_field(op.object)
        company, bulk = self.company, self.bulk
        if op.action == "add":
            fields = resolve(op.fields, self.ids)
            if bulk is not None:
                new_id = bulk.add(op.object, fields, at=op.at)
            else:
                new_id = str(company.add(op.object, fields, at=op.at)[id_field])
            if op.key is not None:
                self.ids[op.key] = new_id
            self.counts[op.object] += 1
            return
        assert op.key is not None
        id_ = self.ids[op.key]
        if op.action == "modify":
            # Read the current EditSequence, as a client must: paying an invoice changes it.
            if bulk is not None:
                edit_sequence = bulk.edit_sequence(op.object, id_)
            else:
                current = company.get(op.object, id_)
                assert current is not None
                edit_sequence = current["EditSequence"]
            fields = {id_field: id_, "EditSequence": edit_sequence, **resolve(op.fields, self.ids)}
            if bulk is not None:
                bulk.modify(op.object, fields, at=op.at)
            else:
                company.modify(op.object, fields, at=op.at)
        elif op.action == "void":
            (bulk or company).void(op.object, id_, at=op.at)
        else:
            (bulk or company).delete(op.object, id_, at=op.at)
            self.counts[op.object] -= 1
            del self.ids[op.key]

    def apply_all(self, ops: Iterable[Op]) -> None:
        for op in ops:
            try:
                self.apply(op)
            except Exception as exc:
                message = f"the sample company's {op.action} of {op.object} at {op.at} failed: {exc}"
                raise SampleError(message) from exc


def _id_field(object_name: str) -> str:
    """ListID or TxnID; the sales tax item, a list the catalog leaves out, has a ListID."""
    try:
        return catalog.get(object_name).id_field
    except KeyError:
        return "ListID"


def _batches(ops: Iterator[Op], size: int) -> Iterator[list[Op]]:
    batch: list[Op] = []
    for op in ops:
        batch.append(op)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def seed_company(
    company: Company,
    *,
    seed: int = 1,
    size: int | None = None,
    now: datetime | None = None,
    trusted: bool = True,
) -> dict[str, int]:
    """Fill an empty company with the sample company; return how many records of each object it holds.

    ``size``: about that many transactions in the year (default 1000); the lists grow with the
    square root of it. ``now``: the end of the history (default: the company's clock, else now).
    ``trusted``: write through :meth:`Company.bulk` (no qbXML built per write: several times
    faster); False goes through the checked ``add``/``modify``. The company is the same.
    """
    applier = _Applier(company)
    ops = plan(seed=seed, size=size, now=now or company.now(), tz=company.config.tz)
    # One SQLite transaction per batch: committing each write alone costs more than the write.
    if trusted:
        with company.bulk() as bulk:
            applier.bulk = bulk
            for chunk in _batches(ops, BATCH):
                applier.apply_all(chunk)
                bulk.commit()
    else:
        for chunk in _batches(ops, BATCH):
            with company.transaction():
                applier.apply_all(chunk)
    names = [spec.name for spec in catalog.objects() if not spec.is_report]
    return {name: applier.counts[name] for name in [*names, *sorted(set(applier.counts) - set(names))]}
