"""Keyset paging of QBO objects, many pages in flight at once, across streams.

Why keyset and not offsets: QBO answers ``STARTPOSITION n`` over a result that changes while it
is read. A record updated during the sync moves to the end of a ``ORDERBY
MetaData.LastUpdatedTime`` result, so every record after it shifts one place towards the front
and the next offset page skips one. Here every page asks again for ``MetaData.LastUpdatedTime >=
<last second read>`` (ids already read in that second are dropped), so a record that moves can
only move *past the run's upper bound*, never past the cursor.

Why this never loses a record: a run reads up to ``hi``, the end of the second it started in,
and each stream's bookmark becomes the start of that second once the stream completes. QBO stamps
an update with the time it happens, so a record updated during the run is stamped in that last
second or later: the next run reads it (``>=`` on the bookmark). Every other record keeps its
place and lies in exactly one window ``[lo, hi)``; a window is paged until a page comes back short
(or reaches the window's end), so it reads every record that stays in it. Nothing can join a
window behind its cursor, because nothing is stamped with a past time (only the run's last second
can gain rows, and the next run reads that second again). Window bounds are whole seconds, so all
rows of one second are in one window.

Why this never reads a record twice: the run's last second, ``[hi - 1 s, hi)``, is the one place
an update made during the run can move a record to inside the run's range. A record read at its
old time and then updated in that second would be read again there if that second were read
after the update. So each stream reads its last second first (its *head*), and no other window
of the stream reads a row until the head is complete (a ``COUNT(*)`` may run meanwhile). A record
updated before the head's read is read once, by the head, at its new time (its old time is gone
by the time the other windows read); one updated after it is read at most once, at its old time,
and the next run reads its new version. The run's first page of each stream (the change feed's
batch) comes before the head: the stream drops a head row whose Id that page held.

Rows of one second that fill a whole page cannot be passed by a time keyset; they are read with
``WHERE <that second> ORDERBY Id STARTPOSITION n``. Offsets are safe there because rows can leave
a past second (an update stamps them later) but never join it, and a row leaving can only make a
later row skip a place: the pass is bracketed by two ``COUNT(*)`` queries and repeated until no
row left during it (Ids already read are dropped).

Concurrency: a stream's range is counted once and cut into windows of similar time (QBO answers
about one second per 1000-row page, so a sequential reader spends its life waiting). A pool of
``max_in_flight`` workers pages the windows of the stream being emitted first, then prefetches
the next streams' windows within a memory budget, and when it runs out of windows, splits the
window with the most rows left. Records therefore arrive out of order; the streams say
``is_sorted = False``, and a stream's bookmark moves only once it has completed
(:class:`tap_quickbooks.sdk_overrides.BookmarkOnCompletion`).
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from tap_quickbooks.times import add_seconds, next_second, seconds_between

from .queries import ObjectQuery, rows_of

if TYPE_CHECKING:
    from qbo_client.client import QBOClient

log = logging.getLogger("tap_quickbooks.online.paging")
#: How long a stream's consumer waits for a page before it checks that a worker serves its job.
STALL_CHECK_SECONDS = 5.0

Row = dict[str, Any]
#: Adds what the tap derives to a row as it arrives (``LastUpdatedTime``, a synthetic ``Id``).
Prepare = Callable[[Row], Any]


@dataclass(frozen=True)
class Request:
    count: bool
    text: str


class Unit(Protocol):
    """A piece of one stream's paging that issues one request at a time."""

    busy: bool
    done: bool

    def request(self) -> Request: ...

    def absorb(self, answer: dict[str, Any]) -> tuple[list[Row], list[Unit]]: ...


@dataclass
class _Second:
    """Offset paging of the rows of one second (see the module's docstring)."""

    second: str
    expected: int = -1  # COUNT(*) at the start of the current pass; -1 before the first count
    position: int = 1
    counting: bool = True


