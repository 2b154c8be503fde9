"""One stream per object of the catalog, built from the catalog rather than written one by one.

Every stream is named after its API object, keyed by ``Id`` and replicated incrementally on
``LastUpdatedTime``: ``MetaData.LastUpdatedTime`` copied to the top level (the SDK needs a top
level replication key) in UTC (see :mod:`tap_quickbooks.queries`). Three kinds of object behave
differently and have a class of their own: the singletons (CompanyInfo, Company, Preferences),
read whole; ExchangeRate, which has no ``Id``; and everything else.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from qbo_client import schemas
from qbo_client.catalog import ObjectSpec
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.singerlib.catalog import REPLICATION_INCREMENTAL
from typing_extensions import override

from .deletes import DELETED_AT, STATE_KEY, decode_ids, deleted_record, encode_ids, numeric_ids
from .queries import ObjectQuery, to_utc_text
from .sdk_overrides import BookmarkOnCompletion, LeanRecordMessages

if TYPE_CHECKING:
    from singer_sdk import Stream, Tap
    from singer_sdk.helpers.types import Context, Record

    from .changes import Fetched
    from .paging import Row
    from .run import RunContext

REPLICATION_KEY = "LastUpdatedTime"
#: What a row without MetaData sorts as (QBO always sends MetaData; this only keeps paging sane).
_EPOCH = "1970-01-01T00:00:00+00:00"
#: Ids per ``Id IN (...)`` query when checking which missing Ids still exist.
_IDS_PER_QUERY = 200


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


class ObjectStream(BookmarkOnCompletion, LeanRecordMessages):
    """A QBO object read through the run's shared change feed and concurrent keyset pages."""

    primary_keys = ("Id",)
    replication_key = REPLICATION_KEY
    # Windows of one stream are paged concurrently and emitted as pages arrive, so records come
    # out of time order; the bookmark moves once, to the run's start, when the stream completes
    # (tap_quickbooks.bookmarks), so a run can be interrupted anywhere and resumed.
    is_sorted = False
    # QBO's JSON already has the types the generated schemas declare: conforming every value of
    # every record would only cost time (and NONE keeps properties the schema does not list).
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    #: Read whole in the batch instead of paged (the singletons).
    single = False

    def __init__(self, tap: Tap, run: RunContext, spec: ObjectSpec) -> None:
        self.spec = spec
        self.run = run
        include = bool(tap.config.get("include_deletes", True))
        super().__init__(tap, schema=object_schema(spec, include_deletes=include), name=spec.name)
        filters = tap.config.get("stream_filters") or {}
        self.query = ObjectQuery.for_spec(spec, filters.get(spec.name))

    # -- what the change feed asks ----------------------------------------------------------------

    @property
    def rank(self) -> int:
        """Where this stream comes in the order the SDK syncs streams."""
        return self.run.rank(self.name)

    @property
    def include_deletes(self) -> bool:
        return bool(self.config.get("include_deletes", True))

    @property
    def reconcile(self) -> bool:
        """Whether this run compares Id sets to find deletes (only objects that can be deleted)."""
        return self.include_deletes and bool(self.config.get("reconcile_deletes")) and self.spec.can_delete

    def _saved_state(self) -> dict[str, Any]:
        # Read without creating: ``stream_state`` would add an empty bookmark for every stream.
        found = (self.tap_state.get("bookmarks") or {}).get(self.name)
        return found if isinstance(found, dict) else {}

    def start_text(self) -> str | None:
        """Where this run starts: the later of the bookmark and ``start_date`` (None: everything)."""
        if self.replication_method != REPLICATION_INCREMENTAL:
            return None
        state = self._saved_state()
        values = [self.config.get("start_date")]
        if state.get("replication_key") == self.replication_key:
            values.append(state.get("replication_key_value"))
        found = []
        for value in values:
            if value:
                try:
                    found.append(to_utc_text(str(value)))
                except ValueError:
                    raise ValueError(f"{self.name}: {value!r} is not a date-time") from None
        return max(found) if found else None

    def has_id_baseline(self) -> bool:
        return STATE_KEY in self._saved_state()

    def prepare_row(self, row: Row) -> Row:
        """Add the top-level ``LastUpdatedTime`` (UTC) the tap replicates on."""
        meta = row.get("MetaData")
        stamp = meta.get("LastUpdatedTime") if isinstance(meta, dict) else None
        row[REPLICATION_KEY] = to_utc_text(stamp) if stamp else _EPOCH
        return row

    # -- SDK hooks --------------------------------------------------------------------------------

    @override
    def generate_child_contexts(self, record: Record, context: Context | None) -> Iterable[Context | None]:
        """None: these streams have no child streams (the SDK's default copies every record for them)."""
        if self.child_streams:
            yield from super().generate_child_contexts(record, context)

    @override
    def get_replication_key_signpost(self, context: Context | None = None) -> str:
        """The run's upper bound (its start, whole seconds, UTC), in the same text as the records.

        Overridden so the SDK compares like with like: its default is a datetime with
        microseconds, and bookmarks are compared as text.
        """
        return self.run.upper_bound

    @override
    def get_records(self, context: Context | None) -> Iterable[Record]:
        """Rows changed since the bookmark, then delete records; the bookmark ends at the run's start."""
        fetched = self.run.feed_for(self)
        if fetched.error is not None:
            raise fetched.error
        plan = fetched.plan
        start = plan.start
        self._warn_about_deletes(fetched)
        reconcile = self.reconcile
        read: list[Row] = []  # rows whose Ids the reconciliation needs
        # Ids emitted from the feed's first page. The paging that follows reads the run's last
        # second first: a row there with one of these Ids was updated after that page read it
        # (a second version in one run); the next run reads it, from its bookmark.
        early: set[str] = set()
        for row in fetched.rows:
            if reconcile:
                read.append(row)
            if start is None or row[REPLICATION_KEY] >= start:
                early.add(row["Id"])
                yield row
        if fetched.job is not None:
            try:
                for page in self.run.scheduler.pages(fetched.job):
                    if reconcile:
                        read.extend(page)
                    if start is None and not early:
                        yield from page
                    else:
                        for row in page:
                            if (start is None or row[REPLICATION_KEY] >= start) and row["Id"] not in early:
                                yield row
            except GeneratorExit:
                raise
            except BaseException:
                self.run.scheduler.cancel_all()
                raise
        if self.include_deletes:
            yield from fetched.deleted
        if reconcile:
            yield from self._reconcile(fetched, numeric_ids(read))
        # Complete: every change before the run's start has been read.
        self.complete(self.run.upper_bound, context)

    # -- deletes ------------------------------------------------------------------------------

    def _warn_about_deletes(self, fetched: Fetched) -> None:
        start = fetched.plan.start
        if (
            start is None
            or not self.include_deletes
            or not self.spec.can_delete
            or self.reconcile
            or fetched.deletes_complete
        ):
            return
        if not self.spec.cdc:
            why = f"QuickBooks' change feed (CDC) does not cover {self.name}"
        elif fetched.cdc_capped:
            why = "CDC answered its cap of changed objects and may have left deletes out"
        else:
            why = f"the bookmark {start} is older than the 30 days CDC looks back"
        self.logger.warning(
            "%s: objects deleted since %s cannot come from CDC (%s). Set reconcile_deletes: true "
            "to find them: the tap then remembers the Ids it has seen and reports the ones that are gone",
            self.name,
            start,
            why,
        )

    def _reconcile(self, fetched: Fetched, read_ids: set[int]) -> Iterator[Row]:
        """Records for Ids that are gone, and the Id set to remember for the next run."""
        state = self._saved_state()
        baseline: set[int] | None = None
        if STATE_KEY in state:
            try:
                baseline = decode_ids(str(state[STATE_KEY]))
            except ValueError as exc:
                self.logger.warning(
                    "%s: the remembered Id set is unusable (%s); starting a new one", self.name, exc
                )
        cdc_deleted = numeric_ids(fetched.deleted)
        if fetched.plan.read_from is None:
            # A scan read every Id: what the baseline has and the scan did not is gone, unless it
            # was updated after the run started (and so left the scanned range): ask for those.
            missing = (baseline - read_ids) if baseline is not None else set()
            missing -= cdc_deleted
            remaining = self._still_there(missing)
            gone = sorted(missing - remaining)
            if gone:
                self.logger.info("%s: %d deleted object(s) found by comparing Ids", self.name, len(gone))
            for id_ in gone:
                yield deleted_record(str(id_), self.run.upper_bound)
            current = (read_ids | remaining) - cdc_deleted
        else:
            # CDC served this run: keep the set up to date with what it said.
            current = ((baseline or set()) | read_ids) - cdc_deleted
        self.stream_state[STATE_KEY] = encode_ids(current)

    def _still_there(self, ids: set[int]) -> set[int]:
        found: set[int] = set()
        ordered = sorted(ids)
        for i in range(0, len(ordered), _IDS_PER_QUERY):
            chunk = [str(n) for n in ordered[i : i + _IDS_PER_QUERY]]
            found |= numeric_ids(self.run.client.query_rows(self.query.by_ids(chunk)))
        return found


