"""Aging, customer/vendor balance and cash flow reports over HTTP, checked against the documents
and the balance sheet of the sample company."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox_harness import Api, fault_code

FAR = "2099-12-31"


def amount(text: str) -> Decimal:
    return Decimal(text or "0")


def report(api: Api, name: str, **params: Any) -> dict[str, Any]:
    answer = api.get(f"reports/{name}", **params)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def grand_total(rep: dict[str, Any]) -> list[Decimal]:
    last = rep["Rows"]["Row"][-1]
    assert last["group"] == "GrandTotal"
    assert last["Summary"]["ColData"][0]["value"] == "TOTAL"
    return [amount(c["value"]) for c in last["Summary"]["ColData"][1:]]


def detail_rows(rep: dict[str, Any]) -> list[list[dict[str, str]]]:
    return [
        row["ColData"] for section in rep["Rows"]["Row"] for row in (section.get("Rows") or {}).get("Row", [])
    ]


def open_sum(api: Api, entity: str) -> Decimal:
    return sum(
        (Decimal(str(r["Balance"])) for r in api.rows(f"SELECT * FROM {entity} MAXRESULTS 1000")), Decimal(0)
    )


def balance_sheet_group(api: Api, end: str, group: str) -> Decimal:
    rep = report(api, "BalanceSheet", start_date=end, end_date=end)

    def find(rows: list[dict[str, Any]]) -> Decimal | None:
        for row in rows:
            if row.get("group") == group and "Summary" in row:
                return amount(row["Summary"]["ColData"][1]["value"])
            found = find((row.get("Rows") or {}).get("Row", []))
            if found is not None:
                return found
        return None

    return find(rep["Rows"]["Row"]) or Decimal(0)


def test_aging_totals_equal_the_open_balances_and_the_ledger(api: Api) -> None:
    for side in (
        ("AgedReceivables", "AgedReceivableDetail", "CustomerBalance", "Invoice", "CreditMemo", "AR"),
        ("AgedPayables", "AgedPayableDetail", "VendorBalance", "Bill", "VendorCredit", "AP"),
    ):
        summary_name, detail_name, balance_name, doc, credit, group = side
        summary = report(api, summary_name, report_date=FAR)
        detail = report(api, detail_name, report_date=FAR)
        balance = report(api, balance_name, report_date=FAR)
        titles = [c["ColTitle"] for c in summary["Columns"]["Column"]]
        assert titles == ["", "Current", "1 - 30", "31 - 60", "61 - 90", "91 and over", "Total"]
        totals = grand_total(summary)
        assert sum(totals[:-1]) == totals[-1]
        rows = detail_rows(detail)
        docs = sum((amount(r[6]["value"]) for r in rows if r[1]["value"] == doc), Decimal(0))
        credits = sum((amount(r[6]["value"]) for r in rows if r[1]["value"] == credit), Decimal(0))
        assert docs == open_sum(api, doc) > 0, side
        assert credits == -open_sum(api, credit), side
        assert grand_total(detail)[-1] == totals[-1] == grand_total(balance)[0] == docs + credits
        assert totals[-1] == balance_sheet_group(api, FAR, group), side
        # every party row adds up, and names the party by id
        for row in summary["Rows"]["Row"][:-1]:
            cells = row["ColData"]
            assert cells[0]["id"]
            assert sum(amount(c["value"]) for c in cells[1:-1]) == amount(cells[-1]["value"])


def test_an_invoice_is_open_until_the_date_of_its_payment(api: Api) -> None:
    customer = api.one("Customer")
    item = api.one("Item", "WHERE Type = 'Service'")
    invoice = api.create(
        "Invoice",
        {
            "CustomerRef": {"value": customer["Id"]},
            "TxnDate": "2098-01-01",
            "DueDate": "2098-01-31",
            "Line": [
                {
                    "Amount": 500.0,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}, "Qty": 1, "UnitPrice": 500.0},
                }
            ],
        },
    )
    api.create(
        "Payment",
        {
            "CustomerRef": {"value": customer["Id"]},
            "TxnDate": "2098-03-15",
            "TotalAmt": 200.0,
            "Line": [{"Amount": 200.0, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
        },
    )

    def open_on(day: str) -> tuple[Decimal, str]:
        rep = report(api, "AgedReceivableDetail", report_date=day, customer=customer["Id"])
        for section in rep["Rows"]["Row"][:-1]:
            for row in section["Rows"]["Row"]:
                if row["ColData"][1] == {"value": "Invoice", "id": invoice["Id"]}:
                    return amount(row["ColData"][6]["value"]), section["Header"]["ColData"][0]["value"]
        return Decimal(0), ""

    assert open_on("2097-12-31") == (Decimal(0), "")  # not yet written
    assert open_on("2098-01-15") == (Decimal("500.00"), "Current")
    assert open_on("2098-03-14") == (Decimal("500.00"), "31 - 60 days past due")
    assert open_on("2098-03-15") == (Decimal("300.00"), "31 - 60 days past due")
    assert open_on("2098-06-15") == (Decimal("300.00"), "91 or more days past due")
    filtered = report(api, "AgedReceivables", report_date="2098-06-15", customer=customer["Id"])
    assert filtered["Header"]["Customer"] == customer["Id"]
    assert {row["ColData"][0]["id"] for row in filtered["Rows"]["Row"][:-1]} == {customer["Id"]}


def test_aging_buckets_follow_aging_period_num_periods_and_past_due(api: Api) -> None:
    rep = report(api, "AgedPayables", report_date=FAR, aging_period="15", num_periods="3")
    assert [c["ColTitle"] for c in rep["Columns"]["Column"]] == [
        "",
        "Current",
        "1 - 15",
        "16 - 30",
        "31 and over",
        "Total",
    ]
    everything = grand_total(rep)[-1]
    assert everything == grand_total(report(api, "AgedPayables", report_date=FAR))[-1]
    late = report(api, "AgedPayableDetail", report_date="2026-12-01", past_due="31")
    for row in detail_rows(late):
        assert row[4]["value"] <= "2026-10-31"
    for bad in ({"aging_period": "0"}, {"num_periods": "x"}, {"report_date": "2026-13-01"}):
        answer = api.get("reports/AgedReceivables", **bad)
        assert answer.status_code == 400, bad
        assert fault_code(answer) == "2010", bad


def test_cash_flow_change_in_cash_equals_the_balance_sheets_change_in_bank_accounts(api: Api) -> None:
    for basis in ("Accrual", "Cash"):
        rep = report(
            api,
            "CashFlow",
            start_date="2026-01-01",
            end_date="2026-09-30",
            summarize_column_by="Quarter",
            accounting_method=basis,
        )
        columns = rep["Columns"]["Column"]
        assert [c["ColTitle"] for c in columns] == [
            "",
            "Jan - Mar 2026",
            "Apr - Jun 2026",
            "Jul - Sep 2026",
            "Total",
        ]
        sections = {row.get("group"): row for row in rep["Rows"]["Row"]}
        assert next(iter(sections)) == "OperatingActivities"
        assert {"CashIncrease", "BeginningCash", "EndingCash"} <= set(sections)
        net_income = sections["OperatingActivities"]["Rows"]["Row"][0]
        assert net_income["group"] == "NetIncome"

        def line(group: str, sections: dict[Any, Any] = sections) -> list[Decimal]:
            return [amount(c["value"]) for c in sections[group]["Summary"]["ColData"][1:]]

        increase, begin, end = line("CashIncrease"), line("BeginningCash"), line("EndingCash")
        parts = [
            line(g)
            for g in ("OperatingActivities", "InvestingActivities", "FinancingActivities")
            if g in sections
        ]
        for i, col in enumerate(columns[1:]):
            assert sum(p[i] for p in parts) == increase[i]
            assert end[i] - begin[i] == increase[i]
            meta = {m["Name"]: m["Value"] for m in col.get("MetaData", [])}
            first, last = meta.get("StartDate", "2026-01-01"), meta.get("EndDate", "2026-09-30")
            day_before = {"2026-01-01": "2025-12-31", "2026-04-01": "2026-03-31", "2026-07-01": "2026-06-30"}[
                first
            ]
            if basis == "Accrual":  # the balance sheet here is on the accrual basis; cash moves the same
                assert balance_sheet_group(api, last, "BankAccounts") == end[i]
                assert balance_sheet_group(api, day_before, "BankAccounts") == begin[i]
        assert increase[-1] == sum(increase[:-1])
