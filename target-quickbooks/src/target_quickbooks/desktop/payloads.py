"""QuickBooks Desktop records (as tap-quickbooks reads them: ``XxxRet`` shaped) into ``XxxAdd`` and
``XxxMod`` fields, and the comparisons a Mod needs.

A record holds what QuickBooks answered: read-only fields (TimeCreated, EditSequence, FullName,
Sublevel, Balance, computed totals, LinkedTxn), references as ``{ListID, FullName}`` and lines as
``XxxLineRet`` arrays. What an Add or a Mod may hold comes from the element trees of the qbXML spec
(``qbd_client/spec_files/qbxml.json``), walked in schema order: an element the Add does not have is
not sent, a ``XxxLineRet`` becomes ``XxxLineAdd`` / ``XxxLineMod``, a reference is handed to the
caller to map (the id map in a company copy, or a full name). Nothing here talks to QuickBooks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from qbd_client import qbxml
from qbd_client.catalog import ObjectSpec

Node = dict[str, Any]
#: Maps a reference (element name, ``{ListID, FullName}`` of the record) to what to send.
RefMapper = Callable[[str, Mapping[str, Any]], dict[str, str]]
#: Maps a transaction id another transaction names (payments, deposits) to the target's.
TxnMapper = Callable[[str], str]

#: Fields the Ret and the Add both have but that mean different things in a company copy: an
#: ItemInventory's QuantityOnHand in a Ret is what the transactions left; in an Add it is an opening
#: quantity (which would count the copied purchases twice). Outside a copy it is the opening quantity.
NOT_COPIED: dict[str, frozenset[str]] = {"ItemInventory": frozenset({"QuantityOnHand"})}
#: Elements never sent: custom fields (DataExt has its own requests) and the Ret's line ids in an Add.
SKIPPED = frozenset({"DataExt", "DataExtRet", "DataExtMod"})
#: Elements inside an aggregate that the Ret spells differently: (aggregate, element) -> Ret element.
FIELD_SOURCES: dict[tuple[str, str], str] = {
    ("AppliedToTxnAdd", "PaymentAmount"): "Amount",
    ("AppliedToTxnMod", "PaymentAmount"): "Amount",
}


class WaitFor(Exception):
    """A reference to an object that another record of the run will write (try the record later)."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


@cache
def nodes(object_name: str, part: str) -> list[Node]:
    """The element spec of an object's ``Add`` or ``Mod`` (``Ret`` too)."""
    found: list[Node] = qbxml.spec()["objects"][object_name].get(part, [])
    return found


def _many(node: Node) -> bool:
    top = node.get("max", 1)
    return top == "unbounded" or int(top) > 1


def is_ref(node: Node) -> bool:
    """A ``XxxRef`` aggregate: ListID and/or FullName."""
    children = {c.get("name") for c in node.get("children", [])}
    return node["type"] == "aggregate" and node["name"].endswith("Ref") and children <= {"ListID", "FullName"}


def source_key(name: str, data: Mapping[str, Any], parent: str = "") -> str | None:
    """The element of a Ret-shaped record that an Add/Mod element ``name`` is filled from."""
    special = FIELD_SOURCES.get((parent, name))
    if special is not None:
        return special if special in data else None
    if name in data:
        return name
    if name + "Ret" in data:  # Contacts, AdditionalNotes
        return name + "Ret"
    if name.endswith(("Add", "Mod")):
        base = name[:-3]
        for candidate in (base + "Ret", base):  # InvoiceLineAdd <- InvoiceLineRet, SalesOrPurchaseMod
            if candidate in data:
                return candidate
    return None


