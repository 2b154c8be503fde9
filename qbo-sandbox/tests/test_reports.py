"""TrialBalance, ProfitAndLoss and BalanceSheet as pure functions over an in-memory ledger."""

from __future__ import annotations

import itertools
import json
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qbo_sandbox.reports import (
    ReportError,
    column_periods,
    column_title,
    fiscal_year_start,
    resolve_date_macro,
    run_report,
)
from shared import fixtures_dir
from test_ledger import (
    Company,
    bill_payment,
    expense_line,
    item_expense_line,
    journal,
    make_company,
    payment,
    purchase_doc,
    ref,
    sales_doc,
    sales_line,
)

TODAY = date(2024, 5, 15)  # a Wednesday
NOW = datetime(2024, 5, 15, 10, 11, 7, tzinfo=timezone(timedelta(hours=-7)))
MONEY = re.compile(r"^(-?\d+\.\d{2})?$")


def report(co: Company, name: str, params: dict[str, str] | None = None, **kw: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "balances": co.balances,
        "accounts": co.accounts(),
        "company": {"FiscalYearStartMonth": "January"},
        "preferences": None,
        "today": TODAY,
        "now": NOW,
    }
    args.update(kw)
    return run_report(name, params or {}, **args)


def sample(name: str) -> dict[str, Any]:
    data = json.loads((fixtures_dir() / "docs-samples" / name).read_text())
    return data.get("Report", data)


# -- reading reports --------------------------------------------------------------------------------


def rows_of(node: dict[str, Any]) -> list[dict[str, Any]]:
    return node.get("Rows", {}).get("Row", [])


def walk(rows: list[dict[str, Any]]):  # type: ignore[no-untyped-def]
    for row in rows:
        yield row
        yield from walk(rows_of(row))


def group(rep: dict[str, Any], name: str) -> dict[str, Any]:
    found = [r for r in walk(rows_of(rep)) if r.get("group") == name]
    assert len(found) == 1, f"{name}: {len(found)} rows"
    return found[0]


def has_group(rep: dict[str, Any], name: str) -> bool:
    return any(r.get("group") == name for r in walk(rows_of(rep)))


def summary(rep: dict[str, Any], name: str) -> list[str]:
    return [c["value"] for c in group(rep, name)["Summary"]["ColData"][1:]]


def cents(text: str) -> int:
    assert MONEY.match(text), text
    return round(float(text) * 100) if text else 0


def data_rows(rep: dict[str, Any]) -> dict[str, list[str]]:
    """Account data rows by account Id (or label, for rows without one)."""
    return {
        r["ColData"][0].get("id", r["ColData"][0]["value"]): [c["value"] for c in r["ColData"][1:]]
        for r in walk(rows_of(rep))
        if r.get("type") == "Data"
    }


def titles(rep: dict[str, Any]) -> list[str]:
    return [c["ColTitle"] for c in rep["Columns"]["Column"]]


def meta(col: dict[str, Any]) -> dict[str, str]:
    return {m["Name"]: m["Value"] for m in col.get("MetaData", [])}


def check_money(rep: dict[str, Any]) -> None:
    for row in walk(rows_of(rep)):
        for part in ("Header", "Summary"):
            for cell in row.get(part, {}).get("ColData", [])[1:]:
                assert MONEY.match(cell["value"]), cell
        for cell in row.get("ColData", [])[1:]:
            assert MONEY.match(cell["value"]), cell


# -- a company with some history ----------------------------------------------------------------------


def history() -> Company:
    co = make_company()
    co.post("JournalEntry", journal(("Debit", "1", 5000), ("Credit", "11", 5000)) | {"TxnDate": "2023-01-02"})
    co.post("SalesReceipt", sales_doc([sales_line("1", 400)], TxnDate="2023-06-01"))
    co.post("Bill", purchase_doc([expense_line("17", 150)], TxnDate="2023-07-01", Id="70"))
    co.post(
        "Invoice",
        sales_doc([sales_line("1", 100), sales_line("4", 50)], tax=12, TxnDate="2024-01-20", Id="71"),
    )
    co.post("Payment", payment(81, [("Invoice", "71", 81)], TxnDate="2024-02-10"))
    co.post("Invoice", sales_doc([sales_line("2", 300, 2)], TxnDate="2024-02-12", Id="72"))
    co.post("Bill", purchase_doc([expense_line("18", 60)], TxnDate="2024-03-05", Id="73"))
    co.post("BillPayment", bill_payment(60, [("Bill", "73", 60)], card=True) | {"TxnDate": "2024-03-06"})
    co.post("Purchase", purchase_doc([expense_line("20", 10)], AccountRef=ref("1"), TxnDate="2024-03-07"))
    co.post(
        "Deposit",
        {
            "DepositToAccountRef": ref("2"),
            "TxnDate": "2024-04-01",
            "Line": [
                {
                    "Amount": 25,
                    "DetailType": "DepositLineDetail",
                    "DepositLineDetail": {"AccountRef": ref("19")},
                }
            ],
        },
    )
    return co


