"""Detail reports in the shape QuickBooks Online answers them: GeneralLedger, ProfitAndLossDetail and
TransactionList, computed from the ledger's postings and the transactions that made them.

The shape follows real answers (live GeneralLedger answers quoted in public client tests, Intuit's
report reference): ``Columns.Column`` entries with ``ColTitle``, ``ColType`` (``Date``, ``String``,
``Boolean``, ``Money``) and a ``ColKey`` MetaData entry (``tx_date``, ``txn_type``, ``doc_num``,
``name``, ``memo``, ``split_acc``, ``subt_nat_amount``, ``rbal_nat_amount``...), and data rows whose
``txn_type`` cell carries the transaction's ``id`` and whose name and account cells carry theirs.

- GeneralLedger: a section per account (header: the account's name and ``id``), a "Beginning
  Balance" row (the balance in the ``rbal_nat_amount`` column), a row per transaction that posts to
  the account (amounts in the account's own sign: a debit is positive on an asset or expense
  account, a credit on a liability, equity or income account), and the summary "Total for <account>"
  with the period's movement. Income and expense accounts begin each fiscal year at zero; earlier
  years' result shows in Retained Earnings' beginning balance, as in the trial balance.
- ProfitAndLossDetail: the ProfitAndLoss groups (Income, COGS, Expenses, Other Income, Other
  Expenses, with Gross Profit, Net Operating Income, Net Other Income and Net Income), each holding a
  section per account with its transactions and a running balance; income and expenses positive.
- TransactionList: one row per transaction that posts in the period (on either basis): date, type,
  number, name, memo, the account it is booked against (the one its largest posting hits) and the
  split (the other account, or "-Split-"), and the document's total.

Parameters: start_date/end_date/date_macro and accounting_method as the other reports, ``columns``
(a comma-separated list of the keys below, in the order wanted; an unknown key is a 2010 fault), and
the filters ``account`` (GeneralLedger, ProfitAndLossDetail and TransactionList), ``customer``,
``vendor``, ``class`` and ``department`` (comma-separated Ids; a transaction matches when the
reference appears anywhere in it, header or lines). With a name, class or department filter the
GeneralLedger's beginning balances are those of the filtered transactions, that is 0.

A report larger than the cell limit (QuickBooks: 400,000 cells; ``SandboxConfig.report_cell_limit``)
is answered as QuickBooks does: HTTP 200, rows cut off where the limit is reached (the section cut
short loses its summary) and a last row whose only cell reads "Unable to display more data. Please
reduce the date range."
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import reports as base
from .reports import ReportError, _Acct, _Chart, _options, fiscal_year_start, money

if TYPE_CHECKING:
    from .store import Store

DETAIL_REPORTS = ("GeneralLedger", "ProfitAndLossDetail", "TransactionList")
_DETAIL_KEYS = {n.lower(): n for n in DETAIL_REPORTS}

#: What QuickBooks writes in the last row of a report it cut short.
TRUNCATION_TEXT = "Unable to display more data. Please reduce the date range."
DEFAULT_CELL_LIMIT = 400_000

#: ColKey -> (ColTitle, ColType), as QuickBooks words them.
COLUMNS: dict[str, tuple[str, str]] = {
    "tx_date": ("Date", "Date"),
    "txn_type": ("Transaction Type", "String"),
    "doc_num": ("Num", "String"),
    "is_no_post": ("Posting", "Boolean"),
    "name": ("Name", "String"),
    "memo": ("Memo/Description", "String"),
    "account_name": ("Account", "String"),
    "split_acc": ("Split", "String"),
    "other_account": ("Split", "String"),
    "klass_name": ("Class", "String"),
    "dept_name": ("Location", "String"),
    "subt_nat_amount": ("Amount", "Money"),
    "debt_amt": ("Debit", "Money"),
    "credit_amt": ("Credit", "Money"),
    "rbal_nat_amount": ("Balance", "Money"),
}
_DEFAULT_COLUMNS = {
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
_ALLOWED = {
    "GeneralLedger": set(COLUMNS) - {"is_no_post", "other_account", "account_name"},
    "ProfitAndLossDetail": set(COLUMNS) - {"is_no_post", "other_account", "account_name"},
    "TransactionList": set(COLUMNS) - {"split_acc", "rbal_nat_amount", "debt_amt", "credit_amt"},
}
_FILTERS = ("account", "customer", "vendor", "class", "department")

#: The transaction type as QuickBooks labels it in reports.
_LABELS = {
    "Invoice": "Invoice",
    "CreditMemo": "Credit Memo",
    "SalesReceipt": "Sales Receipt",
    "RefundReceipt": "Refund",
    "Payment": "Payment",
    "Bill": "Bill",
    "VendorCredit": "Vendor Credit",
    "Deposit": "Deposit",
    "Transfer": "Transfer",
    "JournalEntry": "Journal Entry",
    "CreditCardPaymentTxn": "Credit Card Payment",
    "InventoryAdjustment": "Inventory Qty Adjust",
}


def txn_label(entity: str, payload: Mapping[str, Any]) -> str:
    """The ``txn_type`` text of a transaction ("Check", "Bill Payment (Check)", "Expense", ...)."""
    if entity == "Purchase":
        kind = str(payload.get("PaymentType") or "")
        if kind == "Check":
            return "Check"
        if kind == "CreditCard":
            return "Credit Card Credit" if payload.get("Credit") else "Expense"
        return "Expense"
    if entity == "BillPayment":
        return (
            "Bill Payment (Credit Card)" if payload.get("PayType") == "CreditCard" else "Bill Payment (Check)"
        )
    return _LABELS.get(entity, entity)


def handles(name: str) -> str | None:
    """The detail report's proper name, or None when ``name`` is not one."""
    return _DETAIL_KEYS.get(name.strip().lower())


