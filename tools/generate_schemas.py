"""Generate the JSON Schema of every QuickBooks Online object from Intuit's XSD data model.

The XSDs (``shared/reference/qbo-xsd``) give the names, nesting, types and enumerations; the rules
below add what the API sends that those files (minor version 73) do not declare, and fix the places
where the JSON the API answers differs from the XSD. Run it after changing the rules or the catalog:

    .venv/bin/python tools/generate_schemas.py          # writes qbo-client/src/qbo_client/schema_files/
    .venv/bin/python tools/generate_schemas.py --check  # exits 1 when the committed files are stale
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qbo_client import catalog
from shared import REPO_ROOT, xsd_dir

Schema = dict[str, Any]

OUTPUT_DIR = REPO_ROOT / "qbo-client" / "src" / "qbo_client" / "schema_files"

XS = "{http://www.w3.org/2001/XMLSchema}"

#: How many times a complex type that contains itself (a Line's GroupLineDetail holds Lines) is
#: inlined on one path before the rest is left open. The rules below already cut Line's own
#: recursion; this bound keeps any other cycle a future XSD brings finite.
MAX_TYPE_REPEATS = 2

#: XML Schema built-in types used by the data model. An unknown one stops the generator rather
#: than being guessed, so a new XSD cannot silently change a column's type.
BUILTIN_TYPES: Mapping[str, Schema] = {
    "string": {"type": "string"},
    "anyURI": {"type": "string"},
    "anyType": {"type": "string"},  # an element without a type (PriceLevel.Name) carries text
    "decimal": {"type": "number"},
    "int": {"type": "integer"},
    "integer": {"type": "integer"},
    "long": {"type": "integer"},
    "positiveInteger": {"type": "integer"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "dateTime": {"type": "string", "format": "date-time"},
}


def nullable(schema: Schema) -> Schema:
    """The schema with null allowed: QuickBooks omits or nulls any property it has no value for."""
    out = dict(schema)
    kind = out["type"]
    out["type"] = [*(kind if isinstance(kind, list) else [kind]), "null"]
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    return out


def scalar(kind: str, fmt: str | None = None) -> Schema:
    """A nullable scalar property (``kind`` is a JSON Schema type)."""
    return nullable({"type": kind, "format": fmt} if fmt else {"type": kind})


def obj(properties: Mapping[str, Schema | FromXsd]) -> Schema:
    """A nullable object property with exactly these properties."""
    return nullable({"type": "object", "properties": dict(properties)})


def array(items: Schema | FromXsd) -> Schema:
    """A nullable array property."""
    return nullable({"type": "array", "items": items})


def open_object() -> Schema:
    """An object whose content is kept as it comes, where the data model stops (recursion, xs:any).

    ``properties: {}`` is there because singer-sdk's record conformance reads ``properties`` of
    every object inside an array, and ``additionalProperties`` makes it keep what it finds.
    """
    return nullable({"type": "object", "properties": {}, "additionalProperties": True})


STRING = scalar("string")
BOOLEAN = scalar("boolean")
DATE_TIME = scalar("string", "date-time")
REFERENCE = obj({"value": STRING, "name": STRING, "type": STRING})

#: How Intuit's JSON serialiser (JAXB through Jackson) writes an ``xs:any`` extension element such
#: as ``PurchaseEx``: ``{"any": [{"name": "{ns}NameValue", "value": {"Name", "Value"}, ...}]}``.
JAXB_ELEMENT = obj(
    {
        "name": STRING,
        "declaredType": STRING,
        "scope": STRING,
        "value": open_object(),
        "nil": BOOLEAN,
        "globalScope": BOOLEAN,
        "typeSubstituted": BOOLEAN,
    }
)


#: What every entity carries, whether its XSD type says so or not.
ENTITY_PROPERTIES: Mapping[str, Schema] = {
    "domain": STRING,
    "sparse": BOOLEAN,
    "status": STRING,
    "Id": STRING,
    "SyncToken": STRING,
    "MetaData": obj(
        {
            "CreateTime": DATE_TIME,
            "LastUpdatedTime": DATE_TIME,
            "CreatedByRef": REFERENCE,
            "LastModifiedByRef": REFERENCE,
        }
    ),
}


# --------------------------------------------------------------------------------------------
# Rules: what the API answers that the XSD does not say. Each is keyed by the XSD complex type it
# applies to, so it holds wherever that type appears (an address in a Customer or in an Invoice).
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FromXsd:
    """In a rule's schema: the schema of an XSD complex type, keeping only the properties ``keep`` accepts."""

    type_name: str
    keep: Callable[[str], bool] | None = None


RuleSchema = Schema | FromXsd


