"""The bulk load of seeds and fixtures: payloads stored as given, then the ledger posted."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from qbo_client import catalog
from qbo_client.catalog import ObjectSpec

from qbo_sandbox import clock, faults, ledger

from .core import Context, Endpoint, synthetic_id


class Loader(Endpoint):
    """Loads a company's objects without the API's rules (their Ids, SyncTokens and MetaData kept)."""

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
                    id_ = self.core.parse_id(payload["Id"])
                else:
                    id_ = self.store.next_id(realm, spec) if spec.has_id else synthetic_id(payload)
                    if spec.has_id:
                        payload["Id"] = str(id_)
                payload.setdefault("domain", "QBO")
                payload.setdefault("sparse", False)
                payload.setdefault("SyncToken", "0")
                if "MetaData" not in payload:
                    stamp = clock.metadata_time(self.core.now())
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
            ctx = Context(self.store, realm)
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
