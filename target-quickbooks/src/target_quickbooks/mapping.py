"""Which QuickBooks object a stream writes to, and which fields identify an existing object.

A stream maps by its name (the names tap-quickbooks emits, ``Invoice``, and the plural or
snake_case forms other taps use: ``invoices``, ``sales_receipt``, ``journal-entries``), or by
``stream_maps_to_objects`` in the config, which may also override the natural key per stream.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from qbo_client import catalog, schemas
from qbo_client.catalog import ObjectSpec


class StreamMappingError(Exception):
    """A stream (or a setting) that names no QuickBooks object; says how to fix it. ``what`` says
    only what is wrong (for the warning of a stream ``unmapped_streams: skip`` leaves out)."""

    def __init__(self, message: str, what: str = "") -> None:
        super().__init__(message)
        self.what = what or message


@dataclass(frozen=True)
class StreamTarget:
    """The object a stream writes to and the fields that find an existing one."""

    stream: str
    spec: ObjectSpec
    natural_key: tuple[str, ...]

    @property
    def object(self) -> str:
        return self.spec.name


def _words(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _singular(word: str) -> list[str]:
    forms = [word]
    if word.endswith("ies"):
        forms.append(word[:-3] + "y")
    if word.endswith(("sses", "xes")):
        forms.append(word[:-2])
    if word.endswith("s"):
        forms.append(word[:-1])
    return forms


def object_for_name(name: str) -> ObjectSpec | None:
    """The catalog object a stream name means, or None.

    ``Invoice``, ``invoice``, ``invoices``, ``sales_receipt``, ``SalesReceipts``,
    ``journal-entries`` and a ``schema-name`` prefix (``public-invoices``) all match.
    """
    candidates = [name]
    if "-" in name or "." in name:
        candidates.append(re.split(r"[-.]", name)[-1])
    for candidate in candidates:
        for form in _singular(_words(candidate)):
            spec = catalog.find(form)
            if spec is not None:
                return spec
    return None


#: Reports of the API beyond the ones the tap reads (``catalog.REPORTS``), as other taps name streams
#: after them (singer-io's tap-quickbooks: ``profit_loss_report``).
_OTHER_REPORTS = (
    "AccountList",
    "AgedPayableDetail",
    "AgedPayables",
    "AgedReceivableDetail",
    "AgedReceivables",
    "CashFlow",
    "CustomerBalance",
    "CustomerBalanceDetail",
    "CustomerIncome",
    "GeneralLedger",
    "InventoryValuationSummary",
    "JournalReport",
    "ProfitAndLossDetail",
    "SalesByClassSummary",
    "SalesByCustomer",
    "SalesByDepartment",
    "SalesByProduct",
    "TaxSummary",
    "TransactionList",
    "VendorBalance",
    "VendorBalanceDetail",
    "VendorExpenses",
)


def _report_words(name: str) -> str:
    """A report's name as compared: lower case, no separators, no ``and``, no ``report`` suffix."""
    words = _words(name).replace("and", "")
    for suffix in ("reports", "report"):
        if words.endswith(suffix) and len(words) > len(suffix):
            return words[: -len(suffix)]
    return words


def report_for_name(name: str) -> str | None:
    """The report a stream carries (tap-quickbooks' ``TrialBalance``, singer-io's
    ``profit_loss_report``, any ``..._report`` stream), or None.

    Reports are computed by QuickBooks from the transactions: there is nothing to write, so such
    a stream is read and left alone (``tap-quickbooks | target-quickbooks`` copies a company with
    its reports selected).
    """
    base = name.split("-")[-1]
    words = _report_words(base)
    for report in (*catalog.REPORTS, *_OTHER_REPORTS):
        if _report_words(report) == words:
            return report
    if re.search(r"reports?$", _words(base)) and object_for_name(name) is None:
        return base
    return None


#: What a stream of deleted objects is called (singer-io's tap-quickbooks: ``deleted_objects``, whose
#: records are ``{"Id", "Type", "status": "Deleted"}``, from the CDC endpoint), and the value of
#: ``stream_maps_to_objects`` that names another stream as one.
DELETED_OBJECTS = "DeletedObjects"


def is_deleted_objects(stream: str, explicit: Mapping[str, Any] | None) -> bool:
    """Whether a stream carries deleted objects of any type (each record: ``Id`` and ``Type``)."""
    entry = (explicit or {}).get(stream)
    if entry is not None:
        name = entry.get("object") if isinstance(entry, Mapping) else entry
        return isinstance(name, str) and _words(name) == _words(DELETED_OBJECTS)
    return _words(stream.split("-")[-1]) in ("deletedobjects", "deletedobject")


def _natural_key(spec: ObjectSpec, value: Any, stream: str) -> tuple[str, ...]:
    if value is None:
        return spec.natural_key
    fields = (value,) if isinstance(value, str) else tuple(value)
    known = schemas.property_names(spec.name)
    for path in fields:
        if not isinstance(path, str) or path.split(".")[0] not in known:
            raise StreamMappingError(
                f"stream {stream!r}: natural key field {path!r} is not a property of {spec.name}; "
                f"use fields of the {spec.name} schema (for example {', '.join(spec.natural_key) or 'Id'})"
            )
    return fields


def resolve_stream(stream: str, explicit: Mapping[str, Any] | None) -> StreamTarget:
    """The object and natural key of a stream; raises :class:`StreamMappingError` with a remedy."""
    entry = (explicit or {}).get(stream)
    object_name: str | None = None
    natural_key: Any = None
    if isinstance(entry, str):
        object_name = entry
    elif isinstance(entry, Mapping):
        object_name = entry.get("object")
        natural_key = entry.get("natural_key")
    elif entry is not None:
        raise StreamMappingError(
            f"stream_maps_to_objects[{stream!r}] must be an object name or "
            '{"object": ..., "natural_key": [...]}'
        )
    if object_name:
        spec = catalog.find(str(object_name))
        if spec is None:
            raise StreamMappingError(
                f"stream_maps_to_objects maps stream {stream!r} to {object_name!r}, which is not a "
                f"QuickBooks object; use one of: {', '.join(catalog.names())}"
            )
    else:
        found = object_for_name(stream)
        if found is None:
            raise StreamMappingError(
                f"stream {stream!r} maps to no QuickBooks object: name the stream after one "
                "(Customer, invoices, sales_receipt, ...), map it in the setting stream_maps_to_objects "
                '({"' + stream + '": "Customer"}), reshape it with stream_maps (__alias__), leave it '
                'out with stream_maps ({"' + stream + '": "__NULL__"}) or skip every such stream with '
                "the setting unmapped_streams: skip",
                what=f"stream {stream!r} maps to no QuickBooks object",
            )
        spec = found
    return StreamTarget(stream, spec, _natural_key(spec, natural_key, stream))


def check_explicit(explicit: Mapping[str, Any] | None) -> None:
    """Fail early (at startup) on a stream_maps_to_objects entry that cannot work."""
    for stream in explicit or {}:
        if not is_deleted_objects(stream, explicit):
            resolve_stream(stream, explicit)
