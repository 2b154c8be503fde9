"""The shared client against the sandbox over real HTTP: auth and rotation, retries, limits, faults."""

from __future__ import annotations

import logging
import multiprocessing
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from qbo_client.client import QBOClient
from qbo_client.config import ClientConfig
from qbo_client.errors import (
    DuplicateNameError,
    NotFoundError,
    QueryError,
    RefreshTokenInvalid,
    StaleObjectError,
    TransientError,
)
from qbo_client.ratelimit import RateLimiter
from qbo_client.tokens import TokenStore
from qbo_sandbox.config import RealismConfig, SandboxConfig, TokenConfig
from qbo_sandbox.testing import RunningSandbox, start_sandbox


def make_config(running: RunningSandbox, store: Path, **overrides: Any) -> ClientConfig:
    creds = running.credentials
    values: dict[str, Any] = {
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "refresh_token": creds.refresh_token,
        "realm_id": running.realm,
        "base_url": running.url,
        "token_store_path": store,
        "max_backoff": 0.5,
        **overrides,
    }
    return ClientConfig(**values)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "tokens.json"


@pytest.fixture
def client(qbo_sandbox: RunningSandbox, store_path: Path) -> Iterator[QBOClient]:
    c = QBOClient(make_config(qbo_sandbox, store_path))
    yield c
    c.close()


def test_rotated_refresh_token_survives_in_the_store_and_the_dead_config_token_is_not_used(
    qbo_sandbox: RunningSandbox, store_path: Path
) -> None:
    original = qbo_sandbox.credentials.refresh_token
    first = QBOClient(make_config(qbo_sandbox, store_path))
    assert first.count("Invoice") > 0
    stored = TokenStore(store_path).read()
    assert stored is not None
    assert stored.refresh_token != original  # the sandbox rotates on every refresh
    answer = requests.post(
        f"{qbo_sandbox.url}/oauth2/v1/tokens/bearer",
        data={"grant_type": "refresh_token", "refresh_token": original},
        auth=(qbo_sandbox.credentials.client_id, qbo_sandbox.credentials.client_secret),
        timeout=10,
    )
    assert answer.json() == {"error": "invalid_grant"}
    # A second run with the same (now dead) config token authenticates through the store.
    second = QBOClient(make_config(qbo_sandbox, store_path))
    second.tokens._tokens = None
    stored_before = TokenStore(store_path).read()
    assert stored_before is not None
    stored_before.access_token = ""
    TokenStore(store_path).write(stored_before)
    assert second.count("Invoice") > 0


def test_token_store_is_private_and_written_atomically(client: QBOClient, store_path: Path) -> None:
    client.count("Customer")
    assert stat.S_IMODE(os.stat(store_path).st_mode) == 0o600
    leftovers = [p.name for p in store_path.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_dead_refresh_token_fails_at_once_with_what_to_do(
    qbo_sandbox: RunningSandbox, store_path: Path
) -> None:
    client = QBOClient(make_config(qbo_sandbox, store_path, refresh_token="not-a-real-token"))
    with pytest.raises(RefreshTokenInvalid) as caught:
        client.count("Customer")
    assert "tap-quickbooks auth" in str(caught.value)
    assert client.stats.requests == 0


def test_a_new_refresh_token_in_the_config_wins_over_the_store(
    qbo_sandbox: RunningSandbox, store_path: Path
) -> None:
    QBOClient(make_config(qbo_sandbox, store_path)).count("Customer")
    fresh = qbo_sandbox.sandbox.oauth.grant(qbo_sandbox.credentials.client_id, qbo_sandbox.realm)[
        "refresh_token"
    ]
    client = QBOClient(make_config(qbo_sandbox, store_path, refresh_token=fresh))
    assert client.count("Customer") > 0
    stored = TokenStore(store_path).read()
    assert stored is not None
    assert stored.seeded_from == fresh


def _refresh_in_process(config: dict[str, Any], queue: Any) -> None:
    try:
        client = QBOClient(ClientConfig(**config))
        queue.put(client.count("Vendor"))
    except Exception as exc:  # reported to the parent, which asserts on it
        queue.put(repr(exc))


def test_two_processes_refreshing_one_company_at_once_both_succeed(
    qbo_sandbox: RunningSandbox, store_path: Path
) -> None:
    config = make_config(qbo_sandbox, store_path)
    values = {
        k: getattr(config, k)
        for k in ("client_id", "client_secret", "refresh_token", "realm_id", "base_url", "token_store_path")
    }
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_refresh_in_process, args=(values, queue)) for _ in range(2)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert all(isinstance(r, int) and r > 0 for r in results), results


@pytest.fixture
def short_lived_tokens() -> SandboxConfig:
    return SandboxConfig(tokens=TokenConfig(access_token_ttl=1.0))


def test_expired_access_token_mid_run_is_refreshed_once(
    short_lived_tokens: SandboxConfig, store_path: Path
) -> None:
    with start_sandbox(short_lived_tokens) as running:
        client = QBOClient(make_config(running, store_path))
        assert client.count("Invoice") > 0
        # The client believes its token is good for an hour; the server expired it after a second.
        client.tokens._tokens.access_expires_at = 1e12  # type: ignore[union-attr]
        import time

        time.sleep(1.2)
        assert client.count("Invoice") > 0
        assert client.tokens.refreshes == 2


