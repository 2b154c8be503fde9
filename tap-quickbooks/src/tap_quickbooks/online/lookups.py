"""Reading some objects by Id: the ``ids`` setting and ``tap-quickbooks get``.

A lookup reads exactly the Ids asked for, with ``Id IN (...)`` queries of :data:`IDS_PER_QUERY`
Ids, :data:`~tap_quickbooks.online.changes.BATCH_ITEMS` queries to a batch request (so one request
reads up to 6,000 Ids), and tells which Ids QuickBooks did not answer (deleted, or never there). It
keeps no state: a lookup run leaves every bookmark where it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from qbo_client import catalog
from qbo_client.catalog import ObjectSpec
from qbo_client.config_checks import SettingsError
from qbo_client.errors import fault_error

from .changes import BATCH_ITEMS
from .queries import ObjectQuery, rows_of

if TYPE_CHECKING:
    from qbo_client.client import QBOClient

Row = dict[str, Any]

#: Ids per ``Id IN (...)`` query (QBO's query text stays short; MAXRESULTS covers them all).
IDS_PER_QUERY = 200


def parse_ids(config: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """The ``ids`` setting as object name -> Ids (in the order given, without repeats); empty when
    unset. A setting that cannot work raises :class:`SettingsError` naming the object and the fix."""
    given = config.get("ids") or {}
    if not isinstance(given, Mapping):
        raise SettingsError('ids must be an object of Id lists, e.g. {"Invoice": ["22", "25"]}')
    found: dict[str, tuple[str, ...]] = {}
    for name, values in given.items():
        spec = catalog.find(str(name))
        if spec is None:
            raise SettingsError(
                f"ids: {name!r} is not a QuickBooks Online object; use one of: {', '.join(catalog.names())}"
            )
        if not spec.has_id:
            raise SettingsError(
                f"ids: {spec.name} has no Id (it is keyed by {', '.join(spec.natural_key)}); "
                "read it with stream_filters instead"
            )
        if isinstance(values, (str, int)):
            values = [values]
        if not isinstance(values, Sequence) or not values:
            raise SettingsError(f'ids: {spec.name} needs a list of Ids, e.g. {{"{spec.name}": ["22"]}}')
        ids: dict[str, None] = dict.fromkeys(found.get(spec.name, ()))
        for value in values:
            text = str(value).strip()
            if not text.isdigit():
                raise SettingsError(f"ids: {spec.name} Id {value!r} is not a QuickBooks Id (digits only)")
            ids[text] = None
        found[spec.name] = tuple(ids)
    return found


def read_by_ids(
    client: QBOClient, spec: ObjectSpec, ids: Sequence[str], prepare_row: Callable[[Row], Row] | None = None
) -> tuple[list[Row], list[str]]:
    """The rows of ``ids`` in the order asked, and the Ids QuickBooks did not answer."""
    query = ObjectQuery.for_spec(spec)
    chunks = [list(ids[i : i + IDS_PER_QUERY]) for i in range(0, len(ids), IDS_PER_QUERY)]
    found: dict[str, Row] = {}
    for start in range(0, len(chunks), BATCH_ITEMS):
        group = chunks[start : start + BATCH_ITEMS]
        items = [{"bId": str(i), "Query": query.by_ids(chunk)} for i, chunk in enumerate(group)]
        # Only reads: a requestid makes the batch safe to retry.
        for item in client.batch(items, request_id=uuid.uuid4().hex):
            if "QueryResponse" not in item:
                fault = item.get("Fault") or {"Error": [{"Message": "the batch item got no answer"}]}
                raise fault_error(400, {"Fault": fault})
            for row in rows_of(item.get("QueryResponse") or {}):
                found[str(row.get("Id"))] = prepare_row(row) if prepare_row else row
    rows = [found[i] for i in ids if i in found]
    missing = [i for i in ids if i not in found]
    return rows, missing


def describe_missing(entity: str, missing: Sequence[str], realm: str) -> str:
    """One line naming the Ids QuickBooks did not answer."""
    shown = ", ".join(missing[:20]) + (f" and {len(missing) - 20} more" if len(missing) > 20 else "")
    return (
        f"{entity}: {len(missing)} Id(s) not found in company {realm}: {shown} "
        "(deleted, or never created; a deleted one comes out of a normal run as a delete record)"
    )


__all__ = ["IDS_PER_QUERY", "describe_missing", "parse_ids", "read_by_ids"]
