"""Run a parsed query against the store: the catalog decides what is filterable, SQL does the work.

Values are always bound parameters and property names come from the catalog, never from the
query text, so nothing a client writes reaches SQL as code.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from qbo_client import catalog, schemas
from qbo_client.catalog import ObjectSpec

from . import clock, faults
from .faults import QBOFault
from .query import Condition, Query, QueryError, normalize_path, parse

_COLUMNS = {
    "Id": "id",
    "Active": "active",
    "MetaData.CreateTime": "created_utc",
    "MetaData.LastUpdatedTime": "updated_utc",
}
_SQL_OPS = {"=": "=", "<": "<", ">": ">", "<=": "<=", ">=": ">=", "!=": "!="}


def invalid_query(detail: str) -> QBOFault:
    return QBOFault("4001", "Invalid query", f"QueryValidationError: {detail}")


def fault_from(err: QueryError) -> QBOFault:
    return QBOFault(err.code, err.message, err.detail)


@dataclass(frozen=True)
class CompiledQuery:
    """SQL for a query; ``fields`` (canonical spellings) is set when the answer is a projection."""

    spec: ObjectSpec
    count: bool
    sql: str
    args: tuple[Any, ...]
    start_position: int
    max_results: int
    fields: tuple[str, ...] | None = None


def _canonical(spec: ObjectSpec, path: str) -> str:
    wanted = path.casefold()
    for name in spec.filterable_fields():
        if name.casefold() == wanted:
            return name
    raise invalid_query(f"property '{path}' is not queryable")


# ---------------------------------------------------------------------------------------------------------
# Select lists. QuickBooks takes `*` with named properties (whole entities), or named properties alone.
# What it answers for the latter, as clients of the real API report it: the named properties, and
# `Property BillAddr not found for Entity Customer` (4001) for one it cannot select: addresses
# (BillAddr, ShipAddr), references that are not filters (Item.ParentRef), nested paths
# (PrimaryEmailAddr.Address) and InvoiceLink, while scalars (Id, Name, Type, TrackQtyOnHand, QtyOnHand,
# Active) and filterable properties (PrimaryEmailAddr, CustomerRef) are selectable. So: a top-level
# property whose type is a scalar, or one the entity can be filtered on (which brings the two
# `MetaData.` times). The envelope of a projected row is not documented and no recorded answer shows
# one: the sandbox answers the named properties plus `Id`, `SyncToken`, `domain` and `sparse: true`
# (Intuit: "sparse - set to true if not all properties of the entity are in the response").

_SCALARS = frozenset({"string", "number", "integer", "boolean"})
#: Scalars of the schema that QuickBooks still refuses by name: an invoice's link comes only with
#: `include=invoiceLink` on whole rows.
_NOT_SELECTABLE = frozenset({"InvoiceLink"})


@functools.cache
def _selectable(entity: str) -> dict[str, str]:
    """The properties of ``entity`` a select list may name: casefolded spelling -> schema spelling."""
    names: dict[str, str] = {}
    for name, prop in schemas.load(entity).get("properties", {}).items():
        types = set(_types(prop.get("type"))) - {"null"}
        if types and types <= _SCALARS and name not in _NOT_SELECTABLE:
            names[name.casefold()] = name
    spec = catalog.find(entity)
    for name in spec.filterable_fields() if spec else ():
        names[name.casefold()] = name
    return names


def _select_list(spec: ObjectSpec, query: Query) -> tuple[str, ...] | None:
    """The canonical names of a projection (None: whole entities); raises 4001 for a name QBO refuses."""
    known = _selectable(spec.name)
    fields: list[str] = []
    for path in query.fields:
        name = known.get(normalize_path(path).casefold())
        if name is None:
            raise invalid_query(f"Property {path} not found for Entity {spec.name}")
        if name not in fields:
            fields.append(name)
    return tuple(fields) if query.projected else None


def project(entity: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The row of a projected answer: the named properties the entity has, plus the envelope."""
    out: dict[str, Any] = {}
    for name in fields:
        head, _, tail = name.partition(".")
        if tail:  # MetaData.CreateTime / MetaData.LastUpdatedTime
            parent = entity.get(head)
            if isinstance(parent, dict) and parent.get(tail) is not None:
                out.setdefault(head, {})[tail] = parent[tail]
        elif entity.get(name) is not None:
            out[name] = entity[name]
    out["domain"] = entity.get("domain", "QBO")
    out["sparse"] = True
    for key in ("Id", "SyncToken"):
        if key in entity:
            out[key] = entity[key]
    return out


def _is_ref(name: str) -> bool:
    return name.endswith("Ref")


def _expression(name: str, spec: ObjectSpec | None = None) -> str:
    if spec is not None and spec.wraps and name == "Type":
        # A RecurringTransaction is stored as {"Invoice": {...}}: its type is its one key.
        return "(SELECT key FROM json_each(data) LIMIT 1)"
    if name in _COLUMNS:
        return _COLUMNS[name]
    if _is_ref(name):
        return f"json_extract(data, '$.{name}.value')"
    return f"json_extract(data, '$.{name}')"


