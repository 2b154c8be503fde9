"""QuickBooks Desktop as an edition of the tap: its objects, its trial balance, and how a run reads
them through qbd-bridge.

A run is a few jobs on the bridge (see :mod:`~tap_quickbooks.desktop.plan`): phase 1, one message
set asking every selected stream's count, the lists without an iterator, the deleted objects and
the trial balance's periods; phase 2, the data of the streams that changed, several streams per
message set. The SDK syncs one stream at a time: the stream being synced gets its records as
they come, the others' wait in the run's spool (:mod:`~tap_quickbooks.desktop.spool`).

Bookmarks survive QuickBooks' time quirks (:mod:`~tap_quickbooks.desktop.times`): a run reads from
``desktop_overlap_seconds`` before the bookmark, in the company PC's local time, and skips what the
previous run emitted there: each stream keeps in its state the ids and raw ``TimeModified`` of the
records it emitted in the window the next run reads again. Within a run, a query sent again after
a lost session skips the records this run already has (id and ``TimeModified``).
"""

from __future__ import annotations

import atexit
import logging
import weakref
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import requests
from qbd_client import catalog, schemas
from qbd_client.catalog import ObjectSpec
from qbd_client.client import BridgeClient
from qbd_client.settings import DEFAULT_WAIT_FOR_QBWC
from qbd_client.xml import Element
from qbo_client.config_checks import SettingsError
from singer_sdk import typing as th

from tap_quickbooks.edition import ObjectDefinition, Record, ReportDefinition, ReportView, StreamView
from tap_quickbooks.online.reports import period_records, report_definition
from tap_quickbooks.times import to_utc_text

from . import plan
from .changes import Answer, Event, Feed, Lost
from .deletes import DELETED_AT, STATE_KEY, decode_ids, deleted_record, encode_ids, from_deleted_ret
from .progress import Progress
from .reports import REPORTS, trial_balance
from .spool import Spool
from .times import local_text, offset_minutes, read_from, zone

if TYPE_CHECKING:
    from tap_quickbooks.reports import Period

log = logging.getLogger("tap_quickbooks.desktop")

REPLICATION_KEY = "TimeModified"
#: State key: {id: raw TimeModified} of the records emitted in the window the next run reads again.
RECENT_KEY = "recent"
#: What marks a delete's TimeDeleted among the raw times of :data:`RECENT_KEY`.
DELETED_MARK = "deleted "
#: State key: the UTC offset (minutes) the company's records carry (used without company_timezone).
OFFSET_KEY = "utc_offset_minutes"

DEFAULT_PAGE = 100
MAX_PAGE = 1000
DEFAULT_BUDGET = 500
DEFAULT_OVERLAP = 600

#: The tap's own Desktop settings (``desktop_`` prefix: QuickBooks Online refuses them).
DESKTOP_SETTINGS: list[th.Property[Any]] = [
    th.Property(
        "desktop_page_size",
        th.IntegerType(minimum=1, maximum=MAX_PAGE),
        default=DEFAULT_PAGE,
        description=(
            "Desktop: records per iterator page. The Web Connector times out on large answers; "
            "100-200 records per page is what working integrations use"
        ),
    ),
    th.Property(
        "desktop_records_per_message_set",
        th.IntegerType(minimum=1),
        default=DEFAULT_BUDGET,
        description=(
            "Desktop: records one message set may bring back (the streams read together in one round "
            "trip share it): the response-size budget that keeps the Web Connector from timing out"
        ),
    ),
    th.Property(
        "desktop_overlap_seconds",
        th.IntegerType(minimum=0),
        default=DEFAULT_OVERLAP,
        description=(
            "Desktop: seconds before the bookmark read again (clock skew between QuickBooks' PC and "
            "this host); what the previous run emitted there is skipped"
        ),
    ),
]
DESKTOP_ONLY: tuple[str, ...] = tuple(p.name for p in DESKTOP_SETTINGS)


def object_schema(spec: ObjectSpec, *, include_deletes: bool) -> dict[str, Any]:
    """The generated schema of an object, its replication key in UTC, and ``_sdc_deleted_at``."""
    schema = schemas.load(spec.name)
    props = schema["properties"]
    props[REPLICATION_KEY] = {
        "type": ["string"],
        "format": "date-time",
        "description": "When QuickBooks last modified the record (deleted it, for a delete), in UTC; "
        "the replication key",
    }
    if include_deletes:
        props[DELETED_AT] = {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "Set on a record that stands for a deleted object: when it was deleted (UTC)",
        }
    return schema


