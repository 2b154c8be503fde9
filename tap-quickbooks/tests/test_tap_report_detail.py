"""GeneralLedger, ProfitAndLossDetail and TransactionList streams, read from the sandbox over HTTP and
checked against the TrialBalance and ProfitAndLoss streams read the same way."""

from __future__ import annotations

import contextlib
import io
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import pendulum
import pytest
from qbo_sandbox.ledger import ACCOUNT_TYPES, account_type, find_special
from qbo_sandbox.testing import RunningSandbox
from tap_quickbooks.online.report_detail import primary_keys, read_detail, report_filters
from tap_quickbooks.tap import TapQuickBooks

PL_TYPES = {"Income", "Cost of Goods Sold", "Expense", "Other Income", "Other Expense"}


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
        "reports": [
            "TrialBalance",
            "ProfitAndLoss",
            "GeneralLedger",
            "ProfitAndLossDetail",
            "TransactionList",
        ],
    }


class Run:
    def __init__(self, records: list[dict[str, Any]], schema: dict[str, Any], requests: int) -> None:
        self.records = records
        self.schema = schema
        self.requests = requests


@pytest.fixture
def run(tap_config: dict[str, Any]) -> Callable[..., Run]:
    """Sync one report stream of a fresh tap: its records (amounts as Decimals), schema and requests."""

    def sync(stream: str, **settings: Any) -> Run:
        tap = TapQuickBooks(config={**tap_config, **settings}, state={})
        before = tap.client.stats.requests
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            tap.streams[stream].sync()
        messages = [json.loads(line, parse_float=Decimal) for line in out.getvalue().splitlines() if line]
        schema = next(m["schema"] for m in messages if m["type"] == "SCHEMA" and m["stream"] == stream)
        return Run(
            [m["record"] for m in messages if m["type"] == "RECORD" and m["stream"] == stream],
            schema,
            tap.client.stats.requests - before,
        )

    return sync


def types_of(running: RunningSandbox) -> dict[str, str]:
    return {
        str(a["Id"]): str(account_type(a.get("AccountType")))
        for a in running.sandbox.store.iter_payloads(running.realm, "Account")
    }


def fiscal_month(running: RunningSandbox) -> int:
    company = running.sandbox.store.singleton(running.realm, "CompanyInfo")
    value = company.payload().get("FiscalYearStartMonth") if company else None
    names = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
             "october", "november", "december"]  # fmt: skip
    return names.index(str(value).lower()) + 1 if str(value).lower() in names else 1


def retained_earnings(running: RunningSandbox) -> str:
    accounts = list(running.sandbox.store.iter_payloads(running.realm, "Account"))
    found = find_special(accounts, "RetainedEarnings")
    assert found
    return str(found["Id"])


