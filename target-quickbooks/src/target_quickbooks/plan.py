"""The plan: what each record becomes (create, update, delete, inactivate, void, or nothing).

A decision needs the record and the object it matches in the company (by Id, by the id map, by
natural key). Only the catalog's operations are planned; a record that asks for something the
object does not allow gets a reason instead. An update that would change nothing is not sent, so
replaying a stream leaves the company exactly as it was. Every write carries a deterministic
``requestid``: the same items give the same id, so QuickBooks answers a retried or replayed
request with its first answer instead of doing the work twice.
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from qbo_client import catalog
from qbo_client.catalog import ObjectSpec

from .records import Operation, PendingRecord, RecordError
from .shaping import NAME_FIELDS, base_name, missing_required


class Action(str, enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    INACTIVATE = "inactivate"
    VOID = "void"
    UNCHANGED = "unchanged"  # matches the company already: nothing to send
    SKIP = "skip"  # left alone on purpose (create_only, update_only, already deleted)
    REJECT = "reject"


WRITES = frozenset({Action.CREATE, Action.UPDATE, Action.DELETE, Action.INACTIVATE, Action.VOID})


@dataclass
class Step:
    """One record's planned action."""

    record: PendingRecord
    action: Action
    payload: dict[str, Any] = field(default_factory=dict)  # resolved payload (references rewritten)
    existing: dict[str, Any] | None = None
    reason: str = ""
    error: RecordError | None = None
    #: Make the object inactive once everything else is written (an inactive object cannot be
    #: referenced, and the transactions that refer to it come later).
    inactivate_after: bool = False
    #: The second write of a record (its final inactivation): not counted as another record.
    followup: bool = False

    @property
    def target_id(self) -> str | None:
        return str(self.existing["Id"]) if self.existing and self.existing.get("Id") else None

    def describe(self) -> dict[str, Any]:
        """The dry-run line of a step."""
        out: dict[str, Any] = {
            "action": self.action.value,
            "object": self.record.object,
            "stream": self.record.stream,
            "record": self.record.label(),
        }
        if self.target_id:
            out["target_id"] = self.target_id
        if self.reason:
            out["reason"] = self.reason
        if self.inactivate_after:
            out["then"] = "inactivate"
        return out


@dataclass(frozen=True)
class Policy:
    create_only: bool = False
    update_only: bool = False
    copy_mode: bool = False


def decide(
    spec: ObjectSpec,
    record: PendingRecord,
    payload: dict[str, Any],
    existing: dict[str, Any] | None,
    policy: Policy,
    *,
    missing_id: bool = False,
) -> Step:
    """The action for one record, given the object it matches (None: no such object).

    ``missing_id``: the record names a target Id (same-company mode) that does not exist.
    """
    op = record.operation
    if op is Operation.DELETE:
        return _delete(spec, record, payload, existing)
    if op is Operation.VOID:
        return _void(spec, record, payload, existing, missing_id)
    if spec.is_singleton and existing is None:
        return _reject(
            record,
            payload,
            f"the company has no {spec.name} to update ({spec.name} cannot be created through the API; "
            "QuickBooks makes it with the company)",
            "610",
        )
    if existing is not None:
        return _update(spec, record, payload, existing, policy)
    if missing_id:
        return _reject(
            record,
            payload,
            f"there is no {spec.name} with Id {record.source_id} in this company: if the records come "
            "from another company, set copy_mode (or source_realm_id); else drop the Id to create it",
            "610",
        )
    if policy.update_only:
        return Step(record, Action.SKIP, payload, reason=f"no existing {spec.name} matches (update_only)")
    if not spec.create and not (spec.update and not spec.has_id):  # ExchangeRate: set by its key
        what = "updated" if spec.update else "written"
        return _reject(
            record,
            payload,
            f"{spec.name} cannot be created through the QuickBooks API (it can only be {what} where it "
            "exists): drop this stream or map it to another object",
            "500",
        )
    lacking = missing_required(spec, payload)
    if lacking:
        return _reject(
            record,
            payload,
            f"a new {spec.name} needs {lacking} (QuickBooks answers 2020, required field missing): "
            "add it to the record or with stream_maps",
            "2020",
            element=lacking.split(" or ")[0],
        )
    step = Step(record, Action.CREATE, payload)
    if spec.is_name_list and payload.get("Active") is False:
        step.payload = {**payload, "Active": True}
        step.inactivate_after = True
    return step


