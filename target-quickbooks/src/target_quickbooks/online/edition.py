"""QuickBooks Online as the target's edition: a qbo-client connection, found and written in batches."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from qbo_client import catalog, custom_fields
from qbo_client.catalog import ObjectSpec
from qbo_client.client import QBOClient
from qbo_client.config import ClientConfig

from target_quickbooks.edition import Found, Kind, NameIndex, Outcome, RunContext
from target_quickbooks.hooks import ObjectHooks
from target_quickbooks.plan import Action, Step
from target_quickbooks.records import PendingRecord

from . import custom_columns
from .attachments import AttachableHooks
from .lookups import Lookups, Wants, name_field
from .matching import Matcher
from .repairs import Repairs
from .sending import Sender
from .taxes import RateStash, TaxCodeHooks, TaxRateHooks


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
            "Attachable": AttachableHooks(),  # a record naming a file: POST upload
        }
        self._tid = threading.local()
        #: Requests answered, by kind (batch, query, post, get, cdc, token): the summary's figures.
        self._kinds: Counter[str] = Counter()
        self._kinds_lock = threading.Lock()
        self._client: QBOClient | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._custom_fields: dict[str, tuple[custom_fields.Definition, ...]] | None = None
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
            self._client = QBOClient(config)  # its limiter keeps a margin on QuickBooks' window
            self._client.session.hooks["response"].append(self._remember_tid)
        return self._client

    def _remember_tid(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._tid.value = response.headers.get("intuit_tid", "")
        with self._kinds_lock:
            self._kinds[request_kind(response.request.method or "", response.request.url or "")] += 1

    def shape(self, spec: ObjectSpec, record: dict[str, Any]) -> dict[str, Any]:
        """The record with its custom-field columns as the company's ``CustomField`` entries."""
        return custom_columns.apply(spec, record, self.custom_fields)

    def custom_fields(self) -> dict[str, tuple[custom_fields.Definition, ...]]:
        """The company's custom fields by object (its Preferences, read once, when a record first
        brings custom-field columns)."""
        if self._custom_fields is None:
            self._custom_fields = custom_fields.definitions(self.client.preferences())
        return self._custom_fields

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
        return self.lookups.by_ids(spec.name, ids, cached=True)

    def prefetch(
        self,
        records: Mapping[str, list[PendingRecord]],
        names: Mapping[str, set[str]],
        ids: Mapping[str, set[str]],
    ) -> None:
        """Read ahead, in a few batch requests, what finding these records and resolving these
        names will look up (the rows last this drain), and re-read the objects with these Ids."""
        wants = Wants()
        for obj, pending in records.items():
            self.matcher.wants(catalog.get(obj), pending, wants)
        for obj, wanted in names.items():
            field = name_field(obj)
            if field is not None:
                wants.add(obj, field, {n for n in wanted if self.lookups.cached_name(obj, n) is None})
        if ids:
            fresh = Wants()
            for obj, wanted in ids.items():
                fresh.add(obj, "Id", wanted, all_active_states=catalog.get(obj).is_name_list)
            self.lookups.prefetch(fresh, fresh=True)
        if wants:
            self.lookups.prefetch(wants)

    def begin_drain(self) -> None:
        """A new drain: what was read ahead for the last one is not trusted any more."""
        if self._lookups is not None:
            self._lookups.clear()

    def write(self, spec: ObjectSpec, steps: list[Step]) -> list[Outcome]:
        answers = self.sender.send(spec, steps)
        outcomes = self.repairs.outcomes(spec, steps, answers)
        for outcome in outcomes:
            if outcome.kind is not Kind.DONE:
                continue
            if outcome.step.action is Action.DELETE and outcome.step.target_id:
                self.lookups.forget(spec.name, outcome.step.target_id)
            elif outcome.obj:
                self.lookups.learn(spec.name, outcome.obj)
        return outcomes

    def stats(self) -> dict[str, int]:
        if self._client is None:
            return {}
        return {**self._client.stats.as_dict(), **{f"requests_{k}": v for k, v in self._kinds.items()}}

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        if self._client is not None:
            self._client.close()


def request_kind(method: str, url: str) -> str:
    """What a request to QuickBooks was: ``batch``, ``query``, ``post`` (a write on its own),
    ``get`` (a read on its own), ``cdc`` or ``token`` (OAuth)."""
    path = url.split("?", 1)[0].rstrip("/")
    if "/v3/company/" not in path:
        return "token"
    rest = path.split("/v3/company/", 1)[1].split("/", 1)[-1].lower()
    if rest == "batch":
        return "batch"
    if rest == "query":
        return "query"
    if rest == "cdc":
        return "cdc"
    return "post" if method.upper() == "POST" else "get"
