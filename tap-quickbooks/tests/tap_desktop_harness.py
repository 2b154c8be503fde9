"""Running the tap in-process against an emulated QuickBooks Desktop company on a real qbd-bridge
(``qbd_sandbox.stack.DesktopStack``), and what the company holds, for the Desktop tests."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from qbd_client import catalog
from qbd_sandbox.stack import EmulatedCompany
from tap_quickbooks.tap import TapQuickBooks
from tap_quickbooks.times import to_utc_text

TAP = str(Path(sys.executable).parent / "tap-quickbooks")
#: Every Desktop object stream (lists and transactions).
OBJECTS = [spec.name for spec in catalog.objects() if not spec.is_report]


@dataclass
class Run:
    """What one run of the tap wrote, and how many message sets the company answered meanwhile."""

    tap: TapQuickBooks
    messages: list[dict[str, Any]]
    message_sets: int
    records: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))

    def __post_init__(self) -> None:
        for message in self.messages:
            if message["type"] == "RECORD":
                self.records[message["stream"]].append(message["record"])

    @property
    def state(self) -> dict[str, Any]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"][-1]

    @property
    def upper_bound(self) -> str:
        return self.tap.run_upper_bound

    def ids(self, stream: str) -> list[str]:
        key = catalog.get(stream).id_field
        return [r[key] for r in self.records[stream]]

    def live(self, stream: str) -> list[dict[str, Any]]:
        return [r for r in self.records[stream] if not r.get("_sdc_deleted_at")]

    def deleted(self, stream: str) -> list[dict[str, Any]]:
        return [r for r in self.records[stream] if r.get("_sdc_deleted_at")]


def message_sets(company: EmulatedCompany) -> int:
    """Message sets the company's Web Connector relayed to QuickBooks so far (pages included)."""
    return sum(report.requests for report in list(company.reports))


def desktop_catalog(config: dict[str, Any], names: Iterable[str] | None = None) -> dict[str, Any]:
    """The discovered catalog with only some streams selected (default: every object, no report)."""
    found: dict[str, Any] = json.loads(_discovered(bool(config.get("include_deletes", True))))
    wanted = set(OBJECTS if names is None else names)
    for entry in found["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = entry["tap_stream_id"] in wanted
    return found


@functools.cache
def _discovered(include_deletes: bool) -> str:
    """Discovery reads no company: one catalog serves every test (as JSON, copied per use)."""
    settings = {
        "edition": "desktop",
        "bridge_url": "http://127.0.0.1:9",
        "bridge_token": "t",
        "company": "c",
        "include_deletes": include_deletes,
    }
    return json.dumps(TapQuickBooks(config=settings).catalog_dict)


def run_tap(
    company: EmulatedCompany,
    config: dict[str, Any],
    state: dict[str, Any] | None = None,
    names: Iterable[str] | None = None,
) -> Run:
    """One sync, in-process, its stdout captured (the tap talks to the bridge over loopback)."""
    tap = TapQuickBooks(
        config=dict(config),
        state=json.loads(json.dumps(state or {})),
        catalog=desktop_catalog(config, names),
    )
    before = message_sets(company)
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    try:
        with contextlib.redirect_stdout(out):
            tap.sync_all()
            tap.message_writer.flush()
    finally:
        tap.run.close()
    out.flush()
    out.seek(0)
    messages = [json.loads(line, parse_float=Decimal) for line in out.read().splitlines() if line]
    return Run(tap, messages, message_sets(company) - before)


def as_emitted(stored: dict[str, Any]) -> dict[str, Any]:
    """A record as the company holds it, as the tap emits it (``TimeModified`` in UTC)."""
    found = dict(stored)
    found["TimeModified"] = to_utc_text(str(found["TimeModified"]))
    return found


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The ``tap-quickbooks`` command, its output captured (not checked: the caller reads the status)."""
    return subprocess.run(
        [TAP, *args], capture_output=True, text=True, timeout=timeout, check=False, env=dict(os.environ)
    )


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "| ERROR " in line or line.startswith("ERROR")]


def company_ids(company: EmulatedCompany, name: str) -> list[str]:
    """The ids of every record of ``name`` the emulated company file holds."""
    store = company.company.store
    with store.lock:
        rows = store.conn.execute("SELECT id FROM records WHERE object = ? ORDER BY seq", (name,)).fetchall()
    return [str(row[0]) for row in rows]


def changed_since(company: EmulatedCompany, name: str, utc_text: str) -> set[str]:
    """The ids of ``name`` whose TimeModified is at or after a UTC moment (the truth an incremental
    run must match)."""
    found = set()
    for id_ in company_ids(company, name):
        stored = company.company.get(name, id_)
        if stored is not None and to_utc_text(str(stored["TimeModified"])) >= utc_text:
            found.add(id_)
    return found


def current(company: EmulatedCompany, name: str, id_: str) -> dict[str, Any]:
    """A record as the company holds it now (for its EditSequence)."""
    found = company.company.get(name, id_)
    assert found is not None, f"{name} {id_} is not in the company"
    return found


def touch(
    company: EmulatedCompany, name: str, id_: str, at: datetime | None = None, **fields: Any
) -> dict[str, Any]:
    """Modify a record as a QuickBooks user would (its current EditSequence), now or ``at``."""
    spec = catalog.get(name)
    body = {spec.id_field: id_, "EditSequence": current(company, name, id_)["EditSequence"], **fields}
    return company.company.modify(name, body, at=at)
