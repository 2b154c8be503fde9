"""Which existing objects of a QuickBooks Online company records mean.

By Id (the record's own, or what the id map says the source Id became), by natural key (inactive
objects included, one query for many values), or for a transaction without a key, by identical
content on the same date. A key that does not identify one object never matches an object another
record has already taken.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from qbo_client.catalog import ObjectSpec
from qbo_client.client import QBOClient
from qbo_client.errors import ValidationError

from target_quickbooks import plan
from target_quickbooks.edition import Found
from target_quickbooks.ledger import Ledger
from target_quickbooks.records import Operation, PendingRecord, get_path
from target_quickbooks.shaping import base_name

from .lookups import Lookups, Wants, candidate_values


class Matcher:
    """Finds, in batches, the objects records mean."""

    def __init__(
        self, client: Callable[[], QBOClient], lookups: Callable[[], Lookups], ledger: Ledger, realm: str
    ) -> None:
        self._client = client
        self._lookups = lookups
        self.ledger = ledger
        self.realm = realm

    def find(self, spec: ObjectSpec, ready: list[tuple[PendingRecord, dict[str, Any]]]) -> Found:
        """The existing object per record, and the records whose Id names no object here."""
        found = Found()
        if spec.is_singleton:
            current = self.read_singleton(spec, cached=True)
            if current is not None:
                found.existing = {r.seq: current for r, _ in ready}
        elif spec.has_id:
            wanted: dict[int, str] = {}
            for record, _ in ready:
                if not record.source_id:
                    continue
                target = self.ledger.target_of(spec.name, record.source_id)
                if target:
                    wanted[record.seq] = target
            real = [t for t in wanted.values() if not t.startswith("new:")]
            rows = self._lookups().by_ids(spec.name, real, cached=True) if real else {}
            for seq, target in wanted.items():
                if target.startswith("new:"):
                    found.existing[seq] = {"Id": target, "SyncToken": "0"}
                elif target in rows:
                    found.existing[seq] = rows[target]
                elif not self.ledger.copy_mode:
                    found.missing_id.add(seq)
        rest = [(r, p) for r, p in ready if r.seq not in found.existing and r.seq not in found.missing_id]
        if rest and not spec.is_singleton:
            found.existing.update(self._match(spec, rest))
        return found

    def wants(self, spec: ObjectSpec, records: list[PendingRecord], wants: Wants) -> None:
        """What :meth:`find` will look up for these records (as they are spooled, before their
        references are resolved), added to ``wants`` to be read ahead."""
        if spec.is_singleton:
            wants.singletons.add(spec.name)
            return
        name_list = spec.is_name_list
        for record in records:
            payload = record.payload
            if spec.has_id and record.source_id:
                target = self.ledger.target_of(spec.name, record.source_id)
                if target and not target.startswith("new:"):
                    wants.add(spec.name, "Id", [target], all_active_states=name_list)
            values = [get_path(payload, k) for k in record.natural_key]
            if record.natural_key and all(v not in (None, "") for v in values):
                field = _query_field(spec, record.natural_key, payload)
                if field:
                    asked = candidate_values(field, [str(get_path(payload, field))], name_list=name_list)
                    wants.add(spec.name, field, asked, all_active_states=name_list)
                else:
                    wants.whole.add((spec.name, name_list))
            elif spec.is_transaction and payload.get("TxnDate") and record.operation is not Operation.DELETE:
                wants.add(spec.name, "TxnDate", [str(payload["TxnDate"])])

    def read_singleton(self, spec: ObjectSpec, *, cached: bool = False) -> dict[str, Any] | None:
        """The company's one object of a kind (CompanyInfo, Preferences), or None; ``cached``: as
        read ahead this drain, if it was."""
        if cached:
            known, row = self._lookups().singleton(spec.name)
            if known:
                return row
        path = "preferences" if spec.name == "Preferences" else f"{spec.path}/{self.realm}"
        try:
            answer = self._client().request("GET", path)
        except ValidationError:
            return None
        found = answer.get(spec.name)
        return found if isinstance(found, dict) else None

    def _match(
        self, spec: ObjectSpec, rest: list[tuple[PendingRecord, dict[str, Any]]]
    ) -> dict[int, dict[str, Any]]:
        """Existing objects the records mean, by natural key (inactive ones included), or for a
        transaction without one, by identical content on the same date."""
        lookups = self._lookups()
        out: dict[int, dict[str, Any]] = {}
        keyed: list[tuple[PendingRecord, dict[str, Any], str]] = []
        by_content: list[tuple[PendingRecord, dict[str, Any]]] = []
        for record, payload in rest:
            values = [get_path(payload, k) for k in record.natural_key]
            if record.natural_key and all(v not in (None, "") for v in values):
                keyed.append((record, payload, _query_field(spec, record.natural_key, payload)))
                continue
            if spec.is_transaction and payload.get("TxnDate") and record.operation is not Operation.DELETE:
                by_content.append((record, payload))
        fields: dict[str, set[str]] = {}
        for _, payload, field in keyed:
            fields.setdefault(field, set()).add(str(get_path(payload, field)) if field else "")
        candidates: list[dict[str, Any]] = []
        name_list = spec.is_name_list
        for field, wanted in fields.items():
            if field:
                candidates.extend(
                    lookups.natural_candidates(spec.name, field, wanted, name_list=name_list, cached=True)
                )
            else:
                candidates.extend(lookups.everything(spec.name, name_list=name_list, cached=True))
        taken: set[str] = set()
        for record, payload, _ in keyed:
            matches = [c for c in candidates if _key_matches(spec, record, payload, c)]
            pick = self.choose(
                spec, payload, matches, taken, identifying=_identifying(spec, record.natural_key)
            )
            if pick is not None:
                out[record.seq] = pick
                taken.add(_row_key(pick))
        if by_content:
            dates = {str(p["TxnDate"]) for _, p in by_content}
            rows = lookups.where_in(spec.name, "TxnDate", dates, cached=True)
            for record, payload in by_content:
                matches = [c for c in rows if plan.same(payload, c)]
                pick = self.choose(spec, payload, matches, taken)
                if pick is not None:
                    out[record.seq] = pick
                    taken.add(_row_key(pick))
        return out

    def holder(
        self, spec: ObjectSpec, field: str, value: str, payload: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The object of this type (active or not) whose ``field`` is ``value``, if any."""
        rows = self._lookups().natural_candidates(spec.name, field, [value], name_list=spec.is_name_list)
        same_key = [r for r in rows if norm(r.get(field)) == norm(value)]
        return self.choose(spec, payload, same_key, set(), identifying=True)

    def choose(
        self,
        spec: ObjectSpec,
        payload: dict[str, Any],
        matches: list[dict[str, Any]],
        taken: set[str],
        *,
        identifying: bool = False,
    ) -> dict[str, Any] | None:
        """The best match, identical content first, then the lowest Id.

        A key that does not identify one object (a bill's DocNumber, a transfer's content) must
        not match an object another record has already taken, in this run or (copy mode) in the
        id map: two equal source transactions are two transactions. A unique name does identify
        it: a second record with the same name updates the same object.
        """
        free = [
            m
            for m in matches
            if _row_key(m) not in taken
            and not self.ledger.taken(spec.name, str(m.get("Id")), identifying=identifying)
        ]
        if not free:
            return None
        return min(free, key=lambda m: (not plan.same(payload, m), _id_order(m.get("Id"))))


