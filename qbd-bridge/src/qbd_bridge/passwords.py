"""Secrets the bridge hands out and checks: QBWC passwords, API tokens, session tickets.

Passwords are stored as scrypt hashes with a salt of their own (the cost is stored with the hash,
so it can be raised later); API tokens and tickets are long random strings, stored as their sha256
(a hash of 256 random bits needs no salt or stretching). Comparisons are constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from functools import cache

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
TOKEN_PREFIX = "qbdb_"  # noqa: S105 (what a token starts with, so a leaked one is recognised)


def hash_password(password: str, *, n: int = SCRYPT_N) -> str:
    """``scrypt$n$r$p$salt$hash``, hex-encoded."""
    salt = os.urandom(16)
    digest = _scrypt(password, salt, n, SCRYPT_R, SCRYPT_P)
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored`` (a :func:`hash_password` string), in constant time."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = _scrypt(password, bytes.fromhex(salt), int(n), int(r), int(p))
        return hmac.compare_digest(computed, bytes.fromhex(digest))
    except ValueError:
        return False


@cache
def unknown_user_hash() -> str:
    """A hash to check passwords of unknown users against, so they cost as much as known ones."""
    return hash_password(secrets.token_urlsafe(16))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32
    )


def new_password() -> str:
    """A password for QBWC (it stores it; nobody types it twice)."""
    return secrets.token_urlsafe(18)


def new_token() -> str:
    """An API token: a prefix that says what it is, then 256 random bits."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """The sha256 of a token or ticket, as stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_ticket() -> str:
    """A session ticket (a random GUID, as QBWC's own samples make them)."""
    return str(uuid.UUID(bytes=secrets.token_bytes(16), version=4))


def new_guid() -> str:
    """A GUID in the form QuickBooks writes them: ``{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}``."""
    return "{" + str(uuid.UUID(bytes=secrets.token_bytes(16), version=4)).upper() + "}"


def same_guid(a: str | None, b: str | None) -> bool:
    """GUIDs compared as QuickBooks does: without braces, case-insensitive."""
    if not a or not b:
        return False
    return a.strip().strip("{}").upper() == b.strip().strip("{}").upper()


@dataclass
class _Failures:
    count: int = 0
    locked_until: float = 0.0


class LoginThrottle:
    """Refused logins per user name: after a few in a row, the name is locked for a growing time.

    Unknown user names are counted like known ones, so the answers do not tell them apart. The
    state is in memory: a restart forgets it, which costs an attacker a restart of our service.
    """

    MAX_NAMES = 10_000

    def __init__(self, lockout_after: int, lockout_seconds: float, lockout_max: float) -> None:
        self.lockout_after = lockout_after
        self.lockout_seconds = lockout_seconds
        self.lockout_max = lockout_max
        self._lock = threading.Lock()
        self._names: dict[str, _Failures] = {}

    def locked(self, name: str, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        with self._lock:
            state = self._names.get(name.lower())
            return state is not None and state.locked_until > now

    def failed(self, name: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self._lock:
            if len(self._names) >= self.MAX_NAMES:
                # Keep the names that are locked; forget the ones with only a stray failure.
                self._names = {k: v for k, v in self._names.items() if v.locked_until > now}
            state = self._names.setdefault(name.lower(), _Failures())
            state.count += 1
            over = state.count - self.lockout_after
            if over >= 0:
                state.locked_until = now + min(self.lockout_seconds * 2**over, self.lockout_max)

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._names.pop(name.lower(), None)
