"""What the QuickBooks Online API does with a request: validation, writes, queries, CDC, batch, reports.

The HTTP layer (``app.py``) only maps paths to these methods; everything a client can observe
about an object's life (Ids, SyncTokens, MetaData, names of inactive rows, ledger postings,
applied payments) is decided in the endpoint families of :mod:`qbo_sandbox.endpoints`, so the
batch endpoint and the plain endpoints behave alike. :class:`Service` is their facade.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from qbo_client.catalog import Kind, ObjectSpec

from .config import SandboxConfig
from .endpoints.batch import Batch
from .endpoints.cdc import ChangeDataCapture
from .endpoints.core import Core, dumps, is_id
from .endpoints.entities import Entities
from .endpoints.loading import Loader
from .endpoints.query import Queries
from .endpoints.reading import Reads
from .endpoints.reporting import Reports
from .endpoints.taxservice import TaxService
from .store import Store


class Service:
    """The QuickBooks Online API over a :class:`Store`: one entry point per endpoint, delegated."""

    def __init__(self, store: Store, config: SandboxConfig) -> None:
        self.core = Core(store, config)
        self.store = store
        self.config = config
        self.entities = Entities(self.core)
        self.reads = Reads(self.core)
        self.queries = Queries(self.core)
        self.changes = ChangeDataCapture(self.core)
        self.batches = Batch(self.core, self.entities, self.queries)
        self.reports = Reports(self.core)
        self.taxes = TaxService(self.core)
        self.loader = Loader(self.core)

    @property
    def rows_returned(self) -> int:
        """How many entities the current thread's last request answered (for per-row latency)."""
        return self.core.rows_returned

    @rows_returned.setter
    def rows_returned(self, value: int) -> None:
        self.core.rows_returned = value

    def spec_for_path(self, segment: str) -> ObjectSpec:
        """The object a URL path segment names."""
        return self.core.spec_for_path(segment)

    # -- reads, query, change data capture -------------------------------------------------------

    def read(self, realm: str, spec: ObjectSpec, id_text: str) -> dict[str, Any]:
        """``GET {entity}/{id}``."""
        return self.reads.read(realm, spec, id_text)

    def read_singleton(self, realm: str, entity: str) -> dict[str, Any]:
        """``GET companyinfo/1``, ``preferences``, ``company``."""
        return self.reads.read_singleton(realm, entity)

    def exchange_rate(self, realm: str, source: str, as_of: str | None) -> dict[str, Any]:
        """``GET exchangerate``."""
        return self.reads.exchange_rate(realm, source, as_of)

    def query(self, realm: str, text: str) -> str:
        """``GET/POST query``: the answer as JSON text."""
        return self.queries.query(realm, text)

    def cdc(self, realm: str, entities: str, changed_since: str) -> dict[str, Any]:
        """``GET cdc``."""
        return self.changes.cdc(realm, entities, changed_since)

    # -- writes ------------------------------------------------------------------------------------

    def write(
        self, realm: str, spec: ObjectSpec, body: Any, operation: str | None, include: str | None
    ) -> dict[str, Any]:
        """``POST {entity}`` with its ``operation``/``include`` options; answers the wrapped object."""
        return self.entities.write(realm, spec, body, operation, include)

    def create(self, realm: str, spec: ObjectSpec, body: dict[str, Any]) -> dict[str, Any]:
        """Create an object."""
        return self.entities.create(realm, spec, body)

    def update(self, realm: str, spec: ObjectSpec, body: dict[str, Any]) -> dict[str, Any]:
        """Update an object (full or sparse)."""
        return self.entities.update(realm, spec, body)

    def delete(self, realm: str, spec: ObjectSpec, body: dict[str, Any]) -> dict[str, Any]:
        """Delete (or inactivate) an object."""
        return self.entities.delete(realm, spec, body)

    def void(self, realm: str, spec: ObjectSpec, body: dict[str, Any]) -> dict[str, Any]:
        """Void a transaction."""
        return self.entities.void(realm, spec, body)

    def update_singleton(self, realm: str, spec: ObjectSpec, body: Any) -> dict[str, Any]:
        """Update CompanyInfo, Company or Preferences."""
        return self.entities.update_singleton(realm, spec, body)

    def update_keyed(self, realm: str, spec: ObjectSpec, body: Any) -> dict[str, Any]:
        """Create or update an exchange rate (no Id: keyed by currency and date)."""
        return self.entities.update_keyed(realm, spec, body)

    def tax_service(self, realm: str, body: Any) -> dict[str, Any]:
        """``POST taxservice/taxcode``."""
        return self.taxes.create_tax_code(realm, body)

    def batch(self, realm: str, body: Any) -> dict[str, Any]:
        """``POST batch``."""
        return self.batches.batch(realm, body)

    # -- reports and loading -----------------------------------------------------------------------

    def report(self, realm: str, name: str, params: Mapping[str, str]) -> dict[str, Any]:
        """``GET reports/{name}``."""
        return self.reports.report(realm, name, params)

    def load(self, realm: str, items: Iterable[tuple[str, dict[str, Any]]]) -> dict[str, int]:
        """Store a company's payloads as given, then post the ledger (seeds and fixtures)."""
        return self.loader.load(realm, items)


__all__ = ["Kind", "Service", "dumps", "is_id"]
