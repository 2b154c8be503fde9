"""The token store: where a rotated refresh token survives the process that received it.

QuickBooks rotates refresh tokens; a client that loses the new one is locked out. Under Meltano
the ``--config`` file is a temporary copy deleted after each run, so the store (a file in the
user's state directory, one per app and company) is the source of truth once it exists. Writes
are atomic (temporary file, fsync, rename) with mode 0600, and every refresh happens under an
exclusive lock so a tap and a target refreshing the same company at once cannot race.

``token_store_url`` puts the store in a database instead, with the same guarantees
(:mod:`qbo_client.token_store_sql`); :func:`open_store` picks the backend from the config.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .config import ClientConfig


@dataclass
class Tokens:
    """What the store holds for one app and company."""

    realm_id: str
    refresh_token: str = field(repr=False)
    access_token: str = field(default="", repr=False)
    access_expires_at: float = 0.0  # epoch seconds
    refresh_expires_at: float = 0.0
    #: The refresh token from the config that these tokens descend from: when the config's changes
    #: (a user pasted a new one), the config wins over the store.
    seeded_from: str = field(default="", repr=False)
    updated_at: float = 0.0

    def access_valid(self) -> bool:
        """Valid for a while yet: a minute, or a tenth of its lifetime when that is shorter."""
        lifetime = max(0.0, self.access_expires_at - self.updated_at) if self.updated_at else 3600.0
        margin = min(60.0, lifetime / 10)
        return bool(self.access_token) and self.access_expires_at - margin > time.time()


class TokenStoreError(RuntimeError):
    """The token store cannot be read or written (says which file and what to do)."""


class TokenBackend(Protocol):
    """What :class:`~qbo_client.auth.TokenManager` needs of a store (a file, or a database row)."""

    @property
    def location(self) -> str:
        """The store as messages name it (no secret in it)."""
        ...

    def read(self) -> Tokens | None: ...

    def write(self, tokens: Tokens) -> None: ...

    def locked(self) -> contextlib.AbstractContextManager[None]: ...

    def orphans(self) -> list[Tokens]: ...

    def discard_orphans(self) -> None: ...


def open_store(config: ClientConfig) -> TokenBackend:
    """The config's token store: the database of ``token_store_url``, else the file (the default)."""
    if config.token_store_url:
        from .token_store_sql import SqlTokenStore  # SQLAlchemy only when a URL is set

        return SqlTokenStore(config.token_store_url, app=config.app_key, realm_id=config.realm_id)
    return TokenStore(config.store_path)


class TokenStore:
    """A JSON file with the current tokens of one app and company, plus its lock file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    @property
    def location(self) -> str:
        """The file's path."""
        return str(self.path)

    def read(self) -> Tokens | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise TokenStoreError(f"cannot read the token store {self.path}: {exc.strerror}") from exc
        try:
            data: dict[str, Any] = json.loads(text)
            return Tokens(**{k: v for k, v in data.items() if k in Tokens.__dataclass_fields__})
        except (ValueError, TypeError) as exc:
            raise TokenStoreError(
                f"the token store {self.path} is not valid JSON: delete it and put a fresh refresh_token "
                "in the config (or run `tap-quickbooks auth`)"
            ) from exc

    def _orphan_paths(self) -> list[Path]:
        return sorted(self.path.parent.glob(f".{self.path.name}.*.tmp"))

    def orphans(self) -> list[Tokens]:
        """Tokens that a writer killed between its fsync and its rename left in a temporary file.

        Newest first; a file cut short (killed while writing it) is no tokens and is skipped.
        Read under :meth:`locked` only: writers write under it too, so no file here is in progress.
        """
        found: list[Tokens] = []
        for path in self._orphan_paths():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                found.append(Tokens(**{k: v for k, v in data.items() if k in Tokens.__dataclass_fields__}))
            except (OSError, ValueError, TypeError):
                continue
        return sorted(found, key=lambda t: t.updated_at, reverse=True)

    def discard_orphans(self) -> None:
        """Delete what killed writers left behind (under :meth:`locked`, after a good write)."""
        for path in self._orphan_paths():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def write(self, tokens: Tokens) -> None:
        """Replace the file atomically: a crash leaves either the old tokens or the new, never half."""
        tokens.updated_at = time.time()
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(asdict(tokens), fh, indent=2)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's exclusive lock (across processes) for a read-refresh-write cycle."""
        self.lock_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
