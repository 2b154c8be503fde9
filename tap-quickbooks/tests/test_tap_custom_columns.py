"""Custom fields as columns (``custom_fields_as_columns``): named after the company's definitions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qbo_client import custom_fields
from qbo_sandbox.testing import RunningSandbox
from tap_harness import Api, run_tap, sandbox_rows, selected_catalog, tap_config
from tap_quickbooks.tap import TapQuickBooks


def crew_values(running: RunningSandbox, entity: str) -> dict[str, str | None]:
    found = {}
    for id_, row in sandbox_rows(running, entity).items():
        entry = next((c for c in row.get("CustomField") or [] if c.get("DefinitionId") == "1"), {})
        found[id_] = entry.get("StringValue")
    return found


def discovered(config: dict[str, Any]) -> dict[str, Any]:
    tap = TapQuickBooks(config=config)
    return {entry["tap_stream_id"]: entry["schema"] for entry in tap.catalog_dict["streams"]}


def test_each_custom_field_is_a_column_named_after_it(qbo_sandbox: RunningSandbox, tmp_path: Path) -> None:
    config = tap_config(qbo_sandbox, tmp_path, custom_fields_as_columns=True)
    schemas = discovered(config)
    for form in custom_fields.SALES_FORMS:
        assert "custom_crew" in schemas[form]["properties"], form
    assert not [p for p in schemas["PurchaseOrder"]["properties"] if p.startswith("custom_")]
    assert "custom_crew" not in schemas["Customer"]["properties"]

    selection = selected_catalog(config, ["Invoice", "Estimate"])
    selection["streams"] = [s for s in selection["streams"] if s["tap_stream_id"] in schemas]
    for stream in selection["streams"]:
        stream["schema"] = schemas[stream["tap_stream_id"]]
    run = run_tap(qbo_sandbox, config, catalog_dict=selection)
    expected = crew_values(qbo_sandbox, "Invoice")
    assert {r["Id"]: r["custom_crew"] for r in run.records["Invoice"]} == expected
    assert any(v is not None for v in expected.values())
    assert any(v is None for v in expected.values())
    [schema] = [m["schema"] for m in run.messages if m["type"] == "SCHEMA" and m["stream"] == "Invoice"]
    assert schema["properties"]["custom_crew"]["type"] == ["string", "null"]
    assert all("CustomField" in r or r["custom_crew"] is None for r in run.records["Invoice"])


def test_columns_follow_the_companys_definitions_and_are_off_by_default(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    assert "custom_crew" not in discovered(tap_config(qbo_sandbox, tmp_path))["Invoice"]["properties"]

    api = Api(qbo_sandbox)
    try:
        prefs = api.rows("SELECT * FROM Preferences")[0]
        sales = json.loads(json.dumps(prefs["SalesFormsPrefs"]))
        fields = sales["CustomField"][0]["CustomField"]
        fields.extend(
            [
                {"Name": "SalesFormsPrefs.UseSalesCustom2", "Type": "BooleanType", "BooleanValue": True},
                {
                    "Name": "SalesFormsPrefs.SalesCustomName2",
                    "Type": "StringType",
                    "StringValue": "P.O. Number",
                },
            ]
        )
        api.post(
            "preferences",
            {"Id": prefs["Id"], "SyncToken": prefs["SyncToken"], "sparse": True, "SalesFormsPrefs": sales},
        )
    finally:
        api.close()
    schemas = discovered(tap_config(qbo_sandbox, tmp_path, custom_fields_as_columns=True))
    columns = [p for p in schemas["SalesReceipt"]["properties"] if p.startswith("custom_")]
    assert columns == ["custom_crew", "custom_p_o_number"]