# -- TrialBalance ---------------------------------------------------------------------------------------


def total_of(rep: dict[str, Any]) -> tuple[str, str]:
    debit, credit = summary(rep, "GrandTotal")
    return debit, credit


def test_trial_balance_rows_totals_and_header() -> None:
    co = history()
    rep = report(co, "TrialBalance", {"end_date": "2024-05-15", "start_date": "2024-05-01"})
    assert rep["Header"] == {
        "Time": "2024-05-15T10:11:07-07:00",
        "ReportName": "TrialBalance",
        "ReportBasis": "Accrual",
        "StartPeriod": "2024-05-01",
        "EndPeriod": "2024-05-15",
        "SummarizeColumnsBy": "Total",
        "Currency": "USD",
        "Option": [{"Name": "NoReportData", "Value": "false"}],
    }
    assert rep["Columns"]["Column"] == [
        {"ColTitle": "", "ColType": "Account"},
        {"ColTitle": "Debit", "ColType": "Money"},
        {"ColTitle": "Credit", "ColType": "Money"},
    ]
    rows = data_rows(rep)
    # 2023's result (400 - 150) is in Retained Earnings; 2024's income and expenses show by account.
    assert rows["12"] == ["", "250.00"]
    assert rows["13"] == ["", "100.00"]
    assert rows["23"] == ["", "50.00"]
    assert rows["14"] == ["", "300.00"]
    assert rows["16"] == ["250.00", ""]
    assert rows["5"] == ["", "250.00"]  # an asset with a credit balance shows as a credit
    assert rows["3"] == ["381.00", ""]  # 162 + 300 - 81
    assert rows["7"] == ["", "150.00"]  # bill 70 is unpaid, bill 73 paid
    assert rows["8"] == ["", "60.00"]
    assert "17" not in rows  # 2023 rent is not in 2024's expense
    assert "6" not in rows  # never used
    assert total_of(rep) == ("6197.00", "6197.00")
    first = rep["Rows"]["Row"][0]["ColData"][0]
    assert first == {"value": "Checking", "id": "1"}
    # Sub-accounts show their fully qualified name.
    names = [r["ColData"][0]["value"] for r in rep["Rows"]["Row"][:-1]]
    assert "Landscaping Services:Job Materials:Fountains and Garden Lighting" in names
    last = rep["Rows"]["Row"][-1]
    assert last["group"] == "GrandTotal"
    assert last["type"] == "Section"
    total = [c["value"] for c in last["Summary"]["ColData"]]
    assert total[0] == "TOTAL"
    assert total[1] == total[2]
    assert sum(cents(v[0]) for v in rows.values()) == cents(total[1])
    assert sum(cents(v[1]) for v in rows.values()) == cents(total[2])
    check_money(rep)


def test_trial_balance_cash_basis() -> None:
    co = history()
    rep = report(co, "TrialBalance", {"end_date": "2024-05-15", "accounting_method": "cash"})
    assert rep["Header"]["ReportBasis"] == "Cash"
    rows = data_rows(rep)
    # Only the 81 paid on invoice 71 is income; the unpaid invoice 72 is not, but its cost of sales is.
    assert rows["13"] == ["", "50.00"]
    assert rows["23"] == ["", "25.00"]
    assert rows["9"] == ["", "6.00"]
    assert "14" not in rows
    assert "3" not in rows
    assert rows["16"] == ["250.00", ""]
    total = summary(rep, "GrandTotal")
    assert total[0] == total[1]


def test_trial_balance_basis_defaults_to_the_company_preference() -> None:
    rep = report(history(), "TrialBalance", preferences={"ReportPrefs": {"ReportBasis": "Cash"}})
    assert rep["Header"]["ReportBasis"] == "Cash"


def test_trial_balance_with_a_fiscal_year_starting_in_april() -> None:
    co = history()
    april = {"FiscalYearStartMonth": "April"}
    rows = data_rows(report(co, "TrialBalance", {"end_date": "2024-03-31"}, company=april))
    # FY 2023-04..2024-03 holds the June 2023 sale, the July 2023 rent and everything of 2024 so far.
    assert "12" not in rows
    assert rows["13"] == ["", "500.00"]
    assert rows["17"] == ["150.00", ""]
    rows = data_rows(report(co, "TrialBalance", {"end_date": "2024-04-30"}, company=april))
    # A month later that year is closed: 850 of income less 470 of costs is retained.
    assert rows["12"] == ["", "380.00"]
    assert rows["19"] == ["", "25.00"]
    assert "13" not in rows
    assert "17" not in rows
    assert fiscal_year_start(date(2023, 6, 1), 4) == date(2023, 4, 1)
    assert fiscal_year_start(date(2024, 3, 31), 4) == date(2023, 4, 1)


