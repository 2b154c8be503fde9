"""What the streams of one run share: made by the tap, handed to each stream when it is built.

A tap object serves one run (the SDK builds one per command), so the run's context is made with
the streams: its upper bound (the moment the run started), the order the streams sync in, and the
QuickBooks side of the run: one :class:`~qbo_client.client.QBOClient` (its limiter keeps the whole
process under QuickBooks' limits), one :class:`~tap_quickbooks.paging.PageScheduler` (the worker
threads that page every stream) and one :class:`~tap_quickbooks.changes.ChangeFeed` (the run's CDC
and batch requests). The client, the scheduler and the feed are made at first use: discovery needs
no network.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from qbo_client.client import QBOClient

from .changes import ChangeFeed
from .paging import PageScheduler
from .queries import MAX_PAGE, format_utc, next_second

if TYPE_CHECKING:
    from singer_sdk import Stream

    from .changes import FeedStream, Fetched


class RunContext:
    """One run's upper bound, stream order, client, page scheduler and change feed."""

    def __init__(
        self,
        config: Mapping[str, Any],
        started_ms: int,
        streams: Callable[[], Mapping[str, Stream]],
    ) -> None:
        """``started_ms``: the run's start (ms since the epoch); ``streams``: the tap's streams,
        in the order the SDK syncs them (asked for when the feed is first read)."""
        self.config = config
        #: The run's start, whole seconds, UTC: every object stream's bookmark once it completes.
        self.upper_bound = format_utc(datetime.fromtimestamp(started_ms // 1000, timezone.utc))
        self.page_size = max(1, min(MAX_PAGE, int(config.get("page_size") or MAX_PAGE)))
        self._streams = streams
        self._client: QBOClient | None = None
        self._scheduler: PageScheduler | None = None
        self._feed: ChangeFeed | None = None
        self._lock = threading.RLock()  # feed_for holds it while it asks for the client

    @property
    def client(self) -> QBOClient:
        """The one client of the run (created on first use)."""
        with self._lock:
            if self._client is None:
                self._client = QBOClient.from_config(dict(self.config))
            return self._client

    @property
    def scheduler(self) -> PageScheduler:
        """The worker threads that page every stream of the run."""
        client = self.client
        with self._lock:
            if self._scheduler is None:
                self._scheduler = PageScheduler(client, client.config.max_in_flight, self.page_size)
            return self._scheduler

    def rank(self, name: str) -> int:
        """Where a stream comes in the order the SDK syncs streams."""
        return list(self._streams()).index(name)

    def feed_for(self, stream: FeedStream) -> Fetched:
        """A stream's share of the run's change feed, computed for all selected streams at first use."""
        from .streams import ObjectStream  # the streams module imports this one

        scheduler = self.scheduler
        with self._lock:
            if self._feed is None:
                self._feed = ChangeFeed(
                    self.client,
                    scheduler,
                    # Up to the end of the run's first second: the bookmark (its start) makes the
                    # next run read that second again, so what changes in it now is not lost.
                    hi=next_second(self.upper_bound),
                    page_size=self.page_size,
                    cdc_cap=int(self.config.get("cdc_max_per_entity") or 1000),
                )
                selected = [s for s in self._streams().values() if isinstance(s, ObjectStream) and s.selected]
                self._feed.compute(selected)
            if not self._feed.pending(stream.name):
                # Synced twice, or selected after the feed was read: read its share alone.
                self._feed.compute([stream])
            return self._feed.take(stream.name)

    def close(self) -> None:
        """Close the client's connections (when one was made)."""
        with self._lock:
            if self._client is not None:
                self._client.close()


__all__ = ["RunContext"]
