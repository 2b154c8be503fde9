"""The run's jobs on qbd-bridge, and where each of QuickBooks' answers goes.

A run submits its message sets as jobs (:mod:`~tap_quickbooks.desktop.plan` packs them); the bridge
sends them in order, continues every open iterator of a message set within the Web Connector's
session, and records each answer (each page) as a response line of the job. :class:`Feed` reads
those lines, job after job, and turns each into the answers of the queries it holds, matched by
``requestID``. A message set whose session ended mid-iterator (``iterator_lost``) comes back as a
:class:`Lost` event: the run submits the queries that were not done again (iterators never outlive
a session, and none is ever continued by the tap).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from qbd_client.client import BridgeClient, BridgeResponse
from qbd_client.errors import IteratorExpired
from qbd_client.qbxml import Response

from .plan import Query, message_set

log = logging.getLogger("tap_quickbooks.desktop")


@dataclass(frozen=True)
class Answer:
    """One query's answer (one page of it, for an iterator)."""

    query: Query
    response: Response

    @property
    def done(self) -> bool:
        """Nothing more comes for the query (no iterator, or its last page)."""
        return not self.response.iterator_id or not self.response.iterator_remaining


@dataclass(frozen=True)
class Lost:
    """The session ended before a message set's iterators were done: its queries must be sent again."""

    queries: tuple[Query, ...]
    message: str


Event = Answer | Lost


@dataclass
class _Job:
    id: str
    sets: list[list[Query]]
    lines: Iterator[BridgeResponse] | None = None
    finished: bool = False


@dataclass
class Feed:
    """The run's jobs, read in the order they were submitted (the order the bridge runs them)."""

    client: BridgeClient
    wait_for_qbwc: float
    label: str = "tap-quickbooks"
    _jobs: deque[_Job] = field(default_factory=deque)
    _all: list[_Job] = field(default_factory=list)
    #: Response lines read (message sets answered, pages included).
    lines_read: int = 0

    def submit(self, sets: Sequence[Sequence[Query]], what: str) -> None:
        """Queue message sets as one job (the bridge runs them in order, after earlier jobs)."""
        if not sets:
            return
        lists = [list(s) for s in sets]
        job_id = self.client.submit([message_set(s) for s in lists], label=f"{self.label}: {what}")
        log.debug("job %s: %s, %d message set(s)", job_id, what, len(lists))
        job = _Job(job_id, lists)
        self._jobs.append(job)
        self._all.append(job)

    @property
    def pending(self) -> bool:
        """Some job still has answers to read."""
        return bool(self._jobs)

    def pump(self) -> list[Event] | None:
        """The events of the next response line (waiting for it), or None when every job is read.

        Raises the bridge's errors (:class:`~qbd_client.client.QBWCNotCalling` when the Web
        Connector does not call within ``wait_for_qbwc``) and QuickBooks' refusals of a whole
        message set.
        """
        while self._jobs:
            job = self._jobs[0]
            if job.lines is None:
                job.lines = self.client.responses(job.id, self.wait_for_qbwc, raise_errors=False)
            line = next(job.lines, None)
            if line is None:
                job.finished = True
                self._jobs.popleft()
                continue
            self.lines_read += 1
            queries = job.sets[line.message_set] if line.message_set < len(job.sets) else []
            if line.error is not None:
                if isinstance(line.error, IteratorExpired):
                    return [Lost(tuple(queries), str(line.error.message))]
                raise line.error
            by_id = {q.request_id: q for q in queries}
            return [
                Answer(by_id[rs.request_id], rs)
                for rs in line.responses
                if rs.request_id is not None and rs.request_id in by_id
            ]
        return None

    def close(self) -> None:
        """Cancel what of the run's jobs is not sent yet (a run that stopped early leaves no work
        queued for QuickBooks)."""
        for job in self._all:
            # A job read part way holds the bridge's streamed answer open (in a generator): let it go.
            close = getattr(job.lines, "close", None)
            if close is not None:
                close()
            if job.finished:
                continue
            try:
                self.client.cancel(job.id)
            except Exception as exc:  # closing must not hide the error that stopped the run
                log.debug("could not cancel job %s: %s", job.id, exc)
        self._jobs.clear()


__all__ = ["Answer", "Event", "Feed", "Lost"]
