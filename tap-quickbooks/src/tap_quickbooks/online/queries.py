"""The query text the tap sends to QuickBooks Online; its times in the format of
:mod:`tap_quickbooks.times`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from qbo_client.catalog import ObjectSpec

from tap_quickbooks.times import next_second

#: The property every incremental query filters and orders on.
UPDATED = "MetaData.LastUpdatedTime"
#: Largest MAXRESULTS QBO accepts.
MAX_PAGE = 1000

_NOT_IN_FILTER = re.compile(r"\b(ORDER\s*BY|STARTPOSITION|MAXRESULTS|SELECT|FROM)\b", re.IGNORECASE)
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'")


def check_filter(entity: str, text: str) -> str:
    """A user's extra WHERE clause, cleaned; raises ValueError for what would break paging.

    QBO's query language has no OR and no parentheses, so ANDing a clause to the tap's own
    conditions can only narrow the result, never widen it.
    """
    clause = text.strip()
    if clause[:6].upper() == "WHERE ":
        clause = clause[6:].strip()
    bare = _QUOTED.sub("''", clause)
    found = _NOT_IN_FILTER.search(bare)
    if found:
        raise ValueError(
            f"stream_filters.{entity}: {found.group(0)!r} is not allowed; give only conditions "
            "(e.g. \"TotalAmt > '100'\"): the tap orders and pages the query itself"
        )
    return clause


def quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass(frozen=True)
class ObjectQuery:
    """The queries of one object: every one carries the same base conditions.

    ``base`` holds ``Active IN (true, false)`` for objects that have ``Active`` (else QBO answers
    only active rows) and the user's ``stream_filters`` clause.
    """

    entity: str
    base: tuple[str, ...] = ()
    #: How rows that share one second are ordered for offset paging (``Id``, or a natural key).
    tie_order: str = "Id"
    #: The user's ``stream_filters`` clause narrows this object: only a query can apply it (the change
    #: feed answers every changed object of a type), so its rows never come from CDC.
    filtered: bool = False

    @classmethod
    def for_spec(cls, spec: ObjectSpec, user_filter: str | None = None) -> ObjectQuery:
        base: list[str] = []
        if "Active" in spec.filterable:
            base.append("Active IN (true, false)")
        clause = check_filter(spec.name, user_filter) if user_filter else ""
        if clause:
            base.append(clause)
        tie = "Id" if spec.has_id else ", ".join(spec.natural_key)
        return cls(spec.name, tuple(base), tie, filtered=bool(clause))

    def _where(self, conditions: Iterable[str]) -> str:
        parts = [*self.base, *conditions]
        return f" WHERE {' AND '.join(parts)}" if parts else ""

    @staticmethod
    def _range(lo: str | None, hi: str | None) -> list[str]:
        # Always >= on the lower bound: a record updated in the same second as the bookmark
        # must be read again rather than lost.
        found = []
        if lo is not None:
            found.append(f"{UPDATED} >= {quote(lo)}")
        if hi is not None:
            found.append(f"{UPDATED} < {quote(hi)}")
        return found

    def page(self, lo: str | None, hi: str | None, limit: int) -> str:
        """Rows updated in ``[lo, hi)``, oldest first: one keyset page."""
        where = self._where(self._range(lo, hi))
        return f"SELECT * FROM {self.entity}{where} ORDERBY {UPDATED} MAXRESULTS {limit}"

    def count(self, lo: str | None, hi: str | None) -> str:
        return f"SELECT COUNT(*) FROM {self.entity}{self._where(self._range(lo, hi))}"

    def second_page(self, second: str, position: int, limit: int) -> str:
        """Rows updated within one second, in a fixed order, from a 1-based position."""
        where = self._where(self._range(second, next_second(second)))
        return (
            f"SELECT * FROM {self.entity}{where} ORDERBY {self.tie_order} "
            f"STARTPOSITION {position} MAXRESULTS {limit}"
        )

    def second_count(self, second: str) -> str:
        return self.count(second, next_second(second))

    def by_ids(self, ids: Iterable[str]) -> str:
        """The rows that still exist among some Ids (the user's filter left out: only a delete counts)."""
        active = [c for c in self.base if c.startswith("Active IN")]
        listed = ", ".join(quote(i) for i in ids)
        where = " AND ".join([*active, f"Id IN ({listed})"])
        return f"SELECT * FROM {self.entity} WHERE {where} MAXRESULTS {MAX_PAGE}"

    def everything(self) -> str:
        """The whole object (singletons: one row)."""
        return f"SELECT * FROM {self.entity}"


def rows_of(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The entity list of a ``QueryResponse`` (empty when QBO leaves it out)."""
    return next((v for v in answer.values() if isinstance(v, list)), [])
