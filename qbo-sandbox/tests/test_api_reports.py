"""Reports answered from the sandbox's ledger: they balance, and they agree with Account balances."""

from __future__ import annotations

import pytest
from qbo_sandbox.testing import start_sandbox
from sandbox_harness import Api, fault_code


def _totals(report: dict) -> tuple[float, float]:
    summary = report["Rows"]["Row"][-1]["Summary"]["ColData"]
    assert summary[0]["value"] == "TOTAL"
    return float(summary[1]["value"] or 0), float(summary[2]["value"] or 0)


def _rows(report: dict) -> dict[str, tuple[float, float]]:
    out = {}
    for row in report["Rows"]["Row"]:
        if row.get("type") == "Data":
            cells = row["ColData"]
            out[cells[0]["id"]] = (float(cells[1]["value"] or 0), float(cells[2]["value"] or 0))
    return out


def test_trial_balance_of_the_sample_company_balances(api: Api) -> None:
    for params in (
        {"date_macro": "This Fiscal Year"},
        {"date_macro": "Last Fiscal Year"},
        {"start_date": "2000-01-01", "end_date": "2099-12-31"},
    ):
        for method in ("Accrual", "Cash"):
            answer = api.get("reports/TrialBalance", accounting_method=method, **params)
            assert answer.status_code == 200, answer.text
            report = answer.json()
            debit, credit = _totals(report)
            assert round(debit, 2) == round(credit, 2), (params, method)
            assert report["Header"]["ReportName"] == "TrialBalance"
            assert report["Header"]["ReportBasis"] == method


def test_trial_balance_follows_a_new_invoice(api: Api) -> None:
    end = {"start_date": "2000-01-01", "end_date": "2099-12-31"}
    before = _rows(api.get("reports/TrialBalance", **end).json())
    item = api.one("Item", "WHERE Type = 'Service'")
    customer = api.one("Customer")
    invoice = api.create(
        "Invoice",
        {
            "CustomerRef": {"value": customer["Id"]},
            "TxnDate": "2099-06-01",
            "Line": [
                {
                    "Amount": 321.0,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}, "Qty": 1, "UnitPrice": 321.0},
                }
            ],
        },
    )
    after_report = api.get("reports/TrialBalance", **end).json()
    after = _rows(after_report)
    ar = api.one("Account", "WHERE AccountType = 'Accounts Receivable'")
    income_id = api.read("Item", item["Id"])["IncomeAccountRef"]["value"]
    net = lambda rows, key: rows.get(key, (0.0, 0.0))[0] - rows.get(key, (0.0, 0.0))[1]  # noqa: E731
    assert round(net(after, ar["Id"]) - net(before, ar["Id"]), 2) == 321.0
    assert round(net(after, income_id) - net(before, income_id), 2) == -321.0
    debit, credit = _totals(after_report)
    assert round(debit, 2) == round(credit, 2)
    assert invoice["TotalAmt"] == 321.0


def test_account_current_balance_agrees_with_the_all_time_trial_balance(api: Api) -> None:
    rows = _rows(api.get("reports/TrialBalance", start_date="2000-01-01", end_date="2099-12-31").json())
    bank = api.rows("SELECT * FROM Account WHERE AccountType = 'Bank' MAXRESULTS 100")
    assert bank
    for account in bank:
        debit, credit = rows.get(account["Id"], (0.0, 0.0))
        assert round(account["CurrentBalance"], 2) == round(debit - credit, 2), account["Name"]


def test_trial_balance_by_month_has_a_column_pair_per_month(api: Api) -> None:
    report = api.get(
        "reports/TrialBalance", start_date="2026-01-01", end_date="2026-03-31", summarize_column_by="Month"
    ).json()
    titles = [c["ColTitle"] for c in report["Columns"]["Column"]]
    assert len(titles) >= 1 + 2 * 3


def test_profit_and_loss_and_balance_sheet_agree(api: Api) -> None:
    params = {"start_date": "2000-01-01", "end_date": "2099-12-31"}
    pnl = api.get("reports/ProfitAndLoss", **params)
    sheet = api.get("reports/BalanceSheet", **params)
    assert pnl.status_code == 200, pnl.text
    assert sheet.status_code == 200, sheet.text
    assert pnl.json()["Header"]["ReportName"] == "ProfitAndLoss"
    assert sheet.json()["Header"]["ReportName"] == "BalanceSheet"


def test_unknown_report_and_bad_dates_get_faults(api: Api) -> None:
    assert api.get("reports/NoSuchReport").status_code == 400
    bad = api.get("reports/TrialBalance", start_date="2026-13-45")
    assert bad.status_code == 400
    assert fault_code(bad)


@pytest.mark.parametrize("seed", [2, 3, 5])
def test_every_seeded_company_has_a_balanced_trial_balance(seed: int) -> None:
    with start_sandbox(seed=seed, size=300) as running:
        api = Api(running)
        for method in ("Accrual", "Cash"):
            report = api.get(
                "reports/TrialBalance",
                start_date="2000-01-01",
                end_date="2099-12-31",
                accounting_method=method,
            ).json()
            debit, credit = _totals(report)
            assert debit > 0
            assert round(debit, 2) == round(credit, 2), (seed, method)
