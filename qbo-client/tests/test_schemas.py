"""The generated JSON Schemas: their shape, their agreement with real payloads, their freshness."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import generate_schemas
import pytest
from qbo_client import catalog, schemas
from shared import fixtures_dir, xsd_dir

SCHEMAS = {spec.name: schemas.load(spec.name) for spec in catalog.OBJECTS}

#: Answers that hold entities one level down: {"QueryResponse": {"Customer": [...]}} and the like.
ENVELOPES = frozenset(
    {"QueryResponse", "BatchItemResponse", "BatchItemRequest", "CDCResponse", "AttachableResponse"}
)

#: Properties whose names end in "Ref" but that are XSD containers rather than {value, name} references.
NOT_REFERENCES = frozenset({"AttachableRef", "UOMRef"})

JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", dict: "object", list: "array"}
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


# -- walking schemas and payloads ----------------------------------------------------------------


def subschemas(schema: dict[str, Any], path: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every (path, property name, property schema) under a schema, array items seen through."""
    for name, prop in schema.get("properties", {}).items():
        inner = prop.get("items", prop)
        yield f"{path}.{name}", name, prop
        yield from subschemas(inner, f"{path}.{name}")


def all_properties() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for name, schema in SCHEMAS.items():
        yield from subschemas(schema, name)