# -- what the ledger holds ------------------------------------------------------------------------


@dataclass
class _Txn:
    entity: str
    id: str
    date: str
    payload: dict[str, Any]
    #: account Id -> debit minus credit in cents on the report's basis, in posting order
    amounts: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return txn_label(self.entity, self.payload)


def _cents(value: float) -> int:
    return base._cents(value)


def _ref(value: Any) -> tuple[str, str] | None:
    if isinstance(value, Mapping) and value.get("value") not in (None, ""):
        return str(value["value"]), str(value.get("name") or "")
    return None


def _refs(obj: Any, keys: set[str]) -> set[str]:
    """Ids of every reference named in ``keys`` anywhere in a payload (header and lines)."""
    found: set[str] = set()
    stack = [obj]
    while stack:
        cur = stack.pop()
        if isinstance(cur, Mapping):
            for k, v in cur.items():
                if k in keys and (r := _ref(v)):
                    found.add(r[0])
                elif isinstance(v, (Mapping, list)):
                    stack.append(v)
        elif isinstance(cur, list):
            stack.extend(cur)
    return found


_NAME_REFS = ("CustomerRef", "VendorRef", "EntityRef")


class _Source:
    """The postings and transactions of one realm, read once per report."""

    def __init__(self, store: Store, realm: str) -> None:
        self.store = store
        self.realm = realm
        self._names: dict[tuple[str, str], str] = {}

    def transactions(self, start: date, end: date, bases: Sequence[str]) -> list[_Txn]:
        marks = ",".join("?" * (len(bases) + 1))
        sql = (
            "SELECT type, txn_id, account_id, SUM(amount), txn_date, MIN(rowid) FROM postings "
            f"WHERE realm_id = ? AND basis IN ({marks}) AND txn_date >= ? AND txn_date <= ? "
            "GROUP BY type, txn_id, account_id ORDER BY txn_date, type, txn_id, MIN(rowid)"
        )
        args = [self.realm, *bases, "both", start.isoformat(), end.isoformat()]
        txns: dict[tuple[str, str], _Txn] = {}
        with self.store.db.read() as conn:
            rows = conn.execute(sql, args).fetchall()
        for entity, txn_id, account_id, amount, txn_date, _ in rows:
            key = (str(entity), str(txn_id))
            txn = txns.get(key)
            if txn is None:
                payload = self.store.get(self.realm, str(entity), str(txn_id)) or {"Id": str(txn_id)}
                txn = txns[key] = _Txn(str(entity), str(txn_id), str(txn_date), payload)
            cents = _cents(amount)
            if cents:
                txn.amounts[str(account_id)] = txn.amounts.get(str(account_id), 0) + cents
        return [t for t in txns.values() if t.amounts]

    def name_of(self, txn: _Txn) -> tuple[str, str] | None:
        """(Id, display name) of the customer, vendor or employee a transaction names."""
        for key in _NAME_REFS:
            ref = txn.payload.get(key)
            found = _ref(ref)
            if found is None:
                continue
            if found[1]:
                return found
            kinds = [str(ref.get("type"))] if isinstance(ref, Mapping) and ref.get("type") else []
            kinds += {"CustomerRef": ["Customer"], "VendorRef": ["Vendor"]}.get(
                key, ["Customer", "Vendor", "Employee"]
            )
            return found[0], self._display(kinds, found[0])
        return None

    def _display(self, kinds: Sequence[str], id_: str) -> str:
        for kind in kinds:
            if (kind, id_) not in self._names:
                payload = self.store.get(self.realm, kind, id_)
                self._names[(kind, id_)] = str(payload.get("DisplayName") or "") if payload else ""
            if self._names[(kind, id_)]:
                return self._names[(kind, id_)]
        return ""


