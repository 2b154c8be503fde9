"""Copying a whole company: the sample company read from one realm, written into an empty one.

The source is read over HTTP the way tap-quickbooks reads it (every object, paged, with a
top-level LastUpdatedTime; streams in alphabetical order, so bills come before vendors and
invoices before customers) and written with the target in copy mode. Afterwards the two
companies' trial balances are equal and every object the API can create has the same count; a
second run changes nothing.

Not copied, because the API cannot create them: CompanyInfo, Company and Preferences (a company
has exactly one, made with it; an empty sandbox realm has none), Budget (read-only through the
API), TaxReturn (made by QuickBooks' tax engine), CustomerType and ReimburseCharge (read-only
through the API: QuickBooks makes a ReimburseCharge from a billable expense line), and a TaxRate no
TaxCode uses (rates are created only with the tax code that uses them, through the TaxService).
Each is dead-lettered with that reason. The sample holds no TaxPayment (a US company has none).
RecurringTransaction templates are copied, wrapped in their transaction type as the API takes them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qbo_client import catalog
from qbo_client.client import QBOClient
from qbo_sandbox.testing import RunningSandbox
from tq_helpers import (
    Message,
    company_digest,
    count,
    dead_letters,
    reader,
    record,
    rows,
    run_target,
    schema,
    state,
    tap_record,
    target_config,
)

NOT_CREATABLE = {
    "CompanyInfo",
    "Company",
    "Preferences",
    "Budget",
    "TaxReturn",
    "CustomerType",
    "ReimburseCharge",
}


def export_company(client: QBOClient) -> list[Message]:
    """The Singer messages tap-quickbooks would send for a whole company."""
    messages: list[Message] = []
    for spec in sorted(catalog.OBJECTS, key=lambda s: s.name):
        if spec.is_singleton:
            path = "preferences" if spec.name == "Preferences" else f"{spec.path}/{client.realm_id}"
            found = [client.request("GET", path)[spec.name]]
        elif spec.query:
            found = rows(client, spec.name)
        else:
            continue
        messages.append(schema(spec.name))
        messages.extend(record(spec.name, tap_record(row)) for row in found)
        messages.append(state({"bookmarks": {spec.name: {"replication_key_value": "2099-01-01"}}}))
    return messages


def trial_balance(client: QBOClient) -> list[tuple[str, str, str]]:
    report = client.report("TrialBalance", {"start_date": "2000-01-01", "end_date": "2099-12-31"})
    out: list[tuple[str, str, str]] = []

    def walk(block: dict[str, Any]) -> None:
        for row in (block.get("Rows") or {}).get("Row") or []:
            if row.get("type") == "Data":
                cells = [c.get("value", "") for c in row["ColData"]]
                out.append((cells[0], cells[1], cells[2]))
            else:
                walk(row)
            summary = row.get("Summary")
            if summary:
                cells = [c.get("value", "") for c in summary["ColData"]]
                out.append((cells[0], cells[1], cells[2]))

    walk(report)
    return sorted(out)


def test_copy_of_the_sample_company_has_the_same_books(qbo_sandbox: RunningSandbox, tmp_path: Path) -> None:
    source_config = target_config(qbo_sandbox, tmp_path)
    source = reader(source_config)
    messages = export_company(source)
    empty_realm = qbo_sandbox.sandbox.store.create_realm()
    config = target_config(qbo_sandbox, tmp_path, realm=empty_realm, source_realm_id=qbo_sandbox.realm)
    copy = reader(config)

    first = run_target(config, messages)

    dead = dead_letters(config)
    assert {d["object"] for d in dead} == NOT_CREATABLE | {"TaxRate"}
    (unused_rate,) = [d for d in dead if d["object"] == "TaxRate"]
    assert "TaxService" in unused_rate["reason"]
    assert all(d["reason"] and d["code"] for d in dead)
    assert trial_balance(copy) == trial_balance(source)
    for spec in catalog.OBJECTS:
        if spec.name in NOT_CREATABLE or not spec.query:
            continue
        expected = count(source, spec.name) - (1 if spec.name == "TaxRate" else 0)
        assert count(copy, spec.name) == expected, spec.name
    # the copy's references point into the copy: every invoice's customer has the same name
    source_customers = {c["Id"]: c["DisplayName"] for c in rows(source, "Customer")}
    copy_customers = {c["Id"]: c["DisplayName"] for c in rows(copy, "Customer")}
    assert sorted(source_customers[i["CustomerRef"]["value"]] for i in rows(source, "Invoice")) == sorted(
        copy_customers[i["CustomerRef"]["value"]] for i in rows(copy, "Invoice")
    )
    assert first.states[-1] == messages[-1]["value"]

    digest = company_digest(copy)
    second = run_target(config, messages)

    assert company_digest(copy) == digest  # nothing created twice, nothing changed
    assert second.counts.get("create", 0) == 0
    assert second.counts.get("update", 0) == 0
