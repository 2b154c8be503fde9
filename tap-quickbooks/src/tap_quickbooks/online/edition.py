"""QuickBooks Online as an edition of the tap: its objects, its reports, and how a run reads them.

A run shares one :class:`~qbo_client.client.QBOClient` (its limiter keeps the whole process under
QuickBooks' limits), one :class:`~tap_quickbooks.online.paging.PageScheduler` (the worker threads
that page every stream) and one :class:`~tap_quickbooks.online.changes.ChangeFeed` (the run's CDC
and batch requests), all made at first use: discovery needs no network.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from qbo_client import catalog, custom_fields, schemas
from qbo_client.catalog import ObjectSpec
from qbo_client.client import QBOClient

from tap_quickbooks.edition import ObjectDefinition, Record, ReportDefinition, ReportView, StreamView
from tap_quickbooks.times import next_second, to_utc_text

from . import attachments as files
from .changes import ChangeFeed, Fetched
from .deletes import DELETED_AT, STATE_KEY, decode_ids, deleted_record, encode_ids, numeric_ids
from .lookups import describe_missing, parse_ids, read_by_ids
from .paging import PageScheduler, Row
from .queries import MAX_PAGE, ObjectQuery
from .reports import report_definitions, report_reader

if TYPE_CHECKING:
    from tap_quickbooks.reports import Period

REPLICATION_KEY = "LastUpdatedTime"
#: What a row without MetaData sorts as (QBO always sends MetaData; this only keeps paging sane).
_EPOCH = "1970-01-01T00:00:00+00:00"
#: Ids per ``Id IN (...)`` query when checking which missing Ids still exist.
_IDS_PER_QUERY = 200


def company_custom_fields(config: Mapping[str, Any]) -> dict[str, tuple[custom_fields.Definition, ...]]:
    """The company's custom fields by object when ``custom_fields_as_columns`` is on (one read of its
    Preferences), else nothing."""
    if not config.get("custom_fields_as_columns"):
        return {}
    client = QBOClient.from_config(dict(config))
    try:
        return custom_fields.definitions(client.preferences())
    finally:
        client.close()


def object_schema(spec: ObjectSpec, *, include_deletes: bool) -> dict[str, Any]:
    """The generated schema of an object plus what the tap adds to each record."""
    schema = schemas.load(spec.name)
    props = schema["properties"]
    props[REPLICATION_KEY] = {
        "type": ["string"],
        "format": "date-time",
        "description": "MetaData.LastUpdatedTime in UTC; the replication key",
    }
    if not spec.has_id:
        props["Id"] = {
            "type": ["string"],
            "description": f"Synthetic key added by the tap: {' : '.join(spec.natural_key)}",
        }
    if include_deletes:
        props[DELETED_AT] = {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "Set on a record that stands for a deleted object: when it was deleted",
        }
    return schema


class OnlineEdition:
    """QuickBooks Online: every object of :mod:`qbo_client.catalog`, keyed by ``Id``, replicated on
    ``MetaData.LastUpdatedTime`` (copied to the top level in UTC), and the reports."""

    product = "QuickBooks Online"

    def objects(self, config: Mapping[str, Any]) -> list[ObjectDefinition]:
        """A stream for every object of the catalog (with ``custom_fields_as_columns``, the sales
        forms' and purchase orders' custom fields as columns: discovery then reads Preferences)."""
        include = bool(config.get("include_deletes", True))
        custom = company_custom_fields(config)
        found = []
        for spec in catalog.OBJECTS:
            schema = object_schema(spec, include_deletes=include)
            for field in custom.get(spec.name, ()):
                schema["properties"][field.column] = {
                    "type": ["string", "null"],
                    "description": f"The custom field {field.name!r} (DefinitionId {field.definition_id})",
                }
            if spec.name == files.STREAM and files.enabled(config):
                schema["properties"].update(files.schema_properties())
            found.append(ObjectDefinition(spec.name, schema, ("Id",), REPLICATION_KEY))
        return found

    def reports(self, config: Mapping[str, Any]) -> list[ReportDefinition]:
        """The reports the ``reports`` setting asks for."""
        return report_definitions(config)

    def start(
        self,
        config: Mapping[str, Any],
        upper_bound: str,
        selected: Callable[[], Sequence[StreamView]],
        selected_reports: Callable[[], Sequence[ReportView]] | None = None,
    ) -> OnlineRun:
        """A run up to ``upper_bound`` (its objects' queries checked now: a bad filter stops it here).

        The selected reports are not asked for: QuickBooks Online reads each report when its stream
        syncs."""
        return OnlineRun(config, upper_bound, selected)


class OnlineObject:
    """How one object is read: its catalog entry, its queries, what the tap adds to its rows."""

    def __init__(self, spec: ObjectSpec, user_filter: str | None) -> None:
        self.spec = spec
        self.query = ObjectQuery.for_spec(spec, user_filter)
        #: Read whole in the batch instead of paged (CompanyInfo, Company, Preferences).
        self.single = spec.is_singleton
        #: The company's custom fields this object's rows get as columns (``custom_fields_as_columns``).
        self.custom: tuple[custom_fields.Definition, ...] = ()

    def prepare_row(self, row: Row) -> Row:
        """Add the top-level ``LastUpdatedTime`` (UTC) the tap replicates on, and for ExchangeRate,
        which has no ``Id``, a stable one from its natural key (``EUR:2026-03-26``)."""
        if not self.spec.has_id:
            row["Id"] = ":".join(str(row.get(key, "")) for key in self.spec.natural_key)
        body = row
        if self.spec.wraps:  # a RecurringTransaction, {"Invoice": {...}}: its Id and type on top
            kind = next((key for key in self.spec.wraps if isinstance(row.get(key), dict)), "")
            body = row.get(kind) or {}
            row["Id"], row["Type"] = str(body.get("Id", "")), kind
        meta = body.get("MetaData")
        stamp = meta.get("LastUpdatedTime") if isinstance(meta, dict) else None
        row[REPLICATION_KEY] = to_utc_text(stamp) if stamp else _EPOCH
        if self.custom:
            row.update(custom_fields.values(row, self.custom))
        return row


class _StreamRead:
    """One stream's read in one run: what the change feed needs of it (``changes.FeedStream``)."""

    def __init__(self, view: StreamView, obj: OnlineObject) -> None:
        self.view = view
        self.name = view.name
        self.spec = obj.spec
        self.query = obj.query
        self.single = obj.single
        self.prepare_row = obj.prepare_row

    @property
    def rank(self) -> int:
        return self.view.rank

    @property
    def include_deletes(self) -> bool:
        return self.view.include_deletes

    @property
    def reconcile(self) -> bool:
        """Whether this run compares Id sets to find deletes (only objects that can be deleted)."""
        return self.view.include_deletes and self.view.reconcile_deletes and self.spec.can_delete

    def start_text(self) -> str | None:
        return self.view.start_text()

    def has_id_baseline(self) -> bool:
        return self.view.saved(STATE_KEY) is not None


class OnlineRun:
    """One run against one company: the client, the page scheduler and the change feed it shares."""

    def __init__(
        self, config: Mapping[str, Any], upper_bound: str, selected: Callable[[], Sequence[StreamView]]
    ) -> None:
        self.config = config
        self.upper_bound = upper_bound
        self.page_size = max(1, min(MAX_PAGE, int(config.get("page_size") or MAX_PAGE)))
        filters = config.get("stream_filters") or {}
        self.objects = {spec.name: OnlineObject(spec, filters.get(spec.name)) for spec in catalog.OBJECTS}
        self.lookup = parse_ids(config)
        self._custom_read = False
        self._selected = selected
        self._client: QBOClient | None = None
        self._scheduler: PageScheduler | None = None
        self._feed: ChangeFeed | None = None
        self._files: files.AttachmentFiles | None = None
        self._lock = threading.RLock()  # _fetched holds it while it asks for the client

    @property
    def client(self) -> QBOClient:
        """The one client of the run (created on first use)."""
        with self._lock:
            if self._client is None:
                self._client = QBOClient.from_config(dict(self.config))
            return self._client

    @property
    def scheduler(self) -> PageScheduler:
        """The worker threads that page every stream of the run."""
        client = self.client
        with self._lock:
            if self._scheduler is None:
                self._scheduler = PageScheduler(client, client.config.max_in_flight, self.page_size)
            return self._scheduler

    def close(self) -> None:
        """Close the client's connections (when one was made)."""
        with self._lock:
            if self._client is not None:
                self._client.close()

    def _read(self, view: StreamView) -> _StreamRead:
        return _StreamRead(view, self.objects[view.name])

    def _fetched(self, read: _StreamRead) -> Fetched:
        """A stream's share of the run's change feed, computed for all selected streams at first use."""
        scheduler = self.scheduler
        with self._lock:
            if self._feed is None:
                self._feed = ChangeFeed(
                    self.client,
                    scheduler,
                    # Up to the end of the run's first second: the bookmark (its start) makes the
                    # next run read that second again, so what changes in it now is not lost.
                    hi=next_second(self.upper_bound),
                    page_size=self.page_size,
                    cdc_cap=int(self.config.get("cdc_max_per_entity") or 1000),
                )
                self._feed.compute([self._read(view) for view in self._selected()])
            if not self._feed.pending(read.name):
                # Synced twice, or selected after the feed was read: read its share alone.
                self._feed.compute([read])
            return self._feed.take(read.name)

    def records(self, stream: StreamView) -> Iterator[Record]:
        """Rows changed since the stream's start, then delete records (Attachable's with their files
        when ``attachments_path`` is set)."""
        return self._with_files(stream, self._object_records(stream))

    def _with_files(self, stream: StreamView, rows: Iterator[Record]) -> Iterator[Record]:
        """Attachable rows with their files downloaded (see :mod:`~tap_quickbooks.online.attachments`)."""
        if stream.name != files.STREAM or not files.enabled(self.config):
            return rows
        with self._lock:
            if self._files is None:
                url = str(self.config[files.SETTING])
                self._files = files.AttachmentFiles(url, lambda: self.client, stream.logger)
        return self._files.records(rows, workers=self.client.config.max_in_flight)

    def _object_records(self, stream: StreamView) -> Iterator[Record]:
        self._custom_columns()
        read = self._read(stream)
        fetched = self._fetched(read)
        if fetched.error is not None:
            raise fetched.error
        start = fetched.plan.start
        self._warn_about_deletes(read, fetched)
        reconcile = read.reconcile
        rows: list[Row] = []  # rows whose Ids the reconciliation needs
        # Ids emitted from the feed's first page. The paging that follows reads the run's last
        # second first: a row there with one of these Ids was updated after that page read it
        # (a second version in one run); the next run reads it, from its bookmark.
        early: set[str] = set()
        for row in fetched.rows:
            if reconcile:
                rows.append(row)
            if start is None or row[REPLICATION_KEY] >= start:
                early.add(row["Id"])
                yield row
        if fetched.job is not None:
            try:
                for page in self.scheduler.pages(fetched.job):
                    if reconcile:
                        rows.extend(page)
                    if start is None and not early:
                        yield from page
                    else:
                        for row in page:
                            if (start is None or row[REPLICATION_KEY] >= start) and row["Id"] not in early:
                                yield row
            except GeneratorExit:
                raise
            except BaseException:
                self.scheduler.cancel_all()
                raise
        if read.query.filtered:
            fetched.deleted = self._remembered_only(read, fetched.deleted)
        if read.include_deletes:
            yield from fetched.deleted
        if reconcile:
            yield from self._reconcile(read, fetched, numeric_ids(rows))

    def looked_up(self) -> Mapping[str, Sequence[str]]:
        return self.lookup

    def _custom_columns(self) -> None:
        """With ``custom_fields_as_columns``: the company's custom fields, read once per run (before
        any row is prepared: the page threads read ``OnlineObject.custom``)."""
        with self._lock:
            if self._custom_read or not self.config.get("custom_fields_as_columns"):
                return
            found = custom_fields.definitions(self.client.preferences())
            for name, defs in found.items():
                self.objects[name].custom = defs
            self._custom_read = True

    def records_by_id(self, stream: StreamView, ids: Sequence[str]) -> Iterator[Record]:
        """The records of ``ids`` (see :mod:`tap_quickbooks.online.lookups`), and a warning naming
        the Ids QuickBooks did not answer."""
        self._custom_columns()
        obj = self.objects[stream.name]
        rows, missing = read_by_ids(self.client, obj.spec, ids, obj.prepare_row)
        if missing:
            stream.logger.warning("%s", describe_missing(stream.name, missing, self.client.config.realm_id))
        yield from self._with_files(stream, iter(rows))

    def report_records(
        self, report: ReportView, periods: Sequence[Period], methods: Sequence[str]
    ) -> Iterator[Record]:
        """A report's records, period by period (see :class:`~tap_quickbooks.online.reports.ReportReader`)."""
        unit = str(self.config.get("report_period") or "month")
        yield from report_reader(self.client, report.name, unit, report.logger, self.config).records(
            periods, methods
        )

    # -- deletes ------------------------------------------------------------------------------

    def _warn_about_deletes(self, read: _StreamRead, fetched: Fetched) -> None:
        start = fetched.plan.start
        if (
            start is None
            or not read.include_deletes
            or not read.spec.can_delete
            or read.reconcile
            or fetched.deletes_complete
        ):
            return
        if read.query.filtered:
            why = "stream_filters narrows the stream, and CDC's deletes do not say whether they matched it"
        elif not read.spec.cdc:
            why = f"QuickBooks' change feed (CDC) does not cover {read.name}"
        elif fetched.cdc_capped:
            why = "CDC answered its cap of changed objects and may have left deletes out"
        else:
            why = f"the bookmark {start} is older than the 30 days CDC looks back"
        read.view.logger.warning(
            "%s: objects deleted since %s cannot come from CDC (%s). Set reconcile_deletes: true "
            "to find them: the tap then remembers the Ids it has seen and reports the ones that are gone",
            read.name,
            start,
            why,
        )

    def _reconcile(self, read: _StreamRead, fetched: Fetched, read_ids: set[int]) -> Iterator[Row]:
        """Records for Ids that are gone, and the Id set to remember for the next run."""
        saved = read.view.saved(STATE_KEY)
        baseline: set[int] | None = None
        if saved is not None:
            try:
                baseline = decode_ids(str(saved))
            except ValueError as exc:
                read.view.logger.warning(
                    "%s: the remembered Id set is unusable (%s); starting a new one", read.name, exc
                )
        cdc_deleted = numeric_ids(fetched.deleted)
        if fetched.plan.read_from is None:
            # A scan read every Id: what the baseline has and the scan did not is gone, unless it
            # was updated after the run started (and so left the scanned range): ask for those.
            missing = (baseline - read_ids) if baseline is not None else set()
            missing -= cdc_deleted
            remaining = self._still_there(read, missing)
            gone = sorted(missing - remaining)
            if gone:
                read.view.logger.info("%s: %d deleted object(s) found by comparing Ids", read.name, len(gone))
            for id_ in gone:
                yield deleted_record(str(id_), self.upper_bound)
            current = (read_ids | remaining) - cdc_deleted
        else:
            # CDC served this run: keep the set up to date with what it said.
            current = ((baseline or set()) | read_ids) - cdc_deleted
        read.view.keep(STATE_KEY, encode_ids(current))

    def _remembered_only(self, read: _StreamRead, deleted: list[Row]) -> list[Row]:
        """The deletes of a filtered stream that it emitted before: the Ids it remembers (with
        ``reconcile_deletes``); without that set no CDC delete can be told to match the filter."""
        saved = read.view.saved(STATE_KEY)
        try:
            known = decode_ids(str(saved)) if saved is not None else set()
        except ValueError:
            known = set()  # _reconcile says so and starts a new set
        return [row for row in deleted if row["Id"].isdigit() and int(row["Id"]) in known]

    def _still_there(self, read: _StreamRead, ids: set[int]) -> set[int]:
        found: set[int] = set()
        ordered = sorted(ids)
        for i in range(0, len(ordered), _IDS_PER_QUERY):
            chunk = [str(n) for n in ordered[i : i + _IDS_PER_QUERY]]
            found |= numeric_ids(self.client.query_rows(read.query.by_ids(chunk)))
        return found


__all__ = ["OnlineEdition", "OnlineObject", "OnlineRun", "object_schema"]
