"""Reports: the flattening of QBO's nested report shape, and the report streams against the sandbox."""

from __future__ import annotations

import contextlib
import copy
import io
import json
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pendulum
import pytest
from qbo_sandbox.faults import QBOFault
from qbo_sandbox.ledger import account_type
from qbo_sandbox.testing import RunningSandbox
from shared import fixtures_dir
from tap_quickbooks.online.reports import (
    DEFAULT_REPORTS,
    REPORT_SETTINGS,
    TRUNCATION_NOTICE,
    ReportTooLargeError,
    amount_rows,
    read_report,
    trial_balance_rows,
)
from tap_quickbooks.reports import Period, plan_periods, report_streams
from tap_quickbooks.tap import TapQuickBooks

CENT = Decimal("0.01")
#: Account types whose trial balance line is the ledger's balance since the beginning of time
#: (income and expenses restart each fiscal year; Retained Earnings takes what they had).
CUMULATIVE_TYPES = {
    "Bank",
    "Accounts Receivable",
    "Other Current Asset",
    "Fixed Asset",
    "Other Asset",
    "Accounts Payable",
    "Credit Card",
    "Other Current Liability",
    "Long Term Liability",
}
INCOME_SECTIONS = {"Income", "OtherIncome"}


def sample(name: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((fixtures_dir() / "docs-samples" / f"{name}.json").read_text())
    return found


def cents(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


# -- flattening the docs samples -------------------------------------------------------------------


def test_trial_balance_sample_gives_one_row_per_account_without_the_grand_total() -> None:
    report = read_report(sample("trialbalance__00_sample_object"))
    rows = trial_balance_rows(report)

    assert [(r["account_id"], r["account_name"], r["debit"], r["credit"]) for r in rows] == [
        ("35", "Checking", Decimal("4151.74"), Decimal(0)),
        ("13", "Meals and Entertainment", Decimal(0), Decimal("46.00")),
        ("93", "QuickBooks Payments Fees", Decimal("0.44"), Decimal(0)),
    ]
    assert {(r["period_start"], r["period_end"]) for r in rows} == {("2016-03-01", "2016-03-14")}
    assert (report.name, report.basis, report.currency) == ("TrialBalance", "Accrual", "USD")
    # The TOTAL line is kept as a summary, not a row (Intuit's abridged sample does not add up to it).
    assert [(s.group, s.label, s.cells) for s in report.summaries] == [
        ("GrandTotal", "TOTAL", ("36587.47", "36587.47"))
    ]
    assert not report.truncated


def test_profit_and_loss_sample_keeps_the_section_path_of_sub_accounts() -> None:
    report = read_report(sample("profitandloss__00_sample_response"))
    rows = amount_rows(report)

    assert [
        (r["account_id"], r["account_name"], r["parent_account_id"], r["group_path"], r["amount"])
        for r in rows
    ] == [
        (
            "48",
            "Fountains and Garden Lighting",
            "46",
            ["Income", "Landscaping Services", "Job Materials"],
            Decimal("275.00"),
        ),
        (
            "49",
            "Plants and Soil",
            "46",
            ["Income", "Landscaping Services", "Job Materials"],
            Decimal("150.00"),
        ),
        ("54", "Pest Control Services", None, ["Income"], Decimal("-100.00")),
    ]
    assert {(r["section"], r["group"]) for r in rows} == {("Income", "Income")}
    assert {(r["period_start"], r["period_end"]) for r in rows} == {("2015-06-01", "2015-06-30")}
    # The rows add up to the section's total: no account is lost in the nesting, none counted twice.
    total_income = next(s for s in report.summaries if s.group == "Income")
    assert sum(r["amount"] for r in rows) == Decimal(total_income.cells[0])


def test_balance_sheet_sample_rows_carry_their_section_and_group() -> None:
    rows = amount_rows(read_report(sample("balancesheet__00_sample_response")))

    assert rows == [
        {
            "account_id": "35",
            "account_name": "Checking",
            "parent_account_id": None,
            "section": "TotalAssets",
            "group": "BankAccounts",
            "group_path": ["ASSETS", "Current Assets", "Bank Accounts"],
            "amount": Decimal("1350.55"),
            "period_start": "2024-01-01",
            "period_end": "2024-01-15",
        },
        {
            "account_id": "36",
            "account_name": "Savings",
            "parent_account_id": None,
            "section": "TotalAssets",
            "group": "BankAccounts",
            "group_path": ["ASSETS", "Current Assets", "Bank Accounts"],
            "amount": Decimal("800.00"),
            "period_start": "2024-01-01",
            "period_end": "2024-01-15",
        },
    ]


def test_a_report_cut_short_by_qbo_is_marked_truncated_and_the_notice_is_no_row() -> None:
    raw = sample("profitandloss__00_sample_response")
    raw["Rows"]["Row"][0]["Rows"]["Row"].append(
        {"ColData": [{"value": f"{TRUNCATION_NOTICE}. Please reduce the date range."}, {"value": ""}]}
    )
    report = read_report(raw)

    assert report.truncated
    assert [line.account_name for line in report.lines] == [
        "Fountains and Garden Lighting",
        "Plants and Soil",
        "Pest Control Services",
    ]
    assert not read_report(sample("profitandloss__00_sample_response")).truncated


# -- periods ---------------------------------------------------------------------------------------


def spans(periods: list[Period]) -> list[tuple[str, str]]:
    return [(p.start.isoformat(), p.end.isoformat()) for p in periods]


def test_first_run_plans_every_calendar_period_from_the_start_to_today() -> None:
    today = date(2024, 5, 17)
    assert spans(plan_periods(start=date(2024, 2, 10), today=today, unit="month")) == [
        ("2024-02-01", "2024-02-29"),
        ("2024-03-01", "2024-03-31"),
        ("2024-04-01", "2024-04-30"),
        ("2024-05-01", "2024-05-31"),
    ]
    assert spans(plan_periods(start=date(2023, 11, 30), today=today, unit="quarter")) == [
        ("2023-10-01", "2023-12-31"),
        ("2024-01-01", "2024-03-31"),
        ("2024-04-01", "2024-06-30"),
    ]
    assert spans(plan_periods(start=date(2023, 6, 1), today=today, unit="year")) == [
        ("2023-01-01", "2023-12-31"),
        ("2024-01-01", "2024-12-31"),
    ]


def test_incremental_run_plans_the_bookmarks_period_less_the_lookback_and_never_before_the_start() -> None:
    today = date(2024, 5, 17)
    start = date(2023, 1, 1)
    # the last run ended in May: May (still open) and April (late entries) again
    assert spans(plan_periods(start=start, today=today, unit="month", bookmark=date(2024, 5, 31))) == [
        ("2024-04-01", "2024-04-30"),
        ("2024-05-01", "2024-05-31"),
    ]
    # the last run was in March: March to May, and February for the lookback
    march = plan_periods(start=start, today=today, unit="month", bookmark=date(2024, 3, 31), lookback=1)
    assert spans(march)[0] == ("2024-02-01", "2024-02-29")
    assert len(march) == 4
    assert spans(
        plan_periods(start=start, today=today, unit="month", bookmark=date(2024, 5, 31), lookback=0)
    ) == [("2024-05-01", "2024-05-31")]
    assert spans(
        plan_periods(
            start=date(2024, 5, 1), today=today, unit="month", bookmark=date(2024, 5, 31), lookback=6
        )
    ) == [("2024-05-01", "2024-05-31")]


def test_a_period_splits_into_two_halves_that_cover_it() -> None:
    first, second = Period(date(2024, 2, 1), date(2024, 2, 29)).halves()
    assert (first, second) == (
        Period(date(2024, 2, 1), date(2024, 2, 15)),
        Period(date(2024, 2, 16), date(2024, 2, 29)),
    )
    assert Period(date(2024, 2, 1), date(2024, 2, 2)).halves() == (
        Period(date(2024, 2, 1), date(2024, 2, 1)),
        Period(date(2024, 2, 2), date(2024, 2, 2)),
    )


# -- settings --------------------------------------------------------------------------------------

TAP_SETTINGS = {
    "client_id",
    "client_secret",
    "refresh_token",
    "realm_id",
    "start_date",
    "environment",
    "base_url",
    "token_store_path",
    "minor_version",
    "page_size",
    "max_in_flight",
    "requests_per_minute",
    "user_agent",
    "stream_filters",
    "include_deletes",
    "reconcile_deletes",
}


def test_report_settings_are_in_the_taps_schema_and_clash_with_none_of_its_own() -> None:
    names = [p.name for p in REPORT_SETTINGS]
    assert set(names) == {
        "reports",
        "report_start_date",
        "report_period",
        "report_accounting_methods",
        "report_lookback_periods",
        "report_aging_period",
        "report_aging_num_periods",
        "report_filters",
    }
    assert not set(names) & TAP_SETTINGS
    properties = TapQuickBooks.config_jsonschema["properties"]
    for prop in REPORT_SETTINGS:
        assert properties[prop.name] == prop.to_dict()[prop.name]


# -- the streams against the sandbox -----------------------------------------------------------------


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
    }


@pytest.fixture
def run(tap_config: dict[str, Any]) -> Callable[..., Run]:
    """Sync one report stream of a fresh tap: its records (amounts as Decimals) and the state after."""

    def sync(stream: str, state: Mapping[str, Any] | None = None, **settings: Any) -> Run:
        tap = TapQuickBooks(config={**tap_config, **settings}, state=copy.deepcopy(dict(state or {})))
        before = tap.client.stats.requests
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            tap.streams[stream].sync()
        messages = [json.loads(line, parse_float=Decimal) for line in out.getvalue().splitlines() if line]
        return Run(
            records=[m["record"] for m in messages if m["type"] == "RECORD" and m["stream"] == stream],
            state=copy.deepcopy(tap.state),
            requests=tap.client.stats.requests - before,
        )

    return sync


class Run:
    def __init__(self, records: list[dict[str, Any]], state: dict[str, Any], requests: int) -> None:
        self.records = records
        self.state = state
        self.requests = requests

    def periods(self) -> list[tuple[str, str]]:
        return list(dict.fromkeys((r["period_start"], r["period_end"]) for r in self.records))

    def by_period(self, method: str = "Accrual") -> Iterator[tuple[date, date, list[dict[str, Any]]]]:
        for start, end in self.periods():
            rows = [
                r
                for r in self.records
                if (r["period_start"], r["period_end"], r["accounting_method"]) == (start, end, method)
            ]
            yield date.fromisoformat(start), date.fromisoformat(end), rows


def account_types(running: RunningSandbox) -> dict[str, str]:
    return {
        str(a["Id"]): str(account_type(a.get("AccountType")))
        for a in running.sandbox.store.iter_payloads(running.realm, "Account")
    }


def assert_trial_balance_matches_ledger(
    running: RunningSandbox, run: Run, method: str, types: Mapping[str, str]
) -> None:
    checked_banks = 0
    for _start, end, rows in run.by_period(method):
        assert rows, f"no {method} rows for the period ending {end}"
        assert sum(r["debit"] for r in rows) == sum(r["credit"] for r in rows)
        shown = {r["account_id"]: r["debit"] - r["credit"] for r in rows if r["account_id"]}
        ledger = running.sandbox.store.balances(running.realm, None, end.isoformat(), method.lower())
        for account_id, balance in ledger.items():
            if types.get(account_id) not in CUMULATIVE_TYPES or not cents(balance):
                continue
            assert shown.get(account_id) == cents(balance), (account_id, end, method)
            checked_banks += types[account_id] == "Bank"
        assert {a for a in shown if types.get(a) in CUMULATIVE_TYPES} <= set(ledger)
    assert checked_banks, "the sample company's bank accounts hold money"


def test_trial_balance_rows_match_the_ledger_and_balance_every_period(
    qbo_sandbox: RunningSandbox, run: Callable[..., Run]
) -> None:
    result = run("TrialBalance", report_start_date=month_start(4).isoformat())

    assert len(result.periods()) == 5
    assert {r["accounting_method"] for r in result.records} == {"Accrual"}
    assert {r["report_currency"] for r in result.records} == {"USD"}
    keys = [
        (r["account_key"], r["period_start"], r["period_end"], r["accounting_method"]) for r in result.records
    ]
    assert len(keys) == len(set(keys))
    assert_trial_balance_matches_ledger(qbo_sandbox, result, "Accrual", account_types(qbo_sandbox))


def test_cash_and_accrual_are_both_read_and_each_matches_its_ledger(
    qbo_sandbox: RunningSandbox, run: Callable[..., Run]
) -> None:
    result = run(
        "TrialBalance",
        report_start_date=month_start(2).isoformat(),
        report_accounting_methods=["Accrual", "Cash"],
    )

    assert result.requests == 2  # one per accounting method, holding the three months
    types = account_types(qbo_sandbox)
    for method in ("Accrual", "Cash"):
        assert_trial_balance_matches_ledger(qbo_sandbox, result, method, types)
    # Emitted period by period (both methods of a period together), so the bookmark only moves forward.
    ends = [r["period_end"] for r in result.records]
    assert ends == sorted(ends)
    receivable = {
        r["accounting_method"]: r["debit"] - r["credit"]
        for r in result.records
        if types.get(r["account_id"]) == "Accounts Receivable"
        and r["period_start"] == month_start(0).isoformat()
    }
    assert receivable.get("Accrual"), "open invoices are receivable on the accrual basis"
    assert receivable.get("Cash", Decimal(0)) != receivable["Accrual"]


def test_incremental_run_reads_only_the_open_periods_again(run: Callable[..., Run]) -> None:
    settings = {"report_start_date": month_start(5).isoformat()}
    first = run("TrialBalance", **settings)
    assert len(first.periods()) == 6
    assert first.requests == 1  # a column per month
    bookmark = first.state["bookmarks"]["TrialBalance"]
    assert bookmark["replication_key"] == "period_end"
    assert bookmark["replication_key_value"] == first.periods()[-1][1]

    second = run("TrialBalance", state=first.state, **settings)

    assert second.requests == 1  # this month and the last closed one (report_lookback_periods=1)
    assert second.periods() == first.periods()[-2:]
    unchanged = {"fetched_at"}

    def strip(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in r.items() if k not in unchanged} for r in rows]

    assert strip(second.records) == strip(
        [r for r in first.records if r["period_start"] >= second.periods()[0][0]]
    )
    assert (
        second.state["bookmarks"]["TrialBalance"]["replication_key_value"]
        == bookmark["replication_key_value"]
    )

    third = run("TrialBalance", state=second.state, report_lookback_periods=0, **settings)
    assert third.requests == 1
    assert third.periods() == first.periods()[-1:]


