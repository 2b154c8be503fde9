"""General summary reports from the ledger: the trial balance, profit and loss, and balance sheet.

The answer has the ``ReportRet`` shape QuickBooks gives every summary report (title, subtitle, basis,
column descriptions, then ``ReportData`` rows that name accounts by full name). The trial balance
shows each account's balance as of the report's end date in a Debit or a Credit column: balance-sheet
accounts carry everything up to that date, income and expense accounts only the current fiscal year
(from January), and the earlier years' net income sits in Retained Earnings. So debits equal credits
for any period, and the report follows every write, because it sums the postings each write leaves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree
from qbd_client.xml import Element, child_text, local_name

from . import clock, ledger, status
from .elements import from_cents
from .store import Store

SUPPORTED = ("TrialBalance", "ProfitAndLossStandard", "BalanceSheetStandard")
RETAINED_EARNINGS = "Retained Earnings"


@dataclass
class AccountInfo:
    id: str
    full_name: str
    account_type: str
    special: str | None
    sort_key: str


def _long_date(day: date) -> str:
    return f"{day.strftime('%B')} {day.day}, {day.year}"


def _span(low: date | None, high: date) -> str:
    if low is None:
        return f"All Transactions through {_long_date(high)}"
    if low.year == high.year and low.month == high.month:
        return f"{low.strftime('%B')} {low.day} - {high.day}, {high.year}"
    if low.year == high.year:
        return f"{low.strftime('%B')} {low.day} - {high.strftime('%B')} {high.day}, {high.year}"
    return f"{_long_date(low)} - {_long_date(high)}"


class Reports:
    """Answers ``GeneralSummaryReportQueryRq``."""

    def __init__(self, store: Store, tz: ZoneInfo, now: Callable[[], datetime]) -> None:
        self.store = store
        self.tz = tz
        self.now = now

    def general_summary(self, request: Element) -> Element:
        report_type = child_text(request, "GeneralSummaryReportType") or ""
        if report_type not in SUPPORTED:
            raise status.not_supported(f"the {report_type} report")
        low, high = self._period(request)
        basis = child_text(request, "ReportBasis") or "Accrual"
        wanted = self._account_filter(request)
        if report_type == "TrialBalance":
            return self._trial_balance(high, basis, wanted)
        if report_type == "ProfitAndLossStandard":
            return self._profit_and_loss(low, high, basis, wanted)
        return self._balance_sheet(high, basis, wanted)

    # -- inputs ---------------------------------------------------------------------------------

    def _period(self, request: Element) -> tuple[date | None, date]:
        today = self.now().astimezone(self.tz).date()
        period = next(
            (c for c in request if isinstance(c.tag, str) and local_name(c) == "ReportPeriod"), None
        )
        macro = child_text(request, "ReportDateMacro")
        if period is not None:
            texts = (child_text(period, "FromReportDate"), child_text(period, "ToReportDate"))
            days: list[date | None] = []
            for text, name in zip(texts, ("FromReportDate", "ToReportDate"), strict=True):
                if not text:
                    days.append(None)
                    continue
                try:
                    days.append(clock.parse_date(text))
                except clock.DateError:
                    raise status.invalid_date(name, text) from None
            low, high = days[0], days[1] or today
            if low is not None and low > high:
                raise status.invalid_date_range()
            return low, high
        try:
            low, high_or_none = clock.date_macro(macro or "ThisYearToDate", today)
        except clock.DateError:
            raise status.invalid_value("ReportDateMacro", str(macro), "Unknown date macro.") from None
        return low, high_or_none or today

    def _account_filter(self, request: Element) -> set[str] | None:
        element = next(
            (c for c in request if isinstance(c.tag, str) and local_name(c) == "ReportAccountFilter"), None
        )
        if element is None:
            return None
        wanted: set[str] = set()
        for child in element:
            if not isinstance(child.tag, str):
                continue
            text = (child.text or "").strip()
            if local_name(child) == "ListID":
                wanted.add(text)
            else:
                wanted.update(r.id for r in self.store.by_name(("Account",), text))
        return wanted

    def _accounts(self) -> dict[str, AccountInfo]:
        out: dict[str, AccountInfo] = {}
        for row in self.store.rows("WHERE object = 'Account'"):
            out[row.id] = AccountInfo(
                row.id,
                str(row.name),
                str(row.data.get("AccountType", "")),
                row.data.get("SpecialAccountType"),
                row.sort_key,
            )
        return out

    def _sums(self, basis: str, low: date | None, high: date) -> dict[str, int]:
        where = ["basis IN (?, 'both')", "txn_date <= ?"]
        params: list[Any] = [basis.lower(), high.isoformat()]
        if low is not None:
            where.append("txn_date >= ?")
            params.append(low.isoformat())
        return {
            str(r[0]): int(r[1])
            for r in self.store.conn.execute(
                f"SELECT account_id, SUM(amount) FROM postings WHERE {' AND '.join(where)} "
                "GROUP BY account_id",
                params,
            )
        }

    def _balances(self, high: date, basis: str) -> tuple[dict[str, AccountInfo], dict[str, int], int]:
        """Each account's debit-minus-credit at ``high`` as the trial balance shows it, and the
        earlier years' net income (debit-minus-credit of the P&L accounts before the fiscal year)."""
        accounts = self._accounts()
        year_start = date(high.year, 1, 1)
        to_date = self._sums(basis, None, high)
        this_year = self._sums(basis, year_start, high)
        balances: dict[str, int] = {}
        earlier = 0
        for account_id, total in to_date.items():
            info = accounts.get(account_id)
            if info is not None and info.account_type in ledger.PROFIT_AND_LOSS_TYPES:
                current = this_year.get(account_id, 0)
                earlier += total - current
                balances[account_id] = current
            else:
                balances[account_id] = total
        return accounts, balances, earlier

    # -- the reports ----------------------------------------------------------------------------

    def _trial_balance(self, high: date, basis: str, wanted: set[str] | None) -> Element:
        accounts, balances, earlier = self._balances(high, basis)
        retained = next((a.id for a in accounts.values() if a.special == "RetainedEarnings"), None)
        if earlier:
            if retained is not None:
                balances[retained] = balances.get(retained, 0) + earlier
            else:
                balances["\x00retained"] = earlier
        rows: list[tuple[str, int]] = []
        for account_id, amount in sorted(balances.items(), key=lambda kv: self._order(accounts, kv[0])):
            if not amount or (wanted is not None and account_id not in wanted):
                continue
            info = accounts.get(account_id)
            rows.append((info.full_name if info else RETAINED_EARNINGS, amount))
        report = _Report("Trial Balance", f"As of {_long_date(high)}", basis)
        report.column("Label", "STRTYPE", None)
        report.column("Amount", "AMTTYPE", "Debit")
        report.column("Amount", "AMTTYPE", "Credit")
        debit_total = credit_total = 0
        for name, amount in rows:
            if amount > 0:
                debit_total += amount
                report.data_row(name, {2: from_cents(amount)})
            else:
                credit_total -= amount
                report.data_row(name, {3: from_cents(-amount)})
        report.total_row("TOTAL", {2: from_cents(debit_total), 3: from_cents(credit_total)})
        return report.build()

    @staticmethod
    def _order(accounts: dict[str, AccountInfo], account_id: str) -> tuple[int, str]:
        info = accounts.get(account_id)
        if info is None:
            return ledger.ACCOUNT_TYPE_ORDER.index("Equity"), "\uffff"
        try:
            rank = ledger.ACCOUNT_TYPE_ORDER.index(info.account_type)
        except ValueError:
            rank = len(ledger.ACCOUNT_TYPE_ORDER)
        return rank, info.sort_key

    def _sections(
        self,
        report: _Report,
        accounts: dict[str, AccountInfo],
        balances: dict[str, int],
        types: Iterable[str],
        wanted: set[str] | None,
        *,
        sign: int,
    ) -> int:
        total = 0
        for account_type in types:
            members = [
                a
                for a in sorted(accounts.values(), key=lambda a: a.sort_key)
                if a.account_type == account_type
                and balances.get(a.id)
                and (wanted is None or a.id in wanted)
            ]
            for account in members:
                value = sign * balances[account.id]
                total += value
                report.data_row(account.full_name, {2: from_cents(value)})
        return total

    def _profit_and_loss(self, low: date | None, high: date, basis: str, wanted: set[str] | None) -> Element:
        accounts = self._accounts()
        balances = self._sums(basis, low, high)
        report = _Report("Profit & Loss", _span(low, high), basis)
        report.column("Blank", "STRTYPE", None)
        report.column("Amount", "AMTTYPE", "TOTAL")
        report.text_row("Ordinary Income/Expense")
        report.text_row("Income")
        income = self._sections(report, accounts, balances, ["Income"], wanted, sign=-1)
        report.subtotal_row("Total Income", {2: from_cents(income)})
        report.text_row("Cost of Goods Sold")
        cogs = self._sections(report, accounts, balances, ["CostOfGoodsSold"], wanted, sign=1)
        report.subtotal_row("Total COGS", {2: from_cents(cogs)})
        report.subtotal_row("Gross Profit", {2: from_cents(income - cogs)})
        report.text_row("Expense")
        expense = self._sections(report, accounts, balances, ["Expense"], wanted, sign=1)
        report.subtotal_row("Total Expense", {2: from_cents(expense)})
        ordinary = income - cogs - expense
        report.subtotal_row("Net Ordinary Income", {2: from_cents(ordinary)})
        report.text_row("Other Income/Expense")
        other_income = self._sections(report, accounts, balances, ["OtherIncome"], wanted, sign=-1)
        other_expense = self._sections(report, accounts, balances, ["OtherExpense"], wanted, sign=1)
        report.subtotal_row("Net Other Income", {2: from_cents(other_income - other_expense)})
        report.total_row("Net Income", {2: from_cents(ordinary + other_income - other_expense)})
        return report.build()

    def _balance_sheet(self, high: date, basis: str, wanted: set[str] | None) -> Element:
        accounts, balances, earlier = self._balances(high, basis)
        net_income = -sum(
            amount for account_id, amount in balances.items()
            if account_id in accounts and accounts[account_id].account_type in ledger.PROFIT_AND_LOSS_TYPES
        )  # fmt: skip
        report = _Report("Balance Sheet", f"As of {_long_date(high)}", basis)
        report.column("Blank", "STRTYPE", None)
        report.column("Amount", "AMTTYPE", "TOTAL")
        report.text_row("ASSETS")
        assets = self._sections(report, accounts, balances, ledger.BALANCE_SHEET_TYPES[:5], wanted, sign=1)
        report.subtotal_row("TOTAL ASSETS", {2: from_cents(assets)})
        report.text_row("LIABILITIES & EQUITY")
        liabilities = self._sections(
            report, accounts, balances, ledger.BALANCE_SHEET_TYPES[5:9], wanted, sign=-1
        )
        report.subtotal_row("Total Liabilities", {2: from_cents(liabilities)})
        equity = self._sections(report, accounts, balances, ["Equity"], wanted, sign=-1)
        if earlier:
            report.data_row(RETAINED_EARNINGS, {2: from_cents(-earlier)})
        report.data_row("Net Income", {2: from_cents(net_income)}, row_type="account")
        equity += -earlier + net_income
        report.subtotal_row("Total Equity", {2: from_cents(equity)})
        report.total_row("TOTAL LIABILITIES & EQUITY", {2: from_cents(liabilities + equity)})
        return report.build()


