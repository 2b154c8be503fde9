"""A company's custom fields as named columns (``custom_crew`` instead of an entry of ``CustomField``).

QuickBooks Online defines up to three custom fields for sales forms and three for purchase orders, in
the company's Preferences (``SalesFormsPrefs.CustomField`` and ``VendorAndPurchasesPrefs.POCustomField``:
``Use...CustomN`` says whether field N is on, ``...CustomNameN`` its name). A transaction carries its
values as ``CustomField: [{"DefinitionId": "1", "Name": "Crew #", "Type": "StringType",
"StringValue": "115"}]``. The tap turns each defined field into a column named after it; the target
turns such a column back into the entry of the target company's field of the same name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

#: The objects whose records carry the sales forms' custom fields, and the purchase order's.
SALES_FORMS = ("Invoice", "Estimate", "SalesReceipt", "CreditMemo", "RefundReceipt")
PURCHASE_FORMS = ("PurchaseOrder",)
#: What a column name starts with.
PREFIX = "custom_"

_GROUPS = (
    (
        "SalesFormsPrefs",
        "CustomField",
        "SalesFormsPrefs.UseSalesCustom",
        "SalesFormsPrefs.SalesCustomName",
        SALES_FORMS,
    ),
    (
        "VendorAndPurchasesPrefs",
        "POCustomField",
        "VendorAndPurchasesPrefs.UsePurchaseCustom",
        "VendorAndPurchasesPrefs.PurchaseCustomName",
        PURCHASE_FORMS,
    ),
)


@dataclass(frozen=True)
class Definition:
    """One custom field of a company: its DefinitionId, its name, and the column it becomes."""

    definition_id: str
    name: str
    column: str


def column_name(name: str) -> str:
    """``Crew #`` -> ``custom_crew``; ``P.O. Number`` -> ``custom_p_o_number``."""
    words = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return PREFIX + (words or "field")


def _entries(prefs: Mapping[str, Any], group: str, key: str) -> Iterator[Mapping[str, Any]]:
    section = prefs.get(group)
    for wrapper in (section.get(key) if isinstance(section, Mapping) else None) or []:
        for entry in (wrapper.get("CustomField") if isinstance(wrapper, Mapping) else None) or []:
            if isinstance(entry, Mapping):
                yield entry


def definitions(preferences: Mapping[str, Any]) -> dict[str, tuple[Definition, ...]]:
    """The custom fields in use, per object, from a company's Preferences (empty when there are none).

    A field counts when it has a name and its ``Use...`` flag is not false (QuickBooks sends the
    flag only for the fields a company turned on). Two fields whose names make the same column get
    their DefinitionId as a suffix.
    """
    found: dict[str, tuple[Definition, ...]] = {}
    for group, key, use_prefix, name_prefix, objects in _GROUPS:
        names: dict[str, str] = {}
        used: dict[str, bool] = {}
        for entry in _entries(preferences, group, key):
            label = str(entry.get("Name") or "")
            if label.startswith(name_prefix) and entry.get("StringValue"):
                names[label[len(name_prefix) :]] = str(entry["StringValue"])
            elif label.startswith(use_prefix):
                used[label[len(use_prefix) :]] = entry.get("BooleanValue") is not False
        fields = [(n, text) for n, text in sorted(names.items()) if used.get(n, True)]
        columns = [column_name(text) for _, text in fields]
        defs = tuple(
            Definition(n, text, col if columns.count(col) == 1 else f"{col}_{n}")
            for (n, text), col in zip(fields, columns, strict=True)
        )
        if defs:
            for obj in objects:
                found[obj] = defs
    return found


def values(record: Mapping[str, Any], defs: tuple[Definition, ...]) -> dict[str, str | None]:
    """The columns of a record: each defined field's value (None when the record has none)."""
    by_id = {d.definition_id: d for d in defs}
    out: dict[str, str | None] = {d.column: None for d in defs}
    for entry in record.get("CustomField") or []:
        if not isinstance(entry, Mapping):
            continue
        found = by_id.get(str(entry.get("DefinitionId")))
        if found is None:
            continue
        value = next(
            (entry[k] for k in ("StringValue", "NumberValue", "DateValue", "BooleanValue") if k in entry),
            None,
        )
        out[found.column] = None if value is None else str(value)
    return out


def to_entries(
    columns: Mapping[str, Any], existing: list[Any] | None, defs: tuple[Definition, ...]
) -> tuple[list[dict[str, Any]], list[str]]:
    """A record's ``custom_...`` columns as ``CustomField`` entries of the company's definitions.

    The entries replace those of the same DefinitionId in ``existing``; a column no definition of the
    company has is returned in the second list (the caller says what to do)."""
    by_column = {d.column: d for d in defs}
    entries: dict[str, dict[str, Any]] = {}
    for entry in existing or []:
        if isinstance(entry, Mapping) and entry.get("DefinitionId") is not None:
            entries[str(entry["DefinitionId"])] = dict(entry)
    unknown: list[str] = []
    for column, value in columns.items():
        found = by_column.get(column)
        if found is None:
            unknown.append(column)
            continue
        entry = {"DefinitionId": found.definition_id, "Name": found.name, "Type": "StringType"}
        if value not in (None, ""):
            entry["StringValue"] = str(value)
        entries[found.definition_id] = entry
    return [entries[k] for k in sorted(entries)], unknown


__all__ = [
    "PREFIX",
    "PURCHASE_FORMS",
    "SALES_FORMS",
    "Definition",
    "column_name",
    "definitions",
    "to_entries",
    "values",
]