def test_profit_and_loss_rows_match_the_ledger_for_each_period(
    qbo_sandbox: RunningSandbox, run: Callable[..., Run]
) -> None:
    result = run(
        "ProfitAndLoss", report_start_date=month_start(3).isoformat(), report_accounting_methods=["Cash"]
    )

    assert len(result.periods()) == 4
    types = account_types(qbo_sandbox)
    compared = 0
    for start, end, rows in result.by_period("Cash"):
        ledger = qbo_sandbox.sandbox.store.balances(
            qbo_sandbox.realm, start.isoformat(), end.isoformat(), "cash"
        )
        shown: dict[str, Decimal] = {}
        for r in rows:
            assert r["section"] in {"Income", "COGS", "Expenses", "OtherIncome", "OtherExpenses"}
            assert r["group_path"][0] in {
                "Income",
                "Cost of Goods Sold",
                "Expenses",
                "Other Income",
                "Other Expenses",
            }
            sign = -1 if r["section"] in INCOME_SECTIONS else 1
            shown[r["account_id"]] = sign * r["amount"]
        for account_id, balance in ledger.items():
            if types.get(account_id) in CUMULATIVE_TYPES | {"Equity"} or not cents(balance):
                continue
            assert shown.get(account_id) == cents(balance), (account_id, start)
            compared += 1
    assert compared


