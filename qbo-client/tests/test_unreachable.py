"""A wrong address fails fast and says so; an outage is retried, each retry logged as it happens.

Over real sockets: a loopback port where nothing listens (connection refused), and a sandbox that
answers 503 or too slowly.
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from typing import Any

import pytest
from qbo_client.client import QBOClient
from qbo_client.config import ClientConfig
from qbo_client.errors import TransientError, UnreachableError
from qbo_sandbox.config import RealismConfig, SandboxConfig
from qbo_sandbox.testing import RunningSandbox, start_sandbox


def closed_port() -> int:
    """A loopback port nothing listens on (bound a moment, then let go)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def config_for(running: RunningSandbox, tmp_path: Path, **overrides: Any) -> ClientConfig:
    creds = running.credentials
    values: dict[str, Any] = {
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "refresh_token": creds.refresh_token,
        "realm_id": running.realm,
        "base_url": running.url,
        "token_store_path": tmp_path / "tokens.json",
        "max_backoff": 0.2,
        **overrides,
    }
    return ClientConfig(**values)


def retries_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and "; retry " in r.getMessage()
    ]


def test_a_base_url_where_nothing_listens_fails_after_three_attempts_naming_the_url(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    config = ClientConfig(
        client_id="app",
        client_secret="app-secret",
        refresh_token="refresh-token-0",
        realm_id="1",
        base_url=url,
        token_store_path=tmp_path / "tokens.json",
    )
    client = QBOClient(config)
    with caplog.at_level(logging.WARNING), pytest.raises(UnreachableError) as raised:
        client.count("Customer")
    token_url = f"{url}/oauth2/v1/tokens/bearer"
    assert (
        str(raised.value)
        == f"nothing answers at {token_url} (connection refused, 3 attempts): check base_url"
    )
    assert retries_logged(caplog) == [
        f"the token endpoint {token_url}: connection refused; retry 1/2 in 0.5 s",
        f"the token endpoint {token_url}: connection refused; retry 2/2 in 1.0 s",
    ]
    assert not (tmp_path / "tokens.json").exists()


def test_an_api_address_where_nothing_listens_fails_after_three_attempts_naming_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with start_sandbox(seed=None) as running:
        dead = f"http://127.0.0.1:{closed_port()}"
        config = config_for(
            running, tmp_path, base_url=dead, token_url=f"{running.url}/oauth2/v1/tokens/bearer"
        )
        client = QBOClient(config)
        with caplog.at_level(logging.WARNING), pytest.raises(UnreachableError) as raised:
            client.count("Customer")
    query_url = f"{dead}/v3/company/{running.realm}/query"
    assert (
        str(raised.value)
        == f"nothing answers at {query_url} (connection refused, 3 attempt(s)): check base_url"
    )
    logged = retries_logged(caplog)
    assert [line.split(" in ")[0] for line in logged] == [
        f"POST {query_url}: connection refused; retry 1/2",
        f"POST {query_url}: connection refused; retry 2/2",
    ]
    assert client.tokens.refreshes == 1  # the token endpoint answered


@pytest.mark.parametrize(
    ("kind", "failure"), [("503", "HTTP 503"), ("slow", "ReadTimeout")], ids=["5xx", "timeouts"]
)
def test_an_outage_is_retried_max_retries_times_each_retry_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, kind: str, failure: str
) -> None:
    realism = RealismConfig(fault_rate=1.0, fault_kinds=(kind,), slow_seconds=1.0)
    with start_sandbox(SandboxConfig(realism=realism), seed=None) as running:
        client = QBOClient(config_for(running, tmp_path, max_retries=3, timeout=0.3))
        with caplog.at_level(logging.WARNING), pytest.raises(TransientError) as raised:
            client.count("Customer")
        seen = running.sandbox.limits.stats.snapshot()["faults"]
    assert not isinstance(raised.value, UnreachableError)
    assert seen == {kind: 4}  # the first attempt and three retries
    assert [line.split(": ", 1)[1].split(" in ")[0] for line in retries_logged(caplog)] == [
        f"{failure}; retry {n}/3" for n in (1, 2, 3)
    ]


def test_a_refusal_after_the_api_answered_is_an_outage_and_keeps_retrying(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with start_sandbox(seed=None) as running:
        client = QBOClient(config_for(running, tmp_path, max_retries=4))
        assert client.count("Customer") == 0
        running.server.stop()  # the address answered a moment ago: now it refuses
        with caplog.at_level(logging.WARNING), pytest.raises(TransientError) as raised:
            client.count("Customer")
    assert not isinstance(raised.value, UnreachableError)
    assert "connection refused after 5 attempt(s)" in str(raised.value)
    assert len(retries_logged(caplog)) == 4
