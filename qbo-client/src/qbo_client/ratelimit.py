"""A client-side limiter that keeps a process under QuickBooks' limits per company.

QBO allows 500 requests per minute, 10 in flight and 40 batch requests per minute per company;
staying under them costs less than being throttled and waiting out a 429.
"""

from __future__ import annotations

import collections
import contextlib
import threading
import time
from collections.abc import Callable, Iterator

#: How much longer than QuickBooks' limit window a client's limiter window is (see QBOClient).
LIMIT_MARGIN = 1.02


class _Window:
    """A sliding 60-second window of admission times."""

    def __init__(self, limit: int | None, period: float) -> None:
        self.limit = limit
        self.period = period
        self.times: collections.deque[float] = collections.deque()

    def wait_needed(self, now: float) -> float:
        if not self.limit:
            return 0.0
        while self.times and now - self.times[0] >= self.period:
            self.times.popleft()
        if len(self.times) < self.limit:
            return 0.0
        return self.times[0] + self.period - now


class RateLimiter:
    """``with limiter.slot(): ...`` blocks until a request may go out, then holds an in-flight slot."""

    def __init__(
        self,
        requests_per_minute: int | None = 500,
        max_in_flight: int | None = 10,
        batch_per_minute: int | None = 40,
        *,
        period: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._requests = _Window(requests_per_minute, period)
        self._batches = _Window(batch_per_minute, period)
        self._in_flight = threading.BoundedSemaphore(max_in_flight) if max_in_flight else None
        self._lock = threading.Lock()
        self._paused_until = 0.0
        self._clock = clock
        self._sleep = sleep
        self.waited = 0.0

    def pause(self, seconds: float) -> None:
        """Hold every request back for a while (after a 429: hammering keeps a client throttled)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def _admit(self, batch: bool) -> None:
        while True:
            with self._lock:
                now = self._clock()
                wait = max(self._paused_until - now, self._requests.wait_needed(now))
                if batch:
                    wait = max(wait, self._batches.wait_needed(now))
                if wait <= 0:
                    self._requests.times.append(now)
                    if batch:
                        self._batches.times.append(now)
                    return
            self.waited += wait
            self._sleep(min(wait, 5.0))

    @contextlib.contextmanager
    def slot(self, batch: bool = False) -> Iterator[None]:
        if self._in_flight is not None:
            self._in_flight.acquire()
        try:
            self._admit(batch)
            yield
        finally:
            if self._in_flight is not None:
                self._in_flight.release()