@pytest.mark.parametrize("kind", ["500", "503", "429", "429-no-retry-after", "drop"])
def test_reads_retry_through_injected_faults_and_answer_like_a_clean_run(kind: str, store_path: Path) -> None:
    with start_sandbox() as clean:
        expected = QBOClient(make_config(clean, store_path.with_name("clean.json"))).query_rows(
            "SELECT * FROM Customer ORDERBY Id MAXRESULTS 1000"
        )
    with start_sandbox(
        SandboxConfig(realism=RealismConfig(fault_rate=0.5, fault_kinds=(kind,), seed=3))
    ) as faulty:
        client = QBOClient(make_config(faulty, store_path, max_retries=20))
        rows = [
            client.query_rows(f"SELECT * FROM Customer ORDERBY Id STARTPOSITION {n} MAXRESULTS 10")
            for n in range(1, len(expected) + 1, 10)
        ]
        assert [r["Id"] for page in rows for r in page] == [r["Id"] for r in expected]
        assert client.stats.retries > 0


def test_a_write_without_requestid_is_not_retried_after_a_server_error(store_path: Path) -> None:
    with start_sandbox(
        SandboxConfig(realism=RealismConfig(fault_rate=1.0, fault_kinds=("500",), seed=1))
    ) as faulty:
        client = QBOClient(make_config(faulty, store_path))
        client.tokens.access_token()
        with pytest.raises(TransientError):
            client.create("Customer", {"DisplayName": "Maybe Written"})
        assert client.stats.requests == 1


def test_faults_are_typed_and_carry_code_element_and_intuit_tid(client: QBOClient) -> None:
    customer = client.create("Customer", {"DisplayName": "Typed Faults"})
    with pytest.raises(DuplicateNameError) as dup:
        client.create("Customer", {"DisplayName": "Typed Faults"})
    assert dup.value.code == "6240"
    assert dup.value.intuit_tid.startswith("1-")
    with pytest.raises(StaleObjectError):
        client.update("Customer", {"Id": customer["Id"], "SyncToken": "9", "Notes": "x"})
    with pytest.raises(NotFoundError):
        client.read("Customer", "999999")
    with pytest.raises(QueryError) as bad:
        client.query("SELECT * FROM Custmoer")
    assert bad.value.code == "4001"
    assert "intuit_tid" in str(bad.value)


def test_every_call_carries_the_minor_version(client: QBOClient) -> None:
    seen: list[str] = []
    client.session.hooks["response"].append(lambda r, *a, **k: seen.append(r.request.url))
    client.count("Invoice")
    client.read("Customer", client.query_rows("SELECT * FROM Customer MAXRESULTS 1")[0]["Id"])
    api_calls = [u for u in seen if "/v3/company/" in u]
    assert api_calls
    assert all("minorversion=75" in u for u in api_calls)


def test_batch_answers_come_back_in_request_order_with_per_item_faults(client: QBOClient) -> None:
    answers = client.batch(
        [
            {"bId": "a", "operation": "create", "Vendor": {"DisplayName": "Batch A"}},
            {"bId": "b", "operation": "create", "Vendor": {"DisplayName": "Batch A"}},
            {"bId": "c", "Query": "SELECT COUNT(*) FROM Vendor WHERE DisplayName = 'Batch A'"},
        ],
        request_id="client-batch-1",
    )
    assert [a["bId"] for a in answers] == ["a", "b", "c"]
    assert answers[0]["Vendor"]["DisplayName"] == "Batch A"
    assert answers[1]["Fault"]["Error"][0]["code"] == "6240"
    assert answers[2]["QueryResponse"]["totalCount"] == 1


def test_secrets_never_reach_the_logs_at_debug(
    qbo_sandbox: RunningSandbox, store_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = QBOClient(make_config(qbo_sandbox, store_path))
    client.count("Invoice")
    with pytest.raises(DuplicateNameError):
        client.create(
            "Customer",
            {"DisplayName": client.query_rows("SELECT * FROM Customer MAXRESULTS 1")[0]["DisplayName"]},
        )
    bad = QBOClient(
        make_config(qbo_sandbox, store_path.with_name("other.json"), refresh_token="dead-token-value")
    )
    with pytest.raises(RefreshTokenInvalid):
        bad.count("Invoice")
    stored = TokenStore(store_path).read()
    assert stored is not None
    text = caplog.text + "".join(str(r.exc_info) for r in caplog.records)
    for secret in (
        qbo_sandbox.credentials.client_secret,
        stored.refresh_token,
        stored.access_token,
        "dead-token-value",
    ):
        assert secret not in text
    assert "refreshed" in caplog.text


def test_limiter_keeps_under_the_per_minute_limit_on_a_virtual_clock() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(5, 2, 2, clock=lambda: now[0], sleep=sleep)
    admitted = []
    for _ in range(12):
        with limiter.slot():
            admitted.append(now[0])
    for i in range(len(admitted) - 5):
        assert admitted[i + 5] - admitted[i] >= 60.0
    for _ in range(3):
        with limiter.slot(batch=True):
            admitted.append(now[0])
    assert slept


def test_limiter_pause_holds_everything_back() -> None:
    now = [100.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    limiter = RateLimiter(None, None, None, clock=lambda: now[0], sleep=sleep)
    limiter.pause(7.5)
    with limiter.slot():
        assert now[0] >= 107.5
