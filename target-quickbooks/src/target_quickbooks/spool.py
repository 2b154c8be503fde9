"""The spool: records buffered on disk until a drain writes them in dependency order.

Singer streams arrive in whatever order the tap emits them (bills before vendors, invoices
before customers); the spool keeps every record (SQLite in a temporary directory, so memory
stays flat however large the run) until a drain takes them object by object. It also knows
which Ids and names are still waiting, so a child is held back until its parent is written.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
import threading
import weakref
from collections import Counter
from pathlib import Path

from .records import PendingRecord


def identity_key(value: object) -> str:
    """How names are compared when one record waits for another (case-insensitive)."""
    return str(value).strip().casefold()


class Spool:
    """A disk-backed queue of :class:`PendingRecord` per object."""

    def __init__(self, directory: Path | None = None) -> None:
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
        self._dir = Path(tempfile.mkdtemp(prefix="target-quickbooks-spool-", dir=directory))
        weakref.finalize(self, shutil.rmtree, self._dir, ignore_errors=True)
        self._conn = sqlite3.connect(self._dir / "spool.db", check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=OFF")
        self._conn.execute("PRAGMA synchronous=OFF")
        self._conn.execute(
            "CREATE TABLE records (seq INTEGER PRIMARY KEY, object TEXT NOT NULL, data TEXT NOT NULL)"
        )
        self._conn.execute("CREATE INDEX records_object ON records (object, seq)")
        self._lock = threading.Lock()
        self._queued: Counter[str] = Counter()
        self._ids: dict[str, Counter[str]] = {}
        self._names: dict[str, Counter[str]] = {}
        self.added = 0

    # -- filling ----------------------------------------------------------------------------

    def add(self, record: PendingRecord) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO records (seq, object, data) VALUES (?, ?, ?)",
                (record.seq, record.object, json.dumps(record.to_json(), default=str)),
            )
            self._queued[record.object] += 1
            self.added += 1
            self._index(record, +1)

    def _index(self, record: PendingRecord, sign: int) -> None:
        if record.source_id:
            self._ids.setdefault(record.object, Counter())[str(record.source_id)] += sign
        for key in record.natural_key:
            value = record.payload.get(key)
            if isinstance(value, str) and value:
                self._names.setdefault(record.object, Counter())[identity_key(value)] += sign

    # -- draining -----------------------------------------------------------------------------

    def take(self, obj: str, limit: int) -> list[PendingRecord]:
        """Up to ``limit`` records of one object, oldest first, out of the queue.

        They still count as waiting (:meth:`waiting_id`) until :meth:`done` or :meth:`put_back`.
        """
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, data FROM records WHERE object = ? ORDER BY seq LIMIT ?", (obj, limit)
            ).fetchall()
            if rows:
                self._conn.executemany("DELETE FROM records WHERE seq = ?", [(r[0],) for r in rows])
                self._queued[obj] -= len(rows)
        return [PendingRecord.from_json(json.loads(r[1])) for r in rows]

    def put_back(self, records: list[PendingRecord]) -> None:
        """Return records to the queue (they keep their place in the input order)."""
        with self._lock:
            for record in records:
                self._conn.execute(
                    "INSERT INTO records (seq, object, data) VALUES (?, ?, ?)",
                    (record.seq, record.object, json.dumps(record.to_json(), default=str)),
                )
                self._queued[record.object] += 1

    def done(self, record: PendingRecord) -> None:
        """The record is written, skipped or dead-lettered: nothing waits for it any more."""
        with self._lock:
            self._index(record, -1)

    def waiting_id(self, obj: str, source_id: str) -> bool:
        with self._lock:
            return self._ids.get(obj, Counter())[str(source_id)] > 0

    def waiting_name(self, obj: str, name: str) -> bool:
        with self._lock:
            return self._names.get(obj, Counter())[identity_key(name)] > 0

    def queued(self, obj: str | None = None) -> int:
        with self._lock:
            if obj is not None:
                return self._queued[obj]
            return sum(self._queued.values())

    def objects(self) -> list[str]:
        with self._lock:
            return [name for name, count in self._queued.items() if count > 0]

    def close(self) -> None:
        with self._lock:
            self._conn.close()
        shutil.rmtree(self._dir, ignore_errors=True)
