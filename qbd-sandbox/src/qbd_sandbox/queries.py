"""Queries as QuickBooks answers them: filters, iterators, deleted objects, and records rendered.

A query picks records in one of three ways, as the qbXML spec's choice says: by ListID/TxnID, by
FullName/RefNumber, or by filters (active status, modified and transaction dates, entity, account,
names and reference numbers, class, paid status, ...). Filters become one SQL statement over the
indexed columns of ``records``; matches come in a stable order (lists by full name, transactions by
date then number).

An iterator (``iterator="Start"``) snapshots the order of its matches, as QuickBooks does: each
``Continue`` reads the next positions of that snapshot by its primary key, so a page of a
100,000-record company costs the same as the first page of a small one; a record deleted since the
Start is skipped. Iterators belong to the session that started them and die with it (3391).
"""

from __future__ import annotations

import hashlib
import uuid
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree
from qbd_client import catalog
from qbd_client.catalog import ObjectSpec
from qbd_client.xml import Element, child_text, local_name

from . import clock, elements, ledger, status
from .store import Row, Store
from .writes import ENTITIES, REF_TARGETS, nodes

#: (first object a reference may name, ListID) -> its current full name, for one answer.
NameCache = dict[tuple[str, str], "str | None"]


@dataclass
class Lookups:
    """What the records of one answer share: current names of referenced elements, and the
    accounts of a type (A/R, A/P) customers' and vendors' balances sum."""

    names: NameCache = field(default_factory=dict)
    accounts: dict[str, list[str]] = field(default_factory=dict)


#: How many seqs of an iterator's snapshot one row of ``iterator_rows`` holds.
CHUNK = 1024

#: Ret elements that are the lines of a transaction (returned only with IncludeLineItems true).
_HEADER_LINES = frozenset({"DiscountLineRet", "SalesTaxLineRet", "ShippingLineRet"})


def is_line_element(name: str) -> bool:
    if name in ("JournalDebitLine", "JournalCreditLine", "AppliedToTxnRet"):
        return True
    return name.endswith(("LineRet", "LineGroupRet")) and name not in _HEADER_LINES


@dataclass
class Options:
    """What a query or a write asks to see of each record."""

    include_lines: bool = True
    include_linked: bool = True
    include_elements: frozenset[str] = frozenset()
    owner_ids: tuple[str, ...] = ()


@dataclass
class Answer:
    """A query's rows and the status and attributes of its ``XxxRs``."""

    rets: list[Element] = field(default_factory=list)
    code: int = 0
    message: str = status.OK_MESSAGE
    attributes: dict[str, str] = field(default_factory=dict)


def _texts(element: Element, name: str) -> list[str]:
    return [(c.text or "").strip() for c in element if isinstance(c.tag, str) and local_name(c) == name]


def _child(element: Element, name: str) -> Element | None:
    return next((c for c in element if isinstance(c.tag, str) and local_name(c) == name), None)


