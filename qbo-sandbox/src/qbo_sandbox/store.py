"""Companies in SQLite: entity rows, Id sequences, ledger postings and idempotent answers.

Each entity is one row holding its JSON exactly as the API answers it, plus the few columns the
server filters, orders and checks on (Id, SyncToken, Active, times, name and DocNumber keys).
Deleted transactions stay as tombstones so that change data capture can report them.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from qbo_client import catalog
from qbo_client.catalog import ObjectSpec

from . import clock
from .db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS realms (
    realm_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sequences (
    realm_id TEXT NOT NULL,
    name TEXT NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (realm_id, name)
);
CREATE TABLE IF NOT EXISTS entities (
    realm_id TEXT NOT NULL,
    type TEXT NOT NULL,
    id INTEGER NOT NULL,
    sync_token INTEGER NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    deleted INTEGER NOT NULL DEFAULT 0,
    created_utc TEXT NOT NULL,
    updated_utc TEXT NOT NULL,
    name_key TEXT,
    doc_number TEXT,
    data TEXT NOT NULL,
    PRIMARY KEY (realm_id, type, id)
) WITHOUT ROWID;
-- deleted is in the key so that paging (ORDER BY updated_utc LIMIT/OFFSET) skips rows in the index
-- without reading their JSON.
CREATE INDEX IF NOT EXISTS entities_changes ON entities (realm_id, type, deleted, updated_utc, id);
CREATE INDEX IF NOT EXISTS entities_name ON entities (realm_id, name_key) WHERE name_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS entities_doc ON entities (realm_id, type, doc_number)
    WHERE doc_number IS NOT NULL;
CREATE TABLE IF NOT EXISTS postings (
    realm_id TEXT NOT NULL,
    type TEXT NOT NULL,
    txn_id INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    amount REAL NOT NULL,
    basis TEXT NOT NULL,
    txn_date TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS postings_txn ON postings (realm_id, type, txn_id);
CREATE INDEX IF NOT EXISTS postings_account ON postings (realm_id, account_id, txn_date);
CREATE TABLE IF NOT EXISTS request_ids (
    realm_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (realm_id, request_id)
) WITHOUT ROWID;
"""

DELETED_SUFFIX = " (deleted)"

#: Objects whose Ids come from one shared sequence, as QBO numbers all transactions together.
_TXN_SEQUENCE = "transaction"


@dataclass(frozen=True)
class Row:
    """One stored entity."""

    type: str
    id: int
    sync_token: int
    active: bool
    deleted: bool
    updated_utc: str
    data: str

    def payload(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.data)
        return loaded


def base_name(name: str) -> str:
    """A name without the suffix QBO adds to inactive name-list rows."""
    return name[: -len(DELETED_SUFFIX)] if name.endswith(DELETED_SUFFIX) else name


def name_key(spec: ObjectSpec, payload: dict[str, Any]) -> str | None:
    """The key that must be unique among objects sharing a name space (6240), or None."""
    if not spec.is_name_list:
        return None
    if spec.name in ("Account", "Customer", "Item", "Class", "Department"):
        value = payload.get("FullyQualifiedName") or payload.get(spec.natural_key[0])
    else:
        value = payload.get(spec.natural_key[0]) if spec.natural_key else None
    if not isinstance(value, str) or not value:
        return None
    space = spec.name_space or spec.name
    return f"{space}:{base_name(value).casefold()}"


def unwrap(spec: ObjectSpec, payload: dict[str, Any]) -> dict[str, Any]:
    """The transaction a wrapper (a RecurringTransaction's ``{"Invoice": {...}}``) holds; else the payload."""
    if spec.wraps:
        for key in spec.wraps:
            inner = payload.get(key)
            if isinstance(inner, dict):
                return inner
    return payload


def sequence_name(spec: ObjectSpec) -> str:
    return _TXN_SEQUENCE if spec.is_transaction else spec.name


