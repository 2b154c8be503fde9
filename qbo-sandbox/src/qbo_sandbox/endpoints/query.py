"""The query endpoint: QBO's SQL-like language compiled to SQLite, rows answered as stored (or projected)."""

from __future__ import annotations

import json

from qbo_sandbox import clock
from qbo_sandbox.querying import compile_query, parse_query, project

from .core import Endpoint, dumps


class Queries(Endpoint):
    """``GET/POST query``: the answer as JSON text, Account balances filled in."""

    def query(self, realm: str, text: str) -> str:
        """The answer to a query as JSON text (rows are joined as stored: no re-serialising)."""
        inner = self.inner(realm, text)
        return '{"QueryResponse":' + inner + ',"time":' + dumps(clock.qbo_now(self.tz)) + "}"

    def inner(self, realm: str, text: str) -> str:
        """The ``QueryResponse`` object of a query as JSON text (the batch endpoint answers it too)."""
        compiled = compile_query(realm, parse_query(text))
        with self.store.db.read() as conn:
            if compiled.count:
                total = conn.execute(compiled.sql, compiled.args).fetchone()[0]
                return dumps({"totalCount": total})
            rows = [r[0] for r in conn.execute(compiled.sql, compiled.args)]
        self.core.rows_returned = len(rows)
        if not rows:
            return "{}"
        if compiled.spec.name == "Account" or compiled.fields is not None:
            payloads = [json.loads(r) for r in rows]
            if compiled.spec.name == "Account":
                self.core.overlay_accounts(realm, payloads)
            if compiled.fields is not None:
                payloads = [project(p, compiled.fields) for p in payloads]
            rows = [dumps(p) for p in payloads]
        return (
            "{" + dumps(compiled.spec.name) + ":[" + ",".join(rows) + "],"
            f'"startPosition":{compiled.start_position},"maxResults":{len(rows)}' + "}"
        )