def _int(config: Mapping[str, Any], name: str, default: int, low: int = 0) -> int:
    value = config.get(name)
    return default if value is None or value == "" else max(low, int(value))


class DesktopEdition:
    """QuickBooks Desktop through qbd-bridge: every list and transaction of :mod:`qbd_client.catalog`,
    keyed by ListID or TxnID, replicated on ``TimeModified`` (in UTC), and the trial balance."""

    product = "QuickBooks Desktop"

    def objects(self, config: Mapping[str, Any]) -> list[ObjectDefinition]:
        """A stream for every list and transaction of the catalog."""
        include = bool(config.get("include_deletes", True))
        return [
            ObjectDefinition(
                spec.name,
                object_schema(spec, include_deletes=include),
                (spec.id_field,),
                REPLICATION_KEY,
            )
            for spec in catalog.objects()
            if not spec.is_report
        ]

    def reports(self, config: Mapping[str, Any]) -> list[ReportDefinition]:
        """The reports of the ``reports`` setting that Desktop has (the trial balance)."""
        names = config.get("reports")
        wanted = list(REPORTS) if names is None else [str(n) for n in names]
        return [report_definition(name) for name in dict.fromkeys(wanted) if name in REPORTS]

    def start(
        self,
        config: Mapping[str, Any],
        upper_bound: str,
        selected: Callable[[], Sequence[StreamView]],
        selected_reports: Callable[[], Sequence[ReportView]],
    ) -> DesktopRun:
        """A run up to ``upper_bound``; nothing is asked of the bridge before the first read."""
        return DesktopRun(config, upper_bound, selected, selected_reports)


class _StreamRead:
    """One stream's read in one run: where it starts, what came for it, what it keeps."""

    def __init__(self, view: StreamView, run: DesktopRun) -> None:
        self.view = view
        self.name = view.name
        self.spec = catalog.get(view.name)
        self.id_field = self.spec.id_field
        props = schemas.load(self.spec.name)["properties"]
        self.name_field = next((f for f in ("FullName", "RefNumber") if f in props), None)
        start = view.start_text()
        #: The UTC offset the company's records carry (minutes), from this run or the last.
        saved_offset = view.saved(OFFSET_KEY)
        self.offset: int | None = int(saved_offset) if isinstance(saved_offset, int) else None
        #: UTC text the query reads from (None: every record), and the same as QuickBooks reads it.
        self.from_utc = read_from(start, run.overlap, run.tz) if start else None
        self.from_local = local_text(self.from_utc, run.tz, self.offset) if self.from_utc else None
        #: What the next run will skip: records at or after this (its read_from of our bound).
        self.keep_from = read_from(run.upper_bound, run.overlap, run.tz)
        saved = view.saved(RECENT_KEY)
        self.before: dict[str, str] = (
            {str(k): str(v) for k, v in saved.items()} if isinstance(saved, dict) else {}
        )
        self.recent: dict[str, str] = {}
        #: (raw TimeModified) per id of what this run took while its queries run (a query sent
        #: again after a lost session brings them again).
        self.seen: dict[str, set[str]] = {}
        self.pending: set[str] = set()
        self.expected: int | None = None
        self.id_expected: int | None = None
        self.ids: set[str] = set()
        self.deleted: list[Record] = []
        self.queue: deque[Record] = deque()
        self.live = False
        self.completed = False
        self.include_deletes = view.include_deletes
        self.reconcile = view.include_deletes and view.reconcile_deletes

    def _fresh(self, id_: str, raw: str) -> bool:
        """Not emitted by the last run (in the window read again) nor by this one."""
        if self.before.get(id_) == raw:
            return False
        seen = self.seen.setdefault(id_, set())
        if raw in seen:
            return False
        seen.add(raw)
        return True

    def take(self, record: Record) -> Record | None:
        """A record as the stream emits it (``TimeModified`` in UTC), or None when it was emitted."""
        id_ = str(record.get(self.id_field, ""))
        raw = str(record.get(REPLICATION_KEY) or "")
        if not raw or not self._fresh(id_, raw):
            return None
        found = offset_minutes(raw)
        if found is not None:
            self.offset = found
        utc = to_utc_text(raw)
        record[REPLICATION_KEY] = utc
        if utc >= self.keep_from:
            self.recent[id_] = raw
        return record

    def take_deleted(self, ret: Mapping[str, Any]) -> None:
        """A deleted object of this stream, kept when this run's read covers its deletion."""
        if not self.include_deletes or self.from_utc is None:
            return
        raw = str(ret.get("TimeDeleted") or "")
        id_ = str(ret.get(self.id_field) or "")
        # Kept apart from the record's own versions: added and deleted within one second, the
        # delete has the TimeModified of the add.
        key = DELETED_MARK + raw
        if not raw or not id_ or to_utc_text(raw) < self.from_utc or not self._fresh(id_, key):
            return
        record = from_deleted_ret(ret, self.id_field, self.name_field)
        if record[REPLICATION_KEY] >= self.keep_from:
            self.recent[id_] = key
        self.deleted.append(record)

    def finish(self) -> None:
        """Keep what the next run needs: the records of the window it reads again, the offset."""
        kept = {id_: raw for id_, raw in self.before.items() if _utc_or_none(raw) >= self.keep_from}
        kept.update(self.recent)
        self.view.keep(RECENT_KEY, dict(sorted(kept.items())))
        if self.offset is not None:
            self.view.keep(OFFSET_KEY, self.offset)