@functools.cache
def _numeric_properties(entity: str) -> frozenset[str]:
    props = schemas.load(entity).get("properties", {})
    return frozenset(
        name for name, prop in props.items() if {"number", "integer"} & set(_types(prop.get("type")))
    )


def _types(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return list(value or [])


#: The largest Id (and integer literal) SQLite holds: QBO's Ids are 64-bit.
MAX_ID = 2**63 - 1


def _coerce(name: str, value: Any, entity: str = "") -> Any:
    """Turn a query literal into what the column holds (``TotalAmt > '300.00'`` compares numbers)."""
    if name in ("MetaData.CreateTime", "MetaData.LastUpdatedTime"):
        if not isinstance(value, str):
            raise invalid_query(f"value {value} is not a valid date-time for {name}")
        try:
            return clock.to_utc_key(value)
        except ValueError as exc:
            raise invalid_query(f"value {value} is not a valid date-time for {name}") from exc
    if name == "Id":
        text = str(value).strip()
        if not (text.isascii() and text.isdigit()) or int(text) > MAX_ID:
            raise faults.invalid_id(str(value))
        return int(text)
    if isinstance(value, bool):
        return 1 if value else 0
    if name == "Active" and isinstance(value, str) and value.casefold() in ("true", "false"):
        return 1 if value.casefold() == "true" else 0
    if _is_ref(name):
        return str(value)
    if isinstance(value, str) and entity and name in _numeric_properties(entity):
        try:
            return float(value)
        except ValueError as exc:
            raise invalid_query(f"value '{value}' is not a number for {name}") from exc
    return value


def _like_pattern(value: str) -> str:
    # '%' is QBO's only wildcard: escape SQLite's '_' and the escape character itself.
    return value.replace("\\", "\\\\").replace("_", "\\_")


def _condition(spec: ObjectSpec, cond: Condition) -> tuple[str, list[Any]]:
    name = _canonical(spec, cond.path)
    expr = _expression(name, spec)
    numeric = name in _numeric_properties(spec.name)
    text_compare = (
        name not in _COLUMNS and not numeric and not isinstance(cond.value, (bool, int, float, tuple))
    )
    collate = " COLLATE NOCASE" if text_compare else ""
    if cond.op == "IN":
        values = cond.value if isinstance(cond.value, tuple) else (cond.value,)
        coerced = [_coerce(name, v, spec.name) for v in values]
        text_in = name not in _COLUMNS and all(isinstance(v, str) for v in coerced)
        marks = ",".join("?" * len(coerced))
        return f"{expr}{' COLLATE NOCASE' if text_in else ''} IN ({marks})", coerced
    if cond.op == "LIKE":
        if not isinstance(cond.value, str):
            raise invalid_query(f"LIKE needs a quoted value for {name}")
        return f"{expr} LIKE ? ESCAPE '\\'", [_like_pattern(cond.value)]
    if name == "Id" and cond.op != "=":
        raise invalid_query(f"operator {cond.op} is not supported for Id")
    return f"{expr}{collate} {_SQL_OPS[cond.op]} ?", [_coerce(name, cond.value, spec.name)]


def compile_query(realm: str, query: Query) -> CompiledQuery:
    """Check a parsed query against the catalog and turn it into SQL over the entities table."""
    spec = catalog.find(query.entity)
    if spec is None or not spec.query:
        raise invalid_query(f"invalid context declaration: {query.entity}")
    fields = _select_list(spec, query)
    where = ["realm_id = ?", "type = ?", "deleted = 0"]
    args: list[Any] = [realm, spec.name]
    mentions_active = False
    for cond in query.where:
        sql, values = _condition(spec, cond)
        mentions_active = mentions_active or _canonical(spec, cond.path) == "Active"
        where.append(sql)
        args.extend(values)
    if spec.is_name_list and not mentions_active:
        # Name lists answer only active rows unless the query asks about Active itself.
        where.append("active = 1")
    clause = " AND ".join(where)
    if query.count:
        return CompiledQuery(spec, True, f"SELECT COUNT(*) FROM entities WHERE {clause}", tuple(args), 1, 0)
    keys = ["id"]
    order = []
    for n, item in enumerate(query.order_by):
        name = _canonical(spec, item.path)
        keys.append(f"{_expression(name, spec)} AS o{n}")
        order.append(f"o{n} {'DESC' if item.descending else 'ASC'}")
    order.append("id ASC")
    by = ", ".join(order)
    # Page over the keys first and read the JSON of the chosen rows only: SQLite's OFFSET would
    # otherwise read every skipped row's data, and late pages of a large company crawl.
    sql = (
        f"SELECT e.data FROM (SELECT {', '.join(keys)} FROM entities WHERE {clause} ORDER BY {by} "
        "LIMIT ? OFFSET ?) AS page JOIN entities AS e ON e.realm_id = ? AND e.type = ? AND e.id = page.id "
        f"ORDER BY {by.replace('id ASC', 'page.id ASC')}"
    )
    args.extend([query.max_results, query.start_position - 1, realm, spec.name])
    return CompiledQuery(spec, False, sql, tuple(args), query.start_position, query.max_results, fields)


def parse_query(text: str) -> Query:
    try:
        return parse(text)
    except QueryError as err:
        raise fault_from(err) from err