def _query_field(spec: ObjectSpec, natural_key: tuple[str, ...], payload: dict[str, Any]) -> str:
    """The field a natural-key lookup filters on: a key field QBO can filter, else the date;
    "" when there is none (a nested key such as ``PrimaryEmailAddr.Address``): read them all."""
    filterable = set(spec.filterable_fields())
    for key in natural_key:
        if "." not in key and key in filterable:
            return key
    if spec.is_transaction and payload.get("TxnDate"):
        return "TxnDate"
    return ""


def norm(value: Any) -> str:
    """A name as names compare (case-insensitive, without QBO's " (deleted)" suffix)."""
    return base_name(str(value)).casefold() if value is not None else ""


def _key_matches(
    spec: ObjectSpec, record: PendingRecord, payload: dict[str, Any], row: dict[str, Any]
) -> bool:
    for key in record.natural_key:
        mine, theirs = get_path(payload, key), get_path(row, key)
        if isinstance(mine, str) or isinstance(theirs, str):
            if norm(mine) != norm(theirs):
                return False
        elif not plan.same(mine, theirs):
            return False
    if spec.hierarchical:
        parent = str((payload.get("ParentRef") or {}).get("value") or "")
        their_parent = str((row.get("ParentRef") or {}).get("value") or "")
        if parent != their_parent:
            return False
    return True


def _row_key(row: dict[str, Any]) -> str:
    """An existing object's identity: its Id, or (ExchangeRate has none) its whole content."""
    return str(row["Id"]) if row.get("Id") else json.dumps(row, sort_keys=True, default=str)


def _identifying(spec: ObjectSpec, natural_key: tuple[str, ...]) -> bool:
    """Whether a natural key names at most one object (unique names, unique document numbers)."""
    if not spec.has_id:
        return True
    if spec.is_name_list:
        return natural_key == spec.natural_key
    return natural_key == ("DocNumber",) and spec.unique_doc_number


def _id_order(value: Any) -> tuple[int, str]:
    text = str(value)
    return (int(text), text) if text.isdigit() else (1 << 62, text)
