"""Tax codes and tax rates, which QuickBooks creates only together, through the TaxService.

``POST taxservice/taxcode`` makes a TaxCode with its rates: existing ones by ``TaxRateId``, new
ones by name, value and agency. A TaxRate record that matches no existing rate is therefore kept
aside until the TaxCode that uses it is written; one that no TaxCode uses cannot be created.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .records import PendingRecord, RecordError

RATE_LISTS = ("SalesTaxRateList", "PurchaseTaxRateList")


@dataclass
class StashedRate:
    """A TaxRate record waiting for the TaxCode that creates it."""

    record: PendingRecord
    payload: dict[str, Any]  # references resolved (AgencyRef holds the target agency's Id)


class RateStash:
    """TaxRate records to create with their TaxCode, by source Id and by name."""

    def __init__(self) -> None:
        self._by_id: dict[str, StashedRate] = {}
        self._by_name: dict[str, StashedRate] = {}

    def add(self, rate: StashedRate) -> None:
        if rate.record.source_id:
            self._by_id[str(rate.record.source_id)] = rate
        name = rate.payload.get("Name")
        if isinstance(name, str) and name:
            self._by_name[name.casefold()] = rate

    def find(self, ref: dict[str, Any]) -> StashedRate | None:
        value = str(ref.get("value") or "")
        if value and value in self._by_id:
            return self._by_id[value]
        name = str(ref.get("name") or "")
        return self._by_name.get(name.casefold()) if name else None

    def remove(self, rate: StashedRate) -> None:
        self._by_id = {k: v for k, v in self._by_id.items() if v is not rate}
        self._by_name = {k: v for k, v in self._by_name.items() if v is not rate}

    def pending(self) -> list[StashedRate]:
        seen: dict[int, StashedRate] = {}
        for rate in [*self._by_id.values(), *self._by_name.values()]:
            seen.setdefault(id(rate), rate)
        return sorted(seen.values(), key=lambda r: r.record.seq)

    def __bool__(self) -> bool:
        return bool(self._by_id or self._by_name)


def take_new_rates(payload: dict[str, Any], stash: RateStash) -> list[StashedRate]:
    """Remove from a TaxCode payload the rate details whose rate is still to be created, in order."""
    new: list[StashedRate] = []
    for list_name in RATE_LISTS:
        block = payload.get(list_name)
        details = block.get("TaxRateDetail") if isinstance(block, dict) else None
        if not isinstance(details, list):
            continue
        kept = []
        for detail in details:
            ref = detail.get("TaxRateRef") if isinstance(detail, dict) else None
            rate = stash.find(ref) if isinstance(ref, dict) else None
            if rate is None:
                kept.append(detail)
            elif rate not in new:
                new.append(rate)
        if isinstance(block, dict):
            block["TaxRateDetail"] = kept
    return new


def taxservice_body(payload: dict[str, Any], new_rates: list[StashedRate]) -> dict[str, Any]:
    """The TaxService request that creates a TaxCode with its rates."""
    name = payload.get("Name")
    if not isinstance(name, str) or not name:
        raise RecordError("a new TaxCode needs a Name (QuickBooks answers 2020)", code="2020", element="Name")
    details: list[dict[str, Any]] = []
    for list_name in RATE_LISTS:
        block = payload.get(list_name)
        given = block.get("TaxRateDetail") if isinstance(block, dict) else None
        for detail in given if isinstance(given, list) else []:
            rate_id = str((detail.get("TaxRateRef") or {}).get("value") or "")
            if rate_id:
                details.append(
                    {
                        "TaxRateId": rate_id,
                        "TaxApplicableOn": "Sales" if list_name.startswith("Sales") else "Purchase",
                    }
                )
    for rate in new_rates:
        agency = str((rate.payload.get("AgencyRef") or {}).get("value") or "")
        if not agency:
            raise RecordError(
                f"TaxRate {rate.payload.get('Name')!r} has no AgencyRef: QuickBooks needs the tax agency to "
                "create a rate (2020)",
                code="2020",
                element="AgencyRef",
            )
        details.append(
            {
                "TaxRateName": rate.payload.get("Name"),
                "RateValue": rate.payload.get("RateValue"),
                "TaxAgencyId": agency,
                "TaxApplicableOn": "Sales",
            }
        )
    if not details:
        raise RecordError(
            f"TaxCode {name!r} has no tax rate: QuickBooks creates a tax code with at least one rate (2020)",
            code="2020",
            element="SalesTaxRateList",
        )
    return {"TaxCode": name, "TaxRateDetails": details}