def test_trial_balance_by_month() -> None:
    co = history()
    params = {"start_date": "2024-01-15", "end_date": "2024-03-10", "summarize_column_by": "Month"}
    rep = report(co, "TrialBalance", params)
    cols = rep["Columns"]["Column"]
    assert titles(rep) == ["", *["Debit", "Credit"] * 4]
    assert [meta(c).get("ColKey") for c in cols] == [
        "account",
        "Jan 15-31, 2024 Debit",
        "Jan 15-31, 2024 Credit",
        "Feb 2024 Debit",
        "Feb 2024 Credit",
        "Mar 1-10, 2024 Debit",
        "Mar 1-10, 2024 Credit",
        "Total Debit",
        "Total Credit",
    ]
    assert meta(cols[1])["StartDate"] == "2024-01-15"
    assert meta(cols[1])["EndDate"] == "2024-01-31"
    assert meta(cols[3])["StartDate"] == "2024-02-01"
    assert meta(cols[3])["EndDate"] == "2024-02-29"
    total = summary(rep, "GrandTotal")
    assert len(total) == 8
    for i in range(0, 8, 2):
        assert total[i] == total[i + 1]
    rows = data_rows(rep)
    assert rows["3"][:2] == ["162.00", ""]  # January: invoice 71 only
    assert rows["3"][2:4] == ["381.00", ""]  # February: + invoice 72 - payment
    assert rows["3"][6:8] == rows["3"][4:6]  # the Total pair is the trial balance on the end date
    # Each column equals a one-column trial balance at the column's end.
    march = report(co, "TrialBalance", {"start_date": "2024-03-01", "end_date": "2024-03-10"})
    assert summary(march, "GrandTotal") == total[4:6]


def test_trial_balance_leaves_out_zero_balances_and_says_when_there_is_no_data() -> None:
    co = make_company()
    rep = report(co, "TrialBalance")
    assert rep["Rows"]["Row"] == [
        {
            "group": "GrandTotal",
            "type": "Section",
            "Summary": {"ColData": [{"value": "TOTAL"}, {"value": "0.00"}, {"value": "0.00"}]},
        }
    ]
    assert rep["Header"]["Option"] == [{"Name": "NoReportData", "Value": "true"}]
    co.post(
        "Transfer",
        {"FromAccountRef": ref("1"), "ToAccountRef": ref("2"), "Amount": 5, "TxnDate": "2024-05-01"},
    )
    co.post(
        "Transfer",
        {"FromAccountRef": ref("2"), "ToAccountRef": ref("1"), "Amount": 5, "TxnDate": "2024-05-02"},
    )
    assert data_rows(report(co, "TrialBalance")) == {}


def test_trial_balance_without_a_retained_earnings_account() -> None:
    co = history()
    del co.objects["Account"]["12"]
    rows = data_rows(report(co, "TrialBalance", {"end_date": "2024-05-15"}))
    assert rows["Retained Earnings"] == ["", "250.00"]


def test_income_account_that_nets_to_zero_over_all_years_still_closes_last_year_to_retained_earnings() -> (
    None
):
    # Last year a credit memo took back an inventory sale's cost; this year the sale posts it again.
    # COGS nets to zero over all time, yet last year's credit belongs in Retained Earnings.
    co = make_company()
    co.post("CreditMemo", sales_doc([sales_line("2", 0.01)], TxnDate="2022-11-01"))
    co.post("Invoice", sales_doc([sales_line("2", 0.01)], TxnDate="2023-01-01"))
    rep = report(co, "TrialBalance", {"end_date": "2023-01-01"})
    rows = data_rows(rep)
    # Rows by account Id: 16 Cost of Goods Sold, 12 Retained Earnings, 14 the income account.
    assert rows == {"16": ["125.00", ""], "12": ["", "124.99"], "14": ["", "0.01"]}
    assert summary(rep, "GrandTotal") == ["125.00", "125.00"]


# -- ProfitAndLoss ----------------------------------------------------------------------------------------


def test_profit_and_loss_sections_and_totals() -> None:
    co = history()
    co.post("JournalEntry", journal(("Debit", "1", 7), ("Credit", "19", 7)) | {"TxnDate": "2024-04-02"})
    rep = report(co, "ProfitAndLoss", {"date_macro": "This Fiscal Year-to-date"})
    assert rep["Header"]["DateMacro"] == "this fiscal year-to-date"
    assert (rep["Header"]["StartPeriod"], rep["Header"]["EndPeriod"]) == ("2024-01-01", "2024-05-15")
    assert rep["Header"]["Option"][0] == {"Name": "AccountingStandard", "Value": "GAAP"}
    groups = [r.get("group") for r in rep["Rows"]["Row"]]
    assert groups == [
        "Income",
        "COGS",
        "GrossProfit",
        "Expenses",
        "NetOperatingIncome",
        "OtherIncome",
        "OtherExpenses",
        "NetOtherIncome",
        "NetIncome",
    ]
    assert summary(rep, "Income") == ["450.00"]
    assert summary(rep, "COGS") == ["250.00"]
    assert summary(rep, "GrossProfit") == ["200.00"]
    assert summary(rep, "Expenses") == ["60.00"]
    assert summary(rep, "NetOperatingIncome") == ["140.00"]
    assert summary(rep, "OtherIncome") == ["32.00"]
    assert summary(rep, "OtherExpenses") == ["10.00"]
    assert summary(rep, "NetOtherIncome") == ["22.00"]
    assert summary(rep, "NetIncome") == ["162.00"]
    income = group(rep, "Income")
    assert income["Header"]["ColData"] == [{"value": "Income"}, {"value": ""}]
    # Sub-accounts nest in sections named after their parents.
    landscaping = next(r for r in rows_of(income) if r["type"] == "Section")
    assert landscaping["Header"]["ColData"][0] == {"value": "Landscaping Services", "id": "21"}
    assert landscaping["Summary"]["ColData"] == [{"value": "Total Landscaping Services"}, {"value": "50.00"}]
    materials = rows_of(landscaping)[0]
    assert materials["Header"]["ColData"][0] == {"value": "Job Materials", "id": "22"}
    assert rows_of(materials)[0]["ColData"] == [
        {"value": "Fountains and Garden Lighting", "id": "23"},
        {"value": "50.00"},
    ]
    check_money(rep)


