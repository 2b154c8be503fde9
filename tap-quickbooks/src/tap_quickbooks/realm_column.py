"""The opt-in company column (``add_realm_id``): many companies' records in one warehouse table.

With the setting on, every record of every stream (objects, deletes and reports) carries
``_qbo_realm_id``: the company's realm id (QuickBooks Desktop: the company's name on the bridge),
and the column is part of every stream's key, first: an ``Id`` is unique within one company only,
so a table that holds many companies is keyed by (company, Id). The column and the key come with
discovery; a catalog saved before the setting was turned on has neither (run discovery again).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from qbd_client import settings as desktop_settings
from singer_sdk import Stream
from typing_extensions import override

from .edition import ObjectDefinition, ReportDefinition

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context, Record


REALM_COLUMN = "_qbo_realm_id"
SETTING = "add_realm_id"

_Definition = TypeVar("_Definition", ObjectDefinition, ReportDefinition)


def company_of(config: Mapping[str, Any]) -> str:
    """The company a config reads: its realm id (QuickBooks Desktop: its name on the bridge)."""
    if desktop_settings.edition_of(config) == "desktop":
        return str(config.get("company") or "")
    return str(config.get("realm_id") or "")


def with_realm_column(definitions: Sequence[_Definition], config: Mapping[str, Any]) -> list[_Definition]:
    """The definitions, with the company column in each schema and first in each key when asked for."""
    if not config.get(SETTING):
        return list(definitions)
    out: list[_Definition] = []
    for definition in definitions:
        schema = dict(definition.schema)  # the catalog's schemas are shared: copied, not changed
        schema["properties"] = {
            **schema.get("properties", {}),
            REALM_COLUMN: {"type": ["string"], "description": "The company (QuickBooks Desktop: its name)"},
        }
        primary: tuple[str, ...] = definition.primary_keys
        keys = (REALM_COLUMN, *(k for k in primary if k != REALM_COLUMN))
        out.append(dataclasses.replace(definition, schema=schema, primary_keys=keys))
    return out


class RealmColumn(Stream):
    """A stream whose records carry the company column when ``add_realm_id`` is on."""

    @override
    def post_process(self, row: Record, context: Context | None = None) -> Record | None:
        """The record, with ``_qbo_realm_id`` set when the setting is on."""
        if self.config.get(SETTING):
            row[REALM_COLUMN] = company_of(self.config)
        return row


__all__ = ["REALM_COLUMN", "RealmColumn", "company_of", "with_realm_column"]