def plain(value: Any) -> Any:
    """A value as qbXML text wants it: Decimal and numbers kept exact, dates as ISO text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


class Shaper:
    """Fills Add/Mod fields from a record; references go through ``ref`` and ``txn``."""

    def __init__(self, spec: ObjectSpec, ref: RefMapper, txn: TxnMapper, *, copy: bool = False) -> None:
        self.spec = spec
        self.ref = ref
        self.txn = txn
        self.copy = copy

    def add(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The ``XxxAdd`` fields of a record (ids, line ids and read-only fields left out)."""
        data = self._prepare(record, "Add")
        return self._fill(nodes(self.spec.name, "Add"), data, f"{self.spec.name}Add", add=True)

    def mod(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The ``XxxMod`` fields of a record, without the id and EditSequence (the caller sets them)
        and with the Ret's line ids (the caller decides which lines exist)."""
        data = self._prepare(record, "Mod")
        fields = self._fill(nodes(self.spec.name, "Mod"), data, f"{self.spec.name}Mod", add=False)
        for key in (self.spec.id_field, "EditSequence"):
            fields.pop(key, None)
        return fields

    def _prepare(self, record: Mapping[str, Any], part: str) -> dict[str, Any]:
        left_out = NOT_COPIED.get(self.spec.name, frozenset()) if self.copy else frozenset()
        data = {k: v for k, v in record.items() if k not in left_out}
        if isinstance(data.get("BarCodeValue"), str) and data["BarCodeValue"]:
            data["BarCode"] = {"BarCodeValue": data["BarCodeValue"]}
        if self.spec.name == "JournalEntry" and part == "Mod":
            lines = [
                {**line, "JournalLineType": kind}
                for kind in ("Debit", "Credit")
                for line in _as_list(data.get(f"Journal{kind}Line"))
                if isinstance(line, Mapping)
            ]
            if lines:
                data["JournalLineMod"] = lines
        if self.spec.name == "Deposit":
            data = {**data, **_deposit_lines(data, part)}
        return data

    def _fill(
        self,
        spec_nodes: Sequence[Node],
        data: Mapping[str, Any],
        where: str,
        *,
        add: bool,
        repeated: bool = False,
    ) -> dict:
        # ``repeated``: inside a choice or sequence that repeats (a journal entry's debit and
        # credit lines, a bill's item lines), where each element may come many times.
        out: dict[str, Any] = {}
        for node in spec_nodes:
            if "choice" in node:
                alternatives = node["choice"]
                many = repeated or _many(node)
                chosen = alternatives if many else [_best(alternatives, data, where)]
                for alternative in chosen:
                    out.update(self._fill(alternative, data, where, add=add, repeated=many))
                continue
            if "sequence" in node:
                many = repeated or _many(node)
                out.update(self._fill(node["sequence"], data, where, add=add, repeated=many))
                continue
            name = node["name"]
            if name in SKIPPED or (add and name == "TxnLineID"):
                continue
            key = source_key(name, data, where)
            if key is None:
                continue
            value = data[key]
            if value is None or value == "" or value == []:
                continue
            if node["type"] != "aggregate":
                if isinstance(value, Mapping):
                    continue
                if isinstance(value, list):
                    value = [plain(v) for v in value if not isinstance(v, Mapping)]
                    if not (repeated or _many(node)):
                        value = value[0] if value else None
                    if value is None or value == []:
                        continue
                    out[name] = value
                    continue
                if name in ("TxnID", "PaymentTxnID", "LinkToTxnID") and where != f"{self.spec.name}Mod":
                    value = self.txn(str(value))
                out[name] = plain(value)
                continue
            items = value if isinstance(value, list) else [value]
            shaped: list[dict[str, Any]] = []
            for item in items:
                if not isinstance(item, Mapping):
                    continue
                if is_ref(node):
                    mapped = self.ref(name, item)
                    if mapped:
                        shaped.append(mapped)
                    continue
                inner = self._fill(node.get("children", []), item, name, add=add)
                if inner:
                    shaped.append(inner)
            if not shaped:
                continue
            out[name] = shaped if repeated or _many(node) else shaped[0]
        return out


def _best(alternatives: Sequence[Sequence[Node]], data: Mapping[str, Any], where: str) -> Sequence[Node]:
    """The alternative of a choice that the record fills most (the first on a tie)."""

    def filled(alternative: Sequence[Node]) -> int:
        count = 0
        for node in alternative:
            if "choice" in node or "sequence" in node:
                inner = node.get("sequence") or [n for alt in node.get("choice", []) for n in alt]
                count += filled(inner)
            elif source_key(node["name"], data, where) is not None:
                value = data[source_key(node["name"], data, where) or ""]
                count += value not in (None, "", [])
        return count

    return max(alternatives, key=filled)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _deposit_lines(data: Mapping[str, Any], part: str) -> dict[str, Any]:
    """A deposit's lines: one that deposits a payment names it (PaymentTxnID) and nothing else
    the payment decides; the others name their entity and account."""
    out: list[dict[str, Any]] = []
    for line in _as_list(data.get("DepositLineRet")):
        if not isinstance(line, Mapping):
            continue
        if line.get("TxnID"):
            paid: dict[str, Any] = {"PaymentTxnID": line["TxnID"]}
            if line.get("PaymentTxnLineID"):
                paid["PaymentTxnLineID"] = line["PaymentTxnLineID"]
            if part == "Mod" and line.get("TxnLineID"):
                paid["TxnLineID"] = line["TxnLineID"]
            out.append(paid)
        else:
            out.append({k: v for k, v in line.items() if k not in ("TxnType", "TxnID", "PaymentTxnLineID")})
    return {"DepositLineRet": out} if out else {}


# --- comparing --------------------------------------------------------------------------------------


def norm(value: Any) -> Any:
    """A value in a form where QuickBooks' answer and a record's field compare equal when they mean
    the same (amounts as numbers, booleans as booleans, text trimmed)."""
    if isinstance(value, Mapping):
        return {k: norm(v) for k, v in value.items() if v not in (None, "", [])}
    if isinstance(value, list):
        return [norm(v) for v in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value)).normalize()
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    text = str(value).strip()
    if text in ("true", "false"):
        return text == "true"
    if len(text) > 1 and text[0] == "0" and text[1].isdigit():
        return text  # a code with a leading zero (a postal code, an account number) is text
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    return number.normalize() if number.is_finite() else text


