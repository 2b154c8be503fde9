"""Custom fields given as columns (``custom_crew``) are written back by name, as the company's own
``CustomField`` entries."""

from __future__ import annotations

import copy
from typing import Any

from qbo_client.client import QBOClient
from tq_helpers import dead_letters, record, rows, run_target, schema

SERVICES_LINE = {
    "Amount": 40.0,
    "DetailType": "SalesItemLineDetail",
    "SalesItemLineDetail": {"ItemRef": {"name": "Services"}, "Qty": 2, "UnitPrice": 20.0},
}


def invoice(doc: str, customer: str, **columns: Any) -> dict[str, Any]:
    return {"DocNumber": doc, "CustomerRef": {"name": customer}, "Line": [dict(SERVICES_LINE)], **columns}


def rename_custom_fields(company: QBOClient, names: dict[str, str]) -> None:
    """Define the sales forms' custom fields: number -> name (the others turned off)."""
    prefs = company.preferences()
    sales = copy.deepcopy(prefs["SalesFormsPrefs"])
    fields: list[dict[str, Any]] = []
    for n in ("1", "2", "3"):
        on = n in names
        fields.append(
            {"Name": f"SalesFormsPrefs.UseSalesCustom{n}", "Type": "BooleanType", "BooleanValue": on}
        )
        if on:
            fields.append(
                {"Name": f"SalesFormsPrefs.SalesCustomName{n}", "Type": "StringType", "StringValue": names[n]}
            )
    sales["CustomField"] = [{"CustomField": fields}]
    company.update(
        "Preferences",
        {"Id": prefs["Id"], "SyncToken": prefs["SyncToken"], "sparse": True, "SalesFormsPrefs": sales},
    )


def test_columns_are_written_as_the_companys_custom_fields_by_name(
    config: dict[str, Any], company: QBOClient
) -> None:
    # In this company "Crew #" is the third field: a record from a company where it is the first
    # (its CustomField says DefinitionId 1) still lands in "Crew #".
    rename_custom_fields(company, {"2": "Region", "3": "Crew #"})
    customer = rows(company, "Customer", "Active = true")[0]["DisplayName"]
    source_entries = [{"DefinitionId": "1", "Name": "Crew #", "Type": "StringType", "StringValue": "old"}]
    messages = [
        schema("invoices", "Invoice"),
        record("invoices", invoice("CF-1", customer, custom_crew="115", CustomField=source_entries)),
        record("invoices", invoice("CF-2", customer, custom_crew="7", custom_region="North")),
        record("invoices", invoice("CF-3", customer, custom_crew=None)),
        record("invoices", invoice("CF-4", customer, custom_po_number="PO-9")),
    ]

    run = run_target(config, messages)

    def fields(doc: str) -> list[tuple[str, str, str]]:
        (found,) = rows(company, "Invoice", f"DocNumber = '{doc}'")
        return [
            (f["DefinitionId"], f["Name"], f.get("StringValue", "")) for f in found.get("CustomField", [])
        ]

    assert fields("CF-1") == [("3", "Crew #", "115")]
    assert fields("CF-2") == [("2", "Region", "North"), ("3", "Crew #", "7")]
    assert fields("CF-3") == []
    assert rows(company, "Invoice", "DocNumber = 'CF-4'") == []
    (dead,) = dead_letters(config)
    assert dead["code"] == "2010"
    assert "custom_po_number names no custom field of Invoice" in dead["reason"]
    assert "'Region', 'Crew #'" in dead["reason"]
    assert run.counts["create"] == 3
