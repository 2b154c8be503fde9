"""Aging, balance and cash flow reports in the shape QuickBooks Online answers them.

AgedReceivables / AgedPayables (a row per customer or vendor, a column per aging bucket),
AgedReceivableDetail / AgedPayableDetail (the open documents, a section per bucket),
CustomerBalance / VendorBalance (the open balance per customer or vendor) and CashFlow (the
indirect method: net income, the changes of the other balance sheet accounts, the change in cash).

The layout follows Intuit's sample answers (ARAgingSummary, ARAgingDetail, APAgingDetail,
CustomerBalance and CashFlow in the Reports API reference): summary rows lead with the party's
``id`` and name and end with a ``GrandTotal`` section reading "TOTAL"; detail rows sit in a section
per bucket ("1 - 30 days past due") summed in "Total for ..."; the cash flow statement has
``OperatingActivities`` (Net Income, then ``OperatingAdjustments``), ``InvestingActivities``,
``FinancingActivities``, then ``CashIncrease``, ``BeginningCash`` and ``EndingCash``.

What is open on a date is read from the documents, not from their ``Balance`` (which is today's):
an invoice or bill dated on or before it, less what payments dated on or before it applied to it
(and the invoice's deposit); a credit memo or vendor credit, less what payments applied of it; a
payment's unapplied part. Credits count negative, so a party's total equals its A/R or A/P balance
in the ledger. Cash in the cash flow statement is the Bank accounts (Undeposited Funds is an
operating item, as an Other Current Asset).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from . import reports as base
from .reports import ReportError, money

AGING_REPORT_NAMES = (
    "AgedReceivables",
    "AgedReceivableDetail",
    "AgedPayables",
    "AgedPayableDetail",
    "CustomerBalance",
    "VendorBalance",
    "CashFlow",
)
_KEYS = {n.lower(): n for n in AGING_REPORT_NAMES}

DocsFn = Callable[[str], Iterable[Mapping[str, Any]]]
"""entity name -> its stored payloads"""


def handles(name: str) -> bool:
    """Whether ``name`` (any case) is one of this module's reports."""
    return name.strip().lower() in _KEYS


# -- the two sides --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Side:
    party: str  # "Customer" / "Vendor"
    ref: str  # CustomerRef / VendorRef
    doc: str  # Invoice / Bill
    credit: str  # CreditMemo / VendorCredit
    payment: str  # Payment / BillPayment
    filter_param: str  # customer / vendor
    name_col: tuple[str, str]  # cust_name / vend_name


_AR = _Side(
    "Customer", "CustomerRef", "Invoice", "CreditMemo", "Payment", "customer", ("cust_name", "Customer")
)
_AP = _Side("Vendor", "VendorRef", "Bill", "VendorCredit", "BillPayment", "vendor", ("vend_name", "Vendor"))


@dataclass(frozen=True)
class OpenItem:
    """A document with something open on the report date (cents; credits negative)."""

    txn_id: str
    txn_type: str
    doc_num: str
    tx_date: date
    due_date: date
    party_id: str
    party_name: str
    amount: int
    open: int


def _cents(value: Any) -> int:
    try:
        return base._cents(float(value or 0))
    except (TypeError, ValueError):
        return 0


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _ref(value: Any) -> tuple[str, str]:
    if isinstance(value, Mapping):
        return str(value.get("value") or ""), str(value.get("name") or "")
    return "", ""