class Window:
    """The rows of one stream updated in ``[lo, hi)``, paged by keyset."""

    def __init__(
        self, query: ObjectQuery, lo: str | None, hi: str, page_size: int, seen: frozenset[str] = frozenset()
    ) -> None:
        self.query = query
        self.lo = lo
        self.hi = hi
        self.page_size = page_size
        self.cursor = lo
        self.seen: set[str] = set(seen)  # Ids already read in the cursor's second
        self.second: _Second | None = None
        self.busy = False
        self.done = lo is not None and lo >= hi
        self.read = 0  # rows this window produced (for the density estimate)
        self.first: str | None = None
        self.last: str | None = None

    def __repr__(self) -> str:
        return f"Window({self.query.entity} {self.cursor}..{self.hi}{' done' if self.done else ''})"

    def request(self) -> Request:
        if self.second is not None:
            if self.second.counting:
                return Request(True, self.query.second_count(self.second.second))
            return Request(
                False, self.query.second_page(self.second.second, self.second.position, self.page_size)
            )
        return Request(False, self.query.page(self.cursor, self.hi, self.page_size))

    def absorb(self, answer: dict[str, Any]) -> tuple[list[Row], list[Unit]]:
        rows = self._absorb_second(answer) if self.second is not None else self._absorb_page(answer)
        if rows:
            self.read += len(rows)
            stamps = [r["LastUpdatedTime"] for r in rows]
            low, high = min(stamps), max(stamps)
            self.first = low if self.first is None else min(self.first, low)
            self.last = high if self.last is None else max(self.last, high)
        return rows, []

    def _absorb_page(self, answer: dict[str, Any]) -> list[Row]:
        rows = rows_of(answer)
        start = self.cursor
        finished = len(rows) < self.page_size
        out: list[Row] = []
        for row in rows:
            stamp = row["LastUpdatedTime"]
            if stamp >= self.hi:
                # The window was split while this page was in flight: everything below the new
                # end came before this row (the page is in time order), the rest is another window's.
                finished = True
                break
            if self.cursor is None or stamp > self.cursor:
                self.cursor = stamp
                self.seen = {row["Id"]}
            elif row["Id"] in self.seen:
                continue  # read on the previous page (same second, >= keyset)
            else:
                self.seen.add(row["Id"])
            out.append(row)
        if finished:
            self.done = True
        elif start is not None and self.cursor == start:
            # A whole page of one second: the time keyset cannot move past it.
            self.second = _Second(start)
        return out

    def _absorb_second(self, answer: dict[str, Any]) -> list[Row]:
        second = self.second
        assert second is not None
        if second.counting:
            total = int(answer.get("totalCount", 0))
            if total == second.expected:
                # Nothing left the second during the pass: no row shifted, every row was read.
                self.second = None
                self.cursor = next_second(second.second)
                self.seen = set()
                self.done = self.cursor >= self.hi
            else:
                if second.expected >= 0:
                    log.debug(
                        "%s: rows left second %s while it was read; reading it again",
                        self.query.entity,
                        second.second,
                    )
                second.expected, second.position, second.counting = total, 1, False
            return []
        rows = rows_of(answer)
        out = [row for row in rows if row["Id"] not in self.seen]
        self.seen.update(row["Id"] for row in out)
        second.position += len(rows)
        if len(rows) < self.page_size:
            second.counting = True
        return out

    # -- splitting -----------------------------------------------------------------------------

    def _unread_from(self) -> str | None:
        """The first second no request of this window has covered completely."""
        if self.second is not None:
            return next_second(self.second.second)
        if self.cursor is None:
            return None
        return next_second(self.cursor) if self.cursor != self.lo or self.seen else self.cursor

    def rows_left(self, density: float) -> float:
        """An estimate of the rows still to read (per-second density, observed where possible)."""
        start = self._unread_from()
        if self.done or start is None or start >= self.hi:
            return 0.0
        if self.read >= self.page_size and self.first and self.last and self.last > self.first:
            density = self.read / max(1, seconds_between(self.first, self.last))
        return density * seconds_between(start, self.hi)

    def split(self) -> Window | None:
        """Give the later half of what is left to a new window (whole seconds), or None."""
        start = self._unread_from()
        if self.done or start is None:
            return None
        span = seconds_between(start, self.hi)
        if span < 2:
            return None
        middle = add_seconds(start, span // 2)
        later = Window(self.query, middle, self.hi, self.page_size)
        self.hi = middle
        return later

    def split_last_second(self) -> Window:
        """The window of this window's last second (``self`` when that is all it covers); ``self``
        keeps what comes before."""
        last = add_seconds(self.hi, -1)
        if self.done or (self.lo is not None and self.lo >= last):
            return self
        head = Window(self.query, last, self.hi, self.page_size)
        self.hi = last
        return head

    def cut(self, parts: int) -> list[Window]:
        """This window and ``parts - 1`` more over equal stretches of time of what is left."""
        start = self._unread_from()
        if self.done or start is None or parts < 2:
            return [self]
        span = seconds_between(start, self.hi)
        parts = min(parts, span)
        if parts < 2:
            return [self]
        bounds = [add_seconds(start, span * k // parts) for k in range(1, parts)]
        windows = [self]
        end = self.hi
        self.hi = bounds[0]
        for lo, hi in zip(bounds, [*bounds[1:], end], strict=True):
            windows.append(Window(self.query, lo, hi, self.page_size))
        return windows


class Planner:
    """Counts a stream's rows once and cuts its range into windows (reading the first page
    first when the range has no lower bound: the data's start is where to cut from)."""

    def __init__(self, window: Window, workers: int) -> None:
        self.window = window
        self.workers = workers
        self.busy = False
        self.done = False
        self.density = 0.0

    @property
    def reads_rows(self) -> bool:
        """Whether the next request reads rows (the first page) rather than counts them."""
        return self.window.cursor is None

    def request(self) -> Request:
        if self.window.cursor is None:
            return self.window.request()
        return Request(True, self.window.query.count(self.window.cursor, self.window.hi))

    def absorb(self, answer: dict[str, Any]) -> tuple[list[Row], list[Unit]]:
        if "totalCount" not in answer:
            rows, _ = self.window.absorb(answer)
            if self.window.done:
                self.done = True
            return rows, []
        total = int(answer["totalCount"])
        self.done = True
        start = self.window.cursor or self.window.hi
        span = max(1, seconds_between(start, self.window.hi))
        self.density = total / span
        pages = math.ceil(total / self.window.page_size)
        # A page's worth per window, up to one window per worker: a stream of a few pages is read
        # in one round trip; larger ones are split again when workers run out of windows.
        parts = max(1, min(self.workers, pages))
        return [], list(self.window.cut(parts))


class StreamJob:
    """Everything the workers do for one stream, and the pages waiting for its consumer."""

    def __init__(
        self, name: str, rank: int, prepare: Prepare, units: list[Unit], head: Window | None = None
    ) -> None:
        self.name = name
        self.rank = rank
        self.prepare = prepare
        self.units = units
        #: The run's last second, read before any other row of the stream (see the module's docstring).
        self.head = head
        self.pages: deque[list[Row]] = deque()
        self.busy = 0
        self.error: BaseException | None = None
        self.closed = False
        self.consuming = False
        self.density = 0.0
        self.requests = 0

    @property
    def fetching(self) -> bool:
        return bool(self.units) or self.busy > 0

    def windows(self) -> list[Window]:
        return [u for u in self.units if isinstance(u, Window)]

    @property
    def head_done(self) -> bool:
        return self.head is None or self.head.done

    def may_start(self, unit: Unit) -> bool:
        """Whether ``unit`` may send its next request now: until the head is complete, only the
        head reads rows (a count may go ahead)."""
        if self.head_done or unit is self.head:
            return True
        return isinstance(unit, Planner) and not unit.reads_rows


class PageScheduler:
    """Worker threads that advance the stream jobs, the one being emitted first.

    Workers are started when there is work and end when there is none, so nothing lingers after
    a run. Memory is bounded: the stream being fetched first may hold ``workers`` pages
    (waiting or in flight), all later streams together ``3 * workers`` (see :meth:`_has_room`).
    """

    def __init__(self, client: QBOClient, workers: int, page_size: int) -> None:
        self.client = client
        self.workers = max(1, workers)
        self.page_size = page_size
        self._cond = threading.Condition()
        self._jobs: list[StreamJob] = []
        self._threads = 0

    def job(self, name: str, rank: int, prepare: Prepare, window: Window) -> StreamJob:
        """Start paging a stream's range (counted and cut into windows first)."""
        head = window.split_last_second()
        units: list[Unit] = [head] if not head.done else []
        if head is not window:
            units.append(Planner(window, self.workers))
        job = StreamJob(name, rank, prepare, units, head if units else None)
        with self._cond:
            self._jobs.append(job)
            self._jobs.sort(key=lambda j: j.rank)
            self._start_workers()
        return job

    def pages(self, job: StreamJob) -> Iterator[list[Row]]:
        """The job's pages as they arrive; leaving early cancels the rest of the job."""
        with self._cond:
            job.consuming = True
            # The job leads now: it has room that it may not have had while it waited, and the
            # workers may all have ended for want of room (nothing else starts them again).
            self._start_workers()
        try:
            while True:
                with self._cond:
                    while not job.pages and job.fetching and job.error is None:
                        if not self._cond.wait(timeout=STALL_CHECK_SECONDS):
                            self._unstick(job)
                    if job.pages:
                        page = job.pages.popleft()
                        self._start_workers()  # a buffer slot is free
                    elif job.error is not None:
                        raise job.error
                    else:
                        return
                yield page
        finally:
            with self._cond:
                job.closed = True
                job.units.clear()
                job.pages.clear()
                if job in self._jobs:
                    self._jobs.remove(job)
                self._start_workers()  # what this job held is room for the others now
                self._cond.notify_all()

    def _unstick(self, job: StreamJob) -> None:
        """A consumer that waited :data:`STALL_CHECK_SECONDS` for a job no worker serves.

        With no worker alive nothing is in flight: units still marked busy, or done and not
        removed, are let go of, and workers are started again. If none can pick any of the job's
        units, the job fails with what is left, so the run stops with a reason instead of waiting
        forever. (A safety net: a hang was seen twice under load, its cause not proven; a worker
        counted before its thread started, when the start failed, could also have caused it.)"""
        if self._threads > 0:
            return
        for unit in job.units:
            unit.busy = False
        job.busy = 0
        job.units[:] = [u for u in job.units if not u.done]
        self._start_workers()
        if self._threads == 0 and job.fetching:
            left = ", ".join(type(u).__name__ for u in job.units)
            log.error("%s: paging stalled with %d unit(s) left (%s)", job.name, len(job.units), left)
            job.error = RuntimeError(
                f"{job.name}: the tap's paging stopped with {len(job.units)} part(s) of the stream unread; "
                "run the tap again (it resumes from its bookmark) and report this"
            )

    def cancel_all(self) -> None:
        """Stop every job (the run failed)."""
        with self._cond:
            for job in self._jobs:
                job.closed = True
                job.units.clear()
            self._jobs.clear()
            self._cond.notify_all()

    # -- workers --------------------------------------------------------------------------------

    def _start_workers(self) -> None:
        wanted = min(self.workers, sum(len(j.units) for j in self._jobs if not j.closed))
        while self._threads < wanted:
            thread = threading.Thread(target=self._work, name=f"qbo-page-{self._threads + 1}", daemon=True)
            try:
                thread.start()
            except RuntimeError as exc:  # the system refused a thread (memory, limits): count none
                log.warning("a page worker could not start (%s); the waiting stream tries again", exc)
                return
            # Counted once started: a start that failed left no worker counted and gone (the
            # worker's own decrement waits for this lock, held by every caller).
            self._threads += 1

    def _lead(self) -> StreamJob | None:
        """The job fetched first: the one being emitted, else the next in the order streams sync."""
        live = [j for j in self._jobs if j.fetching and not j.closed and j.error is None]
        return next((j for j in live if j.consuming), live[0] if live else None)

    def _has_room(self, job: StreamJob, lead: StreamJob | None) -> bool:
        # Pages waiting or in flight (a page of 1000 transactions is a few MB once parsed) are
        # capped: ``workers`` for the lead; for later streams, ``2 * workers`` for a stream and
        # the ones before it together, ``3 * workers`` for all. Later streams' pages wait until
        # the lead is emitted, so they need room for a page time's worth of fetching at full
        # concurrency (the lead's last windows take that long); counting only the streams up to
        # this one keeps pages fetched early for the last streams (whose jobs may start first)
        # from holding up the next ones.
        if job is lead:
            return len(job.pages) + job.busy < self.workers
        nearer = ahead = 0
        for other in self._jobs:
            if other is not lead:
                held = len(other.pages) + other.busy
                ahead += held
                if other.rank <= job.rank:
                    nearer += held
        return nearer < 2 * self.workers and ahead < 3 * self.workers

    def _pick(self) -> tuple[StreamJob, Unit] | None:
        """The next request: streams in the order they are emitted; within a stream, a window
        waiting for its next page, else a split of the window with the most rows left (when
        that is worth a request: its second half holds at least a page)."""
        lead = self._lead()
        for job in self._jobs:
            if job.closed or job.error is not None or not self._has_room(job, lead):
                continue
            for unit in job.units:
                if not unit.busy and not unit.done and job.may_start(unit):
                    return job, unit
            windows = job.windows()
            if windows and job.head_done:
                widest = max(windows, key=lambda w: w.rows_left(job.density))
                if widest.rows_left(job.density) >= 2 * self.page_size:
                    later = widest.split()
                    if later is not None:
                        job.units.append(later)
                        return job, later
        return None

    def _work(self) -> None:
        try:
            while True:
                with self._cond:
                    picked = self._pick()
                    if picked is None:
                        return
                    job, unit = picked
                    unit.busy = True
                    job.busy += 1
                    job.requests += 1
                    request = unit.request()
                error: BaseException | None = None
                answer: dict[str, Any] = {}
                try:
                    answer = self.client.query(request.text)
                    if not request.count:
                        for row in rows_of(answer):
                            job.prepare(row)
                except Exception as exc:  # handed to the stream's consumer, which raises it
                    error = exc
                with self._cond:
                    unit.busy = False
                    job.busy -= 1
                    if error is not None:
                        job.error = error
                        job.units.clear()
                    elif not job.closed:
                        self._absorb(job, unit, answer)
                    self._cond.notify_all()
        finally:
            with self._cond:
                self._threads -= 1
                self._cond.notify_all()

    def _absorb(self, job: StreamJob, unit: Unit, answer: dict[str, Any]) -> None:
        try:
            rows, more = unit.absorb(answer)
        except Exception as exc:  # a bug or an answer of an unexpected shape: fail the stream
            job.error = exc
            job.units.clear()
            return
        if isinstance(unit, Planner):
            job.density = unit.density
        if rows:
            job.pages.append(rows)
        if unit.done:
            with contextlib.suppress(ValueError):
                job.units.remove(unit)
        job.units.extend(u for u in more if not u.done)
        # New windows, or a head that completed and let the stream's other windows go.
        self._start_workers()
