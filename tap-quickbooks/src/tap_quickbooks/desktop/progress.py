"""Progress of a long stream: QuickBooks Desktop answers one request at a time, slowly.

While a stream syncs, a line at INFO every few seconds: records so far, how many remain (from the
counts read first and the iterators' ``iteratorRemainingCount``), the rate and the time left.
"""

from __future__ import annotations

import logging
import time

#: Seconds between two progress lines of one stream.
EVERY = 5.0


class Progress:
    """Counts one stream's records and says how far it is, every :data:`EVERY` seconds."""

    def __init__(self, name: str, logger: logging.Logger, expected: int | None, every: float = EVERY) -> None:
        self.name = name
        self.logger = logger
        #: Records the stream is expected to bring (None: not known).
        self.expected = expected
        self.every = every
        self.done = 0
        self._started = time.monotonic()
        self._last = self._started

    def add(self, n: int = 1) -> None:
        """``n`` more records emitted; a line when it is time for one."""
        self.done += n
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            self.logger.info("%s", self.line(now))

    def remaining(self) -> int | None:
        if self.expected is None:
            return None
        return max(self.expected - self.done, 0)

    def line(self, now: float | None = None) -> str:
        """``Invoice: 1200 records, 3800 remaining, 240/s, about 16 s left``."""
        elapsed = max((now or time.monotonic()) - self._started, 1e-6)
        rate = self.done / elapsed
        parts = [f"{self.name}: {self.done} records"]
        left = self.remaining()
        if left is not None:
            parts.append(f"{left} remaining")
        parts.append(f"{rate:.0f}/s")
        if left is not None and rate > 0:
            parts.append(f"about {left / rate:.0f} s left")
        return ", ".join(parts)


__all__ = ["EVERY", "Progress"]