def test_profit_and_loss_leaves_out_empty_optional_sections() -> None:
    co = make_company()
    co.post("SalesReceipt", sales_doc([sales_line("1", 40)], TxnDate="2024-05-02"))
    rep = report(co, "ProfitAndLoss")
    assert [r["group"] for r in rep["Rows"]["Row"]] == [
        "Income",
        "GrossProfit",
        "Expenses",
        "NetOperatingIncome",
        "NetIncome",
    ]
    expenses = group(rep, "Expenses")
    assert "Rows" not in expenses
    assert expenses["Summary"]["ColData"][1] == {"value": ""}
    assert summary(rep, "NetIncome") == ["40.00"]


def test_parent_account_with_its_own_amount_leads_its_section() -> None:
    co = make_company()
    co.post(
        "JournalEntry",
        journal(("Debit", "1", 30), ("Credit", "21", 10), ("Credit", "24", 20)) | {"TxnDate": "2024-05-03"},
    )
    rep = report(co, "ProfitAndLoss")
    section = rows_of(group(rep, "Income"))[0]
    assert section["Header"]["ColData"][0]["value"] == "Landscaping Services"
    assert rows_of(section)[0]["ColData"] == [
        {"value": "Landscaping Services", "id": "21"},
        {"value": "10.00"},
    ]
    assert section["Summary"]["ColData"][1]["value"] == "30.00"


def test_profit_and_loss_cash_basis_follows_payments() -> None:
    co = history()
    rep = report(
        co,
        "ProfitAndLoss",
        {"start_date": "2024-01-01", "end_date": "2024-05-15", "accounting_method": "Cash"},
    )
    assert summary(rep, "Income") == ["75.00"]  # 81 paid, less the 6 of tax
    assert summary(rep, "Expenses") == ["60.00"]  # the bill paid by card


def test_profit_and_loss_by_month() -> None:
    co = make_company()
    for day, amount in (("2024-01-20", 100), ("2024-02-10", 50), ("2024-03-05", 25), ("2024-03-20", 1)):
        co.post("SalesReceipt", sales_doc([sales_line("1", amount)], TxnDate=day))
    params = {"start_date": "2024-01-15", "end_date": "2024-03-10", "summarize_column_by": "month"}
    rep = report(co, "ProfitAndLoss", params)
    assert rep["Header"]["SummarizeColumnsBy"] == "Month"
    assert titles(rep) == ["", "Jan 15-31, 2024", "Feb 2024", "Mar 1-10, 2024", "Total"]
    cols = rep["Columns"]["Column"]
    assert meta(cols[0]) == {"ColKey": "account"}
    assert meta(cols[2]) == {"StartDate": "2024-02-01", "EndDate": "2024-02-29", "ColKey": "Feb 2024"}
    assert meta(cols[4]) == {"ColKey": "total"}
    assert data_rows(rep)["13"] == ["100.00", "50.00", "25.00", "175.00"]
    assert summary(rep, "NetIncome") == ["100.00", "50.00", "25.00", "175.00"]
    assert group(rep, "Income")["Header"]["ColData"] == [{"value": "Income"}] + [{"value": ""}] * 4


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        ("Quarter", ["Nov - Dec 2023", "Jan - Mar 2024", "Apr 1-10, 2024"]),
        ("Year", ["Nov - Dec 2023", "Jan 1 - Apr 10, 2024"]),
        ("FiscalYear", ["Nov 2023 - Jan 2024", "Feb 1 - Apr 10, 2024"]),
        ("Week", None),
        ("Days", None),
    ],
)
def test_other_column_breakdowns(by: str, expected: list[str] | None) -> None:
    periods = column_periods(date(2023, 11, 1), date(2024, 4, 10), by, fy_month=2)
    assert periods[0][0] == date(2023, 11, 1)
    assert periods[-1][1] == date(2024, 4, 10)
    for (_, end), (start, _) in itertools.pairwise(periods):
        assert start == end + timedelta(days=1)
    if expected is not None:
        assert [column_title(s, e) for s, e in periods] == expected
    elif by == "Week":
        assert all(s.weekday() == 6 for s, _ in periods[1:])  # weeks start on Sunday
    else:
        assert len(periods) == 162


