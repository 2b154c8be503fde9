"""The JSON Schema of every QuickBooks Online object in the catalog.

The files under ``schema_files/`` are generated from Intuit's XSD data model by
``tools/generate_schemas.py`` (which also holds the rules for what the API sends beyond the XSD);
regenerate them rather than editing them.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

from qbo_client import catalog


def load(name: str) -> dict[str, Any]:
    """The schema of an object, named in any case (``invoice``); a fresh copy the caller may change.

    Raises KeyError when the catalog has no such object.
    """
    return copy.deepcopy(_read(catalog.get(name).name))


def property_names(name: str) -> frozenset[str]:
    """The top-level property names of an object's schema (any case). Raises KeyError."""
    return _property_names(catalog.get(name).name)


@cache
def _property_names(name: str) -> frozenset[str]:
    return frozenset(_read(name)["properties"])


@cache
def _read(name: str) -> dict[str, Any]:
    """The parsed file, read once; callers get copies, so the cached value is never changed."""
    path = resources.files("qbo_client") / "schema_files" / f"{name}.json"
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema
