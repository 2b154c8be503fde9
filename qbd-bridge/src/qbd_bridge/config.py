"""The bridge's settings: where the queue lives and how long it waits for whom."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class BridgeConfig:
    """Everything the service can be told; the CLI's ``serve`` options map onto these fields."""

    #: The SQLite file of companies, tokens, sessions, jobs and responses.
    database: str | Path = "qbd-bridge.db"
    #: Request bodies larger than this are refused with 413 before they are parsed. A QBWC answer of
    #: a few hundred records is a few hundred KB; escaped inside SOAP it grows by about a third.
    max_body_bytes: int = 48 * 1024 * 1024
    #: A session that has not called for this long is over: its unanswered message set is sent
    #: again in the next session, its iterators are gone. QuickBooks may take 90 s to answer one
    #: request, so this is well above that.
    session_idle_timeout: float = 300.0
    #: A session that awaits nothing from QuickBooks and has been silent this long is over when
    #: its company signs in again (QBWC calls again within seconds of each answer; its longest
    #: silence is while QuickBooks starts, before the first request). Until then: ``busy``.
    session_quiet_timeout: float = 90.0
    #: How long an open job (``"open": true``) may go without its producer adding a message set
    #: before the bridge stops waiting for it: the session stops answering NoOp and the job is closed.
    producer_timeout: float = 120.0
    #: The hint given with ``none`` from authenticate: seconds before QBWC should try again.
    postpone_seconds: int = 60
    #: Every refused login is answered after this delay (awaited, so other companies go on).
    failure_delay: float = 1.0
    #: After this many refused logins in a row, a user name is locked for a growing time.
    lockout_after: int = 5
    #: The first lockout, doubled at each further failure, up to :attr:`lockout_max`.
    lockout_seconds: float = 30.0
    lockout_max: float = 3600.0
    #: scrypt's cost (N) for passwords set from now on (each hash records its own cost). Tests of
    #: the bridge lower it to go fast; 2**14 takes about 50 ms and 16 MB per check.
    password_cost: int = 2**14
    #: Finished jobs (their message sets and responses) are deleted this long after they finished:
    #: the responses are for the plugins to read, not an archive.
    retention_days: float = 7.0
    #: The version ``serverVersion`` reports.
    server_version: str = ""
    #: clientVersion answers ``O:<this>`` to a Web Connector older than it.
    min_client_version: str = "2.0.0.0"

    #: The service's clock (epoch seconds): session idleness, producer timeouts, lockouts and
    #: "last called" are read from it. Tests move it forward instead of sleeping.
    clock: Callable[[], float] = field(default=time.time)

    @property
    def database_path(self) -> Path:
        return Path(self.database)
