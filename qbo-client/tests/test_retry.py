"""The one retry policy: how long the client waits before each retry, and when it gives up.

Over real sockets against a sandbox that throttles every request, with and without Retry-After.
"""

from __future__ import annotations

import itertools
import logging
from pathlib import Path
from typing import Any

import pytest
from qbo_client.client import QBOClient
from qbo_client.config import ClientConfig
from qbo_client.errors import ThrottledError
from qbo_client.retry import RetryPolicy
from qbo_sandbox.config import RealismConfig, SandboxConfig
from qbo_sandbox.testing import RunningSandbox, start_sandbox


def config_for(running: RunningSandbox, tmp_path: Path, **overrides: Any) -> ClientConfig:
    creds = running.credentials
    values: dict[str, Any] = {
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "refresh_token": creds.refresh_token,
        "realm_id": running.realm,
        "base_url": running.url,
        "token_store_path": tmp_path / "tokens.json",
        **overrides,
    }
    return ClientConfig(**values)


def waits_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage().split("; ", 1)[1]
        for r in caplog.records
        if r.levelno == logging.WARNING and "; retry " in r.getMessage()
    ]


def throttling_sandbox(kind: str) -> SandboxConfig:
    return SandboxConfig(realism=RealismConfig(fault_rate=1.0, fault_kinds=(kind,)))


def test_a_retry_after_is_obeyed_but_never_beyond_max_backoff(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with start_sandbox(throttling_sandbox("429"), seed=None) as running:  # Retry-After: 1
        client = QBOClient(config_for(running, tmp_path, max_retries=2, max_backoff=0.3))
        with caplog.at_level(logging.WARNING), pytest.raises(ThrottledError) as raised:
            client.count("Customer")
    assert raised.value.code == "3001"
    assert waits_logged(caplog) == ["retry 1/2 in 0.3 s", "retry 2/2 in 0.3 s"]
    assert (client.stats.retries, client.stats.throttled, client.stats.faults) == (2, 2, 1)


def test_a_retry_after_within_max_backoff_is_waited_as_given(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with start_sandbox(throttling_sandbox("429"), seed=None) as running:
        client = QBOClient(config_for(running, tmp_path, max_retries=1, max_backoff=5.0))
        with caplog.at_level(logging.WARNING), pytest.raises(ThrottledError):
            client.count("Customer")
    assert waits_logged(caplog) == ["retry 1/1 in 1.0 s"]


def test_a_429_without_retry_after_waits_a_second_at_least(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with start_sandbox(throttling_sandbox("429-no-retry-after"), seed=None) as running:
        client = QBOClient(config_for(running, tmp_path, max_retries=1, max_backoff=0.2))
        with caplog.at_level(logging.WARNING), pytest.raises(ThrottledError):
            client.count("Customer")
    assert waits_logged(caplog) == ["retry 1/1 in 1.0 s"]


def test_the_waits_double_from_the_first_up_to_the_longest_and_jitter_stays_below() -> None:
    steady = RetryPolicy(first_wait=0.5, max_wait=3.0, jitter=False)
    assert list(itertools.islice(steady.waits(), 6)) == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0]
    jittered = RetryPolicy(first_wait=0.5, max_wait=3.0, jitter=True)
    for wait, bound in zip(itertools.islice(jittered.waits(), 200), steady.waits(), strict=False):
        assert 0.0 <= wait <= bound
