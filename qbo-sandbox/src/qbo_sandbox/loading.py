"""Read entity payloads from JSON or JSONL files in the shapes people have them in.

Accepted, per JSON document or JSONL line: a wrapped entity (``{"Customer": {...}}``), a list of
those, a query answer (``{"QueryResponse": {"Customer": [...]}}``), a Singer RECORD message
(``{"type": "RECORD", "stream": "Customer", "record": {...}}``), or a bare payload when the
object is named with ``entity``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from qbo_client import catalog


class LoadError(ValueError):
    """A file holds something that is not an entity payload; says which file and line."""


def _entities(doc: Any, entity: str | None, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(doc, list):
        for item in doc:
            yield from _entities(item, entity, where)
        return
    if not isinstance(doc, dict):
        raise LoadError(f"{where}: expected a JSON object or list, got {type(doc).__name__}")
    if doc.get("type") == "RECORD" and "stream" in doc:
        spec = catalog.find(str(doc["stream"]))
        if spec is None:
            raise LoadError(f"{where}: stream {doc['stream']!r} is not a QuickBooks object")
        yield spec.name, dict(doc.get("record") or {})
        return
    if doc.get("type") in ("SCHEMA", "STATE", "ACTIVATE_VERSION", "BATCH"):
        return
    if isinstance(doc.get("QueryResponse"), dict):
        for key, rows in doc["QueryResponse"].items():
            spec = catalog.find(key)
            if spec is not None and isinstance(rows, list):
                for row in rows:
                    yield spec.name, row
        return
    keys = [k for k in doc if catalog.find(k) is not None and k[:1].isupper() and isinstance(doc[k], dict)]
    if len(keys) == 1 and set(doc) <= {keys[0], "time"}:
        yield catalog.get(keys[0]).name, doc[keys[0]]
        return
    if entity is not None:
        yield catalog.get(entity).name, doc
        return
    raise LoadError(f"{where}: cannot tell which QuickBooks object this is; name it with --entity")


def read_file(path: Path, entity: str | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """Entity payloads from one JSON or JSONL file, in file order."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
            except ValueError as exc:
                raise LoadError(f"{path}:{number}: not valid JSON ({exc})") from exc
            yield from _entities(doc, entity, f"{path}:{number}")
        return
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise LoadError(f"{path}: not valid JSON ({exc})") from exc
    yield from _entities(doc, entity, str(path))
