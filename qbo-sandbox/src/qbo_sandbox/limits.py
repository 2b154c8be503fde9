"""QBO's service limits, latency and injected faults, as a pure ASGI middleware.

Raw ASGI (not ``BaseHTTPMiddleware``) so that responses stream through untouched and a client
disconnect or a cancellation reaches the app. It must be the outermost layer: "drop" closes the
server's connection, which it finds through the server's ``receive`` callable.

Only ``/v3/company/{realmId}/...`` is limited and faulted; every answer gets an ``intuit_tid``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .config import SandboxConfig
from .faults import system_fault, throttled
from .oauth import AuthError, auth_error_response

FAULT_KINDS = frozenset({"500", "503", "429", "429-no-retry-after", "drop", "slow", "401"})
#: Faults answered instead of calling the app, so that a write never half-happens.
_REPLACING = frozenset({"500", "503", "429", "429-no-retry-after", "drop", "401"})
_API_PATH = re.compile(r"^/v3/company/([^/]+)/(.*)$")
_TID_HEADER = b"intuit_tid"


def new_intuit_tid() -> str:
    """A transaction id in Intuit's format: ``1-<8 hex: epoch seconds>-<24 hex: random>``."""
    return f"1-{int(time.time()) & 0xFFFFFFFF:08x}-{secrets.token_hex(12)}"


@dataclass
class LimitsStats:
    """Counters for tests and benchmarks, shared with the app as ``app.state.limits_stats``."""

    requests: int = 0  # API requests seen (throttled and faulted ones included)
    passed: int = 0  # API requests handed to the app
    throttled: int = 0  # answered 429 because a limit was reached
    faults: dict[str, int] = field(default_factory=dict)  # injected faults by kind
    in_flight: int = 0  # API requests admitted and not finished, all companies together
    in_flight_max: int = 0

    def snapshot(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "passed": self.passed,
            "throttled": self.throttled,
            "faults": dict(self.faults),
            "in_flight": self.in_flight,
            "in_flight_max": self.in_flight_max,
        }

    def reset(self) -> None:
        """Zero the counters (``in_flight`` stays: those requests are still running)."""
        self.requests = self.passed = self.throttled = 0
        self.faults = {}
        self.in_flight_max = self.in_flight


@dataclass
class _Realm:
    """One company's sliding windows (admission times on the limiter's clock) and requests in flight."""

    requests: deque[float] = field(default_factory=deque)
    batches: deque[float] = field(default_factory=deque)
    in_flight: int = 0