def _utc_or_none(raw: str) -> str:
    """A raw QuickBooks date-time (of a record or a delete) in UTC text ("" when it is not one)."""
    try:
        return to_utc_text(raw.removeprefix(DELETED_MARK))
    except ValueError:
        return ""


def _close_at_exit(ref: weakref.ref[DesktopRun]) -> None:
    run = ref()
    if run is not None:
        run.close()


class DesktopRun:
    """One run against one company on qbd-bridge."""

    def __init__(
        self,
        config: Mapping[str, Any],
        upper_bound: str,
        selected: Callable[[], Sequence[StreamView]],
        selected_reports: Callable[[], Sequence[ReportView]],
    ) -> None:
        self.config = config
        self.upper_bound = upper_bound
        self.page = max(1, min(MAX_PAGE, _int(config, "desktop_page_size", DEFAULT_PAGE, 1)))
        self.budget = _int(config, "desktop_records_per_message_set", DEFAULT_BUDGET, 1)
        self.overlap = _int(config, "desktop_overlap_seconds", DEFAULT_OVERLAP)
        self.tz = zone(config.get("company_timezone"))
        self.wait = float(config.get("wait_for_qbwc") or DEFAULT_WAIT_FOR_QBWC)
        self._selected = selected
        self._selected_reports = selected_reports
        self._feed: Feed | None = None
        self._http: requests.Session | None = None
        self.spool = Spool()
        self.reads: dict[str, _StreamRead] = {}
        #: Trial balance answers by (stream, period start, period end, method): ReportRet, when read.
        self.report_rets: dict[tuple[str, ...], tuple[Element | None, str]] = {}
        #: ListID by account full name (for the trial balance).
        self.accounts: dict[str, str] | None = None
        self._awaiting: set[str] = set()
        self._begun = False

    @property
    def feed(self) -> Feed:
        """The run's jobs on the bridge (its client made at first use: discovery needs no network)."""
        if self._feed is None:
            # The run's own HTTP session, so that closing the run closes its connections.
            self._http = requests.Session()
            client = BridgeClient(
                str(self.config.get("bridge_url") or ""),
                str(self.config.get("bridge_token") or ""),
                str(self.config.get("company") or ""),
                session=self._http,
            )
            self._feed = Feed(client, self.wait)
            # A run that stops early (an error, a signal) leaves no job queued and no spool behind.
            atexit.register(_close_at_exit, weakref.ref(self))
        return self._feed

    def looked_up(self) -> Mapping[str, Sequence[str]]:
        """Always empty: ``ids`` is a QuickBooks Online setting (the settings check refuses it here)."""
        return {}

    def records_by_id(self, stream: StreamView, ids: Sequence[str]) -> Iterator[Record]:
        """Not offered for QuickBooks Desktop (``ids`` is refused by the settings check)."""
        raise SettingsError(f"{stream.name}: reading by Id (the ids setting) is a QuickBooks Online setting")

    def close(self) -> None:
        """Cancel the run's unsent work on the bridge and remove the spool."""
        if self._feed is not None:
            self._feed.close()
        if self._http is not None:
            self._http.close()
        self.spool.close()

    # -- planning -------------------------------------------------------------------------------

    def _begin(self) -> None:
        if not self._begun:
            self._begun = True
            views = sorted(self._selected(), key=lambda v: v.rank)
            self._plan(views, list(self._selected_reports()))

    def _plan(self, views: Sequence[StreamView], reports: Sequence[ReportView]) -> None:
        """Phase 1 (one message set, read now), then phase 2 submitted as one job."""
        reads = [_StreamRead(view, self) for view in views]
        for read in reads:
            self.reads[read.name] = read
        first: list[plan.Query] = []
        for read in reads:
            spec = read.spec
            if spec.iterator:
                first.append(plan.object_query(spec, plan.COUNT, read.from_local, self.page))
            else:
                first.append(plan.object_query(spec, plan.DATA, read.from_local, self.page))
            if read.reconcile:
                kind = plan.IDCOUNT if spec.iterator else plan.IDS
                first.append(plan.object_query(spec, kind, None, self.page))
        for lists in (True, False):
            deleting = [r for r in reads if r.spec.is_list == lists and r.include_deletes and r.from_utc]
            deleting = [r for r in deleting if r.spec.can_delete]
            if deleting:
                earliest = min(str(r.from_utc) for r in deleting)
                since = local_text(earliest, self.tz, next((r.offset for r in deleting if r.offset), None))
                first.append(plan.deleted_query([r.spec for r in deleting], since))
        for report in reports:
            for period in report.planned_periods():
                for method in report.accounting_methods():
                    first.append(
                        plan.trial_balance_query(
                            report.name, period.start.isoformat(), period.end.isoformat(), method
                        )
                    )
        if reports and self.accounts is None:
            first.append(plan.accounts_query())
        for query in first:
            if query.purpose in (plan.DATA, plan.IDS):
                self.reads[query.stream].pending.add(query.request_id)
            else:
                self._awaiting.add(query.request_id)
        if not first:
            return
        self.feed.submit([first], "changes and counts")
        self._wait_for_awaited()
        second: list[plan.Query] = []
        for read in reads:
            if read.spec.iterator and read.expected:
                second.append(
                    plan.object_query(
                        read.spec, plan.DATA, read.from_local, self.page, min(read.expected, self.page)
                    )
                )
            if read.spec.iterator and read.reconcile and read.id_expected:
                second.append(
                    plan.object_query(read.spec, plan.IDS, None, self.page, min(read.id_expected, self.page))
                )
        for query in second:
            self.reads[query.stream].pending.add(query.request_id)
        sets = plan.pack(second, self.budget)
        if sets:
            log.info(
                "reading %d stream(s) in %d message set(s) of up to %d records each",
                len({q.stream for q in second}),
                len(sets),
                self.budget,
            )
        self.feed.submit(sets, "records")

    def _wait_for_awaited(self) -> None:
        while self._awaiting:
            if not self._pump():
                raise RuntimeError(f"the bridge's jobs ended without answering {sorted(self._awaiting)}")

    # -- answers --------------------------------------------------------------------------------

    def _pump(self) -> bool:
        events = self.feed.pump()
        if events is None:
            return False
        for event in events:
            self._handle(event)
        return True

    def _handle(self, event: Event) -> None:
        if isinstance(event, Lost):
            again = [
                q
                for q in event.queries
                if q.stream in self.reads and q.request_id in self.reads[q.stream].pending
            ]
            if again:
                log.info(
                    "the Web Connector's session ended mid-iterator (%s): reading %s again, skipping what "
                    "this run already has",
                    event.message,
                    ", ".join(sorted({q.stream for q in again})),
                )
                self.feed.submit([again], "records again after a lost session")
            return
        self._answer(event)

    def _answer(self, answer: Answer) -> None:
        query, response = answer.query, answer.response
        if not response.ok:
            raise response.error()
        if response.status_code >= 500:
            log.warning(
                "%s: QuickBooks warns %s: %s", query.tag, response.status_code, response.status_message
            )
        purpose = query.purpose
        self._awaiting.discard(query.request_id)
        if purpose == plan.COUNT:
            self.reads[query.stream].expected = response.ret_count or 0
        elif purpose == plan.IDCOUNT:
            self.reads[query.stream].id_expected = response.ret_count or 0
        elif purpose == plan.DATA:
            read = self.reads[query.stream]
            for found in response.records():
                record = read.take(found)
                if record is None:
                    continue
                if read.live:
                    read.queue.append(record)
                else:
                    self.spool.write(read.name, record)
        elif purpose == plan.IDS:
            read = self.reads[query.stream]
            read.ids.update(str(r.get(read.id_field)) for r in response.records() if r.get(read.id_field))
        elif purpose in (plan.LIST_DELETED, plan.TXN_DELETED):
            type_field = "ListDelType" if purpose == plan.LIST_DELETED else "TxnDelType"
            for ret in response.records():
                try:
                    spec = catalog.by_del_type(str(ret.get(type_field)))
                except KeyError:
                    continue
                if spec.name in self.reads:
                    self.reads[spec.name].take_deleted(ret)
        elif purpose == plan.REPORT:
            rets = response.rets
            when = datetime.now(timezone.utc).isoformat(timespec="seconds")
            self.report_rets[(query.stream, *query.key)] = (rets[0] if rets else None, when)
        elif purpose == plan.ACCOUNTS:
            self.accounts = {
                str(r["FullName"]): str(r["ListID"]) for r in response.records() if r.get("FullName")
            }
        if answer.done and purpose in (plan.DATA, plan.IDS):
            read = self.reads[query.stream]
            read.pending.discard(query.request_id)
            if not read.pending:
                read.seen.clear()  # nothing more comes for it: no query to send again

    # -- what the Singer side asks ----------------------------------------------------------------

    def records(self, stream: StreamView) -> Iterator[Record]:
        """The stream's records changed since its start (the window before it read again, what was
        emitted there skipped), then its deletes, then the ids that reconciliation finds gone."""
        self._begin()
        read = self.reads.get(stream.name)
        if read is None or read.completed:
            # Selected after the run planned, or synced twice: read it alone.
            self._plan([stream], [])
            read = self.reads[stream.name]
        read.live = True
        progress = Progress(read.name, stream.logger, read.expected)
        try:
            for record in self.spool.replay(read.name):
                progress.add()
                yield record
            while True:
                while read.queue:
                    progress.add()
                    yield read.queue.popleft()
                if not read.pending:
                    break
                if not self._pump():
                    raise RuntimeError(f"{read.name}: the bridge's jobs ended before its records came")
        finally:
            read.live = False
        yield from read.deleted
        if read.reconcile:
            yield from self._reconcile(read)
        read.finish()
        read.completed = True
        if progress.done:
            stream.logger.info("%s", progress.line())

    def _reconcile(self, read: _StreamRead) -> Iterator[Record]:
        saved = read.view.saved(STATE_KEY)
        baseline: set[str] | None = None
        if saved is not None:
            try:
                baseline = decode_ids(str(saved))
            except ValueError as exc:
                read.view.logger.warning(
                    "%s: the remembered id set is unusable (%s); starting a new one", read.name, exc
                )
        if baseline is not None:
            deleted = {str(r[read.id_field]) for r in read.deleted}
            gone = sorted(baseline - read.ids - deleted)
            if gone:
                read.view.logger.info("%s: %d deleted object(s) found by comparing ids", read.name, len(gone))
            for id_ in gone:
                yield deleted_record(read.id_field, id_, self.upper_bound)
        read.view.keep(STATE_KEY, encode_ids(read.ids))

    def report_records(
        self, report: ReportView, periods: Sequence[Period], methods: Sequence[str]
    ) -> Iterator[Record]:
        """The trial balance of every period in every accounting method, period by period."""
        self._begin()
        missing = [
            plan.trial_balance_query(report.name, p.start.isoformat(), p.end.isoformat(), m)
            for p in periods
            for m in methods
            if (report.name, p.start.isoformat(), p.end.isoformat(), m) not in self.report_rets
        ]
        if self.accounts is None:
            missing.append(plan.accounts_query())
        if missing:
            self._awaiting.update(q.request_id for q in missing)
            self.feed.submit([missing], "trial balance")
            self._wait_for_awaited()
        accounts = self.accounts or {}
        for period in periods:
            for method in methods:
                ret, when = self.report_rets.pop(
                    (report.name, period.start.isoformat(), period.end.isoformat(), method), (None, "")
                )
                if ret is None:
                    continue
                yield from period_records(
                    report.name, period, method, [trial_balance(ret, period, accounts)], when, report.logger
                )


__all__ = [
    "DESKTOP_ONLY",
    "DESKTOP_SETTINGS",
    "DesktopEdition",
    "DesktopRun",
    "object_schema",
]
