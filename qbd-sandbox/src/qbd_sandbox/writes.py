"""Adds, modifications, deletions and voids, with the rules QuickBooks applies to each.

Every write arrives as a text mapping of the request's ``XxxAdd`` / ``XxxMod`` element and leaves a
stored Ret: ids and times assigned, references resolved to ``{ListID, FullName}`` (3140 when the
list has no such element), names unique in their namespace (3100), the EditSequence of a Mod checked
(3200), transaction lines numbered and their amounts and the totals computed, payments applied to
what they pay, and the ledger's postings replaced. The qbXML processor and the Python API of
:class:`~qbd_sandbox.company.Company` both come here, so a seeded company behaves like one written
through qbXML.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from qbd_client import catalog, qbxml

from . import clock, ledger, status
from .elements import Node, TextMap, amount, cents, dec, from_cents, price, quantity
from .store import Posting, Row, Store

ITEMS = ("ItemService", "ItemInventory", "ItemNonInventory", "ItemOtherCharge")
ENTITIES = ("Customer", "Vendor", "Employee")

_REF = {
    "type": "aggregate",
    "min": 0,
    "max": 1,
    "children": [
        {"name": "ListID", "type": "IDTYPE", "min": 0, "max": 1},
        {"name": "FullName", "type": "STRTYPE", "min": 0, "max": 1},
    ],
}


def _leaf(name: str, type_: str = "STRTYPE", min_: int = 0) -> Node:
    return {"name": name, "type": type_, "min": min_, "max": 1}


#: Lists QuickBooks has that the catalog leaves out but the catalog's objects refer to and compute
#: with. ItemSalesTax holds the rate of sales tax; it is written through the Python API only (its
#: qbXML requests are not in this project's spec).
EXTRA_LISTS: dict[str, dict[str, list[Node]]] = {
    "ItemSalesTax": {
        "Ret": [
            _leaf("ListID", "IDTYPE"),
            _leaf("TimeCreated", "DATETIMETYPE"),
            _leaf("TimeModified", "DATETIMETYPE"),
            _leaf("EditSequence"),
            _leaf("Name"),
            _leaf("IsActive", "BOOLTYPE"),
            _leaf("ItemDesc"),
            _leaf("TaxRate", "PERCENTTYPE"),
            {**_REF, "name": "TaxVendorRef"},
        ],
        "Add": [
            _leaf("Name", min_=1),
            _leaf("IsActive", "BOOLTYPE"),
            _leaf("ItemDesc"),
            _leaf("TaxRate", "PERCENTTYPE"),
            {**_REF, "name": "TaxVendorRef"},
        ],
        "Mod": [
            _leaf("ListID", "IDTYPE", 1),
            _leaf("EditSequence", min_=1),
            _leaf("Name"),
            _leaf("IsActive", "BOOLTYPE"),
            _leaf("ItemDesc"),
            _leaf("TaxRate", "PERCENTTYPE"),
            {**_REF, "name": "TaxVendorRef"},
        ],
    }
}

#: Lists whose names must be unique together (QuickBooks' "name is already in use", 3100), and
#: whose ListIDs come from one counter.
NAMESPACES = {
    "Account": "Account",
    "Customer": "Name",
    "Vendor": "Name",
    "Employee": "Name",
    "Class": "Class",
    "StandardTerms": "Terms",
    "DateDrivenTerms": "Terms",
    "SalesTaxCode": "SalesTaxCode",
    "PaymentMethod": "PaymentMethod",
    "ItemSalesTax": "Item",
    **dict.fromkeys(ITEMS, "Item"),
}

_ACCOUNT_REFS = [
    "AccountRef",
    "ARAccountRef",
    "APAccountRef",
    "DepositToAccountRef",
    "BankAccountRef",
    "IncomeAccountRef",
    "ExpenseAccountRef",
    "COGSAccountRef",
    "AssetAccountRef",
    "TransferFromAccountRef",
    "TransferToAccountRef",
    "DiscountAccountRef",
    "OverrideItemAccountRef",
    "TaxOnPurchasesAccountRef",
    "TaxOnSalesAccountRef",
    "PrefillAccountRef",
]

#: Reference element -> (the word QuickBooks' messages use, the objects it may name). References
#: to lists outside the catalog (templates, ship methods, sales reps, ...) are kept as sent.
REF_TARGETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "CustomerRef": ("Customer", ("Customer",)),
    "VendorRef": ("Vendor", ("Vendor",)),
    "PrefVendorRef": ("Vendor", ("Vendor",)),
    "TaxVendorRef": ("Vendor", ("Vendor",)),
    "EntityRef": ("Entity", ENTITIES),
    "PayeeEntityRef": ("Entity", ENTITIES),
    "ShipToEntityRef": ("Entity", ENTITIES),
    "SupervisorRef": ("Employee", ("Employee",)),
    **dict.fromkeys(_ACCOUNT_REFS, ("Account", ("Account",))),
    "ItemRef": ("Item", ITEMS),
    "ItemServiceRef": ("ItemService", ("ItemService",)),
    "ItemGroupRef": ("ItemGroup", ()),
    "ItemSalesTaxRef": ("ItemSalesTax", ("ItemSalesTax",)),
    "ClassRef": ("Class", ("Class",)),
    "DiscountClassRef": ("Class", ("Class",)),
    "OverrideClassRef": ("Class", ("Class",)),
    "TermsRef": ("Terms", ("StandardTerms", "DateDrivenTerms")),
    "SalesTaxCodeRef": ("SalesTaxCode", ("SalesTaxCode",)),
    "CustomerSalesTaxCodeRef": ("SalesTaxCode", ("SalesTaxCode",)),
    "PurchaseTaxCodeRef": ("SalesTaxCode", ("SalesTaxCode",)),
    "PaymentMethodRef": ("PaymentMethod", ("PaymentMethod",)),
    "PreferredPaymentMethodRef": ("PaymentMethod", ("PaymentMethod",)),
}

#: The accounts QuickBooks creates the first time a transaction needs one:
#: kind -> (name, AccountType, SpecialAccountType).
SPECIAL_ACCOUNTS: dict[str, tuple[str, str, str | None]] = {
    "AccountsReceivable": ("Accounts Receivable", "AccountsReceivable", "AccountsReceivable"),
    "AccountsPayable": ("Accounts Payable", "AccountsPayable", "AccountsPayable"),
    "UndepositedFunds": ("Undeposited Funds", "OtherCurrentAsset", "UndepositedFunds"),
    "SalesTaxPayable": ("Sales Tax Payable", "OtherCurrentLiability", "SalesTaxPayable"),
    "OpeningBalanceEquity": ("Opening Balance Equity", "Equity", "OpeningBalanceEquity"),
    "RetainedEarnings": ("Retained Earnings", "Equity", "RetainedEarnings"),
    "UncategorizedIncome": ("Uncategorized Income", "Income", "UncategorizedIncome"),
    "UncategorizedExpenses": ("Uncategorized Expenses", "Expense", "UncategorizedExpenses"),
    "InventoryAssets": ("Inventory Asset", "OtherCurrentAsset", "InventoryAssets"),
    "CostOfGoodsSold": ("Cost of Goods Sold", "CostOfGoodsSold", "CostOfGoodsSold"),
}

CASH_FLOW = {
    "Bank": "NotApplicable",
    "AccountsReceivable": "Operating",
    "OtherCurrentAsset": "Operating",
    "AccountsPayable": "Operating",
    "CreditCard": "Operating",
    "OtherCurrentLiability": "Operating",
    "FixedAsset": "Investing",
    "OtherAsset": "Investing",
    "LongTermLiability": "Financing",
    "Equity": "Financing",
}

#: Transactions QuickBooks numbers itself when the request gives no RefNumber.
AUTO_NUMBERED = frozenset(
    {"Invoice", "SalesReceipt", "CreditMemo", "Estimate", "SalesOrder", "PurchaseOrder", "JournalEntry"}
)
SALES_FORMS = ledger.SALES_FORMS
PURCHASE_FORMS = ledger.PURCHASE_FORMS
LIST_COUNTER_START = 0x80000001
TXN_COUNTER_START = 0x10

#: Add/Mod element names whose Ret element is spelled differently.
_RENAMES = {
    "Contacts": "ContactsRet",
    "ContactsMod": "ContactsRet",
    "AdditionalNotes": "AdditionalNotesRet",
    "AdditionalNotesMod": "AdditionalNotesRet",
    "DataExt": "DataExtRet",
    "SalesOrPurchaseMod": "SalesOrPurchase",
    "SalesAndPurchaseMod": "SalesAndPurchase",
    "EmployeePayrollInfoMod": "EmployeePayrollInfo",
    "CreditCardTxnInfoMod": "CreditCardTxnInfo",
    "CashBackInfoAdd": "CashBackInfoRet",
    "CashBackInfoMod": "CashBackInfoRet",
}
#: Header-level line aggregates that are one per transaction, not repeated lines.
_SINGLE_LINES = frozenset({"DiscountLineAdd", "SalesTaxLineAdd", "ShippingLineAdd"})


def nodes(object_name: str, part: str) -> list[Node]:
    """The element spec of an object's ``Ret``, ``Add`` or ``Mod``."""
    if object_name in EXTRA_LISTS:
        return EXTRA_LISTS[object_name][part]
    found: list[Node] = qbxml.spec()["objects"][object_name][part]
    return found


