"""The company file: one SQLite database (WAL) holding everything a QuickBooks company keeps.

Each list element and transaction is one row of ``records``: its Ret as a JSON text mapping plus
the columns the queries filter, order and check on (id, object, name, active flag, times as UTC
keys, transaction date, EditSequence). Beside it: the tombstones ``ListDeletedQuery`` and
``TxnDeletedQuery`` read, the ledger (postings per transaction and account), the links between
payments and what they pay, stock movements, data extensions, the stored answers of message sets
(error recovery) and the iterators of the open sessions.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    object TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT,
    name_key TEXT,
    sort_key TEXT NOT NULL,
    parent_id TEXT,
    entity_id TEXT,
    is_active INTEGER NOT NULL DEFAULT 1,
    time_created TEXT NOT NULL,
    time_modified TEXT NOT NULL,
    txn_date TEXT,
    edit_sequence TEXT NOT NULL,
    txn_number INTEGER,
    data TEXT NOT NULL,
    UNIQUE (object, id)
);
CREATE UNIQUE INDEX IF NOT EXISTS records_name_key ON records (name_key) WHERE name_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_sort ON records (object, sort_key);
CREATE INDEX IF NOT EXISTS records_active_sort ON records (object, is_active, sort_key);
CREATE INDEX IF NOT EXISTS records_modified ON records (object, time_modified);
CREATE INDEX IF NOT EXISTS records_txn_date ON records (object, txn_date);
CREATE INDEX IF NOT EXISTS records_name ON records (object, name COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS records_entity ON records (entity_id, object) WHERE entity_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_parent ON records (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_id ON records (id);
CREATE TABLE IF NOT EXISTS deleted (
    object TEXT NOT NULL,
    id TEXT NOT NULL,
    del_type TEXT NOT NULL,
    is_list INTEGER NOT NULL,
    time_created TEXT NOT NULL,
    time_deleted TEXT NOT NULL,
    time_deleted_key TEXT NOT NULL,
    name TEXT,
    PRIMARY KEY (object, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deleted_time ON deleted (is_list, time_deleted_key);
CREATE TABLE IF NOT EXISTS refs (
    object TEXT NOT NULL,
    id TEXT NOT NULL,
    target TEXT NOT NULL,
    PRIMARY KEY (target, object, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS refs_source ON refs (object, id);
CREATE TABLE IF NOT EXISTS postings (
    object TEXT NOT NULL,
    id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    entity_id TEXT,
    amount INTEGER NOT NULL,
    txn_date TEXT NOT NULL,
    basis TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS postings_txn ON postings (object, id);
-- Covering indexes: balances and reports sum amounts without reading the table.
CREATE INDEX IF NOT EXISTS postings_account ON postings (account_id, txn_date, basis, amount);
CREATE INDEX IF NOT EXISTS postings_entity ON postings (entity_id, account_id, basis, amount)
    WHERE entity_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS links (
    object TEXT NOT NULL,
    id TEXT NOT NULL,
    target_object TEXT NOT NULL,
    target_id TEXT NOT NULL,
    amount INTEGER NOT NULL,
    discount INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (object, id, target_object, target_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS links_target ON links (target_object, target_id);
CREATE TABLE IF NOT EXISTS stock (
    object TEXT NOT NULL,
    id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    value INTEGER NOT NULL,
    txn_date TEXT NOT NULL,
    seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS stock_txn ON stock (object, id);
CREATE INDEX IF NOT EXISTS stock_item ON stock (item_id, kind);
CREATE TABLE IF NOT EXISTS data_ext (
    owner_id TEXT NOT NULL,
    object TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (object, id, owner_id, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS message_sets (
    message_set_id TEXT PRIMARY KEY,
    response BLOB NOT NULL,
    processed TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS iterators (
    iterator_id TEXT PRIMARY KEY,
    -- The Company object (one QuickBooks process) that started it: another one cannot continue it.
    owner TEXT NOT NULL,
    started TEXT NOT NULL,
    session TEXT NOT NULL,
    request_key TEXT NOT NULL,
    object TEXT NOT NULL,
    total INTEGER NOT NULL,
    position INTEGER NOT NULL,
    page_size INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS iterators_session ON iterators (session);
-- An iterator's snapshot: the seqs of its matches in answer order, packed CHUNK to a row.
CREATE TABLE IF NOT EXISTS iterator_rows (
    iterator_id TEXT NOT NULL,
    chunk INTEGER NOT NULL,
    seqs BLOB NOT NULL,
    PRIMARY KEY (iterator_id, chunk)
) WITHOUT ROWID;
"""