def _memo(payload: Mapping[str, Any]) -> str:
    note = payload.get("PrivateNote")
    if isinstance(note, str) and note:
        return note
    for line in payload.get("Line") or []:
        if isinstance(line, Mapping) and isinstance(line.get("Description"), str) and line["Description"]:
            return str(line["Description"])
    return ""


def _first_ref_name(payload: Mapping[str, Any], key: str) -> tuple[str, str] | None:
    ref = _ref(payload.get(key))
    if ref:
        return ref
    for line in payload.get("Line") or []:
        if not isinstance(line, Mapping):
            continue
        for detail in line.values():
            if isinstance(detail, Mapping) and (ref := _ref(detail.get(key))):
                return ref
    return None


# -- cells ------------------------------------------------------------------------------------------


@dataclass
class _Opts:
    name: str
    start: date
    end: date
    basis: str
    macro: str | None
    currency: str
    fy_month: int
    columns: tuple[str, ...]
    filters: dict[str, set[str]]


def _parse(
    name: str, params: Mapping[str, str], company: Mapping[str, Any], prefs: Mapping[str, Any], today: date
) -> _Opts:
    plain = {k: v for k, v in params.items() if str(k).lower() not in ("columns", *_FILTERS)}
    o = _options(plain, company, prefs, today)
    lowered = {str(k).lower(): str(v) for k, v in params.items() if v is not None}
    cols = tuple(c.strip() for c in lowered.get("columns", "").split(",") if c.strip())
    if cols:
        unknown = [c for c in cols if c not in _ALLOWED[name]]
        if unknown:
            raise base._bad_param(
                f"columns: {', '.join(unknown)} not a column of {name} "
                f"(one of {', '.join(sorted(_ALLOWED[name]))})"
            )
    filters = {
        f: {v.strip() for v in lowered[f].split(",") if v.strip()}
        for f in _FILTERS
        if lowered.get(f, "").strip()
    }
    return _Opts(
        name,
        o.start,
        o.end,
        o.basis,
        o.macro,
        o.currency,
        o.fy_month,
        cols or _DEFAULT_COLUMNS[name],
        filters,
    )


def _cell(value: str, id_: str | None = None) -> dict[str, str]:
    cell = {"value": value}
    if id_ is not None:
        cell["id"] = id_
    return cell


def _money_or_blank(cents: int | None) -> str:
    return "" if cents is None else money(cents)