def is_list(object_name: str) -> bool:
    return object_name in EXTRA_LISTS or catalog.get(object_name).is_list


def hierarchical(object_name: str) -> bool:
    return object_name not in EXTRA_LISTS and catalog.get(object_name).hierarchical


def name_key(object_name: str, full_name: str) -> str:
    return f"{NAMESPACES[object_name]}\x00{full_name.casefold()}"


def list_sort_key(full_name: str, id_: str) -> str:
    # ":" sorts after letters; \x01 keeps a parent's children right after it, as QuickBooks lists them.
    return f"{full_name.casefold().replace(':', chr(1))}\x00{id_}"


def txn_sort_key(txn_date: str, txn_number: int) -> str:
    return f"{txn_date}\x00{txn_number:012d}"


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def ref_id(value: Any) -> str | None:
    return ledger.ref_id(value)


def _walk_refs(
    data: Any, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], str, dict[str, Any]]]:
    """Every ``XxxRef`` aggregate inside ``data``, with the names of the aggregates around it."""
    if isinstance(data, dict):
        for key, value in data.items():
            for item in as_list(value):
                if isinstance(item, dict):
                    if key.endswith("Ref") and set(item) <= {"ListID", "FullName"}:
                        yield path, key, item
                    else:
                        yield from _walk_refs(item, (*path, key))


