"""Helpers of the target's Desktop tests: a company read back through the bridge as tap-quickbooks
(edition desktop) emits it, Singer messages of those records, the trial balance, a target run."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from qbd_client import catalog, qbxml, schemas
from qbd_client.client import BridgeClient
from qbd_client.xml import local_name
from qbd_sandbox.stack import DesktopStack
from target_quickbooks.target import TargetQuickBooks
from tq_helpers import Run, run_text

Message = dict[str, Any]

#: Objects a sample company has that the tests copy (every list and transaction of the catalog).
OBJECTS = [s.name for s in catalog.OBJECTS if not s.is_report]


def client_of(stack: DesktopStack, company: str) -> BridgeClient:
    config = stack.tap_config(company)
    return BridgeClient(config["bridge_url"], config["bridge_token"], company, poll_wait=2.0)


def target_config(stack: DesktopStack, company: str, tmp_path: Path, **extra: Any) -> dict[str, Any]:
    """The target's config for a company of the stack (its own dead letter, id map and spool)."""
    return {
        **stack.tap_config(company),
        "dead_letter_path": str(tmp_path / "dead-letter.jsonl"),
        "id_map_path": str(tmp_path / "idmap.sqlite"),
        "spool_dir": str(tmp_path / "spool"),
        "desktop_busy_wait": 0.05,
        **extra,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def read(client: BridgeClient, objects: Sequence[str] = OBJECTS, **filters: Any) -> dict[str, list[dict]]:
    """Every record of the objects (inactive list rows included, transactions with their lines),
    as tap-quickbooks emits them: one message set, the bridge continuing the iterators."""
    requests = []
    for name in objects:
        spec = catalog.get(name)
        fields: dict[str, Any] = dict(filters.get(name, {}))
        named = any(k in fields for k in ("ListID", "FullName", "TxnID", "RefNumber"))
        if spec.iterator and not named:
            fields.setdefault("MaxReturned", 100)
        if spec.is_list and not named:
            fields.setdefault("ActiveStatus", "All")
        if spec.line_items:
            fields["IncludeLineItems"] = True
        attrs = {"iterator": "Start"} if spec.iterator and "MaxReturned" in fields else {}
        requests.append(qbxml.build(spec.query_rq, fields, request_id=name, **attrs))
    out: dict[str, list[dict]] = {name: [] for name in objects}
    for answer in client.run([qbxml.message_set(requests)], wait_for_qbwc=30):
        for response in answer.responses:
            out[str(response.request_id)].extend(_jsonable(r) for r in response.records())
    return out


def messages(records: Mapping[str, Iterable[dict]], *, state: dict | None = None) -> list[Message]:
    """SCHEMA and RECORD messages of tap-quickbooks' streams (one per object), lists first."""
    out: list[Message] = []
    for name, rows in records.items():
        schema = schemas.load(name)
        spec = catalog.get(name)
        rows = list(rows)
        # tap-quickbooks keys its streams by ListID/TxnID; records made by hand for a new object have none
        keyed = bool(rows) and all(row.get(spec.id_field) for row in rows)
        keys = [spec.id_field] if keyed else []
        out.append({"type": "SCHEMA", "stream": name, "schema": schema, "key_properties": keys})
        out.extend({"type": "RECORD", "stream": name, "record": row} for row in rows)
    if state is not None:
        out.append({"type": "STATE", "value": state})
    return out


def run(config: dict[str, Any], msgs: Iterable[Message]) -> Run:
    """The target in this process (as the Online tests run it)."""
    text = "".join(json.dumps(m, default=str) + "\n" for m in msgs)
    return run_text(config, text, TargetQuickBooks)


def dead_letters(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    path = Path(str(config["dead_letter_path"]))
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def trial_balance(client: BridgeClient, basis: str = "Accrual") -> dict[str, tuple[str, str]]:
    """The TrialBalance report of all dates: account full name -> (debit, credit); totals under ""."""
    request = qbxml.build(
        "GeneralSummaryReportQueryRq",
        {
            "GeneralSummaryReportType": "TrialBalance",
            "ReportPeriod": {"FromReportDate": "1990-01-01", "ToReportDate": "2099-12-31"},
            "ReportBasis": basis,
        },
        request_id="tb",
    )
    (answer,) = client.run([qbxml.message_set([request])], wait_for_qbwc=30)
    rows: dict[str, tuple[str, str]] = {}
    for element in answer.responses[0].element.iter():
        if not isinstance(element.tag, str) or local_name(element) not in ("DataRow", "TotalRow"):
            continue
        label = ""
        amounts: list[str] = []
        for child in element:
            if not isinstance(child.tag, str):
                continue
            if local_name(child) == "RowData":
                label = child.get("value", "")
            elif local_name(child) == "ColData" and child.get("colID") != "1":
                amounts.append(child.get("value", ""))
        if local_name(element) == "DataRow" and not label:
            label = next((c.get("value", "") for c in element if isinstance(c.tag, str)), "")
        rows["" if local_name(element) == "TotalRow" else label] = (
            amounts[0] if amounts else "",
            amounts[1] if len(amounts) > 1 else "",
        )
    return rows


def count(client: BridgeClient, name: str) -> int:
    return len(read(client, [name])[name])


def requests_relayed(stack: DesktopStack, company: str) -> int:
    """Message sets the company's Web Connector handed QuickBooks so far."""
    return sum(report.requests for report in stack.companies[company].reports)