@dataclass(frozen=True)
class Rule:
    """Set one property of an XSD complex type to ``schema``, for the reason ``why``."""

    type_name: str
    prop: str
    schema: RuleSchema
    why: str


def _only_detail(detail: str) -> Callable[[str], bool]:
    """A ``keep`` for Line that drops every line detail but ``detail``."""
    return lambda name: name == detail or not name.endswith("LineDetail")


#: Fields that the API sends and the XSD (minor version 73) lacks or types otherwise. They are
#: pinned here even where today's XSD agrees, because the payloads prove them.
NEWER_FIELDS: tuple[Rule, ...] = (
    Rule("CompanyInfo", "DefaultTimeZone", STRING, "sent since minor version 75"),
    *(
        Rule(spec.name, "V4IDPseudonym", STRING, "name lists carry it in payloads since 2024")
        for spec in catalog.OBJECTS
        if spec.is_name_list
    ),
    Rule("PhysicalAddress", "Lat", STRING, 'not a number: recorded payloads carry "INVALID"'),
    Rule("PhysicalAddress", "Long", STRING, 'not a number: recorded payloads carry "INVALID"'),
)

#: Places where the JSON the API answers has another shape than the XSD says.
SHAPE_FIXES: tuple[Rule, ...] = (
    # The XSD types these as CustomFieldDefinition; the API wraps groups of CustomField values:
    # "CustomField": [{"CustomField": [{"Name": "SalesFormsPrefs.UseSalesCustom1", ...}]}].
    Rule(
        "SalesFormsPrefs",
        "CustomField",
        array(obj({"CustomField": array(FromXsd("CustomField"))})),
        "groups of CustomField values, not CustomFieldDefinition",
    ),
    Rule(
        "VendorAndPurchasesPrefs",
        "POCustomField",
        array(obj({"CustomField": array(FromXsd("CustomField"))})),
        "groups of CustomField values, not CustomFieldDefinition",
    ),
    # A TaxCode is created through the TaxService, which takes and answers another shape:
    # {"TaxCode": "<name>", "TaxCodeId": "4", "TaxRateDetails": [{"TaxRateName", "RateValue": "8%", ...}]}.
    Rule("TaxCode", "TaxCode", STRING, "TaxService create: the new tax code's name"),
    Rule("TaxCode", "TaxCodeId", STRING, "TaxService create answer: the new tax code's Id"),
    Rule("TaxCode", "TaxRateDetails", array(FromXsd("TaxRateDetails")), "TaxService create: the rates"),
    Rule("TaxRateDetails", "RateValue", STRING, 'the TaxService answers "8%", a string'),
    # The XSD types these as any Line, which would inline all seventeen line details again (and
    # a bundle's lines in each): tax lines only ever carry a TaxLineDetail, and the lines of a
    # bundle (GroupLineDetail) only a SalesItemLineDetail.
    Rule("TxnTaxDetail", "TaxLine", array(FromXsd("Line", keep=_only_detail("TaxLineDetail"))), "tax lines"),
    Rule(
        "GroupLineDetail",
        "Line",
        array(FromXsd("Line", keep=_only_detail("SalesItemLineDetail"))),
        "bundle lines",
    ),
)

#: A RecurringTransaction's XSD type declares nothing of its own: the API writes and answers it as
#: ``{"Invoice": {..., "RecurringInfo": {...}}}``, one of the transactions it can be a template of,
#: each with that transaction's schema; ``Type`` (filterable) names which one it holds.
WRAPPERS: tuple[Rule, ...] = tuple(
    rule
    for spec in catalog.OBJECTS
    if spec.wraps
    for rule in (
        Rule(spec.name, "Type", STRING, "the template's transaction type, filterable"),
        *(Rule(spec.name, name, FromXsd(name), "a template of this transaction") for name in spec.wraps),
    )
)

RULES: tuple[Rule, ...] = NEWER_FIELDS + SHAPE_FIXES + WRAPPERS

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def java_constant(value: str) -> str:
    """The name of an enumeration value's constant in Intuit's Java SDK: ``NeedToPrint``, ``NEED_TO_PRINT``.

    Some answers (the one to ``invoice?operation=void``, for one) write enumerations by that name,
    so every enumeration accepts both spellings.
    """
    return "_".join(word.upper() for word in _WORD.findall(value))


def _is_repeated(node: ET.Element) -> bool:
    return node.get("maxOccurs", "1") != "1"


def _local(qname: str) -> tuple[bool, str]:
    """Split a type reference into (is an XML Schema built-in, local name)."""
    prefix, _, local = qname.rpartition(":")
    return prefix == "xs", local


