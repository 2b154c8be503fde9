"""Custom fields given as columns (``custom_crew``, as tap-quickbooks' ``custom_fields_as_columns``
emits them) written back by name, as ``CustomField`` entries of the target company's definitions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from qbo_client import custom_fields
from qbo_client.catalog import ObjectSpec

from target_quickbooks.records import RecordError

Definitions = Mapping[str, tuple[custom_fields.Definition, ...]]


def columns_of(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record's custom-field columns (``custom_...``)."""
    return {k: v for k, v in record.items() if k.startswith(custom_fields.PREFIX)}


def apply(spec: ObjectSpec, record: dict[str, Any], definitions: Callable[[], Definitions]) -> dict[str, Any]:
    """The record with its ``custom_...`` columns turned into its ``CustomField`` entries.

    The columns say what the custom fields hold: the entries are made from them alone, with the
    target company's DefinitionIds (a copied record's own entries carry the source company's
    DefinitionIds, which may mean other fields here). A column that names no custom field of the
    company is a :class:`RecordError` (QuickBooks would answer 2010 for an unknown property)."""
    columns = columns_of(record)
    if not columns:
        return record
    defs = definitions().get(spec.name, ())
    entries, unknown = custom_fields.to_entries(columns, None, defs)
    if unknown:
        names = ", ".join(repr(d.name) for d in defs) or "none"
        raise RecordError(
            f"{', '.join(sorted(unknown))} names no custom field of {spec.name} in this company (its custom "
            f"fields: {names}); define it in QuickBooks (Account and settings, Sales, Custom fields) or drop "
            "the column with stream_maps",
            code="2010",
            element=sorted(unknown)[0],
        )
    shaped = {k: v for k, v in record.items() if k not in columns}
    shaped["CustomField"] = [e for e in entries if "StringValue" in e] or None
    return shaped


__all__ = ["apply", "columns_of"]