def test_column_titles() -> None:
    assert column_title(date(2024, 1, 1), date(2024, 1, 31)) == "Jan 2024"
    assert column_title(date(2024, 1, 5), date(2024, 1, 5)) == "Jan 5, 2024"
    assert column_title(date(2023, 12, 25), date(2024, 1, 6)) == "Dec 25, 2023 - Jan 6, 2024"


# -- BalanceSheet ----------------------------------------------------------------------------------------


def test_balance_sheet_sections_balance_and_net_income() -> None:
    co = history()
    rep = report(co, "BalanceSheet", {"end_date": "2024-05-15", "start_date": "2024-01-01"})
    top = [r["group"] for r in rep["Rows"]["Row"]]
    assert top == ["TotalAssets", "TotalLiabilitiesAndEquity"]
    assert summary(rep, "TotalAssets") == summary(rep, "TotalLiabilitiesAndEquity") == ["5627.00"]
    rows = data_rows(rep)
    assert rows["1"] == ["4990.00"]
    assert rows["2"] == ["25.00"]
    assert summary(rep, "BankAccounts") == ["5015.00"]
    assert summary(rep, "AR") == ["381.00"]
    assert rows["4"] == ["481.00"]
    assert rows["5"] == ["-250.00"]
    assert summary(rep, "OtherCurrentAssets") == ["231.00"]
    assert summary(rep, "CurrentAssets") == ["5627.00"]
    assert summary(rep, "AP") == ["150.00"]
    assert summary(rep, "CreditCards") == ["60.00"]
    assert summary(rep, "CurrentLiabilities") == ["222.00"]
    assert summary(rep, "Liabilities") == ["222.00"]
    assert not has_group(rep, "FixedAssets")
    assert not has_group(rep, "LongTermLiabilities")
    assert rows["11"] == ["5000.00"]
    assert rows["12"] == ["250.00"]
    net_income = group(rep, "NetIncome")
    assert net_income == {
        "ColData": [{"value": "Net Income"}, {"value": "155.00"}],
        "type": "Data",
        "group": "NetIncome",
    }
    pl = report(co, "ProfitAndLoss", {"start_date": "2024-01-01", "end_date": "2024-05-15"})
    assert summary(pl, "NetIncome") == ["155.00"]
    assert summary(rep, "Equity") == ["5405.00"]
    check_money(rep)


def test_balance_sheet_by_month_has_no_total_column() -> None:
    co = history()
    params = {"start_date": "2024-01-01", "end_date": "2024-03-31", "summarize_column_by": "Month"}
    rep = report(co, "BalanceSheet", params)
    assert titles(rep) == ["", "Jan 2024", "Feb 2024", "Mar 2024"]
    assets, claims = summary(rep, "TotalAssets"), summary(rep, "TotalLiabilitiesAndEquity")
    assert assets == claims
    assert len(assets) == 3
    assert data_rows(rep)["3"] == ["162.00", "381.00", "381.00"]


def test_empty_balance_sheet_keeps_its_two_halves() -> None:
    rep = report(make_company(), "BalanceSheet")
    assert [r["group"] for r in rep["Rows"]["Row"]] == ["TotalAssets", "TotalLiabilitiesAndEquity"]
    assert rows_of(rep["Rows"]["Row"][0]) == []
    assert summary(rep, "TotalAssets") == ["0.00"]
    assert rep["Header"]["Option"][1] == {"Name": "NoReportData", "Value": "true"}


# -- shapes against Intuit's samples -------------------------------------------------------------------


def shape(obj: Any, path: str = "") -> set[tuple[str, str]]:
    """(path, type) pairs: list items collapse to "[]", and nested rows to one level."""
    out: set[tuple[str, str]] = {(path, type(obj).__name__)}
    if isinstance(obj, dict):
        for key, value in obj.items():
            out |= shape(value, f"{path}.{key}" if path else key)
    elif isinstance(obj, list):
        for item in obj:
            out |= shape(item, f"{path}[]")
    return {(re.sub(r"(Rows\.Row\[\]\.)+", "Rows.Row[].", p), t) for p, t in out}


def exact_shape(obj: Any, path: str = "") -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = {(path, type(obj).__name__)}
    if isinstance(obj, dict):
        for key, value in obj.items():
            out |= exact_shape(value, f"{path}.{key}" if path else key)
    elif isinstance(obj, list):
        for item in obj:
            out |= exact_shape(item, f"{path}[]")
    return out


def test_trial_balance_has_the_shape_of_the_sample() -> None:
    mine = report(history(), "TrialBalance")  # this month to date, as the sample
    theirs = sample("trialbalance__00_sample_object.json")
    assert exact_shape(theirs) - exact_shape(mine) == set()
    assert exact_shape(mine) - exact_shape(theirs) == {("Header.SummarizeColumnsBy", "str")}
    assert mine["Header"]["DateMacro"] == theirs["Header"]["DateMacro"] == "this month-to-date"


