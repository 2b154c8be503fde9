"""GeneralLedger, ProfitAndLossDetail and TransactionList over HTTP: their shape, and that they agree
with the ledger, the TrialBalance and the ProfitAndLoss the sandbox answers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from qbo_sandbox.ledger import ACCOUNT_TYPES, account_type
from qbo_sandbox.reports_detail import TRUNCATION_TEXT, count_cells
from sandbox_harness import Api, fault_code

GL_KEYS = [
    "tx_date",
    "txn_type",
    "doc_num",
    "name",
    "memo",
    "split_acc",
    "subt_nat_amount",
    "rbal_nat_amount",
]


def last_year(api: Api) -> dict[str, str]:
    """The sample company's year: from the first day of the month a year ago to today (its
    transactions lead up to today)."""
    today = date.today()
    return {"start_date": date(today.year - 1, today.month, 1).isoformat(), "end_date": today.isoformat()}


def report(api: Api, name: str, **params: Any) -> dict[str, Any]:
    answer = api.get(f"reports/{name}", **params)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def keys(rep: dict[str, Any]) -> list[str]:
    return [c["MetaData"][0]["Value"] for c in rep["Columns"]["Column"]]


def sections(rows: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for row in rows:
        if row.get("type") == "Section":
            if row.get("Header", {}).get("ColData", [{}])[0].get("id"):
                yield row
            yield from sections(row.get("Rows", {}).get("Row", []))


def debit_normal(api: Api) -> dict[str, bool]:
    return {
        str(a["Id"]): ACCOUNT_TYPES[account_type(a.get("AccountType")) or "Other Asset"][1]
        for a in api.running.sandbox.store.iter_payloads(api.running.realm, "Account")
    }


def d(text: str) -> Decimal:
    return Decimal(text or "0")


def test_general_ledger_has_intuits_columns_and_a_section_per_account_that_ends_at_the_ledger_balance(
    api: Api,
) -> None:
    period = last_year(api)
    rep = report(api, "GeneralLedger", **period)
    assert keys(rep) == GL_KEYS
    types = ["Date", "String", "String", "String", "String", "String", "Money", "Money"]
    assert [c["ColType"] for c in rep["Columns"]["Column"]] == types
    assert rep["Header"]["ReportName"] == "GeneralLedger"
    assert (rep["Header"]["StartPeriod"], rep["Header"]["EndPeriod"]) == (
        period["start_date"],
        period["end_date"],
    )
    normal = debit_normal(api)
    store = api.running.sandbox.store
    moved = store.balances(api.running.realm, period["start_date"], period["end_date"], "accrual")
    found = list(sections(rep["Rows"]["Row"]))
    assert len(found) >= 10
    for section in found:
        account = section["Header"]["ColData"][0]["id"]
        rows = section["Rows"]["Row"]
        assert rows[0]["ColData"][0]["value"] == "Beginning Balance"
        data = rows[1:]
        assert data, account
        for row in data:
            cells = row["ColData"]
            date.fromisoformat(cells[0]["value"])
            assert period["start_date"] <= cells[0]["value"] <= period["end_date"]
            assert cells[1]["id"].isdigit()
            assert cells[1]["value"]
        total = sum(d(r["ColData"][6]["value"]) for r in data)
        summary = section["Summary"]["ColData"]
        assert summary[0]["value"] == f"Total for {section['Header']['ColData'][0]['value']}"
        assert d(summary[6]["value"]) == total
        # the running balance: beginning plus every amount so far
        assert d(data[-1]["ColData"][7]["value"]) == d(rows[0]["ColData"][7]["value"]) + total
        # the movement is the ledger's, in the account's own sign
        ledger = Decimal(str(moved.get(account, 0))).quantize(Decimal("0.01"))
        assert total == (ledger if normal[account] else -ledger), account
    # every account the ledger moved has its section
    assert {a for a, v in moved.items() if round(v, 2)} <= {s["Header"]["ColData"][0]["id"] for s in found}


def test_general_ledger_takes_columns_and_an_account_filter(api: Api) -> None:
    period = last_year(api)
    full = report(api, "GeneralLedger", **period)
    first = next(sections(full["Rows"]["Row"]))
    account = first["Header"]["ColData"][0]["id"]
    rep = report(api, "GeneralLedger", account=account, columns="tx_date,txn_type,subt_nat_amount", **period)
    assert keys(rep) == ["tx_date", "txn_type", "subt_nat_amount"]
    only = list(sections(rep["Rows"]["Row"]))
    assert [s["Header"]["ColData"][0]["id"] for s in only] == [account]
    assert all(len(r["ColData"]) == 3 for r in only[0]["Rows"]["Row"])
    assert len(only[0]["Rows"]["Row"]) == len(first["Rows"]["Row"])

    bad = api.get("reports/GeneralLedger", columns="tx_date,no_such_column", **period)
    assert bad.status_code == 400
    assert fault_code(bad) == "2010"
    assert "no_such_column" in bad.text


def group_totals(rep: dict[str, Any], amount_at: int) -> dict[str, Decimal]:
    return {
        r["group"]: d(r["Summary"]["ColData"][amount_at]["value"])
        for r in rep["Rows"]["Row"]
        if r.get("group")
    }


def account_amounts(rows: list[dict[str, Any]], shown: dict[str, Decimal]) -> dict[str, Decimal]:
    """The amount of each account's row in a ProfitAndLoss (sub-accounts' rows included)."""
    for row in rows:
        first = row.get("ColData", [{}])[0]
        if row.get("type") == "Data" and first.get("id"):
            shown[first["id"]] = shown.get(first["id"], Decimal(0)) + d(row["ColData"][1]["value"])
        account_amounts(row.get("Rows", {}).get("Row", []), shown)
    return shown


def test_profit_and_loss_detail_totals_equal_the_profit_and_loss(api: Api) -> None:
    period = last_year(api)
    for method in ("Accrual", "Cash"):
        detail = report(api, "ProfitAndLossDetail", accounting_method=method, **period)
        summary = report(api, "ProfitAndLoss", accounting_method=method, **period)
        assert group_totals(detail, 6) == group_totals(summary, 1), method
        per_account = {
            s["Header"]["ColData"][0]["id"]: d(s["Summary"]["ColData"][6]["value"])
            for s in sections(detail["Rows"]["Row"])
        }
        shown = account_amounts(summary["Rows"]["Row"], {})
        assert per_account
        assert per_account == {k: v for k, v in shown.items() if v}, method


def test_transaction_list_lists_every_posting_transaction_of_the_period_once(api: Api) -> None:
    period = last_year(api)
    rep = report(api, "TransactionList", **period)
    assert keys(rep) == [
        "tx_date", "txn_type", "doc_num", "is_no_post", "name", "memo", "account_name", "other_account",
        "subt_nat_amount",
    ]  # fmt: skip
    rows = rep["Rows"]["Row"]
    listed = Counter((r["ColData"][1]["value"], r["ColData"][1]["id"]) for r in rows)
    assert max(listed.values()) == 1
    with api.running.sandbox.store.db.read() as conn:
        posted = conn.execute(
            "SELECT COUNT(DISTINCT type || ':' || txn_id) FROM postings WHERE realm_id = ? "
            "AND basis IN ('accrual', 'cash', 'both') AND txn_date BETWEEN ? AND ?",
            (api.running.realm, period["start_date"], period["end_date"]),
        ).fetchone()[0]
    assert len(rows) == posted > 50
    assert all(r["ColData"][3]["value"] == "Yes" and r["ColData"][6].get("id") for r in rows)


def test_a_report_over_the_cell_limit_is_cut_short_with_quickbooks_notice(api: Api) -> None:
    period = last_year(api)
    whole = report(api, "GeneralLedger", **period)
    api.running.sandbox.config.report_cell_limit = 500
    try:
        cut = report(api, "GeneralLedger", **period)
    finally:
        api.running.sandbox.config.report_cell_limit = 400_000
    rows = cut["Rows"]["Row"]
    assert count_cells(rows) <= 500 < count_cells(whole["Rows"]["Row"])
    assert rows[-1]["ColData"] == [{"value": TRUNCATION_TEXT}]
    # the section cut short has no summary; the ones before it are whole
    assert "Summary" not in rows[-2]
    assert rows[:-2] == whole["Rows"]["Row"][: len(rows) - 2]
