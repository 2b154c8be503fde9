"""A stream filter holds on every path a record can take: the first batch page, the change feed (CDC),
keyset paging and the run's last second, and deletes (CDC's and the Id reconciliation's)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from qbo_sandbox.testing import RunningSandbox
from tap_harness import Api, run_tap, sandbox_rows, selected_catalog, tap_config
from tap_quickbooks.online.deletes import STATE_KEY, decode_ids


@pytest.fixture
def api(qbo_sandbox: RunningSandbox) -> Any:
    client = Api(qbo_sandbox)
    yield client
    client.close()


def invoice_ids(running: RunningSandbox) -> list[str]:
    return sorted(sandbox_rows(running, "Invoice"), key=int)


def test_filter_holds_on_incremental_runs_that_cdc_serves(
    qbo_sandbox: RunningSandbox, tmp_path: Path, api: Api
) -> None:
    kept, other, third = invoice_ids(qbo_sandbox)[:3]
    config = tap_config(qbo_sandbox, tmp_path, stream_filters={"Invoice": f"Id = '{kept}'"})
    selection = selected_catalog(config, ["Invoice", "Customer"])
    first = run_tap(qbo_sandbox, config, catalog_dict=selection)
    assert first.ids("Invoice") == [kept]

    api.touch("Invoice", other, PrivateNote="edited, outside the filter")
    api.touch("Invoice", third, PrivateNote="edited, outside the filter")
    second = run_tap(qbo_sandbox, config, state=first.state, catalog_dict=selection)
    assert second.records["Invoice"] == [], "invoices outside the filter changed: nothing to emit"

    edited = api.touch("Invoice", kept, PrivateNote="edited, inside the filter")
    api.touch("Invoice", other, PrivateNote="edited again")
    third_run = run_tap(qbo_sandbox, config, state=second.state, catalog_dict=selection)
    assert [(r["Id"], r["SyncToken"]) for r in third_run.records["Invoice"]] == [(kept, edited["SyncToken"])]
    assert third_run.requests <= 2, "the filtered stream rides in the run's batch, next to CDC"


def test_filter_holds_when_paging_and_in_the_runs_last_second(
    qbo_sandbox: RunningSandbox, tmp_path: Path, api: Api
) -> None:
    config = tap_config(qbo_sandbox, tmp_path, page_size=3, stream_filters={"Invoice": "TotalAmt > '1000'"})
    selection = selected_catalog(config, ["Invoice"])
    first = run_tap(qbo_sandbox, config, catalog_dict=selection)
    rows = sandbox_rows(qbo_sandbox, "Invoice")
    big = sorted((i for i, r in rows.items() if r["TotalAmt"] > 1000), key=int)
    small = sorted((i for i, r in rows.items() if r["TotalAmt"] <= 1000), key=int)
    assert len(big) > 6
    assert small
    assert sorted(first.ids("Invoice"), key=int) == big

    # More changed rows than a page, several of them in one second, small and big mixed: the keyset
    # pages and the same-second offset pages all carry the filter.
    for id_ in [*big[:5], *small[:5]]:
        api.touch("Invoice", id_, PrivateNote="touched")
    second = run_tap(qbo_sandbox, config, state=first.state, catalog_dict=selection)
    assert sorted(second.ids("Invoice"), key=int) == big[:5]


def test_deletes_of_a_filtered_stream_are_the_ones_it_emitted(
    qbo_sandbox: RunningSandbox, tmp_path: Path, api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    kept, also_kept, outside = invoice_ids(qbo_sandbox)[:3]
    filters = {"Invoice": f"Id IN ('{kept}', '{also_kept}')"}
    config = tap_config(qbo_sandbox, tmp_path, stream_filters=filters, reconcile_deletes=True)
    selection = selected_catalog(config, ["Invoice"])
    first = run_tap(qbo_sandbox, config, catalog_dict=selection)
    assert sorted(first.ids("Invoice")) == sorted([kept, also_kept])
    assert decode_ids(first.state["bookmarks"]["Invoice"][STATE_KEY]) == {int(kept), int(also_kept)}

    # Within CDC's reach: CDC reports both deletes; only the one the stream emitted comes out.
    api.delete("Invoice", outside)
    api.delete("Invoice", kept)
    second = run_tap(qbo_sandbox, config, state=first.state, catalog_dict=selection)
    assert [r["Id"] for r in second.deleted("Invoice")] == [kept]
    assert second.live("Invoice") == []
    assert decode_ids(second.state["bookmarks"]["Invoice"][STATE_KEY]) == {int(also_kept)}

    # Without the remembered Ids, CDC's deletes cannot be told to match the filter: none is
    # emitted, and the run says how to get them.
    plain = tap_config(qbo_sandbox, tmp_path, stream_filters=filters)
    first_plain = run_tap(qbo_sandbox, plain, catalog_dict=selection)
    api.delete("Invoice", also_kept)
    api.delete("Invoice", invoice_ids(qbo_sandbox)[0])
    with caplog.at_level(logging.WARNING):
        second_plain = run_tap(qbo_sandbox, plain, state=first_plain.state, catalog_dict=selection)
    assert second_plain.records["Invoice"] == []
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("stream_filters" in w and "reconcile_deletes: true" in w for w in warnings)


def test_reconcile_scan_of_a_filtered_stream_reports_only_real_deletes(
    qbo_sandbox: RunningSandbox, tmp_path: Path, api: Api
) -> None:
    """An invoice edited out of the filter is missing from the scan but not deleted: not reported."""
    config = tap_config(
        qbo_sandbox, tmp_path, stream_filters={"Invoice": "TotalAmt > '1000'"}, reconcile_deletes=True
    )
    selection = selected_catalog(config, ["Invoice"])
    first = run_tap(qbo_sandbox, config, catalog_dict=selection)
    big = sorted(first.ids("Invoice"), key=int)
    leaves, goes = big[0], big[1]
    current = api.rows(f"SELECT * FROM Invoice WHERE Id = '{leaves}'")[0]
    line = dict(current["Line"][0])
    line["Amount"] = 10
    detail = dict(line.get("SalesItemLineDetail") or {})
    detail.pop("UnitPrice", None)
    detail.pop("Qty", None)
    line["SalesItemLineDetail"] = detail
    api.post(
        "invoice",
        {
            "Id": leaves,
            "SyncToken": current["SyncToken"],
            "CustomerRef": current["CustomerRef"],
            "Line": [line],
        },
    )
    assert sandbox_rows(qbo_sandbox, "Invoice")[leaves]["TotalAmt"] <= 1000
    api.delete("Invoice", goes)
    # No remembered Id set: this run scans, and compares the scan with the remembered Ids.
    state = {"bookmarks": {"Invoice": {STATE_KEY: first.state["bookmarks"]["Invoice"][STATE_KEY]}}}
    second = run_tap(qbo_sandbox, config, state=state, catalog_dict=selection)
    assert [r["Id"] for r in second.deleted("Invoice")] == [goes]
    assert leaves not in second.ids("Invoice")