#: The tables that make up the company's state (what :meth:`Store.digest` hashes). Iterators are
#: the sessions' state, not the company's.
STATE_TABLES: dict[str, str] = {
    "meta": "key",
    "counters": "name",
    "records": "object, id",
    "deleted": "object, id",
    "refs": "target, object, id",
    "postings": "object, id, account_id, basis, amount, entity_id, txn_date",
    "links": "object, id, target_object, target_id",
    "stock": "object, id, item_id, kind, seq",
    "data_ext": "object, id, owner_id, name",
    "message_sets": "message_set_id",
}

#: The page cache while a file is filled (negative: KiB): 128 MiB.
FILLING_CACHE_KIB = -131072

RECORD_COLUMNS = (
    "seq, object, id, name, name_key, sort_key, parent_id, entity_id, is_active, time_created, "
    "time_modified, txn_date, edit_sequence, txn_number, data"
)


@dataclass
class Row:
    """One stored list element or transaction."""

    object: str
    id: str
    data: dict[str, Any]
    sort_key: str
    time_created: str
    time_modified: str
    edit_sequence: str
    name: str | None = None
    name_key: str | None = None
    parent_id: str | None = None
    entity_id: str | None = None
    is_active: bool = True
    txn_date: str | None = None
    txn_number: int | None = None
    seq: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_sql(cls, r: sqlite3.Row | Sequence[Any]) -> Row:
        return cls(
            seq=r[0],
            object=r[1],
            id=r[2],
            name=r[3],
            name_key=r[4],
            sort_key=r[5],
            parent_id=r[6],
            entity_id=r[7],
            is_active=bool(r[8]),
            time_created=r[9],
            time_modified=r[10],
            txn_date=r[11],
            edit_sequence=r[12],
            txn_number=r[13],
            data=json.loads(r[14]),
        )

    def values(self) -> tuple[Any, ...]:
        return (
            self.object,
            self.id,
            self.name,
            self.name_key,
            self.sort_key,
            self.parent_id,
            self.entity_id,
            int(self.is_active),
            self.time_created,
            self.time_modified,
            self.txn_date,
            self.edit_sequence,
            self.txn_number,
            json.dumps(self.data, separators=(",", ":"), ensure_ascii=False),
        )


@dataclass(frozen=True)
class Posting:
    """One account's debit (positive cents) or credit (negative cents) on a basis."""

    account_id: str
    amount: int
    entity_id: str | None = None
    basis: str = "both"  # "both", "accrual" or "cash"


