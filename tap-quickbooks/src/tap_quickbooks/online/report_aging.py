"""QuickBooks Online's aging, balance and cash flow reports, read into records.

As-of reports (AgedReceivables, AgedPayables, their Detail versions, CustomerBalance,
VendorBalance) are snapshots: one request per planned period with ``report_date`` at the period's
end (today, for the period still open), every record stamped with ``as_of`` and keyed by the
period's end, so the open period's snapshot is replaced by each run until it closes, and the
lookback periods are read again. They take no accounting method (the records carry none).

CashFlow is a period report: each accounting method's periods in one request with a column per
period (each period alone when QBO cannot answer them together), one record per line: the
accounts' changes, Net Income, and the CashIncrease, BeginningCash and EndingCash totals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

from qbo_client.errors import QBOError
from singer_sdk import typing as th

from tap_quickbooks.edition import ReportDefinition

from .reports import (
    COLUMNS_BY,
    TRUNCATION_NOTICE,
    Report,
    ReportShapeError,
    ReportTooLargeError,
    money,
    ordered_map,
    read_report,
)

if TYPE_CHECKING:
    from qbo_client.client import QBOClient

    from tap_quickbooks.reports import Period

AGING_SUMMARY = {"AgedReceivables": "customer", "AgedPayables": "vendor"}
AGING_DETAIL = {"AgedReceivableDetail": "customer", "AgedPayableDetail": "vendor"}
BALANCES = {"CustomerBalance": "customer", "VendorBalance": "vendor"}
CASH_FLOW = "CashFlow"
NAMES = (*AGING_SUMMARY, *AGING_DETAIL, *BALANCES, CASH_FLOW)

_WORKERS = 4


def _as_of_properties(party: str) -> list[th.Property[Any]]:
    return [
        th.Property(f"{party}_id", th.StringType, required=True, description=f"Id of the {party.title()}"),
        th.Property(f"{party}_name", th.StringType),
    ]


def _stamp_properties() -> list[th.Property[Any]]:
    return [
        th.Property("period_start", th.DateType, required=True),
        th.Property("period_end", th.DateType, required=True, description="The snapshot's period end (key)"),
        th.Property(
            "as_of",
            th.DateType,
            required=True,
            description="The report date: period_end, or today while open",
        ),
        th.Property("report_currency", th.StringType, description="The company's home currency"),
        th.Property("fetched_at", th.DateTimeType, required=True, description="When QBO answered"),
    ]


def _schema(name: str) -> dict[str, Any]:
    if name == CASH_FLOW:
        return th.PropertiesList(
            th.Property(
                "line_key",
                th.StringType,
                required=True,
                description="account_id, or the group: NetIncome, CashIncrease, BeginningCash, EndingCash",
            ),
            th.Property("account_id", th.StringType, description="Id of the Account"),
            th.Property("account_name", th.StringType),
            th.Property(
                "section",
                th.StringType,
                description="OperatingActivities, InvestingActivities, FinancingActivities",
            ),
            th.Property(
                "group", th.StringType, description="Innermost group: OperatingAdjustments, NetIncome, ..."
            ),
            th.Property("amount", th.NumberType, required=True, description="Cash effect over the period"),
            th.Property("period_start", th.DateType, required=True),
            th.Property("period_end", th.DateType, required=True),
            th.Property("accounting_method", th.StringType, required=True),
            th.Property("report_currency", th.StringType),
            th.Property("fetched_at", th.DateTimeType, required=True),
        ).to_dict()
    party = {**AGING_SUMMARY, **AGING_DETAIL, **BALANCES}[name]
    if name in AGING_SUMMARY:
        body = [
            th.Property(
                "bucket", th.StringType, required=True, description='"Current", "1 - 30", ... "91 and over"'
            ),
            th.Property(
                "bucket_index", th.IntegerType, required=True, description="0 for Current, then 1, 2, ..."
            ),
            th.Property(
                "days_from", th.IntegerType, description="First day past due of the bucket (null: Current)"
            ),
            th.Property(
                "days_to", th.IntegerType, description="Last day past due of the bucket (null: open-ended)"
            ),
            th.Property("amount", th.NumberType, required=True, description="Open amount in the bucket"),
        ]
    elif name in AGING_DETAIL:
        body = [
            th.Property("txn_id", th.StringType, required=True),
            th.Property(
                "txn_type",
                th.StringType,
                required=True,
                description="Invoice, CreditMemo, Payment, Bill, ...",
            ),
            th.Property("doc_num", th.StringType),
            th.Property("tx_date", th.DateType),
            th.Property("due_date", th.DateType),
            th.Property("days_past_due", th.IntegerType, description="as_of less due_date, in days"),
            th.Property(
                "bucket", th.StringType, description='The section: "Current", "1 - 30 days past due", ...'
            ),
            th.Property("amount", th.NumberType, description="The document's amount (credits negative)"),
            th.Property("open_balance", th.NumberType, required=True, description="What is open on as_of"),
        ]
    else:
        body = [th.Property("balance", th.NumberType, required=True, description="Open balance on as_of")]
    return th.PropertiesList(*_as_of_properties(party), *body, *_stamp_properties()).to_dict()


def _keys(name: str) -> tuple[str, ...]:
    if name == CASH_FLOW:
        return ("line_key", "period_start", "period_end", "accounting_method")
    party = {**AGING_SUMMARY, **AGING_DETAIL, **BALANCES}[name]
    if name in AGING_SUMMARY:
        return ("period_end", f"{party}_id", "bucket_index")
    if name in AGING_DETAIL:
        return ("period_end", "txn_type", "txn_id")
    return ("period_end", f"{party}_id")


def report_definition(name: str) -> ReportDefinition:
    """The stream of one of :data:`NAMES`."""
    return ReportDefinition(name, _schema(name), _keys(name))


# -- rows -----------------------------------------------------------------------------------------


def _bucket_bounds(title: str) -> tuple[int | None, int | None]:
    text = title.strip().lower()
    if text.startswith("current"):
        return None, None
    digits = [int(t) for t in text.replace("-", " ").split() if t.isdigit()]
    if len(digits) >= 2:
        return digits[0], digits[1]
    if digits:
        return digits[0], None
    raise ReportShapeError(f"{title!r} is not an aging column")


def aging_summary_rows(report: Report, party: str) -> list[dict[str, Any]]:
    """A row per party and bucket column (the Total column is their sum, not a row)."""
    buckets = [(i, c.title) for i, c in enumerate(report.columns) if c.title.strip().lower() != "total"]
    rows = []
    for line in report.lines:
        for index, (col, title) in enumerate(buckets):
            low, high = _bucket_bounds(title)
            rows.append(
                {
                    f"{party}_id": line.account_id or line.account_name,
                    f"{party}_name": line.account_name,
                    "bucket": title,
                    "bucket_index": index,
                    "days_from": low,
                    "days_to": high,
                    "amount": money(line.cells[col] if col < len(line.cells) else ""),
                }
            )
    return rows


def _detail_cells(raw: Mapping[str, Any]) -> Iterator[tuple[str, list[Mapping[str, Any]]]]:
    """(section title, cells) of each data row of a detail report (cells keep their ``id``)."""

    def walk(rows: Any, title: str) -> Iterator[tuple[str, list[Mapping[str, Any]]]]:
        for row in (rows or {}).get("Row") or []:
            if not isinstance(row, Mapping):
                continue
            if "ColData" in row:
                cells = [c for c in row.get("ColData") or [] if isinstance(c, Mapping)]
                if any(TRUNCATION_NOTICE.lower() in str(c.get("value", "")).lower() for c in cells):
                    raise ReportTooLargeError(f"{TRUNCATION_NOTICE!r} in an aging detail report")
                yield title, cells
                continue
            head = ((row.get("Header") or {}).get("ColData") or [{}])[0]
            yield from walk(row.get("Rows"), str(head.get("value") or title))

    yield from walk(raw.get("Rows"), "")


def _date(text: str) -> str | None:
    try:
        return date.fromisoformat(text.strip()[:10]).isoformat() if text.strip() else None
    except ValueError:
        raise ReportShapeError(f"{text!r} is not a date") from None


def aging_detail_rows(raw: Mapping[str, Any], party: str, as_of: date) -> list[dict[str, Any]]:
    """A row per open document, its columns found by ``ColType`` (tx_date, txn_type, ...)."""
    cols = [str(c.get("ColType") or "") for c in (raw.get("Columns") or {}).get("Column") or []]
    at = {t: i for i, t in enumerate(cols)}
    name_col = at.get("cust_name", at.get("vend_name", at.get("name")))
    for needed in ("txn_type", "subt_open_bal"):
        if needed not in at:
            raise ReportShapeError(f"aging detail report without a {needed} column (columns: {cols})")
    rows = []
    for title, cells in _detail_cells(raw):

        def cell(key: str | None, cells: list[Mapping[str, Any]] = cells) -> Mapping[str, Any]:
            i = at.get(key) if isinstance(key, str) else None
            return cells[i] if i is not None and i < len(cells) else {}

        name_cell = cells[name_col] if name_col is not None and name_col < len(cells) else {}
        due = _date(str(cell("due_date").get("value") or ""))
        rows.append(
            {
                f"{party}_id": str(name_cell.get("id") or name_cell.get("value") or ""),
                f"{party}_name": str(name_cell.get("value") or ""),
                "txn_id": str(cell("txn_type").get("id") or ""),
                "txn_type": str(cell("txn_type").get("value") or ""),
                "doc_num": str(cell("doc_num").get("value") or "") or None,
                "tx_date": _date(str(cell("tx_date").get("value") or "")),
                "due_date": due,
                "days_past_due": (as_of - date.fromisoformat(due)).days if due else None,
                "bucket": title,
                "amount": money(str(cell("subt_amount").get("value") or "")) if "subt_amount" in at else None,
                "open_balance": money(str(cell("subt_open_bal").get("value") or "")),
            }
        )
    return rows


def balance_rows(report: Report, party: str) -> list[dict[str, Any]]:
    """A row per party: its open balance (the last money column)."""
    return [
        {
            f"{party}_id": line.account_id or line.account_name,
            f"{party}_name": line.account_name,
            "balance": money(line.cells[-1] if line.cells else ""),
        }
        for line in report.lines
    ]


_CASH_TOTALS = ("CashIncrease", "BeginningCash", "EndingCash")


def cash_flow_rows(report: Report, columns: Sequence[int]) -> list[dict[str, Any]]:
    """The lines of one period (its column index first in ``columns``), then the cash totals."""
    col = columns[0]
    rows: list[dict[str, Any]] = []
    for line in report.lines:
        key = line.account_id or (line.group if line.group == "NetIncome" else None) or line.account_name
        rows.append(
            {
                "line_key": key,
                "account_id": line.account_id,
                "account_name": line.account_name,
                "section": line.section,
                "group": line.group,
                "amount": money(line.cells[col] if col < len(line.cells) else ""),
            }
        )
    for summary in report.summaries:
        if summary.group in _CASH_TOTALS:
            rows.append(
                {
                    "line_key": summary.group,
                    "account_id": None,
                    "account_name": summary.label,
                    "section": summary.group,
                    "group": summary.group,
                    "amount": money(summary.cells[col] if col < len(summary.cells) else ""),
                }
            )
    return rows


# -- reading --------------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class AgingReader:
    """How one of these reports is read in a run (``records`` as :class:`ReportReader` gives them)."""

    client: QBOClient
    name: str
    unit: str
    logger: logging.Logger
    settings: Mapping[str, Any]
    today: Callable[[], date] = date.today

    def _params(self, as_of: date) -> dict[str, str]:
        params = {"report_date": as_of.isoformat()}
        if self.name in AGING_SUMMARY or self.name in AGING_DETAIL:
            params["aging_period"] = str(int(self.settings.get("report_aging_period") or 30))
            params["num_periods"] = str(int(self.settings.get("report_aging_num_periods") or 4))
        return params

    def _snapshot(self, period: Period) -> list[dict[str, Any]]:
        as_of = min(period.end, self.today())
        raw = self.client.report(self.name, self._params(as_of))
        fetched = _now()
        if self.name in AGING_DETAIL:
            rows = aging_detail_rows(raw, AGING_DETAIL[self.name], as_of)
            currency = (raw.get("Header") or {}).get("Currency")
        else:
            report = read_report(raw)
            if report.truncated:
                raise ReportTooLargeError(
                    f"{self.name} as of {as_of} is larger than QuickBooks returns ({TRUNCATION_NOTICE!r}) "
                    "and a snapshot cannot be split"
                )
            currency = report.currency
            if self.name in AGING_SUMMARY:
                rows = aging_summary_rows(report, AGING_SUMMARY[self.name])
            else:
                rows = balance_rows(report, BALANCES[self.name])
        for row in rows:
            row |= {
                "period_start": period.start.isoformat(),
                "period_end": period.end.isoformat(),
                "as_of": as_of.isoformat(),
                "report_currency": currency,
                "fetched_at": fetched,
            }
        return rows

    def _cash_flow(self, periods: list[Period], method: str) -> list[list[dict[str, Any]]]:
        """Each period's rows: one request with a column per period, else one per period."""
        if len(periods) > 1:
            params = {
                "start_date": periods[0].start.isoformat(),
                "end_date": periods[-1].end.isoformat(),
                "accounting_method": method,
                "summarize_column_by": COLUMNS_BY[self.unit],
            }
            try:
                report: Report | None = read_report(self.client.report(self.name, params))
            except QBOError as exc:
                if TRUNCATION_NOTICE.lower() not in f"{exc.message} {exc.detail}".lower():
                    raise
                report = None
            if report is not None and not report.truncated:
                found = {(s, e): idx for s, e, idx in report.periods()}
                if all((p.start, p.end) in found for p in periods):
                    fetched = _now()
                    return [
                        self._stamp(
                            cash_flow_rows(report, found[(p.start, p.end)]), p, method, report, fetched
                        )
                        for p in periods
                    ]
            self.logger.info(
                "%s (%s) cannot be read in one request: reading it period by period", self.name, method
            )
        out = []
        for p in periods:
            params = {
                "start_date": p.start.isoformat(),
                "end_date": p.end.isoformat(),
                "accounting_method": method,
                "summarize_column_by": "Total",
            }
            report = read_report(self.client.report(self.name, params))
            if report.truncated:
                raise ReportTooLargeError(f"{self.name} {p} ({method}) is larger than QuickBooks returns")
            out.append(self._stamp(cash_flow_rows(report, [0]), p, method, report, _now()))
        return out

    @staticmethod
    def _stamp(
        rows: list[dict[str, Any]], period: Period, method: str, report: Report, fetched: str
    ) -> list[dict[str, Any]]:
        for row in rows:
            row |= {
                "period_start": period.start.isoformat(),
                "period_end": period.end.isoformat(),
                "accounting_method": method,
                "report_currency": report.currency,
                "fetched_at": fetched,
            }
        return rows

    def records(self, periods: Sequence[Period], methods: Sequence[str]) -> Iterator[dict[str, Any]]:
        """Records of every period (and, for CashFlow, every accounting method), period by period."""
        periods = list(periods)
        if not periods:
            return
        workers = max(1, min(_WORKERS, self.client.config.max_in_flight, len(periods)))
        if self.name == CASH_FLOW:
            by_method = list(ordered_map(lambda m: self._cash_flow(periods, m), methods, workers))
            for i in range(len(periods)):
                for rows in by_method:
                    yield from rows[i]
            return
        for snapshot in ordered_map(self._snapshot, periods, workers):
            yield from snapshot


def report_reader(
    client: QBOClient, name: str, unit: str, logger: logging.Logger, settings: Mapping[str, Any]
) -> AgingReader:
    """The reader of one of :data:`NAMES` in one run."""
    return AgingReader(client, name, unit, logger, settings)