class _Builder:
    """Rows of one detail report: the data cells of each transaction as the chosen columns want them."""

    def __init__(self, opts: _Opts, chart: _Chart, source: _Source) -> None:
        self.opts = opts
        self.chart = chart
        self.source = source
        self.cols = opts.columns

    def blank_row(
        self, first: str, values: Mapping[str, str] | None = None, id_: str | None = None
    ) -> list[dict[str, str]]:
        cells = [_cell(first, id_)]
        for key in self.cols[1:]:
            cells.append(_cell((values or {}).get(key, "")))
        return cells

    def summary(self, label: str, amount: int | None) -> list[dict[str, str]]:
        return self.blank_row(label, {"subt_nat_amount": _money_or_blank(amount)})

    def account_label(self, aid: str) -> str:
        return self.chart.get(aid).fqn

    def split(self, txn: _Txn, own: str) -> tuple[str, str | None]:
        others = [a for a in txn.amounts if a != own]
        if len(others) == 1:
            return self.account_label(others[0]), others[0]
        if not others:
            return "", None
        return "-Split-", None

    def data(
        self, txn: _Txn, account: str, amount: int, balance: int | None, posting: bool = True
    ) -> dict[str, Any]:
        named = self.source.name_of(txn)
        klass = _first_ref_name(txn.payload, "ClassRef")
        dept = _ref(txn.payload.get("DepartmentRef"))
        split_name, split_id = self.split(txn, account)
        debit_minus_credit = txn.amounts.get(account, 0)
        cells: list[dict[str, str]] = []
        for key in self.cols:
            if key == "tx_date":
                cells.append(_cell(txn.date))
            elif key == "txn_type":
                cells.append(_cell(txn.label, txn.id))
            elif key == "doc_num":
                cells.append(_cell(str(txn.payload.get("DocNumber") or "")))
            elif key == "is_no_post":
                cells.append(_cell("Yes" if posting else "No"))
            elif key == "name":
                cells.append(_cell(named[1], named[0]) if named else _cell(""))
            elif key == "memo":
                cells.append(_cell(_memo(txn.payload)))
            elif key == "account_name":
                cells.append(_cell(self.account_label(account), account))
            elif key in ("split_acc", "other_account"):
                cells.append(_cell(split_name, split_id) if split_id else _cell(split_name))
            elif key == "klass_name":
                cells.append(_cell(klass[1], klass[0]) if klass else _cell(""))
            elif key == "dept_name":
                cells.append(_cell(dept[1], dept[0]) if dept else _cell(""))
            elif key == "subt_nat_amount":
                cells.append(_cell(money(amount)))
            elif key == "debt_amt":
                cells.append(_cell(money(debit_minus_credit) if debit_minus_credit > 0 else ""))
            elif key == "credit_amt":
                cells.append(_cell(money(-debit_minus_credit) if debit_minus_credit < 0 else ""))
            elif key == "rbal_nat_amount":
                cells.append(_cell(_money_or_blank(balance)))
        return {"ColData": cells, "type": "Data"}


def _matches(txn: _Txn, filters: Mapping[str, set[str]]) -> bool:
    checks = {
        "customer": {"CustomerRef", "EntityRef"},
        "vendor": {"VendorRef", "EntityRef"},
        "class": {"ClassRef"},
        "department": {"DepartmentRef"},
    }
    for name, keys in checks.items():
        wanted = filters.get(name)
        if wanted and not (_refs(txn.payload, keys) & wanted):
            return False
    return True


def _shown(acct: _Acct, debit_minus_credit: int) -> int:
    """An amount in the account's own sign (debit positive for debit-normal accounts)."""
    return debit_minus_credit if acct.debit_normal else -debit_minus_credit


def _order(chart: _Chart, ids: Iterable[str]) -> list[_Acct]:
    return sorted((chart.get(a) for a in ids), key=lambda a: (base._TYPE_ORDER[a.type], a.fqn.lower(), a.id))


# -- the three reports --------------------------------------------------------------------------------


def _beginning(
    balances: Callable[[date | None, date, str], dict[str, float]], chart: _Chart, opts: _Opts
) -> dict[str, int]:
    """Debit minus credit per account the day before the start, as the trial balance shows it then
    for a period of the start's fiscal year: income and expenses since the fiscal year began only."""
    before = opts.start - timedelta(days=1)
    basis = opts.basis.lower()
    cumulative = {k: _cents(v) for k, v in balances(None, before, basis).items()}
    fy = fiscal_year_start(opts.start, opts.fy_month)
    this_year = {k: _cents(v) for k, v in balances(fy, before, basis).items()} if fy <= before else {}
    out: dict[str, int] = {}
    earlier = 0
    for aid, cents in cumulative.items():
        if chart.get(aid).is_pl:
            earlier += cents - this_year.get(aid, 0)
            if this_year.get(aid):
                out[aid] = this_year[aid]
        elif cents:
            out[aid] = cents
    if earlier:
        out[chart.retained_id] = out.get(chart.retained_id, 0) + earlier
    return out


def _general_ledger(
    b: _Builder, txns: list[_Txn], begin: dict[str, int]
) -> tuple[list[dict[str, Any]], bool]:
    by_account: dict[str, list[_Txn]] = {}
    for txn in txns:
        for aid in txn.amounts:
            by_account.setdefault(aid, []).append(txn)
    wanted = b.opts.filters.get("account")
    rows: list[dict[str, Any]] = []
    for acct in _order(b.chart, by_account):
        if wanted and acct.id not in wanted:
            continue
        balance = _shown(acct, begin.get(acct.id, 0))
        inner = [
            {"ColData": b.blank_row("Beginning Balance", {"rbal_nat_amount": money(balance)}), "type": "Data"}
        ]
        total = 0
        for txn in by_account[acct.id]:
            amount = _shown(acct, txn.amounts[acct.id])
            total += amount
            balance += amount
            inner.append(b.data(txn, acct.id, amount, balance))
        rows.append(
            {
                "Header": {"ColData": b.blank_row(acct.fqn, id_=acct.id)},
                "Rows": {"Row": inner},
                "Summary": {"ColData": b.summary(f"Total for {acct.fqn}", total)},
                "type": "Section",
            }
        )
    return rows, bool(rows)


