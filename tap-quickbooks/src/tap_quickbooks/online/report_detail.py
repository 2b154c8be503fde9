"""QuickBooks Online's detail reports, GeneralLedger, ProfitAndLossDetail and TransactionList, read
into one record per report line.

Each planned period (``report_period``: month, quarter or year, with ``report_lookback_periods``
as the other period reports) is asked for alone, per accounting method, with the columns the
records need. QuickBooks stops a report at 400,000 cells and says so in its last row ("Unable to
display more data. Please reduce the date range.", HTTP 200); the reader then reads the two halves
of the range instead, and theirs, down to a single day, and adds their rows up: a detail report's
rows are its transactions, so the halves hold exactly the rows of the whole.

Records:

- GeneralLedger: one per transaction line posted to an account (the "Beginning Balance" rows and
  the "Total for" summaries are not records: the first is the sum of the earlier periods, the second
  the sum of the records). ``amount`` is in the account's own sign, as QuickBooks shows it (a debit
  on an asset or expense account is positive, on a liability, equity or income account negative).
  Key: ``account_key``, ``txn_type``, ``txn_id``, ``line`` (the position of the row among the rows
  of that account and transaction in the report: QuickBooks writes a row per transaction line,
  several for one account when several lines post to it), the period and the accounting method.
  The period is in the key because each period's rows are read (and replaced) as a whole.
- ProfitAndLossDetail: the same, for income and expense accounts, with the ``section`` (Income,
  COGS, Expenses, OtherIncome, OtherExpenses); amounts as the ProfitAndLoss shows them.
- TransactionList: one per transaction; key ``txn_type``, ``txn_id``, ``line``, period, method.

``report_filters`` passes a report's filters to QuickBooks (``account``, ``customer``, ``vendor``,
``class``, ``department``: Ids, one or a list).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from qbo_client.errors import QBOError
from singer_sdk import typing as th

from tap_quickbooks.edition import ReportDefinition
from tap_quickbooks.reports import ACCOUNTING_METHODS

from .reports import TRUNCATION_NOTICE, ReportShapeError, ReportTooLargeError, ordered_map

if TYPE_CHECKING:
    from qbo_client.client import QBOClient

    from tap_quickbooks.reports import Period

NAMES = ("GeneralLedger", "ProfitAndLossDetail", "TransactionList")

#: The columns asked for (by ColKey); records read the cells by ColKey, not by position.
REQUEST_COLUMNS = {
    "GeneralLedger": (
        "tx_date", "txn_type", "doc_num", "name", "memo", "split_acc", "subt_nat_amount", "rbal_nat_amount",
    ),
    "ProfitAndLossDetail": (
        "tx_date", "txn_type", "doc_num", "name", "memo", "split_acc", "subt_nat_amount", "rbal_nat_amount",
    ),
    "TransactionList": (
        "tx_date", "txn_type", "doc_num", "is_no_post", "name", "memo", "account_name", "other_account",
        "subt_nat_amount",
    ),
}  # fmt: skip
#: Filters ``report_filters`` may pass, per report.
FILTERS = ("account", "customer", "vendor", "class", "department")

_WORKERS = 4
_BEGINNING = "beginning balance"


# -- settings ---------------------------------------------------------------------------------------


def report_filters(config: Mapping[str, Any], name: str) -> dict[str, str]:
    """The query parameters ``report_filters`` sets for one report; a bad entry raises ValueError."""
    raw = config.get("report_filters") or {}
    if not isinstance(raw, Mapping):
        raise ValueError('report_filters must be an object such as {"GeneralLedger": {"account": "35"}}')
    unknown = [k for k in raw if k not in NAMES]
    if unknown:
        raise ValueError(f"report_filters: {', '.join(map(str, unknown))} is not one of {', '.join(NAMES)}")
    given = raw.get(name) or {}
    if not isinstance(given, Mapping):
        raise ValueError(f'report_filters.{name} must be an object such as {{"account": "35"}}')
    out: dict[str, str] = {}
    for key, value in given.items():
        if key not in FILTERS:
            raise ValueError(f"report_filters.{name}: {key!r} is not one of {', '.join(FILTERS)}")
        values = value if isinstance(value, (list, tuple)) else [value]
        ids = [str(v).strip() for v in values if str(v).strip()]
        if not ids:
            raise ValueError(f"report_filters.{name}.{key} names no Id")
        out[key] = ",".join(ids)
    return out


class DetailTooLargeError(ReportTooLargeError):
    """A single day of a detail report is larger than QuickBooks returns."""

    hint = (
        "one day holds more than QuickBooks' 400,000 cells: narrow the report with report_filters "
        "(e.g. by account), or drop it from the `reports` setting"
    )


# -- reading the answer -----------------------------------------------------------------------------


def _money(text: str) -> Decimal | None:
    cleaned = text.strip().replace(",", "")
    if not cleaned:
        return None
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        raise ReportShapeError(f"{text!r} is not an amount") from None


def _date(text: str) -> str | None:
    try:
        return date.fromisoformat(text.strip()[:10]).isoformat()
    except ValueError:
        return None


def _cells(raw: Any) -> list[Mapping[str, Any]]:
    cells = raw.get("ColData") if isinstance(raw, Mapping) else None
    return [c for c in cells if isinstance(c, Mapping)] if isinstance(cells, list) else []


def _rows(raw: Any) -> list[Mapping[str, Any]]:
    rows = raw.get("Row") if isinstance(raw, Mapping) else None
    return [r for r in rows if isinstance(r, Mapping)] if isinstance(rows, list) else []


def _text(cell: Mapping[str, Any] | None) -> str:
    value = None if cell is None else cell.get("value")
    return "" if value is None else str(value)


def _id(cell: Mapping[str, Any] | None) -> str | None:
    value = None if cell is None else cell.get("id")
    return str(value) if value not in (None, "") else None


@dataclass(frozen=True)
class DetailReport:
    """A detail report's lines: each a mapping of ColKey to its cell, and where it sat."""

    name: str
    basis: str | None
    currency: str | None
    start: date | None
    end: date | None
    lines: tuple[dict[str, Any], ...]
    truncated: bool
    cells: int