def _update(
    spec: ObjectSpec, record: PendingRecord, payload: dict[str, Any], existing: dict[str, Any], policy: Policy
) -> Step:
    if policy.create_only:
        return Step(record, Action.SKIP, payload, existing, reason=f"{spec.name} exists (create_only)")
    if not spec.update:
        # QuickBooks cannot change it: matching the record to it is all that can be done.
        return Step(
            record, Action.UNCHANGED, payload, existing, reason=f"{spec.name} exists; it cannot be updated"
        )
    wants_inactive = spec.is_name_list and payload.get("Active") is False
    is_inactive = spec.is_name_list and existing.get("Active") is False
    if same(payload, existing):
        return Step(record, Action.UNCHANGED, payload, existing)
    new = dict(payload)
    if isinstance(new.get("LinkedTxn"), list) and isinstance(existing.get("LinkedTxn"), list):
        # a sparse update replaces the list: keep the links QBO keeps (payments of an invoice)
        given = new["LinkedTxn"]
        new["LinkedTxn"] = given + [
            old for old in existing["LinkedTxn"] if not any(same(g, old) for g in given)
        ]
    inactivate_after = False
    if spec.is_name_list:
        if wants_inactive:
            # Active for now (transactions written later may refer to it), inactive at the end.
            new["Active"] = True
            inactivate_after = True
        elif is_inactive:
            new["Active"] = True  # the record means the object: bring it back (QBO's "reactivate")
    if wants_inactive and is_inactive and same({**payload, "Active": False}, existing):
        return Step(record, Action.UNCHANGED, payload, existing)
    return Step(record, Action.UPDATE, new, existing, inactivate_after=inactivate_after)


def _delete(
    spec: ObjectSpec, record: PendingRecord, payload: dict[str, Any], existing: dict[str, Any] | None
) -> Step:
    if existing is None:
        return Step(record, Action.SKIP, payload, reason=f"no such {spec.name}: already deleted")
    if spec.can_delete:
        return Step(record, Action.DELETE, payload, existing)
    if spec.can_inactivate:
        if existing.get("Active") is False:
            return Step(record, Action.UNCHANGED, payload, existing, reason="already inactive")
        return Step(record, Action.INACTIVATE, payload, existing)
    return _reject(
        record,
        payload,
        f"{spec.name} cannot be deleted or made inactive through the QuickBooks API",
        "500",
        existing=existing,
    )


def _void(
    spec: ObjectSpec,
    record: PendingRecord,
    payload: dict[str, Any],
    existing: dict[str, Any] | None,
    missing_id: bool,
) -> Step:
    if not spec.can_void:
        return _reject(
            record,
            payload,
            f"{spec.name} cannot be voided (only {', '.join(catalog.voidable())} can): "
            "send it as a delete instead",
            "500",
        )
    if existing is None:
        return _reject(
            record,
            payload,
            f"no {spec.name} matches the record{' Id ' + str(record.source_id) if missing_id else ''}: "
            "there is nothing to void",
            "610",
        )
    if is_voided(existing):
        return Step(record, Action.UNCHANGED, payload, existing, reason="already void")
    return Step(record, Action.VOID, payload, existing)


def _reject(
    record: PendingRecord,
    payload: dict[str, Any],
    reason: str,
    code: str,
    *,
    element: str = "",
    existing: dict[str, Any] | None = None,
) -> Step:
    error = RecordError(reason, code=code, element=element)
    return Step(record, Action.REJECT, payload, existing, reason=reason, error=error)


def is_voided(obj: dict[str, Any]) -> bool:
    """QuickBooks keeps a voided transaction with zero amounts and a "Voided" note."""
    note = obj.get("PrivateNote")
    return isinstance(note, str) and note.startswith("Voided") and not obj.get("TotalAmt")


# -- does the company already hold what the record says? -----------------------------------------


def same(payload: Any, existing: Any, key: str = "") -> bool:
    """Whether every field the record gives already has that value in the existing object.

    Fields the record leaves out are not compared (a sparse update would not touch them);
    references compare by Id (QBO fills their names); numbers compare as numbers; an inactive
    name-list row's " (deleted)" suffix is ignored.
    """
    if isinstance(payload, dict):
        if not isinstance(existing, dict):
            return False
        if key.endswith("Ref") and "value" in payload:
            return str(payload.get("value")) == str(existing.get("value")) and (
                "type" not in payload or str(payload.get("type")) == str(existing.get("type"))
            )
        inactive = existing.get("Active") is False
        for k, v in payload.items():
            other = existing.get(k)
            if inactive and k in NAME_FIELDS and isinstance(v, str) and isinstance(other, str):
                if base_name(v) != base_name(other):
                    return False
                continue
            if not same(v, other, k):
                return False
        return True
    if key == "LinkedTxn" and isinstance(payload, list) and isinstance(existing, list):
        # QBO adds the links it keeps itself (an invoice's payments): those given must be there
        return all(any(same(link, other) for other in existing) for link in payload)
    if isinstance(payload, list):
        return (
            isinstance(existing, list)
            and len(payload) == len(existing)
            and all(same(a, b, key) for a, b in zip(payload, existing, strict=True))
        )
    if isinstance(payload, bool) or isinstance(existing, bool):
        return payload == existing
    if isinstance(payload, int | float) and isinstance(existing, int | float):
        return abs(float(payload) - float(existing)) < 1e-9
    if isinstance(payload, int | float) and isinstance(existing, str):
        try:
            return abs(float(payload) - float(existing)) < 1e-9
        except ValueError:
            return False
    return bool(payload == existing)


# -- request ids -----------------------------------------------------------------------------------


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


def request_id(realm: str, items: list[dict[str, Any]]) -> str:
    """A deterministic id for a write: the same items (content, operation, order) give the same
    id. 34 characters, leaving room for a batch item's ``bId`` within QBO's 50."""
    digest = hashlib.sha256(realm.encode())
    for item in items:
        digest.update(canonical({k: v for k, v in item.items() if k != "bId"}))
    return "tq" + digest.hexdigest()[:32]
