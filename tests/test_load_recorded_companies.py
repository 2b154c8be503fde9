"""Real QuickBooks records loaded with ``qbo-sandbox load`` come back through tap-quickbooks unchanged.

The companies are the public recorded exchanges of ``../shared/fixtures/qbo`` (see its SOURCES.md):
``recorded/*.json``, HTTP exchanges with one Intuit sandbox company (every request URI that names a
realm names ``-COMPANY_ID-``, so the folder is one company), and ``docs-samples/*.json``, the samples
of Intuit's API reference (no realm at all: one more company). Every entity payload in a response
body (reads, query answers, creates, updates, batch and CDC answers) is collected; the latest version
of each object (by ``MetaData.LastUpdatedTime``, then ``SyncToken``) is loaded. Left out: delete
answers (``status: Deleted``, an Id and no record) and CDC stubs that carry nothing but an Id.

The load is the real CLI in a process of its own, the server is ``qbo-sandbox serve`` in another, and
the tap runs as ``tap-quickbooks`` over HTTP. The only transformation the tap documents for Online
records is the top-level ``LastUpdatedTime`` it adds (``MetaData.LastUpdatedTime`` in UTC), so every
other property of every record must come back as the same JSON.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from qbo_client import catalog

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "qbo"
CLI = [sys.executable, "-m", "qbo_sandbox.cli"]
TAP = str(Path(sys.executable).with_name("tap-quickbooks"))
#: What QuickBooks puts on every entity: the load adds these when a payload lacks them.
ALWAYS = {"domain", "sparse", "SyncToken", "MetaData"}
#: What QuickBooks always answers for an account, computed from the ledger when not loaded.
ALWAYS_BY_ENTITY = {"Account": {"CurrentBalance", "CurrentBalanceWithSubAccounts"}}
#: What the tap adds to every Online record.
TAP_ADDS = {"LastUpdatedTime"}

Payload = dict[str, Any]


def _entity_payloads(body: Any) -> Iterator[tuple[str, Payload]]:
    """Every (object, payload) in a response body, however deep (query, batch, CDC answers)."""
    if isinstance(body, list):
        for item in body:
            yield from _entity_payloads(item)
        return
    if not isinstance(body, dict):
        return
    for key, value in body.items():
        spec = catalog.find(key) if key[:1].isupper() else None
        if spec is not None and spec.name == key:
            for payload in value if isinstance(value, list) else [value]:
                if isinstance(payload, dict):
                    yield key, payload
        elif isinstance(value, (dict, list)):
            yield from _entity_payloads(value)


def _is_record(payload: Payload) -> bool:
    """A record, not a delete answer or a CDC stub (an Id and nothing of the object)."""
    if payload.get("status") == "Deleted":
        return False
    return bool(set(payload) - {"Id", "domain", "sparse", "SyncToken", "MetaData", "status"})


def _version(payload: Payload) -> tuple[float, int]:
    stamp = (payload.get("MetaData") or {}).get("LastUpdatedTime")
    when = datetime.fromisoformat(stamp).timestamp() if stamp else 0.0
    return when, int(payload.get("SyncToken") or 0)


def recorded_companies() -> dict[str, dict[tuple[str, str], Payload]]:
    """Company -> (object, Id) -> the latest version of the object found in a response body."""
    found: dict[str, dict[tuple[str, str], list[Payload]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted((FIXTURES / "recorded").glob("*.json")):
        for exchange in json.loads(path.read_text()):
            match = re.search(r"/v3/company/([^/]+)/", exchange["request"]["uri"])
            assert match is None or match.group(1) == "-COMPANY_ID-"  # one company
            for entity, payload in _entity_payloads(exchange["response"].get("body_json")):
                if _is_record(payload):
                    found["recorded"][(entity, str(payload["Id"]))].append(payload)
    for path in sorted((FIXTURES / "docs-samples").glob("*.json")):
        if "_request" in path.name:
            continue  # what a client sends, not what the company holds
        for entity, payload in _entity_payloads(json.loads(path.read_text())):
            if _is_record(payload):
                found["docs-samples"][(entity, str(payload["Id"]))].append(payload)
    return {
        company: {key: max(versions, key=_version) for key, versions in objects.items()}
        for company, objects in found.items()
    }


COMPANIES = recorded_companies()


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120, check=False)


@contextmanager
def serving(db: Path) -> Iterator[str]:
    proc = subprocess.Popen(
        [*CLI, "serve", "--db", str(db), "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        yield url
    finally:
        proc.terminate()
        assert proc.wait(timeout=15) == 0
        if proc.stdout is not None:
            proc.stdout.close()


def tap_records(tmp_path: Path, db: Path, realm: str) -> dict[str, dict[str, Payload]]:
    """Every record the tap reads from the company served from ``db``: stream -> Id -> record."""
    issued = run("credentials", "--db", str(db), "--realm", realm)
    assert issued.returncode == 0, issued.stderr
    config = tmp_path / "tap.json"
    with serving(db) as url:
        config.write_text(
            json.dumps(
                {
                    **json.loads(issued.stdout),
                    "base_url": url,
                    "token_store_path": str(tmp_path / "tokens.json"),
                    "reports": [],
                }
            )
        )
        tapped = subprocess.run(
            [TAP, "--config", str(config)], capture_output=True, text=True, timeout=300, check=False
        )
    assert tapped.returncode == 0, tapped.stderr[-3000:]
    records: dict[str, dict[str, Payload]] = defaultdict(dict)
    for line in tapped.stdout.splitlines():
        message = json.loads(line)
        if message["type"] == "RECORD" and not message["record"].get("_sdc_deleted_at"):
            records[message["stream"]][str(message["record"]["Id"])] = message["record"]
    return records


def same_json(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


@pytest.mark.parametrize("company", sorted(COMPANIES))
def test_a_recorded_company_loads_and_reads_back_through_the_tap_unchanged(
    tmp_path: Path, company: str
) -> None:
    objects = COMPANIES[company]
    payloads = tmp_path / f"{company}.jsonl"
    payloads.write_text("".join(json.dumps({entity: p}) + "\n" for (entity, _), p in objects.items()))
    db = tmp_path / "books.db"

    loaded = run("load", "--db", str(db), "--realm", "9130357000000001", str(payloads))
    assert loaded.returncode == 0, loaded.stderr
    by_entity: dict[str, int] = defaultdict(int)
    for entity, _ in objects:
        by_entity[entity] += 1
    assert json.loads(loaded.stdout)["loaded"] == by_entity

    records = tap_records(tmp_path, db, "9130357000000001")
    changed: list[str] = []
    for (entity, id_), payload in objects.items():
        record = records[entity].get(id_)
        if record is None:
            changed.append(f"{entity} {id_}: not read back")
            continue
        for key, value in payload.items():
            if not same_json(record.get(key), value):
                changed.append(f"{entity} {id_}.{key}: loaded {value!r}, read {record.get(key)!r}")
        added = set(record) - set(payload) - ALWAYS - ALWAYS_BY_ENTITY.get(entity, set()) - TAP_ADDS
        if added:
            changed.append(f"{entity} {id_}: added {sorted(added)}")
    assert not changed, "\n".join(changed)
    # Nothing more than what was loaded either.
    assert {(s, i) for s, rows in records.items() for i in rows} == set(objects)


def test_the_recorded_companies_hold_what_the_fixtures_hold() -> None:
    """The collection itself: both companies, every kind of object the responses carry."""
    kinds = {company: sorted({entity for entity, _ in objects}) for company, objects in COMPANIES.items()}
    assert kinds == {
        "docs-samples": [
            "Account",
            "Bill",
            "CompanyInfo",
            "Customer",
            "Invoice",
            "Item",
            "JournalEntry",
            "Payment",
            "Preferences",
            "SalesReceipt",
            "Vendor",
        ],
        "recorded": ["Account", "Attachable", "Customer", "Employee", "Invoice", "Vendor"],
    }
    assert sum(len(objects) for objects in COMPANIES.values()) == 95