def test_balance_sheet_assets_equal_liabilities_and_equity_every_period(run: Callable[..., Run]) -> None:
    result = run("BalanceSheet", report_start_date=month_start(3).isoformat())

    assert len(result.periods()) == 4
    for _start, end, rows in result.by_period():
        assets = sum(r["amount"] for r in rows if r["section"] == "TotalAssets")
        claims = sum(r["amount"] for r in rows if r["section"] == "TotalLiabilitiesAndEquity")
        assert assets, end
        assert assets == claims, end
        assert any(r["account_key"] == "Net Income" and r["account_id"] is None for r in rows)
        assert {r["group"] for r in rows if r["section"] == "TotalAssets"} >= {"BankAccounts"}


def truncate_long_reports(
    running: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
    report: str,
    days: int,
    *,
    as_fault: bool = False,
) -> None:
    """Make the sandbox refuse a report over ``days`` days as QBO refuses too large a report.

    QBO answers 200 with the notice as the last row; ``as_fault`` answers it as a 400 Fault instead.
    """
    service = running.sandbox.service
    real = service.report
    notice = f"{TRUNCATION_NOTICE}. Please reduce the date range."

    def report_or_notice(realm: str, name: str, params: Mapping[str, str]) -> dict[str, Any]:
        answer = real(realm, name, params)
        start, end = date.fromisoformat(params["start_date"]), date.fromisoformat(params["end_date"])
        if name == report and (end - start).days >= days:
            if as_fault:
                raise QBOFault("6000", "A business validation error has occurred", notice)
            answer["Rows"]["Row"].append({"ColData": [{"value": notice}, {"value": ""}]})
        return answer

    monkeypatch.setattr(service, "report", report_or_notice)


