"""Reads the Online edition needs, batched: many values per query (``WHERE DisplayName IN (...)``),
many queries per request (``Query`` items of ``POST batch``, up to 30).

One query asks for up to :data:`IN_CHUNK` values and pages through the answer 1000 rows at a
time. Two or more queries that are ready at once go as the ``Query`` items of one batch request;
a query alone goes to the query endpoint (the same one request, without spending the
40-a-minute batch budget that bounds how fast records can be written).

At the start of a drain the writer tells what the records in the spool will look up
(:meth:`Lookups.prefetch`): their natural keys, the Ids the id map gives them, the names their
references give, the company's singletons. All of it is read in a few batch requests, and the
matching of each object then reads from what was fetched. What the run writes afterwards is
kept in step (:meth:`Lookups.learn`, :meth:`Lookups.forget`), so a later wave of the same
object sees its earlier waves. The fetched rows last one drain. Re-reads after a fault (a stale
SyncToken, a taken name) never use them: they ask QuickBooks again.
Names are quoted the way the query language wants: ``'Amy\\'s'``, backslashes doubled.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from qbo_client import catalog
from qbo_client.client import QBOClient
from qbo_client.errors import ValidationError

from target_quickbooks.shaping import DELETED_SUFFIX, base_name, flat_wrapped

IN_CHUNK = 1000
PAGE = 1000
#: Items of one batch request (QuickBooks' limit).
BATCH_ITEMS = 30

#: What a lookup is known for: (object, field, inactive rows included).
Key = tuple[str, str, bool]


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


@dataclass
class Wants:
    """Lookups a drain will make, gathered to be read ahead in a few requests."""

    values: dict[Key, set[str]] = field(default_factory=dict)
    whole: set[tuple[str, bool]] = field(default_factory=set)  # every object of a type
    singletons: set[str] = field(default_factory=set)

    def add(
        self, obj: str, field_name: str, values: Iterable[str], *, all_active_states: bool = False
    ) -> None:
        wanted = {str(v) for v in values if v not in (None, "")}
        if field_name == "Id":
            wanted = {v for v in wanted if is_id(v)}
        if wanted:
            self.values.setdefault((obj, field_name, all_active_states), set()).update(wanted)

    def __bool__(self) -> bool:
        return bool(self.values or self.whole or self.singletons)


def _fold(value: Any) -> str:
    return str(value).casefold()


class Lookups:
    """Batched reads against one company, with a per-run cache of name -> Id and, for one drain,
    the rows read ahead."""

    def __init__(self, client: QBOClient, executor: Executor) -> None:
        self.client = client
        self.executor = executor
        self._names: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()
        self.queries = 0  # queries asked, alone or as batch items
        # read ahead for the current drain
        self._known: dict[Key, set[str]] = {}
        self._whole: set[tuple[str, bool]] = set()
        self._rows: dict[str, dict[str, dict[str, Any]]] = {}
        self._singletons: dict[str, dict[str, Any] | None] = {}

    # -- asking QuickBooks --------------------------------------------------------------------

    def query_all(self, text: str) -> list[dict[str, Any]]:
        """Every row of a query, paging 1000 at a time."""
        return self.run_queries([text])[0]

    def run_queries(self, texts: list[str]) -> list[list[dict[str, Any]]]:
        """Every row of each query: the pages of all of them asked together, 30 to a batch."""
        results: list[list[dict[str, Any]]] = [[] for _ in texts]
        pending = [(i, 1) for i in range(len(texts))]
        while pending:
            pages = self._ask([f"{texts[i]} STARTPOSITION {start} MAXRESULTS {PAGE}" for i, start in pending])
            following = []
            for (i, start), page in zip(pending, pages, strict=True):
                results[i].extend(flat_wrapped(row) for row in page)
                if len(page) >= PAGE:
                    following.append((i, start + PAGE))
            pending = following
        return results

    def _ask(self, texts: list[str]) -> list[list[dict[str, Any]]]:
        with self._lock:
            self.queries += len(texts)
        if len(texts) == 1:
            return [self.client.query_rows(texts[0])]
        groups = [texts[i : i + BATCH_ITEMS] for i in range(0, len(texts), BATCH_ITEMS)]
        out: list[list[dict[str, Any]]] = []
        for answers in self.executor.map(self._ask_batch, groups):
            out.extend(answers)
        return out

    def _ask_batch(self, texts: list[str]) -> list[list[dict[str, Any]]]:
        """Queries as the ``Query`` items of one batch request (only reads: safe to retry)."""
        items = [{"bId": str(n), "Query": text} for n, text in enumerate(texts, start=1)]
        answer = self.client.request(
            "POST", "batch", json_body={"BatchItemRequest": items}, batch=True, idempotent=True
        )
        by_id = {str(a.get("bId")): a for a in answer.get("BatchItemResponse") or []}
        out: list[list[dict[str, Any]]] = []
        for item in items:
            got = by_id.get(item["bId"]) or {}
            fault = got.get("Fault")
            if isinstance(fault, dict):
                error = (fault.get("Error") or [{}])[0]
                raise ValidationError(
                    str(error.get("Message") or "the query was refused"),
                    code=str(error.get("code") or ""),
                    detail=str(error.get("Detail") or ""),
                )
            response = got.get("QueryResponse") or {}
            out.append(next((v for v in response.values() if isinstance(v, list)), []))
        return out

    # -- reading ahead ------------------------------------------------------------------------

    def clear(self) -> None:
        """Forget the rows read ahead (a new drain reads the company again)."""
        with self._lock:
            self._known.clear()
            self._whole.clear()
            self._rows.clear()
            self._singletons.clear()

    def prefetch(self, wants: Wants, *, fresh: bool = False) -> None:
        """Read, in as few requests as the batch limit allows, every lookup ``wants`` lists that
        is not known yet (``fresh``: even those)."""
        texts: list[str] = []
        kinds: list[tuple[str, Any]] = []
        for (obj, field_name, states), values in sorted(wants.values.items()):
            missing = sorted(v for v in values if fresh or not self._is_known(obj, field_name, states, v))
            for text in _texts(obj, field_name, missing, states):
                texts.append(text)
                kinds.append(("values", (obj, field_name, states)))
            if missing:
                with self._lock:
                    self._known.setdefault((obj, field_name, states), set()).update(_fold(v) for v in missing)
        for obj, name_list in sorted(wants.whole):
            if fresh or not self._whole_known(obj, name_list):
                texts.append(f"SELECT * FROM {obj}" + (" WHERE Active IN (true, false)" if name_list else ""))
                kinds.append(("whole", (obj, name_list)))
        singles = sorted(o for o in wants.singletons if fresh or o not in self._singletons)
        if singles:
            singles_rows = self._ask_singletons(singles)
        if texts:
            for (kind, what), rows in zip(kinds, self.run_queries(texts), strict=True):
                self._store(what[0], rows)
                if kind == "whole":
                    with self._lock:
                        self._whole.add(what)
        if singles:
            with self._lock:
                self._singletons.update(singles_rows)

    def _ask_singletons(self, objs: list[str]) -> dict[str, dict[str, Any] | None]:
        rows = self._ask([f"SELECT * FROM {obj}" for obj in objs])
        return {obj: (found[0] if found else None) for obj, found in zip(objs, rows, strict=True)}

    def singleton(self, obj: str) -> tuple[bool, dict[str, Any] | None]:
        """(whether it was read ahead, the company's one object of a kind or None)."""
        with self._lock:
            if obj in self._singletons:
                return True, self._singletons[obj]
        return False, None

    def _is_known(self, obj: str, field_name: str, states: bool, value: str) -> bool:
        if self._whole_known(obj, states):
            return True
        folded = _fold(value)
        with self._lock:
            if folded in self._known.get((obj, field_name, states), ()):
                return True
            return not states and folded in self._known.get((obj, field_name, True), ())

    def _whole_known(self, obj: str, states: bool) -> bool:
        with self._lock:
            return (obj, True) in self._whole or (not states and (obj, False) in self._whole)

    def _store(self, obj: str, rows: list[dict[str, Any]]) -> None:
        with self._lock:
            held = self._rows.setdefault(obj, {})
            for row in rows:
                held[_row_id(row)] = row

    def _held(self, obj: str, states: bool) -> list[dict[str, Any]]:
        with self._lock:
            rows = list(self._rows.get(obj, {}).values())
        return [r for r in rows if states or r.get("Active") is not False]

    # -- what the run writes ------------------------------------------------------------------

    def learn(self, obj: str, row: dict[str, Any]) -> None:
        """A written object as QuickBooks answered it: lookups read ahead see it from now on."""
        spec = catalog.find(obj)
        if spec is not None and spec.is_singleton:
            with self._lock:
                if obj in self._singletons:
                    self._singletons[obj] = row
            return
        if not row.get("Id"):
            self.forget_all(obj)  # ExchangeRate: no Id to keep it by
            return
        with self._lock:
            if (
                obj in self._rows
                or any(k[0] == obj for k in self._known)
                or any(w[0] == obj for w in self._whole)
            ):
                self._rows.setdefault(obj, {})[_row_id(row)] = row

    def forget(self, obj: str, target_id: str) -> None:
        """A deleted object."""
        with self._lock:
            self._rows.get(obj, {}).pop(str(target_id), None)

    def forget_all(self, obj: str) -> None:
        with self._lock:
            self._rows.pop(obj, None)
            for key in [k for k in self._known if k[0] == obj]:
                del self._known[key]
            self._whole.difference_update({w for w in self._whole if w[0] == obj})
            self._singletons.pop(obj, None)

    # -- lookups --------------------------------------------------------------------------------

    def where_in(
        self,
        obj: str,
        field: str,
        values: Iterable[str],
        *,
        all_active_states: bool = False,
        cached: bool = False,
    ) -> list[dict[str, Any]]:
        """Rows whose ``field`` is one of ``values``; inactive rows too when asked. ``cached``: from
        the rows read ahead this drain where they answer it (what is missing is read and kept)."""
        unique = sorted({str(v) for v in values if v not in (None, "")})
        if not unique:
            return []
        states = all_active_states
        if not cached:
            return [r for part in self.run_queries(_texts(obj, field, unique, states)) for r in part]
        missing = [v for v in unique if not self._is_known(obj, field, states, v)]
        if missing:
            wants = Wants()
            wants.add(obj, field, missing, all_active_states=states)
            self.prefetch(wants)
        asked = {_fold(v) for v in unique}
        return [r for r in self._held(obj, states) if _fold(r.get(field, "")) in asked]

    def everything(self, obj: str, *, name_list: bool, cached: bool = False) -> list[dict[str, Any]]:
        """Every object of a type (for a natural key QBO cannot filter on)."""
        if cached:
            if not self._whole_known(obj, name_list):
                wants = Wants()
                wants.whole.add((obj, name_list))
                self.prefetch(wants)
            return self._held(obj, name_list)
        return self.query_all(
            f"SELECT * FROM {obj}" + (" WHERE Active IN (true, false)" if name_list else "")
        )

    def by_ids(self, obj: str, ids: Iterable[str], *, cached: bool = False) -> dict[str, dict[str, Any]]:
        """The current objects with these Ids (inactive name-list rows included)."""
        spec = catalog.get(obj)
        wanted = [i for i in {str(i) for i in ids} if is_id(i)]
        rows = self.where_in(obj, "Id", wanted, all_active_states=spec.is_name_list, cached=cached)
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
        for row in self.where_in(obj, field, missing, cached=True):
            self.remember(obj, row)

    def natural_candidates(
        self, obj: str, field: str, values: Iterable[str], *, name_list: bool, cached: bool = False
    ) -> list[dict[str, Any]]:
        """Existing objects whose ``field`` matches: for a name list, active or not (an inactive
        row's name carries QBO's " (deleted)" suffix, so both spellings are asked for)."""
        asked = candidate_values(field, values, name_list=name_list)
        return self.where_in(obj, field, asked, all_active_states=name_list, cached=cached)


def candidate_values(field: str, values: Iterable[str], *, name_list: bool) -> set[str]:
    """The values a natural-key lookup asks for: a name list's names in both spellings."""
    asked: set[str] = set()
    for value in values:
        asked.add(value)
        if name_list and field in ("Name", "DisplayName", "FullyQualifiedName"):
            asked.add(base_name(value) + DELETED_SUFFIX)
    return asked


def _texts(obj: str, field: str, values: list[str], states: bool) -> list[str]:
    tail = " AND Active IN (true, false)" if states else ""
    chunks = [values[i : i + IN_CHUNK] for i in range(0, len(values), IN_CHUNK)]
    return [
        f"SELECT * FROM {obj} WHERE {field} IN ({', '.join(quote(v) for v in chunk)}){tail}"
        for chunk in chunks
    ]


def _row_id(row: dict[str, Any]) -> str:
    if row.get("Id"):
        return str(row["Id"])
    return json.dumps(row, sort_keys=True, default=str)