def _merge(old: dict[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """A Mod's header fields over the stored ones: sent leaves replace, empty ones clear."""
    out = dict(old)
    for key, value in new.items():
        if value == "" or value == {}:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict) and not key.endswith("Ref"):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _to_ret_names(data: Any) -> Any:
    """Rename Add/Mod aggregates to their Ret spelling, recursively (lines keep their own handling).

    The result is a new structure (every mapping and list rebuilt; leaves are strings), so the
    caller's fields can be neither changed through it nor need copying first.
    """
    if isinstance(data, list):
        return [_to_ret_names(v) for v in data]
    if not isinstance(data, dict):
        return data
    out: dict[str, Any] = {}
    for key, value in data.items():
        name: str = _RENAMES.get(key) or key
        if key == "DataExt":
            # Custom fields of a line: QuickBooks reports them with their type (text unless defined).
            value = [{**v, "DataExtType": v.get("DataExtType", "STR255TYPE")} for v in as_list(value)]
        if name == key and key in _SINGLE_LINES:
            name = key[: -len("Add")] + "Ret"
        out[name] = _to_ret_names(value)
    return out


class Writer:
    """The company's write rules; also the :class:`~qbd_sandbox.ledger.Books` the ledger reads."""

    def __init__(self, store: Store, tz: ZoneInfo) -> None:
        self.store = store
        self.tz = tz
        self._items: dict[str, tuple[str, Mapping[str, Any]] | None] = {}

    # -- Books (what the ledger reads) ----------------------------------------------------------

    def item(self, list_id: str) -> tuple[str, Mapping[str, Any]] | None:
        if list_id not in self._items:
            row = self.store.by_id(ITEMS, list_id)
            self._items[list_id] = None if row is None else (row.object, row.data)
        return self._items[list_id]

    def special_account(self, kind: str) -> str:
        """The ListID of one of QuickBooks' own accounts, created the first time it is needed."""
        name, account_type, special = SPECIAL_ACCOUNTS[kind]
        rows = self.store.rows(
            "WHERE object = 'Account' AND json_extract(data, '$.SpecialAccountType') = ? "
            "ORDER BY seq LIMIT 1",
            (special,),
        )
        if not rows and kind in ("AccountsReceivable", "AccountsPayable"):
            rows = self.store.rows(
                "WHERE object = 'Account' AND json_extract(data, '$.AccountType') = ? "
                "ORDER BY is_active DESC, seq "
                "LIMIT 1",
                (account_type,),
            )
        if not rows:
            existing = self.store.by_name_key(name_key("Account", name))
            if existing is not None and existing.data.get("AccountType") == account_type:
                return existing.id
            fields: TextMap = {"Name": name, "AccountType": account_type}
            if existing is not None:
                fields["Name"] = f"{name} (QuickBooks)"
            created = self.add("Account", fields, self._now, special=special)
            return created.id
        return rows[0].id

    def average_cost(self, item_id: str, exclude: tuple[str, str]) -> Fraction:
        row = self.store.conn.execute(
            "SELECT COALESCE(SUM(quantity), 0), COALESCE(SUM(value), 0) FROM stock "
            "WHERE item_id = ? AND kind = 'onhand' AND NOT (object = ? AND id = ?)",
            (item_id, *exclude),
        ).fetchone()
        units, value = int(row[0]), int(row[1])
        if units > 0 and value > 0:
            return Fraction(value, units)
        found = self.item(item_id)
        cost = dec(found[1].get("PurchaseCost"), Decimal(0)) if found else Decimal(0)
        return Fraction(int((cost or Decimal(0)) * 100), 100000)

    def postings_of(self, object_name: str, id_: str) -> list[Posting]:
        return self.store.postings_of(object_name, id_)

    # -- ids and times --------------------------------------------------------------------------

    _now: datetime

    def _stamp(self, at: datetime) -> str:
        self._now = at
        self._items = {}
        return clock.qb_datetime(at, self.tz)

    def _list_id(self, object_name: str, at: datetime) -> str:
        counter = self.store.next_value(f"list:{NAMESPACES[object_name]}", LIST_COUNTER_START)
        return f"{counter:08X}-{clock.unix(at)}"

    def _txn_id(self, at: datetime) -> str:
        counter = self.store.next_value("txn", TXN_COUNTER_START)
        return f"{counter:X}-{clock.unix(at)}"

    @staticmethod
    def _edit_sequence(at: datetime, previous: str | None) -> str:
        value = clock.unix(at)
        if previous is not None and previous.isdigit():
            value = max(value, int(previous) + 1)
        return str(value)

    def _today(self, at: datetime) -> str:
        return at.astimezone(self.tz).date().isoformat()

    # -- references -----------------------------------------------------------------------------

    def _resolve(self, object_name: str, data: dict[str, Any]) -> None:
        """Resolve every reference of a Ret in place (3140 for one that names nothing)."""
        for path, key, ref in list(_walk_refs(data)):
            if key == "ParentRef" and not path:
                continue  # resolved with the hierarchy
            found = REF_TARGETS.get(key)
            if found is None:
                continue
            word, objects = found
            line = any(p.endswith(("LineRet", "Line", "LineAdd", "LineMod")) for p in path)
            value = ref.get("ListID") or ref.get("FullName") or ""
            # Only the target's id and name are needed: the record itself is not read.
            target: tuple[str, str | None] | None = None
            if objects and ref.get("ListID"):
                target = self.store.ref_by_id(objects, str(ref["ListID"]))
            elif objects and ref.get("FullName"):
                target = self.store.ref_by_name(objects, str(ref["FullName"]))
            if target is None:
                raise status.invalid_reference(word, str(value), object_name, line=line)
            ref.clear()
            ref["ListID"] = target[0]
            if target[1] is not None:
                ref["FullName"] = target[1]

    def _parent(self, object_name: str, data: dict[str, Any], own_id: str | None) -> Row | None:
        ref = data.get("ParentRef")
        if not isinstance(ref, dict) or not (ref.get("ListID") or ref.get("FullName")):
            data.pop("ParentRef", None)
            return None
        value = str(ref.get("ListID") or ref.get("FullName"))
        if ref.get("ListID"):
            row = self.store.by_id((object_name,), str(ref["ListID"]))
        else:
            rows = self.store.by_name((object_name,), str(ref["FullName"]))
            row = rows[0] if rows else None
        word = "Item" if object_name in ITEMS else object_name
        if row is None:
            raise status.invalid_parent(word, value, object_name)
        if own_id is not None:
            ancestor: Row | None = row
            while ancestor is not None:
                if ancestor.id == own_id:
                    raise status.invalid_parent(word, value, object_name)
                ancestor = self.store.get(object_name, ancestor.parent_id) if ancestor.parent_id else None
        data["ParentRef"] = {"ListID": row.id, "FullName": row.name}
        return row

    # -- adds -----------------------------------------------------------------------------------

    def add(self, object_name: str, fields: TextMap, at: datetime, *, special: str | None = None) -> Row:
        """Store a new list element or transaction from the text mapping of its ``XxxAdd``."""
        self._stamp(at)
        if is_list(object_name):
            return self._add_list(object_name, fields, at, special)
        return self._add_txn(object_name, fields, at)

    def _add_list(self, object_name: str, fields: TextMap, at: datetime, special: str | None) -> Row:
        data: dict[str, Any] = _to_ret_names(fields)
        list_id = self._list_id(object_name, at)
        stamp = clock.qb_datetime(at, self.tz)
        edit_sequence = str(clock.unix(at))
        head = {"ListID": list_id, "TimeCreated": stamp, "TimeModified": stamp, "EditSequence": edit_sequence}
        data = {**head, **data}
        if special:
            data["SpecialAccountType"] = special
        self._resolve(object_name, data)
        self._list_rules(object_name, data, None, at)
        row = Row(
            object=object_name,
            id=list_id,
            data=data,
            sort_key="",
            time_created=clock.utc_key(at),
            time_modified=clock.utc_key(at),
            edit_sequence=edit_sequence,
        )
        self._place(row, self._parent(object_name, data, None))
        self._check_name(row)
        self.store.insert(row)
        self.store.set_refs(object_name, list_id, self._refs_of(row))
        self._post(row)
        return row

    def _list_rules(self, object_name: str, data: dict[str, Any], old: Row | None, at: datetime) -> None:
        data.setdefault("IsActive", "true")
        if object_name == "Account":
            data.setdefault("Balance", "0.00")
            data.setdefault("TotalBalance", "0.00")
            data["CashFlowClassification"] = CASH_FLOW.get(str(data.get("AccountType")), "None")
            tax_line = data.pop("TaxLineID", None)
            if tax_line:
                data["TaxLineInfoRet"] = {"TaxLineID": tax_line}
        elif object_name == "Customer":
            data.setdefault("Balance", "0.00")
            data.setdefault("TotalBalance", "0.00")
            data.setdefault("JobStatus", "None")
        elif object_name == "Vendor":
            data.setdefault("Balance", "0.00")
            data.setdefault("IsVendorEligibleFor1099", "false")
        elif object_name == "Employee":
            if not data.get("Name"):
                parts = [data.get(k) for k in ("FirstName", "MiddleName", "LastName")]
                data["Name"] = " ".join(str(p) for p in parts if p)
            if not data.get("Name"):
                raise status.missing_element("Name")
        elif object_name in ITEMS:
            self._item_rules(object_name, data, old)
        for key in ("ContactsRet",):
            for contact in as_list(data.get(key)):
                if isinstance(contact, dict) and "ListID" not in contact:
                    stamp = clock.qb_datetime(at, self.tz)
                    contact.update(
                        {
                            "ListID": self._list_id(object_name, at),
                            "TimeCreated": stamp,
                            "TimeModified": stamp,
                            "EditSequence": str(clock.unix(at)),
                        }
                    )
        notes = as_list(data.get("AdditionalNotesRet"))
        for number, note in enumerate(notes, start=1):
            if isinstance(note, dict):
                note.setdefault("NoteID", str(number))
                note.setdefault("Date", self._today(at))

    def _item_rules(self, object_name: str, data: dict[str, Any], old: Row | None) -> None:
        bar_code = data.pop("BarCode", None)
        if isinstance(bar_code, dict) and bar_code.get("BarCodeValue"):
            data["BarCodeValue"] = bar_code["BarCodeValue"]
        if object_name == "ItemInventory":
            for ref in ("IncomeAccountRef", "COGSAccountRef", "AssetAccountRef"):
                if not data.get(ref):
                    raise status.missing_element(ref)
            data.setdefault("SalesPrice", "0.00")
            data.setdefault("PurchaseCost", "0.00")
            if old is None:
                opening = data.pop("QuantityOnHand", None)
                value = data.pop("TotalValue", None)
                if opening not in (None, ""):
                    data["OpeningQuantity"] = opening
                    if value in (None, ""):
                        cost = dec(data.get("PurchaseCost"), Decimal(0)) or Decimal(0)
                        value = amount(cost * (dec(opening, Decimal(0)) or Decimal(0)))
                    data["OpeningValue"] = value
                if data.get("InventoryDate"):
                    data["OpeningDate"] = data.pop("InventoryDate")
            for computed in ("QuantityOnHand", "AverageCost", "QuantityOnOrder", "QuantityOnSalesOrder"):
                data.setdefault(computed, "0")
            return
        sales_or_purchase = data.get("SalesOrPurchase")
        both = data.get("SalesAndPurchase")
        if isinstance(sales_or_purchase, dict):
            if not sales_or_purchase.get("AccountRef"):
                raise status.missing_element("AccountRef")
            if "PricePercent" not in sales_or_purchase:
                sales_or_purchase.setdefault("Price", "0.00")
        elif isinstance(both, dict):
            for ref in ("IncomeAccountRef", "ExpenseAccountRef"):
                if not both.get(ref):
                    raise status.missing_element(ref)
            both.setdefault("SalesPrice", "0.00")
            both.setdefault("PurchaseCost", "0.00")
        elif old is None:
            raise status.missing_element("SalesOrPurchase")

    def _place(self, row: Row, parent: Row | None) -> None:
        """Name, FullName, Sublevel and the keys of a list element (children follow their parent)."""
        data = row.data
        name = str(data.get("Name", ""))
        if hierarchical(row.object):
            if parent is not None:
                full_name = f"{parent.name}:{name}"
                data["Sublevel"] = str(int(parent.data.get("Sublevel", "0")) + 1)
                row.parent_id = parent.id
            else:
                full_name = name
                data["Sublevel"] = "0"
                row.parent_id = None
            data["FullName"] = full_name
        else:
            full_name = name
        row.name = full_name
        row.name_key = name_key(row.object, full_name)
        row.sort_key = list_sort_key(full_name, row.id)
        row.is_active = data.get("IsActive", "true") in ("true", "1")
        data["IsActive"] = "true" if row.is_active else "false"

    def _check_name(self, row: Row) -> None:
        if ":" in str(row.data.get("Name", "")):
            raise status.invalid_value(
                "Name", str(row.data.get("Name")), "A name cannot contain a colon (:)."
            )
        if row.name_key is None:
            return
        existing = self.store.by_name_key(row.name_key)
        if existing is not None and existing.id != row.id:
            raise status.name_in_use(str(row.name))

    # -- transactions: adds ---------------------------------------------------------------------

    def _add_txn(self, object_name: str, fields: TextMap, at: datetime) -> Row:
        txn_id = self._txn_id(at)
        txn_number = self.store.next_value("txn_number", 1)
        stamp = clock.qb_datetime(at, self.tz)
        edit_sequence = str(clock.unix(at))
        data: dict[str, Any] = {
            "TxnID": txn_id,
            "TimeCreated": stamp,
            "TimeModified": stamp,
            "EditSequence": edit_sequence,
            "TxnNumber": str(txn_number),
        }
        header, lines = self._split_lines(object_name, fields, "Add")
        data.update(_to_ret_names(header))
        self._resolve(object_name, data)
        new_lines = {name: [_to_ret_names(line) for line in items] for name, items in lines.items()}
        mark_new_lines(new_lines)
        for items in new_lines.values():
            for line in items:
                self._resolve(object_name, {"Line": line})
        row = Row(
            object=object_name,
            id=txn_id,
            data=data,
            sort_key="",
            time_created=clock.utc_key(at),
            time_modified=clock.utc_key(at),
            edit_sequence=edit_sequence,
            txn_number=txn_number,
        )
        self._txn_rules(row, new_lines, None, at)
        self.store.insert(row)
        self._after_txn_write(row, at)
        return row

    def _split_lines(
        self, object_name: str, fields: Mapping[str, Any], part: str
    ) -> tuple[dict[str, Any], dict[str, list[Any]]]:
        """The header fields and the line lists (keyed by their Ret element name) of an Add or Mod."""
        header: dict[str, Any] = {}
        lines: dict[str, list[Any]] = {}
        for key, value in fields.items():
            ret_name = _line_ret_name(object_name, key, part)
            if ret_name is None:
                header[key] = value
            else:
                lines.setdefault(ret_name, []).extend(as_list(value))
        return header, lines

    def _txn_rules(
        self, row: Row, lines: Mapping[str, list[dict[str, Any]]], old: Row | None, at: datetime
    ) -> None:
        """Defaults, line amounts, totals and the indexed columns of a transaction."""
        data = row.data
        name = row.object
        for group in ("ItemGroupLineRet", f"{name}LineGroupRet"):
            if lines.get(group) or data.get(group):
                refs = [ln.get("ItemGroupRef", {}) for ln in lines.get(group, [])]
                value = next((str(r.get("FullName") or r.get("ListID")) for r in refs if r), "")
                raise status.invalid_reference("ItemGroup", value, name, line=True)
        data.setdefault("TxnDate", self._today(at))
        try:
            txn_date = clock.parse_date(str(data["TxnDate"]))
        except clock.DateError:
            raise status.invalid_date("TxnDate", str(data["TxnDate"])) from None
        if old is None and name in AUTO_NUMBERED and not data.get("RefNumber"):
            data["RefNumber"] = str(self.store.next_value(f"ref:{name}", 1))
        elif data.get("RefNumber") and str(data["RefNumber"]).isdigit() and name in AUTO_NUMBERED:
            self.store.raise_counter(f"ref:{name}", int(str(data["RefNumber"])))
        for name_of_line, items in lines.items():
            data[name_of_line] = items
        self._number_lines(data)
        if name in SALES_FORMS:
            self._sales(row, txn_date)
        elif name in PURCHASE_FORMS:
            self._purchase(row, txn_date)
        elif name == "PurchaseOrder":
            self._purchase_order(row)
        elif name in ("ReceivePayment", "BillPaymentCheck"):
            self._payment(row, old)
        elif name == "Deposit":
            self._deposit(row, old)
        elif name == "JournalEntry":
            self._journal(row)
        elif name == "Transfer":
            self._transfer(row)
        elif name == "TimeTracking":
            data.setdefault("BillableStatus", "Billable" if data.get("CustomerRef") else "NotBillable")
        row.txn_date = str(data["TxnDate"])
        assert row.txn_number is not None
        row.sort_key = txn_sort_key(row.txn_date, row.txn_number)
        row.name = str(data["RefNumber"]) if data.get("RefNumber") else None
        row.entity_id = next(
            (
                ref_id(data.get(key))
                for key in ("CustomerRef", "VendorRef", "PayeeEntityRef", "EntityRef")
                if ref_id(data.get(key))
            ),
            None,
        )
        row.is_active = data.get("IsActive", "true") != "false"
        for key, value in data.items():
            if _is_line_list(key):
                for line in as_list(value):
                    if isinstance(line, dict):
                        for scratch in ("_New", "_AmountGiven", "_Recalc"):
                            line.pop(scratch, None)

    def _number_lines(self, data: dict[str, Any]) -> None:
        for key, value in data.items():
            if not _is_line_list(key) or key == "AppliedToTxnRet":
                continue
            for line in as_list(value):
                if isinstance(line, dict) and (not line.get("TxnLineID") or line.get("TxnLineID") == "-1"):
                    line["TxnLineID"] = self._txn_id(self._now)

    # -- sales and purchase forms ---------------------------------------------------------------

    def _item_defaults(self, line: dict[str, Any], *, purchase: bool, price_key: str) -> None:
        item_id = ref_id(line.get("ItemRef"))
        found = self.item(item_id) if item_id else None
        if found is None:
            return
        kind, item = found
        if kind == "ItemInventory":
            desc = item.get("PurchaseDesc" if purchase else "SalesDesc")
            unit = item.get("PurchaseCost" if purchase else "SalesPrice")
        elif isinstance(item.get("SalesOrPurchase"), Mapping):
            sop = item["SalesOrPurchase"]
            desc, unit = sop.get("Desc"), sop.get("Price")
        elif isinstance(item.get("SalesAndPurchase"), Mapping):
            sap = item["SalesAndPurchase"]
            desc = sap.get("PurchaseDesc" if purchase else "SalesDesc")
            unit = sap.get("PurchaseCost" if purchase else "SalesPrice")
        else:
            desc = unit = None
        if desc and "Desc" not in line:
            line["Desc"] = desc
        if unit is not None and price_key not in line and "RatePercent" not in line and "Amount" not in line:
            line[price_key] = unit
        tax_code = item.get("SalesTaxCodeRef")
        if not purchase and tax_code and "SalesTaxCodeRef" not in line:
            line["SalesTaxCodeRef"] = dict(tax_code)

    def _line_amount(self, line: dict[str, Any], price_key: str, running: Decimal) -> Decimal:
        """Amount = Quantity x Rate (or Cost) unless the line gives its own; Rate from Amount / Quantity."""
        qty = dec(line.get("Quantity"))
        rate = dec(line.get(price_key))
        percent = dec(line.get("RatePercent"))
        given = dec(line.pop("_AmountGiven", None))
        recalc = line.pop("_Recalc", False) or "Amount" not in line
        if given is None and not recalc:
            value = dec(line.get("Amount"), Decimal(0)) or Decimal(0)
        elif given is not None:
            value = given
            if rate is None and percent is None and qty:
                line[price_key] = price((given / qty).quantize(Decimal("0.00001"), ROUND_HALF_UP))
        elif percent is not None:
            value = running * percent / 100
        elif rate is not None:
            value = rate * (qty if qty is not None else Decimal(1))
        else:
            value = dec(line.get("Amount"), Decimal(0)) or Decimal(0)
        if qty is not None:
            line["Quantity"] = quantity(qty)
        if rate is not None and given is None:
            line[price_key] = price(rate)
        line["Amount"] = amount(value)
        return Decimal(line["Amount"])

    def _sales(self, row: Row, txn_date: Any) -> None:
        data, name = row.data, row.object
        line_key = f"{name}LineRet"
        subtotal = Decimal(0)
        taxable = Decimal(0)
        codes: dict[str, bool] = {}
        for line in as_list(data.get(line_key)):
            if line.pop("_New", False):
                self._item_defaults(line, purchase=False, price_key="Rate")
            value = self._line_amount(line, "Rate", subtotal)
            subtotal += value
            code = ref_id(line.get("SalesTaxCodeRef"))
            if code and self._taxable(code, codes):
                taxable += value
        data["Subtotal"] = amount(subtotal)
        tax_rate = Decimal(0)
        tax_item = ref_id(data.get("ItemSalesTaxRef"))
        if tax_item:
            tax_row = self.store.get("ItemSalesTax", tax_item)
            tax_rate = dec(tax_row.data.get("TaxRate"), Decimal(0)) if tax_row else Decimal(0)  # type: ignore[assignment]
        tax_line = data.get("SalesTaxLineRet")
        if isinstance(tax_line, dict) and tax_line.get("RatePercent"):
            tax_rate = dec(tax_line["RatePercent"], Decimal(0)) or Decimal(0)
        tax = taxable * (tax_rate or Decimal(0)) / 100
        if isinstance(tax_line, dict) and tax_line.get("Amount"):
            tax = dec(tax_line["Amount"], Decimal(0)) or Decimal(0)
        data["SalesTaxPercentage"] = price(tax_rate or Decimal(0))
        data["SalesTaxTotal"] = amount(tax)
        total = subtotal + Decimal(data["SalesTaxTotal"])
        shipping = data.get("ShippingLineRet")
        if isinstance(shipping, dict):
            total += dec(shipping.get("Amount"), Decimal(0)) or Decimal(0)
        discount = data.get("DiscountLineRet")
        if isinstance(discount, dict):
            total -= abs(dec(discount.get("Amount"), Decimal(0)) or Decimal(0))
        self._sales_header(row, total, txn_date)

    def _taxable(self, code_id: str, cache: dict[str, bool]) -> bool:
        if code_id not in cache:
            code = self.store.get("SalesTaxCode", code_id)
            cache[code_id] = bool(code and code.data.get("IsTaxable") in ("true", "1"))
        return cache[code_id]

    def _due_date(self, data: dict[str, Any], txn_date: Any) -> None:
        terms_id = ref_id(data.get("TermsRef"))
        days = 0
        if terms_id:
            terms = self.store.by_id(("StandardTerms", "DateDrivenTerms"), terms_id)
            if terms is not None and terms.object == "StandardTerms":
                days = int(str(terms.data.get("StdDueDays") or "0"))
            elif terms is not None:
                day = int(str(terms.data.get("DayOfMonthDue") or "1"))
                due = clock.add_months(txn_date.replace(day=1), 1)
                data.setdefault("DueDate", due.replace(day=min(day, 28)).isoformat())
                return
        data.setdefault("DueDate", (txn_date + timedelta(days=days)).isoformat())

    def _sales_header(self, row: Row, total: Decimal, txn_date: Any) -> None:
        data, name = row.data, row.object
        if name in ("Invoice", "SalesReceipt", "CreditMemo"):
            data.setdefault("IsPending", "false")
        if name in ("Invoice", "CreditMemo"):
            data["ARAccountRef"] = data.get("ARAccountRef") or self._account_ref("AccountsReceivable")
        if name == "Invoice":
            data.setdefault("IsFinanceCharge", "false")
            self._due_date(data, txn_date)
            data.setdefault("ShipDate", str(data["TxnDate"]))
            data["_Total"] = amount(total)
            self._refresh_balance(row)
        else:
            data["TotalAmount"] = amount(total)
        if name == "SalesReceipt":
            data["DepositToAccountRef"] = data.get("DepositToAccountRef") or self._account_ref(
                "UndepositedFunds"
            )
            data.setdefault("DueDate", str(data["TxnDate"]))
            data.setdefault("ShipDate", str(data["TxnDate"]))
        if name == "CreditMemo":
            data["CreditRemaining"] = amount(total)
        if name == "Estimate":
            data.setdefault("IsActive", "true")
            self._due_date(data, txn_date)
        if name == "SalesOrder":
            data.setdefault("IsManuallyClosed", "false")
            data.setdefault("IsFullyInvoiced", "false")
            self._due_date(data, txn_date)
        if name in ("Invoice", "SalesReceipt", "CreditMemo", "SalesOrder"):
            data.setdefault("IsToBePrinted", "false")
        data.setdefault("IsToBeEmailed", "false")

    def _account_ref(self, kind: str) -> dict[str, str]:
        account_id = self.special_account(kind)
        account = self.store.get("Account", account_id)
        return {"ListID": account_id, "FullName": str(account.name if account else kind)}

    def _purchase(self, row: Row, txn_date: Any) -> None:
        data, name = row.data, row.object
        total = Decimal(0)
        for line in as_list(data.get("ExpenseLineRet")):
            line["Amount"] = amount(
                dec(line.pop("_AmountGiven", None) or line.get("Amount"), Decimal(0)) or Decimal(0)
            )
            total += Decimal(line["Amount"])
        for line in as_list(data.get("ItemLineRet")):
            if line.pop("_New", False):
                self._item_defaults(line, purchase=True, price_key="Cost")
            total += self._line_amount(line, "Cost", total)
        if name in ("Bill", "VendorCredit"):
            data["APAccountRef"] = data.get("APAccountRef") or self._account_ref("AccountsPayable")
        if name == "Bill":
            self._due_date(data, txn_date)
            data["AmountDue"] = amount(total)
            self._refresh_balance(row)
        elif name == "VendorCredit":
            data["CreditAmount"] = amount(total)
            data["OpenAmount"] = amount(total)
        else:
            if not data.get("AccountRef"):
                raise status.missing_element("AccountRef")
            data["Amount"] = amount(total)
            if name == "Check":
                data.setdefault("IsToBePrinted", "false")

    def _purchase_order(self, row: Row) -> None:
        data = row.data
        total = Decimal(0)
        for line in as_list(data.get("PurchaseOrderLineRet")):
            if line.pop("_New", False):
                self._item_defaults(line, purchase=True, price_key="Rate")
            total += self._line_amount(line, "Rate", total)
            line.setdefault("ReceivedQuantity", "0")
            line["UnbilledQuantity"] = line.get("Quantity", "0")
            line.setdefault("IsBilled", "false")
            line.setdefault("IsManuallyClosed", "false")
        data["TotalAmount"] = amount(total)
        data.setdefault("IsManuallyClosed", "false")
        data.setdefault("IsFullyReceived", "false")
        data.setdefault("IsToBePrinted", "false")
        data.setdefault("IsToBeEmailed", "false")

    # -- balances of what payments pay ----------------------------------------------------------

    def _refresh_balance(self, row: Row) -> None:
        """BalanceRemaining / OpenAmount, IsPaid and LinkedTxn of an invoice or a bill from its payments."""
        data = row.data
        links = self.store.links_to(row.object, row.id)
        applied = sum(amount_ + discount for _, _, amount_, discount in links)
        linked: list[dict[str, Any]] = []
        for payer_object, payer_id, paid, discount in links:
            payer = self.store.get(payer_object, payer_id)
            if payer is None:
                continue
            entry = {"TxnID": payer_id, "TxnType": payer_object, "TxnDate": payer.txn_date or ""}
            if payer.name:
                entry["RefNumber"] = payer.name
            entry["LinkType"] = "AMTTYPE"
            entry["Amount"] = from_cents(-(paid + discount))
            linked.append(entry)
        if linked:
            data["LinkedTxn"] = linked
        else:
            data.pop("LinkedTxn", None)
        if row.object == "Invoice":
            total = cents(data.get("_Total"))
            data["AppliedAmount"] = from_cents(-applied)
            data["BalanceRemaining"] = from_cents(total - applied)
            data["IsPaid"] = "true" if total - applied <= 0 else "false"
        elif row.object == "Bill":
            total = cents(data.get("AmountDue"))
            data["OpenAmount"] = from_cents(total - applied)
            data["IsPaid"] = "true" if total - applied <= 0 else "false"

    def _touch_targets(self, targets: Iterable[tuple[str, str]], at: datetime) -> None:
        """Paying an invoice or a bill changes it: new balance, new TimeModified and EditSequence."""
        for object_name, id_ in targets:
            target = self.store.get(object_name, id_)
            if target is None:
                continue
            self._refresh_balance(target)
            self._bump(target, at)
            self.store.update(target)

    def _bump(self, row: Row, at: datetime) -> None:
        row.data["TimeModified"] = clock.qb_datetime(at, self.tz)
        row.edit_sequence = self._edit_sequence(at, row.edit_sequence)
        row.data["EditSequence"] = row.edit_sequence
        row.time_modified = clock.utc_key(at)

    # -- payments -------------------------------------------------------------------------------

    def _payment(self, row: Row, old: Row | None) -> None:
        data, name = row.data, row.object
        receive = name == "ReceivePayment"
        target_object = "Invoice" if receive else "Bill"
        entity_key = "CustomerRef" if receive else "PayeeEntityRef"
        entity = ref_id(data.get(entity_key))
        if receive:
            data["ARAccountRef"] = data.get("ARAccountRef") or self._account_ref("AccountsReceivable")
            data["DepositToAccountRef"] = data.get("DepositToAccountRef") or self._account_ref(
                "UndepositedFunds"
            )
        else:
            data["APAccountRef"] = data.get("APAccountRef") or self._account_ref("AccountsPayable")
            if "RefNumber" not in data:
                data.setdefault("IsToBePrinted", "false")
        applications = as_list(data.get("AppliedToTxnRet"))
        auto = data.pop("IsAutoApply", None) in ("true", "1")
        own_links = {(t, i): a + d for t, i, a, d in self.store.links_from(name, row.id)} if old else {}
        total_given = dec(data.get("TotalAmount" if receive else "Amount"))
        if auto and total_given is not None:
            applications = self._auto_apply(target_object, entity, cents(total_given), own_links, row.id)
        out: list[dict[str, Any]] = []
        applied_total = 0
        for application in applications:
            txn_id = str(application.get("TxnID", ""))
            target = self.store.get(target_object, txn_id)
            if target is None:
                raise status.object_not_found(txn_id)
            if entity and target.entity_id != entity:
                raise status.invalid_value(
                    "TxnID",
                    txn_id,
                    f"The {target_object} belongs to another {'customer' if receive else 'vendor'}.",
                )
            paying = cents(application.get("PaymentAmount", application.get("Amount")))
            discount = cents(application.get("DiscountAmount"))
            balance_key = "BalanceRemaining" if receive else "OpenAmount"
            open_before = cents(target.data.get(balance_key)) + own_links.get((target_object, txn_id), 0)
            if paying + discount > open_before:
                raise status.invalid_value(
                    "PaymentAmount",
                    from_cents(paying),
                    f"The amount applied is more than the {target_object}'s open balance of "
                    f"{from_cents(open_before)}.",
                )
            entry: dict[str, Any] = {
                "TxnID": txn_id,
                "TxnType": target_object,
                "TxnDate": target.txn_date or "",
            }
            if target.name:
                entry["RefNumber"] = target.name
            entry["BalanceRemaining"] = from_cents(open_before - paying - discount)
            entry["Amount"] = from_cents(paying)
            if discount:
                entry["DiscountAmount"] = from_cents(discount)
                for key in ("DiscountAccountRef", "DiscountClassRef"):
                    if application.get(key):
                        entry[key] = application[key]
            out.append(entry)
            applied_total += paying
        if out:
            data["AppliedToTxnRet"] = out
        else:
            data.pop("AppliedToTxnRet", None)
        total_key = "TotalAmount" if receive else "Amount"
        total = cents(total_given) if total_given is not None else applied_total
        if total < applied_total:
            raise status.invalid_value(
                total_key, from_cents(total), "The amounts applied are more than the payment's total."
            )
        data[total_key] = from_cents(total)
        if receive:
            data["UnusedPayment"] = from_cents(total - applied_total)
            data["UnusedCredits"] = "0.00"
        elif not data.get("BankAccountRef"):
            raise status.missing_element("BankAccountRef")

    def _auto_apply(
        self,
        target_object: str,
        entity: str | None,
        total: int,
        own: Mapping[tuple[str, str], int],
        own_id: str,
    ) -> list[dict[str, Any]]:
        """IsAutoApply: pay the customer's (vendor's) open documents, oldest first."""
        rows = self.store.rows(
            "WHERE object = ? AND entity_id = ? AND json_extract(data, '$.IsPaid') = 'false' "
            "ORDER BY txn_date, seq",
            (target_object, entity),
        )
        out: list[dict[str, Any]] = []
        left = total
        for target in rows:
            if left <= 0:
                break
            open_amount = cents(
                target.data.get("BalanceRemaining" if target_object == "Invoice" else "OpenAmount")
            )
            open_amount += own.get((target_object, target.id), 0)
            pay = min(open_amount, left)
            if pay > 0:
                out.append({"TxnID": target.id, "PaymentAmount": from_cents(pay)})
                left -= pay
        return out

    # -- deposits, journal entries, transfers ---------------------------------------------------

    def _deposit(self, row: Row, old: Row | None) -> None:
        data = row.data
        if not data.get("DepositToAccountRef"):
            raise status.missing_element("DepositToAccountRef")
        total = Decimal(0)
        for line in as_list(data.get("DepositLineRet")):
            line.pop("_AmountGiven", None)
            payment_id = line.pop("PaymentTxnID", None)
            for key in ("OverrideMemo", "OverrideCheckNumber", "OverrideClassRef"):
                value = line.pop(key, None)
                if value:
                    line[key[len("Override") :]] = value
            if payment_id:
                payment = self.store.by_id(("ReceivePayment", "SalesReceipt"), str(payment_id))
                if payment is None:
                    raise status.object_not_found(str(payment_id))
                deposited = self.store.conn.execute(
                    "SELECT object, id FROM links "
                    "WHERE target_object = ? AND target_id = ? AND object = 'Deposit' "
                    "AND id != ?",
                    (payment.object, payment.id, row.id),
                ).fetchone()
                if deposited is not None:
                    raise status.invalid_value(
                        "PaymentTxnID", str(payment_id), "The payment has already been deposited."
                    )
                total_key = "TotalAmount"
                line["TxnType"] = payment.object
                line["TxnID"] = payment.id
                line["EntityRef"] = payment.data.get("CustomerRef")
                line["AccountRef"] = payment.data.get("DepositToAccountRef") or self._account_ref(
                    "UndepositedFunds"
                )
                for key in ("PaymentMethodRef",):
                    if payment.data.get(key):
                        line[key] = payment.data[key]
                line["Amount"] = amount(dec(payment.data.get(total_key), Decimal(0)) or Decimal(0))
                line["_Payment"] = payment.object
            else:
                if not line.get("AccountRef"):
                    raise status.missing_element("AccountRef")
                line["Amount"] = amount(dec(line.get("Amount"), Decimal(0)) or Decimal(0))
            total += Decimal(line["Amount"])
        cash_back = data.get("CashBackInfoRet")
        if isinstance(cash_back, dict):
            if not cash_back.get("AccountRef"):
                raise status.missing_element("AccountRef")
            cash_back["Amount"] = amount(dec(cash_back.get("Amount"), Decimal(0)) or Decimal(0))
            cash_back.setdefault("TxnLineID", self._txn_id(self._now))
            total -= Decimal(cash_back["Amount"])
        data["DepositTotal"] = amount(total)

    def _journal(self, row: Row) -> None:
        data = row.data
        debit = sum(cents(line.get("Amount")) for line in as_list(data.get("JournalDebitLine")))
        credit = sum(cents(line.get("Amount")) for line in as_list(data.get("JournalCreditLine")))
        for key in ("JournalDebitLine", "JournalCreditLine"):
            for line in as_list(data.get(key)):
                line.pop("_AmountGiven", None)
                line.pop("_New", None)
                line["Amount"] = amount(dec(line.get("Amount"), Decimal(0)) or Decimal(0))
                if not line.get("AccountRef"):
                    raise status.missing_element("AccountRef")
        if debit != credit:
            raise status.invalid_value(
                "Amount",
                from_cents(debit - credit),
                "Transaction not in balance.  The total debits must equal the total credits.",
            )
        data.setdefault("IsAdjustment", "false")

    def _transfer(self, row: Row) -> None:
        data = row.data
        for key in ("TransferFromAccountRef", "TransferToAccountRef", "Amount"):
            if not data.get(key):
                raise status.missing_element(key)
        data["Amount"] = amount(dec(data["Amount"], Decimal(0)) or Decimal(0))

    # -- after a transaction write: links, ledger, refs -----------------------------------------

    def _after_txn_write(self, row: Row, at: datetime) -> None:
        data = row.data
        touched: set[tuple[str, str]] = set()
        if row.object in ("ReceivePayment", "BillPaymentCheck"):
            links = [
                (
                    str(a["TxnType"]),
                    str(a["TxnID"]),
                    cents(a.get("Amount")),
                    cents(a.get("DiscountAmount")),
                )
                for a in as_list(data.get("AppliedToTxnRet"))
            ]
            touched = self.store.set_links(row.object, row.id, links)
        elif row.object == "Deposit":
            links = [
                (str(line["_Payment"]), str(line["TxnID"]), cents(line.get("Amount")), 0)
                for line in as_list(data.get("DepositLineRet"))
                if line.get("_Payment")
            ]
            self.store.set_links(row.object, row.id, links)
        self.store.set_refs(row.object, row.id, self._refs_of(row))
        if touched:
            self._touch_targets(touched, at)
        self._post(row)
        if row.object in ("Invoice", "Bill", "CreditMemo", "VendorCredit"):
            self._repost_payers(row)

    def _repost_payers(self, row: Row) -> None:
        """A payment's cash-basis postings spread what it pays: they follow a change of it."""
        for payer_object, payer_id, _, _ in self.store.links_to(row.object, row.id):
            payer = self.store.get(payer_object, payer_id)
            if payer is not None:
                self._post(payer)

    def _post(self, row: Row) -> None:
        entry = ledger.post(row.object, row.data, self, (row.object, row.id))
        date = row.txn_date or str(row.data.get("OpenBalanceDate") or row.data.get("OpeningDate") or "")
        if not date:
            date = clock.from_utc_key(row.time_created, self.tz).date().isoformat()
        self.store.set_postings(row.object, row.id, date, entry.postings)
        conn = self.store.conn
        conn.execute("DELETE FROM stock WHERE object = ? AND id = ?", (row.object, row.id))
        conn.executemany(
            "INSERT INTO stock (object, id, item_id, kind, quantity, value, txn_date, seq) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (row.object, row.id, m.item_id, m.kind, m.quantity, m.value, date, row.seq or 0)
                for m in entry.stock
            ],
        )

    # -- modifications --------------------------------------------------------------------------

    def modify(self, object_name: str, fields: TextMap, at: datetime) -> Row:
        """Apply the text mapping of an ``XxxMod`` to the stored record."""
        self._stamp(at)
        id_field = "ListID" if is_list(object_name) else "TxnID"
        id_ = str(fields.get(id_field, ""))
        row = self.store.get(object_name, id_)
        if row is None:
            raise status.object_not_found(id_)
        sent = str(fields.get("EditSequence", ""))
        if sent != row.edit_sequence:
            raise status.stale_edit_sequence(sent)
        changes = {k: v for k, v in fields.items() if k not in (id_field, "EditSequence")}
        if is_list(object_name):
            self._modify_list(row, changes, at)
        else:
            self._modify_txn(row, changes, at)
        return row

    def _modify_list(self, row: Row, changes: dict[str, Any], at: datetime) -> None:
        old = copy.deepcopy(row)
        old_name = row.name
        renamed = _to_ret_names(changes)
        self._resolve(row.object, {k: v for k, v in renamed.items() if k != "ParentRef"})
        if "ParentRef" in renamed:
            row.data["ParentRef"] = renamed.pop("ParentRef")
        row.data = _merge(row.data, renamed)
        self._list_rules(row.object, row.data, old, at)
        parent = self._parent(row.object, row.data, row.id) if hierarchical(row.object) else None
        self._place(row, parent)
        self._check_name(row)
        self._bump(row, at)
        self.store.update(row)
        self.store.set_refs(row.object, row.id, self._refs_of(row))
        if row.name != old_name and hierarchical(row.object):
            self._rename_children(row)
        self._post(row)

    def _refs_of(self, row: Row) -> set[str]:
        """The list elements a record refers to, as ``namespace:ListID`` (what may not be deleted)."""
        out: set[str] = set()
        for path, key, ref in _walk_refs(row.data):
            list_id = ref_id(ref)
            if not list_id:
                continue
            if key == "ParentRef" and not path:
                out.add(f"{NAMESPACES[row.object]}:{list_id}")
            elif key in REF_TARGETS and REF_TARGETS[key][1]:
                out.add(f"{NAMESPACES[REF_TARGETS[key][1][0]]}:{list_id}")
        return out

    def _rename_children(self, parent: Row) -> None:
        for child in self.store.children_of(parent.id):
            child.data["ParentRef"] = {"ListID": parent.id, "FullName": parent.name}
            self._place(child, parent)
            self.store.update(child)
            self._rename_children(child)

    def _modify_txn(self, row: Row, changes: dict[str, Any], at: datetime) -> None:
        old = copy.deepcopy(row)
        header, line_mods = self._split_lines(row.object, changes, "Mod")
        header = _to_ret_names(header)
        clear = {k for k in ("ClearExpenseLines", "ClearItemLines") if header.pop(k, None) in ("true", "1")}
        self._resolve(row.object, header)
        if row.object in ("ReceivePayment", "BillPaymentCheck") and "AppliedToTxnMod" in header:
            header["AppliedToTxnRet"] = as_list(header.pop("AppliedToTxnMod"))
        row.data = _merge(row.data, header)
        lines: dict[str, list[dict[str, Any]]] = {}
        for key in clear:
            ret_name = "ExpenseLineRet" if key == "ClearExpenseLines" else "ItemLineRet"
            lines[ret_name] = []
        for ret_name, mods in line_mods.items():
            existing = {str(line.get("TxnLineID")): line for line in as_list(row.data.get(ret_name))}
            if row.object == "JournalEntry":
                existing = {
                    str(line.get("TxnLineID")): line
                    for key in ("JournalDebitLine", "JournalCreditLine")
                    for line in as_list(row.data.get(key))
                }
            merged: list[dict[str, Any]] = []
            for mod in mods:
                mod = _to_ret_names(mod)
                self._resolve(row.object, {"Line": mod})
                line_id = str(mod.get("TxnLineID", ""))
                if line_id == "-1":
                    mod.pop("TxnLineID")
                    mod["_New"] = True
                    if "Amount" in mod:
                        mod["_AmountGiven"] = mod["Amount"]
                    merged.append(mod)
                    continue
                if line_id not in existing:
                    raise status.object_not_found(line_id)
                line = _merge(existing[line_id], mod)
                if "ItemRef" in mod:
                    line["_New"] = True
                if "Amount" in mod:
                    line["_AmountGiven"] = mod["Amount"]
                elif any(k in mod for k in ("Quantity", "Rate", "Cost", "RatePercent")):
                    line["_Recalc"] = True
                merged.append(line)
            if row.object == "JournalEntry":
                lines.setdefault("JournalDebitLine", [])
                lines.setdefault("JournalCreditLine", [])
                for line in merged:
                    kind = line.pop("JournalLineType", None)
                    if kind is None:
                        kind = (
                            "Debit"
                            if any(
                                str(x.get("TxnLineID")) == str(line.get("TxnLineID"))
                                for x in as_list(row.data.get("JournalDebitLine"))
                            )
                            else "Credit"
                        )
                    lines[f"Journal{kind}Line"].append(line)
            else:
                lines[ret_name] = merged
        for name_of_line, items in lines.items():
            row.data[name_of_line] = items
        for name_of_line in list(row.data):
            if _is_line_list(name_of_line) and not row.data[name_of_line]:
                del row.data[name_of_line]
        self._txn_rules(row, {}, old, at)
        if row.object in ("Invoice", "Bill"):
            left = row.data.get("BalanceRemaining" if row.object == "Invoice" else "OpenAmount")
            if cents(left) < 0:
                raise status.invalid_value(
                    "Amount",
                    str(left),
                    f"The {row.object}'s new total is less than the payments applied to it.",
                )
        self._bump(row, at)
        self.store.update(row)
        self._after_txn_write(row, at)

    # -- deletes and voids ----------------------------------------------------------------------

    def delete(self, object_name: str, id_: str, at: datetime) -> tuple[Row, str]:
        """Remove a record and keep its tombstone; the time deleted as QuickBooks shows it."""
        self._stamp(at)
        row = self.store.get(object_name, id_)
        if row is None:
            raise status.object_not_found(id_)
        list_object = is_list(object_name)
        if list_object:
            user = self.store.referenced_by(f"{NAMESPACES[object_name]}:{row.id}")
            if user is None and object_name == "Account":
                posted = self.store.conn.execute(
                    "SELECT object, id FROM postings WHERE account_id = ? LIMIT 1", (row.id,)
                ).fetchone()
                user = None if posted is None else (str(posted[0]), str(posted[1]))
            if user is not None:
                raise status.Status(
                    3210,
                    f'There was an error when deleting {object_name} "{row.name}".  '
                    "QuickBooks error message: "
                    "This list element is used by other records and cannot be deleted.",
                )
        else:
            self._unlink(row, at)
        time_deleted = clock.qb_datetime(at, self.tz)
        self.store.conn.execute(
            "INSERT OR REPLACE INTO deleted (object, id, del_type, is_list, time_created, time_deleted, "
            "time_deleted_key, name) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                object_name,
                row.id,
                object_name,
                int(list_object),
                str(row.data.get("TimeCreated")),
                time_deleted,
                clock.utc_key(at),
                row.name,
            ),
        )
        self.store.remove(object_name, row.id)
        self.store.set_postings(object_name, row.id, "", [])
        self.store.conn.execute("DELETE FROM stock WHERE object = ? AND id = ?", (object_name, row.id))
        return row, time_deleted

    def _unlink(self, row: Row, at: datetime) -> None:
        """Links in both directions go: what a payment paid is open again, a payment of it is unapplied."""
        touched = self.store.set_links(row.object, row.id, [])
        if touched:
            self._touch_targets(touched, at)
        for payer_object, payer_id, _, _ in self.store.links_to(row.object, row.id):
            payer = self.store.get(payer_object, payer_id)
            if payer is None:
                continue
            self.store.conn.execute(
                "DELETE FROM links WHERE object = ? AND id = ? AND target_object = ? AND target_id = ?",
                (payer_object, payer_id, row.object, row.id),
            )
            if payer_object == "Deposit":
                continue
            remaining = [a for a in as_list(payer.data.get("AppliedToTxnRet")) if a.get("TxnID") != row.id]
            if remaining:
                payer.data["AppliedToTxnRet"] = remaining
            else:
                payer.data.pop("AppliedToTxnRet", None)
            applied = sum(cents(a.get("Amount")) for a in remaining)
            if payer_object == "ReceivePayment":
                payer.data["UnusedPayment"] = from_cents(cents(payer.data.get("TotalAmount")) - applied)
            self._bump(payer, at)
            self.store.update(payer)
            self._post(payer)

    def void(self, object_name: str, id_: str, at: datetime) -> Row:
        """Zero a transaction's amounts, prefix its memo with ``VOID:`` and remove its postings."""
        self._stamp(at)
        row = self.store.get(object_name, id_)
        if row is None:
            raise status.object_not_found(id_)
        self._unlink(row, at)
        row = self.store.get(object_name, id_) or row
        data = row.data
        memo = str(data.get("Memo") or "")
        if not memo.startswith("VOID:"):
            data["Memo"] = f"VOID: {memo}" if memo else "VOID:"
        zero_keys = [
            "Amount",
            "Subtotal",
            "SalesTaxTotal",
            "TotalAmount",
            "BalanceRemaining",
            "AppliedAmount",
            "AmountDue",
            "OpenAmount",
            "CreditAmount",
            "CreditRemaining",
            "DepositTotal",
            "UnusedPayment",
            "_Total",
        ]
        for key in zero_keys:
            if key in data:
                data[key] = "0.00"
        for key, value in data.items():
            if _is_line_list(key) or key in ("CashBackInfoRet",):
                for line in as_list(value):
                    if isinstance(line, dict) and "Amount" in line:
                        line["Amount"] = "0.00"
        data.pop("LinkedTxn", None)
        if "IsPaid" in data:
            data["IsPaid"] = "true"
        data["_Voided"] = "true"
        self._bump(row, at)
        self.store.update(row)
        self.store.set_postings(object_name, row.id, row.txn_date or "", [])
        self.store.conn.execute("DELETE FROM stock WHERE object = ? AND id = ?", (object_name, row.id))
        return row


