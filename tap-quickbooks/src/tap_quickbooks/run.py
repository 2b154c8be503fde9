"""What the streams of one run share: made by the tap, handed to each stream when it is built.

A tap object serves one run (the SDK builds one per command), so the run's context is made with
the streams: the run's upper bound (the moment it started, every object stream's bookmark once it
completes), the order the streams sync in, and the edition's run (:class:`~tap_quickbooks.edition.
EditionRun`: for QuickBooks Online, the client, page scheduler and change feed of the run).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from singer_sdk import Stream
from typing_extensions import override

from .times import format_utc

if TYPE_CHECKING:
    from .edition import Edition, EditionRun, ReportView, StreamView


class ReadThisRun(Stream):
    """A stream that is synced when selected in the catalog and read this run: a lookup run
    (``ids``) reads only the objects looked up, and no report."""

    run: RunContext

    @property
    @override
    def selected(self) -> bool:
        return bool(Stream.selected.fget(self)) and self.run.reads(self.name)  # type: ignore[attr-defined]

    @selected.setter
    def selected(self, value: bool | None) -> None:
        Stream.selected.fset(self, value)  # type: ignore[attr-defined]


class RunContext:
    """One run's upper bound, stream order and edition run."""

    def __init__(
        self,
        edition: Edition,
        config: Mapping[str, Any],
        started_ms: int,
        streams: Callable[[], Mapping[str, Stream]],
    ) -> None:
        """``started_ms``: the run's start (ms since the epoch); ``streams``: the tap's streams, in the
        order the SDK syncs them (asked for when the edition first reads)."""
        #: The run's start, whole seconds, UTC: every object stream's bookmark once it completes.
        self.upper_bound = format_utc(datetime.fromtimestamp(started_ms // 1000, timezone.utc))
        self._streams = streams
        #: The edition's side of the run.
        self.source: EditionRun = edition.start(
            config, self.upper_bound, self.selected_objects, self.selected_reports
        )

    def lookup(self, name: str) -> Sequence[str] | None:
        """The Ids of an object this run reads by Id alone (the ``ids`` setting), else None."""
        return self.source.looked_up().get(name)

    def reads(self, name: str) -> bool:
        """Whether a stream is read this run: all of them, but in a lookup run (``ids``) only the
        objects looked up, and no report."""
        lookup = self.source.looked_up()
        return not lookup or name in lookup

    def rank(self, name: str) -> int:
        """Where a stream comes in the order the SDK syncs streams."""
        return list(self._streams()).index(name)

    def selected_objects(self) -> list[StreamView]:
        """The run's selected object streams."""
        from .streams import ObjectStream  # the streams module imports this one's users

        return [s for s in self._streams().values() if isinstance(s, ObjectStream) and s.selected]

    def selected_reports(self) -> list[ReportView]:
        """The run's selected report streams."""
        from .reports import ReportStream  # the streams module imports this one's users

        return [s for s in self._streams().values() if isinstance(s, ReportStream) and s.selected]

    def close(self) -> None:
        """Release what the edition's run holds."""
        self.source.close()


__all__ = ["ReadThisRun", "RunContext"]