_PL_GROUPS = (
    ("Income", "Income", ("Income",)),
    ("COGS", "Cost of Goods Sold", ("Cost of Goods Sold",)),
    ("Expenses", "Expenses", ("Expense",)),
    ("OtherIncome", "Other Income", ("Other Income",)),
    ("OtherExpenses", "Other Expenses", ("Other Expense",)),
)


def _profit_and_loss_detail(b: _Builder, txns: list[_Txn]) -> tuple[list[dict[str, Any]], bool]:
    by_account: dict[str, list[_Txn]] = {}
    for txn in txns:
        for aid in txn.amounts:
            if b.chart.get(aid).is_pl:
                by_account.setdefault(aid, []).append(txn)
    wanted = b.opts.filters.get("account")
    totals: dict[str, int] = {}
    sections: dict[str, dict[str, Any]] = {}
    for group, title, types in _PL_GROUPS:
        inner_sections: list[dict[str, Any]] = []
        group_total = 0
        for acct in _order(b.chart, (a for a in by_account if b.chart.get(a).type in types)):
            if wanted and acct.id not in wanted:
                continue
            income = acct.type in base._INCOME_TYPES
            inner = []
            balance = 0
            for txn in by_account[acct.id]:
                amount = -txn.amounts[acct.id] if income else txn.amounts[acct.id]
                balance += amount
                inner.append(b.data(txn, acct.id, amount, balance))
            group_total += balance
            inner_sections.append(
                {
                    "Header": {"ColData": b.blank_row(acct.fqn, id_=acct.id)},
                    "Rows": {"Row": inner},
                    "Summary": {"ColData": b.summary(f"Total for {acct.fqn}", balance)},
                    "type": "Section",
                }
            )
        totals[group] = group_total
        section: dict[str, Any] = {"Header": {"ColData": b.blank_row(title)}}
        if inner_sections:
            section["Rows"] = {"Row": inner_sections}
        section["Summary"] = {"ColData": b.summary(f"Total {title}", group_total if inner_sections else None)}
        section["type"] = "Section"
        section["group"] = group
        sections[group] = section

    def summary(group: str, label: str, amount: int) -> dict[str, Any]:
        return {"group": group, "type": "Section", "Summary": {"ColData": b.summary(label, amount)}}

    gross = totals["Income"] - totals["COGS"]
    operating = gross - totals["Expenses"]
    other = totals["OtherIncome"] - totals["OtherExpenses"]
    rows = [sections["Income"]]
    if "Rows" in sections["COGS"]:
        rows.append(sections["COGS"])
    rows += [summary("GrossProfit", "Gross Profit", gross), sections["Expenses"]]
    rows.append(summary("NetOperatingIncome", "Net Operating Income", operating))
    if "Rows" in sections["OtherIncome"] or "Rows" in sections["OtherExpenses"]:
        rows += [s for g in ("OtherIncome", "OtherExpenses") if "Rows" in (s := sections[g])]
        rows.append(summary("NetOtherIncome", "Net Other Income", other))
    rows.append(summary("NetIncome", "Net Income", operating + other))
    return rows, any("Rows" in s for s in sections.values())


def _total(txn: _Txn) -> int:
    for key in ("TotalAmt", "Amount"):
        value = txn.payload.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return _cents(float(value))
    return sum(c for c in txn.amounts.values() if c > 0)


def _transaction_list(b: _Builder, txns: list[_Txn]) -> tuple[list[dict[str, Any]], bool]:
    wanted = b.opts.filters.get("account")
    rows: list[dict[str, Any]] = []
    for txn in txns:
        if wanted and not (set(txn.amounts) & wanted):
            continue
        main = max(txn.amounts, key=lambda a: abs(txn.amounts[a]))  # first of the largest: posting order
        rows.append(b.data(txn, main, _total(txn), None))
    return rows, bool(rows)


# -- the cell limit -----------------------------------------------------------------------------------


