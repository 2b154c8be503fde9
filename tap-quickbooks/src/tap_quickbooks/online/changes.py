"""What changed since each stream's bookmark, found for all object streams with as few requests as QBO allows.

A run that finds nothing changed costs two requests whatever the number of streams:

* one ``cdc`` request (the change feed) for every selected stream CDC covers whose bookmark is
  within CDC's 30 days: it answers the changed objects of every type at once, deleted ones as
  ``status: Deleted`` stubs;
* one ``batch`` request with up to 30 ``Query`` items for the rest (objects CDC does not cover,
  singletons, streams with no bookmark or an older one): the first page of each, which for most
  streams is all there is.

Only what these answers cannot hold is paged afterwards, by :mod:`tap_quickbooks.online.paging`: a batch
page that came back full, or a CDC answer that reached CDC's cap (1000 objects per type, no
paging), for which the stream falls back to keyset queries from its bookmark. The feed is computed
once per run, on the first object stream's first use, and each stream takes its share.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from qbo_client.catalog import ObjectSpec
from qbo_client.errors import ValidationError, fault_error

from tap_quickbooks.times import parse_utc, to_utc_text

from .deletes import deleted_record
from .paging import PageScheduler, Row, StreamJob, Window
from .queries import ObjectQuery, rows_of

if TYPE_CHECKING:
    from qbo_client.client import QBOClient

log = logging.getLogger("tap_quickbooks.online.changes")

#: How far back CDC answers (QBO: 30 days), less a margin for clocks and a long run.
CDC_REACH = timedelta(days=30) - timedelta(hours=1)
#: Items per batch request (QBO: 30).
BATCH_ITEMS = 30
#: Rows of the first page asked for in the batch: enough for most incremental runs, small
#: enough that a batch of 30 full first pages stays quick.
PROBE_ROWS = 100


class FeedStream(Protocol):
    """What the feed needs of an object stream."""

    name: str
    spec: ObjectSpec
    query: ObjectQuery
    #: Read whole in the batch (a singleton), never paged.
    single: bool

    @property
    def rank(self) -> int: ...

    @property
    def reconcile(self) -> bool: ...

    @property
    def include_deletes(self) -> bool: ...

    def start_text(self) -> str | None: ...

    def has_id_baseline(self) -> bool: ...

    def prepare_row(self, row: Row) -> Row: ...


@dataclass
class Plan:
    """How one stream is read this run."""

    stream: FeedStream
    #: Rows updated at or after this are emitted (None: all).
    start: str | None
    #: Where reading starts: ``start``, or None for a reconcile scan of the whole object.
    read_from: str | None
    single: bool = False
    #: The stream's changed rows come from the CDC answer.
    via_cdc: bool = False
    #: The stream is in the CDC request for its deletes only (it is scanned for its rows).
    cdc_deletes: bool = False

    @property
    def name(self) -> str:
        return self.stream.name


@dataclass
class Fetched:
    """A stream's share of the feed."""

    plan: Plan
    #: Rows already read (the batch's first page or the CDC answer).
    rows: list[Row] = field(default_factory=list)
    #: The rest, paged concurrently.
    job: StreamJob | None = None
    #: CDC's delete stubs, already prepared as records.
    deleted: list[Row] = field(default_factory=list)
    #: ``deleted`` holds every delete since the stream's start (CDC answered in full).
    deletes_complete: bool = False
    #: CDC answered this stream's cap: deletes beyond it may be missing.
    cdc_capped: bool = False
    error: BaseException | None = None


