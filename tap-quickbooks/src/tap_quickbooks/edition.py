"""What the tap's Singer side needs of a QuickBooks edition: the seam between the two.

The Singer side (:mod:`tap_quickbooks.tap`, :mod:`tap_quickbooks.streams`, the bookmarks in
:mod:`tap_quickbooks.sdk_overrides`, the messages) is the same for every edition: it declares a
stream per object, starts each run where the stream's bookmark says, emits what the edition reads,
and moves the bookmark to the run's start when the stream completes. How the changes are found is
the edition's: QuickBooks Online (:mod:`tap_quickbooks.online`) reads its change feed (CDC), pages
queries by key and compares Id sets for deletes; a Desktop edition reads qbXML through its queue.

An edition is one :class:`Edition` object; each run gets an :class:`EditionRun` from it. Reports
likewise: the Singer side (:mod:`tap_quickbooks.reports`) plans the periods and keeps the bookmark,
the edition reads the periods. Both
editions' packages use the same file names for the same jobs (``edition.py``, ``changes.py``,
``reports.py``, ``deletes.py``, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import logging

    from .reports import Period

#: A record as the Singer side emits it.
Record = dict[str, Any]


@dataclass(frozen=True)
class ObjectDefinition:
    """An object stream as the Singer side declares it."""

    name: str
    schema: dict[str, Any]
    primary_keys: tuple[str, ...]
    #: A top-level date-time in UTC text (``2026-01-31T08:00:00+00:00``), compared as text.
    replication_key: str


@dataclass(frozen=True)
class ReportDefinition:
    """A report stream as the Singer side declares it (replicated on ``period_end``)."""

    name: str
    schema: dict[str, Any]
    primary_keys: tuple[str, ...]


class ReportView(Protocol):
    """What an edition may ask of a report stream during a run."""

    name: str

    @property
    def logger(self) -> logging.Logger: ...

    def planned_periods(self) -> list[Period]:
        """The periods this run reads, oldest first (asked at the first read, to read them together)."""
        ...

    def accounting_methods(self) -> list[str]:
        """The accounting methods this run reads each period in."""
        ...


class StreamView(Protocol):
    """What an edition may ask of an object stream during a run."""

    name: str

    @property
    def logger(self) -> logging.Logger: ...

    @property
    def rank(self) -> int:
        """Where the stream comes in the order the streams sync."""
        ...

    @property
    def include_deletes(self) -> bool: ...

    @property
    def reconcile_deletes(self) -> bool: ...

    def start_text(self) -> str | None:
        """Where this run starts: the later of the bookmark and ``start_date`` (None: everything)."""
        ...

    def saved(self, key: str) -> Any:
        """A value the edition kept in the stream's state in an earlier run (None: none)."""
        ...

    def keep(self, key: str, value: Any) -> None:
        """Keep a value in the stream's state for the next run."""
        ...


class EditionRun(Protocol):
    """One run's reading of one company."""

    def records(self, stream: StreamView) -> Iterator[Record]:
        """The stream's records changed from its start up to the run's upper bound (any order), then
        the records of deleted objects (``_sdc_deleted_at`` set). The stream is complete once this
        is exhausted."""
        ...

    def report_records(
        self, report: ReportView, periods: Sequence[Period], methods: Sequence[str]
    ) -> Iterator[Record]:
        """A report's records for every period in every accounting method, period by period (all
        methods of a period before the next period): one record per account and period."""
        ...

    def looked_up(self) -> Mapping[str, Sequence[str]]:
        """The objects this run reads by Id alone, with their Ids (the ``ids`` setting); empty for a
        normal run. A lookup run reads only these, and moves no bookmark."""
        ...

    def records_by_id(self, stream: StreamView, ids: Sequence[str]) -> Iterator[Record]:
        """The records of ``ids`` (those that exist; the others are reported by Id)."""
        ...

    def close(self) -> None:
        """Release what the run holds (connections, threads)."""
        ...


class Edition(Protocol):
    """A QuickBooks edition: its objects, its reports, and how a run reads them."""

    #: The product's name, for help texts and logs ("QuickBooks Online").
    product: str

    def objects(self, config: Mapping[str, Any]) -> Sequence[ObjectDefinition]:
        """The object streams, in catalog order."""
        ...

    def reports(self, config: Mapping[str, Any]) -> Sequence[ReportDefinition]:
        """The report streams the config asks for."""
        ...

    def start(
        self,
        config: Mapping[str, Any],
        upper_bound: str,
        selected: Callable[[], Sequence[StreamView]],
        selected_reports: Callable[[], Sequence[ReportView]],
    ) -> EditionRun:
        """A run reading up to ``upper_bound``; ``selected``: the run's selected object streams,
        ``selected_reports``: its selected report streams (both asked for at the first read, so one
        request can serve them all). No network until the first read."""
        ...


__all__ = [
    "Edition",
    "EditionRun",
    "ObjectDefinition",
    "Record",
    "ReportDefinition",
    "ReportView",
    "StreamView",
]