def read_detail(raw: Mapping[str, Any]) -> DetailReport:
    """A detail report answer as lines (pure): ``cells`` (ColKey -> cell), ``account_id`` and
    ``account_name`` of the account section that holds it, ``section`` (the outermost group)."""
    header = raw.get("Header") or {}
    columns = [c for c in (raw.get("Columns") or {}).get("Column") or [] if isinstance(c, Mapping)]
    keys: list[str] = []
    for col in columns:
        meta = {
            str(m.get("Name")): m.get("Value") for m in col.get("MetaData") or [] if isinstance(m, Mapping)
        }
        keys.append(str(meta.get("ColKey") or col.get("ColType") or col.get("ColTitle") or ""))
    lines: list[dict[str, Any]] = []
    truncated = TRUNCATION_NOTICE.lower() in json.dumps(header).lower()
    count = 0

    def walk(rows: list[Mapping[str, Any]], account: tuple[str | None, str], section: str | None) -> None:
        nonlocal truncated, count
        for row in rows:
            cells = _cells(row)
            head = _cells(row.get("Header"))
            summary = _cells(row.get("Summary"))
            count += len(cells) + len(head) + len(summary)
            if any(TRUNCATION_NOTICE.lower() in _text(c).lower() for c in (*cells, *summary)):
                truncated = True
                continue
            if cells:
                if _text(cells[0]).strip().lower() == _BEGINNING:
                    continue
                lines.append(
                    {
                        "cells": dict(zip(keys, cells, strict=False)),
                        "account_id": account[0],
                        "account_name": account[1],
                        "section": section,
                    }
                )
                continue
            inner = account
            if head and _id(head[0]):
                inner = (_id(head[0]), _text(head[0]))
            group = str(row["group"]) if row.get("group") else None
            walk(_rows(row.get("Rows")), inner, section or group)

    walk(_rows(raw.get("Rows")), (None, ""), None)
    start = _date(str(header.get("StartPeriod") or ""))
    end = _date(str(header.get("EndPeriod") or ""))
    return DetailReport(
        name=str(header.get("ReportName") or ""),
        basis=str(header["ReportBasis"]) if header.get("ReportBasis") else None,
        currency=str(header["Currency"]) if header.get("Currency") else None,
        start=date.fromisoformat(start) if start else None,
        end=date.fromisoformat(end) if end else None,
        lines=tuple(lines),
        truncated=truncated,
        cells=count,
    )