class XsdModel:
    """The named definitions of a folder of XSD files (they share one target namespace)."""

    def __init__(self, directory: Path) -> None:
        self.complex_types: dict[str, ET.Element] = {}
        self.simple_types: dict[str, ET.Element] = {}
        self.groups: dict[str, ET.Element] = {}
        self.elements: dict[str, ET.Element] = {}
        tables = {
            XS + "complexType": self.complex_types,
            XS + "simpleType": self.simple_types,
            XS + "group": self.groups,
            XS + "element": self.elements,
        }
        paths = sorted(directory.glob("*.xsd"))
        if not paths:
            raise FileNotFoundError(f"no .xsd files in {directory}")
        for path in paths:
            # Intuit's published data model, read from the shared folder: trusted input.
            root = ET.parse(path).getroot()  # noqa: S314
            for node in root:
                table = tables.get(node.tag)
                name = node.get("name")
                if table is not None and name:
                    table.setdefault(name, node)

    def element_type(self, name: str) -> str:
        """The complex type of a global element (``Invoice`` -> ``Invoice``)."""
        element = self.elements.get(name)
        type_ref = element.get("type") if element is not None else None
        if type_ref is None:
            raise KeyError(f"the XSD has no global element {name!r} with a type")
        return _local(type_ref)[1]


class SchemaBuilder:
    """Turns XSD types into nullable JSON Schemas, applying :data:`RULES`."""

    def __init__(self, model: XsdModel, rules: tuple[Rule, ...] = RULES) -> None:
        self.model = model
        self.rules: dict[str, list[Rule]] = {}
        for rule in rules:
            self.rules.setdefault(rule.type_name, []).append(rule)
        unknown = set(self.rules) - set(model.complex_types)
        if unknown:
            raise KeyError(f"rules name types the XSD does not define: {sorted(unknown)}")

    def entity(self, spec: catalog.ObjectSpec) -> Schema:
        """The top-level schema of one catalog object."""
        type_name = self.model.element_type(spec.name)
        props = self._type_properties(type_name, (type_name,))
        for name, schema in ENTITY_PROPERTIES.items():
            props.setdefault(name, schema)
        if not spec.has_id:
            # ExchangeRate is keyed by currency and date: the API never sends an Id for it.
            props.pop("Id", None)
        return {"type": "object", "properties": props}

    # -- complex types --------------------------------------------------------------------

    def _type_properties(self, type_name: str, path: tuple[str, ...]) -> dict[str, Schema]:
        """The properties of a complex type, base types first, with the rules applied."""
        props: dict[str, Schema] = {}
        self._collect(self.model.complex_types[type_name], props, path, repeated=False)
        for rule in self.rules.get(type_name, ()):
            props[rule.prop] = self._expand(rule.schema, path)
        return props

    def _expand(self, schema: Any, path: tuple[str, ...]) -> Any:
        """A rule's schema with every :class:`FromXsd` in it replaced by the XSD type's schema."""
        if isinstance(schema, FromXsd):
            expanded = self._type_schema(schema.type_name, path)
            if schema.keep is not None and "properties" in expanded:
                kept = {k: v for k, v in expanded["properties"].items() if schema.keep(k)}
                expanded = {**expanded, "properties": kept}
            return expanded
        if isinstance(schema, dict):
            return {key: self._expand(value, path) for key, value in schema.items()}
        return schema

    def _collect(
        self, node: ET.Element, props: dict[str, Schema], path: tuple[str, ...], repeated: bool
    ) -> None:
        """Add the properties that the particles under ``node`` declare."""
        for child in node:
            tag = child.tag.removeprefix(XS)
            if tag in ("sequence", "choice", "complexContent", "simpleContent", "complexType"):
                # A choice offers alternatives: in JSON each one is simply an optional property.
                self._collect(child, props, path, repeated or _is_repeated(child))
            elif tag == "group":
                group = self.model.groups[_local(child.get("ref", ""))[1]]
                self._collect(group, props, path, repeated or _is_repeated(child))
            elif tag == "extension":
                builtin, base = _local(child.get("base", ""))
                if not builtin and base in self.model.complex_types:
                    props.update(self._type_properties(base, path))
                else:
                    # simpleContent: the text becomes "value", the attributes sit beside it
                    # (a ReferenceType is {"value": "<Id>", "name": ..., "type": ...}).
                    props["value"] = self._simple(child.get("base", ""))
                self._collect(child, props, path, repeated)
            elif tag == "element":
                name, schema = self._element(child, path)
                props[name] = array(schema) if repeated or _is_repeated(child) else schema
            elif tag == "attribute":
                props[child.get("name", "")] = self._simple(child.get("type", "xs:string"))
            elif tag == "any":
                props["any"] = array(JAXB_ELEMENT)
            elif tag != "annotation":
                raise ValueError(f"unsupported XSD construct {tag!r} under {path[-1]}")

    def _element(self, element: ET.Element, path: tuple[str, ...]) -> tuple[str, Schema]:
        ref = element.get("ref")
        if ref is not None:
            # A reference to a global element: abstract heads of a substitution group
            # (IntuitObject) only occur in the service envelopes, and stay open.
            target = self.model.elements[_local(ref)[1]]
            if target.get("abstract") == "true" or target.get("type") is None:
                return target.get("name", ""), open_object()
            return target.get("name", ""), self._type_schema(target.get("type", ""), path)
        name = element.get("name", "")
        type_ref = element.get("type")
        if type_ref is not None:
            return name, self._type_schema(type_ref, path)
        inline = element.find(XS + "complexType")
        if inline is not None:
            props: dict[str, Schema] = {}
            self._collect(inline, props, path, repeated=False)
            return name, obj(props)
        inline = element.find(XS + "simpleType")
        if inline is not None:
            return name, self._simple_node(inline)
        return name, self._simple("xs:anyType")

    def _type_schema(self, type_ref: str, path: tuple[str, ...]) -> Schema:
        builtin, local = _local(type_ref)
        if builtin or local in self.model.simple_types:
            return self._simple(type_ref)
        if local == "ReferenceType":
            return REFERENCE
        if path.count(local) >= MAX_TYPE_REPEATS:
            return open_object()
        return obj(self._type_properties(local, (*path, local)))

    # -- simple types ---------------------------------------------------------------------

    def _simple(self, type_ref: str) -> Schema:
        builtin, local = _local(type_ref)
        if builtin:
            if local not in BUILTIN_TYPES:
                raise ValueError(f"no JSON type for xs:{local}")
            return nullable(BUILTIN_TYPES[local])
        if local in self.model.simple_types:
            return self._simple_node(self.model.simple_types[local])
        raise KeyError(f"unknown simple type {type_ref!r}")

    def _simple_node(self, node: ET.Element) -> Schema:
        restriction = node.find(XS + "restriction")
        if restriction is None:
            raise ValueError(f"simple type {node.get('name')!r} is not a restriction")
        base = self._simple(restriction.get("base", ""))
        values = [e.get("value", "") for e in restriction.findall(XS + "enumeration")]
        if values:
            aliases = [java_constant(v) for v in values]
            extra = [a for i, a in enumerate(aliases) if a not in values and a not in aliases[:i]]
            base["enum"] = [*values, *extra, None]
        return base


