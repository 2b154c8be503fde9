"""The HTTP face of the sandbox: QBO's paths mapped onto :class:`~qbo_sandbox.service.Service`.

Starlette routes, one handler for everything under ``/v3/company/{realmId}/``; the database work
runs in the thread pool so that latency knobs and slow clients never stall the event loop.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from qbo_client import catalog
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import faults
from .config import SandboxConfig
from .db import Database
from .endpoints.attachments import Attachments
from .faults import QBOFault
from .limits import LimitsMiddleware
from .oauth import AuthError, OAuthService, auth_error_response
from .service import Service, dumps
from .store import Store

log = logging.getLogger("qbo_sandbox")

JSON_TYPE = "application/json;charset=utf-8"
MAX_BODY = 10 * 1024 * 1024
MAX_REQUEST_ID = 50


class Sandbox:
    """Everything one running sandbox holds: database, store, service, OAuth, config."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.db = Database(self.config.database)
        self.store = Store(self.db)
        self.service = Service(self.store, self.config)
        self.oauth = OAuthService(
            self.db,
            self.config.tokens,
            time_scale=self.config.limits.time_scale,
            consent_realm=self._consent_realm,
        )
        self.attachments = Attachments(self)

    def _consent_realm(self, realm: str | None) -> str:
        """The company a consent at ``/connect/oauth2`` connects: the one asked for, else the first."""
        if realm:
            return self.store.create_realm(realm)
        existing = self.store.realms()
        return existing[0] if existing else self.store.create_realm()

    def asgi(self) -> Any:
        """The ASGI application: the routes behind the service limits."""
        app = Starlette(
            routes=[
                Route("/", _health, methods=["GET"]),
                Route("/health", _health, methods=["GET"]),
                *self.oauth.routes(),
                *self.attachments.routes(),
                Route("/v3/company/{realm}/{rest:path}", self._api, methods=["GET", "POST"]),
                Route("/v3/{rest:path}", _no_company, methods=["GET", "POST"]),
            ],
            # a path no route matches (one holding a line break, say) under /v3 is an unknown path
            exception_handlers={404: _not_found},
        )
        app.state.sandbox = self
        limited = LimitsMiddleware(app, self.config)
        self.limits = limited
        return limited

    # -- the API --------------------------------------------------------------------------------

    async def _api(self, request: Request) -> Response:
        realm = request.path_params["realm"]
        try:
            self.oauth.authenticate(request.headers.get("authorization"), realm)
        except AuthError as err:
            return auth_error_response(err)
        try:
            if not self.store.realm_exists(realm):
                raise QBOFault(
                    "3100", "ApplicationAuthorizationFailed", f"Company {realm} is not known", status=403
                )
            if Attachments.handles(request):  # multipart upload, plain-text download
                return await self.attachments.handle(request, realm)
            body = await _read_body(request)
            status, text, rows = await run_in_threadpool(self._counted, request, realm, body)
            text = await self.attachments.with_temp_urls(request, realm, text)
        except QBOFault as answered:
            status, text, rows = answered.status, dumps(answered.body()), 0
        except ClientDisconnect:
            # The client went away while sending its body: nothing was done, nobody to answer.
            log.info("client disconnected during %s %s", request.method, request.url.path)
            return Response(status_code=499)
        except Exception:  # never let a bad request take the server down
            log.exception("unexpected error on %s %s", request.method, request.url.path)
            crash = faults.system_fault()
            status, text, rows = crash.status, dumps(crash.body()), 0
        request.scope.setdefault("state", {})["rows"] = rows
        return Response(text, status_code=status, media_type=JSON_TYPE)

    def _counted(self, request: Request, realm: str, body: bytes) -> tuple[int, str, int]:
        """Dispatch in a worker thread and say how many rows the answer holds."""
        self.service.rows_returned = 0
        status, text = self._dispatch(request, realm, body)
        return status, text, self.service.rows_returned

    def _dispatch(self, request: Request, realm: str, body: bytes) -> tuple[int, str]:
        parts = [p for p in request.path_params["rest"].split("/") if p]
        method = request.method
        params = request.query_params
        if not parts:
            raise _unknown_path(request)
        head = parts[0].lower()
        if method == "POST" and head not in ("query",):
            request_id = params.get("requestid")
            if request_id:
                return self._idempotent(
                    realm, request_id, lambda: self._dispatch_write(request, realm, parts, body)
                )
            return self._dispatch_write(request, realm, parts, body)
        if method == "POST":
            return 200, self.service.query(realm, body.decode("utf-8", "replace"))
        return self._dispatch_read(request, realm, parts)

    def _idempotent(
        self, realm: str, request_id: str, work: Callable[[], tuple[int, str]]
    ) -> tuple[int, str]:
        """Replaying a requestid answers the first answer and writes nothing again.

        Only successful answers are kept: a write that failed (a stale SyncToken, say) may be
        retried with the same requestid once the client has fixed it.
        """
        if len(request_id) > MAX_REQUEST_ID:
            raise faults.business_rule(f"requestid must be at most {MAX_REQUEST_ID} characters", "requestid")
        seen = self.store.recall(realm, request_id)
        if seen is not None:
            return seen
        with self.db.tx() as conn:
            status, text = work()
            if status == 200:
                self.store.remember(conn, realm, request_id, status, text)
        return status, text

    def _dispatch_read(self, request: Request, realm: str, parts: list[str]) -> tuple[int, str]:
        head = parts[0].lower()
        params = request.query_params
        service = self.service
        if head == "query" and len(parts) == 1:
            return 200, service.query(realm, params.get("query", ""))
        if head == "cdc" and len(parts) == 1:
            answer = service.cdc(realm, params.get("entities", ""), params.get("changedSince", ""))
            return 200, dumps(answer)
        if head == "reports" and len(parts) == 2:
            return 200, dumps(service.report(realm, parts[1], dict(params)))
        if head == "preferences" and len(parts) == 1:
            return 200, _wrap("Preferences", service.read_singleton(realm, "Preferences"))
        if head == "companyinfo" and len(parts) == 2:
            return 200, _wrap("CompanyInfo", service.read_singleton(realm, "CompanyInfo"))
        if head == "company" and len(parts) == 2:
            return 200, _wrap("Company", service.read_singleton(realm, "Company"))
        if head == "exchangerate" and len(parts) == 1:
            rate = service.exchange_rate(realm, params.get("sourcecurrencycode", ""), params.get("asofdate"))
            return 200, _wrap("ExchangeRate", rate)
        spec = _spec(request, parts[0])
        if len(parts) == 2 and spec.has_id and not spec.is_singleton:
            return 200, _wrap(spec.name, service.read(realm, spec, parts[1]))
        raise _unknown_path(request)

    def _dispatch_write(self, request: Request, realm: str, parts: list[str], raw: bytes) -> tuple[int, str]:
        head = parts[0].lower()
        params = request.query_params
        service = self.service
        _check_json_body(request)
        if head == "batch" and len(parts) == 1:
            return 200, dumps(service.batch(realm, _json(raw)))
        if head == "taxservice" and len(parts) == 2 and parts[1].lower() == "taxcode":
            return 200, dumps(service.tax_service(realm, _json(raw)))
        if len(parts) != 1:
            raise _unknown_path(request)
        spec = _spec(request, parts[0])
        body = _json(raw)
        if spec.is_singleton:
            return 200, _wrap(spec.name, service.update_singleton(realm, spec, body))
        if not spec.has_id:
            return 200, _wrap(spec.name, service.update_keyed(realm, spec, body))
        if spec.create_endpoint and isinstance(body, dict) and not body.get("Id"):
            raise faults.unsupported_operation(f"{spec.name} is created through {spec.create_endpoint}")
        answer = service.write(realm, spec, body, params.get("operation"), params.get("include"))
        answer["time"] = _time()
        return 200, dumps(answer)


