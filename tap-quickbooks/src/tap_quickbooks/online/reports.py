"""QuickBooks Online's reports: TrialBalance, ProfitAndLoss and BalanceSheet, read into records.

QBO answers a report as a tree: ``Header`` (report name, basis, dates, currency), ``Columns``
(titles, types and ``ColKey``/``StartDate``/``EndDate`` metadata) and ``Rows`` that hold data rows
and sections, each section with its own ``Header``, ``Rows`` and ``Summary``. :func:`read_report`
turns any report of that shape into flat :class:`Line` objects that keep the path of sections they
sat in; :func:`trial_balance_rows` and :func:`amount_rows` make records of them.

:class:`ReportReader` reads each accounting method's periods in one request, a column per period
(``summarize_column_by=Month``, ``Quarter`` or ``Year``; :meth:`Report.for_period` gives each
period's report as QBO would answer it alone), and a period alone (``summarize_column_by=Total``,
split in halves while too large) when QBO cannot answer them together. It gives the periods in
order, as the report streams (:mod:`tap_quickbooks.reports`) need for their bookmark.
"""

from __future__ import annotations

import importlib
import json
import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar

from qbo_client.catalog import REPORTS
from qbo_client.errors import QBOError, ValidationError
from singer_sdk import typing as th

from tap_quickbooks.edition import ReportDefinition
from tap_quickbooks.reports import ACCOUNTING_METHODS, PERIOD_UNITS, Period

if TYPE_CHECKING:
    from qbo_client.client import QBOClient

__all__ = [
    "DEFAULT_REPORTS",
    "REPORT_SETTINGS",
    "TRUNCATION_NOTICE",
    "Column",
    "Line",
    "Report",
    "ReportReader",
    "ReportShapeError",
    "ReportTooLargeError",
    "Summary",
    "amount_rows",
    "merge_amount_rows",
    "period_records",
    "read_report",
    "report_definition",
    "report_definitions",
    "trial_balance_rows",
]

#: The text QBO puts in a data row (with HTTP 200) when a report passes its cell limit.
TRUNCATION_NOTICE = "Unable to display more data"

#: The ``summarize_column_by`` that answers a column (a pair, for a trial balance) per period.
COLUMNS_BY = {"month": "Month", "quarter": "Quarter", "year": "Year"}

#: Reports fetched at the same time; the client's limiter still bounds the requests in flight.
_WORKERS = 4
_ZERO = Decimal(0)


class ReportShapeError(ValueError):
    """A report that does not have the shape QBO reports have (no dates, no Debit column, ...)."""


class ReportTooLargeError(ValidationError):
    """QuickBooks will not return a report whole ("Unable to display more data") and it cannot be split."""

    hint = (
        "a balance as of a date cannot be read in shorter pieces: drop this report from the "
        "`reports` setting, or ask Intuit support about the company's report size"
    )


# -- the report shape ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column after the account column: title, type, ``ColKey``, and its dates when it says them."""

    title: str
    type: str
    key: str
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class Line:
    """A data row: the account its first cell names, the other cells, and where the row sat."""

    account_id: str | None
    account_name: str
    cells: tuple[str, ...]
    #: Titles of the enclosing sections, outermost first ("Income", "Landscaping Services", ...).
    path: tuple[str, ...] = ()
    #: ``group`` of the outermost section ("Income", "TotalAssets"), else its title.
    section: str | None = None
    #: ``group`` of the row itself or of the innermost section that has one ("BankAccounts").
    group: str | None = None
    #: The account whose sub-account section holds the row.
    parent_account_id: str | None = None
    #: The account heading the innermost section that holds the row (a parent's own row: itself).
    section_account_id: str | None = None


@dataclass(frozen=True)
class Summary:
    """A section's summary row ("Total Income", the trial balance's "TOTAL")."""

    group: str | None
    label: str
    cells: tuple[str, ...]
    path: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    """A report read into flat lines. ``columns`` and each line's ``cells`` skip the account column."""

    name: str
    basis: str | None
    currency: str | None
    start: date | None
    end: date | None
    columns: tuple[Column, ...]
    lines: tuple[Line, ...]
    summaries: tuple[Summary, ...]
    #: QBO cut the report short: some rows are missing.
    truncated: bool = False

    def periods(self) -> list[tuple[date, date, list[int]]]:
        """The periods the columns cover, in column order, each with the indexes of its columns.

        A column without ``StartDate``/``EndDate`` (the only one when summarized by Total) covers
        the report's own period.
        """
        found: dict[tuple[date, date], list[int]] = {}
        for i, col in enumerate(self.columns):
            start = col.start or self.start
            end = col.end or self.end
            if start is None or end is None:
                raise ReportShapeError(f"{self.name}: column {col.title!r} has no dates and the report none")
            found.setdefault((start, end), []).append(i)
        return [(s, e, idx) for (s, e), idx in found.items()]

    def for_period(self, start: date, end: date) -> Report | None:
        """The report of one period of a report of several, as QBO answers that period alone; None
        when no column covers exactly that period.

        Only the period's columns, and only the lines with an amount in them (QBO leaves out the
        accounts with nothing in any column). A parent account's own row sits in its section only
        when one of its sub-accounts has an amount in the period too; alone, it is a plain row.
        """
        idx = next((i for s, e, i in self.periods() if (s, e) == (start, end)), None)
        if idx is None:
            return None
        kept = [line for line in self.lines if any(_cell(line, i).strip() for i in idx)]
        lines = []
        for line in kept:
            own_row = line.account_id is not None and line.account_id == line.section_account_id
            if own_row and not any(
                other is not line and other.path[: len(line.path)] == line.path for other in kept
            ):
                line = replace(line, path=line.path[:-1])
            lines.append(replace(line, cells=tuple(_cell(line, i) for i in idx)))
        return replace(
            self,
            start=start,
            end=end,
            columns=tuple(replace(self.columns[i], start=start, end=end) for i in idx),
            lines=tuple(lines),
            summaries=(),
        )


def _date(value: Any) -> date | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _column(raw: Mapping[str, Any]) -> Column:
    meta = {str(m.get("Name")): m.get("Value") for m in raw.get("MetaData") or [] if isinstance(m, Mapping)}
    title = str(raw.get("ColTitle") or "")
    return Column(
        title=title,
        type=str(raw.get("ColType") or ""),
        key=str(meta.get("ColKey") or title),
        start=_date(meta.get("StartDate")),
        end=_date(meta.get("EndDate")),
    )


def _col_data(raw: Any) -> list[Mapping[str, Any]]:
    cells = raw.get("ColData") if isinstance(raw, Mapping) else None
    return [c for c in cells if isinstance(c, Mapping)] if isinstance(cells, list) else []


def _text(cell: Mapping[str, Any]) -> str:
    value = cell.get("value")
    return "" if value is None else str(value)


def _rows(raw: Any) -> list[Mapping[str, Any]]:
    rows = raw.get("Row") if isinstance(raw, Mapping) else None
    return [r for r in rows if isinstance(r, Mapping)] if isinstance(rows, list) else []


def read_report(raw: Mapping[str, Any]) -> Report:
    """A QBO report answer as flat lines and summaries (pure; any report of the common shape)."""
    header = raw.get("Header") or {}
    columns = [_column(c) for c in (raw.get("Columns") or {}).get("Column") or [] if isinstance(c, Mapping)]
    lines: list[Line] = []
    summaries: list[Summary] = []
    truncated = TRUNCATION_NOTICE.lower() in json.dumps(header).lower()

    def cut_off(cells: list[Mapping[str, Any]]) -> bool:
        return any(TRUNCATION_NOTICE.lower() in _text(c).lower() for c in cells)

    def walk(
        rows: list[Mapping[str, Any]],
        path: tuple[str, ...],
        section: str | None,
        group: str | None,
        parents: tuple[str, ...],
        heading: str | None,
    ) -> None:
        nonlocal truncated
        for row in rows:
            if "ColData" in row:
                cells = _col_data(row)
                if cut_off(cells):
                    truncated = True
                    continue
                if not cells:
                    continue
                first = cells[0]
                account_id = str(first["id"]) if first.get("id") not in (None, "") else None
                parent = next((p for p in reversed(parents) if p != account_id), None)
                lines.append(
                    Line(
                        account_id=account_id,
                        account_name=_text(first),
                        cells=tuple(_text(c) for c in cells[1:]),
                        path=path,
                        section=section,
                        group=str(row.get("group") or group or "") or None,
                        parent_account_id=parent,
                        section_account_id=heading,
                    )
                )
                continue
            head = _col_data(row.get("Header"))
            own_group = str(row["group"]) if row.get("group") else None
            title = _text(head[0]) if head else ""
            head_id = str(head[0]["id"]) if head and head[0].get("id") not in (None, "") else None
            inner_path = (*path, title or own_group or "") if (title or own_group) else path
            walk(
                _rows(row.get("Rows")),
                inner_path,
                section if section is not None else (own_group or title or None),
                own_group or group,
                (*parents, head_id) if head_id else parents,
                head_id,
            )
            totals = _col_data(row.get("Summary"))
            if cut_off(totals):
                truncated = True
            elif totals:
                summaries.append(
                    Summary(own_group, _text(totals[0]), tuple(_text(c) for c in totals[1:]), inner_path)
                )

    walk(_rows(raw.get("Rows")), (), None, None, (), None)
    return Report(
        name=str(header.get("ReportName") or ""),
        basis=str(header["ReportBasis"]) if header.get("ReportBasis") else None,
        currency=str(header["Currency"]) if header.get("Currency") else None,
        start=_date(header.get("StartPeriod")),
        end=_date(header.get("EndPeriod")),
        columns=tuple(columns[1:]),
        lines=tuple(lines),
        summaries=tuple(summaries),
        truncated=truncated,
    )


def money(text: str) -> Decimal:
    """A money cell as a Decimal: an empty cell is 0 (QBO writes "-1234.50", no separators)."""
    cleaned = text.strip().replace(",", "")
    if not cleaned:
        return _ZERO
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        raise ReportShapeError(f"{text!r} is not an amount") from None


def _cell(line: Line, index: int) -> str:
    return line.cells[index] if index < len(line.cells) else ""


def trial_balance_rows(report: Report) -> list[dict[str, Any]]:
    """One row per account and column period: debit, credit (empty cells are 0), period dates.

    The GrandTotal summary is not a row; :func:`totals` adds the rows up to check them.
    """
    rows: list[dict[str, Any]] = []
    for start, end, idx in report.periods():
        sides = {report.columns[i].title.strip().lower(): i for i in idx}
        if "debit" not in sides or "credit" not in sides:
            raise ReportShapeError(f"{report.name}: no Debit and Credit columns for {start}..{end}")
        for line in report.lines:
            rows.append(
                {
                    "account_id": line.account_id,
                    "account_name": line.account_name,
                    "debit": money(_cell(line, sides["debit"])),
                    "credit": money(_cell(line, sides["credit"])),
                    "period_start": start.isoformat(),
                    "period_end": end.isoformat(),
                }
            )
    return rows


def amount_rows(report: Report) -> list[dict[str, Any]]:
    """One row per account and column period of a one-amount report (ProfitAndLoss, BalanceSheet).

    Each row keeps where the account sat: ``section`` (the outermost group, "Income",
    "TotalAssets"), ``group`` (the innermost, "BankAccounts"), ``group_path`` (the section titles)
    and ``parent_account_id``. Section headers and summaries are not rows: their amounts are sums.
    """
    rows: list[dict[str, Any]] = []
    for start, end, idx in report.periods():
        money_idx = [i for i in idx if report.columns[i].type.lower() == "money"] or idx
        for line in report.lines:
            rows.append(
                {
                    "account_id": line.account_id,
                    "account_name": line.account_name,
                    "parent_account_id": line.parent_account_id,
                    "section": line.section,
                    "group": line.group,
                    "group_path": list(line.path),
                    "amount": money(_cell(line, money_idx[0])),
                    "period_start": start.isoformat(),
                    "period_end": end.isoformat(),
                }
            )
    return rows


def account_key(row: Mapping[str, Any]) -> str:
    """What identifies an account's row: its id, or its name when QBO gives none ("Net Income")."""
    return str(row.get("account_id") or row.get("account_name") or "")


def merge_amount_rows(parts: Sequence[Sequence[Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """The rows of consecutive periods added up per account and place, in first-seen order."""
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for rows in parts:
        for row in rows:
            key = (account_key(row), row.get("section"), row.get("group"), tuple(row.get("group_path") or ()))
            if key in merged:
                merged[key]["amount"] += row["amount"]
            else:
                merged[key] = dict(row)
    return list(merged.values())


def totals(rows: Iterable[Mapping[str, Any]]) -> tuple[Decimal, Decimal]:
    """The sums of the ``debit`` and ``credit`` of trial balance rows."""
    debit = credit = _ZERO
    for row in rows:
        debit += row["debit"]
        credit += row["credit"]
    return debit, credit


# -- concurrency ---------------------------------------------------------------------------------

_In = TypeVar("_In")
_Out = TypeVar("_Out")


def ordered_map(fn: Callable[[_In], _Out], items: Iterable[_In], workers: int) -> Iterator[_Out]:
    """``map`` on a thread pool, results in the order of ``items``, at most ``2 * workers`` ahead."""
    source = iter(items)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="qbo-report") as pool:
        pending: deque[Future[_Out]] = deque(pool.submit(fn, item) for item in islice(source, 2 * workers))
        try:
            while pending:
                result = pending.popleft().result()
                pending.extend(pool.submit(fn, item) for item in islice(source, 1))
                yield result
        finally:
            for future in pending:
                future.cancel()


# -- streams ------------------------------------------------------------------------------------


def _common_properties() -> list[th.Property[Any]]:
    return [
        th.Property(
            "account_key",
            th.StringType,
            required=True,
            description="account_id, or account_name when QBO gives no id (Retained Earnings, Net Income)",
        ),
        th.Property("account_id", th.StringType, description="Id of the Account"),
        th.Property("account_name", th.StringType),
    ]


def _period_properties() -> list[th.Property[Any]]:
    return [
        th.Property("period_start", th.DateType, required=True),
        th.Property("period_end", th.DateType, required=True),
        th.Property(
            "accounting_method", th.StringType(allowed_values=list(ACCOUNTING_METHODS)), required=True
        ),
        th.Property("report_currency", th.StringType, description="The company's home currency"),
        th.Property("fetched_at", th.DateTimeType, required=True, description="When QBO answered"),
    ]


def _trial_balance_schema() -> dict[str, Any]:
    return th.PropertiesList(
        *_common_properties(),
        th.Property(
            "debit", th.NumberType, required=True, description="Balance as of period_end, debit side"
        ),
        th.Property(
            "credit", th.NumberType, required=True, description="Balance as of period_end, credit side"
        ),
        *_period_properties(),
    ).to_dict()


def _amount_schema(meaning: str) -> dict[str, Any]:
    return th.PropertiesList(
        *_common_properties(),
        th.Property("parent_account_id", th.StringType, description="The parent of a sub-account"),
        th.Property("section", th.StringType, description='Outermost group: "Income", "TotalAssets", ...'),
        th.Property("group", th.StringType, description='Innermost group: "Expenses", "BankAccounts", ...'),
        th.Property(
            "group_path", th.ArrayType(th.StringType), description="Titles of the sections, outermost first"
        ),
        th.Property("amount", th.NumberType, required=True, description=meaning),
        *_period_properties(),
    ).to_dict()


@dataclass(frozen=True)
class _Kind:
    """How one report becomes records."""

    name: str
    schema: Callable[[], dict[str, Any]]
    rows: Callable[[Report], list[dict[str, Any]]]
    #: How the rows of a period's halves add up to the period's; None for balances as of a date.
    merge: Callable[[Sequence[Sequence[Mapping[str, Any]]]], list[dict[str, Any]]] | None
    #: The report answers a balance as of its end date (checked: debits equal credits).
    balanced: bool = False


_KINDS: dict[str, _Kind] = {
    kind.name: kind
    for kind in (
        _Kind("TrialBalance", _trial_balance_schema, trial_balance_rows, merge=None, balanced=True),
        _Kind(
            "ProfitAndLoss",
            lambda: _amount_schema("Income and expense over the period (income positive)"),
            amount_rows,
            merge=merge_amount_rows,
        ),
        _Kind("BalanceSheet", lambda: _amount_schema("Balance as of period_end"), amount_rows, merge=None),
    )
}
#: Reports read by a module of their own (its ``report_definition`` and ``report_reader``).
_MODULES: dict[str, str] = {
    **dict.fromkeys(
        (
            "AgedReceivables",
            "AgedReceivableDetail",
            "AgedPayables",
            "AgedPayableDetail",
            "CustomerBalance",
            "VendorBalance",
            "CashFlow",
        ),
        "tap_quickbooks.online.report_aging",
    ),
    **dict.fromkeys(
        ("GeneralLedger", "ProfitAndLossDetail", "TransactionList"), "tap_quickbooks.online.report_detail"
    ),
}
#: The reports synced when the ``reports`` setting is not set (the others are opt-in).
DEFAULT_REPORTS: tuple[str, ...] = ("TrialBalance", "ProfitAndLoss", "BalanceSheet")
if set(_KINDS) | set(_MODULES) != set(REPORTS):  # the catalog lists the reports; each needs a reader
    raise RuntimeError(f"report readers {sorted(_KINDS)} do not match the catalog's {sorted(REPORTS)}")


@dataclass(frozen=True)
class _Fetched:
    period: Period
    method: str
    parts: list[Report]
    fetched_at: str


class ReportReader:
    """How one report of one run is read: each accounting method's periods in one request with a
    column per period, or a period alone (split in halves while too large) when QBO cannot answer
    them together; records in period order."""

    def __init__(self, client: QBOClient, kind: _Kind, unit: str, logger: logging.Logger) -> None:
        self.client = client
        self.kind = kind
        self.unit = unit
        self.logger = logger

    def _read(self, period: Period, method: str) -> list[Report]:
        """The report for a period, or for its halves (and theirs) while QBO says it is too large."""
        params = {
            "start_date": period.start.isoformat(),
            "end_date": period.end.isoformat(),
            "accounting_method": method,
            "summarize_column_by": "Total",
        }
        fault: QBOError | None = None
        try:
            report = read_report(self.client.report(self.kind.name, params))
        except QBOError as exc:
            if TRUNCATION_NOTICE.lower() not in f"{exc.message} {exc.detail}".lower():
                raise
            fault = exc
        else:
            if not report.truncated:
                return [report]
        if self.kind.merge is None or period.start == period.end:
            why = "it is a balance as of a date" if self.kind.merge is None else "it covers a single day"
            raise ReportTooLargeError(
                f"{self.kind.name} {period} ({method}) is larger than QuickBooks returns "
                f"({TRUNCATION_NOTICE!r}) and cannot be split: {why}",
                code=fault.code if fault else "",
                intuit_tid=fault.intuit_tid if fault else "",
            )
        first, second = period.halves()
        self.logger.info(
            "%s %s (%s) is too large for QBO: reading %s and %s",
            self.kind.name,
            period,
            method,
            first,
            second,
        )
        return self._read(first, method) + self._read(second, method)

    def _read_columns(self, periods: list[Period], method: str) -> list[_Fetched] | None:
        """Every period's report from one request with a column per period; None when QBO cannot
        answer that whole (too large) or its columns are not the periods (then: one per period)."""
        params = {
            "start_date": periods[0].start.isoformat(),
            "end_date": periods[-1].end.isoformat(),
            "accounting_method": method,
            "summarize_column_by": COLUMNS_BY[self.unit],
        }
        try:
            report = read_report(self.client.report(self.kind.name, params))
        except QBOError as exc:
            if TRUNCATION_NOTICE.lower() not in f"{exc.message} {exc.detail}".lower():
                raise
            report = None
        fetched_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        found: list[_Fetched] = []
        for period in periods:
            part = None if report is None or report.truncated else report.for_period(period.start, period.end)
            if part is None:
                self.logger.info(
                    "%s %s..%s (%s) cannot be read in one request: reading it period by period",
                    self.kind.name,
                    periods[0].start,
                    periods[-1].end,
                    method,
                )
                return None
            found.append(_Fetched(period, method, [part], fetched_at))
        return found

    def _fetch(self, job: tuple[Period, str]) -> _Fetched:
        period, method = job
        parts = self._read(period, method)
        return _Fetched(period, method, parts, datetime.now(timezone.utc).isoformat(timespec="seconds"))

    def _records(self, fetched: _Fetched) -> list[dict[str, Any]]:
        return period_records(
            self.kind.name, fetched.period, fetched.method, fetched.parts, fetched.fetched_at, self.logger
        )

    def records(self, periods: Sequence[Period], methods: Sequence[str]) -> Iterator[dict[str, Any]]:
        """Records of every period and accounting method, period by period."""
        periods = list(periods)
        workers = max(1, min(_WORKERS, self.client.config.max_in_flight, len(periods) * len(methods)))
        together: dict[str, list[_Fetched]] = {}
        if len(periods) > 1:
            read = ordered_map(lambda method: self._read_columns(periods, method), methods, workers)
            together = {method: found for method, found in zip(methods, read, strict=True) if found}
        jobs = [(period, method) for period in periods for method in methods if method not in together]
        alone = ordered_map(self._fetch, jobs, workers)
        for i in range(len(periods)):
            for method in methods:
                fetched = together[method][i] if method in together else next(alone)
                yield from self._records(fetched)


def period_records(
    name: str,
    period: Period,
    method: str,
    parts: Sequence[Report],
    fetched_at: str,
    logger: logging.Logger,
) -> list[dict[str, Any]]:
    """The records of one report for one period and accounting method, from the report (or the
    reports of its pieces) read for it: the rows of the report's kind, each keyed and stamped with
    the period, the method, the currency and when it was read; a trial balance that does not balance
    is logged. Every edition's reports become records here (QuickBooks Desktop builds its
    :class:`Report` from a ``ReportRet``)."""
    kind = _KINDS[name]
    per_part = [kind.rows(part) for part in parts]
    if len(per_part) == 1:
        rows = per_part[0]
    else:
        assert kind.merge is not None  # only additive reports are split
        rows = kind.merge(per_part)
    currency = next((p.currency for p in parts if p.currency), None)
    for row in rows:
        row["account_key"] = account_key(row)
        # A split period's rows (and any column of the whole one) belong to the period asked for.
        row["period_start"] = period.start.isoformat()
        row["period_end"] = period.end.isoformat()
        row["accounting_method"] = method
        row["report_currency"] = currency
        row["fetched_at"] = fetched_at
    if kind.balanced:
        debit, credit = totals(rows)
        if debit != credit:
            logger.warning(
                "%s %s (%s) does not balance: debits %s, credits %s", name, period, method, debit, credit
            )
    return rows


def report_definition(name: str) -> ReportDefinition:
    """The stream of one report: its schema and key (the same for every edition that has it)."""
    if name in _MODULES:
        return importlib.import_module(_MODULES[name]).report_definition(name)
    return ReportDefinition(
        name, _KINDS[name].schema(), ("account_key", "period_start", "period_end", "accounting_method")
    )


# -- what the tap imports ------------------------------------------------------------------------

REPORT_SETTINGS: list[th.Property[Any]] = [
    th.Property(
        "reports",
        th.ArrayType(th.StringType(allowed_values=list(REPORTS))),
        default=list(DEFAULT_REPORTS),
        description="Reports to sync, one stream each (default: TrialBalance, ProfitAndLoss, BalanceSheet)",
    ),
    th.Property(
        "report_start_date",
        th.DateType,
        description="First day whose period the reports cover (YYYY-MM-DD); default: start_date",
    ),
    th.Property(
        "report_period",
        th.StringType(allowed_values=list(PERIOD_UNITS)),
        default="month",
        description="Length of a report period: calendar month, quarter or year",
    ),
    th.Property(
        "report_accounting_methods",
        th.ArrayType(th.StringType(allowed_values=list(ACCOUNTING_METHODS))),
        default=["Accrual"],
        description="Accounting methods to read each report in",
    ),
    th.Property(
        "report_lookback_periods",
        th.IntegerType(minimum=0),
        default=1,
        description="Closed periods before the bookmark's that an incremental run reads again (late entries)",
    ),
    th.Property(
        "report_aging_period",
        th.IntegerType(minimum=1, maximum=365),
        default=30,
        description="Days in each aging bucket of AgedReceivables, AgedPayables and their Detail reports",
    ),
    th.Property(
        "report_aging_num_periods",
        th.IntegerType(minimum=1, maximum=20),
        default=4,
        description="Aging buckets after Current, the last one open-ended (91 and over by default)",
    ),
    th.Property(
        "report_filters",
        th.ObjectType(additional_properties=th.ObjectType(additional_properties=th.AnyType())),
        description=(
            "Filters of the detail reports (GeneralLedger, ProfitAndLossDetail, TransactionList), per "
            "report: account, customer, vendor, class or department, an Id or a list of Ids, e.g. "
            '{"GeneralLedger": {"account": "35"}}; QuickBooks applies them'
        ),
    ),
]


def report_definitions(config: Mapping[str, Any]) -> list[ReportDefinition]:
    """The reports the ``reports`` setting asks for."""
    names = config.get("reports")
    wanted = list(DEFAULT_REPORTS) if names is None else [str(n) for n in names]
    unknown = [n for n in wanted if n not in _KINDS and n not in _MODULES]
    if unknown:
        raise ValueError(f"reports: {', '.join(unknown)} not among {', '.join(REPORTS)}")
    return [report_definition(name) for name in dict.fromkeys(wanted)]


def report_reader(
    client: QBOClient, name: str, unit: str, logger: logging.Logger, config: Mapping[str, Any] | None = None
) -> Any:
    """The reader of one report in one run (``records(periods, methods)``)."""
    if name in _MODULES:
        return importlib.import_module(_MODULES[name]).report_reader(client, name, unit, logger, config or {})
    return ReportReader(client, _KINDS[name], unit, logger)