def _like(text: str, criterion: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if criterion == "StartsWith":
        return f"{escaped}%"
    if criterion == "EndsWith":
        return f"%{escaped}"
    return f"%{escaped}%"


class Renderer:
    """Stored records as Ret elements, with the values QuickBooks computes when it answers."""

    def __init__(self, store: Store, tz: ZoneInfo) -> None:
        self.store = store
        self.tz = tz

    def ret(self, row: Row, options: Options, lookups: Lookups | None = None) -> Element:
        """The record's ``XxxRet`` element as a query (or a write's answer) with ``options`` shows it."""
        fields = self.fields(row, options, lookups)
        return elements.element(f"{row.object}Ret", fields, nodes(row.object, "Ret"))

    def fields(self, row: Row, options: Options, lookups: Lookups | None = None) -> dict[str, Any]:
        """The text mapping a Ret shows: options applied, balances and quantities computed, and
        references carrying the current full name of what they name (``lookups`` caches those
        look-ups across the records of one answer)."""
        lookups = lookups or Lookups()
        data: dict[str, Any] = self._current_names(row.object, row.data, lookups.names, ())
        if not options.include_lines:
            data = {k: v for k, v in data.items() if not is_line_element(k)}
        if not options.include_linked:
            data.pop("LinkedTxn", None)
        self._computed(row, data, lookups)
        if options.owner_ids:
            ext = self._data_ext(row, options.owner_ids)
            if ext:
                data["DataExtRet"] = ext
        else:
            data = _without_line_data_ext(data)
        if options.include_elements:
            data = {k: v for k, v in data.items() if k in options.include_elements}
        return data

    def _current_names(
        self, object_name: str, data: dict[str, Any], names: NameCache, path: tuple[str, ...]
    ) -> dict[str, Any]:
        """A copy of ``data`` whose references show today's full names (QuickBooks stores links, not
        names: a renamed customer or a moved job shows its new name on every transaction)."""
        out: dict[str, Any] = {}
        for key, value in data.items():
            if type(value) is not dict and type(value) is not list:
                out[key] = value
                continue
            items = value if type(value) is list else None
            fixed = []
            for item in items if items is not None else [value]:
                if type(item) is not dict:
                    fixed.append(item)
                    continue
                if key.endswith("Ref") and item.get("ListID"):
                    top_parent = key == "ParentRef" and not path
                    objects = (object_name,) if top_parent else REF_TARGETS.get(key, ("", ()))[1]
                    item = self._ref_with_name(item, objects, names)
                else:
                    item = self._current_names(object_name, item, names, (*path, key))
                fixed.append(item)
            out[key] = fixed if items is not None else fixed[0]
        return out

    def _ref_with_name(self, ref: dict[str, Any], objects: Sequence[str], names: NameCache) -> dict[str, Any]:
        if not objects:
            return ref
        list_id = str(ref["ListID"])
        key = (objects[0], list_id)
        if key not in names:
            marks = ",".join("?" * len(objects))
            found = self.store.conn.execute(
                f"SELECT name FROM records WHERE id = ? AND object IN ({marks}) LIMIT 1", (list_id, *objects)
            ).fetchone()
            names[key] = None if found is None else found[0]
        current = names[key]
        return ref if current is None else {"ListID": list_id, "FullName": current}

    def _data_ext(self, row: Row, owner_ids: Sequence[str]) -> list[dict[str, str]]:
        marks = ",".join("?" * len(owner_ids))
        return [
            {"OwnerID": r[0], "DataExtName": r[1], "DataExtType": r[2], "DataExtValue": r[3]}
            for r in self.store.conn.execute(
                f"SELECT owner_id, name, type, value FROM data_ext WHERE object = ? AND id = ? "
                f"AND owner_id IN ({marks}) ORDER BY owner_id, name",
                (row.object, row.id, *owner_ids),
            )
        ]

    def _computed(self, row: Row, data: dict[str, Any], lookups: Lookups) -> None:
        """Balances and quantities follow the ledger and the stock moves, as in QuickBooks."""
        if row.object == "Account":
            own = self._account_sum([row.id])
            family = self._account_sum([row.id, *self._descendants(row)])
            debit_normal = ledger.is_debit_normal(str(data.get("AccountType")))
            sign = 1 if debit_normal else -1
            data["Balance"] = elements.from_cents(sign * own)
            data["TotalBalance"] = elements.from_cents(sign * family)
        elif row.object == "Customer":
            receivables = self._accounts_of_type("AccountsReceivable", lookups)
            own = self._entity_sum([row.id], receivables)
            jobs = self._descendants(row)
            family = own + self._entity_sum(jobs, receivables) if jobs else own
            data["Balance"] = elements.from_cents(own)
            data["TotalBalance"] = elements.from_cents(family)
        elif row.object == "Vendor":
            payables = self._accounts_of_type("AccountsPayable", lookups)
            data["Balance"] = elements.from_cents(-self._entity_sum([row.id], payables))
        elif row.object == "ItemInventory":
            sums = {
                str(r[0]): (int(r[1]), int(r[2]))
                for r in self.store.conn.execute(
                    "SELECT kind, COALESCE(SUM(quantity), 0), COALESCE(SUM(value), 0) FROM stock "
                    "WHERE item_id = ? GROUP BY kind",
                    (row.id,),
                )
            }
            units, value = sums.get("onhand", (0, 0))
            data["QuantityOnHand"] = elements.quantity(Decimal(units) / 100000)
            if units > 0:
                data["AverageCost"] = elements.amount(Decimal(value) * 1000 / units)
            else:
                data["AverageCost"] = elements.amount(
                    elements.dec(data.get("PurchaseCost"), Decimal(0)) or Decimal(0)
                )
            data["QuantityOnOrder"] = elements.quantity(Decimal(sums.get("order", (0, 0))[0]) / 100000)
            data["QuantityOnSalesOrder"] = elements.quantity(
                Decimal(sums.get("salesorder", (0, 0))[0]) / 100000
            )

    def _descendants(self, row: Row) -> list[str]:
        prefix = row.sort_key.split("\x00", 1)[0] + "\x01"
        return [
            str(r[0])
            for r in self.store.conn.execute(
                "SELECT id FROM records WHERE object = ? AND sort_key >= ? AND sort_key < ?",
                (row.object, prefix, prefix + "\U0010ffff"),
            )
        ]

    def _account_sum(self, ids: Sequence[str]) -> int:
        marks = ",".join("?" * len(ids))
        row = self.store.conn.execute(
            f"SELECT COALESCE(SUM(amount), 0) FROM postings "
            f"WHERE account_id IN ({marks}) AND basis != 'cash'",
            tuple(ids),
        ).fetchone()
        return int(row[0])

    def _accounts_of_type(self, account_type: str, lookups: Lookups) -> list[str]:
        if account_type not in lookups.accounts:
            lookups.accounts[account_type] = [
                str(r[0])
                for r in self.store.conn.execute(
                    "SELECT id FROM records "
                    "WHERE object = 'Account' AND json_extract(data, '$.AccountType') = ?",
                    (account_type,),
                )
            ]
        return lookups.accounts[account_type]

    def _entity_sum(self, ids: Sequence[str], accounts: Sequence[str]) -> int:
        if not accounts or not ids:
            return 0
        row = self.store.conn.execute(
            f"SELECT COALESCE(SUM(amount), 0) FROM postings WHERE entity_id IN ({','.join('?' * len(ids))}) "
            f"AND account_id IN ({','.join('?' * len(accounts))}) AND basis != 'cash'",
            (*ids, *accounts),
        ).fetchone()
        return int(row[0])


def _without_line_data_ext(data: dict[str, Any]) -> dict[str, Any]:
    """Custom fields on lines come back only when the query names their OwnerID."""
    out = dict(data)
    for key, value in data.items():
        if is_line_element(key) and isinstance(value, list):
            out[key] = [
                {k: v for k, v in line.items() if k != "DataExtRet"} if isinstance(line, dict) else line
                for line in value
            ]
    return out


class Queries:
    """Answers ``XxxQueryRq``, ``ListDeletedQueryRq`` and ``TxnDeletedQueryRq``."""

    def __init__(
        self, store: Store, tz: ZoneInfo, renderer: Renderer, now: Callable[[], datetime], retention_days: int
    ) -> None:
        self.store = store
        self.tz = tz
        self.renderer = renderer
        self.now = now
        self.retention_days = retention_days
        #: This QuickBooks "process": iterators die with it, as they do when QuickBooks restarts.
        self.instance = uuid.uuid4().hex

    # -- object queries -------------------------------------------------------------------------

    def query(self, spec: ObjectSpec, request: Element, session: str) -> Answer:
        options = Options(
            include_lines=not spec.line_items or child_text(request, "IncludeLineItems") in ("true", "1"),
            include_linked=child_text(request, "IncludeLinkedTxns") in ("true", "1"),
            include_elements=frozenset(_texts(request, "IncludeRetElement")),
            owner_ids=tuple(_texts(request, "OwnerID")),
        )
        iterator = request.get("iterator")
        if iterator in ("Continue", "Stop"):
            return self._continue(spec, request, session, options, stop=iterator == "Stop")
        meta = request.get("metaData", "NoMetaData")
        limit_text = child_text(request, "MaxReturned")
        limit = None if limit_text is None or iterator == "Start" else max(int(limit_text), 0)
        answer = Answer()
        if meta in ("MetaDataOnly", "MetaDataAndResponseData"):
            answer.attributes["retCount"] = str(self._count(spec, request))
            if meta == "MetaDataOnly":
                return answer
        seqs, warning = self._match(spec, request, limit)
        if iterator == "Start":
            return self._start(spec, request, session, options, seqs, answer)
        answer.rets = self._render(seqs, options)
        if warning is not None:
            answer.code, answer.message = warning.code, warning.message
        elif not answer.rets:
            raise status.no_match()
        return answer

    def _render(self, seqs: Sequence[int], options: Options) -> list[Element]:
        rows = self.store.by_seqs(seqs)
        lookups = Lookups()
        return [self.renderer.ret(rows[s], options, lookups) for s in seqs if s in rows]

    def _named_request(self, spec: ObjectSpec, request: Element) -> tuple[list[str], list[str], list[str]]:
        ids = _texts(request, spec.id_field)
        names = _texts(request, "FullName") if spec.is_list else _texts(request, "RefNumber")
        exact = _texts(request, "RefNumberCaseSensitive") if spec.is_transaction else []
        return ids, names, exact

    def _count(self, spec: ObjectSpec, request: Element) -> int:
        ids, names, exact = self._named_request(spec, request)
        if ids or names or exact or _child(request, "TotalBalanceFilter") is not None:
            try:
                return len(self._match(spec, request, None)[0])
            except status.Status:
                return 0
        where, params = self._filters(spec, request)
        row = self.store.conn.execute(f"SELECT COUNT(*) FROM records WHERE {where}", params).fetchone()
        return int(row[0])

    def _match(
        self, spec: ObjectSpec, request: Element, limit: int | None
    ) -> tuple[list[int], status.Status | None]:
        """The seqs of the matching records in answer order, and a 500 warning for names not found."""
        ids, names, exact = self._named_request(spec, request)
        if ids or names or exact:
            return self._named(spec, ids, names, exact)
        where, params = self._filters(spec, request)
        balance_filter = _child(request, "TotalBalanceFilter")
        sql = f"SELECT seq FROM records WHERE {where} ORDER BY sort_key"
        if limit is not None and balance_filter is None:
            sql += f" LIMIT {int(limit)}"
        seqs = [int(r[0]) for r in self.store.conn.execute(sql, params)]
        if balance_filter is not None:
            seqs = self._balance_filter(seqs, balance_filter)
            if limit is not None:
                seqs = seqs[:limit]
        return seqs, None

    def _named(
        self, spec: ObjectSpec, ids: list[str], names: list[str], exact: list[str]
    ) -> tuple[list[int], status.Status | None]:
        found: list[int] = []
        missing: list[str] = []
        for id_ in ids:
            row = self.store.get(spec.name, id_)
            if row is None or row.seq is None:
                missing.append(id_)
            elif row.seq not in found:
                found.append(row.seq)
        for name in names:
            rows = self.store.by_name((spec.name,), name)
            if not rows:
                missing.append(name)
            found.extend(r.seq for r in rows if r.seq is not None and r.seq not in found)
        for name in exact:
            rows = [r for r in self.store.by_name((spec.name,), name) if r.name == name]
            if not rows:
                missing.append(name)
            found.extend(r.seq for r in rows if r.seq is not None and r.seq not in found)
        if missing and not found and ids:
            # A query by id alone that finds nothing is an error in QuickBooks (3120), not a warning.
            raise status.object_not_found(missing[0])
        return found, status.not_found_warning(missing[0]) if missing else None

    def _filters(self, spec: ObjectSpec, request: Element) -> tuple[str, list[Any]]:
        where = ["object = ?"]
        params: list[Any] = [spec.name]

        def dates(from_text: str | None, to_text: str | None, column: str, field_from: str) -> None:
            bounds: list[str | None] = []
            for text, name in ((from_text, field_from), (to_text, field_from.replace("From", "To"))):
                if text is None:
                    bounds.append(None)
                    continue
                try:
                    bounds.append(clock.utc_key(clock.parse_datetime(text, self.tz)))
                except clock.DateError:
                    raise status.invalid_date(name, text) from None
            if bounds[0] and bounds[1] and bounds[0] > bounds[1]:
                raise status.invalid_date_range()
            if bounds[0]:
                where.append(f"{column} >= ?")
                params.append(bounds[0])
            if bounds[1]:
                where.append(f"{column} <= ?")
                params.append(bounds[1])

        if spec.is_list:
            active = child_text(request, "ActiveStatus") or "ActiveOnly"
            if active == "ActiveOnly":
                where.append("is_active = 1")
            elif active == "InactiveOnly":
                where.append("is_active = 0")
            dates(
                child_text(request, "FromModifiedDate"),
                child_text(request, "ToModifiedDate"),
                "time_modified",
                "FromModifiedDate",
            )
            name_filter = _child(request, "NameFilter")
            if name_filter is not None:
                where.append("name LIKE ? ESCAPE '\\'")
                params.append(
                    _like(
                        child_text(name_filter, "Name") or "", child_text(name_filter, "MatchCriterion") or ""
                    )
                )
            name_range = _child(request, "NameRangeFilter")
            if name_range is not None:
                low, high = child_text(name_range, "FromName"), child_text(name_range, "ToName")
                if low:
                    where.append("name >= ? COLLATE NOCASE")
                    params.append(low)
                if high:
                    where.append("name <= ? COLLATE NOCASE")
                    params.append(high)
            types = _texts(request, "AccountType")
            if types:
                where.append(f"json_extract(data, '$.AccountType') IN ({','.join('?' * len(types))})")
                params.extend(types)
            method_type = child_text(request, "PaymentMethodType")
            if method_type:
                where.append("json_extract(data, '$.PaymentMethodType') = ?")
                params.append(method_type)
            class_filter = _child(request, "ClassFilter")
            if class_filter is not None:
                class_ids = self._list_ids(("Class",), class_filter)
                where.append(
                    f"json_extract(data, '$.ClassRef.ListID') IN ({','.join('?' * len(class_ids)) or 'NULL'})"
                )
                params.extend(class_ids)
        else:
            modified = _child(request, "ModifiedDateRangeFilter")
            if modified is not None:
                dates(
                    child_text(modified, "FromModifiedDate"),
                    child_text(modified, "ToModifiedDate"),
                    "time_modified",
                    "FromModifiedDate",
                )
            txn_dates = _child(request, "TxnDateRangeFilter")
            if txn_dates is not None:
                self._txn_dates(txn_dates, where, params)
            for filter_name in ("EntityFilter", "TimeTrackingEntityFilter"):
                entity_filter = _child(request, filter_name)
                if entity_filter is not None:
                    entity_ids = self._list_ids(ENTITIES, entity_filter)
                    where.append(f"entity_id IN ({','.join('?' * len(entity_ids)) or 'NULL'})")
                    params.extend(entity_ids)
            account_filter = _child(request, "AccountFilter")
            if account_filter is not None:
                account_ids = self._list_ids(("Account",), account_filter)
                marks = ",".join("?" * len(account_ids)) or "NULL"
                where.append(
                    "EXISTS (SELECT 1 FROM postings p WHERE p.object = records.object AND p.id = records.id "
                    f"AND p.account_id IN ({marks}))"
                )
                params.extend(account_ids)
            ref_filter = _child(request, "RefNumberFilter")
            if ref_filter is not None:
                where.append("name LIKE ? ESCAPE '\\'")
                params.append(
                    _like(
                        child_text(ref_filter, "RefNumber") or "",
                        child_text(ref_filter, "MatchCriterion") or "",
                    )
                )
            ref_range = _child(request, "RefNumberRangeFilter")
            if ref_range is not None:
                low, high = child_text(ref_range, "FromRefNumber"), child_text(ref_range, "ToRefNumber")
                for bound, op in ((low, ">="), (high, "<=")):
                    if bound:
                        if bound.isdigit():
                            where.append(f"CAST(name AS INTEGER) {op} ? AND name GLOB '[0-9]*'")
                            params.append(int(bound))
                        else:
                            where.append(f"name {op} ? COLLATE NOCASE")
                            params.append(bound)
            paid = child_text(request, "PaidStatus")
            if paid in ("PaidOnly", "NotPaidOnly"):
                where.append("json_extract(data, '$.IsPaid') = ?")
                params.append("true" if paid == "PaidOnly" else "false")
        currency = _child(request, "CurrencyFilter")
        if currency is not None:
            wanted = _texts(currency, "ListID") or _texts(currency, "FullName")
            key = "$.CurrencyRef.ListID" if _texts(currency, "ListID") else "$.CurrencyRef.FullName"
            where.append(f"json_extract(data, '{key}') IN ({','.join('?' * len(wanted))})")
            params.extend(wanted)
        return " AND ".join(where), params

    def _txn_dates(self, element: Element, where: list[str], params: list[Any]) -> None:
        macro = child_text(element, "DateMacro")
        if macro is not None:
            try:
                low, high = clock.date_macro(macro, self.now().astimezone(self.tz).date())
            except clock.DateError:
                raise status.invalid_value("DateMacro", macro, "Unknown date macro.") from None
            low_text = low.isoformat() if low else None
            high_text = high.isoformat() if high else None
        else:
            low_text, high_text = child_text(element, "FromTxnDate"), child_text(element, "ToTxnDate")
            for text, name in ((low_text, "FromTxnDate"), (high_text, "ToTxnDate")):
                if text is not None:
                    try:
                        clock.parse_date(text)
                    except clock.DateError:
                        raise status.invalid_date(name, text) from None
            if low_text and high_text and low_text > high_text:
                raise status.invalid_date_range()
        if low_text:
            where.append("txn_date >= ?")
            params.append(low_text)
        if high_text:
            where.append("txn_date <= ?")
            params.append(high_text)

    def _list_ids(self, objects: Sequence[str], element: Element) -> list[str]:
        """The ListIDs an Entity/Account/Class filter names (with their children when it asks)."""
        ids = _texts(element, "ListID")
        for name in _texts(element, "FullName"):
            ids.extend(r.id for r in self.store.by_name(objects, name))
        roots: list[Row] = []
        with_children = child_text(element, "ListIDWithChildren")
        if with_children:
            row = self.store.by_id(objects, with_children)
            roots.extend([row] if row else [])
        name_with_children = child_text(element, "FullNameWithChildren")
        if name_with_children:
            roots.extend(self.store.by_name(objects, name_with_children))
        for root in roots:
            ids.append(root.id)
            ids.extend(self.renderer._descendants(root))
        return ids

    def _balance_filter(self, seqs: list[int], element: Element) -> list[int]:
        operator = child_text(element, "Operator") or "Equal"
        wanted = elements.cents(child_text(element, "Amount"))
        tests: dict[str, Callable[[int], bool]] = {
            "LessThan": lambda v: v < wanted,
            "LessThanEqual": lambda v: v <= wanted,
            "Equal": lambda v: v == wanted,
            "GreaterThan": lambda v: v > wanted,
            "GreaterThanEqual": lambda v: v >= wanted,
        }
        rows = self.store.by_seqs(seqs)
        lookups = Lookups()
        out = []
        for seq in seqs:
            row = rows.get(seq)
            if row is None:
                continue
            data: dict[str, Any] = {}
            self.renderer._computed(row, data, lookups)
            key = "TotalBalance" if "TotalBalance" in data else "Balance"
            if tests[operator](elements.cents(data.get(key))):
                out.append(seq)
        return out

    # -- iterators ------------------------------------------------------------------------------

    @staticmethod
    def request_key(request: Element) -> str:
        """What a Continue must repeat of its Start: every child element (whitespace aside) but the
        page size, which a client may change from page to page."""
        sha = hashlib.sha256(local_name(request).encode())
        for child in request:
            if isinstance(child.tag, str) and local_name(child) != "MaxReturned":
                sha.update(etree.tostring(_normalized(child), method="c14n"))
        return sha.hexdigest()

    def _start(
        self,
        spec: ObjectSpec,
        request: Element,
        session: str,
        options: Options,
        seqs: list[int],
        answer: Answer,
    ) -> Answer:
        limit_text = child_text(request, "MaxReturned")
        if limit_text is None:
            raise status.missing_element("MaxReturned")
        page = max(int(limit_text), 1)
        iterator_id = "{" + str(uuid.uuid4()) + "}"
        first = seqs[:page]
        remaining = max(len(seqs) - len(first), 0)
        answer.rets = self._render(first, options)
        answer.attributes["iteratorRemainingCount"] = str(remaining)
        answer.attributes["iteratorID"] = iterator_id
        if remaining:
            conn = self.store.conn
            conn.execute(
                "INSERT INTO iterators "
                "(iterator_id, owner, started, session, request_key, object, total, position, page_size) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    iterator_id,
                    self.instance,
                    clock.utc_key(self.now()),
                    session,
                    self.request_key(request),
                    spec.name,
                    len(seqs),
                    len(first),
                    page,
                ),
            )
            conn.executemany(
                "INSERT INTO iterator_rows (iterator_id, chunk, seqs) VALUES (?, ?, ?)",
                (
                    (iterator_id, number, array("q", seqs[start : start + CHUNK]).tobytes())
                    for number, start in enumerate(range(0, len(seqs), CHUNK))
                ),
            )
        if not answer.rets:
            answer.code, answer.message = 1, status.NO_MATCH_MESSAGE
        return answer

    def _continue(
        self, spec: ObjectSpec, request: Element, session: str, options: Options, *, stop: bool
    ) -> Answer:
        iterator_id = request.get("iteratorID", "")
        conn = self.store.conn
        found = conn.execute(
            "SELECT session, request_key, object, total, position FROM iterators WHERE iterator_id = ? "
            "AND owner = ?",
            (iterator_id, self.instance),
        ).fetchone()
        if found is None or found[0] != session or found[2] != spec.name:
            raise status.iterator_invalid(iterator_id)
        answer = Answer()
        if stop:
            self.drop_iterator(iterator_id)
            answer.attributes["iteratorRemainingCount"] = "0"
            answer.attributes["iteratorID"] = iterator_id
            return answer
        if found[1] != self.request_key(request):
            raise status.invalid_value(
                "iteratorID",
                iterator_id,
                "A Continue must send the same filters as the Start of its iterator.",
            )
        total, position = int(found[3]), int(found[4])
        limit_text = child_text(request, "MaxReturned")
        page = max(int(limit_text), 1) if limit_text else 100
        # Positions are 0-based indexes into the snapshot; ``position`` records have been answered.
        packed = array("q")
        for (blob,) in conn.execute(
            "SELECT seqs FROM iterator_rows WHERE iterator_id = ? AND chunk BETWEEN ? AND ? ORDER BY chunk",
            (iterator_id, position // CHUNK, (position + page - 1) // CHUNK),
        ):
            packed.frombytes(blob)
        offset = position - (position // CHUNK) * CHUNK
        seqs = list(packed[offset : offset + page])
        position += len(seqs)
        remaining = max(total - position, 0)
        answer.rets = self._render(seqs, options)
        answer.attributes["iteratorRemainingCount"] = str(remaining)
        answer.attributes["iteratorID"] = iterator_id
        if remaining:
            conn.execute("UPDATE iterators SET position = ? WHERE iterator_id = ?", (position, iterator_id))
        else:
            self.drop_iterator(iterator_id)
        if not answer.rets:
            answer.code, answer.message = 1, status.NO_MATCH_MESSAGE
        return answer

    def drop_iterator(self, iterator_id: str) -> None:
        self.store.conn.execute("DELETE FROM iterators WHERE iterator_id = ?", (iterator_id,))
        self.store.conn.execute("DELETE FROM iterator_rows WHERE iterator_id = ?", (iterator_id,))

    def forget_stale(self, older_than: timedelta) -> None:
        """Drop iterators that other (ended) processes left in the file."""
        horizon = clock.utc_key(self.now() - older_than)
        for (iterator_id,) in self.store.conn.execute(
            "SELECT iterator_id FROM iterators WHERE started < ?", (horizon,)
        ).fetchall():
            self.drop_iterator(str(iterator_id))

    def end_session(self, session: str) -> None:
        for row in self.store.conn.execute(
            "SELECT iterator_id FROM iterators WHERE session = ?", (session,)
        ).fetchall():
            self.drop_iterator(str(row[0]))

    # -- deleted objects ------------------------------------------------------------------------

    def deleted(self, request: Element, *, lists: bool) -> Answer:
        type_tag = "ListDelType" if lists else "TxnDelType"
        types = _texts(request, type_tag)
        horizon = clock.utc_key(self.now() - timedelta(days=self.retention_days))
        where = [
            f"is_list = {int(lists)}",
            "time_deleted_key >= ?",
            f"del_type IN ({','.join('?' * len(types))})",
        ]
        params: list[Any] = [horizon, *types]
        range_filter = _child(request, "DeletedDateRangeFilter")
        if range_filter is not None:
            bounds: list[str | None] = []
            for name in ("FromDeletedDate", "ToDeletedDate"):
                text = child_text(range_filter, name)
                if text is None:
                    bounds.append(None)
                    continue
                try:
                    bounds.append(clock.utc_key(clock.parse_datetime(text, self.tz)))
                except clock.DateError:
                    raise status.invalid_date(name, text) from None
            if bounds[0] and bounds[1] and bounds[0] > bounds[1]:
                raise status.invalid_date_range()
            if bounds[0]:
                where.append("time_deleted_key >= ?")
                params.append(bounds[0])
            if bounds[1]:
                where.append("time_deleted_key <= ?")
                params.append(bounds[1])
        rows = self.store.conn.execute(
            f"SELECT del_type, id, time_created, time_deleted, name FROM deleted WHERE {' AND '.join(where)} "
            "ORDER BY time_deleted_key, id",
            params,
        ).fetchall()
        answer = Answer()
        tag = "ListDeletedRet" if lists else "TxnDeletedRet"
        for del_type, id_, created, deleted, name in rows:
            ret = etree.Element(tag)
            etree.SubElement(ret, type_tag).text = del_type
            etree.SubElement(ret, "ListID" if lists else "TxnID").text = id_
            etree.SubElement(ret, "TimeCreated").text = created
            etree.SubElement(ret, "TimeDeleted").text = deleted
            if name:
                etree.SubElement(ret, "FullName" if lists else "RefNumber").text = name
            answer.rets.append(ret)
        if not answer.rets:
            raise status.no_match()
        return answer


def _normalized(element: Element) -> Element:
    """A copy without insignificant whitespace, so that indentation does not change a request's key."""
    copy = etree.Element(local_name(element), dict(element.attrib))
    kids = [c for c in element if isinstance(c.tag, str)]
    if kids:
        for kid in kids:
            copy.append(_normalized(kid))
    else:
        copy.text = (element.text or "").strip()
    return copy


def spec_of_query(tag: str) -> ObjectSpec | None:
    if tag.endswith("QueryRq"):
        try:
            return catalog.get(tag[: -len("QueryRq")])
        except KeyError:
            return None
    return None
