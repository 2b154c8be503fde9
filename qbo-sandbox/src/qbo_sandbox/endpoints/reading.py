"""Reads of one object: by Id, the per-company singletons, and exchange rates by currency and date."""

from __future__ import annotations

from typing import Any

from qbo_client.catalog import ObjectSpec

from qbo_sandbox import clock, faults

from .core import Endpoint


class Reads(Endpoint):
    """``GET {entity}/{id}``, ``companyinfo``, ``preferences`` and ``exchangerate``."""

    def read(self, realm: str, spec: ObjectSpec, id_text: str) -> dict[str, Any]:
        """An object by Id, with what QBO computes at read time."""
        if not spec.read:
            raise faults.unsupported_operation(f"Operation Read is not supported for {spec.name}")
        row = self.core.live_row(realm, spec, self.core.parse_id(id_text))
        return self.core.overlay(realm, spec, row.payload())

    def read_singleton(self, realm: str, entity: str) -> dict[str, Any]:
        """CompanyInfo, Company or Preferences: the one the company has."""
        row = self.store.singleton(realm, entity)
        if row is None:
            raise faults.object_not_found(entity, "1")
        return row.payload()

    def exchange_rate(self, realm: str, source: str, as_of: str | None) -> dict[str, Any]:
        """The rate of a currency on a date: the latest one on or before it (QBO's rule)."""
        if not source:
            raise faults.required_missing("sourcecurrencycode")
        day = as_of or clock.today(self.tz).isoformat()
        best: dict[str, Any] | None = None
        for rate in self.store.iter_payloads(realm, "ExchangeRate"):
            if str(rate.get("SourceCurrencyCode", "")).upper() != source.upper():
                continue
            when = str(rate.get("AsOfDate", ""))
            if when <= day and (best is None or when > str(best.get("AsOfDate", ""))):
                best = rate
        if best is None:
            raise faults.object_not_found("ExchangeRate", f"{source} {day}")
        best.pop("Id", None)
        return best
