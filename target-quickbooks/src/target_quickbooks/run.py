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

from collections import Counter
from typing import Protocol

from .deadletter import DeadLetters


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
