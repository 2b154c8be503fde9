"""The JSON API of the plugins, under ``/api/v1/``, with ``Authorization: Bearer <token>``.

- ``POST companies/{company}/jobs`` ``{"message_sets": [...], "label": "", "open": false, "key": null}``
  -> the job (201), or (200, ``"existing": true``) the company's job already submitted with that ``key``
- ``POST jobs/{id}/message_sets`` ``{"message_sets": [...], "close": false}`` -> the job (open jobs only)
- ``GET jobs/{id}`` -> the job: status (queued|running|done|failed|cancelled), counts, progress
- ``GET jobs/{id}/responses?after=N&wait=S`` -> NDJSON, one line per response after seq N, streamed
  as they are recorded; the stream ends when the job is over and every line is sent, or when S
  seconds pass with nothing new (``wait=0``: what is there now)
- ``DELETE jobs/{id}`` -> the job, cancelled
- ``GET companies`` and ``GET companies/{company}/status`` -> when QBWC last called, the open
  session, the queue depth, the last error

Errors are ``{"error": code, "message": text}`` with a 4xx status; 401 without a valid token.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from .jobs import ApiError

if TYPE_CHECKING:
    from .app import Bridge

log = logging.getLogger("qbd_bridge")

PREFIX = "/api/v1"
#: The longest a response stream waits for something new.
MAX_WAIT = 300.0
#: How often a waiting stream looks for news (an in-memory counter; the database once a second).
POLL = 0.05


def _error(status: int, code: str, message: str) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="qbd-bridge"'} if status == 401 else None
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


def _bridge(request: Request) -> Bridge:
    bridge: Bridge = request.app.state.bridge
    return bridge


async def _authorized(request: Request) -> bool:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return False
    return await run_in_threadpool(_bridge(request).tokens.valid, token.strip())


async def _json_body(request: Request) -> dict[str, Any]:
    from .app import BodyTooLarge, read_body

    limit = _bridge(request).config.max_body_bytes
    try:
        raw = await read_body(request, limit)
    except BodyTooLarge:
        raise ApiError(413, "too_large", f"the request body is larger than {limit} bytes") from None
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "bad_json", "the request body is not JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "the request body must be a JSON object")
    return body


def _endpoint(handler: Any) -> Any:
    """Token check and error mapping around an API handler."""

    async def wrapped(request: Request) -> Response:
        if not await _authorized(request):
            return _error(401, "unauthorized", "a valid API token is required: Authorization: Bearer <token>")
        try:
            response: Response = await handler(request)
            return response
        except ApiError as exc:
            return _error(exc.status, exc.code, exc.message)
        except ClientDisconnect:
            return Response(status_code=499)
        except Exception:  # a bug must not take the service down, nor tell the caller its insides
            log.exception("unexpected error on %s %s", request.method, request.url.path)
            return _error(500, "internal", "the bridge failed to answer; the error is logged")

    return wrapped


async def submit(request: Request) -> Response:
    body = await _json_body(request)
    view = await run_in_threadpool(
        lambda: _bridge(request).jobs.submit(
            request.path_params["company"],
            body.get("message_sets"),
            label=body.get("label", ""),
            open_=bool(body.get("open", False)),
            key=body.get("key"),
        )
    )
    return JSONResponse(view, status_code=200 if view.get("existing") else 201)


async def append(request: Request) -> Response:
    body = await _json_body(request)
    view = await run_in_threadpool(
        lambda: _bridge(request).jobs.append(
            request.path_params["job"], body.get("message_sets", []), close=bool(body.get("close", False))
        )
    )
    return JSONResponse(view)


async def job(request: Request) -> Response:
    jobs = _bridge(request).jobs
    if request.method == "DELETE":
        return JSONResponse(await run_in_threadpool(jobs.cancel, request.path_params["job"]))
    return JSONResponse(await run_in_threadpool(jobs.get, request.path_params["job"]))


def _number(request: Request, name: str, default: float, low: float, high: float) -> float:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    try:
        value = float(text)
    except ValueError:
        raise ApiError(400, "bad_request", f"{name} must be a number, not {text!r}") from None
    if value != value or value < low:
        raise ApiError(400, "bad_request", f"{name} must be at least {low:g}")
    return min(value, high)


async def responses(request: Request) -> Response:
    bridge = _bridge(request)
    job_id = request.path_params["job"]
    after = int(_number(request, "after", 0, 0, 2**62))
    wait = _number(request, "wait", 0.0, 0.0, MAX_WAIT)
    # Fail before the stream starts when the job does not exist: the status line is still ours.
    first, over = await run_in_threadpool(bridge.jobs.lines, job_id, after)

    async def read(seq: int) -> tuple[list[Any], bool] | None:
        """The next lines, or None when the bridge is shutting down (its database closed under a
        stream still being served): the stream ends, and the client reads on, ``after`` its last
        seq, from the service once it is back."""
        try:
            return await run_in_threadpool(bridge.jobs.lines, job_id, seq)
        except sqlite3.ProgrammingError:
            return None

    async def lines() -> AsyncIterator[bytes]:
        nonlocal first, over
        seq = after
        batch = first
        quiet_since = time.monotonic()
        while True:
            for line in batch:
                seq = line.seq
                yield (json.dumps(line.as_json(), ensure_ascii=False) + "\n").encode("utf-8")
            if batch:
                quiet_since = time.monotonic()
                if len(batch) == bridge.jobs.BATCH:
                    got = await read(seq)
                    if got is None:
                        return
                    batch, over = got
                    continue
            if over:
                # Anything recorded between the last read and the job's end was read with it.
                return
            seen = bridge.signals.version(job_id)
            checked = time.monotonic()
            while bridge.signals.version(job_id) == seen and time.monotonic() - checked < 1.0:
                if time.monotonic() - quiet_since >= wait:
                    break
                await asyncio.sleep(POLL)
            got = await read(seq)
            if got is None:
                return
            batch, over = got
            if not batch and not over and time.monotonic() - quiet_since >= wait:
                return

    return StreamingResponse(lines(), media_type="application/x-ndjson")


async def company_status(request: Request) -> Response:
    status = await run_in_threadpool(
        _bridge(request).conversation.company_status, request.path_params["company"]
    )
    return JSONResponse(status)


async def companies(request: Request) -> Response:
    bridge = _bridge(request)

    def everything() -> list[dict[str, Any]]:
        return [bridge.conversation.company_status(company.name) for company in bridge.companies.all()]

    return JSONResponse({"companies": await run_in_threadpool(everything)})


async def _unknown(request: Request) -> Response:
    return _error(404, "not_found", f"no API at {request.method} {request.url.path}")


def routes() -> list[Route]:
    return [
        Route(f"{PREFIX}/companies", _endpoint(companies), methods=["GET"]),
        Route(f"{PREFIX}/companies/{{company}}/status", _endpoint(company_status), methods=["GET"]),
        Route(f"{PREFIX}/companies/{{company}}/jobs", _endpoint(submit), methods=["POST"]),
        Route(f"{PREFIX}/jobs/{{job}}", _endpoint(job), methods=["GET", "DELETE"]),
        Route(f"{PREFIX}/jobs/{{job}}/message_sets", _endpoint(append), methods=["POST"]),
        Route(f"{PREFIX}/jobs/{{job}}/responses", _endpoint(responses), methods=["GET"]),
        Route(
            f"{PREFIX}/{{rest:path}}", _endpoint(_unknown), methods=["GET", "POST", "DELETE", "PUT", "PATCH"]
        ),
    ]
