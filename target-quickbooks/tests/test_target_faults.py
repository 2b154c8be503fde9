"""Injected faults and throttling: every record is still written exactly once.

The sandbox drops connections, answers 500/503/429 (with and without Retry-After) and 401, and
stalls answers past the client's timeout, for one request in ten; or it enforces a batch limit
the client does not know about. Retries carry the same requestid, so a write QuickBooks did but
whose answer was lost is answered from the first time, not done again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from qbo_sandbox.config import LimitsConfig, RealismConfig, SandboxConfig
from qbo_sandbox.testing import RunningSandbox, start_sandbox
from tq_helpers import TIME_SCALE, dead_letters, new_business, reader, rows, run_target, target_config


@pytest.fixture
def sandbox_factory(qbo_sample_company_db: Path) -> Iterator[Any]:
    started: list[RunningSandbox] = []

    def start(config: SandboxConfig) -> RunningSandbox:
        running = start_sandbox(config, template=qbo_sample_company_db)
        started.append(running)
        return running

    yield start
    for running in started:
        running.server.stop()


def _exactly_once(config: dict[str, Any], prefix: str, customers: int, invoices: int) -> None:
    company = reader(config)
    names = Counter(r["DisplayName"] for r in rows(company, "Customer", f"DisplayName LIKE '{prefix}%'"))
    docs = Counter(r["DocNumber"] for r in rows(company, "Invoice", f"DocNumber LIKE '{prefix}-%'"))
    assert len(names) == customers
    assert set(names.values()) == {1}
    assert sorted(docs) == sorted(f"{prefix}-{n}" for n in range(invoices))
    assert set(docs.values()) == {1}
    assert dead_letters(config) == []


def test_every_record_written_once_through_injected_faults(sandbox_factory: Any, tmp_path: Path) -> None:
    kinds = ("500", "503", "429", "429-no-retry-after", "drop", "slow", "401")
    sandbox = sandbox_factory(
        SandboxConfig(
            limits=LimitsConfig(time_scale=TIME_SCALE),
            realism=RealismConfig(fault_rate=0.1, fault_kinds=kinds, slow_seconds=2.5, seed=11),
        )
    )
    # Batches of 10: the writes take enough requests (about 30) for one in ten to meet a fault; with
    # full batches of 30 and lookups read ahead, a run this size is only about 10 requests.
    config = target_config(sandbox, tmp_path, timeout=2.0, max_backoff=1.0, max_retries=10, batch_size=10)

    run = run_target(config, new_business("Fault", 150, 90))

    stats = sandbox.sandbox.limits.stats.snapshot()
    assert sum(stats["faults"].values()) > 0
    assert run.stats["retries"] > 0
    _exactly_once(config, "Fault", 150, 90)


def test_every_record_written_once_when_throttled(sandbox_factory: Any, tmp_path: Path) -> None:
    # the sandbox allows 10 batch requests a "minute"; the target's limiter believes in 100000
    sandbox = sandbox_factory(SandboxConfig(limits=LimitsConfig(batch_per_minute=10, time_scale=TIME_SCALE)))
    config = target_config(sandbox, tmp_path, batch_per_minute=100_000, batch_size=5, max_backoff=1.0)

    run = run_target(config, new_business("Throttle", 100, 20))

    assert sandbox.sandbox.limits.stats.snapshot()["throttled"] > 0
    assert run.stats["throttled"] > 0
    _exactly_once(config, "Throttle", 100, 20)
