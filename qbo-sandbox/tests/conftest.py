"""Fixtures for the sandbox's own tests: a running server with the sample company, and a client."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import requests
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


@pytest.fixture
def api(qbo_sandbox: RunningSandbox) -> Api:
    return Api(qbo_sandbox)
