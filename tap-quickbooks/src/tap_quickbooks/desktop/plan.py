"""The qbXML requests of a run, and how they are packed into message sets.

QBWC brings one message set per round trip and QuickBooks answers one request at a time, so a run
asks as much as it can in each message set:

- **Phase 1**, one message set for the whole run: a count (``metaData="MetaDataOnly"``, the same
  filters) of every selected stream whose query has an iterator, the data of every selected list
  without one, the deleted lists and transactions since the earliest start, the trial balance's
  periods and the account names it needs. An incremental run that finds nothing changed ends there.
- **Phase 2**: the data queries of the streams whose count is not 0 (``iterator="Start"``), in the
  order the streams sync, packed so that one message set brings back at most
  ``desktop_records_per_message_set`` records per round trip: the bridge continues every open
  iterator of a message set together, so each round trip advances several streams.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from qbd_client import catalog, qbxml
from qbd_client.catalog import ObjectSpec
from qbd_client.xml import Element

#: What a query is for.
COUNT, IDCOUNT, DATA, IDS, LIST_DELETED, TXN_DELETED, REPORT, ACCOUNTS = (
    "count",
    "idcount",
    "data",
    "ids",
    "list_deleted",
    "txn_deleted",
    "report",
    "accounts",
)


@dataclass(frozen=True)
class Query:
    """One request of a message set, built afresh each time it is sent (an element has one parent)."""

    purpose: str
    #: The stream it serves ("" for the shared deleted-object and account queries).
    stream: str
    tag: str
    fields: tuple[tuple[str, Any], ...]
    attrs: tuple[tuple[str, str], ...] = ()
    #: Records it is expected to bring per round trip (what packing counts).
    cost: int = 0
    #: For a report: (period start, period end, method).
    key: tuple[str, ...] = field(default=())

    @property
    def request_id(self) -> str:
        return ":".join((self.purpose, self.stream, *self.key))

    @property
    def iterates(self) -> bool:
        return dict(self.attrs).get("iterator") == "Start"

    def element(self) -> Element:
        return qbxml.build(self.tag, dict(self.fields), request_id=self.request_id, **dict(self.attrs))


def _names(nodes: Sequence[dict[str, Any]]) -> set[str]:
    found: set[str] = set()
    for node in nodes:
        if "choice" in node:
            for alternative in node["choice"]:
                found |= _names(alternative)
        elif "sequence" in node:
            found |= _names(node["sequence"])
        else:
            found.add(node["name"])
    return found


@cache
def _query_elements(tag: str) -> frozenset[str]:
    """The elements a query request may hold (its filters and options)."""
    _, nodes = qbxml.request_spec(tag)
    return frozenset(_names(nodes))


def object_query(spec: ObjectSpec, purpose: str, from_local: str | None, page: int, cost: int = 0) -> Query:
    """A query of ``spec``'s records: their count, their data, their ids alone, or the count of every
    id (``IDCOUNT``).

    Lists with ``ActiveStatus`` All (QuickBooks' default is active ones only); transactions with
    their lines and linked transactions where the query takes them; the modified-date filter from
    ``from_local`` (the company PC's local time, no offset) and no upper bound. A count or an id
    query of every record has no date filter.
    """
    fields: dict[str, Any] = {}
    attrs: dict[str, str] = {}
    known = _query_elements(spec.query_rq)
    if purpose in (DATA, IDS) and spec.iterator:
        fields["MaxReturned"] = page
        attrs["iterator"] = "Start"
    if purpose in (COUNT, IDCOUNT):
        attrs["metaData"] = "MetaDataOnly"
    dated = from_local if purpose in (COUNT, DATA) else None
    if spec.is_list:
        fields["ActiveStatus"] = "All"
        if dated:
            fields["FromModifiedDate"] = dated
    elif dated:
        fields["ModifiedDateRangeFilter"] = {"FromModifiedDate": dated}
    if purpose == DATA:
        if spec.line_items and "IncludeLineItems" in known:
            fields["IncludeLineItems"] = True
        if "IncludeLinkedTxns" in known:
            fields["IncludeLinkedTxns"] = True
    if purpose == IDS:
        fields["IncludeRetElement"] = [spec.id_field]
    return Query(purpose, spec.name, spec.query_rq, tuple(fields.items()), tuple(attrs.items()), cost)


def deleted_query(specs: Sequence[ObjectSpec], from_local: str | None) -> Query:
    """``ListDeletedQuery`` or ``TxnDeletedQuery`` of every delete type of ``specs`` (all lists or
    all transactions), deleted since ``from_local`` (None: as far back as QuickBooks keeps)."""
    lists = specs[0].is_list
    fields: dict[str, Any] = {("ListDelType" if lists else "TxnDelType"): [s.del_type for s in specs]}
    if from_local:
        fields["DeletedDateRangeFilter"] = {"FromDeletedDate": from_local}
    tag = "ListDeletedQueryRq" if lists else "TxnDeletedQueryRq"
    return Query(LIST_DELETED if lists else TXN_DELETED, "", tag, tuple(fields.items()))


def trial_balance_query(stream: str, start: str, end: str, method: str) -> Query:
    """The trial balance of a period (balances as of its end) in one accounting method."""
    fields = {
        "GeneralSummaryReportType": catalog.get("TrialBalance").report_type,
        "ReportPeriod": {"FromReportDate": start, "ToReportDate": end},
        "ReportBasis": method,
    }
    return Query(
        REPORT, stream, "GeneralSummaryReportQueryRq", tuple(fields.items()), key=(start, end, method)
    )


def accounts_query() -> Query:
    """Every account's ListID and full name: a trial balance names accounts by full name only."""
    fields = {"ActiveStatus": "All", "IncludeRetElement": ["ListID", "FullName"]}
    return Query(ACCOUNTS, "", "AccountQueryRq", tuple(fields.items()))


def pack(queries: Sequence[Query], budget: int) -> list[list[Query]]:
    """Queries in message sets, in the order given, each holding queries whose costs add up to at
    most ``budget`` (a query costing more than the budget goes alone)."""
    sets: list[list[Query]] = []
    current: list[Query] = []
    used = 0
    for query in queries:
        if current and used + query.cost > budget:
            sets.append(current)
            current, used = [], 0
        current.append(query)
        used += query.cost
    if current:
        sets.append(current)
    return sets


def message_set(queries: Sequence[Query]) -> bytes:
    """The qbXML request document of one message set (``continueOnError``: every query answered)."""
    return qbxml.message_set([q.element() for q in queries], on_error="continueOnError")


__all__ = [
    "ACCOUNTS",
    "COUNT",
    "DATA",
    "IDCOUNT",
    "IDS",
    "LIST_DELETED",
    "REPORT",
    "TXN_DELETED",
    "Query",
    "accounts_query",
    "deleted_query",
    "message_set",
    "object_query",
    "pack",
    "trial_balance_query",
]
