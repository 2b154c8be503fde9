"""Tax codes and tax rates, which QuickBooks Online creates only together, through the TaxService.

``POST taxservice/taxcode`` makes a TaxCode with its rates: existing ones by ``TaxRateId``, new
ones by name, value and agency. A TaxRate record that matches no existing rate is therefore kept
aside until the TaxCode that uses it is written (:class:`TaxRateHooks`); one that no TaxCode uses
cannot be created (:meth:`TaxCodeHooks.leftovers`). These are the edition's hooks for the two
objects: the writer never names them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from qbo_client.client import QBOClient

from target_quickbooks import plan
from target_quickbooks.edition import NameIndex, RunContext
from target_quickbooks.plan import Action, Step
from target_quickbooks.records import PendingRecord, RecordError

from .hooks import OnlineObjectHooks

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


class TaxRateHooks(OnlineObjectHooks):
    """A new TaxRate waits, out of the spool, for the TaxCode that creates it."""

    def __init__(self, stash: RateStash) -> None:
        self.stash = stash

    def hold(self, step: Step) -> bool:
        if step.action is not Action.CREATE:
            return False
        self.stash.add(StashedRate(step.record, step.payload))
        return True


class TaxCodeHooks(OnlineObjectHooks):
    """A new TaxCode is created through the TaxService, with the new rates it uses."""

    def __init__(self, stash: RateStash, run: RunContext, names: Callable[[], NameIndex]) -> None:
        self.stash = stash
        self.run = run
        self._names = names
        #: The new rates each TaxCode record (by ``seq``) creates, for the records being written.
        self.new_rates: dict[int, list[StashedRate]] = {}

    def prepare(self, records: list[PendingRecord]) -> list[PendingRecord]:
        """The rates still to be created taken out of each record's rate lists (kept by ``seq``)."""
        self.new_rates = {}
        if not self.stash:
            return records
        return [self._with_new_rates_taken(r) for r in records]

    def _with_new_rates_taken(self, record: PendingRecord) -> PendingRecord:
        payload = json.loads(json.dumps(record.payload))
        found = take_new_rates(payload, self.stash)
        if not found:
            return record
        self.new_rates[record.seq] = found
        return PendingRecord(
            record.seq,
            record.stream,
            record.object,
            record.operation,
            record.source_id,
            payload,
            record.natural_key,
            record.record,
        )

    def direct(self, step: Step) -> bool:
        return step.action is Action.CREATE

    def send(self, client: QBOClient, realm: str, step: Step) -> dict[str, Any]:
        rates = self.new_rates.get(step.record.seq, [])
        body = taxservice_body(step.payload, rates)
        answer = client.request(
            "POST", "taxservice/taxcode", json_body=body, params={"requestid": plan.request_id(realm, [body])}
        )
        self._created(rates, answer)
        return {**step.payload, "Id": str(answer.get("TaxCodeId", "")), "Name": answer.get("TaxCode")}

    def _created(self, rates: list[StashedRate], answer: dict[str, Any]) -> None:
        """The rates the TaxService made with a code: counted, mapped and named like written records."""
        details = answer.get("TaxRateDetails") or []
        created = [d for d in details if d.get("TaxRateName")][-len(rates) :] if rates else []
        settings = self.run.settings
        pairs = []
        for rate, detail in zip(rates, created, strict=False):
            self.stash.remove(rate)
            new_id = str(detail.get("TaxRateId"))
            self.run.counts["create"] += 1
            self.run.counts["records"] += 1
            if rate.record.source_id and settings.copy_mode:
                pairs.append(("TaxRate", str(rate.record.source_id), new_id))
            self._names().remember("TaxRate", {"Id": new_id, "Name": detail.get("TaxRateName")})
        self.run.ledger.put(pairs, persist=not settings.dry_run)

    def pretended(self, step: Step) -> None:
        """Dry run: the rates the code would create are done, with placeholder Ids in the id map."""
        for rate in self.new_rates.get(step.record.seq, []):
            self.stash.remove(rate)
            if rate.record.source_id:
                placeholder = ("TaxRate", str(rate.record.source_id), f"new:TaxRate:{rate.record.seq}")
                self.run.ledger.put([placeholder], persist=False)

    def waiting(self) -> bool:
        return bool(self.stash)

    def leftovers(self) -> list[tuple[PendingRecord, RecordError, str]]:
        out = []
        for rate in self.stash.pending():
            self.stash.remove(rate)
            error = RecordError(
                "a TaxRate cannot be created on its own: QuickBooks creates tax rates with the tax "
                "code that uses them (TaxService), and no TaxCode in the input uses this one",
                code="500",
            )
            out.append((rate.record, error, "create"))
        return out
