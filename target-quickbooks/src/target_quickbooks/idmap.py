"""The persistent map of source Id -> target Id per object, for copying between companies.

Records copied from another company carry that company's Ids, which mean nothing (or something
else) in the target company. The map says which target object each source object became, so a
reference is rewritten through it and a second run updates instead of creating again. It lives
in SQLite next to the token store: every batch's new pairs are committed in one transaction,
so a crash leaves the map as it was after the last committed batch, never half-written.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path


class IdMap:
    """``(object, source Id) -> target Id``, in memory and (unless ``path`` is None) in SQLite."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._ids: dict[tuple[str, str], str] = {}
        self._claimed: dict[str, set[str]] = {}
        self._conn: sqlite3.Connection | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS ids (object TEXT NOT NULL, source_id TEXT NOT NULL, "
                "target_id TEXT NOT NULL, PRIMARY KEY (object, source_id))"
            )
            for obj, source, target in self._conn.execute("SELECT object, source_id, target_id FROM ids"):
                self._ids[(obj, source)] = target
                self._claimed.setdefault(obj, set()).add(target)

    def get(self, obj: str, source_id: str) -> str | None:
        with self._lock:
            return self._ids.get((obj, str(source_id)))

    def claimed(self, obj: str, target_id: str) -> bool:
        """Whether a target object already stands for some source object."""
        with self._lock:
            return str(target_id) in self._claimed.get(obj, ())

    def put_many(self, pairs: Iterable[tuple[str, str, str]], *, persist: bool = True) -> None:
        """Record ``(object, source Id, target Id)`` pairs; committed together (or not at all)."""
        rows = [(o, str(s), str(t)) for o, s, t in pairs]
        if not rows:
            return
        with self._lock:
            if self._conn is not None and persist:
                with self._conn:  # one transaction
                    self._conn.execute("BEGIN IMMEDIATE")
                    self._conn.executemany(
                        "INSERT INTO ids (object, source_id, target_id) VALUES (?, ?, ?) "
                        "ON CONFLICT (object, source_id) DO UPDATE SET target_id = excluded.target_id",
                        rows,
                    )
            for obj, source, target in rows:
                old = self._ids.get((obj, source))
                if old is not None and old != target:
                    self._claimed.get(obj, set()).discard(old)
                self._ids[(obj, source)] = target
                self._claimed.setdefault(obj, set()).add(target)

    def __len__(self) -> int:
        return len(self._ids)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
