"""Fixtures of the bridge's tests: a bridge on a loopback port with a SQLite file, and a company on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bridge_harness import FAST, Clock, Company, make_company
from qbd_bridge.testing import RunningBridge


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
