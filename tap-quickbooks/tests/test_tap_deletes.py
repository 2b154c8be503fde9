"""Changes and deletes: the shared CDC request, its cap, and Id reconciliation past CDC's 30 days."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from qbo_sandbox.testing import RunningSandbox
from tap_harness import Api, run_tap, sandbox_rows, selected_catalog, tap_config
from tap_quickbooks.online.deletes import DELETED_AT, STATE_KEY, decode_ids
from tap_quickbooks.times import add_seconds


@pytest.fixture
def api(qbo_sandbox: RunningSandbox) -> Any:
    client = Api(qbo_sandbox)
    yield client
    client.close()


def some_ids(running: RunningSandbox, entity: str, n: int) -> list[str]:
    return sorted(sandbox_rows(running, entity), key=int)[:n]


def with_bookmark(state: dict[str, Any], stream: str, value: str) -> dict[str, Any]:
    copied: dict[str, Any] = {"bookmarks": {k: dict(v) for k, v in state["bookmarks"].items()}}
    copied["bookmarks"][stream]["replication_key_value"] = value
    return copied


def forty_days_before(moment: str) -> str:
    return add_seconds(moment, -40 * 24 * 3600)


def test_deleted_invoice_comes_out_of_cdc_as_a_record_with_sdc_deleted_at(
    qbo_sandbox: RunningSandbox, tmp_path: Path, api: Api
) -> None:
    config = tap_config(qbo_sandbox, tmp_path)
    selection = selected_catalog(config)
    first = run_tap(qbo_sandbox, config, catalog_dict=selection)
    gone = some_ids(qbo_sandbox, "Invoice", 1)[0]
    customer = some_ids(qbo_sandbox, "Customer", 1)[0]
    api.delete("Invoice", gone)
    edited = api.touch("Customer", customer, Notes="changed")
    second = run_tap(qbo_sandbox, config, state=first.state, catalog_dict=selection)
    assert second.requests <= 2, "one CDC request and one batch, whatever changed"
    [deleted] = second.deleted("Invoice")
    assert set(deleted) == {"Id", "LastUpdatedTime", DELETED_AT}
    assert deleted["Id"] == gone
    assert deleted[DELETED_AT] == deleted["LastUpdatedTime"] >= first.upper_bound
    assert [(r["Id"], r["SyncToken"]) for r in second.live("Customer")] == [(customer, edited["SyncToken"])]


def test_without_include_deletes_there_are_no_delete_records_nor_the_column(
    qbo_sandbox: RunningSandbox, tmp_path: Path, api: Api
) -> None:
    config = tap_config(qbo_sandbox, tmp_path, include_deletes=False)
    first = run_tap(qbo_sandbox, config, catalog_dict=selected_catalog(config, ["Invoice"]))
    api.delete("Invoice", some_ids(qbo_sandbox, "Invoice", 1)[0])
    second = run_tap(
        qbo_sandbox, config, state=first.state, catalog_dict=selected_catalog(config, ["Invoice"])
    )
    [schema] = [m for m in second.messages if m["type"] == "SCHEMA"]
    assert DELETED_AT not in schema["schema"]["properties"]
    assert second.records["Invoice"] == []


def test_cdc_answering_its_cap_falls_back_to_queries(
    qbo_sandbox: RunningSandbox, tmp_path: Path, api: Api
) -> None:
    qbo_sandbox.sandbox.config.cdc_max_per_entity = 3
    config = tap_config(qbo_sandbox, tmp_path, cdc_max_per_entity=3, page_size=2)
    selection = selected_catalog(config, ["Customer", "Invoice"])
    first = run_tap(qbo_sandbox, config, catalog_dict=selection)
    edited = {
        c: api.touch("Customer", c, Notes="bulk edit")["SyncToken"]
        for c in some_ids(qbo_sandbox, "Customer", 6)
    }
    invoice = some_ids(qbo_sandbox, "Invoice", 1)[0]
    invoice_token = api.touch("Invoice", invoice, PrivateNote="one edit")["SyncToken"]
    second = run_tap(qbo_sandbox, config, state=first.state, catalog_dict=selection)
    # CDC held only 3 of the 6 customers: the stream read them by query instead.
    assert {r["Id"]: r["SyncToken"] for r in second.records["Customer"]} == edited
    assert [(r["Id"], r["SyncToken"]) for r in second.records["Invoice"]] == [(invoice, invoice_token)]


def test_bookmark_older_than_cdc_reach_warns_that_deletes_need_reconcile(
    qbo_sandbox: RunningSandbox, tmp_path: Path, api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    config = tap_config(qbo_sandbox, tmp_path)
    selection = selected_catalog(config, ["Invoice"])
    first = run_tap(qbo_sandbox, config, catalog_dict=selection)
    api.delete("Invoice", some_ids(qbo_sandbox, "Invoice", 1)[0])
    old = with_bookmark(first.state, "Invoice", forty_days_before(first.upper_bound))
    with caplog.at_level(logging.WARNING):
        second = run_tap(qbo_sandbox, config, state=old, catalog_dict=selection)
    warnings = [
        r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "Invoice" in r.getMessage()
    ]
    assert any("cannot come from CDC" in w and "reconcile_deletes: true" in w for w in warnings)
    assert second.deleted("Invoice") == []  # the delete cannot be seen this way
    assert second.live("Invoice"), "records changed in the last 40 days are read by query"


def test_reconcile_deletes_finds_deletes_cdc_cannot_report_and_no_others(
    qbo_sandbox: RunningSandbox, tmp_path: Path, api: Api
) -> None:
    config = tap_config(qbo_sandbox, tmp_path, reconcile_deletes=True, page_size=20)
    selection = selected_catalog(config, ["Invoice", "TimeActivity", "Customer"])
    first = run_tap(qbo_sandbox, config, catalog_dict=selection)
    baseline = decode_ids(first.state["bookmarks"]["Invoice"][STATE_KEY])
    assert {str(i) for i in baseline} == set(sandbox_rows(qbo_sandbox, "Invoice"))
    assert STATE_KEY not in first.state["bookmarks"]["Customer"], "customers are never deleted"

    # Within CDC's reach the delete comes from CDC and the remembered Ids follow it.
    by_cdc, by_ids = some_ids(qbo_sandbox, "Invoice", 2)
    api.delete("Invoice", by_cdc)
    second = run_tap(qbo_sandbox, config, state=first.state, catalog_dict=selection)
    assert [r["Id"] for r in second.deleted("Invoice")] == [by_cdc]
    assert int(by_cdc) not in decode_ids(second.state["bookmarks"]["Invoice"][STATE_KEY])

    # Past CDC's reach (and for TimeActivity, which CDC never covers) only the Id sets tell.
    activity = some_ids(qbo_sandbox, "TimeActivity", 1)[0]
    api.delete("Invoice", by_ids)
    api.delete("TimeActivity", activity)
    api.touch("Invoice", some_ids(qbo_sandbox, "Invoice", 1)[0], PrivateNote="still here")
    old = with_bookmark(second.state, "Invoice", forty_days_before(second.upper_bound))
    third = run_tap(qbo_sandbox, config, state=old, catalog_dict=selection)
    assert [r["Id"] for r in third.deleted("Invoice")] == [by_ids]
    assert [r["Id"] for r in third.deleted("TimeActivity")] == [activity]
    assert third.deleted("Invoice")[0][DELETED_AT] == third.upper_bound
    remembered = decode_ids(third.state["bookmarks"]["Invoice"][STATE_KEY])
    assert {str(i) for i in remembered} == set(sandbox_rows(qbo_sandbox, "Invoice"))
