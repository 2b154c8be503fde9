"""The batch endpoint: up to the limit of queries and writes in one request, each answered alone."""

from __future__ import annotations

import json
from typing import Any

from qbo_client import catalog

from qbo_sandbox import clock, faults
from qbo_sandbox.faults import QBOFault
from qbo_sandbox.store import unwrap

from .core import Core, Endpoint
from .entities import Entities
from .query import Queries


class Batch(Endpoint):
    """``POST batch``: each item a query, create, update (or void) or delete; a fault fails only its item.

    An item carries any entity of the API (Intuit's schema makes a batch item any ``IntuitObject``,
    a ``Query``, a ``ReportQuery`` or a ``CDCQuery``). ExchangeRate, which has no Id, is updated as
    ``POST exchangerate`` updates it: by ``SourceCurrencyCode`` and ``AsOfDate``; it cannot be
    created or deleted, in a batch or alone.
    """

    def __init__(self, core: Core, entities: Entities, queries: Queries) -> None:
        super().__init__(core)
        self.entities = entities
        self.queries = queries

    def batch(self, realm: str, body: Any) -> dict[str, Any]:
        """Every item answered in order, each its own result or Fault."""
        if not isinstance(body, dict) or not isinstance(body.get("BatchItemRequest"), list):
            raise faults.malformed_request("A batch needs a BatchItemRequest list")
        items = body["BatchItemRequest"]
        limit = self.config.limits.batch_items
        if len(items) > limit:
            raise QBOFault(
                "1002",
                "Batch size limit exceeded",
                f"A batch may hold at most {limit} items; this one holds {len(items)}",
            )
        answers = []
        rows = 0
        for item in items:
            self.core.rows_returned = 0
            answers.append(self._batch_item(realm, item))
            rows += self.core.rows_returned
        # the per-row latency counts every item's rows, not only the last query's
        self.core.rows_returned = rows
        return {"BatchItemResponse": answers, "time": clock.qbo_now(self.tz)}

    def _batch_item(self, realm: str, item: Any) -> dict[str, Any]:
        if not isinstance(item, dict):
            return {"Fault": faults.malformed_request("A batch item must be a JSON object").fault()}
        bid = item.get("bId")
        answer: dict[str, Any] = {"bId": bid}
        try:
            if "Query" in item:
                answer["QueryResponse"] = json.loads(self.queries.inner(realm, str(item["Query"])))
                return answer
            entity = next((k for k in item if catalog.find(k) is not None and k[0].isupper()), None)
            if entity is None:
                raise faults.malformed_request("A batch item needs an entity or a Query")
            spec = catalog.get(entity)
            operation = str(item.get("operation", "create")).lower()
            options = str(item.get("optionsData", "")).lower()
            payload = item[entity]
            if not spec.has_id and not spec.is_singleton:
                # ExchangeRate: keyed by currency and date, set (never created or deleted) by an update
                if operation != "update":
                    raise faults.unsupported_operation(
                        f"Operation {operation} is not supported for {spec.name}"
                    )
                answer[spec.name] = self.entities.update_keyed(realm, spec, payload)
            elif operation == "create":
                # a RecurringTransaction's Id is inside its template ({"Invoice": {"Id": ...}})
                if isinstance(payload, dict) and unwrap(spec, payload).get("Id"):
                    raise faults.malformed_request("A create must not carry an Id")
                answer.update(self.entities.write(realm, spec, payload, None, None))
            elif operation == "update":
                # checked first: without an Id, write() would create the object
                if not isinstance(payload, dict) or not unwrap(spec, payload).get("Id"):
                    raise faults.required_missing("Id")
                answer.update(
                    self.entities.write(realm, spec, payload, None, "void" if options == "void" else None)
                )
            elif operation == "delete":
                answer.update(self.entities.write(realm, spec, payload, "delete", None))
            else:
                raise faults.unsupported_operation(f"Operation {operation} is not supported in a batch")
        except QBOFault as fault:
            return {"bId": bid, "Fault": fault.fault()}
        return answer