class LimitsMiddleware:
    """Per-company rate, batch and concurrency limits, latency and seeded faults around ``app``.

    ``clock`` (monotonic seconds) times the limit windows; latency and "slow" sleep for real.
    """

    def __init__(
        self,
        app: ASGIApp,
        config: SandboxConfig,
        clock: Callable[[], float] = time.monotonic,
        *,
        stats: LimitsStats | None = None,
    ) -> None:
        unknown = set(config.realism.fault_kinds) - FAULT_KINDS
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}")
        if config.limits.time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.app = app
        self.config = config
        self.clock = clock
        self.stats = stats if stats is not None else LimitsStats()
        self.window = 60.0 / config.limits.time_scale  # real seconds in a sandbox minute
        self._rng = random.Random(config.realism.seed)
        self._realms: dict[str, _Realm] = {}
        # The event loop is single-threaded, but tests and benchmarks read and reset from others.
        self._lock = threading.Lock()
        app_state = getattr(app, "state", None)
        if app_state is not None:
            with contextlib.suppress(AttributeError, TypeError):
                app_state.limits_stats = self.stats

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tid = new_intuit_tid()
        scope.setdefault("state", {})["intuit_tid"] = tid
        send = _with_tid(send, tid.encode("ascii"))
        match = _API_PATH.match(scope["path"])
        if match is None:
            await self.app(scope, receive, send)
            return
        await self._api_call(scope, receive, send, match.group(1), match.group(2))

    # -- API requests ------------------------------------------------------------------------------

    async def _api_call(self, scope: Scope, receive: Receive, send: Send, realm_id: str, rest: str) -> None:
        arrived = time.monotonic()
        realism = self.config.realism
        is_batch = rest.strip("/").lower() == "batch"
        with self._lock:
            self.stats.requests += 1
            fault = self._draw()
            retry_after = self._admit(realm_id, is_batch)
            if retry_after is None:
                self.stats.passed += fault not in _REPLACING
                if fault is not None:
                    self.stats.faults[fault] = self.stats.faults.get(fault, 0) + 1
            else:
                self.stats.throttled += 1

        if retry_after is not None:
            await _drain(receive)
            await _sleep_until(arrived + realism.latency_per_request)
            await _answer(scope, receive, send, _throttle_response(retry_after))
            return

        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self._release(realm_id)

        try:
            if fault in _REPLACING:
                await _drain(receive)
                await _sleep_until(arrived + realism.latency_per_request)
                release()
                if fault == "drop":
                    await _drop(receive)
                else:
                    await _answer(scope, receive, send, _fault_response(fault))
                return

            state: dict[str, Any] = scope["state"]
            extra = realism.slow_seconds if fault == "slow" else 0.0

            async def delayed_send(message: Message) -> None:
                if message["type"] == "http.response.start":
                    # The app has reported its row count by now; hold the answer until it is due.
                    rows = _rows(state.get("rows"))
                    await _sleep_until(
                        arrived + realism.latency_per_request + realism.latency_per_row * rows + extra
                    )
                if message["type"] == "http.response.body" and not message.get("more_body", False):
                    # Free the slot before the last bytes go out, so a client that has its answer
                    # can count on it.
                    release()
                await send(message)

            await self.app(scope, receive, delayed_send)
        finally:
            release()

    def _draw(self) -> str | None:
        """This request's injected fault: two draws per request, whatever happens to it, in arrival order."""
        realism = self.config.realism
        roll = self._rng.random()
        pick = self._rng.randrange(len(realism.fault_kinds)) if realism.fault_kinds else 0
        if realism.fault_kinds and roll < realism.fault_rate:
            return realism.fault_kinds[pick]
        return None

    def _admit(self, realm_id: str, is_batch: bool) -> int | None:
        """Count the request in, or answer the Retry-After (real seconds) of the limit it hits."""
        limits = self.config.limits
        now = self.clock()
        realm = self._realms.setdefault(realm_id, _Realm())
        horizon = now - self.window
        for window in (realm.requests, realm.batches):
            while window and window[0] <= horizon:
                window.popleft()
        waits: list[float] = []
        for window, limit, applies in (
            (realm.requests, limits.requests_per_minute, True),
            (realm.batches, limits.batch_per_minute, is_batch),
        ):
            if applies and limit is not None and len(window) >= limit:
                # The slot frees when the request that filled it leaves the window.
                waits.append(window[len(window) - limit] + self.window - now if limit > 0 else self.window)
        if limits.concurrent is not None and realm.in_flight >= limits.concurrent:
            waits.append(1.0)  # a request in flight may end at any moment
        if waits:
            return max(1, math.ceil(max(waits)))
        realm.requests.append(now)
        if is_batch:
            realm.batches.append(now)
        realm.in_flight += 1
        self.stats.in_flight += 1
        self.stats.in_flight_max = max(self.stats.in_flight_max, self.stats.in_flight)
        return None

    def _release(self, realm_id: str) -> None:
        with self._lock:
            self._realms[realm_id].in_flight -= 1
            self.stats.in_flight -= 1


def _with_tid(send: Send, tid: bytes) -> Send:
    async def send_with_tid(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            if not any(name.lower() == _TID_HEADER for name, _ in headers):
                headers.append((_TID_HEADER, tid))
            message = {**message, "headers": headers}
        await send(message)

    return send_with_tid


def _rows(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return max(0, int(value))


async def _sleep_until(deadline: float) -> None:
    delay = deadline - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)


async def _drain(receive: Receive) -> None:
    """Read the request body the app will not read, so the connection stays usable."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def _answer(scope: Scope, receive: Receive, send: Send, response: Response) -> None:
    await response(scope, receive, send)


def _throttle_response(retry_after: int | None) -> Response:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse(throttled().body(), status_code=429, headers=headers)


def _fault_response(kind: str | None) -> Response:
    if kind == "429":
        return _throttle_response(1)
    if kind == "429-no-retry-after":
        return _throttle_response(None)
    if kind == "401":
        return auth_error_response(AuthError(401, "Token expired"))
    status = 503 if kind == "503" else 500
    return JSONResponse(system_fault(status).body(), status_code=status)


async def _drop(receive: Receive) -> None:
    """Close the connection without a byte of answer: the client sees the server hang up.

    ASGI has no message for this, so it closes the server's transport, which uvicorn's request
    cycle (h11 and httptools alike) holds as ``receive.__self__.transport``. It then waits for the
    server to notice the disconnect, because uvicorn answers a 500 for an app that returns without
    answering on a connection it still believes open. Elsewhere it raises, and the server deals
    with the error as it does with any failing app.
    """
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None or not hasattr(transport, "close"):
        raise ConnectionAbortedError("injected fault: drop")
    transport.close()
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(_wait_disconnect(receive), timeout=1.0)


async def _wait_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