def open_items(side: _Side, docs: DocsFn, as_of: date) -> list[OpenItem]:
    """What is open for each customer (``_AR``) or vendor (``_AP``) at the end of ``as_of``."""
    names = {
        str(p.get("Id")): str(p.get("DisplayName") or p.get("FullyQualifiedName") or "")
        for p in docs(side.party)
    }
    applied: dict[tuple[str, str], int] = {}
    payments: list[tuple[Mapping[str, Any], int]] = []
    for pay in docs(side.payment):
        when = _day(pay.get("TxnDate"))
        if when is None or when > as_of:
            continue
        unapplied = _cents(pay.get("TotalAmt"))
        for line in pay.get("Line") or []:
            amount = _cents(line.get("Amount"))
            for link in line.get("LinkedTxn") or []:
                key = (str(link.get("TxnType")), str(link.get("TxnId")))
                if key[0] in (side.doc, side.credit):
                    applied[key] = applied.get(key, 0) + amount
                    unapplied += -amount if key[0] == side.doc else amount
        payments.append((pay, unapplied))

    items: list[OpenItem] = []

    def add(p: Mapping[str, Any], kind: str, amount: int, left: int) -> None:
        when = _day(p.get("TxnDate")) or as_of
        pid, pname = _ref(p.get(side.ref))
        items.append(
            OpenItem(
                txn_id=str(p.get("Id")),
                txn_type=kind,
                doc_num=str(p.get("DocNumber") or ""),
                tx_date=when,
                due_date=_day(p.get("DueDate")) or when,
                party_id=pid,
                party_name=names.get(pid) or pname or f"{side.party} {pid}",
                amount=amount,
                open=left,
            )
        )

    for kind, sign in ((side.doc, 1), (side.credit, -1)):
        for p in docs(kind):
            when = _day(p.get("TxnDate"))
            if when is None or when > as_of:
                continue
            total = _cents(p.get("TotalAmt"))
            left = total - _cents(p.get("Deposit")) - applied.get((kind, str(p.get("Id"))), 0)
            if left:
                add(p, kind, sign * total, sign * left)
    for pay, unapplied in payments:
        if unapplied:
            add(pay, side.payment, -_cents(pay.get("TotalAmt")), -unapplied)
    items.sort(key=lambda i: (i.party_name.lower(), i.tx_date, i.txn_type, _num(i.txn_id)))
    return items


def _num(text: str) -> tuple[int, str]:
    return (int(text), "") if text.isdigit() else (0, text)


# -- parameters ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _AgingOptions:
    as_of: date
    period: int
    count: int
    past_due: int | None
    parties: frozenset[str] | None
    due_from: date | None
    due_to: date | None
    currency: str
    macro: str | None


def _int_param(p: Mapping[str, str], key: str, default: int, low: int, high: int) -> int:
    raw = p.get(key)
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise base._bad_param(f"{key}={raw} must be a whole number from {low} to {high}")
    return int(raw)


def _aging_options(
    params: Mapping[str, str], side: _Side, company: Mapping[str, Any], prefs: Mapping[str, Any], today: date
) -> _AgingOptions:
    p = {str(k).lower(): str(v).strip() for k, v in params.items() if v is not None}
    macro = p.get("date_macro") or None
    if p.get("report_date"):
        as_of = base._parse_date(p["report_date"], "report_date")
    elif p.get("end_date"):
        as_of = base._parse_date(p["end_date"], "end_date")
    elif macro:
        as_of = base.resolve_date_macro(macro, today)[1]
    else:
        as_of = today
    parties = None
    if p.get(side.filter_param):
        parties = frozenset(x.strip() for x in p[side.filter_param].split(",") if x.strip())
    due_from = base._parse_date(p["start_duedate"], "start_duedate") if p.get("start_duedate") else None
    due_to = base._parse_date(p["end_duedate"], "end_duedate") if p.get("end_duedate") else None
    currency = base._options({}, company, prefs, today).currency
    return _AgingOptions(
        as_of=as_of,
        period=_int_param(p, "aging_period", 30, 1, 365),
        count=_int_param(p, "num_periods", 4, 1, 20),
        past_due=_int_param(p, "past_due", 0, 0, 100000) if p.get("past_due") else None,
        parties=parties,
        due_from=due_from,
        due_to=due_to,
        currency=currency,
        macro=base._macro_key(macro) if macro else None,
    )


def bucket_titles(period: int, count: int) -> list[str]:
    """The column titles: Current, 1 - 30, 31 - 60, 61 - 90, 91 and over (period 30, count 4)."""
    titles = ["Current"]
    for i in range(count - 1):
        titles.append(f"{i * period + 1} - {(i + 1) * period}")
    titles.append(f"{(count - 1) * period + 1} and over")
    return titles


