"""From a Singer record to what QuickBooks accepts on input, or a per-record reason why not.

Records are QuickBooks-shaped JSON (as tap-quickbooks emits them, or as stream maps reshape
another tap's records). Shaping removes what QBO computes or owns (``LastUpdatedTime``,
``_sdc_*``, ``MetaData``, balances, fully qualified names, the links QBO keeps on the other side
of a payment), and checks every value against the object's JSON Schema the way QBO's parser
does, so that a record QBO would refuse is refused here with a reason, before anything is written.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from functools import cache
from typing import Any

from qbo_client import catalog, references, schemas
from qbo_client.catalog import ObjectSpec

from .records import Operation, RecordError

OPERATION_FIELD = "_qbo_operation"
DELETED_SUFFIX = " (deleted)"

#: Server-owned fields of every object.
_SERVER_FIELDS = frozenset({"Id", "SyncToken", "MetaData", "domain", "sparse", "status", "LastUpdatedTime"})
#: What QBO computes for name lists and answers read-only.
_NAME_LIST_COMPUTED = frozenset(
    {
        "FullyQualifiedName",
        "Level",
        "SubAccount",
        "SubItem",
        "SubClass",
        "SubDepartment",
        "Job",
        "CurrentBalance",
        "CurrentBalanceWithSubAccounts",
        "Balance",
        "BalanceWithJobs",
    }
)
#: What QBO computes for transactions. TotalAmt is input only where QBO needs it.
_TXN_COMPUTED = frozenset({"Balance", "HomeBalance", "HomeTotalAmt", "UnappliedAmt", "TotalAmt"})
_TOTAL_IS_INPUT = frozenset({"Payment", "BillPayment"})
#: The name fields QBO suffixes with " (deleted)" on an inactive row.
NAME_FIELDS = ("Name", "DisplayName", "FullyQualifiedName")
_PARTY_NAME_PARTS = ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")


def operation_of(record: dict[str, Any]) -> Operation:
    """What the record asks for; raises RecordError for an unknown ``_qbo_operation``."""
    explicit = record.get(OPERATION_FIELD)
    if explicit not in (None, ""):
        try:
            return Operation(str(explicit).strip().lower())
        except ValueError:
            raise RecordError(
                f"{OPERATION_FIELD} is {explicit!r}; use 'upsert', 'delete' or 'void'",
                code="2010",
                element=OPERATION_FIELD,
            ) from None
    if record.get("_sdc_deleted_at") not in (None, "") or str(record.get("status", "")).lower() == "deleted":
        return Operation.DELETE
    return Operation.UPSERT


def base_name(name: str) -> str:
    """A name without the suffix QBO adds to inactive name-list rows."""
    return name[: -len(DELETED_SUFFIX)] if name.endswith(DELETED_SUFFIX) else name


def input_payload(spec: ObjectSpec, record: dict[str, Any], *, copy_mode: bool) -> dict[str, Any]:
    """The fields of a record QuickBooks accepts on a write (values not yet checked).

    A RecurringTransaction is its template under its type (``{"Invoice": {...}}``), shaped as that
    transaction is: the tap's top-level ``Id``, ``Type`` and ``LastUpdatedTime`` are left out, and
    so are what QuickBooks owns inside the template (its Id, SyncToken, MetaData, RecurDataRef).
    """
    if spec.wraps:
        if operation_of(record) is Operation.DELETE and not any(
            isinstance(record.get(k), dict) for k in spec.wraps
        ):
            return {}  # a delete by Id (a CDC stub): the type is the existing template's
        kind = wrapped_kind(spec, record)
        inner = input_payload(catalog.get(kind), record[kind], copy_mode=copy_mode)
        inner.pop("RecurDataRef", None)
        return {kind: inner}
    payload: dict[str, Any] = {}
    for key, value in record.items():
        if key.startswith(("_sdc_", "_qbo_")) or key in _SERVER_FIELDS:
            continue
        if spec.is_name_list and key in _NAME_LIST_COMPUTED:
            continue
        if (
            spec.is_transaction
            and key in _TXN_COMPUTED
            and not (key == "TotalAmt" and spec.name in _TOTAL_IS_INPUT)
        ):
            continue
        if value is None:
            continue
        payload[key] = _plain(value)
    if spec.is_name_list:
        for key in NAME_FIELDS:
            if isinstance(payload.get(key), str):
                payload[key] = base_name(payload[key])
        if spec.name_space == "party" and not payload.get("DisplayName"):
            parts = [payload.get(p) for p in _PARTY_NAME_PARTS]
            name = " ".join(p for p in parts if isinstance(p, str) and p)
            if name:
                payload["DisplayName"] = name  # what QBO derives, so the natural key can find it
    _drop_backlinks(spec.name, payload)
    if copy_mode:
        _drop_company_ids(payload)
    return payload


def wrapped_kind(spec: ObjectSpec, record: dict[str, Any]) -> str:
    """The transaction type a RecurringTransaction record holds its template under.

    Raises RecordError when the record holds none, or several, of them.
    """
    kinds = [key for key in spec.wraps if isinstance(record.get(key), dict)]
    if len(kinds) != 1:
        raise RecordError(
            f"a {spec.name} record holds its template under its transaction type, "
            f'{{"Invoice": {{...}}}} (one of {", ".join(spec.wraps)}), and this one holds '
            f"{'none' if not kinds else ', '.join(kinds)}: reshape it with stream_maps",
            code="2010",
            element="Type",
        )
    return kinds[0]


def flat_wrapped(row: dict[str, Any]) -> dict[str, Any]:
    """A RecurringTransaction as QuickBooks answers it (``{"Invoice": {...}}``), with its template's
    ``Id``, ``SyncToken`` and ``Type`` on top as the tap emits it, so that it is matched, compared and
    mapped like any object; any other row as it is."""
    if "Id" in row:
        return row
    kinds = [key for key in catalog.RECURRING_TYPES if isinstance(row.get(key), dict)]
    if len(kinds) != 1:
        return row
    inner = row[kinds[0]]
    flat = {**row, "Type": kinds[0], "Id": str(inner.get("Id", ""))}
    if inner.get("SyncToken") not in (None, ""):
        flat["SyncToken"] = str(inner["SyncToken"])
    return flat


def wrapped_body(spec: ObjectSpec, body: dict[str, Any], kind: str = "") -> dict[str, Any]:
    """What QuickBooks takes for a write of a RecurringTransaction: the template under its type, with
    the ``Id``, ``SyncToken`` and ``sparse`` of an update or delete inside it; else ``body``.

    ``kind``: the type when the body carries no template (a delete: the existing object's Type).
    """
    if not spec.wraps:
        return body
    held = [key for key in spec.wraps if isinstance(body.get(key), dict)]
    kind = held[0] if held else kind or str(body.get("Type") or "")
    inner = dict(body.get(kind) or {})
    for key in ("Id", "SyncToken", "sparse"):
        if key in body:
            inner[key] = body[key]
    return {kind: inner}


def _plain(value: Any) -> Any:
    """JSON values only, nulls dropped (QBO ignores them)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value if v is not None]
    return jsonable(value)


