"""The token store in a database (SQLAlchemy): one store that every worker of a team sees.

The file store (:mod:`qbo_client.tokens`) serves one machine. Many companies synced by many workers
(an orchestrator's partitions, see ``tools/dagster_quickbooks``) need the rotated refresh token where
every worker reads it: ``token_store_url: postgresql://user:password@host/db`` (or ``sqlite:///path``
for workers on one machine). The guarantees are the file store's:

- one row per app and company (``app``: a hash of the client id, as the file store's file name; the
  client id itself is a credential and stays out of the table);
- a refresh runs inside one transaction that holds the row's lock from the read to the write:
  ``SELECT ... FOR UPDATE`` where the database has it, ``BEGIN IMMEDIATE`` on SQLite (which locks
  the database file for writing), so two processes never both spend one refresh token: the second
  waits, then reads the tokens the first wrote;
- the write is the transaction's commit: a process killed in the middle leaves the old tokens or the
  new, never half (so there are no orphans to recover, unlike the file store's temporary files);
- secrets: the tokens are stored as given (they must be usable) and never logged; the URL's password
  is masked wherever the store is named (:attr:`SqlTokenStore.location`) and registered with the log
  filter. A new SQLite file is created with mode 0600.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from . import redact
from .tokens import Tokens, TokenStoreError

#: Seconds a process waits for another's refresh on SQLite (a refresh can retry the token endpoint
#: for minutes; waiting is right, failing would make the run retry the whole sync).
SQLITE_LOCK_TIMEOUT = 600.0

METADATA = sa.MetaData()
TABLE = sa.Table(
    "qbo_tokens",
    METADATA,
    sa.Column("app", sa.String(64), primary_key=True),
    sa.Column("realm_id", sa.String(64), primary_key=True),
    sa.Column("refresh_token", sa.Text, nullable=False, default=""),
    sa.Column("access_token", sa.Text, nullable=False, default=""),
    sa.Column("access_expires_at", sa.Float, nullable=False, default=0.0),
    sa.Column("refresh_expires_at", sa.Float, nullable=False, default=0.0),
    sa.Column("seeded_from", sa.Text, nullable=False, default=""),
    sa.Column("updated_at", sa.Float, nullable=False, default=0.0),
)

_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def _sqlite_file(url: sa.URL) -> Path | None:
    database = url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def _engine(url: sa.URL) -> Engine:
    """One engine per URL and process; SQLite's set up for ``BEGIN IMMEDIATE`` transactions."""
    key = url.render_as_string(hide_password=False)
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is not None:
            return engine
        if url.get_backend_name() == "sqlite":
            path = _sqlite_file(url)
            if path is not None and not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
            engine = sa.create_engine(url, poolclass=NullPool, connect_args={"timeout": SQLITE_LOCK_TIMEOUT})

            # pysqlite opens transactions itself, lazily and DEFERRED: take them over so that every
            # transaction starts with BEGIN IMMEDIATE, the write lock SQLite has instead of rows'.
            @sa.event.listens_for(engine, "connect")
            def _connect(dbapi_connection: Any, _record: Any) -> None:
                dbapi_connection.isolation_level = None

            @sa.event.listens_for(engine, "begin")
            def _begin(conn: Connection) -> None:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            engine = sa.create_engine(url, pool_pre_ping=True)
        _ENGINES[key] = engine
        return engine


