"""The sample company's bank accounts stay in funds all year, read through the sandbox's API.

The books open with the owner's opening balances (a journal entry against Opening Balance Equity on
the year's first day) and receipts come in before the payments that need them, so the balance sheet
shows every bank account positive at every month end, and so does each account's CurrentBalance.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from qbo_sandbox.testing import RunningSandbox, start_sandbox
from sandbox_harness import Api


def _data_rows(rows: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for row in rows:
        if row.get("type") == "Data":
            yield row
        yield from _data_rows(row.get("Rows", {}).get("Row", []))


def _month_ends(api: Api) -> tuple[list[str], dict[str, list[float | None]]]:
    """The balance sheet by month over the company's year: the month ends, and each account's balances."""
    start = date.fromisoformat(api.get("companyinfo/1").json()["CompanyInfo"]["CompanyStartDate"])
    answer = api.get(
        "reports/BalanceSheet",
        start_date=start.isoformat(),
        end_date=(start + timedelta(days=365)).isoformat(),
        summarize_column_by="Month",
        accounting_method="Accrual",
    )
    assert answer.status_code == 200, answer.text
    report = answer.json()
    ends = [
        next(m["Value"] for m in column["MetaData"] if m["Name"] == "EndDate")
        for column in report["Columns"]["Column"][1:]
    ]
    balances = {
        row["ColData"][0]["id"]: [float(c["value"]) if c["value"] else None for c in row["ColData"][1:]]
        for row in _data_rows(report["Rows"]["Row"])
        if row["ColData"][0].get("id")
    }
    return ends, balances


def _assert_banks_in_funds(api: Api) -> None:
    banks = api.rows("SELECT * FROM Account WHERE AccountType = 'Bank'")
    assert {a["Name"] for a in banks} >= {"Checking", "Savings", "Petty Cash"}
    (opening,) = [
        je
        for je in api.rows("SELECT * FROM JournalEntry MAXRESULTS 1000")
        if je.get("PrivateNote") == "Opening balances"
    ]
    ends, balances = _month_ends(api)
    assert len(ends) >= 12
    for account in banks:
        assert account["CurrentBalance"] > 0, account["Name"]
        by_month = balances[account["Id"]]
        assert len(by_month) == len(ends)
        for end, balance in zip(ends, by_month, strict=True):
            if end < opening["TxnDate"]:
                continue  # the year's first day is the last of its month: nothing is open yet
            assert balance is not None, (account["Name"], end)
            assert balance > 0, (account["Name"], end, balance)
        # the last month end is today: the balance sheet agrees with the account's own balance
        assert by_month[-1] == pytest.approx(account["CurrentBalance"]), account["Name"]


def test_the_default_sample_companys_bank_accounts_are_positive_at_every_month_end(api: Api) -> None:
    _assert_banks_in_funds(api)


@pytest.mark.parametrize(("seed", "size"), [(3, 18), (11, 150), (42, 300)])
def test_bank_accounts_are_positive_at_every_month_end_for_other_seeds(seed: int, size: int) -> None:
    with start_sandbox(seed=seed, size=size) as running:
        _assert_banks_in_funds(Api(running))


def test_the_opening_balances_are_one_journal_entry_against_opening_balance_equity(
    qbo_sandbox: RunningSandbox,
) -> None:
    api = Api(qbo_sandbox)
    accounts = {a["Id"]: a for a in api.rows("SELECT * FROM Account MAXRESULTS 1000")}
    (opening,) = [
        je
        for je in api.rows("SELECT * FROM JournalEntry MAXRESULTS 1000")
        if je.get("PrivateNote") == "Opening balances"
    ]
    sides: dict[str, list[tuple[str, float]]] = {"Debit": [], "Credit": []}
    for line in opening["Line"]:
        detail = line["JournalEntryLineDetail"]
        sides[detail["PostingType"]].append((accounts[detail["AccountRef"]["value"]]["Name"], line["Amount"]))
    assert {name for name, _ in sides["Debit"]} == {"Checking", "Savings", "Petty Cash"}
    assert all(amount > 0 for _, amount in sides["Debit"])
    assert [name for name, _ in sides["Credit"]] == ["Opening Balance Equity"]
    assert sides["Credit"][0][1] == pytest.approx(sum(amount for _, amount in sides["Debit"]))
    # the books open with it: the first transaction of the year (transactions share one Id sequence)
    assert opening["Id"] == "1"