def jsonable(value: Any) -> Any:
    """A value as JSON has it: the SDK reads numbers as Decimal and parses top-level date-times."""
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        return int(value) if isinstance(exponent, int) and exponent >= 0 else float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value


def _drop_backlinks(holder: str, payload: dict[str, Any]) -> None:
    """Keep only the LinkedTxn entries a client writes (see ``references.LINKED_INPUTS``)."""
    inputs = set(references.LINKED_INPUTS.get(holder, ()))

    def keep(links: Any) -> list[Any]:
        return [
            link
            for link in (links if isinstance(links, list) else [])
            if isinstance(link, dict) and references.txn_type_object(str(link.get("TxnType", ""))) in inputs
        ]

    if "LinkedTxn" in payload:
        payload["LinkedTxn"] = keep(payload["LinkedTxn"])
        if not payload["LinkedTxn"]:
            del payload["LinkedTxn"]
    for line in payload.get("Line") or []:
        if isinstance(line, dict) and "LinkedTxn" in line:
            line["LinkedTxn"] = keep(line["LinkedTxn"])
            if not line["LinkedTxn"]:
                del line["LinkedTxn"]


def _drop_company_ids(payload: dict[str, Any]) -> None:
    """Ids another company assigned inside an object (lines, addresses) mean nothing here."""
    for line in payload.get("Line") or []:
        if isinstance(line, dict):
            line.pop("Id", None)
    for key, value in payload.items():
        if key.endswith("Addr") and isinstance(value, dict):
            value.pop("Id", None)


# -- checking values against the object's schema -------------------------------------------------


def check_text(value: Any, path: str = "") -> None:
    """Every key and string of a record is text QuickBooks can take: Unicode that has a UTF-8 form
    (a JSON escape such as \\ud800 can give a lone surrogate, which has none)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise RecordError(
                f"{path or 'the record'} holds text that is not valid Unicode (a lone surrogate such as "
                "\\ud800, from a broken escape): fix the text in the source",
                code="2010",
                element=path,
            ) from None
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key, path)
            check_text(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for n, item in enumerate(value):
            check_text(item, f"{path}[{n}]")


def check_payload(spec: ObjectSpec, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with values made to fit the schema (numeric strings become numbers).

    Raises RecordError with code 2010 (QBO's code for an unknown property or a value it cannot
    parse) naming the property and what it must be.
    """
    fitted = _fit(payload, _schema(spec.name), "", spec.name)
    assert isinstance(fitted, dict)
    return fitted