def _is_line_list(key: str) -> bool:
    """Repeated line elements of a Ret (the one-per-transaction discount, tax and shipping lines are not)."""
    if key in ("JournalDebitLine", "JournalCreditLine", "AppliedToTxnRet"):
        return True
    return key.endswith(("LineRet", "LineGroupRet")) and key not in (
        "DiscountLineRet",
        "SalesTaxLineRet",
        "ShippingLineRet",
    )


def _line_ret_name(object_name: str, key: str, part: str) -> str | None:
    """The Ret element a repeated line element of an Add or Mod becomes (None for header fields)."""
    if object_name == "JournalEntry":
        if key in ("JournalDebitLine", "JournalCreditLine"):
            return key
        if key == "JournalLineMod":
            return "JournalLineMod"
        return None
    if key in _SINGLE_LINES or key in ("CashBackInfoAdd", "CashBackInfoMod"):
        return None
    for suffix in ("LineAdd", "LineMod", "LineGroupAdd", "LineGroupMod"):
        if key.endswith(suffix):
            return key[: -len(part)] + "Ret" if key.endswith(part) else None
    if key == f"AppliedToTxn{part}" and part == "Add":
        return "AppliedToTxnRet"
    return None


def mark_new_lines(lines: dict[str, list[dict[str, Any]]]) -> None:
    """Lines of an Add: new (item defaults apply), with the Amount the request gave, if any."""
    for items in lines.values():
        for line in items:
            line["_New"] = True
            if "Amount" in line:
                line["_AmountGiven"] = line["Amount"]
