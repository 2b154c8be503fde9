"""The JSON Schema of every QuickBooks Desktop object of the catalog, as the tap emits its records.

The files under ``schema_files/`` are generated from the qbXML 13.0 facts by
``tools/generate_qbd_schemas.py``; regenerate them rather than editing them.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

from qbd_client import catalog


def load(name: str) -> dict[str, Any]:
    """The schema of an object of the catalog; a fresh copy the caller may change. Raises KeyError."""
    return copy.deepcopy(_read(catalog.get(name).name))


@cache
def _read(name: str) -> dict[str, Any]:
    path = resources.files("qbd_client") / "schema_files" / f"{name}.json"
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema
