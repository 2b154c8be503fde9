"""Reports in the shape QuickBooks Online answers them: TrialBalance, ProfitAndLoss, BalanceSheet.

Pure functions: the caller hands over the chart of accounts, the company's settings and a
``balances`` function over its ledger (debit minus credit per account for a date range and a
basis); :func:`run_report` returns the report's JSON (``Header``, ``Columns``, ``Rows``).

The layout follows real QBO answers: money as strings with two decimals and no thousands
separator, sections with ``Header``/``Rows``/``Summary`` and a ``group`` name, sub-accounts nested
in a section named after their parent, and ``Net Income`` as a data row of the balance sheet's
equity. Income and expense accounts restart at each fiscal year: earlier years' net income shows
on the Retained Earnings line (trial balance and balance sheet alike).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pendulum

from .ledger import ACCOUNT_TYPES, account_type, find_special

BalanceFn = Callable[[date | None, date, str], dict[str, float]]
"""(start or None for the beginning of time, end inclusive, "accrual"|"cash") -> {Id: debit - credit}"""

REPORT_NAMES = ("TrialBalance", "ProfitAndLoss", "BalanceSheet")
_REPORT_KEYS = {n.lower(): n for n in REPORT_NAMES}

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_ABBR = tuple(m[:3] for m in _MONTHS)

#: summarize_column_by value -> the period unit of its columns (None: one Total column).
_SUMMARIZE: dict[str, str | None] = {
    "Total": None,
    "Days": "day",
    "Week": "week",
    "Month": "month",
    "Quarter": "quarter",
    "Year": "year",
    "FiscalQuarter": "fiscal quarter",
    "FiscalYear": "fiscal year",
}
_SUMMARIZE_KEYS = {k.lower(): k for k in _SUMMARIZE}
#: Real QBO values the sandbox does not break down by (it keeps no per-name ledger).
_SUMMARIZE_UNSUPPORTED = {
    "customers",
    "vendors",
    "employees",
    "departments",
    "classes",
    "productsandservices",
}
_MAX_COLUMNS = 1000

_MACRO = re.compile(
    r"(this|last|next) (week|month|quarter|year|fiscal quarter|fiscal year|calendar quarter|calendar year)"
    r"(-to-date)?"
)

_TYPE_ORDER = {t: i for i, t in enumerate(ACCOUNT_TYPES)}
_PL_TYPES = ("Income", "Cost of Goods Sold", "Expense", "Other Income", "Other Expense")
_INCOME_TYPES = ("Income", "Other Income")


class ReportError(Exception):
    """A request the server answers with a Fault (``code``, ``message``, ``detail``).

    Codes used: "500" Unsupported Operation for a report the sandbox does not have (an unknown
    path, as QBO answers one); "2010" for a parameter it cannot take (bad date, unknown
    date_macro, accounting_method or summarize_column_by, start after end, too many columns).
    """

    def __init__(self, code: str, message: str, detail: str) -> None:
        super().__init__(f"{code} {message}: {detail}")
        self.code = code
        self.message = message
        self.detail = detail


def _bad_param(detail: str) -> ReportError:
    return ReportError("2010", "Request has invalid or unsupported property", detail)


# -- dates --------------------------------------------------------------------------------------


def _pd(d: date) -> pendulum.Date:
    return pendulum.date(d.year, d.month, d.day)


def _plain(d: date) -> date:
    """A plain ``datetime.date`` (callers store and compare them; pendulum's subclass stays inside)."""
    return date(d.year, d.month, d.day)


def _period_start(d: pendulum.Date, unit: str, fy_month: int) -> pendulum.Date:
    if unit == "day":
        return d
    if unit == "week":  # QBO's US weeks start on Sunday
        return d.subtract(days=(d.weekday() + 1) % 7)
    if unit == "month":
        return d.start_of("month")
    months = 3 if unit.endswith("quarter") else 12
    anchor = fy_month if unit.startswith("fiscal") else 1
    return d.start_of("month").subtract(months=(d.month - anchor) % months)


def _shift(d: pendulum.Date, unit: str, n: int) -> pendulum.Date:
    """``d`` moved by ``n`` periods (month arithmetic clamps to the month's last day)."""
    if unit == "day":
        return d.add(days=n)
    if unit == "week":
        return d.add(weeks=n)
    if unit == "month":
        return d.add(months=n)
    return d.add(months=n * (3 if unit.endswith("quarter") else 12))


def _period_end(start: pendulum.Date, unit: str) -> pendulum.Date:
    return _shift(start, unit, 1).subtract(days=1)


def fiscal_year_start(d: date, fy_month: int) -> date:
    """The first day of the fiscal year that contains ``d``."""
    return _plain(_period_start(_pd(d), "fiscal year", fy_month))


def _macro_key(macro: str) -> str:
    key = " ".join(macro.strip().lower().split())
    return re.sub(r"[ -]?to[ -]date$", "-to-date", key)


def resolve_date_macro(macro: str, today: date, fy_month: int = 1) -> tuple[date, date]:
    """The (start, end) dates of a QBO date_macro ("This Fiscal Quarter", "Last Month-to-date", ...).

    Case-insensitive. "X-to-date" ends today ("Last X-to-date": the same point of the last
    period). "This Year", "Last Quarter" and the like mean calendar periods.
    """
    key = _macro_key(macro)
    t = _pd(today)
    if key == "today":
        return _plain(t), _plain(t)
    if key == "yesterday":
        y = t.subtract(days=1)
        return _plain(y), _plain(y)
    if key == "next 4 weeks":
        start = _period_start(t, "week", fy_month).add(weeks=1)
        return _plain(start), _plain(start.add(weeks=4).subtract(days=1))
    match = _MACRO.fullmatch(key)
    if match is None or (match.group(1) == "next" and match.group(3)):
        raise _bad_param(f"date_macro {macro!r} is not a date macro QuickBooks knows")
    offset = {"this": 0, "last": -1, "next": 1}[match.group(1)]
    unit = match.group(2).replace("calendar ", "")
    start = _shift(_period_start(t, unit, fy_month), unit, offset)
    end = _shift(t, unit, offset) if match.group(3) else _period_end(start, unit)
    return _plain(start), _plain(end)


def column_periods(start: date, end: date, summarize: str, fy_month: int = 1) -> list[tuple[date, date]]:
    """The (start, end) of each column for a summarize_column_by value, clipped to [start, end]."""
    unit = _SUMMARIZE.get(summarize)
    if unit is None:
        return [(start, end)]
    periods: list[tuple[date, date]] = []
    cur = _pd(start)
    last = _pd(end)
    while cur <= last:
        stop = min(_period_end(_period_start(cur, unit, fy_month), unit), last)
        periods.append((_plain(cur), _plain(stop)))
        if len(periods) > _MAX_COLUMNS:
            raise _bad_param(f"summarize_column_by={summarize} gives more than {_MAX_COLUMNS} columns")
        cur = stop.add(days=1)
    return periods


def column_title(start: date, end: date) -> str:
    """A column's title as QBO words it: "Jan 2024", "Jan - Mar 2024", "Jan 1-14, 2024"."""
    a, b = _ABBR[start.month - 1], _ABBR[end.month - 1]
    whole_months = start.day == 1 and _pd(end) == _pd(end).end_of("month")
    if start == end:
        return f"{a} {start.day}, {start.year}"
    if whole_months:
        if (start.year, start.month) == (end.year, end.month):
            return f"{a} {start.year}"
        if start.year == end.year:
            return f"{a} - {b} {start.year}"
        return f"{a} {start.year} - {b} {end.year}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{a} {start.day}-{end.day}, {start.year}"
    if start.year == end.year:
        return f"{a} {start.day} - {b} {end.day}, {start.year}"
    return f"{a} {start.day}, {start.year} - {b} {end.day}, {end.year}"


# -- options ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Options:
    start: date
    end: date
    macro: str | None  # the DateMacro header (lower case, as QBO echoes it), None for explicit dates
    basis: str  # "Accrual" or "Cash"
    summarize: str
    fy_month: int
    currency: str


def _parse_date(value: str, param: str) -> date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise _bad_param(f"{param} {value!r} is not a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _bad_param(f"{param} {value!r} is not a date (YYYY-MM-DD)") from None


def _month_number(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 12:
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text.isdigit() and 1 <= int(text) <= 12:
            return int(text)
        for i, name in enumerate(_MONTHS):
            if text in (name.lower(), name[:3].lower()):
                return i + 1
    return None


def _dig(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def _options(
    params: Mapping[str, str], company: Mapping[str, Any], prefs: Mapping[str, Any], today: date
) -> _Options:
    p = {str(k).lower(): str(v).strip() for k, v in params.items() if v is not None}
    fy_month = (
        _month_number(company.get("FiscalYearStartMonth"))
        or _month_number(_dig(prefs, "AccountingInfoPrefs", "FirstMonthOfFiscalYear"))
        or 1
    )
    macro = p.get("date_macro") or None
    macro_dates = resolve_date_macro(macro, today, fy_month) if macro else None
    start = _parse_date(p["start_date"], "start_date") if p.get("start_date") else None
    end = _parse_date(p["end_date"], "end_date") if p.get("end_date") else None
    label: str | None = None
    if start is None and end is None:
        # Without dates QBO reports this month to date, and says so.
        macro = macro or "This Month-to-date"
        start, end = macro_dates or resolve_date_macro(macro, today, fy_month)
        label = _macro_key(macro)
    elif start is None:
        assert end is not None
        start = macro_dates[0] if macro_dates else _plain(_pd(end).start_of("month"))
    elif end is None:
        end = macro_dates[1] if macro_dates else max(start, today)
    if start > end:
        raise _bad_param(f"start_date {start.isoformat()} is after end_date {end.isoformat()}")

    method = p.get("accounting_method")
    if method:
        if method.lower() not in ("accrual", "cash"):
            raise _bad_param(f"accounting_method {method!r} must be Accrual or Cash")
        basis = method.capitalize()
    else:
        pref = _dig(prefs, "ReportPrefs", "ReportBasis")
        basis = (
            pref.capitalize() if isinstance(pref, str) and pref.lower() in ("accrual", "cash") else "Accrual"
        )

    by = p.get("summarize_column_by") or "Total"
    summarize = _SUMMARIZE_KEYS.get(by.lower())
    if summarize is None:
        why = "is not supported by the sandbox" if by.lower() in _SUMMARIZE_UNSUPPORTED else "is not valid"
        raise _bad_param(f"summarize_column_by={by} {why}")

    currency = (
        _dig(prefs, "CurrencyPrefs", "HomeCurrency", "value")
        or _dig(company, "HomeCurrency", "value")
        or (company.get("HomeCurrency") if isinstance(company.get("HomeCurrency"), str) else None)
        or "USD"
    )
    return _Options(start, end, label, basis, summarize, fy_month, str(currency))


# -- amounts and accounts -----------------------------------------------------------------------


def _cents(value: float) -> int:
    return int((Decimal(str(value)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def money(cents: int) -> str:
    """QBO's money text: "-1234.50" (two decimals, no thousands separator)."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole}.{frac:02d}"


def _cell(cents: int) -> dict[str, str]:
    return {"value": money(cents) if cents else ""}


@dataclass(frozen=True)
class _Acct:
    id: str
    name: str
    fqn: str
    type: str
    parent: str | None

    @property
    def is_pl(self) -> bool:
        return self.type in _PL_TYPES

    @property
    def debit_normal(self) -> bool:
        return ACCOUNT_TYPES[self.type][1]


class _Chart:
    """The chart of accounts as the reports group it."""

    def __init__(self, accounts: Sequence[Mapping[str, Any]]) -> None:
        self.by_id: dict[str, _Acct] = {}
        for raw in accounts:
            aid = str(raw.get("Id", ""))
            if not aid:
                continue
            name = str(raw.get("Name") or raw.get("FullyQualifiedName") or f"Account {aid}")
            parent = raw.get("ParentRef")
            self.by_id[aid] = _Acct(
                id=aid,
                name=name,
                fqn=str(raw.get("FullyQualifiedName") or name),
                # A type QBO does not post to should never hold a balance; show it as an asset if it does.
                type=account_type(raw.get("AccountType")) or "Other Asset",
                parent=str(parent.get("value"))
                if isinstance(parent, Mapping) and parent.get("value")
                else None,
            )
        retained = find_special(accounts, "RetainedEarnings")
        self.retained_id = str(retained["Id"]) if retained else ""
        if not self.retained_id:
            # Earlier years' income needs a home even in a chart without Retained Earnings.
            self.by_id[""] = _Acct("", "Retained Earnings", "Retained Earnings", "Equity", None)

    def get(self, aid: str) -> _Acct:
        found = self.by_id.get(aid)
        if found is None:  # a posting to an account the chart no longer lists: still counted
            found = _Acct(aid, f"Account {aid}", f"Account {aid}", "Other Asset", None)
            self.by_id[aid] = found
        return found

    def of_types(self, types: Sequence[str]) -> list[_Acct]:
        return [a for a in self.by_id.values() if a.type in types]


class _Ledger:
    """The caller's balances in cents, each (start, end, basis) asked once."""

    def __init__(self, balances: BalanceFn, basis: str) -> None:
        self.balances = balances
        self.basis = basis
        self._memo: dict[tuple[date | None, date], dict[str, int]] = {}

    def __call__(self, start: date | None, end: date) -> dict[str, int]:
        key = (start, end)
        if key not in self._memo:
            raw = self.balances(start, end, self.basis)
            self._memo[key] = {str(k): c for k, v in raw.items() if (c := _cents(v))}
        return self._memo[key]


def _as_of(ledger: _Ledger, chart: _Chart, end: date, fy_month: int) -> tuple[dict[str, int], int]:
    """Debit-minus-credit per account as a trial balance shows it on ``end``, and the year's result.

    Balance-sheet accounts are cumulative; income and expense accounts start at the fiscal year;
    earlier years' result moves to Retained Earnings. The second value is this fiscal year's
    income and expense total (debit minus credit: a profit is negative).
    """
    fy_start = fiscal_year_start(end, fy_month)
    cumulative = ledger(None, end)
    this_year = ledger(fy_start, end)
    out: dict[str, int] = {}
    earlier = 0
    year_result = 0
    for aid, cents in cumulative.items():
        if not chart.get(aid).is_pl:
            out[aid] = cents
    # An income or expense account can net to zero over all time yet not within this year (a
    # credit memo last year, a sale this year): walk both sides so its earlier part is not lost.
    for aid in sorted(cumulative.keys() | this_year.keys()):
        if chart.get(aid).is_pl:
            now = this_year.get(aid, 0)
            earlier += cumulative.get(aid, 0) - now
            if now:
                out[aid] = now
                year_result += now
    if earlier:
        out[chart.retained_id] = out.get(chart.retained_id, 0) + earlier
    return {k: v for k, v in out.items() if v}, year_result


# -- report pieces ------------------------------------------------------------------------------


def _meta(
    title: str, start: date | None = None, end: date | None = None, key: str | None = None
) -> list[dict[str, str]]:
    meta: list[dict[str, str]] = []
    if start is not None and end is not None:
        meta += [
            {"Name": "StartDate", "Value": start.isoformat()},
            {"Name": "EndDate", "Value": end.isoformat()},
        ]
    meta.append({"Name": "ColKey", "Value": key or title})
    return meta


def _money_columns(periods: list[tuple[date, date]] | None, total: bool) -> list[dict[str, Any]]:
    """The columns of a P&L or balance sheet: Account, one per period (if broken down), Total (if asked)."""
    cols: list[dict[str, Any]] = [{"ColTitle": "", "ColType": "Account", "MetaData": _meta("account")}]
    for s, e in periods or []:
        title = column_title(s, e)
        cols.append({"ColTitle": title, "ColType": "Money", "MetaData": _meta(title, s, e)})
    if total:
        cols.append({"ColTitle": "Total", "ColType": "Money", "MetaData": _meta("Total", key="total")})
    return cols


def _account_cell(acct: _Acct, label: str) -> dict[str, str]:
    cell = {"value": label}
    if acct.id:
        cell["id"] = acct.id
    return cell


def _account_rows(accts: list[_Acct], values: list[dict[str, int]]) -> tuple[list[dict[str, Any]], list[int]]:
    """Rows for a group of accounts, sub-accounts nested in a section of their parent.

    ``values`` holds one {account Id: shown amount in cents} per column. Accounts with nothing in
    any column are left out; a parent with an amount of its own leads its section with a data row.
    """
    n = len(values)
    ids = {a.id for a in accts}
    children: dict[str | None, list[_Acct]] = {}
    for acct in accts:
        parent = acct.parent if acct.parent in ids and not _in_cycle(acct, accts) else None
        children.setdefault(parent, []).append(acct)
    for group in children.values():
        group.sort(key=lambda a: (a.name.lower(), a.id))

    def render(acct: _Acct) -> tuple[dict[str, Any] | None, list[int]]:
        own = [v.get(acct.id, 0) for v in values]
        kids = [r for r in (render(c) for c in children.get(acct.id, [])) if r[0] is not None]
        own_row = {"ColData": [_account_cell(acct, acct.name)] + [_cell(c) for c in own], "type": "Data"}
        if not kids:
            return (own_row if any(own) else None), own
        totals = [sum(col) for col in zip(own, *(k[1] for k in kids), strict=True)]
        rows = ([own_row] if any(own) else []) + [k[0] for k in kids if k[0] is not None]
        section = {
            "Header": {"ColData": [_account_cell(acct, acct.name)] + [{"value": ""}] * n},
            "Rows": {"Row": rows},
            "Summary": {"ColData": [{"value": f"Total {acct.name}"}] + [{"value": money(t)} for t in totals]},
            "type": "Section",
        }
        return section, totals

    rows: list[dict[str, Any]] = []
    totals = [0] * n
    for acct in children.get(None, []):
        row, sums = render(acct)
        if row is not None:
            rows.append(row)
            totals = [a + b for a, b in zip(totals, sums, strict=True)]
    return rows, totals


def _in_cycle(acct: _Acct, accts: list[_Acct]) -> bool:
    parents = {a.id: a.parent for a in accts}
    seen = {acct.id}
    cur = acct.parent
    while cur in parents:
        if cur in seen:
            return True
        seen.add(cur)
        cur = parents[cur]
    return False


def _section(
    group: str,
    title: str,
    rows: list[dict[str, Any]],
    totals: list[int],
    total_title: str,
    *,
    keep_rows: bool = False,
) -> dict[str, Any]:
    n = len(totals)
    section: dict[str, Any] = {"Header": {"ColData": [{"value": title}] + [{"value": ""}] * n}}
    if rows or keep_rows:
        section["Rows"] = {"Row": rows}
    section["type"] = "Section"
    section["group"] = group
    amounts = [{"value": money(t)} for t in totals] if rows or keep_rows else [{"value": ""}] * n
    section["Summary"] = {"ColData": [{"value": total_title}, *amounts]}
    return section


def _summary_row(group: str, title: str, totals: list[int]) -> dict[str, Any]:
    return {
        "group": group,
        "type": "Section",
        "Summary": {"ColData": [{"value": title}] + [{"value": money(t)} for t in totals]},
    }


# -- the three reports --------------------------------------------------------------------------


def _trial_balance(
    opts: _Options, ledger: _Ledger, chart: _Chart
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], bool]:
    # Broken down, each period's pair of columns is the trial balance at the period's end, and the
    # Total pair the one at the report's end; titles stay "Debit"/"Credit", ColKey tells them apart.
    spans: list[tuple[str, date, date]] = [("Total", opts.start, opts.end)]
    columns: list[dict[str, Any]] = [{"ColTitle": "", "ColType": "Account"}]
    if opts.summarize == "Total":
        columns += [{"ColTitle": "Debit", "ColType": "Money"}, {"ColTitle": "Credit", "ColType": "Money"}]
    else:
        periods = column_periods(opts.start, opts.end, opts.summarize, opts.fy_month)
        spans = [(column_title(s, e), s, e) for s, e in periods] + spans
        columns[0]["MetaData"] = _meta("account")
        for title, s, e in spans:
            for side in ("Debit", "Credit"):
                columns.append(
                    {"ColTitle": side, "ColType": "Money", "MetaData": _meta(side, s, e, f"{title} {side}")}
                )
    snapshots = [_as_of(ledger, chart, end, opts.fy_month)[0] for _, _, end in spans]

    ids = {aid for snap in snapshots for aid in snap}
    accts = sorted((chart.get(aid) for aid in ids), key=lambda a: (_TYPE_ORDER[a.type], a.fqn.lower(), a.id))
    rows: list[dict[str, Any]] = []
    debits = [0] * len(snapshots)
    credits = [0] * len(snapshots)
    for acct in accts:
        cells: list[dict[str, str]] = [_account_cell(acct, acct.fqn)]
        for i, snap in enumerate(snapshots):
            cents = snap.get(acct.id, 0)
            debits[i] += max(cents, 0)
            credits[i] += max(-cents, 0)
            cells += [_cell(max(cents, 0)), _cell(max(-cents, 0))]
        rows.append({"ColData": cells, "type": "Data"})
    summary: list[dict[str, str]] = [{"value": "TOTAL"}]
    for d, c in zip(debits, credits, strict=True):
        summary += [{"value": money(d)}, {"value": money(c)}]
    rows.append({"group": "GrandTotal", "type": "Section", "Summary": {"ColData": summary}})
    return columns, rows, bool(accts)


def _profit_and_loss(
    opts: _Options, ledger: _Ledger, chart: _Chart
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], bool]:
    periods = (
        column_periods(opts.start, opts.end, opts.summarize, opts.fy_month)
        if opts.summarize != "Total"
        else None
    )
    spans = [*(periods or []), (opts.start, opts.end)]
    values: list[dict[str, int]] = []
    for s, e in spans:
        raw = ledger(s, e)
        shown: dict[str, int] = {}
        for aid, cents in raw.items():
            acct = chart.get(aid)
            if acct.is_pl:
                shown[aid] = -cents if acct.type in _INCOME_TYPES else cents
        values.append(shown)

    def group(*types: str) -> tuple[list[dict[str, Any]], list[int]]:
        return _account_rows(chart.of_types(types), values)

    income, income_t = group("Income")
    cogs, cogs_t = group("Cost of Goods Sold")
    expenses, expenses_t = group("Expense")
    other_income, other_income_t = group("Other Income")
    other_expenses, other_expenses_t = group("Other Expense")
    gross = [a - b for a, b in zip(income_t, cogs_t, strict=True)]
    operating = [a - b for a, b in zip(gross, expenses_t, strict=True)]
    other = [a - b for a, b in zip(other_income_t, other_expenses_t, strict=True)]
    net = [a + b for a, b in zip(operating, other, strict=True)]

    rows = [_section("Income", "Income", income, income_t, "Total Income")]
    if cogs:  # QBO leaves out an empty cost-of-sales section
        rows.append(_section("COGS", "Cost of Goods Sold", cogs, cogs_t, "Total Cost of Goods Sold"))
    rows.append(_summary_row("GrossProfit", "Gross Profit", gross))
    rows.append(_section("Expenses", "Expenses", expenses, expenses_t, "Total Expenses"))
    rows.append(_summary_row("NetOperatingIncome", "Net Operating Income", operating))
    if other_income or other_expenses:
        if other_income:
            rows.append(
                _section("OtherIncome", "Other Income", other_income, other_income_t, "Total Other Income")
            )
        if other_expenses:
            rows.append(
                _section(
                    "OtherExpenses",
                    "Other Expenses",
                    other_expenses,
                    other_expenses_t,
                    "Total Other Expenses",
                )
            )
        rows.append(_summary_row("NetOtherIncome", "Net Other Income", other))
    rows.append(_summary_row("NetIncome", "Net Income", net))
    has_data = bool(income or cogs or expenses or other_income or other_expenses)
    return _money_columns(periods, total=True), rows, has_data


#: (group, header, summary title, sub-groups or the account types listed)
_Node = tuple[str, str, str, tuple[str, ...] | list[Any]]


def _node(group: str, title: str, content: tuple[str, ...] | list[_Node], total: str = "") -> _Node:
    return (group, title, total or f"Total {title}", content)


_BALANCE_SHEET: list[_Node] = [
    _node("TotalAssets", "ASSETS", [
        _node("CurrentAssets", "Current Assets", [
            _node("BankAccounts", "Bank Accounts", ("Bank",)),
            _node("AR", "Accounts Receivable", ("Accounts Receivable",)),
            _node("OtherCurrentAssets", "Other Current Assets", ("Other Current Asset",)),
        ]),
        _node("FixedAssets", "Fixed Assets", ("Fixed Asset",)),
        _node("OtherAssets", "Other Assets", ("Other Asset",)),
    ], "TOTAL ASSETS"),
    _node("TotalLiabilitiesAndEquity", "LIABILITIES AND EQUITY", [
        _node("Liabilities", "Liabilities", [
            _node("CurrentLiabilities", "Current Liabilities", [
                _node("AP", "Accounts Payable", ("Accounts Payable",)),
                _node("CreditCards", "Credit Cards", ("Credit Card",)),
                _node("OtherCurrentLiabilities", "Other Current Liabilities", ("Other Current Liability",)),
            ]),
            _node("LongTermLiabilities", "Long-Term Liabilities", ("Long Term Liability",)),
        ]),
        _node("Equity", "Equity", ("Equity",)),
    ], "TOTAL LIABILITIES AND EQUITY"),
]  # fmt: skip


def _balance_sheet(
    opts: _Options, ledger: _Ledger, chart: _Chart
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], bool]:
    broken_down = opts.summarize != "Total"
    periods = column_periods(opts.start, opts.end, opts.summarize, opts.fy_month)
    values: list[dict[str, int]] = []
    net_income: list[int] = []
    for _, end in periods:  # a column is the position at its end date, so no Total column when broken down
        snapshot, year_result = _as_of(ledger, chart, end, opts.fy_month)
        values.append(
            {
                a: (c if chart.get(a).debit_normal else -c)
                for a, c in snapshot.items()
                if not chart.get(a).is_pl
            }
        )
        net_income.append(-year_result)
    n = len(values)

    def render(node: _Node, top: bool) -> tuple[dict[str, Any] | None, list[int]]:
        group, title, total_title, content = node
        if isinstance(content, tuple):
            rows, totals = _account_rows(chart.of_types(content), values)
            if group == "Equity":  # this fiscal year's result sits in equity as "Net Income"
                rows.append(
                    {
                        "ColData": [{"value": "Net Income"}] + [{"value": money(c)} for c in net_income],
                        "type": "Data",
                        "group": "NetIncome",
                    }
                )
                totals = [a + b for a, b in zip(totals, net_income, strict=True)]
        else:
            rows, totals = [], [0] * n
            for child in content:
                row, sums = render(child, False)
                if row is not None:
                    rows.append(row)
                totals = [a + b for a, b in zip(totals, sums, strict=True)]
        if not rows and not top:
            return None, totals
        return _section(group, title, rows, totals, total_title, keep_rows=top), totals

    rows = [render(node, True)[0] for node in _BALANCE_SHEET]
    has_data = any(values) or any(net_income)
    columns = _money_columns(periods if broken_down else None, total=not broken_down)
    return columns, [r for r in rows if r is not None], has_data


def run_report(
    name: str,
    params: Mapping[str, str],
    *,
    balances: BalanceFn,
    accounts: list[dict[str, Any]],
    company: dict[str, Any],
    preferences: dict[str, Any] | None,
    today: date,
    now: datetime,
) -> dict[str, Any]:
    """One report (TrialBalance, ProfitAndLoss or BalanceSheet; any case) as QBO's JSON.

    Raises ReportError for an unknown report ("500") or a parameter it cannot take ("2010").
    """
    report = _REPORT_KEYS.get(name.strip().lower())
    if report is None:
        raise ReportError("500", "Unsupported Operation", f"Operation reports/{name} is not supported.")
    opts = _options(params, company or {}, preferences or {}, today)
    ledger = _Ledger(balances, opts.basis.lower())
    chart = _Chart(accounts)
    build = {
        "TrialBalance": _trial_balance,
        "ProfitAndLoss": _profit_and_loss,
        "BalanceSheet": _balance_sheet,
    }[report]
    columns, rows, has_data = build(opts, ledger, chart)

    header: dict[str, Any] = {"Time": now.isoformat(timespec="seconds"), "ReportName": report}
    if opts.macro:
        header["DateMacro"] = opts.macro
    header |= {
        "ReportBasis": opts.basis,
        "StartPeriod": opts.start.isoformat(),
        "EndPeriod": opts.end.isoformat(),
        "SummarizeColumnsBy": opts.summarize,
        "Currency": opts.currency,
    }
    options = [{"Name": "NoReportData", "Value": "false" if has_data else "true"}]
    if report != "TrialBalance":
        options.insert(0, {"Name": "AccountingStandard", "Value": "GAAP"})
    header["Option"] = options
    return {"Header": header, "Columns": {"Column": columns}, "Rows": {"Row": rows}}
