"""Reads the Online edition needs, batched: many values per query (``WHERE DisplayName IN (...)``).

One query asks for up to :data:`IN_CHUNK` values and pages through the answer 1000 rows at a
time; the queries of one lookup run concurrently (the client's limiter keeps them within
QuickBooks' limits). Queries go to the query endpoint, not the batch endpoint, so lookups never
use the 40-per-minute batch budget that bounds how fast records can be written.
Names are quoted the way the query language wants: ``'Amy\\'s'``, backslashes doubled.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent.futures import Executor
from typing import Any

from qbo_client import catalog
from qbo_client.client import QBOClient

from target_quickbooks.shaping import DELETED_SUFFIX, base_name

IN_CHUNK = 1000
PAGE = 1000


def quote(value: str) -> str:
    """A string literal of the query language."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def name_field(obj: str) -> str | None:
    """The property a reference's ``name`` is matched against (a reference names an object by
    its fully qualified name where it has one: ``Job Expenses:Job Materials``)."""
    spec = catalog.find(obj)
    if spec is not None and spec.hierarchical:
        return "FullyQualifiedName"
    if spec is None or not spec.natural_key:
        return None
    return spec.natural_key[0]


def is_id(text: str) -> bool:
    """Whether a text can be a QuickBooks Id (ASCII digits within 64 bits); others name nothing,
    and asking for them would fault the whole query (2030)."""
    return text.isascii() and text.isdigit() and int(text) < 2**63


class Lookups:
    """Batched reads against one company, with a per-run cache of name -> Id."""

    def __init__(self, client: QBOClient, executor: Executor) -> None:
        self.client = client
        self.executor = executor
        self._names: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()
        self.queries = 0

    def query_all(self, text: str) -> list[dict[str, Any]]:
        """Every row of a query, paging 1000 at a time."""
        rows: list[dict[str, Any]] = []
        start = 1
        while True:
            with self._lock:
                self.queries += 1
            page = self.client.query_rows(f"{text} STARTPOSITION {start} MAXRESULTS {PAGE}")
            rows.extend(page)
            if len(page) < PAGE:
                return rows
            start += PAGE

    def where_in(
        self, obj: str, field: str, values: Iterable[str], *, all_active_states: bool = False
    ) -> list[dict[str, Any]]:
        """Rows whose ``field`` is one of ``values``; inactive rows too when asked."""
        unique = sorted({str(v) for v in values if v not in (None, "")})
        if not unique:
            return []
        tail = " AND Active IN (true, false)" if all_active_states else ""
        chunks = [unique[i : i + IN_CHUNK] for i in range(0, len(unique), IN_CHUNK)]
        texts = [
            f"SELECT * FROM {obj} WHERE {field} IN ({', '.join(quote(v) for v in chunk)}){tail}"
            for chunk in chunks
        ]
        if len(texts) == 1:
            return self.query_all(texts[0])
        rows: list[dict[str, Any]] = []
        for part in self.executor.map(self.query_all, texts):
            rows.extend(part)
        return rows

    def everything(self, obj: str, *, name_list: bool) -> list[dict[str, Any]]:
        """Every object of a type (for a natural key QBO cannot filter on)."""
        return self.query_all(
            f"SELECT * FROM {obj}" + (" WHERE Active IN (true, false)" if name_list else "")
        )

    def by_ids(self, obj: str, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The current objects with these Ids (inactive name-list rows included)."""
        spec = catalog.get(obj)
        wanted = [i for i in {str(i) for i in ids} if is_id(i)]
        rows = self.where_in(obj, "Id", wanted, all_active_states=spec.is_name_list)
        return {str(r.get("Id")): r for r in rows}

    # -- references by name -------------------------------------------------------------------

    def cached_name(self, obj: str, name: str) -> str | None:
        with self._lock:
            return self._names.get((obj, name.casefold()))

    def remember(self, obj: str, row: dict[str, Any]) -> None:
        """Keep a written object's names in the cache (children created later refer to it)."""
        if row.get("Active") is False or not row.get("Id"):
            return
        with self._lock:
            for field in ("FullyQualifiedName", "DisplayName", "Name", "Code"):
                value = row.get(field)
                if isinstance(value, str) and value:
                    self._names.setdefault((obj, value.casefold()), str(row["Id"]))

    def remember_placeholder(self, obj: str, name: str, placeholder: str) -> None:
        with self._lock:
            self._names.setdefault((obj, name.casefold()), placeholder)

    def resolve_names(self, obj: str, names: Iterable[str]) -> None:
        """Look up the active objects with these names (those not cached yet) into the cache."""
        field = name_field(obj)
        if field is None:
            return
        missing = sorted({n for n in names if n and self.cached_name(obj, n) is None})
        if not missing:
            return
        for row in self.where_in(obj, field, missing):
            self.remember(obj, row)

    def natural_candidates(
        self, obj: str, field: str, values: Iterable[str], *, name_list: bool
    ) -> list[dict[str, Any]]:
        """Existing objects whose ``field`` matches: for a name list, active or not (an inactive
        row's name carries QBO's " (deleted)" suffix, so both spellings are asked for)."""
        asked: set[str] = set()
        for value in values:
            asked.add(value)
            if name_list and field in ("Name", "DisplayName", "FullyQualifiedName"):
                asked.add(base_name(value) + DELETED_SUFFIX)
        return self.where_in(obj, field, asked, all_active_states=name_list)