def detail_rows(report: DetailReport, name: str) -> list[dict[str, Any]]:
    """The records' own fields of a detail report's lines (no period or method yet)."""
    rows: list[dict[str, Any]] = []
    seen: dict[tuple[Any, ...], int] = {}
    for line in report.lines:
        cells: Mapping[str, Mapping[str, Any]] = line["cells"]
        txn = cells.get("txn_type")
        named = cells.get("name")
        split = cells.get("other_account") if name == "TransactionList" else cells.get("split_acc")
        row: dict[str, Any] = {
            "txn_id": _id(txn) or "",
            "txn_type": _text(txn),
            "txn_date": _date(_text(cells.get("tx_date"))),
            "doc_num": _text(cells.get("doc_num")) or None,
            "name_id": _id(named),
            "name": _text(named) or None,
            "memo": _text(cells.get("memo")) or None,
            "split_account_id": _id(split),
            "split_account": _text(split) or None,
            "amount": _money(_text(cells.get("subt_nat_amount"))) or Decimal(0),
        }
        if name == "TransactionList":
            account = cells.get("account_name")
            row["account_id"] = _id(account)
            row["account_name"] = _text(account) or None
            posting = _text(cells.get("is_no_post")).strip().lower()
            row["posting"] = {"yes": True, "no": False}.get(posting)
            ident: tuple[Any, ...] = (row["txn_type"], row["txn_id"])
        else:
            row["account_id"] = line["account_id"]
            row["account_name"] = line["account_name"] or None
            row["account_key"] = str(line["account_id"] or line["account_name"] or "")
            row["running_balance"] = _money(_text(cells.get("rbal_nat_amount")))
            if name == "ProfitAndLossDetail":
                row["section"] = line["section"]
            ident = (row["account_key"], row["txn_type"], row["txn_id"])
        seen[ident] = seen.get(ident, 0) + 1
        row["line"] = seen[ident]
        rows.append(row)
    return rows


# -- streams ------------------------------------------------------------------------------------------


def _schema(name: str) -> dict[str, Any]:
    props: list[th.Property[Any]] = []
    if name != "TransactionList":
        props.append(
            th.Property(
                "account_key",
                th.StringType,
                required=True,
                description="account_id, or account_name when QBO gives no id",
            )
        )
    props += [
        th.Property("account_id", th.StringType, description="Id of the Account the line posts to"),
        th.Property("account_name", th.StringType),
    ]
    if name == "ProfitAndLossDetail":
        props.append(
            th.Property("section", th.StringType, description="Income, COGS, Expenses, OtherIncome, ...")
        )
    props += [
        th.Property(
            "txn_type", th.StringType, required=True, description='As QBO words it: "Invoice", "Check"...'
        ),
        th.Property(
            "txn_id", th.StringType, required=True, description="Id of the transaction (of its type)"
        ),
        th.Property(
            "line",
            th.IntegerType,
            required=True,
            description="Position among the report's rows of the same transaction"
            + ("" if name == "TransactionList" else " and account"),
        ),
        th.Property("txn_date", th.DateType),
        th.Property("doc_num", th.StringType),
        th.Property("name_id", th.StringType, description="Id of the customer, vendor or employee"),
        th.Property("name", th.StringType),
        th.Property("memo", th.StringType),
        th.Property("split_account_id", th.StringType, description="The other account, when only one"),
        th.Property("split_account", th.StringType, description='Its name, or "-Split-"'),
        th.Property(
            "amount",
            th.NumberType,
            required=True,
            description={
                "GeneralLedger": "In the account's own sign (a debit is positive on a debit-normal account)",
                "ProfitAndLossDetail": "As the ProfitAndLoss shows it: income and expenses positive",
                "TransactionList": "The transaction's total",
            }[name],
        ),
    ]
    if name == "TransactionList":
        props.append(th.Property("posting", th.BooleanType, description="Whether it posts to the ledger"))
    else:
        props.append(
            th.Property("running_balance", th.NumberType, description="The account's balance after it")
        )
    props += [
        th.Property("period_start", th.DateType, required=True),
        th.Property("period_end", th.DateType, required=True),
        th.Property(
            "accounting_method", th.StringType(allowed_values=list(ACCOUNTING_METHODS)), required=True
        ),
        th.Property("report_currency", th.StringType, description="The company's home currency"),
        th.Property("fetched_at", th.DateTimeType, required=True, description="When QBO answered"),
    ]
    return th.PropertiesList(*props).to_dict()


