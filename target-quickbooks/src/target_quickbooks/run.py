"""What the target asks of a run's writer, whichever QuickBooks it writes to.

The seam sits one level above the edition (:mod:`target_quickbooks.edition`): QuickBooks Online's
:class:`~target_quickbooks.writer.Writer` plans records against Online's catalog and reference
rules through an :class:`~target_quickbooks.edition.Edition`; QuickBooks Desktop's
:class:`~target_quickbooks.desktop.writer.DesktopWriter` builds qbXML from Desktop's catalog and
element trees. Both keep the edition-neutral parts (the spool, the id map and the run's claims,
the dead letter, the records), and the target (state after writes, exit status, summary) calls
only what is here.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any, Protocol

from .deadletter import DeadLetters
from .records import PendingRecord, RecordError
from .spool import Spool


class RunWriter(Protocol):
    """One run's writer: records in through the sinks, writes on each drain, a summary at the end."""

    counts: Counter[str]
    dead: DeadLetters

    @property
    def holds_records(self) -> bool:
        """Records received but neither written nor dead-lettered (the state must wait for them)."""

    def drain(self, *, final: bool) -> None:
        """Write what can be written; with ``final`` (the end of the input), fail what cannot."""

    def summary(self) -> str:
        """One line: what the run did."""

    def client_stats(self) -> dict[str, int]:
        """Request counters (requests, retries, throttled, ...)."""

    def close(self) -> None:
        """Let go of connections and files."""


class RecordIntake:
    """How records come into a writer, the same for every edition: numbered, spooled, or refused
    before the spool (a dead letter, and in a dry run a ``reject`` line of the plan)."""

    spool: Spool
    counts: Counter[str]
    dead: DeadLetters
    _seq: int
    _plan_out: Callable[[str], None]

    @property
    def dry_run(self) -> bool:
        """Whether the run only prints its plan."""
        raise NotImplementedError

    def next_seq(self) -> int:
        """The next record's number in this run (what labels and dead letters name)."""
        self._seq += 1
        return self._seq

    def add(self, record: PendingRecord) -> None:
        """Spool a record for the next drain."""
        self.spool.add(record)

    def reject(
        self, error: RecordError, *, stream: str, obj: str, operation: str, record: dict[str, Any]
    ) -> None:
        """A record refused before it reached the spool (its shape, its operation)."""
        self.counts["records"] += 1
        self.counts["dead_lettered"] += 1
        label = f"{stream} record #{self.next_seq()}"
        if self.dry_run:
            line = {"action": "reject", "object": obj, "stream": stream, "record": label}
            line["reason"] = error.reason
            self._plan_out(json.dumps(line))
        self.dead.add(error, stream=stream, obj=obj, operation=operation, record=record, label=label)

    def record_counts(self) -> list[str]:
        """The summary's first parts: what became of the records (the same words for every edition)."""
        c = self.counts
        dead = f"{c['dead_lettered']} dead-lettered" + (f" ({self.dead.path})" if self.dead.count else "")
        done = ("create", "created"), ("update", "updated"), ("unchanged", "unchanged"), ("delete", "deleted")
        more = ("inactivate", "inactivated"), ("void", "voided"), ("skip", "skipped")
        return [f"{c['records']} records", *(f"{c[key]} {word}" for key, word in (*done, *more)), dead]
