"""The TaxService endpoint: a TaxCode and its new TaxRates created in one request."""

from __future__ import annotations

from typing import Any

from qbo_client import catalog

from qbo_sandbox import clock, faults

from .core import Endpoint


class TaxService(Endpoint):
    """``POST taxservice/taxcode``."""

    def create_tax_code(self, realm: str, body: Any) -> dict[str, Any]:
        """``POST taxservice/taxcode``: create a TaxCode with new TaxRates in one go."""
        if not isinstance(body, dict):
            raise faults.malformed_request("The TaxService body must be a JSON object")
        name = body.get("TaxCode")
        details = body.get("TaxRateDetails")
        if not isinstance(name, str) or not name.strip():
            raise faults.required_missing("TaxCode")
        if not isinstance(details, list) or not details:
            raise faults.required_missing("TaxRateDetails")
        code_spec, rate_spec = catalog.get("TaxCode"), catalog.get("TaxRate")
        with self.store.db.tx() as conn:
            for existing in self.store.iter_payloads(realm, "TaxCode"):
                if str(existing.get("Name", "")).casefold() == name.casefold():
                    raise faults.duplicate_name()
            stamp = clock.metadata_time(self.core.now())
            rate_refs = []
            answered = []
            for detail in details:
                if not isinstance(detail, dict):
                    raise faults.malformed_request("Each TaxRateDetails item must be an object")
                rate_id = str(detail.get("TaxRateId") or "")
                if rate_id:
                    rate = self.store.get(realm, "TaxRate", rate_id)
                    if rate is None:
                        raise faults.invalid_reference("TaxRate", rate_id, "TaxRateId")
                else:
                    agency = str(detail.get("TaxAgencyId") or "")
                    if self.store.get(realm, "TaxAgency", agency) is None:
                        raise faults.invalid_reference("TaxAgency", agency, "TaxAgencyId")
                    try:
                        value = float(str(detail.get("RateValue")))
                    except (TypeError, ValueError) as exc:
                        raise faults.malformed_request("RateValue must be a number") from exc
                    new_id = self.store.next_id(realm, rate_spec)
                    rate = {
                        "Name": str(detail.get("TaxRateName") or f"{name} rate"),
                        "Active": True,
                        "RateValue": value,
                        "AgencyRef": {"value": agency},
                        "SpecialTaxType": "NONE",
                        "DisplayType": "ReadOnly",
                        "domain": "QBO",
                        "sparse": False,
                        "Id": str(new_id),
                        "SyncToken": "0",
                        "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
                    }
                    self.store.put(conn, realm, rate_spec, new_id, rate)
                rate_refs.append(
                    {
                        "TaxRateRef": {"value": rate["Id"], "name": rate["Name"]},
                        "TaxTypeApplicable": "TaxOnAmount",
                        "TaxOrder": 0,
                    }
                )
                answered.append(
                    {
                        "TaxRateName": rate["Name"],
                        "TaxRateId": rate["Id"],
                        "RateValue": rate.get("RateValue"),
                        "TaxAgencyId": (rate.get("AgencyRef") or {}).get("value"),
                        "TaxApplicableOn": detail.get("TaxApplicableOn", "Sales"),
                    }
                )
            code_id = self.store.next_id(realm, code_spec)
            code = {
                "Name": name,
                "Description": name,
                "Active": True,
                "Taxable": True,
                "TaxGroup": len(rate_refs) > 1,
                "SalesTaxRateList": {"TaxRateDetail": rate_refs},
                "PurchaseTaxRateList": {"TaxRateDetail": []},
                "domain": "QBO",
                "sparse": False,
                "Id": str(code_id),
                "SyncToken": "0",
                "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
            }
            self.store.put(conn, realm, code_spec, code_id, code)
        return {"TaxCode": name, "TaxCodeId": str(code_id), "TaxRateDetails": answered}
