"""The bridge's durable state in one SQLite file: companies, API tokens, sessions, jobs, responses.

Everything the Web Connector and the API clients depend on is in the file, written in one
transaction per call, so a restart of the service loses nothing that was queued or answered
(sessions included: QBWC may go on with a ticket across a quick restart, and QuickBooks' iterators
live on its side). The file is opened in WAL mode (the CLI reads and adds companies while the
service runs) with ``synchronous=FULL``: a job acknowledged to a client is on disk.

One connection serves all threads, behind a lock; every call is short (responses are read back
in small batches).
"""

from __future__ import annotations

import contextlib
import hmac
import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import passwords

SCHEMA_VERSION = "1"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS companies (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    file_id TEXT NOT NULL,
    app_url TEXT NOT NULL DEFAULT '',
    run_every_minutes INTEGER,
    created_at REAL NOT NULL,
    last_call_at REAL,
    last_error TEXT,
    last_error_at REAL,
    product TEXT,
    qbxml_version TEXT
);
CREATE TABLE IF NOT EXISTS tokens (
    id INTEGER PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    ticket_hash TEXT PRIMARY KEY,
    ticket_hint TEXT NOT NULL,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    opened_at REAL NOT NULL,
    last_seen_at REAL NOT NULL,
    closed_at REAL,
    close_reason TEXT,
    verified INTEGER NOT NULL DEFAULT 0,
    refused TEXT,
    qbxml_version TEXT,
    last_error TEXT,
    answered INTEGER NOT NULL DEFAULT 0,
    pending INTEGER,
    last_digest TEXT,
    last_percent INTEGER
);
CREATE INDEX IF NOT EXISTS sessions_open ON sessions(company_id) WHERE closed_at IS NULL;
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    company_id INTEGER NOT NULL REFERENCES companies(id),
    label TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    open INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL DEFAULT 0,
    responses INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    finished_at REAL,
    note TEXT
);
CREATE INDEX IF NOT EXISTS jobs_active ON jobs(company_id, seq) WHERE status IN ('queued', 'running');
CREATE TABLE IF NOT EXISTS message_sets (
    id INTEGER PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES jobs(id),
    idx INTEGER NOT NULL,
    part INTEGER NOT NULL DEFAULT 0,
    request TEXT NOT NULL,
    version TEXT NOT NULL,
    writes INTEGER NOT NULL,
    state TEXT NOT NULL,
    msg_id TEXT NOT NULL,
    recover INTEGER NOT NULL DEFAULT 0,
    bound_ticket TEXT,
    sent_ticket TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    remaining INTEGER,
    page INTEGER,
    sent_at REAL,
    answered_at REAL,
    error TEXT,
    UNIQUE (job_id, idx, part)
);
CREATE INDEX IF NOT EXISTS message_sets_queued ON message_sets(job_id, idx, part) WHERE state = 'queued';
CREATE INDEX IF NOT EXISTS message_sets_bound ON message_sets(bound_ticket) WHERE state = 'queued';
CREATE TABLE IF NOT EXISTS responses (
    id INTEGER PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES jobs(id),
    seq INTEGER NOT NULL,
    message_set INTEGER NOT NULL,
    part INTEGER NOT NULL,
    response TEXT,
    hresult TEXT,
    message TEXT,
    error TEXT,
    created_at REAL NOT NULL,
    UNIQUE (job_id, seq)
);
"""


def _add_job_keys(conn: sqlite3.Connection) -> None:
    """The jobs' idempotency key (added after schema version 1: a file made before it gets the
    column here, with no key on its old jobs)."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(jobs)")}
    if "key" not in columns:
        conn.execute("ALTER TABLE jobs ADD COLUMN key TEXT")
    conn.execute("CREATE UNIQUE INDEX IF NOT EXISTS jobs_key ON jobs(company_id, key) WHERE key IS NOT NULL")


#: Company names are used in URLs and as the QBWC user name.
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class StoreError(ValueError):
    """A request the store refuses (an unknown company, a name already taken); the message says which."""