class SingletonStream(ObjectStream):
    """One object per company (CompanyInfo, Company, Preferences): read whole in the run's batch,
    emitted when it changed since the bookmark. No paging, no CDC."""

    single = True


class ExchangeRateStream(ObjectStream):
    """ExchangeRate has no ``Id``: the tap adds a stable synthetic one from the catalog's natural key
    (``SourceCurrencyCode:AsOfDate``, e.g. ``EUR:2026-03-26``), one rate per currency and day."""

    def prepare_row(self, row: Row) -> Row:
        """Add the synthetic ``Id`` (the natural key) before the replication key."""
        row["Id"] = ":".join(str(row.get(key, "")) for key in self.spec.natural_key)
        return super().prepare_row(row)


def stream_class(spec: ObjectSpec) -> type[ObjectStream]:
    """The class that reads an object: decided by what the catalog says of it."""
    if spec.is_singleton:
        return SingletonStream
    if not spec.has_id:
        return ExchangeRateStream
    return ObjectStream


def object_streams(tap: Tap, run: RunContext, specs: Iterable[ObjectSpec]) -> list[Stream]:
    """The streams of some objects of the catalog, each handed the run's context."""
    return [stream_class(spec)(tap, run, spec) for spec in specs]


__all__ = ["ExchangeRateStream", "ObjectStream", "SingletonStream", "object_schema", "stream_class"]
