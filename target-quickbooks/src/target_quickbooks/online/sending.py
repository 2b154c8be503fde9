"""Writes to a QuickBooks Online company: batches of 30 items, several at once, and the writes the
batch endpoint cannot carry sent on their own; each step's answer is the written object or the fault.

A batch item carries any entity's create, update (a void too: ``optionsData: void``) or delete,
ExchangeRate's update included (keyed by currency and date, without Id or SyncToken, as
``POST exchangerate`` takes it). What goes on its own: a singleton's update (Preferences,
CompanyInfo, Company: its own endpoint), a ``?operation=void`` void, and what an object's hooks
send through another endpoint (a tax code through the TaxService). An ExchangeRate item that a
batch refuses as an unsupported operation is sent again on its own.

Every request carries a deterministic ``requestid`` (:func:`target_quickbooks.plan.request_id`), so
QuickBooks answers a retried or replayed request with its first answer instead of writing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from qbo_client.catalog import ObjectSpec, Void
from qbo_client.client import QBOClient
from qbo_client.errors import ValidationError

from target_quickbooks import plan
from target_quickbooks.hooks import NO_HOOKS, ObjectHooks
from target_quickbooks.plan import Action, Step
from target_quickbooks.records import RecordError
from target_quickbooks.shaping import flat_wrapped, wrapped_body

from . import faults
from .hooks import OnlineObjectHooks

#: The fault of an operation the endpoint does not support.
UNSUPPORTED = "500"

#: A step's answer: the written object, or the fault.
Answer = tuple[dict[str, Any] | None, RecordError | None]


class Sender:
    """Sends steps of one object and pairs each with its answer."""

    def __init__(
        self,
        client: Callable[[], QBOClient],
        executor: Callable[[], ThreadPoolExecutor],
        *,
        realm: str,
        batch_size: int,
        hooks: Mapping[str, ObjectHooks],
        last_tid: Callable[[], str],
    ) -> None:
        self._client = client
        self._executor = executor
        self.realm = realm
        self.batch_size = max(1, min(30, batch_size))
        self.hooks = hooks
        self._last_tid = last_tid

    def send(self, spec: ObjectSpec, steps: list[Step]) -> list[Answer]:
        """Each step's answer, in order. Batches and direct calls run at once."""
        executor = self._executor()
        results: list[Answer] = [(None, None)] * len(steps)
        batched = [i for i, s in enumerate(steps) if not self._direct(spec, s)]
        direct = [i for i, s in enumerate(steps) if self._direct(spec, s)]
        size = self.batch_size
        groups = [batched[i : i + size] for i in range(0, len(batched), size)]
        batches = [executor.submit(self._send_batch, spec, [steps[i] for i in g]) for g in groups]
        singles = [executor.submit(self._send_one, spec, steps[i]) for i in direct]
        for group, batch in zip(groups, batches, strict=True):
            for index, answer in zip(group, batch.result(), strict=True):
                results[index] = answer
        for index, single in zip(direct, singles, strict=True):
            results[index] = single.result()
        if not spec.has_id and not spec.is_singleton:
            # a company whose batch endpoint does not take keyed writes: each on its own then
            refused = [i for i in batched if getattr(results[i][1], "code", None) == UNSUPPORTED]
            for index, answer in zip(
                refused, executor.map(lambda i: self._send_one(spec, steps[i]), refused), strict=True
            ):
                results[index] = answer
        return results

    def _object_hooks(self, spec: ObjectSpec) -> OnlineObjectHooks | None:
        hooks = self.hooks.get(spec.name, NO_HOOKS)
        return hooks if isinstance(hooks, OnlineObjectHooks) else None

    def _direct(self, spec: ObjectSpec, step: Step) -> bool:
        """Writes the batch endpoint cannot carry."""
        if spec.is_singleton:
            return True
        hooks = self._object_hooks(spec)
        if hooks is not None and hooks.direct(step):
            return True
        return step.action is Action.VOID and spec.void is Void.OPERATION_VOID

    def _send_batch(self, spec: ObjectSpec, steps: list[Step]) -> list[Answer]:
        items = [dict(batch_item(spec, step), bId=str(n)) for n, step in enumerate(steps, start=1)]
        answers = self._client().batch(items, request_id=plan.request_id(self.realm, items))
        tid = self._last_tid()
        out: list[Answer] = []
        for answer in answers:
            if "Fault" in answer:
                out.append((None, faults.from_batch_fault(answer["Fault"], tid)))
            elif isinstance(answer.get(spec.name), dict):
                out.append((flat_wrapped(answer[spec.name]), None))
            else:
                out.append(
                    (None, RecordError("QuickBooks gave no answer for this item", code=faults.NO_ANSWER))
                )
        return out

    def _send_one(self, spec: ObjectSpec, step: Step) -> Answer:
        client = self._client()
        try:
            hooks = self._object_hooks(spec)
            if hooks is not None and hooks.direct(step):
                return hooks.send(client, self.realm, step), None
            if step.action is Action.VOID:
                assert step.existing is not None
                rid = plan.request_id(
                    self.realm,
                    [{"void": spec.name, "Id": step.target_id, "SyncToken": step.existing.get("SyncToken")}],
                )
                return client.void(
                    spec.name, str(step.target_id), str(step.existing.get("SyncToken")), request_id=rid
                ), None
            body = dict(step.payload)
            if step.existing and step.existing.get("Id"):
                body.update(Id=step.existing["Id"], SyncToken=step.existing.get("SyncToken"))
            if spec.name == "ExchangeRate":
                body.pop("SyncToken", None)
            body = wrapped_body(spec, body)
            rid = plan.request_id(self.realm, [{"object": spec.name, **body}])
            return flat_wrapped(client.update(spec.name, body, request_id=rid)), None
        except RecordError as error:
            return None, error
        except ValidationError as exc:
            return None, faults.from_error(exc)


def batch_item(spec: ObjectSpec, step: Step) -> dict[str, Any]:
    """A step as an item of ``POST batch``."""
    if not spec.has_id:
        # ExchangeRate: set by its currency and date, whatever its SyncToken is now
        body = {k: v for k, v in step.payload.items() if k not in ("Id", "SyncToken", "sparse")}
        return {"operation": "update", spec.name: body}
    existing = step.existing or {}
    ident = {"Id": str(existing.get("Id", "")), "SyncToken": str(existing.get("SyncToken", ""))}
    kind = str(existing.get("Type") or "")  # a RecurringTransaction's (shaping.wrapped_body)
    if step.action is Action.CREATE:
        return {"operation": "create", spec.name: wrapped_body(spec, step.payload)}
    if step.action is Action.UPDATE:
        body = {**step.payload, **ident, "sparse": True}
        return {"operation": "update", spec.name: wrapped_body(spec, body, kind)}
    if step.action is Action.DELETE:
        return {"operation": "delete", spec.name: wrapped_body(spec, ident, kind)}
    if step.action is Action.INACTIVATE:
        return {"operation": "update", spec.name: {**ident, "sparse": True, "Active": False}}
    if step.action is Action.VOID:
        return {"operation": "update", "optionsData": "void", spec.name: {**ident, "sparse": True}}
    raise ValueError(f"not a write: {step.action}")