def types_of(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type", [])
    return kind if isinstance(kind, list) else [kind]


def is_open(schema: dict[str, Any]) -> bool:
    """An object the schema keeps whole, as it comes (where the data model stops)."""
    return schema.get("additionalProperties") is True


def undeclared(value: Any, schema: dict[str, Any], path: str) -> Iterator[str]:
    """Paths of the properties in a payload that the schema does not declare (the SDK would drop them)."""
    if isinstance(value, dict) and not is_open(schema):
        props = schema.get("properties", {})
        for key, item in value.items():
            if key in props:
                yield from undeclared(item, props[key], f"{path}.{key}")
            else:
                yield f"{path}.{key}"
    elif isinstance(value, list):
        for item in value:
            yield from undeclared(item, schema.get("items", {}), f"{path}[]")


def mistyped(value: Any, schema: dict[str, Any], path: str) -> Iterator[str]:
    """Values in a payload whose JSON type, enumeration or format the schema does not accept."""
    if value is None:
        if "null" not in types_of(schema):
            yield f"{path}: null"
        return
    kind = JSON_TYPES[type(value)]
    accepted = types_of(schema)
    if kind not in accepted and not (kind == "integer" and "number" in accepted):
        yield f"{path}: {kind} {value!r:.40} where the schema says {accepted}"
    elif "enum" in schema and value not in schema["enum"]:
        yield f"{path}: {value!r} is not one of the enumeration's values"
    elif schema.get("format") == "date" and not DATE.fullmatch(value):
        yield f"{path}: {value!r} is not a date"
    elif schema.get("format") == "date-time" and not DATE_TIME.fullmatch(value):
        yield f"{path}: {value!r} is not a date-time"
    elif isinstance(value, dict) and not is_open(schema):
        props = schema.get("properties", {})
        for key, item in value.items():
            if key in props:
                yield from mistyped(item, props[key], f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            yield from mistyped(item, schema.get("items", {}), f"{path}[]")


def enveloped_entities(body: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """(object name, entity) for every entity under a catalog object's key, envelopes opened."""
    if isinstance(body, list):
        for item in body:
            yield from enveloped_entities(item)
    elif isinstance(body, dict):
        for key, value in body.items():
            spec = catalog.find(key)
            if spec is not None and spec.name == key:
                for entity in value if isinstance(value, list) else [value]:
                    if isinstance(entity, dict):
                        yield key, entity
            elif key in ENVELOPES:
                yield from enveloped_entities(value)


def bare_entity(body: Any, object_hint: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """A request body that is the entity itself (``POST invoice`` with ``{"Line": ...}``)."""
    spec = catalog.find(object_hint)
    if spec is not None and isinstance(body, dict) and not set(body) & (ENVELOPES | {spec.name}):
        yield spec.name, body


def fixture_entities() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(source, object name, entity) for every entity in the recorded exchanges and Intuit's samples."""
    for path in sorted((fixtures_dir() / "recorded").glob("*.json")):
        for number, exchange in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            source = f"recorded/{path.name}#{number}"
            request, response = exchange["request"], exchange["response"]
            # A request the API rejected (a 400 for "BadJson") shows no shape worth keeping.
            if response["status"]["code"] < 400:
                segment = urlparse(request["uri"]).path.rstrip("/").rsplit("/", 1)[-1]
                body = request.get("body")
                for name, entity in [*enveloped_entities(body), *bare_entity(body, segment)]:
                    yield f"{source} request", name, entity
            for name, entity in enveloped_entities(response.get("body_json")):
                yield f"{source} response", name, entity
    for path in sorted((fixtures_dir() / "docs-samples").glob("*.json")):
        body = json.loads(path.read_text(encoding="utf-8"))
        hint = path.name.split("__", 1)[0]
        for name, entity in [*enveloped_entities(body), *bare_entity(body, hint)]:
            yield f"docs-samples/{path.name}", name, entity


FIXTURE_ENTITIES = list(fixture_entities())


# -- the tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", catalog.OBJECTS, ids=lambda spec: spec.name)
def test_every_object_has_a_schema_with_its_identity_and_metadata(spec: catalog.ObjectSpec) -> None:
    schema = schemas.load(spec.name)
    props = schema["properties"]
    assert schema["type"] == "object"
    assert {"SyncToken", "MetaData", "domain", "sparse", "status"} <= props.keys()
    assert ("Id" in props) is spec.has_id  # ExchangeRate is keyed by currency and date, never by Id
    meta = props["MetaData"]["properties"]
    assert {"CreateTime", "LastUpdatedTime", "LastModifiedByRef"} <= meta.keys()
    assert meta["LastUpdatedTime"]["format"] == "date-time"
    assert meta["CreateTime"]["format"] == "date-time"


def test_every_property_is_nullable() -> None:
    not_nullable = [path for path, _, prop in all_properties() if "null" not in types_of(prop)]
    assert not_nullable == []


def test_references_stay_objects_with_value_name_and_type() -> None:
    refs = [(path, prop) for path, name, prop in all_properties() if name.endswith("Ref")]
    assert len(refs) > 500
    flattened = []
    for path, prop in refs:
        if path.rsplit(".", 1)[-1] in NOT_REFERENCES:
            continue
        props = prop.get("properties", {})
        strings = all(types_of(p) == ["string", "null"] for p in props.values())
        if "object" not in types_of(prop) or set(props) != {"value", "name", "type"} or not strings:
            flattened.append(path)
    assert flattened == []
    names = {name for _, name, _ in all_properties()}
    assert {
        "CustomerRef",
        "VendorRef",
        "ItemRef",
        "AccountRef",
        "TaxCodeRef",
        "ParentRef",
        "CurrencyRef",
    } <= names


def test_amounts_are_numbers_and_dates_have_formats() -> None:
    amounts = [
        (path, prop) for path, name, prop in all_properties() if name in ("TotalAmt", "Amount", "Balance")
    ]
    txn_dates = [(path, prop) for path, name, prop in all_properties() if name == "TxnDate"]
    updated = [
        (path, prop) for path, name, prop in all_properties() if path.endswith("MetaData.LastUpdatedTime")
    ]
    assert len(amounts) > 50
    assert len(txn_dates) >= 15
    assert len(updated) >= len(SCHEMAS)
    assert [path for path, prop in amounts if types_of(prop) != ["number", "null"]] == []
    assert [path for path, prop in txn_dates if prop.get("format") != "date"] == []
    assert [path for path, prop in updated if prop.get("format") != "date-time"] == []
    assert SCHEMAS["Invoice"]["properties"]["TotalAmt"]["type"] == ["number", "null"]
    assert SCHEMAS["Transfer"]["properties"]["Amount"]["type"] == ["number", "null"]


def test_enumerations_accept_their_values_and_null() -> None:
    print_status = SCHEMAS["Invoice"]["properties"]["PrintStatus"]
    assert {"NotSet", "NeedToPrint", "PrintComplete", None} <= set(print_status["enum"])
    # The answer to a void writes the Java constant's name, as Intuit's sample shows.
    assert "NEED_TO_PRINT" in print_status["enum"]
    enums = [prop for _, _, prop in all_properties() if "enum" in prop]
    assert len(enums) > 100
    assert all(None in prop["enum"] for prop in enums)


def test_repeated_elements_are_arrays_and_recursion_ends() -> None:
    line = SCHEMAS["Invoice"]["properties"]["Line"]
    assert types_of(line) == ["array", "null"]
    bundle = line["items"]["properties"]["GroupLineDetail"]["properties"]["Line"]["items"]["properties"]
    assert "SalesItemLineDetail" in bundle
    assert "GroupLineDetail" not in bundle  # a bundle holds no bundle: the recursion stops here
    depth = max(path.count(".") for path, _, _ in all_properties())
    assert depth < 12


def test_real_shapes_that_differ_from_the_xsd() -> None:
    prefs = SCHEMAS["Preferences"]["properties"]
    custom = prefs["SalesFormsPrefs"]["properties"]["CustomField"]["items"]["properties"]["CustomField"]
    assert {"Name", "Type", "StringValue", "BooleanValue"} <= custom["items"]["properties"].keys()
    tax_code = SCHEMAS["TaxCode"]["properties"]
    assert {"TaxCode", "TaxCodeId", "TaxRateDetails"} <= tax_code.keys()
    assert tax_code["TaxRateDetails"]["items"]["properties"]["RateValue"]["type"] == ["string", "null"]
    exchange_rate = SCHEMAS["ExchangeRate"]["properties"]
    assert {"SourceCurrencyCode", "TargetCurrencyCode", "Rate", "AsOfDate"} <= exchange_rate.keys()
    assert SCHEMAS["CompanyInfo"]["properties"]["DefaultTimeZone"]["type"] == ["string", "null"]
    address = SCHEMAS["Customer"]["properties"]["BillAddr"]["properties"]
    assert address["Lat"]["type"] == address["Long"]["type"] == ["string", "null"]
    for spec in catalog.OBJECTS:
        if spec.is_name_list:
            assert "V4IDPseudonym" in SCHEMAS[spec.name]["properties"], spec.name


def test_fixtures_hold_entities_of_many_objects() -> None:
    # Guards the two tests below against passing on an empty walk.
    found = {name for _, name, _ in FIXTURE_ENTITIES}
    assert {"Invoice", "Customer", "Vendor", "Account", "Preferences", "CompanyInfo", "Attachable"} <= found
    assert len(FIXTURE_ENTITIES) > 150


def test_no_property_of_a_real_payload_is_missing_from_its_schema() -> None:
    missing = sorted(
        {
            f"{path}  ({source})"
            for source, name, entity in FIXTURE_ENTITIES
            for path in undeclared(entity, SCHEMAS[name], name)
        }
    )
    assert missing == []


def test_real_payload_values_fit_their_declared_types() -> None:
    wrong = sorted(
        {
            f"{problem}  ({source})"
            for source, name, entity in FIXTURE_ENTITIES
            for problem in mistyped(entity, SCHEMAS[name], name)
        }
    )
    assert wrong == []


def test_committed_schema_files_are_what_the_generator_writes() -> None:
    assert generate_schemas.stale_files() == [], "run: .venv/bin/python tools/generate_schemas.py"


def test_check_flag_fails_on_a_stale_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generate_schemas, "OUTPUT_DIR", tmp_path / "schema_files")
    assert generate_schemas.write(generate_schemas.OUTPUT_DIR) == len(catalog.OBJECTS)
    monkeypatch.setattr(generate_schemas, "REPO_ROOT", tmp_path)
    assert generate_schemas.main(["--check"]) == 0
    stale = tmp_path / "schema_files" / "Invoice.json"
    stale.write_text(
        stale.read_text(encoding="utf-8").replace('"TotalAmt"', '"TotalAmount"'), encoding="utf-8"
    )
    assert generate_schemas.main(["--check"]) == 1
    assert generate_schemas.stale_files(tmp_path / "schema_files") == ["Invoice.json"]


def test_no_xsd_documentation_leaks_into_the_schemas() -> None:
    keywords: set[str] = set()

    def collect(schema: dict[str, Any]) -> None:
        keywords.update(key for key in schema if key != "properties")
        for prop in schema.get("properties", {}).values():
            collect(prop)
        if isinstance(schema.get("items"), dict):
            collect(schema["items"])

    for schema in SCHEMAS.values():
        collect(schema)
    assert keywords <= {"type", "properties", "items", "enum", "format", "additionalProperties"}

    text = "\n".join(json.dumps(schema) for schema in SCHEMAS.values())
    sentences = set()
    for path in xsd_dir().glob("*.xsd"):
        for doc in ET.parse(path).getroot().iter("{http://www.w3.org/2001/XMLSchema}documentation"):  # noqa: S314
            sentences.update(
                " ".join(line.split()) for line in (doc.text or "").splitlines() if len(line.split()) >= 4
            )
    assert len(sentences) > 1000
    assert [s for s in sentences if s in text] == []


def test_load_is_case_insensitive_and_hands_out_copies() -> None:
    first = schemas.load("invoice")
    assert first == schemas.load("Invoice")
    first["properties"].clear()
    assert schemas.load("INVOICE")["properties"]
    assert schemas.property_names("customer") == frozenset(schemas.load("Customer")["properties"])
    assert "DisplayName" in schemas.property_names("Customer")
    with pytest.raises(KeyError):
        schemas.load("Nonsense")