class SqlTokenStore:
    """The tokens of one app and company in a row of the ``qbo_tokens`` table."""

    def __init__(self, url: str, *, app: str, realm_id: str) -> None:
        try:
            self.url = sa.make_url(url)
        except (SQLAlchemyError, ValueError) as exc:
            raise TokenStoreError(f"token_store_url is not a database URL ({redact.mask_url(url)})") from exc
        redact.protect(*redact.url_secrets(url))
        self.app = app
        self.realm_id = realm_id
        self._engine: Engine | None = None
        self._conn: Connection | None = None
        self._lock = threading.RLock()
        self._where = sa.and_(TABLE.c.app == app, TABLE.c.realm_id == realm_id)

    @property
    def location(self) -> str:
        """The store as messages name it: the URL with its password masked, and the row's key."""
        return f"{self.url.render_as_string(hide_password=True)} (company {self.realm_id}, app {self.app})"

    def _error(self, doing: str, exc: Exception) -> TokenStoreError:
        detail = redact.SECRETS.scrub(str(getattr(exc, "orig", None) or exc).splitlines()[0])
        return TokenStoreError(f"cannot {doing} the token store {self.location}: {detail}")

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            try:
                engine = _engine(self.url)
            except ImportError as exc:
                raise TokenStoreError(
                    f"the token store {self.location} needs a database driver that is not installed "
                    f"({exc.name}): install it beside the plugin (e.g. psycopg for postgresql+psycopg://)"
                ) from exc
            try:
                METADATA.create_all(engine, checkfirst=True)
            except SQLAlchemyError:
                # another worker created the table at the same moment: it exists now
                with contextlib.suppress(SQLAlchemyError):
                    METADATA.create_all(engine, checkfirst=True)
            self._engine = engine
        return self._engine

    def _ensure_row(self) -> None:
        """The row to lock (``FOR UPDATE`` locks rows, not gaps): inserted empty if missing."""
        with self.engine.connect() as conn:
            exists = conn.execute(sa.select(TABLE.c.app).where(self._where)).first() is not None
            conn.commit()
            if exists:
                return
            try:
                conn.execute(sa.insert(TABLE).values(app=self.app, realm_id=self.realm_id))
                conn.commit()
            except IntegrityError:
                conn.rollback()  # another process inserted it first

    def read(self) -> Tokens | None:
        """The stored tokens, or None (no row, or the empty row :meth:`locked` inserts)."""
        try:
            if self._conn is not None:
                row = self._conn.execute(sa.select(TABLE).where(self._where)).mappings().first()
            else:
                with self.engine.connect() as conn:
                    row = conn.execute(sa.select(TABLE).where(self._where)).mappings().first()
                    conn.rollback()
        except SQLAlchemyError as exc:
            raise self._error("read", exc) from exc
        if row is None or not row["refresh_token"]:
            return None
        tokens = Tokens(
            realm_id=str(row["realm_id"]),
            refresh_token=str(row["refresh_token"]),
            access_token=str(row["access_token"]),
            access_expires_at=float(row["access_expires_at"]),
            refresh_expires_at=float(row["refresh_expires_at"]),
            seeded_from=str(row["seeded_from"]),
            updated_at=float(row["updated_at"]),
        )
        redact.protect(tokens.access_token, tokens.refresh_token)
        return tokens

    def write(self, tokens: Tokens) -> None:
        """Save the tokens; under :meth:`locked` they are committed when the lock is let go."""
        tokens.updated_at = time.time()
        values = {
            "refresh_token": tokens.refresh_token,
            "access_token": tokens.access_token,
            "access_expires_at": tokens.access_expires_at,
            "refresh_expires_at": tokens.refresh_expires_at,
            "seeded_from": tokens.seeded_from,
            "updated_at": tokens.updated_at,
        }
        if self._conn is not None:
            self._write(self._conn, values)
            return
        with self.locked():
            assert self._conn is not None
            self._write(self._conn, values)

    def _write(self, conn: Connection, values: dict[str, Any]) -> None:
        try:
            conn.execute(sa.update(TABLE).where(self._where).values(**values))
        except SQLAlchemyError as exc:
            raise self._error("write", exc) from exc

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """One transaction holding the row's lock; what :meth:`write` saved inside commits at the end."""
        with self._lock:
            if self._conn is not None:  # re-entered (a write under the lock): one transaction
                yield
                return
            try:
                self._ensure_row()
                conn = self.engine.connect()
            except SQLAlchemyError as exc:
                raise self._error("open", exc) from exc
            try:
                try:
                    transaction = conn.begin()
                    conn.execute(sa.select(TABLE.c.app).where(self._where).with_for_update())
                except SQLAlchemyError as exc:
                    raise self._error("lock", exc) from exc
                self._conn = conn
                try:
                    yield
                except BaseException:
                    transaction.rollback()
                    raise
                try:
                    transaction.commit()
                except SQLAlchemyError as exc:
                    raise self._error("write", exc) from exc
            finally:
                self._conn = None
                conn.close()

    def orphans(self) -> list[Tokens]:
        """None: a transaction leaves no half-written tokens behind (see the file store's)."""
        return []

    def discard_orphans(self) -> None:
        """Nothing to discard (see :meth:`orphans`)."""
