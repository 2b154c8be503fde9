"""What every endpoint family shares: the store, the company clock, Ids, MetaData and Account balances."""

from __future__ import annotations

import json
import threading
import zlib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from qbo_client import catalog
from qbo_client.catalog import ObjectSpec

from qbo_sandbox import clock, faults, ledger
from qbo_sandbox.config import SandboxConfig
from qbo_sandbox.querying import MAX_ID
from qbo_sandbox.store import Row, Store

HOME_CURRENCY = {"value": "USD", "name": "United States Dollar"}
#: Fields the server owns: a client cannot set them, and a full update keeps them.
SERVER_FIELDS = ("Id", "MetaData", "domain", "SyncToken")


def dumps(value: Any) -> str:
    """Compact JSON text, as QBO answers."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class Context:
    """The ledger's view of one company, cached for the length of one operation or load."""

    def __init__(self, store: Store, realm: str) -> None:
        self.store = store
        self.realm = realm
        self._cache: dict[tuple[str, str], dict[str, Any] | None] = {}
        self._accounts: list[dict[str, Any]] | None = None

    def get(self, entity: str, id_: str) -> dict[str, Any] | None:
        key = (entity, str(id_))
        if key not in self._cache:
            self._cache[key] = self.store.get(self.realm, entity, id_)
        return self._cache[key]

    def accounts(self) -> list[dict[str, Any]]:
        if self._accounts is None:
            self._accounts = list(self.store.iter_payloads(self.realm, "Account"))
        return self._accounts

    def seen(self, entity: str, payload: dict[str, Any]) -> None:
        """Keep the cache true after a write within the same operation."""
        if "Id" in payload:
            self._cache[(entity, str(payload["Id"]))] = payload
        if entity == "Account":
            self._accounts = None


class Core:
    """The store, config and time zone of one sandbox, and the helpers every endpoint uses."""

    def __init__(self, store: Store, config: SandboxConfig) -> None:
        self.store = store
        self.config = config
        self.tz = ZoneInfo(config.timezone)
        self._local = threading.local()

    @property
    def rows_returned(self) -> int:
        """How many entities the current thread's last request answered (for per-row latency)."""
        return int(getattr(self._local, "rows", 0))

    @rows_returned.setter
    def rows_returned(self, value: int) -> None:
        self._local.rows = value

    def now(self) -> datetime:
        """The current moment in the company's time zone."""
        return datetime.now(self.tz)

    @staticmethod
    def spec_for_path(segment: str) -> ObjectSpec:
        """The object a URL path segment names, or the fault QBO answers for an unknown resource."""
        spec = catalog.find(segment)
        if spec is None or spec.path != segment.lower():
            raise faults.unsupported_operation(f"Operation Could not find resource for relative : {segment}")
        return spec

    @staticmethod
    def parse_id(value: Any) -> int:
        """An Id from a request, or the invalid-Id fault."""
        text = str(value).strip() if value is not None else ""
        if not is_id(text):
            raise faults.invalid_id(text)
        return int(text)

    def live_row(self, realm: str, spec: ObjectSpec, id_: int) -> Row:
        """The stored, not deleted row of an object, or the object-not-found fault."""
        row = self.store.get_row(realm, spec.name, id_)
        if row is None:
            raise faults.object_not_found(spec.name, str(id_))
        return row

    def overlay(self, realm: str, spec: ObjectSpec, payload: dict[str, Any]) -> dict[str, Any]:
        """Fill what QBO computes at read time (Account balances from the ledger)."""
        if spec.name == "Account":
            self.overlay_accounts(realm, [payload])
        return payload

    def overlay_accounts(self, realm: str, accounts: list[dict[str, Any]]) -> None:
        """Set each account's CurrentBalance (and with sub-accounts) from the ledger's postings,
        moved by the opening figures a load kept (``Loader.load``)."""
        own, with_sub = self.account_balances(realm)
        for acc in accounts:
            aid = acc.get("Id", "")
            for field, totals in (("CurrentBalance", own), ("CurrentBalanceWithSubAccounts", with_sub)):
                value = ledger.current_balance(acc, totals.get(aid, 0.0))
                stored = acc.get(field)
                if isinstance(stored, bool) or not isinstance(stored, (int, float)) or stored != value:
                    acc[field] = value  # else the stored JSON stays (a loaded 0 stays 0, not 0.0)

    def account_balances(self, realm: str) -> tuple[dict[str, float], dict[str, float]]:
        """Each account's debit minus credit, alone and with its sub-accounts: the accrual postings
        plus the rows of bases ``ledger.OPENING`` and ``ledger.OPENING_SUB`` that a load kept."""
        own = dict(self.store.account_totals(realm))
        extra: dict[str, float] = {}
        with self.store.db.read() as conn:
            for aid, basis, amount in conn.execute(
                "SELECT account_id, basis, SUM(amount) FROM postings WHERE realm_id = ? AND basis IN (?, ?) "
                "GROUP BY account_id, basis",
                (realm, ledger.OPENING, ledger.OPENING_SUB),
            ):
                if basis == ledger.OPENING:
                    own[aid] = own.get(aid, 0.0) + amount
                else:
                    extra[aid] = amount
        children: dict[str, list[str]] = {}
        for acc in self.store.iter_payloads(realm, "Account"):
            parent = (acc.get("ParentRef") or {}).get("value")
            if parent:
                children.setdefault(str(parent), []).append(str(acc.get("Id")))
        with_sub: dict[str, float] = {}

        def subtree(aid: str, seen: frozenset[str]) -> float:
            if aid in seen:  # a loaded ParentRef cycle: count each account once
                return 0.0
            inner = seen | {aid}
            return own.get(aid, 0.0) + sum(subtree(c, inner) for c in children.get(aid, []))

        for aid in set(own) | set(extra) | set(children):
            with_sub[aid] = subtree(aid, frozenset()) + extra.get(aid, 0.0)
        return own, with_sub

    def stamp(self, payload: dict[str, Any], old: dict[str, Any], sync_token: int) -> dict[str, Any]:
        """A new version of an object: the next SyncToken and LastUpdatedTime, CreateTime kept."""
        meta = dict(old.get("MetaData") or {})
        meta["LastUpdatedTime"] = clock.metadata_time(self.now())
        stamped = {
            **payload,
            "domain": "QBO",
            "sparse": False,
            "Id": old.get("Id"),
            "SyncToken": str(sync_token),
            "MetaData": meta,
        }
        if stamped["Id"] is None:
            del stamped["Id"]  # ExchangeRate has no Id
        return stamped


class Endpoint:
    """An endpoint family: the shared core, and its store, config and time zone at hand."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.store = core.store
        self.config = core.config
        self.tz = core.tz


def is_id(text: str) -> bool:
    """Whether a text is an Id an object can have: ASCII digits within 64 bits."""
    return text.isascii() and text.isdigit() and int(text) <= MAX_ID


def to_number(value: Any) -> float:
    """A JSON value as a number; anything else counts as 0."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def synthetic_id(payload: dict[str, Any]) -> int:
    """A stable internal row id for objects the API gives no Id (ExchangeRate)."""
    key = f"{payload.get('SourceCurrencyCode')}|{payload.get('AsOfDate')}"
    return zlib.crc32(key.encode()) & 0x7FFFFFFF