def same_ref(sent: Mapping[str, Any], current: Any) -> bool:
    """Whether a reference as it would be sent names what the object names now."""
    if not isinstance(current, Mapping):
        return False
    if sent.get("ListID"):
        return str(sent["ListID"]) == str(current.get("ListID"))
    return str(sent.get("FullName", "")).casefold() == str(current.get("FullName", "")).casefold()


def same(sent: Any, current: Any, name: str = "") -> bool:
    """Whether a Mod's element (as built) would leave the object's current value as it is."""
    if isinstance(sent, Mapping):
        if name.endswith("Ref") and set(sent) <= {"ListID", "FullName"}:
            return same_ref(sent, current)
        if not isinstance(current, Mapping):
            return False
        return all(
            same(v, current.get(source_key(k, current, name) or k), k)
            for k, v in sent.items()
            if k != "TxnLineID"
        )
    if isinstance(sent, list):
        items = current if isinstance(current, list) else ([] if current is None else [current])
        return len(sent) == len(items) and all(same(s, c, name) for s, c in zip(sent, items, strict=True))
    return bool(norm(sent) == norm(current))


def changed_fields(fields: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """The Mod's elements that differ from the object as it is (empty: nothing to write)."""
    out = []
    for name, value in fields.items():
        if name == "JournalLineMod":
            lines = [
                line for kind in ("Debit", "Credit") for line in _as_list(current.get(f"Journal{kind}Line"))
            ]
            if not same([_without(v, "JournalLineType") for v in value], lines, name):
                out.append(name)
            continue
        key = source_key(name, current)
        if not same(value, current.get(key) if key else None, name):
            out.append(name)
    return out


def _without(line: Mapping[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in line.items() if k != key}


def moved_under(record_fields: Sequence[str], before: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    """Of the Ret elements a record sets, those whose value QuickBooks changed between two reads."""
    out = []
    for name in record_fields:
        if name in ("EditSequence", "TimeModified"):
            continue
        if norm(before.get(name)) != norm(now.get(name)):
            out.append(name)
    return out
