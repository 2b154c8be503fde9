"""The object streams: one per object the edition declares, the same class for every object.

Every stream is named after its object, keyed and replicated incrementally as the edition's
:class:`~tap_quickbooks.edition.ObjectDefinition` says (QuickBooks Online: ``Id`` and
``LastUpdatedTime`` in UTC). What a stream emits comes from the run's edition
(:meth:`~tap_quickbooks.edition.EditionRun.records`); the stream decides where the run starts (its
bookmark, ``start_date``) and moves its bookmark to the run's start once it has emitted everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from singer_sdk import Stream
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.singerlib.catalog import REPLICATION_INCREMENTAL
from typing_extensions import override

from .messages import SingerWriter
from .realm_column import RealmColumn
from .run import ReadThisRun
from .sdk_overrides import BookmarkOnCompletion, LeanRecordMessages
from .times import to_utc_text

if TYPE_CHECKING:
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context, Record

    from .edition import ObjectDefinition
    from .run import RunContext


class ObjectStream(ReadThisRun, RealmColumn, BookmarkOnCompletion, LeanRecordMessages):
    """An object read by the run's edition, its bookmark moved when it completes."""

    # The edition emits records out of time order (QuickBooks Online pages windows of one stream
    # concurrently); the bookmark moves once, to the run's start, when the stream completes
    # (sdk_overrides.BookmarkOnCompletion), so a run can be interrupted anywhere and resumed.
    is_sorted = False
    # QuickBooks' JSON already has the types the generated schemas declare: conforming every value
    # of every record would only cost time (and NONE keeps properties the schema does not list).
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(self, tap: Tap, run: RunContext, definition: ObjectDefinition) -> None:
        self.definition = definition
        self.run = run
        super().__init__(tap, schema=definition.schema, name=definition.name)
        self.primary_keys = definition.primary_keys
        self.replication_key = definition.replication_key

    # -- what the edition asks (tap_quickbooks.edition.StreamView) ---------------------------------

    @property
    def rank(self) -> int:
        """Where this stream comes in the order the SDK syncs streams."""
        return self.run.rank(self.name)

    @property
    def include_deletes(self) -> bool:
        return bool(self.config.get("include_deletes", True))

    @property
    def reconcile_deletes(self) -> bool:
        return bool(self.config.get("reconcile_deletes"))

    def _saved_state(self) -> dict[str, Any]:
        # Read without creating: ``stream_state`` would add an empty bookmark for every stream.
        found = (self.tap_state.get("bookmarks") or {}).get(self.name)
        return found if isinstance(found, dict) else {}

    def saved(self, key: str) -> Any:
        """A value kept in this stream's state by the previous run (None: none)."""
        return self._saved_state().get(key)

    def keep(self, key: str, value: Any) -> None:
        """Keep a value in this stream's state for the next run."""
        self.stream_state[key] = value

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
        """What the edition reads from the bookmark to the run's start; then the bookmark moves there.

        In a lookup run (``ids``): the records of those Ids, and the bookmark stays where it was."""
        ids = self.run.lookup(self.name)
        if ids is not None:
            yield from self.run.source.records_by_id(self, ids)
        else:
            yield from self.run.source.records(self)
        self._flush()
        if ids is None:
            # Complete: every change before the run's start has been read.
            self.complete(self.run.upper_bound, context)

    def _flush(self) -> None:
        """Write out the stream's records the tap's writer still holds.

        The writer sends records on with the next STATE message, and a stream that changes no
        bookmark (a lookup run, or a run that starts in the same second as the one before) is
        followed by none: its last records would otherwise wait for the process to exit."""
        writer = self._tap.message_writer
        if isinstance(writer, SingerWriter):
            writer.flush()


def object_streams(tap: Tap, run: RunContext, definitions: Iterable[ObjectDefinition]) -> list[Stream]:
    """The object streams, each handed the run's context."""
    return [ObjectStream(tap, run, definition) for definition in definitions]


__all__ = ["ObjectStream", "object_streams"]
