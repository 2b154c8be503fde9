"""Helpers for tests and benchmarks of anything that talks to the sandbox (tap, target, client)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests

from .app import Sandbox
from .config import SandboxConfig
from .server import SandboxServer


@dataclass
class Credentials:
    """What a client needs to reach one company of a sandbox."""

    client_id: str
    client_secret: str
    refresh_token: str
    realm_id: str
    access_token: str = field(default="", repr=False)

    def as_dict(self) -> dict[str, str]:
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "refresh_token": self.refresh_token,
            "realm_id": self.realm_id,
        }


def seed_company(
    sandbox: Sandbox,
    realm: str | None = None,
    *,
    seed: int = 1,
    size: int | None = None,
    now: datetime | None = None,
) -> tuple[str, dict[str, int]]:
    """Generate the sample company into a realm; returns the realm id and the count per object."""
    from .sample_company import generate

    realm_id = sandbox.store.create_realm(realm)
    moment = now or datetime.now(ZoneInfo(sandbox.config.timezone))
    counts = sandbox.service.load(realm_id, generate(seed, size, now=moment))
    return realm_id, counts


def issue_credentials(sandbox: Sandbox, realm: str) -> Credentials:
    """A client app and a refresh token for a company, as the OAuth consent would give them."""
    client_id, client_secret = sandbox.oauth.create_client()
    tokens = sandbox.oauth.grant(client_id, realm)
    return Credentials(
        client_id, client_secret, tokens["refresh_token"], realm, tokens.get("access_token", "")
    )


def copy_database(source: Path, target: sqlite3.Connection) -> None:
    """Copy a seeded database file into a fresh connection (much faster than seeding again)."""
    src = sqlite3.connect(source)
    try:
        src.backup(target)
    finally:
        src.close()


@dataclass
class RunningSandbox:
    """A sandbox serving over real HTTP on loopback, with one seeded company and its credentials."""

    server: SandboxServer
    credentials: Credentials

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    @property
    def sandbox(self) -> Sandbox:
        return self.server.sandbox

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def realm(self) -> str:
        return self.credentials.realm_id

    @property
    def company_url(self) -> str:
        return f"{self.server.url}/v3/company/{self.realm}"

    def session(self) -> requests.Session:
        """A requests session that carries a valid access token for the company."""
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {self.access_token()}"
        s.headers["Accept"] = "application/json"
        return s

    def access_token(self) -> str:
        if not self.credentials.access_token:
            answer = requests.post(
                f"{self.url}/oauth2/v1/tokens/bearer",
                data={"grant_type": "refresh_token", "refresh_token": self.credentials.refresh_token},
                auth=(self.credentials.client_id, self.credentials.client_secret),
                timeout=10,
            )
            answer.raise_for_status()
            body: dict[str, Any] = answer.json()
            self.credentials.refresh_token = body["refresh_token"]
            self.credentials.access_token = body["access_token"]
        return self.credentials.access_token


def start_sandbox(
    config: SandboxConfig | None = None,
    *,
    seed: int | None = 1,
    size: int | None = None,
    template: Path | None = None,
) -> RunningSandbox:
    """Start a sandbox on a free loopback port with a company (seeded, or copied from ``template``)."""
    sandbox = Sandbox(config or SandboxConfig())
    if template is not None:
        copy_database(template, sandbox.db._conn)
        realm = sandbox.store.realms()[0]
    elif seed is not None:
        realm, _ = seed_company(sandbox, seed=seed, size=size)
    else:
        realm = sandbox.store.create_realm()
    creds = issue_credentials(sandbox, realm)
    server = SandboxServer(sandbox).start()
    return RunningSandbox(server, creds)