def _time() -> str:
    from .clock import qbo_now

    return qbo_now()


def _wrap(name: str, payload: dict[str, Any]) -> str:
    return dumps({name: payload, "time": _time()})


def _spec(request: Request, segment: str) -> catalog.ObjectSpec:
    spec = catalog.find(segment)
    if spec is None or spec.path != segment.lower():
        raise _unknown_path(request)
    return spec


def _unknown_path(request: Request) -> QBOFault:
    path = request.url.path
    return faults.unsupported_operation(
        f"Operation Could not find resource for relative : {path} of full path: {request.url} "
        "is not supported."
    )


def _check_json_body(request: Request) -> None:
    """A write's body is JSON: one declared as something else (XML, a form, text) is refused."""
    declared = request.headers.get("content-type", "")
    media = declared.split(";", 1)[0].strip().lower()
    if media and media not in ("application/json", "text/json") and not media.endswith("+json"):
        raise QBOFault(
            "2010",
            "Request has invalid or unsupported property",
            f"Content-Type {declared[:100]!r} is not supported for this request: send application/json",
            status=415,
        )


def _json(raw: bytes) -> Any:
    if not raw.strip():
        raise faults.malformed_request("The request body is empty")
    try:
        return json.loads(raw, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise faults.malformed_request(
            f"Error parsing object: the request body is not valid JSON ({exc})"
        ) from exc


def _no_constant(name: str) -> Any:
    """NaN and Infinity are not JSON (QBO's parser refuses them)."""
    raise ValueError(f"{name} is not a JSON value")


async def _read_body(request: Request) -> bytes:
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_BODY:
        raise faults.malformed_request(f"The request body is larger than {MAX_BODY} bytes")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise faults.malformed_request(f"The request body is larger than {MAX_BODY} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _health(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    return JSONResponse({"status": "ok", "companies": len(sandbox.store.realms())})


async def _no_company(request: Request) -> Response:
    fault = _unknown_path(request)
    return Response(dumps(fault.body()), status_code=fault.status, media_type=JSON_TYPE)


async def _not_found(request: Request, exc: Exception) -> Response:
    if request.url.path.startswith("/v3/"):
        return await _no_company(request)
    return Response("Not Found", status_code=404, media_type="text/plain")


Handler = Callable[[Request], Awaitable[Response]]