@pytest.mark.parametrize("as_fault", [False, True], ids=["notice-row", "fault"])
def test_a_profit_and_loss_period_too_large_for_qbo_is_read_in_halves(
    qbo_sandbox: RunningSandbox, run: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, as_fault: bool
) -> None:
    settings = {"report_start_date": month_start(1).isoformat()}
    whole = run("ProfitAndLoss", **settings)
    truncate_long_reports(qbo_sandbox, monkeypatch, "ProfitAndLoss", days=10, as_fault=as_fault)

    split = run("ProfitAndLoss", **settings)

    assert split.requests > whole.requests == 1
    assert split.periods() == whole.periods()

    def amounts(result: Run) -> dict[tuple[str, str], Decimal]:
        # an account can net to zero over the halves, where the whole month leaves it out
        return {(r["account_key"], r["period_start"]): r["amount"] for r in result.records if r["amount"]}

    assert amounts(split) == amounts(whole)
    assert sum(amounts(split).values())


def test_a_trial_balance_too_large_for_qbo_fails_with_a_clear_reason(
    qbo_sandbox: RunningSandbox, run: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    truncate_long_reports(qbo_sandbox, monkeypatch, "TrialBalance", days=0)

    with pytest.raises(ReportTooLargeError, match="balance as of a date"):
        run("TrialBalance", report_start_date=month_start(0).isoformat())


def refuse_columns(running: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the sandbox refuse a report with a column per period, as too large: the tap reads each
    period alone."""
    service = running.sandbox.service
    real = service.report

    def one_column_only(realm: str, name: str, params: Mapping[str, str]) -> dict[str, Any]:
        if params.get("summarize_column_by", "Total") != "Total":
            raise QBOFault("6000", "A business validation error has occurred", TRUNCATION_NOTICE)
        return real(realm, name, params)

    monkeypatch.setattr(service, "report", one_column_only)


@pytest.mark.parametrize("report", sorted(DEFAULT_REPORTS))  # the period reports read by columns
def test_periods_read_in_one_request_give_the_records_of_each_period_read_alone(
    qbo_sandbox: RunningSandbox, run: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, report: str
) -> None:
    settings = {
        "report_start_date": month_start(11).isoformat(),
        "report_accounting_methods": ["Accrual", "Cash"],
    }
    together = run(report, **settings)
    refuse_columns(qbo_sandbox, monkeypatch)
    alone = run(report, **settings)

    assert together.requests == 2
    assert alone.requests == 2 + 2 * len(alone.periods())  # the refused requests, then one per period
    assert len(together.periods()) == 12

    def strip(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in r.items() if k != "fetched_at"} for r in rows]

    assert strip(together.records) == strip(alone.records)
    assert together.state == alone.state


def test_month_columns_of_a_trial_balance_give_the_rows_of_each_months_report(
    tap_config: dict[str, Any], run: Callable[..., Run]
) -> None:
    start = month_start(2)
    by_stream = run("TrialBalance", report_start_date=start.isoformat())
    first_two = by_stream.periods()[:2]
    raw = TapQuickBooks(config=tap_config).client.report(
        "TrialBalance",
        {"start_date": start.isoformat(), "end_date": first_two[-1][1], "summarize_column_by": "Month"},
    )

    rows = trial_balance_rows(read_report(raw))

    # a column pair per month, then the Total pair over both months
    periods = list(dict.fromkeys((r["period_start"], r["period_end"]) for r in rows))
    assert periods == [*first_two, (first_two[0][0], first_two[-1][1])]
    for period in first_two:
        from_columns = {
            r["account_id"] or r["account_name"]: (r["debit"], r["credit"])
            for r in rows
            if (r["period_start"], r["period_end"]) == period and (r["debit"] or r["credit"])
        }
        from_stream = {
            r["account_key"]: (r["debit"], r["credit"])
            for r in by_stream.records
            if (r["period_start"], r["period_end"]) == period and (r["debit"] or r["credit"])
        }
        assert from_columns == from_stream


def test_the_reports_setting_chooses_the_streams(tap_config: dict[str, Any]) -> None:
    tap = TapQuickBooks(config={**tap_config, "reports": ["TrialBalance"]})
    assert [s.name for s in report_streams(tap, tap.run, tap.edition.reports(tap.config))] == ["TrialBalance"]
    assert "ProfitAndLoss" not in tap.streams
    everything = TapQuickBooks(config=tap_config)
    assert {
        s.name
        for s in report_streams(everything, everything.run, everything.edition.reports(everything.config))
    } == set(DEFAULT_REPORTS)
    assert set(DEFAULT_REPORTS) <= set(everything.streams)