class Store:
    """Persistence for every company (realm) the sandbox serves."""

    def __init__(self, db: Database) -> None:
        self.db = db
        db.executescript(SCHEMA)

    # -- realms ---------------------------------------------------------------------------------

    def create_realm(self, realm_id: str | None = None) -> str:
        """Register a company and return its realm id (a 19-digit number like Intuit's)."""
        realm = realm_id or str(9130350000000000000 + secrets.randbelow(10**15))
        with self.db.tx() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO realms (realm_id, created_at) VALUES (?, ?)",
                (realm, clock.qbo_now()),
            )
        return realm

    def realm_exists(self, realm_id: str) -> bool:
        with self.db.read() as conn:
            return conn.execute("SELECT 1 FROM realms WHERE realm_id = ?", (realm_id,)).fetchone() is not None

    def realms(self) -> list[str]:
        with self.db.read() as conn:
            return [r[0] for r in conn.execute("SELECT realm_id FROM realms ORDER BY created_at, realm_id")]

    # -- rows -----------------------------------------------------------------------------------

    def next_id(self, realm: str, spec: ObjectSpec) -> int:
        """The next Id of the object's sequence (call inside a transaction)."""
        seq = sequence_name(spec)
        with self.db.tx() as conn:
            row = conn.execute(
                "UPDATE sequences SET last = last + 1 WHERE realm_id = ? AND name = ? RETURNING last",
                (realm, seq),
            ).fetchone()
            if row is not None:
                return int(row[0])
            top = self._max_id(conn, realm, spec) + 1
            conn.execute("INSERT INTO sequences (realm_id, name, last) VALUES (?, ?, ?)", (realm, seq, top))
            return top

    def _max_id(self, conn: Any, realm: str, spec: ObjectSpec) -> int:
        types = [s.name for s in catalog.OBJECTS if s.is_transaction] if spec.is_transaction else [spec.name]
        marks = ",".join("?" * len(types))
        row = conn.execute(
            f"SELECT MAX(id) FROM entities WHERE realm_id = ? AND type IN ({marks})", (realm, *types)
        ).fetchone()
        return int(row[0] or 0)

    def bump_sequence(self, realm: str, spec: ObjectSpec, at_least: int) -> None:
        """Make sure the sequence will not hand out an Id that was loaded from outside."""
        seq = sequence_name(spec)
        with self.db.tx() as conn:
            conn.execute(
                "INSERT INTO sequences (realm_id, name, last) VALUES (?, ?, ?) "
                "ON CONFLICT (realm_id, name) DO UPDATE SET last = MAX(last, excluded.last)",
                (realm, seq, at_least),
            )

    def get_row(self, realm: str, entity: str, id_: int, *, include_deleted: bool = False) -> Row | None:
        with self.db.read() as conn:
            r = conn.execute(
                "SELECT type, id, sync_token, active, deleted, updated_utc, data FROM entities "
                "WHERE realm_id = ? AND type = ? AND id = ?",
                (realm, entity, id_),
            ).fetchone()
        if r is None or (r["deleted"] and not include_deleted):
            return None
        return Row(r[0], r[1], r[2], bool(r[3]), bool(r[4]), r[5], r[6])

    def get(self, realm: str, entity: str, id_: str | int) -> dict[str, Any] | None:
        """The live payload of an object, or None."""
        try:
            key = int(id_)
        except (TypeError, ValueError):
            return None
        row = self.get_row(realm, entity, key)
        return row.payload() if row else None

    def singleton(self, realm: str, entity: str) -> Row | None:
        with self.db.read() as conn:
            r = conn.execute(
                "SELECT type, id, sync_token, active, deleted, updated_utc, data FROM entities "
                "WHERE realm_id = ? AND type = ? AND deleted = 0 ORDER BY id LIMIT 1",
                (realm, entity),
            ).fetchone()
        return Row(r[0], r[1], r[2], bool(r[3]), bool(r[4]), r[5], r[6]) if r else None

    def put(self, conn: Any, realm: str, spec: ObjectSpec, id_: int, payload: dict[str, Any]) -> None:
        """Insert or replace the row of one entity from its full payload."""
        conn.execute(
            "INSERT OR REPLACE INTO entities (realm_id, type, id, sync_token, active, deleted, created_utc, "
            "updated_utc, name_key, doc_number, data) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)",
            self._row_values(realm, spec, id_, payload),
        )

    @staticmethod
    def _row_values(realm: str, spec: ObjectSpec, id_: int, payload: dict[str, Any]) -> tuple[Any, ...]:
        data = payload
        payload = unwrap(spec, payload)
        meta = payload.get("MetaData") or {}
        stamp = meta.get("LastUpdatedTime") or meta.get("CreateTime")
        updated = str(stamp or clock.metadata_time(clock.now()))
        created_key = clock.to_utc_key(str(meta.get("CreateTime") or updated))
        doc = payload.get("DocNumber") if spec.unique_doc_number else None
        return (
            realm,
            spec.name,
            id_,
            int(payload.get("SyncToken") or 0),
            0 if payload.get("Active") is False else 1,
            created_key,
            clock.to_utc_key(updated),
            name_key(spec, payload),
            doc.casefold() if isinstance(doc, str) else None,
            json.dumps(data, separators=(",", ":"), ensure_ascii=False),
        )

    def put_many(self, conn: Any, realm: str, rows: Iterable[tuple[ObjectSpec, int, dict[str, Any]]]) -> int:
        values = [self._row_values(realm, spec, id_, payload) for spec, id_, payload in rows]
        conn.executemany(
            "INSERT OR REPLACE INTO entities (realm_id, type, id, sync_token, active, deleted, created_utc, "
            "updated_utc, name_key, doc_number, data) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)",
            values,
        )
        return len(values)

    def tombstone(self, conn: Any, realm: str, spec: ObjectSpec, id_: int, when: str) -> None:
        """Mark an object deleted, keeping its Id and deletion time for CDC."""
        conn.execute(
            "UPDATE entities SET deleted = 1, sync_token = sync_token + 1, updated_utc = ?, name_key = NULL, "
            "doc_number = NULL WHERE realm_id = ? AND type = ? AND id = ?",
            (clock.to_utc_key(when), realm, spec.name, id_),
        )

    def find_name(self, realm: str, key: str, *, exclude: tuple[str, int] | None = None) -> Row | None:
        """A live object holding a name key (active or not)."""
        with self.db.read() as conn:
            for r in conn.execute(
                "SELECT type, id, sync_token, active, deleted, updated_utc, data FROM entities "
                "WHERE realm_id = ? AND name_key = ? AND deleted = 0",
                (realm, key),
            ):
                if exclude and (r[0], r[1]) == exclude:
                    continue
                return Row(r[0], r[1], r[2], bool(r[3]), bool(r[4]), r[5], r[6])
        return None

    def find_doc_number(self, realm: str, entity: str, doc: str, *, exclude: int | None = None) -> bool:
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT id FROM entities WHERE realm_id = ? AND type = ? AND doc_number = ? AND deleted = 0 "
                "AND id IS NOT ?",
                (realm, entity, doc.casefold(), exclude),
            ).fetchone()
        return row is not None

    def max_doc_number(self, realm: str, entity: str) -> int:
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT MAX(CAST(doc_number AS INTEGER)) FROM entities WHERE realm_id = ? AND type = ? "
                "AND doc_number GLOB '[0-9]*'",
                (realm, entity),
            ).fetchone()
        return int(row[0] or 1000)

    def iter_payloads(self, realm: str, entity: str) -> Iterator[dict[str, Any]]:
        with self.db.read() as conn:
            rows = conn.execute(
                "SELECT data FROM entities WHERE realm_id = ? AND type = ? AND deleted = 0 ORDER BY id",
                (realm, entity),
            ).fetchall()
        for r in rows:
            yield json.loads(r[0])

    def counts(self, realm: str) -> dict[str, int]:
        with self.db.read() as conn:
            return {
                r[0]: r[1]
                for r in conn.execute(
                    "SELECT type, COUNT(*) FROM entities WHERE realm_id = ? AND deleted = 0 GROUP BY type "
                    "ORDER BY type",
                    (realm,),
                )
            }

    # -- ledger ---------------------------------------------------------------------------------

    def replace_postings(
        self, conn: Any, realm: str, entity: str, txn_id: int, txn_date: str, postings: Iterable[Any]
    ) -> None:
        conn.execute(
            "DELETE FROM postings WHERE realm_id = ? AND type = ? AND txn_id = ?", (realm, entity, txn_id)
        )
        conn.executemany(
            "INSERT INTO postings (realm_id, type, txn_id, account_id, amount, basis, txn_date) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(realm, entity, txn_id, p.account_id, p.amount, p.basis, txn_date) for p in postings],
        )

    def balances(self, realm: str, start: str | None, end: str, basis: str) -> dict[str, float]:
        """Debit minus credit per account over [start, end] (dates inclusive) on a basis."""
        sql = (
            "SELECT account_id, SUM(amount) FROM postings WHERE realm_id = ? AND basis IN (?, 'both') "
            "AND txn_date <= ?"
        )
        args: list[Any] = [realm, basis, end]
        if start is not None:
            sql += " AND txn_date >= ?"
            args.append(start)
        sql += " GROUP BY account_id"
        with self.db.read() as conn:
            return {r[0]: round(r[1], 2) for r in conn.execute(sql, args)}

    def account_totals(self, realm: str) -> dict[str, float]:
        """Debit minus credit per account, all time, accrual basis (for Account.CurrentBalance)."""
        with self.db.read() as conn:
            return {
                r[0]: round(r[1], 2)
                for r in conn.execute(
                    "SELECT account_id, SUM(amount) FROM postings WHERE realm_id = ? "
                    "AND basis IN ('accrual', 'both') GROUP BY account_id",
                    (realm,),
                )
            }

    # -- idempotency ----------------------------------------------------------------------------

    def recall(self, realm: str, request_id: str) -> tuple[int, str] | None:
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT status, body FROM request_ids WHERE realm_id = ? AND request_id = ?",
                (realm, request_id),
            ).fetchone()
        return (int(row[0]), str(row[1])) if row else None

    def remember(self, conn: Any, realm: str, request_id: str, status: int, body: str) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO request_ids (realm_id, request_id, status, body) VALUES (?, ?, ?, ?)",
            (realm, request_id, status, body),
        )
