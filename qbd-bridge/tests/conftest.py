"""Fixtures of the bridge's tests: a bridge on a loopback port with a SQLite file, and a company on it."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from bridge_harness import Connector, QuickBooks, Soap
from qbd_bridge.testing import RunningBridge
from qbd_client.client import BridgeClient

#: Fast settings for tests: cheap password hashing, short delays (the defaults are for production).
FAST: dict[str, Any] = {
    "password_cost": 2**10,
    "failure_delay": 0.05,
    "session_idle_timeout": 30.0,
    "session_quiet_timeout": 20.0,
    "producer_timeout": 10.0,
}


@dataclass
class Company:
    """A company of the running bridge, its Web Connector and its QuickBooks."""

    name: str
    password: str
    qwc: Path
    soap: Soap
    qb: QuickBooks
    connector: Connector
    client: BridgeClient


_names = itertools.count(1)


def make_company(running: RunningBridge, name: str | None = None, customers: int = 0) -> Company:
    """A new company on ``running`` (a fresh name unless given), with a QuickBooks of ``customers``."""
    name = name or f"company{next(_names)}"
    password, qwc = running.add_company(name)
    soap = Soap(running.url)
    qb = QuickBooks(customers)
    client = BridgeClient(running.url, running.token(), name, timeout=10, poll_wait=2.0)
    return Company(name, password, qwc, soap, qb, Connector(soap, qwc, password, qb), client)


class Clock:
    """Real time plus an offset that tests move forward: the bridge's timeouts without sleeping."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory, clock: Clock) -> Iterator[RunningBridge]:
    """One bridge per test module (a server takes ~0.2 s to stop); each test makes its own companies."""
    with RunningBridge(tmp_path_factory.mktemp("bridge") / "bridge.db", clock=clock, **FAST) as bridge:
        yield bridge


@pytest.fixture
def acme(running: RunningBridge) -> Company:
    """A new company with 25 customers in its QuickBooks."""
    return make_company(running, customers=25)