class Store:
    """The SQLite file of one company; one connection, serialised by a lock."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        self._depth = 0
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)

    # -- transactions ---------------------------------------------------------------------------

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """A transaction; nested calls are savepoints, so one failing request rolls back alone."""
        with self._lock:
            depth = self._depth
            savepoint = f"sp{depth}"
            self._conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT {savepoint}")
            self._depth += 1
            try:
                yield self._conn
            except BaseException:
                self._depth -= 1
                if depth == 0:
                    self._conn.execute("ROLLBACK")
                else:
                    self._conn.execute(f"ROLLBACK TO {savepoint}")
                    self._conn.execute(f"RELEASE {savepoint}")
                raise
            self._depth -= 1
            self._conn.execute("COMMIT" if depth == 0 else f"RELEASE {savepoint}")

    def commit_so_far(self) -> None:
        """Commit the outermost transaction and go on in a new one; inside a savepoint, nothing."""
        with self._lock:
            if self._depth == 1:
                self._conn.execute("COMMIT")
                self._conn.execute("BEGIN IMMEDIATE")

    @contextmanager
    def filling(self) -> Iterator[None]:
        """Settings for filling a file with many writes: commits do not wait for the disk, and
        more pages stay in memory (the file's indexes grow with every record).

        A process that dies loses nothing committed; a machine that loses power may lose the last
        commits, or the file (a generator makes it again). Inside a transaction nothing changes:
        the safety level cannot change there.
        """
        with self._lock:
            if self._conn.in_transaction:
                yield
                return
            cache = self._conn.execute("PRAGMA cache_size").fetchone()[0]
            self._conn.execute("PRAGMA synchronous=OFF")
            self._conn.execute(f"PRAGMA cache_size={FILLING_CACHE_KIB}")
            try:
                yield
            finally:
                self._conn.execute(f"PRAGMA cache_size={int(cache)}")
                self._conn.execute("PRAGMA synchronous=NORMAL")

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    @property
    def conn(self) -> sqlite3.Connection:
        return self._conn

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- meta and counters ----------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self._conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def next_value(self, name: str, start: int) -> int:
        """The next value of a counter (``start`` the first time)."""
        row = self._conn.execute(
            "UPDATE counters SET value = value + 1 WHERE name = ? RETURNING value", (name,)
        ).fetchone()
        if row is not None:
            return int(row[0])
        self._conn.execute("INSERT INTO counters (name, value) VALUES (?, ?)", (name, start))
        return start

    def counter(self, name: str) -> int | None:
        row = self._conn.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        return None if row is None else int(row[0])

    def raise_counter(self, name: str, at_least: int) -> None:
        self._conn.execute(
            "INSERT INTO counters (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = MAX(value, excluded.value)",
            (name, at_least),
        )

    # -- records --------------------------------------------------------------------------------

    def insert(self, row: Row) -> None:
        cursor = self._conn.execute(
            "INSERT INTO records (object, id, name, name_key, sort_key, parent_id, entity_id, is_active, "
            "time_created, time_modified, txn_date, edit_sequence, txn_number, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            row.values(),
        )
        row.seq = cursor.lastrowid

    def update(self, row: Row) -> None:
        values = row.values()
        self._conn.execute(
            "UPDATE records SET name = ?, name_key = ?, sort_key = ?, parent_id = ?, entity_id = ?, "
            "is_active = ?, time_created = ?, time_modified = ?, txn_date = ?, edit_sequence = ?, "
            "txn_number = ?, data = ? WHERE object = ? AND id = ?",
            (*values[2:], row.object, row.id),
        )

    def remove(self, object_name: str, id_: str) -> None:
        self._conn.execute("DELETE FROM records WHERE object = ? AND id = ?", (object_name, id_))
        self._conn.execute("DELETE FROM refs WHERE object = ? AND id = ?", (object_name, id_))
        self._conn.execute("DELETE FROM data_ext WHERE object = ? AND id = ?", (object_name, id_))

    def get(self, object_name: str, id_: str) -> Row | None:
        r = self._conn.execute(
            f"SELECT {RECORD_COLUMNS} FROM records WHERE object = ? AND id = ?", (object_name, id_)
        ).fetchone()
        return None if r is None else Row.from_sql(r)

    def by_id(self, objects: Iterable[str], id_: str) -> Row | None:
        """The record with this id among ``objects`` (a ListID is unique within its namespace)."""
        names = list(objects)
        marks = ",".join("?" * len(names))
        r = self._conn.execute(
            f"SELECT {RECORD_COLUMNS} FROM records WHERE id = ? AND object IN ({marks}) ORDER BY seq LIMIT 1",
            (id_, *names),
        ).fetchone()
        return None if r is None else Row.from_sql(r)

    def by_name(self, objects: Iterable[str], name: str) -> list[Row]:
        """Records among ``objects`` whose name column (FullName, RefNumber) is ``name``, case-insensitive."""
        names = list(objects)
        marks = ",".join("?" * len(names))
        rows = self._conn.execute(
            f"SELECT {RECORD_COLUMNS} FROM records WHERE object IN ({marks}) AND name = ? COLLATE NOCASE "
            "ORDER BY seq",
            (*names, name),
        ).fetchall()
        if not rows and name.casefold() != name.lower():
            rows = [
                r
                for r in self._conn.execute(
                    f"SELECT {RECORD_COLUMNS} FROM records WHERE object IN ({marks}) AND name IS NOT NULL",
                    names,
                )
                if str(r[3]).casefold() == name.casefold()
            ]
        return [Row.from_sql(r) for r in rows]

    def ref_by_id(self, objects: Sequence[str], id_: str) -> tuple[str, str | None] | None:
        """The (id, name) of :meth:`by_id`'s record, without reading the record itself."""
        marks = ",".join("?" * len(objects))
        r = self._conn.execute(
            f"SELECT id, name FROM records WHERE id = ? AND object IN ({marks}) ORDER BY seq LIMIT 1",
            (id_, *objects),
        ).fetchone()
        return None if r is None else (str(r[0]), r[1])

    def ref_by_name(self, objects: Sequence[str], name: str) -> tuple[str, str | None] | None:
        """The (id, name) of the first of :meth:`by_name`'s records, without reading the records."""
        marks = ",".join("?" * len(objects))
        r = self._conn.execute(
            f"SELECT id, name FROM records WHERE object IN ({marks}) AND name = ? COLLATE NOCASE "
            "ORDER BY seq LIMIT 1",
            (*objects, name),
        ).fetchone()
        if r is None and name.casefold() != name.lower():
            r = next(
                (
                    found
                    for found in self._conn.execute(
                        f"SELECT id, name FROM records WHERE object IN ({marks}) AND name IS NOT NULL",
                        tuple(objects),
                    )
                    if str(found[1]).casefold() == name.casefold()
                ),
                None,
            )
        return None if r is None else (str(r[0]), r[1])

    def by_name_key(self, name_key: str) -> Row | None:
        r = self._conn.execute(
            f"SELECT {RECORD_COLUMNS} FROM records WHERE name_key = ?", (name_key,)
        ).fetchone()
        return None if r is None else Row.from_sql(r)

    def children_of(self, id_: str) -> list[Row]:
        rows = self._conn.execute(
            f"SELECT {RECORD_COLUMNS} FROM records WHERE parent_id = ? ORDER BY seq", (id_,)
        ).fetchall()
        return [Row.from_sql(r) for r in rows]

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Records selected by a WHERE/ORDER clause over ``records`` (columns in RECORD_COLUMNS order)."""
        return [
            Row.from_sql(r) for r in self._conn.execute(f"SELECT {RECORD_COLUMNS} FROM records {sql}", params)
        ]

    def by_seqs(self, seqs: Sequence[int]) -> dict[int, Row]:
        out: dict[int, Row] = {}
        for start in range(0, len(seqs), 500):
            chunk = seqs[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for r in self._conn.execute(
                f"SELECT {RECORD_COLUMNS} FROM records WHERE seq IN ({marks})", chunk
            ):
                row = Row.from_sql(r)
                assert row.seq is not None
                out[row.seq] = row
        return out

    def count(self, object_name: str) -> int:
        row = self._conn.execute("SELECT COUNT(*) FROM records WHERE object = ?", (object_name,)).fetchone()
        return int(row[0])

    # -- references (what may not be deleted) ---------------------------------------------------

    def set_refs(self, object_name: str, id_: str, targets: Iterable[str]) -> None:
        self._conn.execute("DELETE FROM refs WHERE object = ? AND id = ?", (object_name, id_))
        self._conn.executemany(
            "INSERT OR IGNORE INTO refs (object, id, target) VALUES (?, ?, ?)",
            [(object_name, id_, t) for t in set(targets) if t and t != id_],
        )

    def referenced_by(self, target: str) -> tuple[str, str] | None:
        row = self._conn.execute("SELECT object, id FROM refs WHERE target = ? LIMIT 1", (target,)).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    # -- ledger -----------------------------------------------------------------------------------

    def set_postings(self, object_name: str, id_: str, txn_date: str, postings: Iterable[Posting]) -> None:
        self._conn.execute("DELETE FROM postings WHERE object = ? AND id = ?", (object_name, id_))
        self._conn.executemany(
            "INSERT INTO postings (object, id, account_id, entity_id, amount, txn_date, basis) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (object_name, id_, p.account_id, p.entity_id, p.amount, txn_date, p.basis)
                for p in postings
                if p.amount
            ],
        )

    def postings_of(self, object_name: str, id_: str) -> list[Posting]:
        return [
            Posting(r[0], int(r[1]), r[2], r[3])
            for r in self._conn.execute(
                "SELECT account_id, amount, entity_id, basis FROM postings WHERE object = ? AND id = ? "
                "ORDER BY rowid",
                (object_name, id_),
            )
        ]

    # -- links (payments and what they pay) -----------------------------------------------------

    def set_links(
        self, object_name: str, id_: str, links: Iterable[tuple[str, str, int, int]]
    ) -> set[tuple[str, str]]:
        """Replace the links of a payment; the targets before and after (their balances change)."""
        before = {
            (str(r[0]), str(r[1]))
            for r in self._conn.execute(
                "SELECT target_object, target_id FROM links WHERE object = ? AND id = ?", (object_name, id_)
            )
        }
        self._conn.execute("DELETE FROM links WHERE object = ? AND id = ?", (object_name, id_))
        rows = list(links)
        self._conn.executemany(
            "INSERT INTO links (object, id, target_object, target_id, amount, discount) "
            "VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (object, id, target_object, target_id) DO UPDATE SET "
            "amount = amount + excluded.amount, discount = discount + excluded.discount",
            [(object_name, id_, *link) for link in rows],
        )
        return before | {(t[0], t[1]) for t in rows}

    def links_to(self, object_name: str, id_: str) -> list[tuple[str, str, int, int]]:
        return [
            (str(r[0]), str(r[1]), int(r[2]), int(r[3]))
            for r in self._conn.execute(
                "SELECT l.object, l.id, l.amount, l.discount FROM links l "
                "LEFT JOIN records r ON r.object = l.object AND r.id = l.id "
                "WHERE l.target_object = ? AND l.target_id = ? ORDER BY r.txn_date, r.seq",
                (object_name, id_),
            )
        ]

    def links_from(self, object_name: str, id_: str) -> list[tuple[str, str, int, int]]:
        return [
            (str(r[0]), str(r[1]), int(r[2]), int(r[3]))
            for r in self._conn.execute(
                "SELECT target_object, target_id, amount, discount FROM links WHERE object = ? AND id = ? "
                "ORDER BY target_object, target_id",
                (object_name, id_),
            )
        ]

    # -- digest ---------------------------------------------------------------------------------

    def digest(self) -> str:
        """A SHA-256 over every table of the company's state, in a fixed order."""
        sha = hashlib.sha256()
        with self._lock:
            for table, order in STATE_TABLES.items():
                sha.update(f"\x00{table}\x00".encode())
                columns = "*" if table != "records" else RECORD_COLUMNS.replace("seq, ", "")
                for row in self._conn.execute(f"SELECT {columns} FROM {table} ORDER BY {order}"):
                    sha.update(repr(tuple(row)).encode())
        return sha.hexdigest()
