"""The aging, balance and cash flow report streams against the sandbox: keys, types, snapshots,
bookmarks, requests, and totals that agree with the sandbox's own reports."""

from __future__ import annotations

import contextlib
import copy
import io
import json
from collections import Counter
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pendulum
import pytest
from qbo_client.catalog import REPORTS
from qbo_sandbox.testing import RunningSandbox
from tap_quickbooks.online.reports import DEFAULT_REPORTS
from tap_quickbooks.tap import TapQuickBooks

NEW = (
    "AgedReceivables",
    "AgedReceivableDetail",
    "AgedPayables",
    "AgedPayableDetail",
    "CustomerBalance",
    "VendorBalance",
    "CashFlow",
)


def month_start(months_back: int) -> date:
    d = pendulum.now().date().first_of("month").subtract(months=months_back)
    return date(d.year, d.month, d.day)


@pytest.fixture
def tap_config(qbo_sandbox: RunningSandbox, tmp_path: Path) -> dict[str, Any]:
    return {
        **qbo_sandbox.credentials.as_dict(),
        "base_url": qbo_sandbox.url,
        "token_store_path": str(tmp_path / "tokens.json"),
        "start_date": f"{month_start(12).isoformat()}T00:00:00Z",
        "reports": list(REPORTS),
        "report_start_date": month_start(2).isoformat(),
    }


def sync(
    config: Mapping[str, Any], stream: str, state: Mapping[str, Any] | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any], int, dict[str, Any]]:
    tap = TapQuickBooks(config=dict(config), state=copy.deepcopy(dict(state or {})))
    before = tap.client.stats.requests
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        tap.streams[stream].sync()
    messages = [json.loads(line, parse_float=Decimal) for line in out.getvalue().splitlines() if line]
    records = [m["record"] for m in messages if m["type"] == "RECORD" and m["stream"] == stream]
    schema = next(m for m in messages if m["type"] == "SCHEMA" and m["stream"] == stream)
    return records, copy.deepcopy(tap.state), tap.client.stats.requests - before, schema


def keys_are_unique(records: list[dict[str, Any]], schema: dict[str, Any]) -> None:
    keys = schema["key_properties"]
    counted = Counter(tuple(r[k] for k in keys) for r in records)
    assert counted
    assert max(counted.values()) == 1, counted.most_common(2)


def test_the_new_reports_are_opt_in(tap_config: dict[str, Any]) -> None:
    default = TapQuickBooks(config={k: v for k, v in tap_config.items() if k != "reports"})
    assert set(DEFAULT_REPORTS) <= set(default.streams)
    assert not set(NEW) & set(default.streams)
    assert set(NEW) <= set(TapQuickBooks(config=tap_config).streams)


def test_aging_snapshots_each_period_end_and_add_up_to_the_balances(
    tap_config: dict[str, Any], qbo_sandbox: RunningSandbox
) -> None:
    today = date.today()  # the tap's today: the open period's snapshot is as of it
    summary, state, requests, schema = sync(tap_config, "AgedReceivables")
    keys_are_unique(summary, schema)
    assert schema["key_properties"] == ["period_end", "customer_id", "bucket_index"]
    periods = sorted({(r["period_start"], r["period_end"], r["as_of"]) for r in summary})
    assert len(periods) == 3 == requests  # two closed months and this one: a request each
    for _start, end, as_of in periods:
        assert as_of == min(end, today.isoformat())
    assert {r["bucket"] for r in summary} == {"Current", "1 - 30", "31 - 60", "61 - 90", "91 and over"}
    assert all(isinstance(r["amount"], (Decimal, int)) for r in summary)  # numbers, not text
    assert state["bookmarks"]["AgedReceivables"]["replication_key_value"] == periods[-1][1]

    detail, _, detail_requests, detail_schema = sync(tap_config, "AgedReceivableDetail")
    balances, _, _, balance_schema = sync(tap_config, "CustomerBalance")
    keys_are_unique(detail, detail_schema)
    keys_are_unique(balances, balance_schema)
    assert detail_requests == 3
    for _, end, as_of in periods:
        total = sum(r["amount"] for r in summary if r["period_end"] == end)
        assert total == sum(r["open_balance"] for r in detail if r["period_end"] == end)
        assert total == sum(r["balance"] for r in balances if r["period_end"] == end)
        for r in detail:
            if r["period_end"] == end and r["due_date"]:
                assert (
                    r["days_past_due"] == (date.fromisoformat(as_of) - date.fromisoformat(r["due_date"])).days
                )
    # the last snapshot's invoices are open by their Balance in the sandbox (nothing is dated after today)
    last_end = periods[-1][1]
    invoices = {
        r["txn_id"]: r["open_balance"]
        for r in detail
        if r["period_end"] == last_end and r["txn_type"] == "Invoice"
    }
    api_rows = query(qbo_sandbox, "SELECT * FROM Invoice MAXRESULTS 1000")
    assert invoices == {
        r["Id"]: Decimal(str(r["Balance"])).quantize(Decimal("0.01")) for r in api_rows if r["Balance"]
    }

    # an incremental run reads the bookmark's period again, less the lookback
    again, _, again_requests, _ = sync(tap_config, "AgedReceivables", state=state)
    assert again_requests == 2
    assert {r["period_end"] for r in again} == {p[1] for p in periods[-2:]}


def query(running: RunningSandbox, text: str) -> list[dict[str, Any]]:
    session = running.session()
    answer = session.get(f"{running.company_url}/query", params={"query": text}, timeout=30)
    answer.raise_for_status()
    found = answer.json()["QueryResponse"]
    return next((v for v in found.values() if isinstance(v, list)), [])


def test_aging_settings_shape_the_buckets(tap_config: dict[str, Any]) -> None:
    records, _, _, _ = sync(
        {**tap_config, "report_aging_period": 15, "report_aging_num_periods": 2}, "AgedPayables"
    )
    buckets = {(r["bucket_index"], r["bucket"], r["days_from"], r["days_to"]) for r in records}
    assert buckets == {(0, "Current", None, None), (1, "1 - 15", 1, 15), (2, "16 and over", 16, None)}
    vendors, _, _, _ = sync(tap_config, "VendorBalance")
    for end in {r["period_end"] for r in records}:
        assert sum(r["amount"] for r in records if r["period_end"] == end) == sum(
            r["balance"] for r in vendors if r["period_end"] == end
        )


def test_cash_flow_reads_its_periods_in_one_request_and_adds_up(tap_config: dict[str, Any]) -> None:
    records, _, requests, schema = sync(
        {**tap_config, "report_accounting_methods": ["Accrual", "Cash"]}, "CashFlow"
    )
    keys_are_unique(records, schema)
    assert requests == 2  # one per accounting method, a column per month
    by = Counter((r["period_start"], r["accounting_method"]) for r in records)
    assert len(by) == 6
    for start, method in by:
        rows = {
            r["line_key"]: r
            for r in records
            if (r["period_start"], r["accounting_method"]) == (start, method)
        }
        lines = [
            r["amount"] for k, r in rows.items() if k not in ("CashIncrease", "BeginningCash", "EndingCash")
        ]
        assert sum(lines) == rows["CashIncrease"]["amount"]
        assert (
            rows["EndingCash"]["amount"] - rows["BeginningCash"]["amount"] == rows["CashIncrease"]["amount"]
        )
        assert (
            rows["NetIncome"]["section"] == "OPERATING ACTIVITIES"
            or rows["NetIncome"]["section"] == "OperatingActivities"
        )