def by_period(records: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    out: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        out[(r["period_start"], r["period_end"])].append(r)
    return out


def keyed(records: list[dict[str, Any]], name: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    found = {tuple(r[k] for k in primary_keys(name)): r for r in records}
    assert len(found) == len(records), "the primary key is unique"
    return found


def test_general_ledger_sums_equal_the_trial_balance_movement_per_account_and_month(
    qbo_sandbox: RunningSandbox, run: Callable[..., Run]
) -> None:
    tb = run("TrialBalance")
    gl = run("GeneralLedger")
    types = types_of(qbo_sandbox)
    fy_month = fiscal_month(qbo_sandbox)
    keyed(gl.records, "GeneralLedger")

    balances = {
        period: {r["account_key"]: r["debit"] - r["credit"] for r in rows}
        for period, rows in by_period(tb.records).items()
    }
    periods = sorted(balances)
    assert len(periods) == 13
    gl_periods = by_period(gl.records)
    compared = 0
    for before, period in pairwise(periods):
        prev = dict(balances[before])
        if date.fromisoformat(period[0]).month == fy_month:  # the year closes into Retained Earnings
            closed = sum(v for k, v in prev.items() if types.get(k) in PL_TYPES)
            prev = {k: v for k, v in prev.items() if types.get(k) not in PL_TYPES}
            retained = retained_earnings(qbo_sandbox)
            prev[retained] = prev.get(retained, Decimal(0)) + closed
        moved: dict[str, Decimal] = defaultdict(Decimal)
        for r in gl_periods[period]:
            debit_normal = ACCOUNT_TYPES[types[r["account_id"]]][1]
            moved[r["account_id"]] += r["amount"] if debit_normal else -r["amount"]
        now = balances[period]
        for account in set(now) | set(prev) | set(moved):
            if account not in types:
                continue  # a name without an Id
            expected = now.get(account, Decimal(0)) - prev.get(account, Decimal(0))
            assert moved.get(account, Decimal(0)) == expected, (account, period)
            compared += bool(expected)
    assert compared > 100


def test_general_ledger_records_are_typed_and_keyed(run: Callable[..., Run]) -> None:
    gl = run("GeneralLedger", report_start_date=month_start(2).isoformat())
    props = gl.schema["properties"]
    assert "date" in props["txn_date"].get("format", "")
    assert "number" in props["amount"]["type"]
    assert gl.records
    for r in gl.records:
        date.fromisoformat(r["txn_date"])
        assert r["period_start"] <= r["txn_date"] <= r["period_end"]
        assert isinstance(r["amount"], Decimal)
        assert isinstance(r["running_balance"], Decimal)
        assert r["txn_id"].isdigit()
        assert r["line"] == 1  # the sandbox posts one row per transaction and account
    assert {r["txn_type"] for r in gl.records} >= {"Invoice", "Payment", "Bill"}
    assert gl.requests == 3  # one request per month


def test_profit_and_loss_detail_totals_equal_the_profit_and_loss_per_account_and_month(
    run: Callable[..., Run],
) -> None:
    for method in ("Accrual", "Cash"):
        pl = run("ProfitAndLoss", report_accounting_methods=[method])
        detail = run("ProfitAndLossDetail", report_accounting_methods=[method])
        keyed(detail.records, "ProfitAndLossDetail")
        expected: dict[tuple[Any, ...], Decimal] = {
            (r["period_start"], r["account_id"]): r["amount"] for r in pl.records if r["amount"]
        }
        got: dict[tuple[Any, ...], Decimal] = defaultdict(Decimal)
        for r in detail.records:
            got[(r["period_start"], r["account_id"])] += r["amount"]
        assert {k: v for k, v in got.items() if v} == expected, method
        assert len(expected) > 50
        assert {r["section"] for r in detail.records} >= {"Income", "Expenses"}


def test_transaction_list_lists_every_transaction_of_each_period_once(
    qbo_sandbox: RunningSandbox, run: Callable[..., Run]
) -> None:
    listed = run("TransactionList")
    keyed(listed.records, "TransactionList")
    seen = Counter((r["txn_type"], r["txn_id"], r["txn_date"]) for r in listed.records)
    assert max(seen.values()) == 1
    first, last = month_start(12).isoformat(), pendulum.now().date().last_of("month").isoformat()
    with qbo_sandbox.sandbox.store.db.read() as conn:
        posted = {
            (str(r[0]), str(r[1]), str(r[2]))
            for r in conn.execute(
                "SELECT DISTINCT type, txn_id, txn_date FROM postings WHERE realm_id = ? "
                "AND basis IN ('accrual', 'cash', 'both') AND txn_date BETWEEN ? AND ?",
                (qbo_sandbox.realm, first, last),
            )
        }
    assert {(i, d) for _t, i, d in seen} == {(i, d) for _e, i, d in posted}
    assert len(seen) == len(posted) > 300
    for r in listed.records:
        assert r["posting"] is True
        assert r["account_id"]
        assert isinstance(r["amount"], Decimal)


def test_a_range_over_the_cell_limit_is_split_and_read_whole(
    qbo_sandbox: RunningSandbox, run: Callable[..., Run]
) -> None:
    settings = {"report_period": "year", "report_start_date": month_start(0).replace(month=1).isoformat()}
    whole = run("GeneralLedger", **settings)
    qbo_sandbox.sandbox.config.report_cell_limit = 2_000
    try:
        split = run("GeneralLedger", **settings)
    finally:
        qbo_sandbox.sandbox.config.report_cell_limit = 400_000

    assert whole.requests == 1
    assert split.requests > 4

    def strip(records: list[dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
        return {
            k: {f: v for f, v in r.items() if f != "fetched_at"}
            for k, r in keyed(records, "GeneralLedger").items()
        }

    assert strip(split.records) == strip(whole.records)
    assert len(whole.records) > 200


def test_report_filters_reach_quickbooks_and_bad_ones_are_refused(
    qbo_sandbox: RunningSandbox, run: Callable[..., Run]
) -> None:
    all_rows = run("GeneralLedger", report_start_date=month_start(1).isoformat())
    account = Counter(r["account_id"] for r in all_rows.records).most_common(1)[0][0]
    only = run(
        "GeneralLedger",
        report_start_date=month_start(1).isoformat(),
        report_filters={"GeneralLedger": {"account": [account]}},
    )
    assert only.records
    assert {r["account_id"] for r in only.records} == {account}
    assert len(only.records) == sum(r["account_id"] == account for r in all_rows.records)

    with pytest.raises(ValueError, match=r"report_filters\.GeneralLedger: 'acount' is not one of"):
        report_filters({"report_filters": {"GeneralLedger": {"acount": "35"}}}, "GeneralLedger")
    with pytest.raises(ValueError, match="report_filters: Ledger is not one of"):
        report_filters({"report_filters": {"Ledger": {}}}, "GeneralLedger")


def test_a_general_ledger_answer_in_intuits_shape_reads_into_lines() -> None:
    """A GeneralLedger section as a live sandbox company answers it (a public client's fixture):
    the Beginning Balance row is no line, the transaction's id rides on its type cell."""

    def col(title: str, key: str, kind: str) -> dict[str, Any]:
        return {"ColTitle": title, "ColType": kind, "MetaData": [{"Name": "ColKey", "Value": key}]}

    raw: Mapping[str, Any] = {
        "Header": {"ReportName": "GeneralLedger", "StartPeriod": "2026-07-01", "EndPeriod": "2026-07-31",
                   "Currency": "USD", "ReportBasis": "Accrual"},
        "Columns": {"Column": [
            col("Date", "tx_date", "Date"), col("Transaction Type", "txn_type", "String"),
            col("Num", "doc_num", "String"), col("Name", "name", "String"),
            col("Memo/Description", "memo", "String"), col("Split", "split_acc", "String"),
            col("Amount", "subt_nat_amount", "Money"), col("Balance", "rbal_nat_amount", "Money"),
        ]},
        "Rows": {"Row": [{
            "Header": {"ColData": [{"value": "Checking", "id": "35"}] + [{"value": ""}] * 7},
            "Rows": {"Row": [
                {"ColData": [{"value": "Beginning Balance"}] + [{"value": ""}] * 6 + [{"value": "1201.00"}],
                 "type": "Data"},
                {"ColData": [{"value": "2026-07-31"}, {"value": "Check", "id": "228"}, {"value": "ADJ"},
                             {"value": "", "id": ""}, {"value": "Reconcile Adjustment"},
                             {"value": "Reconciliation Discrepancies", "id": "91"}, {"value": "-4264.76"},
                             {"value": "-3063.76"}], "type": "Data"},
            ]},
            "Summary": {"ColData": [{"value": "Total for Checking"}] + [{"value": ""}] * 5
                        + [{"value": "-4264.76"}, {"value": ""}]},
            "type": "Section",
        }]},
    }  # fmt: skip
    report = read_detail(raw)
    assert not report.truncated
    assert len(report.lines) == 1
    line = report.lines[0]
    assert (line["account_id"], line["account_name"]) == ("35", "Checking")
    assert line["cells"]["txn_type"] == {"value": "Check", "id": "228"}
    assert report.end == date(2026, 7, 31) == report.start + timedelta(days=30)