class ChangeFeed:
    """The run's CDC request and first-page batches, shared by every object stream."""

    def __init__(
        self,
        client: QBOClient,
        scheduler: PageScheduler,
        *,
        hi: str,
        page_size: int,
        cdc_cap: int,
    ) -> None:
        self.client = client
        self.scheduler = scheduler
        self.hi = hi
        self.page_size = page_size
        self.probe = min(page_size, PROBE_ROWS)
        self.cdc_cap = cdc_cap
        self._fetched: dict[str, Fetched] = {}

    def plan(self, stream: FeedStream) -> Plan:
        spec = stream.spec
        start = stream.start_text()
        if stream.single:
            return Plan(stream, start, start, single=True)
        cdc_ok = spec.cdc and start is not None and parse_utc(start) >= parse_utc(self.hi) - CDC_REACH
        # A reconcile scan reads everything (the Id set needs every Id); it is needed when CDC
        # cannot give the deletes, or when there is no remembered Id set to keep up to date.
        scan = stream.reconcile and not (cdc_ok and stream.has_id_baseline())
        # CDC cannot apply a user's stream filter: a filtered stream's rows come from its queries,
        # and CDC gives only its deletes, which the stream keeps for the Ids it remembers.
        filtered = stream.query.filtered
        return Plan(
            stream,
            start,
            None if scan else start,
            via_cdc=cdc_ok and not scan and not filtered,
            cdc_deletes=cdc_ok and stream.include_deletes and (scan or (filtered and stream.reconcile)),
        )

    def compute(self, streams: Sequence[FeedStream]) -> None:
        """Read the feed of every stream (one CDC request and the batches, concurrently)."""
        plans = [self.plan(s) for s in streams]
        for p in plans:
            self._fetched[p.name] = Fetched(p)
        cdc_plans = [p for p in plans if p.via_cdc or p.cdc_deletes]
        batch_plans = [p for p in plans if not p.via_cdc]
        chunks = [batch_plans[i : i + BATCH_ITEMS] for i in range(0, len(batch_plans), BATCH_ITEMS)]
        with ThreadPoolExecutor(max_workers=1 + len(chunks), thread_name_prefix="qbo-feed") as pool:
            cdc_future = pool.submit(self._read_cdc, cdc_plans) if cdc_plans else None
            batch_futures = [pool.submit(self._read_batch, chunk) for chunk in chunks]
            for future in batch_futures:
                future.result()
            if cdc_future is not None:
                fallback = cdc_future.result()
                if fallback:
                    # CDC refused the request: these streams are read by queries from their bookmark.
                    for p in fallback:
                        p.via_cdc = p.cdc_deletes = False
                        self._start_job(self._fetched[p.name], p.read_from, frozenset())

    def take(self, name: str) -> Fetched:
        """A stream's share (computed by :meth:`compute`); taken once."""
        return self._fetched.pop(name)

    def pending(self, name: str) -> bool:
        return name in self._fetched

    # -- the two kinds of request ---------------------------------------------------------------

    def _read_cdc(self, plans: list[Plan]) -> list[Plan]:
        """Share out one CDC answer; the plans it could not serve, when CDC refused the request."""
        since = min(p.start for p in plans if p.start is not None)
        try:
            answer = self.client.cdc([p.name for p in plans], parse_utc(since))
        except ValidationError as exc:
            log.warning(
                "the change feed (CDC) refused the request (%s); reading %s by query instead, "
                "without CDC's deletes",
                exc,
                ", ".join(p.name for p in plans),
            )
            return [p for p in plans if p.via_cdc]
        for p in plans:
            fetched = self._fetched[p.name]
            found = answer.get(p.name) or []
            live: list[Row] = []
            gone: list[Row] = []
            for row in found:
                (gone if row.get("status") == "Deleted" else live).append(row)
            fetched.cdc_capped = len(found) >= self.cdc_cap
            fetched.deletes_complete = not fetched.cdc_capped
            fetched.deleted = [self._deleted(stub) for stub in gone]
            fetched.deleted = [
                d for d in fetched.deleted if p.start is None or d["LastUpdatedTime"] >= p.start
            ]
            if not p.via_cdc:
                continue
            if fetched.cdc_capped:
                log.warning(
                    "%s: CDC answered its cap of %d changed objects, so it may have left some out: "
                    "reading %s by query from its bookmark instead",
                    p.name,
                    self.cdc_cap,
                    p.name,
                )
                read_from = None if p.stream.reconcile else p.start
                p.read_from = read_from
                self._start_job(fetched, read_from, frozenset())
                continue
            for row in live:
                p.stream.prepare_row(row)
                if p.start is None or row["LastUpdatedTime"] >= p.start:
                    fetched.rows.append(row)
        return []

    def _deleted(self, stub: dict[str, Any]) -> Row:
        when = (stub.get("MetaData") or {}).get("LastUpdatedTime")
        stamp = to_utc_text(str(when)) if when else self.hi
        return deleted_record(str(stub.get("Id")), stamp)

    def _read_batch(self, plans: list[Plan]) -> None:
        items = []
        for i, p in enumerate(plans):
            query = p.stream.query
            text = query.everything() if p.single else query.page(p.read_from, self.hi, self.probe)
            items.append({"bId": str(i), "Query": text})
        # A requestid makes the batch safe to retry (it only reads): the client retries 5xx and
        # dropped connections only for requests QBO can replay.
        answers = self.client.batch(items, request_id=uuid.uuid4().hex)
        for p, item in zip(plans, answers, strict=True):
            fetched = self._fetched[p.name]
            if "QueryResponse" not in item:
                fault = item.get("Fault") or {"Error": [{"Message": "the batch item got no answer"}]}
                fetched.error = fault_error(400, {"Fault": fault})
                continue
            rows = rows_of(item.get("QueryResponse") or {})
            for row in rows:
                p.stream.prepare_row(row)
            fetched.rows = rows
            if p.single or len(rows) < self.probe:
                continue
            last = max(r["LastUpdatedTime"] for r in rows)
            seen = frozenset(r["Id"] for r in rows if r["LastUpdatedTime"] == last)
            self._start_job(fetched, last, seen)

    def _start_job(self, fetched: Fetched, lo: str | None, seen: frozenset[str]) -> None:
        stream = fetched.plan.stream
        window = Window(stream.query, lo, self.hi, self.page_size, seen)
        fetched.job = self.scheduler.job(stream.name, stream.rank, stream.prepare_row, window)


__all__ = ["ChangeFeed", "Fetched", "Plan"]
