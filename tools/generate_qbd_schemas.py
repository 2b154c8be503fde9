"""Generate the qbXML element spec and the JSON Schema of every QuickBooks Desktop object.

Reads the facts extracted from Intuit's qbXML 13.0 schema (``shared/reference/qbxml-fields.json``:
element names, types, cardinalities and order) for the objects of the Desktop catalog and writes:

- ``qbd-client/src/qbd_client/spec_files/qbxml.json``: per object, the element trees of its Ret,
  Add, Mod and query request, in the schema's order (what the client builds requests from and what
  the emulator checks requests against);
- ``qbd-client/src/qbd_client/schema_files/{Object}.json``: the JSON Schema of its records as the
  tap emits them (repeated elements are arrays, amounts numbers, booleans booleans, dates and
  date-times with formats, references objects ``{ListID, FullName}``).

    .venv/bin/python tools/generate_qbd_schemas.py          # writes both
    .venv/bin/python tools/generate_qbd_schemas.py --check  # exits 1 when the committed files are stale
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from qbd_client import catalog
from shared import REPO_ROOT, qbxml_fields_path

Node = dict[str, Any]
Schema = dict[str, Any]

PACKAGE = REPO_ROOT / "qbd-client" / "src" / "qbd_client"
SPEC_FILE = PACKAGE / "spec_files" / "qbxml.json"
SCHEMA_DIR = PACKAGE / "schema_files"

#: qbXML simple types as JSON Schema. An unknown one stops the generator rather than being guessed.
SCALARS: dict[str, Schema] = {
    "IDTYPE": {"type": "string"},
    "STRTYPE": {"type": "string"},
    "GUIDTYPE": {"type": "string"},
    "ENUMTYPE": {"type": "string"},
    "TIMEINTERVALTYPE": {"type": "string"},  # PT8H30M0S
    "DATETIMETYPE": {"type": "string", "format": "date-time"},
    "DATETYPE": {"type": "string", "format": "date"},
    "BOOLTYPE": {"type": "boolean"},
    "INTTYPE": {"type": "integer"},
    "AMTTYPE": {"type": "number"},
    "PRICETYPE": {"type": "number"},
    "QUANTYPE": {"type": "number"},
    "PERCENTTYPE": {"type": "number"},
    "FLOATTYPE": {"type": "number"},
}


def nullable(schema: Schema) -> Schema:
    out = dict(schema)
    out["type"] = [out["type"], "null"]
    return out


def is_repeated(node: Node) -> bool:
    return node.get("max") == "unbounded" or int(node.get("max", 1)) > 1


def elements(nodes: list[Node]) -> list[Node]:
    """The element nodes of a sequence in order, with choices and nested sequences flattened."""
    out: list[Node] = []
    for node in nodes:
        if "choice" in node:
            for alternative in node["choice"]:
                out.extend(elements(alternative))
        elif "sequence" in node:
            out.extend(elements(node["sequence"]))
        else:
            out.append(node)
    return out


def element_schema(node: Node, *, repeated_from_parent: bool = False) -> Schema:
    if node["type"] == "aggregate":
        schema: Schema = nullable({"type": "object", "properties": properties(node.get("children", []))})
    else:
        try:
            schema = nullable(SCALARS[node["type"]])
        except KeyError:
            raise SystemExit(f"unknown qbXML type {node['type']} of {node['name']}") from None
    if is_repeated(node) or repeated_from_parent:
        return nullable({"type": "array", "items": schema})
    return schema


def properties(nodes: list[Node], repeated: bool = False) -> dict[str, Schema]:
    out: dict[str, Schema] = {}
    for node in nodes:
        if "choice" in node or "sequence" in node:
            # A repeated choice (an invoice's lines or line groups) makes each alternative repeated.
            many = repeated or is_repeated(node)
            inner = [n for alt in node["choice"] for n in alt] if "choice" in node else node["sequence"]
            out.update(properties(inner, many))
        else:
            out[node["name"]] = element_schema(node, repeated_from_parent=repeated)
    return out


def simple_content(nodes: list[Node]) -> list[Node]:
    """``nodes`` with every childless aggregate that carries attributes made the ID it is.

    The extract lists an element of simple content with an attribute (``<TxnID useMacro="..">``
    inside ``AppliedToTxnAdd``, ``PaymentTxnID`` of a deposit line) as an aggregate without children;
    qbXML writes the id as its text, so building or validating it as an aggregate would refuse it.
    """
    out: list[Node] = []
    for node in nodes:
        if "choice" in node:
            out.append({**node, "choice": [simple_content(alt) for alt in node["choice"]]})
        elif "sequence" in node:
            out.append({**node, "sequence": simple_content(node["sequence"])})
        elif node["type"] == "aggregate" and not node.get("children") and node.get("attributes"):
            out.append({**node, "type": "IDTYPE"})
        elif node["type"] == "aggregate":
            out.append({**node, "children": simple_content(node.get("children", []))})
        else:
            out.append(node)
    return out


def object_spec(fields: dict[str, Any], spec: catalog.ObjectSpec) -> dict[str, Any]:
    facts = fields["objects"][spec.name]
    query = facts["QueryRq"]
    out: dict[str, Any] = {
        "Ret": simple_content(facts["Ret"][spec.ret]),
        "Query": {"attributes": query["attributes"], "children": simple_content(query["children"])},
    }
    if spec.add:
        out["Add"] = simple_content(facts["Add"][f"{spec.name}Add"])
    if spec.mod:
        out["Mod"] = simple_content(facts["Mod"][f"{spec.name}Mod"])
    return out


def record_schema(spec_nodes: list[Node]) -> Schema:
    return {"type": "object", "properties": properties(spec_nodes)}


def render(value: Any) -> str:
    return json.dumps(value, indent=1, sort_keys=False, ensure_ascii=False) + "\n"


def outputs() -> dict[Path, str]:
    fields = json.loads(qbxml_fields_path().read_text(encoding="utf-8"))
    spec: dict[str, Any] = {"source": fields["source"]["schema"], "enums": fields["enums"], "objects": {}}
    files: dict[Path, str] = {}
    for obj in catalog.objects():
        if obj.is_report:
            # A report's records are the tap's: the TrialBalance stream has one shape for both
            # editions (tap_quickbooks.online.reports), not a schema of qbXML elements.
            continue
        spec["objects"][obj.name] = object_spec(fields, obj)
        files[SCHEMA_DIR / f"{obj.name}.json"] = render(record_schema(spec["objects"][obj.name]["Ret"]))
    files[SPEC_FILE] = render(spec)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a committed file is stale")
    args = parser.parse_args(argv)
    files = outputs()
    stale = [path for path, text in files.items() if not path.is_file() or path.read_text("utf-8") != text]
    expected = set(files)
    extra = [p for p in SCHEMA_DIR.glob("*.json") if p not in expected] if SCHEMA_DIR.is_dir() else []
    if args.check:
        for path in [*stale, *extra]:
            print(f"stale: {path.relative_to(REPO_ROOT)}", file=sys.stderr)
        return 1 if stale or extra else 0
    for path in extra:
        path.unlink()
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(files)} files under {PACKAGE.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
