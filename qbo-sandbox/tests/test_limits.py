"""Service limits, latency and injected faults of LimitsMiddleware, seen by a real HTTP client."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from qbo_sandbox.config import LimitsConfig, RealismConfig, SandboxConfig
from qbo_sandbox.db import Database
from qbo_sandbox.limits import LimitsMiddleware, LimitsStats
from qbo_sandbox.oauth import OAuthService
from sandbox_harness import serve
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TID = re.compile(r"^1-[0-9a-f]{8}-[0-9a-f]{24}$")
REALM = "4620816365"


@dataclass
class Server:
    url: str
    middleware: LimitsMiddleware
    calls: list[str] = field(default_factory=list)  # what the app was asked to do

    @property
    def stats(self) -> LimitsStats:
        return self.middleware.stats

    def api(self, rest: str = "echo") -> str:
        return f"{self.url}/v3/company/{REALM}/{rest}"


@contextmanager
def sandbox(
    limits: LimitsConfig | None = None,
    realism: RealismConfig | None = None,
    clock: Any = time.monotonic,
) -> Iterator[Server]:
    """The test app (echo, batch and OAuth routes) behind LimitsMiddleware, served over HTTP."""
    calls: list[str] = []
    config = SandboxConfig(limits=limits or LimitsConfig(), realism=realism or RealismConfig())
    db = Database()
    oauth = OAuthService.from_config(db, config)

    async def echo(request: Request) -> Response:
        calls.append(f"{request.method} echo")
        await request.body()
        if "sleep" in request.query_params:
            await asyncio.sleep(float(request.query_params["sleep"]))
        rows = int(request.query_params.get("rows", "0"))
        request.scope["state"]["rows"] = rows
        return JSONResponse(
            {
                "rows": rows,
                "tid": request.state.intuit_tid,
                "stats_shared": request.app.state.limits_stats is middleware.stats,
            }
        )

    async def batch(request: Request) -> Response:
        calls.append("batch")
        return JSONResponse({"BatchItemResponse": []})

    app = Starlette(
        routes=[
            *oauth.routes(),
            Route("/v3/company/{realm}/echo", echo, methods=["GET", "POST"]),
            Route("/v3/company/{realm}/batch", batch, methods=["POST"]),
        ]
    )
    middleware = LimitsMiddleware(app, config, clock=clock)
    try:
        with serve(middleware) as url:
            yield Server(url, middleware, calls)
    finally:
        db.close()


def fault_3001(answer: requests.Response) -> None:
    assert answer.status_code == 429
    error = answer.json()["Fault"]["Error"][0]
    assert error["code"] == "3001"
    assert error["Message"] == "message=ThrottleExceeded; errorCode=003001; statusCode=429"


# -- intuit_tid --------------------------------------------------------------------------------------


def test_every_answer_carries_a_unique_intuit_tid() -> None:
    with sandbox(LimitsConfig(requests_per_minute=2)) as server, requests.Session() as http:
        answers = [
            http.get(server.api()),
            http.get(server.api()),
            http.get(server.api()),  # throttled
            http.get(f"{server.url}/health"),  # not found, outside the API
            http.post(f"{server.url}/oauth2/v1/tokens/bearer", data={"grant_type": "x"}),
        ]
    assert [a.status_code for a in answers] == [200, 200, 429, 404, 401]
    tids = [a.headers["intuit_tid"] for a in answers]
    assert all(TID.match(tid) for tid in tids), tids
    assert len(set(tids)) == len(tids)
    # The app sees the same id in its request state, and the stats object through app.state.
    assert answers[0].json()["tid"] == tids[0]
    assert answers[0].json()["stats_shared"] is True


# -- rate limits -------------------------------------------------------------------------------------


def test_requests_per_minute_with_a_short_minute() -> None:
    # time_scale 30: the sandbox's minute lasts two real seconds.
    limits = LimitsConfig(requests_per_minute=5, time_scale=30)
    with sandbox(limits) as server, requests.Session() as http:
        started = time.monotonic()
        assert [http.get(server.api()).status_code for _ in range(5)] == [200] * 5
        over = http.get(server.api())
        fault_3001(over)
        assert 1 <= int(over.headers["Retry-After"]) <= 2
        for _ in range(3):  # hammering stays throttled, but does not extend the wait
            fault_3001(http.get(server.api()))
        assert server.calls == ["GET echo"] * 5

        time.sleep(max(0.0, started + 2.05 - time.monotonic()))
        # Throttled requests did not count: the whole window is free again.
        assert [http.get(server.api()).status_code for _ in range(5)] == [200] * 5
        fault_3001(http.get(server.api()))
    assert server.stats.throttled == 5
    assert server.stats.passed == 10
    assert server.stats.requests == 15


def test_window_slides_on_the_injected_clock() -> None:
    now = [1000.0]
    limits = LimitsConfig(requests_per_minute=3)
    with sandbox(limits, clock=lambda: now[0]) as server, requests.Session() as http:
        for step in (0.0, 20.0, 20.0):
            now[0] += step
            assert http.get(server.api()).status_code == 200
        over = http.get(server.api())
        assert over.status_code == 429
        assert over.headers["Retry-After"] == "20"  # the first request leaves the window at 1060
        now[0] += 20.5
        assert http.get(server.api()).status_code == 200
        assert http.get(server.api()).status_code == 429


def test_limits_are_per_company_and_only_on_the_api() -> None:
    with sandbox(LimitsConfig(requests_per_minute=1)) as server, requests.Session() as http:
        assert http.get(server.api()).status_code == 200
        assert http.get(server.api()).status_code == 429
        assert http.get(f"{server.url}/v3/company/other/echo").status_code == 200
        for _ in range(3):
            assert http.post(f"{server.url}/oauth2/v1/tokens/bearer").status_code == 401


def test_batch_limit() -> None:
    limits = LimitsConfig(batch_per_minute=2)
    with sandbox(limits) as server, requests.Session() as http:
        assert http.post(server.api("batch"), json={"BatchItemRequest": []}).status_code == 200
        assert http.post(server.api("batch"), json={"BatchItemRequest": []}).status_code == 200
        over = http.post(server.api("batch"), json={"BatchItemRequest": []})
        fault_3001(over)
        assert 1 <= int(over.headers["Retry-After"]) <= 60
        # Other requests of the company are not batch requests.
        assert http.get(server.api()).status_code == 200
        # The connection is still usable after a throttled request with a body.
        assert http.post(server.api(), data=b"x" * 200_000).status_code == 200
    assert server.calls.count("batch") == 2


def test_concurrency_limit_answers_429_to_the_eleventh() -> None:
    limits = LimitsConfig(concurrent=10)
    with sandbox(limits) as server:
        barrier = threading.Barrier(11)
        answers: list[requests.Response] = []

        def one() -> None:
            barrier.wait()
            answers.append(requests.get(server.api() + "?sleep=1.0", timeout=30))

        threads = [threading.Thread(target=one) for _ in range(11)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [200] * 10 + [429]
        throttled = next(a for a in answers if a.status_code == 429)
        fault_3001(throttled)
        assert throttled.headers["Retry-After"] == "1"
        assert server.stats.in_flight_max == 10
        assert server.stats.throttled == 1
        # All slots are free again once the answers are in.
        assert requests.get(server.api(), timeout=10).status_code == 200
        assert server.stats.in_flight == 0


def test_concurrency_is_released_when_the_client_gives_up() -> None:
    with sandbox(LimitsConfig(concurrent=1)) as server, requests.Session() as http:
        with pytest.raises(requests.Timeout):
            http.get(server.api() + "?sleep=0.6", timeout=0.2)
        assert http.get(server.api()).status_code == 429  # the app is still working on it
        time.sleep(0.6)
        assert http.get(server.api()).status_code == 200
        assert server.stats.in_flight == 0


def test_concurrency_is_released_when_the_app_fails() -> None:
    async def failing(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    config = SandboxConfig(limits=LimitsConfig(concurrent=1))
    middleware = LimitsMiddleware(failing, config)

    async def call() -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {"type": "http", "path": f"/v3/company/{REALM}/echo", "method": "GET", "headers": []}
        with pytest.raises(RuntimeError, match="boom"):
            await middleware(scope, receive, send)
        return sent

    assert asyncio.run(call()) == []
    assert middleware.stats.in_flight == 0
    assert asyncio.run(call()) == []  # not throttled: the slot came back


# -- latency -----------------------------------------------------------------------------------------


def test_latency_per_request_and_per_row() -> None:
    realism = RealismConfig(latency_per_request=0.2, latency_per_row=0.02)
    with sandbox(realism=realism) as server, requests.Session() as http:
        started = time.monotonic()
        assert http.get(server.api()).status_code == 200
        assert time.monotonic() - started >= 0.2
        started = time.monotonic()
        answer = http.get(server.api() + "?rows=25")
        assert answer.json()["rows"] == 25
        assert time.monotonic() - started >= 0.2 + 25 * 0.02
        started = time.monotonic()
        assert http.get(f"{server.url}/health").status_code == 404  # no latency outside the API
        assert answer.elapsed.total_seconds() >= 0.7


# -- injected faults ---------------------------------------------------------------------------------


def outcome(http: requests.Session, url: str) -> str:
    try:
        return str(http.get(url, timeout=(5, 0.3)).status_code)
    except requests.Timeout:
        return "timeout"
    except requests.ConnectionError:
        return "dropped"


def test_injected_faults_are_deterministic_under_a_seed() -> None:
    def run(seed: int) -> list[str]:
        realism = RealismConfig(
            fault_rate=0.5, fault_kinds=("500", "503", "429", "drop"), seed=seed, slow_seconds=0.0
        )
        with sandbox(realism=realism) as server, requests.Session() as http:
            return [outcome(http, server.api()) for _ in range(40)]

    first = run(7)
    assert first == run(7)
    assert set(first) == {"200", "500", "503", "429", "dropped"}
    assert run(8) != first


@pytest.mark.parametrize(
    ("kind", "seen"),
    [
        ("500", "500"),
        ("503", "503"),
        ("429", "429"),
        ("429-no-retry-after", "429"),
        ("401", "401"),
        ("drop", "dropped"),
        ("slow", "timeout"),
    ],
)
def test_each_fault_kind_as_a_client_sees_it(kind: str, seen: str) -> None:
    realism = RealismConfig(fault_rate=1.0, fault_kinds=(kind,), slow_seconds=0.8)
    with sandbox(realism=realism) as server, requests.Session() as http:
        answer: requests.Response | None = None
        try:
            answer = http.post(server.api(), json={"Id": "1"}, timeout=(5, 0.3))
            result = str(answer.status_code)
        except requests.Timeout:
            result = "timeout"
        except requests.ConnectionError:
            result = "dropped"
        assert result == seen
        # Only a slow answer reached the app (a write happens even though the client gave up).
        assert server.calls == (["POST echo"] if kind == "slow" else [])
        assert server.stats.faults == {kind: 1}
        if answer is not None:
            assert TID.match(answer.headers["intuit_tid"])
            body = answer.json()
            if kind in ("500", "503"):
                assert body["Fault"]["type"] == "SystemFault"
                assert body["Fault"]["Error"][0]["code"] == "10000"
            elif kind.startswith("429"):
                fault_3001(answer)
                assert answer.headers.get("Retry-After") == ("1" if kind == "429" else None)
            else:
                assert body["fault"]["error"][0]["code"] == "3200"
                assert answer.headers["Www-Authenticate"] == 'Bearer realm="Intuit", error="invalid_token"'
        # The server is still healthy after it.
        assert outcome(http, f"{server.url}/health") == "404"


def test_slow_fault_answers_in_the_end() -> None:
    realism = RealismConfig(fault_rate=1.0, fault_kinds=("slow",), slow_seconds=0.4)
    with sandbox(realism=realism) as server:
        started = time.monotonic()
        assert requests.get(server.api(), timeout=10).status_code == 200
        assert time.monotonic() - started >= 0.4


def test_unknown_fault_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault kinds"):
        LimitsMiddleware(Starlette(), SandboxConfig(realism=RealismConfig(fault_kinds=("418",))))