def test_profit_and_loss_has_the_shape_of_the_sample() -> None:
    mine = report(history(), "ProfitAndLoss", {"start_date": "2024-01-01", "end_date": "2024-05-15"})
    theirs = sample("profitandloss__00_sample_response.json")
    # The sample was run for one customer (Header.Customer); the sandbox has no such filter.
    assert exact_shape(theirs) - exact_shape(mine) == {("Header.Customer", "str")}
    assert shape(mine) - shape(theirs) == set()


def test_balance_sheet_has_the_shape_of_the_sample() -> None:
    mine = report(history(), "BalanceSheet", {"date_macro": "This Fiscal Year-to-date"})
    theirs = sample("balancesheet__00_sample_response.json")
    assert exact_shape(theirs) - exact_shape(mine) == set()
    # Beyond the (abridged) sample only the header's SummarizeColumnsBy; rows nest deeper (liabilities).
    assert shape(mine) - shape(theirs) == {("Header.SummarizeColumnsBy", "str")}
    assert exact_shape(mine) - exact_shape(theirs) > {("Header.SummarizeColumnsBy", "str")}


# -- dates and parameters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("macro", "start", "end"),
    [
        ("Today", "2024-05-15", "2024-05-15"),
        ("Yesterday", "2024-05-14", "2024-05-14"),
        ("This Week", "2024-05-12", "2024-05-18"),
        ("This Week-to-date", "2024-05-12", "2024-05-15"),
        ("Last Week", "2024-05-05", "2024-05-11"),
        ("Last Week-to-date", "2024-05-05", "2024-05-08"),
        ("Next Week", "2024-05-19", "2024-05-25"),
        ("Next 4 Weeks", "2024-05-19", "2024-06-15"),
        ("This Month", "2024-05-01", "2024-05-31"),
        ("This Month-to-date", "2024-05-01", "2024-05-15"),
        ("Last Month", "2024-04-01", "2024-04-30"),
        ("Last Month-to-date", "2024-04-01", "2024-04-15"),
        ("Next Month", "2024-06-01", "2024-06-30"),
        ("This Fiscal Quarter", "2024-05-01", "2024-07-31"),
        ("This Fiscal Quarter-to-date", "2024-05-01", "2024-05-15"),
        ("Last Fiscal Quarter", "2024-02-01", "2024-04-30"),
        ("Last Fiscal Quarter-to-date", "2024-02-01", "2024-02-15"),
        ("Next Fiscal Quarter", "2024-08-01", "2024-10-31"),
        ("This Fiscal Year", "2024-02-01", "2025-01-31"),
        ("This Fiscal Year-to-date", "2024-02-01", "2024-05-15"),
        ("Last Fiscal Year", "2023-02-01", "2024-01-31"),
        ("Last Fiscal Year-to-date", "2023-02-01", "2023-05-15"),
        ("Next Fiscal Year", "2025-02-01", "2026-01-31"),
        ("This Calendar Quarter", "2024-04-01", "2024-06-30"),
        ("This Calendar Quarter-to-date", "2024-04-01", "2024-05-15"),
        ("Last Calendar Quarter", "2024-01-01", "2024-03-31"),
        ("This Calendar Year", "2024-01-01", "2024-12-31"),
        ("This Calendar Year-to-date", "2024-01-01", "2024-05-15"),
        ("Last Calendar Year", "2023-01-01", "2023-12-31"),
        ("Last Calendar Year-to-date", "2023-01-01", "2023-05-15"),
        ("Last Year", "2023-01-01", "2023-12-31"),
        ("This Year-to-date", "2024-01-01", "2024-05-15"),
        ("Last Quarter", "2024-01-01", "2024-03-31"),
        ("this month to date", "2024-05-01", "2024-05-15"),
        ("LAST  MONTH", "2024-04-01", "2024-04-30"),
    ],
)
def test_date_macros_with_a_february_fiscal_year(macro: str, start: str, end: str) -> None:
    assert resolve_date_macro(macro, TODAY, fy_month=2) == (
        date.fromisoformat(start),
        date.fromisoformat(end),
    )


def test_to_date_macros_clamp_to_shorter_months() -> None:
    assert resolve_date_macro("Last Month-to-date", date(2024, 3, 31)) == (
        date(2024, 2, 1),
        date(2024, 2, 29),
    )
    assert resolve_date_macro("Last Fiscal Year-to-date", date(2024, 2, 29), 3) == (
        date(2022, 3, 1),
        date(2023, 2, 28),
    )
    assert resolve_date_macro("This Week", date(2024, 5, 12)) == (date(2024, 5, 12), date(2024, 5, 18))


