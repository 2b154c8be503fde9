"""References in a record (``CustomerRef``, ``ItemRef``, ``LinkedTxn``, ...) turned into target Ids.

A reference given by Id is kept (same company) or rewritten through the id map (copying from
another company); one given by name only is looked up, in batches and once per run. A reference
to an object still waiting in the spool makes the record wait; one that resolves to nothing
fails the record with a reason (code 2500, what QuickBooks answers for an invalid reference).
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from qbo_client import catalog, references

from .edition import NameIndex
from .idmap import IdMap
from .records import PendingRecord, RecordError
from .spool import Spool

#: References whose value is not an Id (a currency code).
_NOT_IDS = frozenset({"CurrencyRef"})


@dataclass
class Site:
    """One reference inside a payload: ``container[key]`` holds the Id to rewrite."""

    container: dict[str, Any]
    key: str  # "value" for a ...Ref, "TxnId" for a LinkedTxn entry
    prop: str  # the property name, for messages (CustomerRef, LinkedTxn)
    target: str  # the object it points to


def sites(obj: str, payload: Any) -> Iterator[Site]:
    """Every reference to an object with an Id, at any depth."""
    if isinstance(payload, list):
        for item in payload:
            yield from sites(obj, item)
        return
    if not isinstance(payload, dict):
        return
    for prop, value in payload.items():
        if prop == "LinkedTxn" and isinstance(value, list):
            for link in value:
                if isinstance(link, dict):
                    target = references.txn_type_object(str(link.get("TxnType", "")))
                    if target is not None:
                        yield Site(link, "TxnId", "LinkedTxn", target)
            continue
        if isinstance(value, dict) and prop.endswith("Ref") and prop not in _NOT_IDS:
            if prop == "EntityRef":
                named = catalog.find(str(value.get("type", "")))
                target = named.name if named is not None else None
            else:
                target = references.reference_object(prop, obj)
            spec = catalog.find(target) if target else None
            if spec is not None and spec.has_id:
                yield Site(value, "value", prop, spec.name)
            continue
        if isinstance(value, dict | list):
            yield from sites(obj, value)


class Outcome(enum.Enum):
    READY = "ready"
    WAIT = "wait"  # a referenced object is still in the spool: try again once it is written
    DEFER = "defer"  # nothing is known of the reference yet; a later message may bring it
    FAIL = "fail"


@dataclass
class Resolved:
    outcome: Outcome
    payload: dict[str, Any] = field(default_factory=dict)
    error: RecordError | None = None
    waiting_for: str = ""


class Resolver:
    """Resolves the references of records of one object, batching the name lookups."""

    def __init__(self, *, copy_mode: bool, idmap: IdMap, names: NameIndex, spool: Spool) -> None:
        self.copy_mode = copy_mode
        self.idmap = idmap
        self.names = names
        self.spool = spool

    def resolve(self, records: list[PendingRecord], *, final: bool) -> dict[int, Resolved]:
        work = {r.seq: copy.deepcopy(r.payload) for r in records}
        needed: dict[str, set[str]] = {}
        for record in records:
            for site in sites(record.object, work[record.seq]):
                name = _name_needed(site, self.copy_mode, self.idmap)
                if name:
                    needed.setdefault(site.target, set()).add(name)
        for target, names in needed.items():
            self.names.resolve_names(target, names)
        return {r.seq: self._apply(r, work[r.seq], final=final) for r in records}

    def _apply(self, record: PendingRecord, payload: dict[str, Any], *, final: bool) -> Resolved:
        for site in list(sites(record.object, payload)):
            ref = site.container
            value = str(ref.get(site.key) or "").strip()
            name = str(ref.get("name") or "").strip() if site.key == "value" else ""
            if value and not value.isdigit() and not value.startswith("new:"):
                if site.prop.endswith("TaxCodeRef"):
                    continue  # US companies' "TAX" / "NON" pseudo codes
                return _fail(site, f"{site.prop} value {value!r} is not an Id", "2500", final)
            if value and not self.copy_mode:
                continue  # an Id of this company: QuickBooks checks it
            if value:
                mapped = self.idmap.get(site.target, value)
                if mapped is not None:
                    ref[site.key] = mapped
                    continue
                if self.spool.waiting_id(site.target, value):
                    return Resolved(Outcome.WAIT, waiting_for=f"{site.target} {value}")
                if not name:
                    return _unresolved(
                        site,
                        f"{site.prop} points to {site.target} {value} of the source company, which was "
                        f"not copied (it is not in the id map): send the {site.target} stream too",
                        final,
                    )
            if not name:
                return _fail(site, f"{site.prop} has neither a value nor a name", "2020", final=True)
            found = self.names.cached_name(site.target, name)
            if found is not None:
                ref[site.key] = found
                continue
            if self.spool.waiting_name(site.target, _leaf(name)):
                return Resolved(Outcome.WAIT, waiting_for=f"{site.target} {name!r}")
            return _unresolved(
                site,
                f"{site.prop} names {site.target} {name!r}, and no active {site.target} has that name: "
                f"create it first (send it in a {site.target} stream) or fix the name",
                final,
            )
        return Resolved(Outcome.READY, payload)


def _name_needed(site: Site, copy_mode: bool, idmap: IdMap) -> str | None:
    if site.key != "value":
        return None
    value = str(site.container.get("value") or "").strip()
    name = str(site.container.get("name") or "").strip()
    if not name:
        return None
    if not value:
        return name
    if copy_mode and value.isdigit() and idmap.get(site.target, value) is None:
        return name  # not copied: fall back to an object of that name in the target company
    return None


def _leaf(name: str) -> str:
    return name.rsplit(":", 1)[-1]


def _fail(site: Site, reason: str, code: str, final: bool) -> Resolved:
    del final
    return Resolved(Outcome.FAIL, error=RecordError(reason, code=code, element=site.prop))


def _unresolved(site: Site, reason: str, final: bool) -> Resolved:
    if not final:
        return Resolved(Outcome.DEFER, waiting_for=reason)
    return Resolved(
        Outcome.FAIL,
        error=RecordError(reason + " (QuickBooks would answer 2500)", code="2500", element=site.prop),
    )