def primary_keys(name: str) -> tuple[str, ...]:
    """What identifies a record: the line within its transaction (and account), period and method."""
    own = (
        ("txn_type", "txn_id", "line")
        if name == "TransactionList"
        else ("account_key", "txn_type", "txn_id", "line")
    )
    return (*own, "period_start", "period_end", "accounting_method")


def report_definition(name: str) -> ReportDefinition:
    """The stream of one detail report."""
    return ReportDefinition(name, _schema(name), primary_keys(name))


@dataclass
class ReadStats:
    """What reading cost: requests, the ranges split because QBO cut them short, rows and cells."""

    requests: int = 0
    splits: int = 0
    rows: int = 0
    cells: int = 0


class DetailReader:
    """How one detail report of one run is read: each period and method alone, halved while QBO
    cuts the answer short; records in period order."""

    def __init__(
        self, client: QBOClient, name: str, logger: logging.Logger, config: Mapping[str, Any]
    ) -> None:
        self.client = client
        self.name = name
        self.logger = logger
        self.filters = report_filters(config, name)
        self.stats = ReadStats()
        self._lock = threading.Lock()

    def _count(self, **amounts: int) -> None:
        with self._lock:
            for key, value in amounts.items():
                setattr(self.stats, key, getattr(self.stats, key) + value)

    def _read(self, period: Period, method: str) -> list[DetailReport]:
        params = {
            "start_date": period.start.isoformat(),
            "end_date": period.end.isoformat(),
            "accounting_method": method,
            "columns": ",".join(REQUEST_COLUMNS[self.name]),
            **self.filters,
        }
        self._count(requests=1)
        fault: QBOError | None = None
        try:
            report = read_detail(self.client.report(self.name, params))
        except QBOError as exc:
            if TRUNCATION_NOTICE.lower() not in f"{exc.message} {exc.detail}".lower():
                raise
            fault = exc
        else:
            if not report.truncated:
                self._count(rows=len(report.lines), cells=report.cells)
                return [report]
        if period.start == period.end:
            raise DetailTooLargeError(
                f"{self.name} {period} ({method}) is larger than QuickBooks returns ({TRUNCATION_NOTICE!r}) "
                "and cannot be split: it covers a single day",
                code=fault.code if fault else "",
                intuit_tid=fault.intuit_tid if fault else "",
            )
        self._count(splits=1)
        first, second = period.halves()
        self.logger.info(
            "%s %s (%s) is too large for QBO: reading %s and %s", self.name, period, method, first, second
        )
        return self._read(first, method) + self._read(second, method)

    def _records(self, job: tuple[Period, str]) -> list[dict[str, Any]]:
        period, method = job
        parts = self._read(period, method)
        fetched_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        currency = next((p.currency for p in parts if p.currency), None)
        merged = DetailReport(
            self.name,
            None,
            currency,
            period.start,
            period.end,
            tuple(line for part in parts for line in part.lines),
            False,
            0,
        )
        rows = detail_rows(merged, self.name)
        for row in rows:
            row["period_start"] = period.start.isoformat()
            row["period_end"] = period.end.isoformat()
            row["accounting_method"] = method
            row["report_currency"] = currency
            row["fetched_at"] = fetched_at
        return rows

    def records(self, periods: Sequence[Period], methods: Sequence[str]) -> Iterator[dict[str, Any]]:
        """Records of every period and accounting method, period by period."""
        jobs = [(period, method) for period in periods for method in methods]
        workers = max(1, min(_WORKERS, self.client.config.max_in_flight, len(jobs)))
        for rows in ordered_map(self._records, jobs, workers):
            yield from rows


def report_reader(
    client: QBOClient, name: str, unit: str, logger: logging.Logger, config: Mapping[str, Any]
) -> DetailReader:
    """The reader of one detail report in one run (``unit`` is the stream's; periods are read alone)."""
    del unit
    return DetailReader(client, name, logger, config)


__all__ = [
    "FILTERS",
    "NAMES",
    "REQUEST_COLUMNS",
    "DetailReader",
    "DetailReport",
    "DetailTooLargeError",
    "detail_rows",
    "primary_keys",
    "read_detail",
    "report_definition",
    "report_filters",
    "report_reader",
]
