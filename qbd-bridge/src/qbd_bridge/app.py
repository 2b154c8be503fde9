"""The bridge as one object, and its ASGI application: the QBWC endpoint, the AppSupport page, the API.

Routes:

- ``POST /qbwc``: SOAP 1.1, the eight QBWC operations (:mod:`qbd_bridge.qbwc`); ``GET /qbwc?wsdl``
  its WSDL.
- ``GET /support``: the AppSupport page the .qwc names (QBWC checks that it answers 200).
- ``/api/v1/...``: the JSON API of the plugins (:mod:`qbd_bridge.api`).

Every database call runs in a worker thread, so a slow call never holds the event loop, and a
refused login's delay is awaited, so it holds nobody else either.
"""

from __future__ import annotations

import asyncio
import html
import logging
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from . import __version__, api, soap
from .config import BridgeConfig
from .jobs import Jobs, Signals
from .passwords import LoginThrottle
from .qbwc import Conversation
from .store import Companies, Database, Tokens

log = logging.getLogger("qbd_bridge")

#: Seconds between two purges of finished jobs past their retention.
PURGE_EVERY = 3600.0


class BodyTooLarge(Exception):
    """A request body over the configured limit."""


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused (:class:`BodyTooLarge`) as soon as it is known to be over ``limit``."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


class Bridge:
    """The service: its database, the QBWC conversation, the jobs, the tokens."""

    def __init__(self, config: BridgeConfig | None = None) -> None:
        self.config = config or BridgeConfig()
        self.db = Database(self.config.database)
        self.signals = Signals()
        self.companies = Companies(self.db, password_cost=self.config.password_cost)
        self.tokens = Tokens(self.db)
        self.jobs = Jobs(self.db, self.config, self.signals)
        throttle = LoginThrottle(
            self.config.lockout_after, self.config.lockout_seconds, self.config.lockout_max
        )
        self.conversation = Conversation(self.db, self.config, self.signals, throttle)
        self._purged_at = float("-inf")
        self.purge()

    def purge(self) -> None:
        """Delete jobs past their retention, at most once an hour (called at each authenticate)."""
        now = self.config.clock()
        if now - self._purged_at < PURGE_EVERY:
            return
        self._purged_at = now
        deleted = self.jobs.purge()
        if deleted:
            log.info("deleted %d jobs finished more than %g days ago", deleted, self.config.retention_days)

    def close(self) -> None:
        self.db.close()

    def asgi(self) -> Starlette:
        app = Starlette(
            routes=[
                Route("/", _health, methods=["GET"]),
                Route("/health", _health, methods=["GET"]),
                Route("/qbwc", self._qbwc, methods=["GET", "POST"]),
                Route("/support", _support, methods=["GET"]),
                *api.routes(),
            ]
        )
        app.state.bridge = self
        return app

    async def _qbwc(self, request: Request) -> Response:
        if request.method == "GET":
            if "wsdl" in {key.lower() for key in request.query_params}:
                address = str(request.url.replace(query="", fragment=""))
                return Response(soap.wsdl(address), media_type=soap.CONTENT_TYPE)
            return Response(
                "This is the QuickBooks Web Connector endpoint of qbd-bridge: SOAP requests are POSTed here; "
                "the WSDL is at ?wsdl.\n",
                media_type="text/plain",
            )
        try:
            body = await read_body(request, self.config.max_body_bytes)
        except BodyTooLarge:
            return Response(
                soap.render_fault(f"the request is larger than {self.config.max_body_bytes} bytes"),
                status_code=413,
                media_type=soap.CONTENT_TYPE,
            )
        except ClientDisconnect:
            return Response(status_code=499)
        try:
            call = soap.parse_call(body)
            result = await self._dispatch(call)
        except soap.SoapFault as fault:
            log.info("SOAP fault answered: %s", fault.message)
            return Response(
                soap.render_fault(fault.message, fault.code), status_code=500, media_type=soap.CONTENT_TYPE
            )
        except Exception:  # a bug must not take the service down, nor tell the caller its insides
            log.exception("unexpected error in a QBWC call")
            return Response(
                soap.render_fault("the service failed to answer this call; it is logged", "Server"),
                status_code=500,
                media_type=soap.CONTENT_TYPE,
            )
        return Response(soap.render_result(call.operation, result), media_type=soap.CONTENT_TYPE)

    async def _dispatch(self, call: soap.Call) -> str | int | list[str]:
        p = call.params
        talk = self.conversation
        if call.operation == "serverVersion":
            return talk.server_version()
        if call.operation == "clientVersion":
            return talk.client_version(p["strVersion"])
        if call.operation == "authenticate":
            await run_in_threadpool(self.purge)
            answer, delay = await run_in_threadpool(talk.authenticate, p["strUserName"], p["strPassword"])
            if delay:
                await asyncio.sleep(delay)
            return answer
        if call.operation == "sendRequestXML":
            return await run_in_threadpool(
                talk.send_request,
                p["ticket"],
                p["strHCPResponse"],
                p["strCompanyFileName"],
                p["qbXMLMajorVers"],
                p["qbXMLMinorVers"],
            )
        if call.operation == "receiveResponseXML":
            return await run_in_threadpool(
                talk.receive_response, p["ticket"], p["response"], p["hresult"], p["message"]
            )
        if call.operation == "connectionError":
            return await run_in_threadpool(talk.connection_error, p["ticket"], p["hresult"], p["message"])
        if call.operation == "getLastError":
            return await run_in_threadpool(talk.last_error, p["ticket"])
        if call.operation == "closeConnection":
            return await run_in_threadpool(talk.close_connection, p["ticket"])
        raise soap.SoapFault(f"unknown operation {call.operation}")


async def _health(request: Request) -> Response:
    return JSONResponse({"status": "ok", "service": "qbd-bridge", "version": __version__})


async def _support(request: Request) -> Response:
    host = html.escape(request.url.netloc)
    body: Any = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>qbd-bridge support</title></head>
<body><h1>qbd-bridge</h1>
<p>This service ({host}) connects a QuickBooks Desktop company file to data pipelines through the
QuickBooks Web Connector. The Web Connector calls it on the schedule of its .qwc file; it answers
with the queued qbXML requests and keeps QuickBooks' answers for the programs that asked.</p>
<p>If an update fails: check that QuickBooks is open with the right company file, that the Web
Connector has this application's password, and ask the service's operator for
<code>qbd-bridge status</code>.</p>
<p>Version {__version__}.</p></body></html>
"""
    return HTMLResponse(body)
