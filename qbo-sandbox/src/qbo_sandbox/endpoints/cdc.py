"""Change data capture: the objects of some types changed since a moment, deleted ones as stubs."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from qbo_client import catalog

from qbo_sandbox import clock, faults
from qbo_sandbox.faults import QBOFault
from qbo_sandbox.querying import invalid_query

from .core import Endpoint


class ChangeDataCapture(Endpoint):
    """``GET cdc?entities=...&changedSince=...``."""

    def cdc(self, realm: str, entities: str, changed_since: str) -> dict[str, Any]:
        """Objects of the listed types changed since a moment, deleted ones as stubs."""
        if not entities.strip():
            raise faults.required_missing("entities")
        if not changed_since:
            raise faults.required_missing("changedSince")
        try:
            since_key = clock.to_utc_key(changed_since)
        except ValueError as exc:
            raise invalid_query(f"changedSince {changed_since} is not a valid date-time") from exc
        oldest = (self.core.now() - timedelta(days=self.config.cdc_window_days)).astimezone(ZoneInfo("UTC"))
        if since_key < oldest.strftime("%Y-%m-%dT%H:%M:%S"):
            raise QBOFault(
                "4001",
                "Invalid query",
                f"QueryValidationError: changedSince {changed_since} is older than "
                f"{self.config.cdc_window_days} days, which is not supported",
            )
        specs = []
        for name in entities.split(","):
            spec = catalog.find(name.strip())
            if spec is None:
                raise invalid_query(f"invalid context declaration: {name.strip()}")
            if not spec.cdc:
                raise invalid_query(f"{spec.name} is not supported by change data capture")
            specs.append(spec)
        answers: list[dict[str, Any]] = []
        cap = self.config.cdc_max_per_entity
        total_rows = 0
        with self.store.db.read() as conn:
            for spec in specs:
                rows = conn.execute(
                    "SELECT id, deleted, updated_utc, data FROM entities WHERE realm_id = ? AND type = ? "
                    "AND updated_utc >= ? ORDER BY deleted, updated_utc, id LIMIT ?",
                    (realm, spec.name, since_key, cap),
                ).fetchall()
                live = [json.loads(r[3]) for r in rows if not r[1]]
                gone = [self._deleted_stub(r[0], r[2], r[3]) for r in rows if r[1]]
                if not rows:
                    continue
                if spec.name == "Account":
                    self.core.overlay_accounts(realm, live)
                total_rows += len(rows)
                answers.append({spec.name: live + gone, "startPosition": 1, "maxResults": len(rows)})
        self.core.rows_returned = total_rows
        return {"CDCResponse": [{"QueryResponse": answers or [{}]}], "time": clock.qbo_now(self.tz)}

    def _deleted_stub(self, id_: int, updated_utc: str, data: str) -> dict[str, Any]:
        when = datetime.fromisoformat(updated_utc + "+00:00").astimezone(self.tz)
        return {
            "domain": "QBO",
            "status": "Deleted",
            "Id": str(id_),
            "MetaData": {"LastUpdatedTime": clock.metadata_time(when)},
        }
