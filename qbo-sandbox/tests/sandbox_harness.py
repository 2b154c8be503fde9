"""Helpers of the sandbox's own tests: a thin API client, fault codes, a company digest, a server thread.

A module of its own (not conftest.py): several packages of the repository have a conftest.py, and a
test that imports ``conftest`` gets whichever comes first on the path.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
import uvicorn
from qbo_sandbox.testing import RunningSandbox


class Api:
    """A thin client for tests: paths relative to the company, JSON in and out."""

    def __init__(self, running: RunningSandbox) -> None:
        self.running = running
        self.http = running.session()
        self.base = running.company_url

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.http.get(f"{self.base}/{path}", params=params or None, timeout=30)

    def post(
        self, path: str, body: Any = None, *, raw: bytes | str | None = None, **params: Any
    ) -> requests.Response:
        if raw is not None:
            return self.http.post(
                f"{self.base}/{path}",
                data=raw,
                params=params or None,
                timeout=30,
                headers={"Content-Type": "application/json"},
            )
        return self.http.post(f"{self.base}/{path}", json=body, params=params or None, timeout=30)

    def query(self, text: str) -> dict[str, Any]:
        answer = self.get("query", query=text)
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()["QueryResponse"]
        return result

    def rows(self, text: str) -> list[dict[str, Any]]:
        answer = self.query(text)
        return next((v for k, v in answer.items() if isinstance(v, list)), [])

    def one(self, entity: str, where: str = "") -> dict[str, Any]:
        rows = self.rows(f"SELECT * FROM {entity} {where} MAXRESULTS 1")
        assert rows, f"no {entity} {where}"
        return rows[0]

    def create(self, entity: str, body: dict[str, Any], **params: Any) -> dict[str, Any]:
        answer = self.post(entity.lower(), body, **params)
        assert answer.status_code == 200, answer.text
        created: dict[str, Any] = answer.json()[entity]
        return created

    def read(self, entity: str, id_: str) -> dict[str, Any]:
        answer = self.get(f"{entity.lower()}/{id_}")
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()[entity]
        return found


def fault_code(answer: requests.Response) -> str:
    body = answer.json()
    fault = body.get("Fault") or body.get("fault")
    errors = fault.get("Error") or fault.get("error")
    return str(errors[0]["code"])


def company_digest(running: RunningSandbox) -> str:
    """A digest of everything a company holds: entities and ledger (to prove bad input changed nothing)."""
    digest = hashlib.sha256()
    with running.sandbox.db.read() as conn:
        for row in conn.execute(
            "SELECT type, id, sync_token, deleted, data FROM entities WHERE realm_id = ? ORDER BY type, id",
            (running.realm,),
        ):
            digest.update(repr(tuple(row)).encode())
        for row in conn.execute(
            "SELECT type, txn_id, account_id, amount, basis FROM postings WHERE realm_id = ? "
            "ORDER BY type, txn_id, account_id, amount, basis",
            (running.realm,),
        ):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run ``app`` with uvicorn on a free loopback port in a thread; yields the base URL."""
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and
    # without it every keep-alive answer waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
