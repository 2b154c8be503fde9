"""What the QuickBooks Online API does with a request: validation, writes, queries, CDC, batch, reports.

The HTTP layer (``app.py``) only maps paths to these methods; everything a client can observe
about an object's life (Ids, SyncTokens, MetaData, names of inactive rows, ledger postings,
applied payments) is decided here, so the batch endpoint and the plain endpoints behave alike.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from qbo_client import catalog, references
from qbo_client.catalog import Delete, Kind, ObjectSpec, Void

from . import clock, faults, ledger, reports
from .config import SandboxConfig
from .faults import QBOFault
from .querying import MAX_ID, compile_query, invalid_query, parse_query
from .store import DELETED_SUFFIX, Row, Store, base_name
from .validation import check_payload

HOME_CURRENCY = {"value": "USD", "name": "United States Dollar"}
#: Fields the server owns: a client cannot set them, and a full update keeps them.
_SERVER_FIELDS = ("Id", "MetaData", "domain", "SyncToken")
#: Which linked transaction a payment-like object pays down.
_PAYS = {"Payment": "Invoice", "BillPayment": "Bill"}
#: Transactions whose TotalAmt is input, not computed from the lines.
_TOTAL_GIVEN = ("JournalEntry", "Payment", "BillPayment")


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class _Context:
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


class Service:
    """The QuickBooks Online API over a :class:`Store`."""

    def __init__(self, store: Store, config: SandboxConfig) -> None:
        self.store = store
        self.config = config
        self.tz = ZoneInfo(config.timezone)
        self._local = threading.local()

    # -- helpers --------------------------------------------------------------------------------

    def spec_for_path(self, segment: str) -> ObjectSpec:
        spec = catalog.find(segment)
        if spec is None or spec.path != segment.lower():
            raise faults.unsupported_operation(f"Operation Could not find resource for relative : {segment}")
        return spec

    def _now(self) -> datetime:
        return datetime.now(self.tz)

    @staticmethod
    def _parse_id(value: Any) -> int:
        text = str(value).strip() if value is not None else ""
        if not is_id(text):
            raise faults.invalid_id(text)
        return int(text)

    def _live_row(self, realm: str, spec: ObjectSpec, id_: int) -> Row:
        row = self.store.get_row(realm, spec.name, id_)
        if row is None:
            raise faults.object_not_found(spec.name, str(id_))
        return row

    def _overlay(self, realm: str, spec: ObjectSpec, payload: dict[str, Any]) -> dict[str, Any]:
        """Fill what QBO computes at read time (Account balances from the ledger)."""
        if spec.name == "Account":
            self._overlay_accounts(realm, [payload])
        return payload

    def _overlay_accounts(self, realm: str, accounts: list[dict[str, Any]]) -> None:
        totals = self.store.account_totals(realm)
        children: dict[str, list[str]] = {}
        all_accounts = {a["Id"]: a for a in self.store.iter_payloads(realm, "Account")}
        for acc in all_accounts.values():
            parent = (acc.get("ParentRef") or {}).get("value")
            if parent:
                children.setdefault(parent, []).append(acc["Id"])

        def subtree(aid: str) -> float:
            return totals.get(aid, 0.0) + sum(subtree(c) for c in children.get(aid, []))

        for acc in accounts:
            aid = acc.get("Id", "")
            acc["CurrentBalance"] = ledger.current_balance(acc, totals.get(aid, 0.0))
            acc["CurrentBalanceWithSubAccounts"] = ledger.current_balance(acc, subtree(aid))

    # -- reads ----------------------------------------------------------------------------------

    def read(self, realm: str, spec: ObjectSpec, id_text: str) -> dict[str, Any]:
        if not spec.read:
            raise faults.unsupported_operation(f"Operation Read is not supported for {spec.name}")
        row = self._live_row(realm, spec, self._parse_id(id_text))
        return self._overlay(realm, spec, row.payload())

    def read_singleton(self, realm: str, entity: str) -> dict[str, Any]:
        row = self.store.singleton(realm, entity)
        if row is None:
            raise faults.object_not_found(entity, "1")
        return row.payload()

    def exchange_rate(self, realm: str, source: str, as_of: str | None) -> dict[str, Any]:
        """The rate of a currency on a date: the latest one on or before it (QBO's rule)."""
        if not source:
            raise faults.required_missing("sourcecurrencycode")
        day = as_of or clock.today(self.tz).isoformat()
        best: dict[str, Any] | None = None
        for rate in self.store.iter_payloads(realm, "ExchangeRate"):
            if str(rate.get("SourceCurrencyCode", "")).upper() != source.upper():
                continue
            when = str(rate.get("AsOfDate", ""))
            if when <= day and (best is None or when > str(best.get("AsOfDate", ""))):
                best = rate
        if best is None:
            raise faults.object_not_found("ExchangeRate", f"{source} {day}")
        best.pop("Id", None)
        return best

    def query(self, realm: str, text: str) -> str:
        """The answer to a query as JSON text (rows are joined as stored: no re-serialising)."""
        inner = self._query_inner(realm, text)
        return '{"QueryResponse":' + inner + ',"time":' + dumps(clock.qbo_now(self.tz)) + "}"

    def _query_inner(self, realm: str, text: str) -> str:
        compiled = compile_query(realm, parse_query(text))
        with self.store.db.read() as conn:
            if compiled.count:
                total = conn.execute(compiled.sql, compiled.args).fetchone()[0]
                return dumps({"totalCount": total})
            rows = [r[0] for r in conn.execute(compiled.sql, compiled.args)]
        self.rows_returned = len(rows)
        if not rows:
            return "{}"
        if compiled.spec.name == "Account":
            payloads = [json.loads(r) for r in rows]
            self._overlay_accounts(realm, payloads)
            rows = [dumps(p) for p in payloads]
        return (
            "{" + dumps(compiled.spec.name) + ":[" + ",".join(rows) + "],"
            f'"startPosition":{compiled.start_position},"maxResults":{len(rows)}' + "}"
        )

    @property
    def rows_returned(self) -> int:
        """How many entities the current thread's last request answered (for per-row latency)."""
        return int(getattr(self._local, "rows", 0))

    @rows_returned.setter
    def rows_returned(self, value: int) -> None:
        self._local.rows = value

    def cdc(self, realm: str, entities: str, changed_since: str) -> dict[str, Any]:
        """Objects of the listed types changed since a moment, deleted ones as stubs."""
        if not entities.strip():
            raise faults.required_missing("entities")
        if not changed_since:
            raise faults.required_missing("changedSince")
        try:
            since_key = clock.to_utc_key(changed_since)
        except ValueError as exc:
            raise invalid_query(f"changedSince {changed_since} is not a valid date-time") from exc
        oldest = (self._now() - timedelta(days=self.config.cdc_window_days)).astimezone(ZoneInfo("UTC"))
        if since_key < oldest.strftime("%Y-%m-%dT%H:%M:%S"):
            raise QBOFault(
                "4001",
                "Invalid query",
                f"QueryValidationError: changedSince {changed_since} is older than "
                f"{self.config.cdc_window_days} days, which is not supported",
            )
        specs = []
        for name in entities.split(","):
            spec = catalog.find(name.strip())
            if spec is None:
                raise invalid_query(f"invalid context declaration: {name.strip()}")
            if not spec.cdc:
                raise invalid_query(f"{spec.name} is not supported by change data capture")
            specs.append(spec)
        answers: list[dict[str, Any]] = []
        cap = self.config.cdc_max_per_entity
        total_rows = 0
        with self.store.db.read() as conn:
            for spec in specs:
                rows = conn.execute(
                    "SELECT id, deleted, updated_utc, data FROM entities WHERE realm_id = ? AND type = ? "
                    "AND updated_utc >= ? ORDER BY deleted, updated_utc, id LIMIT ?",
                    (realm, spec.name, since_key, cap),
                ).fetchall()
                live = [json.loads(r[3]) for r in rows if not r[1]]
                gone = [self._deleted_stub(r[0], r[2], r[3]) for r in rows if r[1]]
                if not rows:
                    continue
                if spec.name == "Account":
                    self._overlay_accounts(realm, live)
                total_rows += len(rows)
                answers.append({spec.name: live + gone, "startPosition": 1, "maxResults": len(rows)})
        self.rows_returned = total_rows
        return {"CDCResponse": [{"QueryResponse": answers or [{}]}], "time": clock.qbo_now(self.tz)}

    def _deleted_stub(self, id_: int, updated_utc: str, data: str) -> dict[str, Any]:
        when = datetime.fromisoformat(updated_utc + "+00:00").astimezone(self.tz)
        return {
            "domain": "QBO",
            "status": "Deleted",
            "Id": str(id_),
            "MetaData": {"LastUpdatedTime": clock.metadata_time(when)},
        }

    # -- writes ---------------------------------------------------------------------------------

    def write(
        self, realm: str, spec: ObjectSpec, body: Any, operation: str | None, include: str | None
    ) -> dict:
        """``POST {entity}`` with its ``operation``/``include`` options; answers the wrapped object."""
        if not isinstance(body, dict):
            raise faults.malformed_request(f"The request body for {spec.name} must be a JSON object")
        op = (operation or "").lower()
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
        if not spec.create:
            raise faults.unsupported_operation(f"Operation Create is not supported for {spec.name}")
        payload = check_payload(spec, body, creating=True)
        for field in _SERVER_FIELDS:
            payload.pop(field, None)
        payload.pop("sparse", None)
        with self.store.db.tx() as conn:
            ctx = _Context(self.store, realm)
            self._complete(realm, spec, payload, ctx, creating=True)
            id_ = self.store.next_id(realm, spec)
            stamp = clock.metadata_time(self._now())
            payload = {
                **payload,
                "domain": "QBO",
                "sparse": False,
                "Id": str(id_),
                "SyncToken": "0",
                "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
            }
            self._check_unique(realm, spec, payload, None)
            self.store.put(conn, realm, spec, id_, payload)
            ctx.seen(spec.name, payload)
            self._after_write(conn, realm, spec, payload, None, ctx)
        return self._overlay(realm, spec, payload)

    def update(self, realm: str, spec: ObjectSpec, body: dict[str, Any]) -> dict[str, Any]:
        if not spec.update:
            raise faults.unsupported_operation(f"Operation Update is not supported for {spec.name}")
        id_ = self._parse_id(body.get("Id"))
        if body.get("SyncToken") in (None, ""):
            raise faults.required_missing("SyncToken")
        sparse = body.get("sparse") is True or str(body.get("sparse")).lower() == "true"
        payload = check_payload(spec, body, creating=False)
        with self.store.db.tx() as conn:
            row = self._live_row(realm, spec, id_)
            if str(body["SyncToken"]).strip() != str(row.sync_token):
                raise faults.stale_object(spec.name, str(id_))
            old = row.payload()
            if sparse:
                merged = {**old, **{k: v for k, v in payload.items() if k not in _SERVER_FIELDS}}
                # QBO computes a transaction's total (and an invoice's or bill's balance) from its
                # lines: new lines without a total must not keep the old one.
                if "Line" in payload and "TotalAmt" not in payload and spec.name not in _TOTAL_GIVEN:
                    merged.pop("TotalAmt", None)
                if spec.name in ("Invoice", "Bill") and "Balance" not in payload:
                    merged.pop("Balance", None)
            else:
                merged = {k: v for k, v in payload.items() if k not in _SERVER_FIELDS}
                for keep in ("CurrentBalance", "Balance", "BalanceWithJobs") if spec.is_name_list else ():
                    if keep in old and keep not in merged:
                        merged[keep] = old[keep]
            merged.pop("sparse", None)
            ctx = _Context(self.store, realm)
            self._complete(realm, spec, merged, ctx, creating=False, old=old)
            new = self._stamp(merged, old, row.sync_token + 1)
            self._check_unique(realm, spec, new, id_)
            self.store.put(conn, realm, spec, id_, new)
            ctx.seen(spec.name, new)
            self._after_write(conn, realm, spec, new, old, ctx)
        return self._overlay(realm, spec, new)

    def _stamp(self, payload: dict[str, Any], old: dict[str, Any], sync_token: int) -> dict[str, Any]:
        meta = dict(old.get("MetaData") or {})
        meta["LastUpdatedTime"] = clock.metadata_time(self._now())
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
        if spec.delete is Delete.INACTIVATE:
            body = {"Id": body.get("Id"), "SyncToken": body.get("SyncToken"), "sparse": True, "Active": False}
            self.update(realm, spec, body)
            return {"domain": "QBO", "status": "Deleted", "Id": str(body["Id"])}
        if spec.delete is not Delete.DELETE:
            raise faults.unsupported_operation(f"Operation Delete is not supported for {spec.name}")
        id_ = self._parse_id(body.get("Id"))
        with self.store.db.tx() as conn:
            self._take_off_books(conn, realm, spec, id_, body.get("SyncToken"))
            self.store.replace_postings(conn, realm, spec.name, id_, "", [])
            self.store.tombstone(conn, realm, spec, id_, clock.metadata_time(self._now()))
        return {"domain": "QBO", "status": "Deleted", "Id": str(id_)}

    def _take_off_books(
        self, conn: Any, realm: str, spec: ObjectSpec, id_: int, sync_token: Any
    ) -> tuple[Row, dict[str, Any]]:
        """Check the SyncToken of a transaction about to be deleted or voided and un-apply its payments."""
        if sync_token in (None, ""):
            raise faults.required_missing("SyncToken")
        row = self._live_row(realm, spec, id_)
        if str(sync_token).strip() != str(row.sync_token):
            raise faults.stale_object(spec.name, str(id_))
        old = row.payload()
        self._relink(conn, realm, spec, old, -1, _Context(self.store, realm))
        return row, old

    def void(self, realm: str, spec: ObjectSpec, body: dict[str, Any]) -> dict[str, Any]:
        """Zero a transaction's amounts, keep the document, and take it off the ledger."""
        id_ = self._parse_id(body.get("Id"))
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
            new = self._stamp(voided, old, row.sync_token + 1)
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
        key = _synthetic_id(payload)
        with self.store.db.tx() as conn:
            row = self.store.get_row(realm, spec.name, key)
            old = (
                row.payload()
                if row
                else {"Id": None, "MetaData": {"CreateTime": clock.metadata_time(self._now())}}
            )
            if row is not None and str(payload.get("SyncToken", row.sync_token)) != str(row.sync_token):
                raise faults.stale_object(spec.name, f"{payload['SourceCurrencyCode']} {payload['AsOfDate']}")
            merged = {**old, **{k: v for k, v in payload.items() if k not in _SERVER_FIELDS}}
            merged.setdefault("TargetCurrencyCode", HOME_CURRENCY["value"])
            new = self._stamp(merged, old, row.sync_token + 1 if row else 0)
            new.pop("Id", None)
            new.pop("sparse", None)
            self.store.put(conn, realm, spec, key, new)
        return new

    def tax_service(self, realm: str, body: Any) -> dict[str, Any]:
        """``POST taxservice/taxcode``: create a TaxCode with new TaxRates in one go."""
        if not isinstance(body, dict):
            raise faults.malformed_request("The TaxService body must be a JSON object")
        name = body.get("TaxCode")
        details = body.get("TaxRateDetails")
        if not isinstance(name, str) or not name.strip():
            raise faults.required_missing("TaxCode")
        if not isinstance(details, list) or not details:
            raise faults.required_missing("TaxRateDetails")
        code_spec, rate_spec = catalog.get("TaxCode"), catalog.get("TaxRate")
        with self.store.db.tx() as conn:
            for existing in self.store.iter_payloads(realm, "TaxCode"):
                if str(existing.get("Name", "")).casefold() == name.casefold():
                    raise faults.duplicate_name()
            stamp = clock.metadata_time(self._now())
            rate_refs = []
            answered = []
            for detail in details:
                if not isinstance(detail, dict):
                    raise faults.malformed_request("Each TaxRateDetails item must be an object")
                rate_id = str(detail.get("TaxRateId") or "")
                if rate_id:
                    rate = self.store.get(realm, "TaxRate", rate_id)
                    if rate is None:
                        raise faults.invalid_reference("TaxRate", rate_id, "TaxRateId")
                else:
                    agency = str(detail.get("TaxAgencyId") or "")
                    if self.store.get(realm, "TaxAgency", agency) is None:
                        raise faults.invalid_reference("TaxAgency", agency, "TaxAgencyId")
                    try:
                        value = float(str(detail.get("RateValue")))
                    except (TypeError, ValueError) as exc:
                        raise faults.malformed_request("RateValue must be a number") from exc
                    new_id = self.store.next_id(realm, rate_spec)
                    rate = {
                        "Name": str(detail.get("TaxRateName") or f"{name} rate"),
                        "Active": True,
                        "RateValue": value,
                        "AgencyRef": {"value": agency},
                        "SpecialTaxType": "NONE",
                        "DisplayType": "ReadOnly",
                        "domain": "QBO",
                        "sparse": False,
                        "Id": str(new_id),
                        "SyncToken": "0",
                        "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
                    }
                    self.store.put(conn, realm, rate_spec, new_id, rate)
                rate_refs.append(
                    {
                        "TaxRateRef": {"value": rate["Id"], "name": rate["Name"]},
                        "TaxTypeApplicable": "TaxOnAmount",
                        "TaxOrder": 0,
                    }
                )
                answered.append(
                    {
                        "TaxRateName": rate["Name"],
                        "TaxRateId": rate["Id"],
                        "RateValue": rate.get("RateValue"),
                        "TaxAgencyId": (rate.get("AgencyRef") or {}).get("value"),
                        "TaxApplicableOn": detail.get("TaxApplicableOn", "Sales"),
                    }
                )
            code_id = self.store.next_id(realm, code_spec)
            code = {
                "Name": name,
                "Description": name,
                "Active": True,
                "Taxable": True,
                "TaxGroup": len(rate_refs) > 1,
                "SalesTaxRateList": {"TaxRateDetail": rate_refs},
                "PurchaseTaxRateList": {"TaxRateDetail": []},
                "domain": "QBO",
                "sparse": False,
                "Id": str(code_id),
                "SyncToken": "0",
                "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
            }
            self.store.put(conn, realm, code_spec, code_id, code)
        return {"TaxCode": name, "TaxCodeId": str(code_id), "TaxRateDetails": answered}

    # -- rules applied to every create and update -----------------------------------------------

    def _complete(
        self,
        realm: str,
        spec: ObjectSpec,
        payload: dict[str, Any],
        ctx: _Context,
        *,
        creating: bool,
        old: dict[str, Any] | None = None,
    ) -> None:
        """Fill what the server fills and check what the server checks, in place."""
        self._resolve_refs(realm, spec, payload, ctx)
        if spec.is_name_list:
            self._name_list_rules(spec, payload, ctx, old)
        if spec.is_transaction:
            self._transaction_rules(realm, spec, payload, creating=creating, old=old)

    def _resolve_refs(
        self, realm: str, spec: ObjectSpec, payload: Any, ctx: _Context, prop: str = ""
    ) -> None:
        """Every reference must point to a live, active object; its ``name`` is filled as QBO does."""
        if isinstance(payload, list):
            for item in payload:
                self._resolve_refs(realm, spec, item, ctx, prop)
            return
        if not isinstance(payload, dict):
            return
        for key, value in payload.items():
            if isinstance(value, dict) and key.endswith("Ref") and "value" in value:
                target = (
                    value.get("type") if key == "EntityRef" else references.reference_target(key, spec.name)
                )
                target_spec = catalog.find(str(target)) if target else None
                if target_spec is None or not target_spec.has_id:
                    continue
                ref_id = str(value.get("value", "")).strip()
                if not is_id(ref_id):
                    if key in ("TaxCodeRef",):
                        continue  # US "TAX" / "NON" pseudo codes
                    raise faults.invalid_reference(target_spec.name, ref_id, key)
                found = ctx.get(target_spec.name, ref_id)
                if found is None:
                    raise faults.invalid_reference(target_spec.name, ref_id, key)
                if found.get("Active") is False:
                    raise faults.object_not_found(target_spec.name, ref_id)
                label = found.get("FullyQualifiedName") or found.get("DisplayName") or found.get("Name")
                if isinstance(label, str):
                    value["name"] = label
            elif isinstance(value, (dict, list)):
                self._resolve_refs(realm, spec, value, ctx, key)

    def _name_list_rules(
        self, spec: ObjectSpec, payload: dict[str, Any], ctx: _Context, old: dict[str, Any] | None
    ) -> None:
        payload.setdefault("Active", True)
        key_field = spec.natural_key[0] if spec.natural_key else None
        was_active = old is None or old.get("Active") is not False
        now_active = payload.get("Active") is not False
        if key_field in ("Name", "DisplayName") and isinstance(payload.get(key_field), str):
            name = base_name(payload[key_field])
            # QBO renames an inactive name-list row "<Name> (deleted)" and restores it when reactivated.
            payload[key_field] = name + (DELETED_SUFFIX if not now_active else "")
            if spec.name == "Customer" or spec.name == "Vendor" or spec.name == "Employee":
                payload.setdefault("DisplayName", name)
        if spec.name_space == "party" and not payload.get("DisplayName"):
            parts = [payload.get(p) for p in ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")]
            payload["DisplayName"] = " ".join(p for p in parts if isinstance(p, str) and p)
        if spec.hierarchical:
            leaf = payload.get("Name") if spec.name != "Customer" else payload.get("DisplayName")
            parent_id = (payload.get("ParentRef") or {}).get("value")
            if isinstance(leaf, str):
                if parent_id:
                    parent = ctx.get(spec.name, str(parent_id)) or {}
                    parent_name = base_name(str(parent.get("FullyQualifiedName", "")))
                    payload["FullyQualifiedName"] = f"{parent_name}:{leaf}"
                    payload[spec.sub_flag] = True
                else:
                    payload["FullyQualifiedName"] = leaf
        if spec.name == "Account":
            payload.setdefault("Classification", ledger.classification(str(payload.get("AccountType", ""))))
            payload.setdefault("CurrencyRef", dict(HOME_CURRENCY))
            payload.setdefault("SubAccount", bool(payload.get("ParentRef")))
        if spec.name in ("Customer", "Vendor"):
            payload.setdefault("Balance", 0)
            payload.setdefault("CurrencyRef", dict(HOME_CURRENCY))
        if spec.name == "Customer":
            payload.setdefault("BalanceWithJobs", payload.get("Balance", 0))
            payload.setdefault("Job", bool(payload.get("ParentRef")))
        del was_active

    def _check_unique(
        self, realm: str, spec: ObjectSpec, payload: dict[str, Any], self_id: int | None
    ) -> None:
        from .store import name_key

        key = name_key(spec, payload)
        if key is not None:
            clash = self.store.find_name(realm, key, exclude=(spec.name, self_id) if self_id else None)
            if clash is not None:
                raise faults.duplicate_name()
        doc = payload.get("DocNumber")
        doc_taken = spec.unique_doc_number and isinstance(doc, str) and bool(doc)
        if doc_taken and self.store.find_doc_number(realm, spec.name, str(doc), exclude=self_id):
            raise faults.duplicate_doc_number(str(doc))

    def _transaction_rules(
        self,
        realm: str,
        spec: ObjectSpec,
        payload: dict[str, Any],
        *,
        creating: bool,
        old: dict[str, Any] | None,
    ) -> None:
        payload.setdefault("TxnDate", clock.today(self.tz).isoformat())
        if spec.name != "TimeActivity" and spec.name != "Transfer" and spec.name != "JournalEntry":
            payload.setdefault("CurrencyRef", dict(HOME_CURRENCY))
        if creating and spec.auto_doc_number and not payload.get("DocNumber"):
            payload["DocNumber"] = str(self.store.max_doc_number(realm, spec.name) + 1)
        lines = payload.get("Line")
        if isinstance(lines, list):
            for number, line in enumerate(lines, start=1):
                if isinstance(line, dict) and line.get("DetailType") != "SubTotalLineDetail":
                    line.setdefault("Id", str(number))
                    line.setdefault("LineNum", number)
            if "TotalAmt" not in payload and spec.name not in ("JournalEntry", "Payment", "BillPayment"):
                payload["TotalAmt"] = _line_total(lines) + _number(
                    (payload.get("TxnTaxDetail") or {}).get("TotalTax")
                )
        if spec.name in ("Invoice", "Bill") and (creating or "Balance" not in payload):
            if creating:
                payload["Balance"] = payload.get("TotalAmt", 0)
            else:  # what was paid stays paid: the balance moves with the total
                before = old or {}
                moved = _number(payload.get("TotalAmt")) - _number(before.get("TotalAmt"))
                payload["Balance"] = round(_number(before.get("Balance")) + moved, 2)
        if spec.name in ("Payment", "BillPayment") and "TotalAmt" not in payload:
            payload["TotalAmt"] = round(sum(_number(line.get("Amount")) for line in lines or []), 2)

    def _after_write(
        self,
        conn: Any,
        realm: str,
        spec: ObjectSpec,
        new: dict[str, Any],
        old: dict[str, Any] | None,
        ctx: _Context,
    ) -> None:
        """Move applied amounts between linked documents and re-post the transaction's ledger lines."""
        if not spec.is_transaction:
            return
        if old is not None:
            self._relink(conn, realm, spec, old, -1, ctx)
        self._relink(conn, realm, spec, new, +1, ctx)
        try:
            posts = ledger.postings(spec.name, new, ctx)
        except ledger.LedgerError as exc:
            raise faults.business_rule(str(exc)) from exc
        self.store.replace_postings(
            conn, realm, spec.name, int(new["Id"]), str(new.get("TxnDate", "")), posts
        )

    def _relink(
        self, conn: Any, realm: str, spec: ObjectSpec, payment: dict[str, Any], sign: int, ctx: _Context
    ) -> None:
        """Apply (+1) or un-apply (-1) a payment's lines to the invoices or bills it pays."""
        target = _PAYS.get(spec.name)
        if target is None:
            return
        target_spec = catalog.get(target)
        for line in payment.get("Line") or []:
            amount = _number(line.get("Amount"))
            for link in line.get("LinkedTxn") or []:
                if link.get("TxnType") != target:
                    continue
                doc_id = str(link.get("TxnId", ""))
                row = self.store.get_row(realm, target, int(doc_id)) if is_id(doc_id) else None
                if row is None:
                    if sign > 0:
                        raise faults.invalid_reference(target, doc_id, "LinkedTxn")
                    continue
                doc = row.payload()
                balance = round(_number(doc.get("Balance")) - sign * amount, 2)
                if balance < -0.005:
                    raise faults.business_rule(
                        f"The payment of {amount} is more than the open balance of {target} {doc_id}", "Line"
                    )
                doc["Balance"] = max(balance, 0.0)
                links = [
                    lk
                    for lk in doc.get("LinkedTxn") or []
                    if not (lk.get("TxnId") == payment["Id"] and lk.get("TxnType") == spec.name)
                ]
                if sign > 0:
                    links.append({"TxnId": payment["Id"], "TxnType": spec.name})
                doc["LinkedTxn"] = links
                new_doc = self._stamp(doc, doc, row.sync_token + 1)
                self.store.put(conn, realm, target_spec, row.id, new_doc)
                ctx.seen(target, new_doc)

    # -- bulk load ------------------------------------------------------------------------------

    def load(self, realm: str, items: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, int]:
        """Store payloads as given (their Ids, SyncTokens and MetaData kept), then post the ledger.

        This is how seeds and fixtures get in: no validation beyond the shape, no Ids assigned
        except where a payload has none, so a loaded company answers exactly what was loaded.
        """
        self.store.create_realm(realm)
        counts: dict[str, int] = {}
        top: dict[str, int] = {}
        batch: list[tuple[ObjectSpec, int, dict[str, Any]]] = []
        txns: list[tuple[ObjectSpec, dict[str, Any]]] = []
        with self.store.db.tx() as conn:
            for entity, payload in items:
                spec = catalog.get(entity)
                if not isinstance(payload, dict):
                    raise faults.malformed_request(f"a {entity} to load must be a JSON object")
                payload = dict(payload)
                if spec.has_id and payload.get("Id") not in (None, ""):
                    id_ = self._parse_id(payload["Id"])
                else:
                    id_ = self.store.next_id(realm, spec) if spec.has_id else _synthetic_id(payload)
                    if spec.has_id:
                        payload["Id"] = str(id_)
                payload.setdefault("domain", "QBO")
                payload.setdefault("sparse", False)
                payload.setdefault("SyncToken", "0")
                if "MetaData" not in payload:
                    stamp = clock.metadata_time(self._now())
                    payload["MetaData"] = {"CreateTime": stamp, "LastUpdatedTime": stamp}
                batch.append((spec, id_, payload))
                seq = catalog.get(entity)
                top_key = "transaction" if seq.is_transaction else seq.name
                top[top_key] = max(top.get(top_key, 0), id_)
                counts[spec.name] = counts.get(spec.name, 0) + 1
                if spec.is_transaction:
                    txns.append((spec, payload))
                if len(batch) >= 5000:
                    self.store.put_many(conn, realm, batch)
                    batch.clear()
            self.store.put_many(conn, realm, batch)
            for name, last in top.items():
                spec = catalog.get("Invoice") if name == "transaction" else catalog.get(name)
                if spec.has_id:
                    self.store.bump_sequence(realm, spec, last)
            ctx = _Context(self.store, realm)
            rows: list[tuple[Any, ...]] = []
            for spec, payload in txns:
                try:
                    posts = ledger.postings(spec.name, payload, ctx)
                except ledger.LedgerError as exc:
                    raise faults.business_rule(f"{spec.name} {payload.get('Id')}: {exc}") from exc
                day = str(payload.get("TxnDate", ""))
                rows.extend(
                    (realm, spec.name, int(payload["Id"]), p.account_id, p.amount, p.basis, day)
                    for p in posts
                )
            conn.executemany(
                "INSERT INTO postings (realm_id, type, txn_id, account_id, amount, basis, txn_date) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        return counts

    # -- reports --------------------------------------------------------------------------------

    def report(self, realm: str, name: str, params: Mapping[str, str]) -> dict[str, Any]:
        accounts = list(self.store.iter_payloads(realm, "Account"))
        company_row = self.store.singleton(realm, "CompanyInfo")
        prefs_row = self.store.singleton(realm, "Preferences")

        def balances(start: date | None, end: date, basis: str) -> dict[str, float]:
            return self.store.balances(realm, start.isoformat() if start else None, end.isoformat(), basis)

        try:
            return reports.run_report(
                name,
                params,
                balances=balances,
                accounts=accounts,
                company=company_row.payload() if company_row else {},
                preferences=prefs_row.payload() if prefs_row else None,
                today=clock.today(self.tz),
                now=self._now(),
            )
        except reports.ReportError as exc:
            raise QBOFault(exc.code, exc.message, exc.detail) from exc

    # -- batch ----------------------------------------------------------------------------------

    def batch(self, realm: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("BatchItemRequest"), list):
            raise faults.malformed_request("A batch needs a BatchItemRequest list")
        items = body["BatchItemRequest"]
        limit = self.config.limits.batch_items
        if len(items) > limit:
            raise QBOFault(
                "1002",
                "Batch size limit exceeded",
                f"A batch may hold at most {limit} items; this one holds {len(items)}",
            )
        answers = []
        rows = 0
        for item in items:
            self.rows_returned = 0
            answers.append(self._batch_item(realm, item))
            rows += self.rows_returned
        # the per-row latency counts every item's rows, not only the last query's
        self.rows_returned = rows
        return {"BatchItemResponse": answers, "time": clock.qbo_now(self.tz)}

    def _batch_item(self, realm: str, item: Any) -> dict[str, Any]:
        if not isinstance(item, dict):
            return {"Fault": faults.malformed_request("A batch item must be a JSON object").fault()}
        bid = item.get("bId")
        answer: dict[str, Any] = {"bId": bid}
        try:
            if "Query" in item:
                answer["QueryResponse"] = json.loads(self._query_inner(realm, str(item["Query"])))
                return answer
            entity = next((k for k in item if catalog.find(k) is not None and k[0].isupper()), None)
            if entity is None:
                raise faults.malformed_request("A batch item needs an entity or a Query")
            spec = catalog.get(entity)
            operation = str(item.get("operation", "create")).lower()
            options = str(item.get("optionsData", "")).lower()
            payload = item[entity]
            if operation == "create":
                if isinstance(payload, dict) and payload.get("Id"):
                    raise faults.malformed_request("A create must not carry an Id")
                answer.update(self.write(realm, spec, payload, None, None))
            elif operation == "update":
                # checked first: without an Id, write() would create the object
                if not isinstance(payload, dict) or not payload.get("Id"):
                    raise faults.required_missing("Id")
                answer.update(self.write(realm, spec, payload, None, "void" if options == "void" else None))
            elif operation == "delete":
                answer.update(self.write(realm, spec, payload, "delete", None))
            else:
                raise faults.unsupported_operation(f"Operation {operation} is not supported in a batch")
        except QBOFault as fault:
            return {"bId": bid, "Fault": fault.fault()}
        return answer


def is_id(text: str) -> bool:
    """Whether a text is an Id an object can have: ASCII digits within 64 bits."""
    return text.isascii() and text.isdigit() and int(text) <= MAX_ID


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _line_total(lines: list[Any]) -> float:
    total = 0.0
    for line in lines:
        if not isinstance(line, dict):
            continue
        kind = line.get("DetailType")
        if kind in ("SubTotalLineDetail", "DescriptionOnly"):
            continue
        amount = _number(line.get("Amount"))
        total += -amount if kind == "DiscountLineDetail" else amount
    return round(total, 2)


def _synthetic_id(payload: dict[str, Any]) -> int:
    """A stable internal row id for objects the API gives no Id (ExchangeRate)."""
    import zlib

    key = f"{payload.get('SourceCurrencyCode')}|{payload.get('AsOfDate')}"
    return zlib.crc32(key.encode()) & 0x7FFFFFFF


__all__ = ["Kind", "Service"]