def test_report_header_echoes_the_macro_and_uses_the_company_fiscal_year() -> None:
    rep = report(
        history(),
        "BalanceSheet",
        {"date_macro": "last fiscal quarter"},
        company={"FiscalYearStartMonth": "February"},
    )
    header = rep["Header"]
    assert header["DateMacro"] == "last fiscal quarter"
    assert (header["StartPeriod"], header["EndPeriod"]) == ("2024-02-01", "2024-04-30")
    # Explicit dates win over a macro, and then no DateMacro is echoed.
    rep = report(
        history(),
        "TrialBalance",
        {"date_macro": "Today", "start_date": "2024-01-01", "end_date": "2024-01-31"},
    )
    assert "DateMacro" not in rep["Header"]
    assert rep["Header"]["EndPeriod"] == "2024-01-31"


def test_currency_comes_from_the_preferences() -> None:
    prefs = {"CurrencyPrefs": {"HomeCurrency": {"value": "CAD"}}}
    assert report(history(), "ProfitAndLoss", preferences=prefs)["Header"]["Currency"] == "CAD"


@pytest.mark.parametrize(
    ("name", "params", "code", "fragment"),
    [
        ("InventoryValuationSummary", {}, "500", "reports/InventoryValuationSummary"),
        ("TrialBalance", {"start_date": "2024-13-01"}, "2010", "start_date"),
        ("TrialBalance", {"end_date": "2024/01/31"}, "2010", "end_date"),
        ("TrialBalance", {"start_date": "2024-02-01", "end_date": "2024-01-31"}, "2010", "after"),
        ("ProfitAndLoss", {"date_macro": "Someday"}, "2010", "Someday"),
        ("ProfitAndLoss", {"date_macro": "Next Month-to-date"}, "2010", "date_macro"),
        ("BalanceSheet", {"accounting_method": "Hybrid"}, "2010", "accounting_method"),
        ("BalanceSheet", {"summarize_column_by": "Customers"}, "2010", "not supported"),
        ("BalanceSheet", {"summarize_column_by": "Fortnight"}, "2010", "not valid"),
        (
            "ProfitAndLoss",
            {"start_date": "1900-01-01", "end_date": "2024-01-01", "summarize_column_by": "Days"},
            "2010",
            "columns",
        ),
    ],
)
def test_bad_requests(name: str, params: dict[str, str], code: str, fragment: str) -> None:
    with pytest.raises(ReportError) as err:
        report(history(), name, params)
    assert err.value.code == code
    assert fragment in err.value.detail


def test_report_names_are_case_insensitive() -> None:
    assert report(history(), "trialbalance")["Header"]["ReportName"] == "TrialBalance"
    assert report(history(), "PROFITANDLOSS")["Header"]["ReportName"] == "ProfitAndLoss"


def test_one_sided_date_ranges() -> None:
    rep = report(history(), "ProfitAndLoss", {"end_date": "2024-02-20"})
    assert (rep["Header"]["StartPeriod"], rep["Header"]["EndPeriod"]) == ("2024-02-01", "2024-02-20")
    rep = report(history(), "ProfitAndLoss", {"start_date": "2024-02-20"})
    assert (rep["Header"]["StartPeriod"], rep["Header"]["EndPeriod"]) == ("2024-02-20", "2024-05-15")


# -- property: any mix of transactions gives reports that balance --------------------------------------


DAYS = st.dates(min_value=date(2022, 11, 1), max_value=date(2025, 3, 31)).map(date.isoformat)
AMOUNTS = st.integers(min_value=1, max_value=250_000).map(lambda c: c / 100)
SALES_ITEMS = st.sampled_from(["1", "2", "3", "4", "5"])
EXPENSE_ACCOUNTS = st.sampled_from(["16", "17", "18", "20", "6"])
ANY_ACCOUNT = st.sampled_from([str(i) for i in range(1, 26)])