@cache
def _schema(name: str) -> dict[str, Any]:
    """One copy of an object's schema per process (only read here; ``schemas.load`` copies)."""
    return schemas.load(name)


def _types(schema: dict[str, Any]) -> set[str]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return {kind}
    if isinstance(kind, list):
        return {str(k) for k in kind}
    return set()


def _fit(value: Any, schema: dict[str, Any], path: str, entity: str) -> Any:
    types = _types(schema) - {"null"}
    if value is None or not types:
        return value
    where = path or "the record"
    if "object" in types:
        if not isinstance(value, dict):
            raise _bad(entity, path, "an object", value)
        props = schema.get("properties")
        if not props:
            return value
        out = {}
        for key, item in value.items():
            sub = props.get(key)
            child = f"{path}.{key}" if path else key
            if sub is None:
                raise RecordError(
                    f"{entity} has no property {child!r}: remove it from the record, or reshape the "
                    "stream with stream_maps (QuickBooks would answer 2010, unrecognized property)",
                    code="2010",
                    element=child,
                )
            out[key] = _fit(item, sub, child, entity)
        return out
    if "array" in types:
        if not isinstance(value, list):
            raise _bad(entity, path, "a list", value)
        items = schema.get("items") or {}
        return [_fit(item, items, f"{path}[{n}]", entity) for n, item in enumerate(value)]
    if "number" in types or "integer" in types:
        return _number(value, types, entity, path)
    if "boolean" in types:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise _bad(entity, path, "true or false", value)
    if "string" in types:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise _bad(entity, path, "a string", value)
        text = str(value)
        if "\x00" in text:
            raise RecordError(
                f"{where} of {entity} holds a NUL character, which QuickBooks refuses: remove it",
                code="2010",
                element=path,
            )
        fmt = schema.get("format")
        if fmt == "date" and not _is_date(text, fmt):
            return _date_of(text, entity, path)
        if fmt == "date-time" and not _is_date(text, fmt):
            raise _bad(entity, path, "an ISO 8601 date-time", value)
        return text
    return value


def _number(value: Any, types: set[str], entity: str, path: str) -> int | float:
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:  # an integer beyond any float
            number = math.inf
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None or math.isnan(number) or math.isinf(number):
        raise _bad(entity, path, "a number (a dot for decimals, no thousands separators)", value)
    if "integer" in types and "number" not in types:
        if not number.is_integer():
            raise _bad(entity, path, "a whole number", value)
        return int(number)
    if isinstance(value, int):
        return value
    return int(number) if isinstance(value, str) and number.is_integer() and "." not in value else number


def _is_date(text: str, fmt: str) -> bool:
    try:
        if fmt == "date":
            dt.date.fromisoformat(text)
        else:
            dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _date_of(text: str, entity: str, path: str) -> str:
    """The date a date-time given for a date field means, as QuickBooks takes it (``YYYY-MM-DD``).

    Taps whose schemas type every date as a date-time (singer-io's tap-quickbooks) send
    ``2025-12-08T00:00:00.000000Z`` for the date 2025-12-08, and the SDK hands a top-level one on
    as a datetime (``2025-12-08T00:00:00+00:00``). Midnight in UTC (or with no offset) is that date.
    Any other time, or midnight elsewhere, may have been shifted from another day by a time zone
    conversion: which date it means is not known, so the record is refused rather than guessed.
    """
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _bad(entity, path, "a date YYYY-MM-DD", text) from None
    offset = moment.utcoffset()
    if moment.time() == dt.time(0) and offset in (None, dt.timedelta(0)):
        return moment.date().isoformat()
    raise RecordError(
        f"{path or 'the record'} of {entity} must be a date YYYY-MM-DD, not the date-time {text!r}: only "
        "midnight UTC names a date for sure (another time may be a date shifted by a time zone); "
        "send the date itself, in the source or with stream_maps",
        code="2010",
        element=path,
    )


def _bad(entity: str, path: str, expected: str, value: Any) -> RecordError:
    shown = repr(value) if not isinstance(value, dict | list) else type(value).__name__
    if len(shown) > 120:
        shown = f"{shown[:100]}... ({len(shown)} characters)"
    return RecordError(
        f"{path or 'the record'} of {entity} must be {expected}, not {shown}: fix the value in the "
        "source or with stream_maps (QuickBooks would answer 2010, invalid value)",
        code="2010",
        element=path,
    )


def missing_required(spec: ObjectSpec, payload: dict[str, Any]) -> str | None:
    """The first required field group a create lacks (QBO answers 2020), as ``A or B``; else None.

    Objects created through another endpoint (TaxCode: the TaxService) name that request's fields.
    """
    if spec.create_endpoint:
        return None
    for group in spec.required:
        if not any(payload.get(name) not in (None, "", [], {}) for name in group):
            return " or ".join(group)
    return None