class Database:
    """The SQLite file, one connection shared by the threads of the service behind a lock."""

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path = Path(path)
        if not self.path.parent.is_dir():
            raise StoreError(f"the folder of the database {self.path} does not exist: create it first")
        if not self.path.exists():
            if not create:
                raise StoreError(f"no bridge database at {self.path}: `qbd-bridge company add` creates one")
            # The file holds password hashes and the company's business data: readable by its owner only.
            fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        self._lock = threading.RLock()
        self._depth = 0
        self._conn = sqlite3.connect(
            str(self.path), check_same_thread=False, isolation_level=None, timeout=10
        )
        self._conn.row_factory = sqlite3.Row
        try:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.execute("PRAGMA busy_timeout=10000")
            with self._lock:
                self._conn.executescript(SCHEMA)
                _add_job_keys(self._conn)
            with self.transaction() as conn:
                conn.execute(
                    "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)", (SCHEMA_VERSION,)
                )
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise StoreError(f"{self.path} is not a qbd-bridge database ({exc})") from None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (nested calls join the outer one)."""
        with self._lock:
            outer = self._depth == 0
            if outer and not self._conn.in_transaction:
                self._conn.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self._conn
            except BaseException:
                self._depth -= 1
                if outer and self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer and self._conn.in_transaction:
                self._conn.execute("COMMIT")

    @property
    def lock(self) -> threading.RLock:
        """Held by every transaction: hold it to touch state that must change with the database."""
        return self._lock

    def read(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def close(self) -> None:
        with self._lock:
            self._conn.close()


@dataclass(frozen=True)
class Company:
    """A company file the bridge serves, as stored (without its password hash)."""

    id: int
    name: str
    username: str
    owner_id: str
    file_id: str
    app_url: str
    run_every_minutes: int | None
    created_at: float
    last_call_at: float | None
    last_error: str | None
    last_error_at: float | None
    product: str | None
    qbxml_version: str | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Company:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})


class Companies:
    """Companies and their QBWC credentials."""

    def __init__(self, db: Database, *, password_cost: int = passwords.SCRYPT_N) -> None:
        self.db = db
        self.password_cost = password_cost

    def add(
        self, name: str, *, app_url: str = "", run_every_minutes: int | None = None
    ) -> tuple[Company, str]:
        """A new company and its QBWC password (returned once, stored only as a hash)."""
        if not NAME_PATTERN.match(name):
            raise StoreError(
                f"company name {name!r} is not allowed: use 1 to 64 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )
        password = passwords.new_password()
        hashed = passwords.hash_password(password, n=self.password_cost)
        with self.db.transaction() as conn:
            if conn.execute(
                "SELECT 1 FROM companies WHERE name = ? OR username = ?", (name, name)
            ).fetchone():
                raise StoreError(f"company {name} already exists")
            conn.execute(
                "INSERT INTO companies(name, username, password_hash, owner_id, file_id, app_url, "
                "run_every_minutes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    name,
                    name,
                    hashed,
                    passwords.new_guid(),
                    passwords.new_guid(),
                    app_url,
                    run_every_minutes,
                    time.time(),
                ),
            )
        return self.get(name), password

    def reset_password(self, name: str) -> str:
        """A new QBWC password for the company (the old one stops working)."""
        password = passwords.new_password()
        hashed = passwords.hash_password(password, n=self.password_cost)
        with self.db.transaction() as conn:
            changed = conn.execute("UPDATE companies SET password_hash = ? WHERE name = ?", (hashed, name))
            if changed.rowcount == 0:
                raise StoreError(f"unknown company {name}")
        return password

    def get(self, name: str) -> Company:
        rows = self.db.read("SELECT * FROM companies WHERE name = ?", (name,))
        if not rows:
            raise StoreError(f"unknown company {name}")
        return Company.from_row(rows[0])

    def find(self, name: str) -> Company | None:
        rows = self.db.read("SELECT * FROM companies WHERE name = ?", (name,))
        return Company.from_row(rows[0]) if rows else None

    def by_username(self, username: str) -> tuple[Company, str] | None:
        """The company QBWC logs in as, with its password hash."""
        rows = self.db.read("SELECT * FROM companies WHERE username = ?", (username,))
        return (Company.from_row(rows[0]), rows[0]["password_hash"]) if rows else None

    def all(self) -> list[Company]:
        return [Company.from_row(row) for row in self.db.read("SELECT * FROM companies ORDER BY name")]


class Tokens:
    """API tokens, stored as their sha256."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, label: str = "") -> str:
        token = passwords.new_token()
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO tokens(digest, label, created_at) VALUES (?, ?, ?)",
                (passwords.digest(token), label, time.time()),
            )
        return token

    def valid(self, token: str) -> bool:
        if not token:
            return False
        wanted = passwords.digest(token)
        rows = self.db.read("SELECT digest FROM tokens WHERE digest = ?", (wanted,))
        return bool(rows) and all(hmac.compare_digest(row["digest"], wanted) for row in rows)
