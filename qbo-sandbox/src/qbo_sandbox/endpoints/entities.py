"""Writes of one object: create, full and sparse update, delete (or inactivate), void, and the
singletons and exchange rates updated in place."""

from __future__ import annotations

import copy
from typing import Any

from qbo_client.catalog import Delete, ObjectSpec, Void

from qbo_sandbox import clock, faults
from qbo_sandbox.store import Row
from qbo_sandbox.validation import check_payload

from .core import HOME_CURRENCY, SERVER_FIELDS, Context, Core, Endpoint, synthetic_id
from .recurring import Recurring
from .rules import Rules

#: Transactions whose TotalAmt is input, not computed from the lines.
_TOTAL_GIVEN = ("JournalEntry", "Payment", "BillPayment")


class Entities(Endpoint):
    """``POST {entity}`` (with ``operation=delete``, ``operation=void``, ``include=void``)."""

    def __init__(self, core: Core) -> None:
        super().__init__(core)
        self.rules = Rules(core)
        self.recurring = Recurring(core, self.rules)

    def write(
        self, realm: str, spec: ObjectSpec, body: Any, operation: str | None, include: str | None
    ) -> dict:
        """``POST {entity}`` with its ``operation``/``include`` options; answers the wrapped object."""
        if not isinstance(body, dict):
            raise faults.malformed_request(f"The request body for {spec.name} must be a JSON object")
        op = (operation or "").lower()
        if spec.wraps:  # RecurringTransaction: {"Invoice": {...}}
            return {spec.name: self.recurring.write(realm, spec, body, op)}
        if op == "delete":
            return {spec.name: self.delete(realm, spec, body)}
        if op == "void":
            if spec.void is not Void.OPERATION_VOID:
                raise faults.unsupported_operation(f"Operation void is not supported for {spec.name}")
            return {spec.name: self.void(realm, spec, body)}
        if (include or "").lower() == "void":
            if spec.void is not Void.UPDATE_INCLUDE_VOID:
                raise faults.unsupported_operation(f"Operation void is not supported for {spec.name}")
            return {spec.name: self.void(realm, spec, body)}
        if op not in ("", "create", "update"):
            raise faults.unsupported_operation(f"Operation {operation} is not supported for {spec.name}")
        if "Id" in body and body.get("Id") not in (None, ""):
            return {spec.name: self.update(realm, spec, body)}
        if op == "update":
            raise faults.required_missing("Id")
        return {spec.name: self.create(realm, spec, body)}

    def create(self, realm: str, spec: ObjectSpec, body: dict[str, Any]) -> dict[str, Any]:
        """A new object: validated, completed, given the next Id, posted to the ledger."""
        if not spec.create:
            raise faults.unsupported_operation(f"Operation Create is not supported for {spec.name}")
        payload = check_payload(spec, body, creating=True)
        for field in SERVER_FIELDS:
            payload.pop(field, None)
        payload.pop("sparse", None)
        with self.store.db.tx() as conn:
            ctx = Context(self.store, realm)
            self.rules.complete(realm, spec, payload, ctx, creating=True)
            id_ = self.store.next_id(realm, spec)
            stamp = clock.metadata_time(self.core.now())
            payload = {
                **payload,
                "domain": "QBO",
                "sparse": False,
                "Id": str(id_),
                "SyncToken": "0",
                "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
            }
            self.rules.check_unique(realm, spec, payload, None)
            self.store.put(conn, realm, spec, id_, payload)
            ctx.seen(spec.name, payload)
            self.rules.after_write(conn, realm, spec, payload, None, ctx)
        return self.core.overlay(realm, spec, payload)

    def update(self, realm: str, spec: ObjectSpec, body: dict[str, Any]) -> dict[str, Any]:
        """A full or sparse update at the current SyncToken; links and postings follow."""
        if not spec.update:
            raise faults.unsupported_operation(f"Operation Update is not supported for {spec.name}")
        id_ = self.core.parse_id(body.get("Id"))
        if body.get("SyncToken") in (None, ""):
            raise faults.required_missing("SyncToken")
        sparse = body.get("sparse") is True or str(body.get("sparse")).lower() == "true"
        payload = check_payload(spec, body, creating=False)
        with self.store.db.tx() as conn:
            row = self.core.live_row(realm, spec, id_)
            if str(body["SyncToken"]).strip() != str(row.sync_token):
                raise faults.stale_object(spec.name, str(id_))
            old = row.payload()
            if sparse:
                merged = {**old, **{k: v for k, v in payload.items() if k not in SERVER_FIELDS}}
                # QBO computes a transaction's total (and an invoice's or bill's balance) from its
                # lines: new lines without a total must not keep the old one.
                if "Line" in payload and "TotalAmt" not in payload and spec.name not in _TOTAL_GIVEN:
                    merged.pop("TotalAmt", None)
                if spec.name in ("Invoice", "Bill") and "Balance" not in payload:
                    merged.pop("Balance", None)
            else:
                merged = {k: v for k, v in payload.items() if k not in SERVER_FIELDS}
                for keep in ("CurrentBalance", "Balance", "BalanceWithJobs") if spec.is_name_list else ():
                    if keep in old and keep not in merged:
                        merged[keep] = old[keep]
            merged.pop("sparse", None)
            ctx = Context(self.store, realm)
            self.rules.complete(realm, spec, merged, ctx, creating=False, old=old)
            new = self.core.stamp(merged, old, row.sync_token + 1)
            self.rules.check_unique(realm, spec, new, id_)
            self.store.put(conn, realm, spec, id_, new)
            ctx.seen(spec.name, new)
            self.rules.after_write(conn, realm, spec, new, old, ctx)
        return self.core.overlay(realm, spec, new)

    def _stamp(self, payload: dict[str, Any], old: dict[str, Any], sync_token: int) -> dict[str, Any]:
        meta = dict(old.get("MetaData") or {})
        meta["LastUpdatedTime"] = clock.metadata_time(self.core.now())
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

    def delete(self, realm: str, spec: ObjectSpec, body: dict[str, Any]) -> dict[str, Any]:
        """Delete a transaction (or inactivate a name-list object, as QBO does)."""
        if spec.delete is Delete.INACTIVATE:
            body = {"Id": body.get("Id"), "SyncToken": body.get("SyncToken"), "sparse": True, "Active": False}
            self.update(realm, spec, body)
            return {"domain": "QBO", "status": "Deleted", "Id": str(body["Id"])}
        if spec.delete is not Delete.DELETE:
            raise faults.unsupported_operation(f"Operation Delete is not supported for {spec.name}")
        id_ = self.core.parse_id(body.get("Id"))
        with self.store.db.tx() as conn:
            self._take_off_books(conn, realm, spec, id_, body.get("SyncToken"))
            self.store.replace_postings(conn, realm, spec.name, id_, "", [])
            self.store.tombstone(conn, realm, spec, id_, clock.metadata_time(self.core.now()))
        return {"domain": "QBO", "status": "Deleted", "Id": str(id_)}

    def _take_off_books(
        self, conn: Any, realm: str, spec: ObjectSpec, id_: int, sync_token: Any
    ) -> tuple[Row, dict[str, Any]]:
        """Check the SyncToken of a transaction about to be deleted or voided and un-apply its payments."""
        if sync_token in (None, ""):
            raise faults.required_missing("SyncToken")
        row = self.core.live_row(realm, spec, id_)
        if str(sync_token).strip() != str(row.sync_token):
            raise faults.stale_object(spec.name, str(id_))
        old = row.payload()
        self.rules.relink(conn, realm, spec, old, -1, Context(self.store, realm))
        return row, old

    def void(self, realm: str, spec: ObjectSpec, body: dict[str, Any]) -> dict[str, Any]:
        """Zero a transaction's amounts, keep the document, and take it off the ledger."""
        id_ = self.core.parse_id(body.get("Id"))
        with self.store.db.tx() as conn:
            row, old = self._take_off_books(conn, realm, spec, id_, body.get("SyncToken"))
            voided = copy.deepcopy(old)
            for line in voided.get("Line") or []:
                line["Amount"] = 0
                for detail in line.values():
                    if isinstance(detail, dict) and "Qty" in detail:
                        detail["Qty"] = 0
            for field in ("TotalAmt", "Balance", "HomeTotalAmt", "HomeBalance", "UnappliedAmt"):
                if field in voided:
                    voided[field] = 0
            if isinstance(voided.get("TxnTaxDetail"), dict):
                voided["TxnTaxDetail"] = {"TotalTax": 0}
            note = voided.get("PrivateNote") or ""
            voided["PrivateNote"] = "Voided" + (f" - {note}" if note else "")
            new = self.core.stamp(voided, old, row.sync_token + 1)
            self.store.put(conn, realm, spec, id_, new)
            self.store.replace_postings(conn, realm, spec.name, id_, "", [])
        return new

    def update_singleton(self, realm: str, spec: ObjectSpec, body: Any) -> dict[str, Any]:
        """CompanyInfo, Company and Preferences: one per company, updated in place."""
        if not isinstance(body, dict):
            raise faults.malformed_request(f"The request body for {spec.name} must be a JSON object")
        row = self.store.singleton(realm, spec.name)
        if row is None:
            raise faults.object_not_found(spec.name, "1")
        body = {**body, "Id": body.get("Id", str(row.id))}
        return self.update(realm, spec, body)

    def update_keyed(self, realm: str, spec: ObjectSpec, body: Any) -> dict[str, Any]:
        """ExchangeRate has no Id: it is updated by currency and date, created when new."""
        if not isinstance(body, dict):
            raise faults.malformed_request(f"The request body for {spec.name} must be a JSON object")
        payload = check_payload(spec, body, creating=False)
        for field in ("SourceCurrencyCode", "AsOfDate", "Rate"):
            if payload.get(field) in (None, ""):
                raise faults.required_missing(field)
        key = synthetic_id(payload)
        with self.store.db.tx() as conn:
            row = self.store.get_row(realm, spec.name, key)
            old = (
                row.payload()
                if row
                else {"Id": None, "MetaData": {"CreateTime": clock.metadata_time(self.core.now())}}
            )
            if row is not None and str(payload.get("SyncToken", row.sync_token)) != str(row.sync_token):
                raise faults.stale_object(spec.name, f"{payload['SourceCurrencyCode']} {payload['AsOfDate']}")
            merged = {**old, **{k: v for k, v in payload.items() if k not in SERVER_FIELDS}}
            merged.setdefault("TargetCurrencyCode", HOME_CURRENCY["value"])
            new = self.core.stamp(merged, old, row.sync_token + 1 if row else 0)
            new.pop("Id", None)
            new.pop("sparse", None)
            self.store.put(conn, realm, spec, key, new)
        return new