def count_cells(rows: Sequence[Mapping[str, Any]]) -> int:
    """The cells of a report's rows: every ColData entry of data rows, section headers and summaries."""
    total = 0
    for row in rows:
        total += len(row.get("ColData") or [])
        total += len((row.get("Header") or {}).get("ColData") or [])
        total += len((row.get("Summary") or {}).get("ColData") or [])
        total += count_cells((row.get("Rows") or {}).get("Row") or [])
    return total


def _cut(rows: list[dict[str, Any]], room: int) -> tuple[list[dict[str, Any]], int, bool]:
    """The rows that fit in ``room`` cells, the room left, and whether any were cut."""
    kept: list[dict[str, Any]] = []
    for row in rows:
        size = count_cells([row])
        if size <= room:
            kept.append(row)
            room -= size
            continue
        if "Rows" in row and (row.get("Rows") or {}).get("Row"):
            head = len((row.get("Header") or {}).get("ColData") or [])
            if head <= room:
                inner, room, _ = _cut(list(row["Rows"]["Row"]), room - head)
                part = {k: v for k, v in row.items() if k not in ("Rows", "Summary")}
                part["Rows"] = {"Row": inner}
                kept.append(part)
        return kept, 0, True
    return kept, room, False


def limit_cells(rows: list[dict[str, Any]], limit: int | None) -> tuple[list[dict[str, Any]], bool]:
    """Rows as QuickBooks answers them under its cell limit: cut, with the notice as the last row."""
    if limit is None or count_cells(rows) <= limit:
        return rows, False
    kept, _, _ = _cut(rows, max(limit - 1, 0))
    kept.append({"ColData": [{"value": TRUNCATION_TEXT}], "type": "Data"})
    return kept, True


# -- entry point --------------------------------------------------------------------------------------


def run_detail_report(
    name: str,
    params: Mapping[str, str],
    *,
    store: Store,
    realm: str,
    balances: Callable[[date | None, date, str], dict[str, float]],
    accounts: list[dict[str, Any]],
    company: dict[str, Any],
    preferences: dict[str, Any] | None,
    today: date,
    now: datetime,
    cell_limit: int | None = DEFAULT_CELL_LIMIT,
) -> dict[str, Any]:
    """One detail report as QBO's JSON. Raises ReportError for a parameter it cannot take ("2010")."""
    report = handles(name)
    if report is None:
        raise ReportError("500", "Unsupported Operation", f"Operation reports/{name} is not supported.")
    opts = _parse(report, params, company or {}, preferences or {}, today)
    chart = _Chart(accounts)
    source = _Source(store, realm)
    bases = ("accrual", "cash") if report == "TransactionList" else (opts.basis.lower(),)
    txns = [t for t in source.transactions(opts.start, opts.end, bases) if _matches(t, opts.filters)]
    builder = _Builder(opts, chart, source)
    if report == "GeneralLedger":
        names_filtered = any(f in opts.filters for f in ("customer", "vendor", "class", "department"))
        begin = {} if names_filtered else _beginning(balances, chart, opts)
        rows, has_data = _general_ledger(builder, txns, begin)
    elif report == "ProfitAndLossDetail":
        rows, has_data = _profit_and_loss_detail(builder, txns)
    else:
        rows, has_data = _transaction_list(builder, txns)
    rows, _ = limit_cells(rows, cell_limit)

    header: dict[str, Any] = {"Time": now.isoformat(timespec="seconds"), "ReportName": report}
    if opts.macro:
        header["DateMacro"] = opts.macro
    header |= {
        "ReportBasis": opts.basis,
        "StartPeriod": opts.start.isoformat(),
        "EndPeriod": opts.end.isoformat(),
        "Currency": opts.currency,
        "Option": [{"Name": "NoReportData", "Value": "false" if has_data else "true"}],
    }
    columns = [
        {
            "ColTitle": COLUMNS[key][0],
            "ColType": COLUMNS[key][1],
            "MetaData": [{"Name": "ColKey", "Value": key}],
        }
        for key in opts.columns
    ]
    return {"Header": header, "Columns": {"Column": columns}, "Rows": {"Row": rows}}


__all__ = [
    "COLUMNS",
    "DEFAULT_CELL_LIMIT",
    "DETAIL_REPORTS",
    "TRUNCATION_TEXT",
    "count_cells",
    "handles",
    "limit_cells",
    "run_detail_report",
    "txn_label",
]
