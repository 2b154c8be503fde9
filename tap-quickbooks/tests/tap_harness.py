"""Running the tap in-process against a qbo-sandbox, and what the sandbox holds, for the tap's tests."""

from __future__ import annotations

import contextlib
import functools
import io
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from qbo_client import catalog
from qbo_sandbox.testing import RunningSandbox, issue_credentials
from tap_quickbooks.tap import TapQuickBooks


def tap_config(running: RunningSandbox, tmp_path: Path, **settings: Any) -> dict[str, Any]:
    """Settings that reach a sandbox company, with the token store in the test's directory."""
    return {
        **running.credentials.as_dict(),
        "base_url": running.url,
        "token_store_path": str(tmp_path / "tokens.json"),
        "reports": [],
        **settings,
    }


@dataclass
class Run:
    """What one run of the tap wrote, and what it cost."""

    tap: TapQuickBooks
    messages: list[dict[str, Any]]
    requests: int  # API requests the sandbox saw during the run
    records: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))

    def __post_init__(self) -> None:
        for message in self.messages:
            if message["type"] == "RECORD":
                self.records[message["stream"]].append(message["record"])

    @property
    def state(self) -> dict[str, Any]:
        states = [m["value"] for m in self.messages if m["type"] == "STATE"]
        return states[-1]

    @property
    def upper_bound(self) -> str:
        return self.tap.run_upper_bound

    def ids(self, stream: str) -> list[str]:
        return [r["Id"] for r in self.records[stream]]

    def live(self, stream: str) -> list[dict[str, Any]]:
        return [r for r in self.records[stream] if not r.get("_sdc_deleted_at")]

    def deleted(self, stream: str) -> list[dict[str, Any]]:
        return [r for r in self.records[stream] if r.get("_sdc_deleted_at")]

    def versions(self) -> set[tuple[str, str, str | None]]:
        """(stream, Id, SyncToken) of every record: what two runs must agree on."""
        return {(s, r["Id"], r.get("SyncToken")) for s, rows in self.records.items() for r in rows}


def run_tap(
    running: RunningSandbox,
    config: dict[str, Any],
    state: dict[str, Any] | None = None,
    catalog_dict: dict[str, Any] | None = None,
) -> Run:
    """One sync, in-process, its stdout captured (the tap's HTTP goes to the sandbox over loopback)."""
    tap = TapQuickBooks(config=dict(config), state=json.loads(json.dumps(state or {})), catalog=catalog_dict)
    stats = running.sandbox.limits.stats
    before = stats.requests
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    try:
        with contextlib.redirect_stdout(out):
            tap.sync_all()
    finally:
        tap.client.close()
    out.flush()
    out.seek(0)
    messages = [json.loads(line) for line in out.read().splitlines() if line]
    return Run(tap, messages, stats.requests - before)


def selected_catalog(config: dict[str, Any], names: Iterable[str] | None = None) -> dict[str, Any]:
    """The discovered catalog with only some streams selected (default: every object, no reports)."""
    found: dict[str, Any] = json.loads(_discovered(bool(config.get("include_deletes", True))))
    wanted = set(catalog.names() if names is None else names)
    for entry in found["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = entry["tap_stream_id"] in wanted
    return found


@functools.cache
def _discovered(include_deletes: bool) -> str:
    """Discovery reads no company: one catalog serves every test (as JSON, copied per use)."""
    settings = {
        "client_id": "id",
        "client_secret": "secret",
        "realm_id": "1",
        "include_deletes": include_deletes,
    }
    return json.dumps(TapQuickBooks(config={**settings, "reports": list(catalog.REPORTS)}).catalog_dict)


def sandbox_rows(
    running: RunningSandbox, entity: str, *, before: str | None = None
) -> dict[str, dict[str, Any]]:
    """The live rows of an object in the sandbox's store by Id (updated before a UTC moment)."""
    sql = "SELECT id, data FROM entities WHERE realm_id = ? AND type = ? AND deleted = 0"
    args: list[Any] = [running.realm, entity]
    if before is not None:
        sql += " AND updated_utc < ?"
        args.append(before[:19])
    with running.sandbox.db.read() as conn:
        rows = conn.execute(sql, args).fetchall()
    spec = catalog.get(entity)
    found = {}
    for id_, data in rows:
        payload = json.loads(data)
        key = str(id_) if spec.has_id else ":".join(str(payload.get(k, "")) for k in spec.natural_key)
        found[key] = payload
    return found


class Api:
    """Writes to the sandbox company over its HTTP API, as another QuickBooks user would."""

    def __init__(self, running: RunningSandbox) -> None:
        # Its own app and grant: refreshing the tap's refresh token here would rotate it away.
        creds = issue_credentials(running.sandbox, running.realm)
        answer = requests.post(
            f"{running.url}/oauth2/v1/tokens/bearer",
            data={"grant_type": "refresh_token", "refresh_token": creds.refresh_token},
            auth=(creds.client_id, creds.client_secret),
            timeout=10,
        )
        answer.raise_for_status()
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        self.http.headers["Accept"] = "application/json"
        self.base = running.company_url

    def close(self) -> None:
        self.http.close()

    def post(self, path: str, body: dict[str, Any], **params: str) -> dict[str, Any]:
        answer = self.http.post(f"{self.base}/{path}", json=body, params=params or None, timeout=30)
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    def rows(self, text: str) -> list[dict[str, Any]]:
        answer = self.http.post(
            f"{self.base}/query", data=text, headers={"Content-Type": "application/text"}, timeout=30
        )
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()["QueryResponse"]
        return next((v for v in found.values() if isinstance(v, list)), [])

    def touch(self, entity: str, id_: str, **fields: Any) -> dict[str, Any]:
        """A sparse update (a new SyncToken and LastUpdatedTime)."""
        current = self.rows(f"SELECT * FROM {entity} WHERE Id = '{id_}'")[0]
        body = {"Id": id_, "SyncToken": current["SyncToken"], "sparse": True, **fields}
        updated: dict[str, Any] = self.post(entity.lower(), body)[entity]
        return updated

    def delete(self, entity: str, id_: str) -> None:
        current = self.rows(f"SELECT * FROM {entity} WHERE Id = '{id_}'")[0]
        self.post(entity.lower(), {"Id": id_, "SyncToken": current["SyncToken"]}, operation="delete")


def refresh_token_works(running: RunningSandbox, refresh_token: str) -> bool:
    creds = running.credentials
    answer = requests.post(
        f"{running.url}/oauth2/v1/tokens/bearer",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(creds.client_id, creds.client_secret),
        timeout=10,
    )
    return answer.status_code == 200
