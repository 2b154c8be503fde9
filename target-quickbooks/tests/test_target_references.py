"""References given by name are resolved to Ids, with batched lookups cached for the run."""

from __future__ import annotations

from typing import Any

from qbo_client.client import QBOClient
from tq_helpers import (
    dead_letters,
    record,
    rows,
    run_target,
    schema,
)


def test_references_by_name_resolve_with_a_few_batched_lookups(
    config: dict[str, Any], company: QBOClient
) -> None:
    customers = [c["DisplayName"] for c in rows(company, "Customer", "Active = true")[:3]]
    assert any("'" in name for name in customers)  # "Amy's Bird Sanctuary": an escaped apostrophe
    items = ["Plants and Soil:Sod", "Services"]  # a sub-item by its fully qualified name
    messages = [schema("Invoice")]
    for n in range(60):
        line = {
            "Amount": 20.0,
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"name": items[n % 2]}, "Qty": 2, "UnitPrice": 10.0},
        }
        body = {
            "DocNumber": f"REF-{n}",
            "CustomerRef": {"name": customers[n % 3]},
            "SalesTermRef": {"name": "Net 30"},
            "Line": [line],
        }
        messages.append(record("Invoice", body))

    run = run_target(config, messages)

    assert dead_letters(config) == []
    by_name = {c["DisplayName"]: c["Id"] for c in rows(company, "Customer")}
    item_ids = {i["FullyQualifiedName"]: i["Id"] for i in rows(company, "Item")}
    terms = {t["Name"]: t["Id"] for t in rows(company, "Term")}
    written = sorted(
        rows(company, "Invoice", "DocNumber LIKE 'REF-%'"), key=lambda i: int(i["DocNumber"][4:])
    )
    assert len(written) == 60
    for n, invoice in enumerate(written):
        assert invoice["CustomerRef"]["value"] == by_name[customers[n % 3]]
        assert invoice["Line"][0]["SalesItemLineDetail"]["ItemRef"]["value"] == item_ids[items[n % 2]]
        assert invoice["SalesTermRef"]["value"] == terms["Net 30"]
    # one query per referenced object, one natural-key query, two batches of 30, one token refresh
    assert run.stats["requests"] <= 8
