"""Check a request body against the object's schema the way QBO's deserialiser does.

Unknown properties answer 2010, values of the wrong type answer 2010 naming the property,
missing required fields answer 2020, names and document numbers longer than QBO takes answer
2050. Numbers sent as numeric strings are accepted and stored as numbers (QBO's parser accepts
them and answers numbers).
"""

from __future__ import annotations

from typing import Any

from qbo_client import schemas
from qbo_client.catalog import ObjectSpec

from . import faults

#: Properties every entity may carry on input whatever its schema says.
_ALWAYS = frozenset({"Id", "SyncToken", "sparse", "domain", "status", "MetaData"})
_MAX_STRING = 100_000
#: The longest value QBO takes for a top-level property (longer: 2050).
_MAX_LENGTH = {"DisplayName": 500, "Name": 100, "DocNumber": 21}


def _types(schema: dict[str, Any]) -> set[str]:
    t = schema.get("type")
    if isinstance(t, str):
        return {t}
    if isinstance(t, list):
        return set(t)
    return set()


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
    if ("number" in types or "integer" in types) and not isinstance(value, bool):
        if isinstance(value, (int, float)):
            return value
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                pass
            else:
                if number == number and abs(number) != float("inf"):
                    return int(number) if "integer" in types and number.is_integer() else number
    if "boolean" in types and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if "string" in types and isinstance(value, (str, int, float)) and not isinstance(value, bool):
        text = str(value)
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
    payload = _conform(strip_nulls(body), schema, "", spec.name)
    if creating:
        for group in spec.required:
            if not any(payload.get(field) not in (None, "", [], {}) for field in group):
                raise faults.required_missing(group[0])
    return payload
