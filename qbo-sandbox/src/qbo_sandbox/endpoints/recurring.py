"""RecurringTransaction: a template of one transaction, written and answered wrapped in its type.

A client sends ``{"Invoice": {..., "RecurringInfo": {...}}}`` to ``recurringtransaction`` and gets
back ``{"RecurringTransaction": {"Invoice": {...}}}``; a query answers a list of such wrappers,
and a delete ``{"RecurringTransaction": {"status": "Deleted", "domain": "QBO", "Invoice":
{"Id": ...}}}``. The row is stored as the wrapper, so reads and queries answer it as stored. A
template is checked as its transaction is (its schema, required fields, references), posts
nothing to the ledger and applies no payment; QuickBooks makes the transactions it schedules,
which the sandbox does not.
"""

from __future__ import annotations

from typing import Any

from qbo_client import catalog
from qbo_client.catalog import ObjectSpec

from qbo_sandbox import clock, faults
from qbo_sandbox.store import unwrap
from qbo_sandbox.validation import check_payload

from .core import SERVER_FIELDS, Context, Core, Endpoint
from .rules import Rules

#: What the server fills on a transaction that a template does not carry unless given.
_NOT_ON_TEMPLATES = ("TxnDate", "DocNumber")


class Recurring(Endpoint):
    """``POST recurringtransaction`` (create, full or sparse update, ``operation=delete``)."""

    def __init__(self, core: Core, rules: Rules) -> None:
        super().__init__(core)
        self.rules = rules

    def write(self, realm: str, spec: ObjectSpec, body: dict[str, Any], operation: str) -> dict[str, Any]:
        """The answer's ``RecurringTransaction`` object for one write."""
        kind, inner = self._template(spec, body)
        if operation == "delete":
            return self.delete(realm, spec, kind, inner)
        if operation not in ("", "create", "update"):
            raise faults.unsupported_operation(f"Operation {operation} is not supported for {spec.name}")
        if inner.get("Id") not in (None, ""):
            return self.update(realm, spec, kind, inner)
        if operation == "update":
            raise faults.required_missing("Id")
        return self.create(realm, spec, kind, inner)

    @staticmethod
    def _template(spec: ObjectSpec, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The transaction type a request wraps and its object (exactly one of them)."""
        kinds = [key for key in body if key in spec.wraps]
        others = [key for key in body if key not in spec.wraps]
        if len(kinds) != 1 or others or not isinstance(body[kinds[0]], dict):
            raise faults.malformed_request(
                f"A {spec.name} is one transaction under its type, "
                f'{{"Invoice": {{...}}}}; it may be one of: {", ".join(spec.wraps)}'
            )
        return kinds[0], body[kinds[0]]

    def _complete(
        self, realm: str, kind: str, payload: dict[str, Any], *, creating: bool, old: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The template checked and completed as its transaction (no number or date of its own)."""
        given = {field for field in _NOT_ON_TEMPLATES if payload.get(field)}
        info = payload.get("RecurringInfo")
        if not isinstance(info, dict):
            raise faults.required_missing("RecurringInfo")
        if not str(info.get("Name") or "").strip():
            raise faults.required_missing("RecurringInfo.Name")
        self.rules.complete(
            realm, catalog.get(kind), payload, Context(self.store, realm), creating=creating, old=old
        )
        for field in _NOT_ON_TEMPLATES:
            if field not in given and (old is None or field not in old):
                payload.pop(field, None)
        return payload

    def _check_name(self, realm: str, spec: ObjectSpec, name: str, own_id: str | None) -> None:
        """A template's name is unique among the company's templates (case-insensitively)."""
        wanted = name.strip().casefold()
        for wrapper in self.store.iter_payloads(realm, spec.name):
            other = unwrap(spec, wrapper)
            info = other.get("RecurringInfo") or {}
            if str(info.get("Name") or "").strip().casefold() == wanted and other.get("Id") != own_id:
                raise faults.duplicate_name()

    def create(self, realm: str, spec: ObjectSpec, kind: str, inner: dict[str, Any]) -> dict[str, Any]:
        payload = check_payload(catalog.get(kind), inner, creating=True)
        for field in (*SERVER_FIELDS, "sparse", "RecurDataRef"):
            payload.pop(field, None)
        with self.store.db.tx() as conn:
            payload = self._complete(realm, kind, payload, creating=True, old=None)
            self._check_name(realm, spec, str(payload["RecurringInfo"]["Name"]), None)
            id_ = self.store.next_id(realm, spec)
            stamp = clock.metadata_time(self.core.now())
            payload = {
                **payload,
                "domain": "QBO",
                "sparse": False,
                "Id": str(id_),
                "SyncToken": "0",
                "RecurDataRef": {"value": str(id_)},
                "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
            }
            wrapper = {kind: payload}
            self.store.put(conn, realm, spec, id_, wrapper)
        return wrapper

    def update(self, realm: str, spec: ObjectSpec, kind: str, inner: dict[str, Any]) -> dict[str, Any]:
        id_ = self.core.parse_id(inner.get("Id"))
        if inner.get("SyncToken") in (None, ""):
            raise faults.required_missing("SyncToken")
        sparse = inner.get("sparse") is True or str(inner.get("sparse")).lower() == "true"
        payload = check_payload(catalog.get(kind), inner, creating=False)
        with self.store.db.tx() as conn:
            row = self.core.live_row(realm, spec, id_)
            stored = row.payload()
            if kind not in stored:
                held = next(iter(stored), "?")
                raise faults.business_rule(
                    f"{spec.name} {id_} is a template of a {held}, not of a {kind}: send it as {held}"
                )
            if str(inner["SyncToken"]).strip() != str(row.sync_token):
                raise faults.stale_object(spec.name, str(id_))
            old = stored[kind]
            kept = ("RecurDataRef",)
            if sparse:
                merged = {**old, **{k: v for k, v in payload.items() if k not in SERVER_FIELDS}}
                if "Line" in payload and "TotalAmt" not in payload:
                    merged.pop("TotalAmt", None)
            else:
                merged = {k: v for k, v in payload.items() if k not in SERVER_FIELDS}
                merged.update({k: old[k] for k in kept if k in old})
            merged.pop("sparse", None)
            merged = self._complete(realm, kind, merged, creating=False, old=old)
            self._check_name(realm, spec, str(merged["RecurringInfo"]["Name"]), old.get("Id"))
            new = self.core.stamp(merged, old, row.sync_token + 1)
            wrapper = {kind: new}
            self.store.put(conn, realm, spec, id_, wrapper)
        return wrapper

    def delete(self, realm: str, spec: ObjectSpec, kind: str, inner: dict[str, Any]) -> dict[str, Any]:
        id_ = self.core.parse_id(inner.get("Id"))
        if inner.get("SyncToken") in (None, ""):
            raise faults.required_missing("SyncToken")
        with self.store.db.tx() as conn:
            row = self.core.live_row(realm, spec, id_)
            if str(inner["SyncToken"]).strip() != str(row.sync_token):
                raise faults.stale_object(spec.name, str(id_))
            self.store.tombstone(conn, realm, spec, id_, clock.metadata_time(self.core.now()))
        return {"status": "Deleted", "domain": "QBO", kind: {"Id": str(id_)}}


def loaded_template(
    core: Core, realm: str, spec: ObjectSpec, payload: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    """A template to load as given (``{"Invoice": {...}}``): its Id, and what a load fills inside it."""
    kind, inner = Recurring._template(spec, payload)
    inner = dict(inner)
    if inner.get("Id") not in (None, ""):
        id_ = core.parse_id(inner["Id"])
    else:
        id_ = core.store.next_id(realm, spec)
        inner["Id"] = str(id_)
    inner.setdefault("domain", "QBO")
    inner.setdefault("sparse", False)
    inner.setdefault("SyncToken", "0")
    if "MetaData" not in inner:
        stamp = clock.metadata_time(core.now())
        inner["MetaData"] = {"CreateTime": stamp, "LastUpdatedTime": stamp}
    return id_, {kind: inner}