class _Report:
    """A ReportRet under construction: columns, then numbered rows."""

    def __init__(self, title: str, subtitle: str, basis: str) -> None:
        self.title = title
        self.subtitle = subtitle
        self.basis = basis
        self.columns: list[tuple[str, str, str | None]] = []
        self.rows: list[Element] = []

    def column(self, col_type: str, data_type: str, title: str | None) -> None:
        self.columns.append((col_type, data_type, title))

    def _row(self, tag: str, **attrs: str) -> Element:
        row = etree.Element(tag, rowNumber=str(len(self.rows) + 1), **attrs)
        self.rows.append(row)
        return row

    def text_row(self, text: str) -> None:
        self._row("TextRow", value=text)

    def data_row(self, label: str, values: dict[int, str], row_type: str = "account") -> None:
        row = self._row("DataRow")
        etree.SubElement(row, "RowData", rowType=row_type, value=label)
        self._cols(row, label, values)

    def subtotal_row(self, label: str, values: dict[int, str]) -> None:
        self._cols(self._row("SubtotalRow"), label, values)

    def total_row(self, label: str, values: dict[int, str]) -> None:
        self._cols(self._row("TotalRow"), label, values)

    @staticmethod
    def _cols(row: Element, label: str, values: dict[int, str]) -> None:
        etree.SubElement(row, "ColData", colID="1", value=label)
        for col_id in sorted(values):
            etree.SubElement(row, "ColData", colID=str(col_id), value=values[col_id])

    def build(self) -> Element:
        ret = etree.Element("ReportRet")
        etree.SubElement(ret, "ReportTitle").text = self.title
        etree.SubElement(ret, "ReportSubtitle").text = self.subtitle
        etree.SubElement(ret, "ReportBasis").text = self.basis
        etree.SubElement(ret, "NumRows").text = str(len(self.rows))
        etree.SubElement(ret, "NumColumns").text = str(len(self.columns))
        etree.SubElement(ret, "NumColTitleRows").text = "1"
        for number, (col_type, data_type, title) in enumerate(self.columns, start=1):
            desc = etree.SubElement(ret, "ColDesc", colID=str(number), dataType=data_type)
            col_title = etree.SubElement(desc, "ColTitle", titleRow="1")
            if title is not None:
                col_title.set("value", title)
            etree.SubElement(desc, "ColType").text = col_type
        data = etree.SubElement(ret, "ReportData")
        for row in self.rows:
            data.append(row)
        return ret


def trial_balance_rows(report: Element) -> dict[str, tuple[int, int]]:
    """A trial balance ReportRet as {account full name: (debit cents, credit cents)} (for checks)."""
    from .elements import cents

    out: dict[str, tuple[int, int]] = defaultdict(lambda: (0, 0))
    data = next(c for c in report if isinstance(c.tag, str) and local_name(c) == "ReportData")
    for row in data:
        if not isinstance(row.tag, str) or local_name(row) not in ("DataRow", "TotalRow"):
            continue
        label = row[0].get("value", "") if local_name(row) == "DataRow" else "TOTAL"
        cols = {c.get("colID"): c.get("value") for c in row if local_name(c) == "ColData"}
        out[label] = (cents(cols.get("2")), cents(cols.get("3")))
    return dict(out)