def _bucket(days: int, period: int, count: int) -> int:
    """0 for current (not yet due), then 1..count."""
    if days <= 0:
        return 0
    return min((days - 1) // period + 1, count)


def _filtered(items: list[OpenItem], opts: _AgingOptions) -> list[OpenItem]:
    out = []
    for item in items:
        if opts.parties is not None and item.party_id not in opts.parties:
            continue
        if opts.due_from and item.due_date < opts.due_from:
            continue
        if opts.due_to and item.due_date > opts.due_to:
            continue
        if opts.past_due is not None and (opts.as_of - item.due_date).days < opts.past_due:
            continue
        out.append(item)
    return out


def _header(name: str, opts: _AgingOptions, now: datetime, has_data: bool, side: _Side) -> dict[str, Any]:
    header: dict[str, Any] = {"Time": now.isoformat(timespec="seconds"), "ReportName": name}
    if opts.macro:
        header["DateMacro"] = opts.macro
    if opts.parties:
        header[side.party] = ",".join(sorted(opts.parties, key=_num))
    header["EndPeriod"] = opts.as_of.isoformat()
    header["Currency"] = opts.currency
    header["Option"] = [
        {"Name": "report_date", "Value": opts.as_of.isoformat()},
        {"Name": "NoReportData", "Value": "false" if has_data else "true"},
    ]
    return header


def _grand_total(cells: list[str]) -> dict[str, Any]:
    return {
        "group": "GrandTotal",
        "type": "Section",
        "Summary": {"ColData": [{"value": "TOTAL"}, *({"value": c} for c in cells)]},
    }


def _aging_summary(
    name: str, side: _Side, items: list[OpenItem], opts: _AgingOptions, now: datetime
) -> dict[str, Any]:
    titles = bucket_titles(opts.period, opts.count)
    per_party: dict[str, tuple[str, list[int]]] = {}
    for item in items:
        _, sums = per_party.setdefault(item.party_id, (item.party_name, [0] * len(titles)))
        sums[_bucket((opts.as_of - item.due_date).days, opts.period, opts.count)] += item.open
    rows: list[dict[str, Any]] = []
    totals = [0] * len(titles)
    for pid, (pname, sums) in sorted(per_party.items(), key=lambda kv: (kv[1][0].lower(), _num(kv[0]))):
        if not any(sums):
            continue
        totals = [a + b for a, b in zip(totals, sums, strict=True)]
        cells = [{"value": money(c) if c else ""} for c in sums]
        rows.append(
            {
                "ColData": [{"value": pname, "id": pid}, *cells, {"value": money(sum(sums))}],
                "type": "Data",
            }
        )
    rows.append(_grand_total([money(t) for t in totals] + [money(sum(totals))]))
    columns = [{"ColTitle": "", "ColType": side.party}] + [
        {"ColTitle": t, "ColType": "Money"} for t in [*titles, "Total"]
    ]
    return {
        "Header": _header(name, opts, now, len(rows) > 1, side),
        "Columns": {"Column": columns},
        "Rows": {"Row": rows},
    }


_DETAIL_COLUMNS = (
    ("tx_date", "Date"),
    ("txn_type", "Transaction Type"),
    ("doc_num", "Num"),
    None,  # the party's column
    ("due_date", "Due Date"),
    ("subt_amount", "Amount"),
    ("subt_open_bal", "Open Balance"),
)


def _aging_detail(
    name: str, side: _Side, items: list[OpenItem], opts: _AgingOptions, now: datetime
) -> dict[str, Any]:
    titles = bucket_titles(opts.period, opts.count)
    section_titles = ["Current"] + [f"{t} days past due" for t in titles[1:-1]]
    section_titles.append(f"{(opts.count - 1) * opts.period + 1} or more days past due")
    groups: list[list[OpenItem]] = [[] for _ in titles]
    for item in items:
        groups[_bucket((opts.as_of - item.due_date).days, opts.period, opts.count)].append(item)
    rows: list[dict[str, Any]] = []
    blank = [{"value": ""}] * 4
    grand_amount = grand_open = 0
    # QBO lists the oldest bucket first
    for title, group in reversed(list(zip(section_titles, groups, strict=True))):
        if not group:
            continue
        group.sort(key=lambda i: (i.due_date, i.tx_date, i.party_name.lower(), _num(i.txn_id)))
        data = [
            {
                "ColData": [
                    {"value": i.tx_date.isoformat()},
                    {"value": i.txn_type, "id": i.txn_id},
                    {"value": i.doc_num},
                    {"value": i.party_name, "id": i.party_id},
                    {"value": i.due_date.isoformat()},
                    {"value": money(i.amount)},
                    {"value": money(i.open)},
                ],
                "type": "Data",
            }
            for i in group
        ]
        amount = sum(i.amount for i in group)
        left = sum(i.open for i in group)
        grand_amount += amount
        grand_open += left
        rows.append(
            {
                "Header": {"ColData": [{"value": title}, *([{"value": ""}] * 6)]},
                "Rows": {"Row": data},
                "Summary": {
                    "ColData": [
                        {"value": f"Total for {title}"},
                        *blank,
                        {"value": money(amount)},
                        {"value": money(left)},
                    ]
                },
                "type": "Section",
            }
        )
    has_data = bool(rows)
    rows.append(
        {
            "group": "GrandTotal",
            "type": "Section",
            "Summary": {
                "ColData": [
                    {"value": "TOTAL"},
                    *blank,
                    {"value": money(grand_amount)},
                    {"value": money(grand_open)},
                ]
            },
        }
    )
    columns = []
    for spec in _DETAIL_COLUMNS:
        key, title = spec if spec is not None else side.name_col
        columns.append({"ColTitle": title, "ColType": key, "MetaData": [{"Name": "ColKey", "Value": key}]})
    return {
        "Header": _header(name, opts, now, has_data, side),
        "Columns": {"Column": columns},
        "Rows": {"Row": rows},
    }


def _party_balance(
    name: str, side: _Side, items: list[OpenItem], opts: _AgingOptions, now: datetime
) -> dict[str, Any]:
    per_party: dict[str, tuple[str, int]] = {}
    for item in items:
        pname, total = per_party.get(item.party_id, (item.party_name, 0))
        per_party[item.party_id] = (pname, total + item.open)
    rows: list[dict[str, Any]] = []
    grand = 0
    for pid, (pname, total) in sorted(per_party.items(), key=lambda kv: (kv[1][0].lower(), _num(kv[0]))):
        if total:
            grand += total
            rows.append({"ColData": [{"value": pname, "id": pid}, {"value": money(total)}], "type": "Data"})
    rows.append(_grand_total([money(grand)]))
    columns = [
        {"ColTitle": "", "ColType": side.party},
        {"ColTitle": "Total", "ColType": "Money", "MetaData": [{"Name": "ColKey", "Value": "total"}]},
    ]
    return {
        "Header": _header(name, opts, now, len(rows) > 1, side),
        "Columns": {"Column": columns},
        "Rows": {"Row": rows},
    }


# -- cash flow ---------------------------------------------------------------------------------------

_OPERATING = (
    "Accounts Receivable",
    "Other Current Asset",
    "Accounts Payable",
    "Credit Card",
    "Other Current Liability",
)
_INVESTING = ("Fixed Asset", "Other Asset")
_FINANCING = ("Long Term Liability", "Equity")


def _cash_flow(
    params: Mapping[str, str],
    *,
    balances: base.BalanceFn,
    accounts: list[dict[str, Any]],
    company: dict[str, Any],
    preferences: dict[str, Any] | None,
    today: date,
    now: datetime,
) -> dict[str, Any]:
    opts = base._options(params, company or {}, preferences or {}, today)
    ledger = base._Ledger(balances, opts.basis.lower())
    chart = base._Chart(accounts)
    periods = (
        base.column_periods(opts.start, opts.end, opts.summarize, opts.fy_month)
        if opts.summarize != "Total"
        else None
    )
    spans = [*(periods or []), (opts.start, opts.end)]
    # Each account's cash effect over a span: what it was credited less what it was debited.
    moves = [{aid: -c for aid, c in ledger(s, e).items()} for s, e in spans]
    net_income = [sum(v for aid, v in m.items() if chart.get(aid).is_pl) for m in moves]

    def group(types: tuple[str, ...]) -> tuple[list[dict[str, Any]], list[int]]:
        return base._account_rows(chart.of_types(types), moves)

    operating, operating_t = group(_OPERATING)
    investing, investing_t = group(_INVESTING)
    financing, financing_t = group(_FINANCING)
    n = len(spans)
    adjust_title = "Adjustments to reconcile Net Income to Net Cash provided by operations:"
    operating_rows: list[dict[str, Any]] = [
        {
            "ColData": [{"value": "Net Income"}, *({"value": money(c)} for c in net_income)],
            "type": "Data",
            "group": "NetIncome",
        }
    ]
    if operating:
        operating_rows.append(
            {
                "Header": {"ColData": [{"value": adjust_title}] + [{"value": ""}] * n},
                "Rows": {"Row": operating},
                "Summary": {
                    "ColData": [
                        {"value": f"Total {adjust_title}"},
                        *({"value": money(c)} for c in operating_t),
                    ]
                },
                "type": "Section",
                "group": "OperatingAdjustments",
            }
        )
    op_total = [a + b for a, b in zip(net_income, operating_t, strict=True)]
    rows = [
        {
            "Header": {"ColData": [{"value": "OPERATING ACTIVITIES"}] + [{"value": ""}] * n},
            "Rows": {"Row": operating_rows},
            "Summary": {
                "ColData": [
                    {"value": "Net cash provided by operating activities"},
                    *({"value": money(c)} for c in op_total),
                ]
            },
            "type": "Section",
            "group": "OperatingActivities",
        }
    ]
    for title, group_name, body, totals in (
        ("INVESTING ACTIVITIES", "InvestingActivities", investing, investing_t),
        ("FINANCING ACTIVITIES", "FinancingActivities", financing, financing_t),
    ):
        if body:
            rows.append(
                {
                    "Header": {"ColData": [{"value": title}] + [{"value": ""}] * n},
                    "Rows": {"Row": body},
                    "Summary": {
                        "ColData": [
                            {"value": f"Net cash provided by {title.split()[0].lower()} activities"},
                            *({"value": money(c)} for c in totals),
                        ]
                    },
                    "type": "Section",
                    "group": group_name,
                }
            )
    increase = [a + b + c for a, b, c in zip(op_total, investing_t, financing_t, strict=True)]
    banks = {a.id for a in chart.of_types(("Bank",))}
    beginning = []
    for s, _ in spans:
        before = ledger(None, date.fromordinal(s.toordinal() - 1)) if s > date.min else {}
        beginning.append(sum(c for aid, c in before.items() if aid in banks))
    ending = [b + i for b, i in zip(beginning, increase, strict=True)]

    def summary(group_name: str, title: str, values: list[int]) -> dict[str, Any]:
        return {
            "group": group_name,
            "type": "Section",
            "Summary": {"ColData": [{"value": title}, *({"value": money(c)} for c in values)]},
        }

    rows.append(summary("CashIncrease", "Net cash increase for period", increase))
    rows.append(summary("BeginningCash", "Cash at beginning of period", beginning))
    rows.append(summary("EndingCash", "Cash at end of period", ending))
    has_data = any(any(m.values()) for m in moves)
    header: dict[str, Any] = {"Time": now.isoformat(timespec="seconds"), "ReportName": "CashFlow"}
    if opts.macro:
        header["DateMacro"] = opts.macro
    header |= {
        "ReportBasis": opts.basis,
        "StartPeriod": opts.start.isoformat(),
        "EndPeriod": opts.end.isoformat(),
        "SummarizeColumnsBy": opts.summarize,
        "Currency": opts.currency,
        "Option": [{"Name": "NoReportData", "Value": "false" if has_data else "true"}],
    }
    return {
        "Header": header,
        "Columns": {"Column": base._money_columns(periods, total=True)},
        "Rows": {"Row": rows},
    }


# -- entry point -------------------------------------------------------------------------------------


def run_aging_report(
    name: str,
    params: Mapping[str, str],
    *,
    docs: DocsFn,
    balances: base.BalanceFn,
    accounts: list[dict[str, Any]],
    company: dict[str, Any],
    preferences: dict[str, Any] | None,
    today: date,
    now: datetime,
) -> dict[str, Any]:
    """One of :data:`AGING_REPORT_NAMES` (any case) as QBO's JSON; ReportError 2010: bad parameter."""
    report = _KEYS.get(name.strip().lower())
    if report is None:
        raise ReportError("500", "Unsupported Operation", f"Operation reports/{name} is not supported.")
    if report == "CashFlow":
        return _cash_flow(
            params,
            balances=balances,
            accounts=accounts,
            company=company,
            preferences=preferences,
            today=today,
            now=now,
        )
    side = _AR if report in ("AgedReceivables", "AgedReceivableDetail", "CustomerBalance") else _AP
    opts = _aging_options(params, side, company or {}, preferences or {}, today)
    items = _filtered(open_items(side, docs, opts.as_of), opts)
    if report in ("CustomerBalance", "VendorBalance"):
        return _party_balance(report, side, items, opts, now)
    if report.endswith("Detail"):
        return _aging_detail(report, side, items, opts, now)
    return _aging_summary(report, side, items, opts, now)
