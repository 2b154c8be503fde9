"""Helpers for target-quickbooks tests: Singer messages, a target run, reading a company back."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qbo_client import catalog, schemas
from qbo_client.client import QBOClient
from qbo_sandbox.config import LimitsConfig, RealismConfig, SandboxConfig
from qbo_sandbox.testing import RunningSandbox, issue_credentials
from target_quickbooks.target import TargetQuickBooks

Message = dict[str, Any]

#: Sandbox seconds per real second in these tests: QBO's limits stay on (40 batch requests and 500
#: requests "per minute"), a minute lasts a second, and the target's limiter window matches.
TIME_SCALE = 60.0


def scaled_sandbox_config(**realism: Any) -> SandboxConfig:
    """A sandbox config with the real limits on a clock TIME_SCALE times faster."""
    return SandboxConfig(limits=LimitsConfig(time_scale=TIME_SCALE), realism=RealismConfig(**realism))


def target_config(
    running: RunningSandbox, tmp_path: Path, *, realm: str | None = None, **extra: Any
) -> dict[str, Any]:
    """Config for the target against a running sandbox (its own token store and dead letter)."""
    creds = running.credentials if realm is None else issue_credentials(running.sandbox, realm)
    name = creds.realm_id
    return {
        **creds.as_dict(),
        "base_url": running.url,
        "token_store_path": str(tmp_path / f"tokens-{name}.json"),
        "dead_letter_path": str(tmp_path / "dead-letter.jsonl"),
        "id_map_path": str(tmp_path / "idmap.sqlite"),
        "spool_dir": str(tmp_path / "spool"),
        "rate_limit_window_seconds": 60.0 / TIME_SCALE,
        **extra,
    }


def reader(config: dict[str, Any]) -> QBOClient:
    """A client on the same company and token store as the target (rotated tokens stay usable)."""
    keys = ("client_id", "client_secret", "refresh_token", "realm_id", "base_url", "token_store_path")
    return QBOClient.from_config({k: config[k] for k in keys if k in config})


def schema(stream: str, obj: str | None = None, key_properties: list[str] | None = None) -> Message:
    """The SCHEMA message a tap-quickbooks stream would send (the object's schema + LastUpdatedTime)."""
    body = schemas.load(obj or stream)
    body["properties"]["LastUpdatedTime"] = {"type": ["string", "null"], "format": "date-time"}
    return {"type": "SCHEMA", "stream": stream, "schema": body, "key_properties": key_properties or []}


def loose_schema(stream: str) -> Message:
    return {
        "type": "SCHEMA",
        "stream": stream,
        "schema": {"type": "object", "properties": {}},
        "key_properties": [],
    }


def record(stream: str, body: dict[str, Any]) -> Message:
    return {"type": "RECORD", "stream": stream, "record": body}


def state(value: dict[str, Any]) -> Message:
    return {"type": "STATE", "value": value}


def lines(messages: Iterable[Message]) -> str:
    return "".join(json.dumps(m) + "\n" for m in messages)


@dataclass
class Run:
    target: TargetQuickBooks
    states: list[dict[str, Any]]
    stderr: str
    counts: dict[str, int] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)


def run_target(
    config: dict[str, Any],
    messages: Iterable[Message],
    target_class: type[TargetQuickBooks] = TargetQuickBooks,
) -> Run:
    """Run the target in this process over the messages; the states it emitted and what it did."""
    return run_text(config, lines(messages), target_class)


def run_text(
    config: dict[str, Any], text: str, target_class: type[TargetQuickBooks] = TargetQuickBooks
) -> Run:
    """Run the target in this process over raw input text (which need not be valid Singer)."""
    target = target_class(config=config, validate_config=True)
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            target.process_lines(io.StringIO(text))
            target.process_endofpipe()
    finally:
        target.close()  # a run stopped by its input still lets go of its connections and files
    states = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    return Run(target, states, err.getvalue(), dict(target.counts), dict(target.client_stats))


def dead_letters(config: dict[str, Any]) -> list[dict[str, Any]]:
    path = Path(config["dead_letter_path"])
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def rows(client: QBOClient, obj: str, where: str = "") -> list[dict[str, Any]]:
    """Every object of a type (inactive name-list rows included), paged."""
    spec = catalog.get(obj)
    clauses = [c for c in (where, "Active IN (true, false)" if spec.is_name_list else "") if c]
    text = f"SELECT * FROM {obj}" + (" WHERE " + " AND ".join(clauses) if clauses else "")
    out: list[dict[str, Any]] = []
    start = 1
    while True:
        page = client.query_rows(f"{text} STARTPOSITION {start} MAXRESULTS 1000")
        out.extend(page)
        if len(page) < 1000:
            return out
        start += 1000


def count(client: QBOClient, obj: str, where: str = "") -> int:
    return len(rows(client, obj, where))


def company_digest(client: QBOClient, objects: Iterable[str] | None = None) -> str:
    """A digest of every object (SyncTokens and MetaData included): equal digests, same company."""
    digest = hashlib.sha256()
    names = objects or [s.name for s in catalog.OBJECTS if s.query and not s.is_singleton and s.has_id]
    for name in sorted(names):
        # a RecurringTransaction ({"Invoice": {...}}) by its template's Id
        found = sorted(rows(client, name), key=lambda r: int(r.get("Id") or next(iter(r.values()))["Id"]))
        for row in found:  # an Attachable's file URL is signed anew at each read, as QuickBooks does
            row.pop("TempDownloadUri", None)
        digest.update(json.dumps([name, found], sort_keys=True).encode())
    return digest.hexdigest()


def tap_record(row: dict[str, Any]) -> dict[str, Any]:
    """An object as tap-quickbooks emits it: the API's JSON plus a top-level LastUpdatedTime (and
    for a RecurringTransaction, ``{"Invoice": {...}}``, its template's Id and type on top)."""
    out = dict(row)
    body = row
    kinds = [] if "Id" in row else [k for k in catalog.RECURRING_TYPES if isinstance(row.get(k), dict)]
    if len(kinds) == 1:
        body = row[kinds[0]]
        out.update(Id=str(body.get("Id", "")), Type=kinds[0])
    out["LastUpdatedTime"] = (body.get("MetaData") or {}).get("LastUpdatedTime")
    return out


def new_business(prefix: str, customers: int, invoices: int) -> list[dict[str, Any]]:
    """Customers (names with quotes and backslashes among them) and invoices naming them."""
    names = [
        f"{prefix} O'Neil \\ Sons {n}" if n % 3 == 0 else f'{prefix} "Quoted" Co {n}'
        for n in range(customers)
    ]
    messages = [schema("customers", "Customer")]
    messages += [
        record("customers", {"DisplayName": name, "Notes": f"customer {n}"}) for n, name in enumerate(names)
    ]
    messages.append(schema("invoices", "Invoice"))
    for n in range(invoices):
        line = {
            "Amount": 10.0 + n,
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"name": "Services"}, "Qty": 1, "UnitPrice": 10.0 + n},
        }
        body = {"DocNumber": f"{prefix}-{n}", "CustomerRef": {"name": names[n % customers]}, "Line": [line]}
        messages.append(record("invoices", body))
    return messages