@st.composite
def transactions(draw: st.DrawFn) -> list[tuple[str, dict[str, Any]]]:
    """A list of (entity, payload), payments and bill payments linking earlier documents."""
    out: list[tuple[str, dict[str, Any]]] = []
    invoices: list[dict[str, Any]] = []
    credit_memos: list[dict[str, Any]] = []
    bills: list[dict[str, Any]] = []
    for n in range(draw(st.integers(min_value=1, max_value=14))):
        kind = draw(
            st.sampled_from(
                [
                    "Invoice",
                    "Payment",
                    "SalesReceipt",
                    "CreditMemo",
                    "RefundReceipt",
                    "Bill",
                    "VendorCredit",
                    "BillPayment",
                    "Purchase",
                    "Deposit",
                    "Transfer",
                    "JournalEntry",
                ]
            )
        )
        day = draw(DAYS)
        tid = str(5000 + n)
        if kind in ("Invoice", "SalesReceipt", "CreditMemo", "RefundReceipt"):
            lines = [
                sales_line(draw(SALES_ITEMS), draw(AMOUNTS), draw(st.integers(1, 3)))
                for _ in range(draw(st.integers(1, 3)))
            ]
            tax = draw(st.sampled_from([0, 0, draw(AMOUNTS) / 10]))
            doc = sales_doc(lines, tax=round(tax, 2), TxnDate=day, Id=tid, DepositToAccountRef=ref("1"))
            if kind == "Invoice":
                invoices.append(doc)
            elif kind == "CreditMemo":
                credit_memos.append(doc)
        elif kind == "Payment":
            links = []
            if invoices:
                inv = draw(st.sampled_from(invoices))
                links.append(("Invoice", inv["Id"], round(inv["TotalAmt"] * draw(st.floats(0.1, 1.2)), 2)))
            if credit_memos and draw(st.booleans()):
                cm = draw(st.sampled_from(credit_memos))
                links.append(("CreditMemo", cm["Id"], round(cm["TotalAmt"] * draw(st.floats(0.1, 1.0)), 2)))
            applied = sum(a for k, _, a in links if k == "Invoice") - sum(
                a for k, _, a in links if k != "Invoice"
            )
            total = round(max(applied, 0) + draw(st.sampled_from([0, 0, 12.34])), 2)
            doc = payment(total, links, TxnDate=day, Id=tid)
        elif kind in ("Bill", "VendorCredit", "Purchase"):
            lines = [
                expense_line(draw(EXPENSE_ACCOUNTS), draw(AMOUNTS)) for _ in range(draw(st.integers(1, 3)))
            ]
            if draw(st.booleans()):
                lines.append(item_expense_line(draw(st.sampled_from(["2", "3"])), draw(AMOUNTS)))
            doc = purchase_doc(
                lines,
                TxnDate=day,
                Id=tid,
                AccountRef=ref(draw(st.sampled_from(["1", "8"]))),
                Credit=draw(st.booleans()),
            )
            if kind == "Bill":
                bills.append(doc)
        elif kind == "BillPayment":
            links = []
            if bills:
                bill = draw(st.sampled_from(bills))
                links.append(("Bill", bill["Id"], round(bill["TotalAmt"] * draw(st.floats(0.1, 1.0)), 2)))
            total = round(sum(a for _, _, a in links) + draw(st.sampled_from([0, 5])), 2)
            doc = bill_payment(total, links, card=draw(st.booleans())) | {"TxnDate": day, "Id": tid}
        elif kind == "Deposit":
            doc = {
                "DepositToAccountRef": ref("1"),
                "TxnDate": day,
                "Id": tid,
                "Line": [
                    {"Amount": draw(AMOUNTS), "LinkedTxn": [{"TxnId": "1", "TxnType": "Payment"}]},
                    {"Amount": draw(AMOUNTS), "DepositLineDetail": {"AccountRef": ref("19")}},
                ],
            }
        elif kind == "Transfer":
            doc = {
                "FromAccountRef": ref("1"),
                "ToAccountRef": ref("2"),
                "Amount": draw(AMOUNTS),
                "TxnDate": day,
                "Id": tid,
            }
        else:
            amount = draw(AMOUNTS)
            doc = journal(("Debit", draw(ANY_ACCOUNT), amount), ("Credit", draw(ANY_ACCOUNT), amount))
            doc |= {"TxnDate": day, "Id": tid}
        out.append((kind, doc))
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    txns=transactions(),
    end=st.dates(min_value=date(2022, 10, 1), max_value=date(2025, 6, 30)),
    basis=st.sampled_from(["Accrual", "Cash"]),
    by=st.sampled_from(["Total", "Month", "Quarter"]),
    fy=st.sampled_from(["January", "April", "October"]),
)
def test_random_ledgers_give_balanced_reports(
    txns: list[tuple[str, dict[str, Any]]], end: date, basis: str, by: str, fy: str
) -> None:
    co = make_company()
    for entity, payload in txns:
        co.post(entity, payload)
    start = (end - timedelta(days=100)).isoformat()
    params = {
        "start_date": start,
        "end_date": end.isoformat(),
        "accounting_method": basis,
        "summarize_column_by": by,
    }
    company = {"FiscalYearStartMonth": fy}

    tb = report(co, "TrialBalance", params, company=company)
    totals = summary(tb, "GrandTotal")
    for i in range(0, len(totals), 2):
        assert totals[i] == totals[i + 1], totals
    check_money(tb)

    bs = report(co, "BalanceSheet", params, company=company)
    assert summary(bs, "TotalAssets") == summary(bs, "TotalLiabilitiesAndEquity")
    check_money(bs)

    # The P&L for the fiscal year to date ends on the balance sheet's Net Income line.
    fy_start = fiscal_year_start(end, {"January": 1, "April": 4, "October": 10}[fy])
    pl = report(
        co,
        "ProfitAndLoss",
        {"start_date": fy_start.isoformat(), "end_date": end.isoformat(), "accounting_method": basis},
        company=company,
    )
    total_bs = report(co, "BalanceSheet", {**params, "summarize_column_by": "Total"}, company=company)
    assert summary(pl, "NetIncome") == [c["value"] for c in group(total_bs, "NetIncome")["ColData"][1:]]
    check_money(pl)
