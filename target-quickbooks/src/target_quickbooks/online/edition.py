"""QuickBooks Online as the target's edition: a qbo-client connection, found and written in batches."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from qbo_client.catalog import ObjectSpec
from qbo_client.client import QBOClient
from qbo_client.config import ClientConfig
from qbo_client.ratelimit import RateLimiter

from target_quickbooks.edition import Found, NameIndex, Outcome, RunContext
from target_quickbooks.hooks import ObjectHooks
from target_quickbooks.plan import Step
from target_quickbooks.records import PendingRecord

from .lookups import Lookups
from .matching import Matcher
from .repairs import Repairs
from .sending import Sender
from .taxes import RateStash, TaxCodeHooks, TaxRateHooks

#: How much longer than QuickBooks' limit window the target's limiter window is.
LIMIT_MARGIN = 1.02


class OnlineEdition:
    """A QuickBooks Online company (``settings.client``), opened on first use."""

    def __init__(self, run: RunContext) -> None:
        self.run = run
        self.settings = run.settings
        self.realm = str(self.settings.client.get("realm_id", ""))
        stash = RateStash()
        self._hooks: dict[str, ObjectHooks] = {
            "TaxCode": TaxCodeHooks(stash, run, lambda: self.names),
            "TaxRate": TaxRateHooks(stash),
        }
        self._tid = threading.local()
        self._client: QBOClient | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._lookups: Lookups | None = None
        self.matcher = Matcher(lambda: self.client, lambda: self.lookups, run.ledger, self.realm)
        self.sender = Sender(
            lambda: self.client,
            lambda: self.executor,
            realm=self.realm,
            batch_size=self.settings.batch_size,
            hooks=self._hooks,
            last_tid=lambda: getattr(self._tid, "value", ""),
        )
        self._repairs: Repairs | None = None

    # -- lazily opened resources (a run with no records never connects) ------------------------

    @property
    def client(self) -> QBOClient:
        if self._client is None:
            config = ClientConfig.from_mapping(self.settings.client)
            # QBO counts a request when it arrives, the limiter when it leaves: a window a little
            # longer than QBO's keeps the one-after-the-limit request from arriving a moment early.
            limiter = RateLimiter(
                config.requests_per_minute,
                config.max_in_flight,
                config.batch_per_minute,
                period=config.rate_limit_window * LIMIT_MARGIN,
            )
            self._client = QBOClient(config, limiter=limiter)
            self._client.session.hooks["response"].append(self._remember_tid)
        return self._client

    def _remember_tid(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._tid.value = response.headers.get("intuit_tid", "")

    @property
    def executor(self) -> ThreadPoolExecutor:
        if self._executor is None:
            workers = max(2, int(self.settings.client.get("max_in_flight") or 10))
            self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="qbo-write")
        return self._executor

    @property
    def lookups(self) -> Lookups:
        if self._lookups is None:
            self._lookups = Lookups(self.client, self.executor)
        return self._lookups

    @property
    def repairs(self) -> Repairs:
        if self._repairs is None:
            self._repairs = Repairs(self.matcher, self.lookups, self.run.policy)
        return self._repairs

    # -- the edition ------------------------------------------------------------------------------

    @property
    def names(self) -> NameIndex:
        return self.lookups

    @property
    def hooks(self) -> Mapping[str, ObjectHooks]:
        return self._hooks

    def find(self, spec: ObjectSpec, ready: list[tuple[PendingRecord, dict[str, Any]]]) -> Found:
        return self.matcher.find(spec, ready)

    def read(self, spec: ObjectSpec, ids: list[str]) -> dict[str, dict[str, Any]]:
        return self.lookups.by_ids(spec.name, ids)

    def write(self, spec: ObjectSpec, steps: list[Step]) -> list[Outcome]:
        answers = self.sender.send(spec, steps)
        return self.repairs.outcomes(spec, steps, answers)

    def stats(self) -> dict[str, int]:
        return self._client.stats.as_dict() if self._client is not None else {}

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        if self._client is not None:
            self._client.close()