def generate(directory: Path | None = None) -> dict[str, Schema]:
    """Every catalog object's schema by object name."""
    builder = SchemaBuilder(XsdModel(directory or xsd_dir()))
    return {spec.name: builder.entity(spec) for spec in catalog.OBJECTS}


def render(schema: Schema) -> str:
    """The committed text of a schema: sorted keys, two-space indent, a final newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def rendered_files(directory: Path | None = None) -> dict[str, str]:
    """The file name and text of every schema file the generator writes."""
    return {f"{name}.json": render(schema) for name, schema in generate(directory).items()}


def stale_files(output: Path | None = None) -> list[str]:
    """Names of the files in ``output`` that differ from the generator's output, are missing or extra."""
    output = output or OUTPUT_DIR
    expected = {name: text.encode("utf-8") for name, text in rendered_files().items()}
    present = {path.name: path.read_bytes() for path in output.glob("*.json")}
    return sorted(
        name for name in expected.keys() | present.keys() if expected.get(name) != present.get(name)
    )


def write(output: Path | None = None) -> int:
    """Write every schema file (removing those of objects the catalog no longer has); returns how many."""
    output = output or OUTPUT_DIR
    output.mkdir(parents=True, exist_ok=True)
    files = rendered_files()
    for path in output.glob("*.json"):
        if path.name not in files:
            path.unlink()
    for name, text in files.items():
        # Bytes, so the files are the same on every platform (no newline translation).
        (output / name).write_bytes(text.encode("utf-8"))
    return len(files)


def main(argv: list[str] | None = None) -> int:
    """Write the schema files, or with ``--check`` report the stale ones and return 1."""
    parser = argparse.ArgumentParser(description="Generate the JSON Schemas of the QuickBooks objects.")
    parser.add_argument("--check", action="store_true", help="only check that the files are up to date")
    args = parser.parse_args(argv)
    where = OUTPUT_DIR.relative_to(REPO_ROOT)
    if args.check:
        stale = stale_files()
        for name in stale:
            print(f"out of date: {where / name}")
        if stale:
            print("regenerate them: .venv/bin/python tools/generate_schemas.py")
        return 1 if stale else 0
    print(f"wrote {write()} schemas to {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
