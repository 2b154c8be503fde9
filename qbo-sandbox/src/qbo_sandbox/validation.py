"""Check a request body against the object's schema the way QBO's deserialiser does.

Unknown properties answer 2010, values of the wrong type answer 2010 naming the property,
missing required fields answer 2020, names and document numbers longer than QBO takes answer
2050.

QBO reads JSON with a Java data binder (Jackson-like), which coerces scalars, and so does this module,
no further:

- text for a number: a decimal numeral (surrounding blanks ignored) becomes the number; blank text
  (``"TotalAmt": ""``, as python-quickbooks sends for every new Bill) becomes null, so the property is
  left out and the server fills it in as when it is absent (the total is computed);
- text for a boolean: ``"true"``/``"false"`` become the boolean, blank text becomes null;
- blank text for a date or date-time becomes null (``"TxnDate": ""``);
- a number or a boolean for text becomes its text (``false`` -> ``"false"``, ``86`` -> ``"86"``).

Anything else stays refused with 2010: an object or an array where a scalar is expected, a scalar
(blank text included) where an object or an array is expected, text that is not a numeral for a number
(``"1,000"``, ``"NaN"``, ``"1_000"``), a number or other text for a boolean, a boolean for a number.
"""

from __future__ import annotations

import re
from typing import Any

from qbo_client import schemas
from qbo_client.catalog import ObjectSpec

from . import faults

#: Properties every entity may carry on input whatever its schema says.
_ALWAYS = frozenset({"Id", "SyncToken", "sparse", "domain", "status", "MetaData"})
_MAX_STRING = 100_000
#: The longest value QBO takes for a top-level property (longer: 2050).
_MAX_LENGTH = {"DisplayName": 500, "Name": 100, "DocNumber": 21}
#: A numeral as Java's BigDecimal reads it: ASCII digits, optional sign, fraction and exponent.
_NUMERAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
#: Scalar kinds for which a binder reads blank text as null (text stays text, even empty).
_BLANK_IS_NULL = frozenset({"number", "integer", "boolean"})
_DATE_FORMATS = frozenset({"date", "date-time"})


def _types(schema: dict[str, Any]) -> set[str]:
    t = schema.get("type")
    if isinstance(t, str):
        return {t}
    if isinstance(t, list):
        return set(t)
    return set()


def _blank_is_null(schema: dict[str, Any], types: set[str]) -> bool:
    return bool(types & _BLANK_IS_NULL) or ("string" in types and schema.get("format") in _DATE_FORMATS)


def _conform(value: Any, schema: dict[str, Any], path: str, entity: str) -> Any:
    """The value made to fit its schema, or a 2010 fault naming the property."""
    types = _types(schema)
    if value is None or not types:
        return value
    if "object" in types and isinstance(value, dict):
        props = schema.get("properties")
        if not props:
            return value
        out = {}
        for key, item in value.items():
            sub = props.get(key)
            if sub is None:
                if key in _ALWAYS:
                    out[key] = item
                    continue
                raise faults.unknown_property(f"{path}.{key}" if path else key, entity)
            out[key] = _conform(item, sub, f"{path}.{key}" if path else key, entity)
        return out
    if "array" in types and isinstance(value, list):
        items = schema.get("items") or {}
        return [_conform(item, items, path, entity) for item in value]
    if "boolean" in types and isinstance(value, bool):
        return value
    if isinstance(value, str) and not value.strip() and _blank_is_null(schema, types):
        return None  # left out by check_payload, as if never sent
    if ("number" in types or "integer" in types) and not isinstance(value, bool):
        if isinstance(value, (int, float)):
            return value
        if isinstance(value, str) and _NUMERAL.fullmatch(value.strip()):
            number = float(value)
            if abs(number) != float("inf"):
                return int(number) if "integer" in types and number.is_integer() else number
    if "boolean" in types and isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if "string" in types and isinstance(value, (str, int, float)):
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        limit = _MAX_LENGTH.get(path)
        if limit is not None and len(text) > limit:
            raise faults.string_length(path, limit, len(text))
        if len(text) > _MAX_STRING:
            raise faults.malformed_request(
                f"Property {path} of {entity} is longer than {_MAX_STRING} characters"
            )
        if "\x00" in text:
            raise faults.malformed_request(f"Property {path} of {entity} holds a NUL character")
        return text
    expected = "/".join(sorted(types - {"null"}))
    raise faults.malformed_request(
        f"Error parsing object: property {path} of {entity} must be {expected}, got {type(value).__name__}"
    )


def strip_nulls(value: Any) -> Any:
    """QBO ignores null properties on input and never answers them."""
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value if v is not None]
    return value


def check_payload(spec: ObjectSpec, body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """A validated deep copy of ``body`` for ``spec``; raises QBOFault."""
    schema = schemas.load(spec.name)
    # Nulls go before (an unknown property sent as null is ignored) and after (what became null).
    payload = strip_nulls(_conform(strip_nulls(body), schema, "", spec.name))
    if creating:
        for group in spec.required:
            if not any(payload.get(field) not in (None, "", [], {}) for field in group):
                raise faults.required_missing(group[0])
    return payload
