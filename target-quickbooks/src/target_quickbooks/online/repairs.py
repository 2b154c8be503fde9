"""What each answer of QuickBooks Online means for its record, and the faults a record is repaired from.

A fault is repaired where the record says what to do about it: 5010 (stale SyncToken: someone
changed the object since it was read) reads the object again and plans the record anew; 6240 and
6140 (the name or number is taken) on a create update the object of this type that holds it; 610
on a delete or inactivation means the object is gone already. A batch item QuickBooks did not
answer is sent again. Every other fault is the record's outcome: it goes to the dead letter.
"""

from __future__ import annotations

from typing import Any

from qbo_client.catalog import ObjectSpec

from target_quickbooks import plan
from target_quickbooks.edition import Kind, Outcome
from target_quickbooks.plan import Action, Policy, Step
from target_quickbooks.records import RecordError

from .faults import NO_ANSWER
from .lookups import Lookups
from .matching import Matcher
from .sending import Answer

#: A taken name or document number, by fault code: the field that holds it.
_TAKEN = {"6240": None, "6140": "DocNumber"}


class Repairs:
    """Sorts answers into outcomes, repairing what can be repaired."""

    def __init__(self, matcher: Matcher, lookups: Lookups, policy: Policy) -> None:
        self.matcher = matcher
        self.lookups = lookups
        self.policy = policy

    def outcomes(self, spec: ObjectSpec, steps: list[Step], answers: list[Answer]) -> list[Outcome]:
        """Done and failed steps first, in order; then the steps to try again (not answered,
        then re-read after a 5010, then adopted after a 6240 or 6140)."""
        out: list[Outcome] = []
        retry: list[Step] = []
        stale: list[Step] = []
        duplicate: list[tuple[Step, RecordError]] = []
        for step, (obj, error) in zip(steps, answers, strict=True):
            if error is None:
                out.append(Outcome(step, Kind.DONE, obj))
            elif error.code == "5010":
                stale.append(step)
            elif error.code in _TAKEN and step.action is Action.CREATE:
                duplicate.append((step, error))
            elif error.code == "610" and step.action in (Action.DELETE, Action.INACTIVATE):
                step.action, step.reason = Action.SKIP, "already deleted"
                out.append(Outcome(step, Kind.DONE))
            elif error.code == NO_ANSWER:
                retry.append(step)
            else:
                out.append(Outcome(step, Kind.FAILED, error=error))
        retry.extend(self.refresh(spec, stale))
        retry.extend(self.adopt(spec, duplicate))
        out.extend(Outcome(step, Kind.AGAIN) for step in retry)
        return out

    def refresh(self, spec: ObjectSpec, stale: list[Step]) -> list[Step]:
        """5010: someone changed the object since it was read. Read it again and re-plan."""
        if not stale:
            return []
        rows = self.lookups.by_ids(spec.name, [s.target_id for s in stale if s.target_id])
        out = []
        for step in stale:
            current: dict[str, Any] | None = rows.get(str(step.target_id))
            if spec.is_singleton:
                current = self.matcher.read_singleton(spec)
            out.append(plan.decide(spec, step.record, step.payload, current, self.policy))
        return out

    def adopt(self, spec: ObjectSpec, duplicate: list[tuple[Step, RecordError]]) -> list[Step]:
        """6240 / 6140: the name or number is taken. If an object of this type holds it (active or
        not), the record means that object: update it. Otherwise the fault stands."""
        out: list[Step] = []
        for step, error in duplicate:
            field = _TAKEN[error.code] or (spec.natural_key[0] if spec.natural_key else None)
            value = step.payload.get(field) if field else None
            holder = None
            if field and isinstance(value, str) and value:
                holder = self.matcher.holder(spec, field, value, step.payload)
            if holder is None:
                if error.code == "6240" and spec.name_space == "party":
                    error.reason = (
                        f"the name {value!r} is already used by another customer, vendor or employee (they "
                        "share one name space, inactive ones included): rename the record or the other object"
                    )
                else:
                    error.reason = f"{error.message}: {error.detail or 'the name or number is taken'}"
                step.action, step.error = Action.REJECT, error
                out.append(step)
                continue
            out.append(plan.decide(spec, step.record, step.payload, holder, self.policy))
        return out
