"""Full and incremental syncs of the sample company: every object, the keys, the bookmarks, the filters."""

from __future__ import annotations

from pathlib import Path

import pytest
from qbo_client import catalog
from qbo_client.catalog import Kind
from qbo_sandbox.testing import RunningSandbox
from tap_harness import Api, run_tap, sandbox_rows, selected_catalog, tap_config
from tap_quickbooks.online.reports import DEFAULT_REPORTS
from tap_quickbooks.tap import TapQuickBooks
from tap_quickbooks.times import to_utc_text

#: The one object the sample company does not hold: a TaxPayment belongs to an AU, CA or UK
#: company, and the sample is a US one (test_tap_more_entities.py reads a loaded one).
NOT_IN_SAMPLE = ("TaxPayment",)


def test_every_catalog_object_yields_all_its_records_once(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    # A small page size makes the larger objects go through counted, concurrent windows.
    run = run_tap(qbo_sandbox, tap_config(qbo_sandbox, tmp_path, page_size=7, max_in_flight=4))
    for name in catalog.names():
        ids = run.ids(name)
        assert ids or name in NOT_IN_SAMPLE, f"{name}: no records"
        assert len(ids) == len(set(ids)), f"{name}: a record came twice"
        expected = sandbox_rows(qbo_sandbox, name, before=run.upper_bound)
        assert set(ids) >= set(expected), f"{name}: records missing: {set(expected) - set(ids)}"
    invoice = run.records["Invoice"][0]
    assert invoice["LastUpdatedTime"] == to_utc_text(invoice["MetaData"]["LastUpdatedTime"])
    assert isinstance(invoice["CustomerRef"], dict), "references stay objects"


def test_inactive_name_list_rows_are_included(qbo_sandbox: RunningSandbox, tmp_path: Path) -> None:
    run = run_tap(qbo_sandbox, tap_config(qbo_sandbox, tmp_path))
    inactive_seen = 0
    for spec in catalog.OBJECTS:
        if spec.kind is not Kind.NAME_LIST:
            continue
        inactive = {
            i for i, row in sandbox_rows(qbo_sandbox, spec.name).items() if row.get("Active") is False
        }
        assert inactive <= set(run.ids(spec.name)), f"{spec.name}: inactive rows missing"
        inactive_seen += len(inactive)
    assert inactive_seen >= 5, "the sample company has inactive customers, accounts, classes, ..."


def test_bookmark_is_the_run_start_and_a_quiet_rerun_reads_nothing_older(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    config = tap_config(qbo_sandbox, tmp_path)
    first = run_tap(qbo_sandbox, config)
    bookmarks = first.state["bookmarks"]
    for name in catalog.names():
        assert bookmarks[name]["replication_key"] == "LastUpdatedTime"
        assert bookmarks[name]["replication_key_value"] == first.upper_bound
        assert "progress_markers" not in bookmarks[name]
    second = run_tap(qbo_sandbox, config, state=first.state)
    for name in catalog.names():
        assert all(r["LastUpdatedTime"] >= first.upper_bound for r in second.records[name]), name


def test_incremental_run_with_nothing_changed_costs_two_requests(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    config = tap_config(qbo_sandbox, tmp_path, page_size=7)
    selection = selected_catalog(config)
    first = run_tap(qbo_sandbox, config, catalog_dict=selection)
    second = run_tap(qbo_sandbox, config, state=first.state, catalog_dict=selection)
    # One CDC request for the streams CDC covers, one batch for the rest and the singletons.
    assert second.requests <= 2
    assert second.tap.client.stats.requests <= 2


def test_incremental_run_with_nothing_changed_costs_two_requests_and_one_per_report(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    # The default reports, monthly: an incremental run reads this month and the last one again.
    config = tap_config(qbo_sandbox, tmp_path, reports=list(catalog.REPORTS))
    config.pop("reports")
    selection = selected_catalog(config, [*catalog.names(), *catalog.REPORTS])
    first = run_tap(qbo_sandbox, config, catalog_dict=selection)
    second = run_tap(qbo_sandbox, config, state=first.state, catalog_dict=selection)
    # The detail and aging reports are opt-in (``reports``): the default ones are read.
    assert {name for name in catalog.REPORTS if second.records[name]} == set(DEFAULT_REPORTS)
    assert second.requests <= 2 + len(DEFAULT_REPORTS)


def test_singleton_is_emitted_again_only_after_it_changed(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    config = tap_config(qbo_sandbox, tmp_path)
    first = run_tap(qbo_sandbox, config)
    assert [r["Id"] for r in first.records["CompanyInfo"]] == ["1"]
    quiet = run_tap(qbo_sandbox, config, state=first.state)
    assert quiet.records["CompanyInfo"] == []
    api = Api(qbo_sandbox)
    try:
        api.touch("CompanyInfo", "1", Email={"Address": "books@example.com"})
    finally:
        api.close()
    changed = run_tap(qbo_sandbox, config, state=quiet.state)
    assert [r["Email"]["Address"] for r in changed.records["CompanyInfo"]] == ["books@example.com"]


def test_exchange_rate_gets_a_stable_synthetic_key(qbo_sandbox: RunningSandbox, tmp_path: Path) -> None:
    config = tap_config(qbo_sandbox, tmp_path, page_size=5)
    rates = selected_catalog(config, ["ExchangeRate"])
    first = run_tap(qbo_sandbox, config, catalog_dict=rates)
    again = run_tap(qbo_sandbox, config, catalog_dict=rates)
    ids = first.ids("ExchangeRate")
    assert len(ids) == len(set(ids)) == len(sandbox_rows(qbo_sandbox, "ExchangeRate"))
    rate = first.records["ExchangeRate"][0]
    assert rate["Id"] == f"{rate['SourceCurrencyCode']}:{rate['AsOfDate']}"
    assert sorted(ids) == sorted(again.ids("ExchangeRate"))


def test_stream_filter_narrows_its_stream_only(qbo_sandbox: RunningSandbox, tmp_path: Path) -> None:
    config = tap_config(qbo_sandbox, tmp_path, page_size=4, stream_filters={"Invoice": "TotalAmt > '1000'"})
    run = run_tap(qbo_sandbox, config)
    expected = {i for i, r in sandbox_rows(qbo_sandbox, "Invoice").items() if r["TotalAmt"] > 1000}
    assert 0 < len(expected) < len(sandbox_rows(qbo_sandbox, "Invoice"))
    assert sorted(run.ids("Invoice")) == sorted(expected)
    assert len(run.ids("Customer")) >= len(sandbox_rows(qbo_sandbox, "Customer"))


def test_stream_filter_that_would_break_paging_is_refused(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    config = tap_config(qbo_sandbox, tmp_path, stream_filters={"Invoice": "TotalAmt > '1' ORDERBY Id"})
    with pytest.raises(ValueError, match="ORDERBY"):
        TapQuickBooks(config=config).streams  # noqa: B018 - building the streams checks the filters


def test_only_selected_streams_are_read(qbo_sandbox: RunningSandbox, tmp_path: Path) -> None:
    config = tap_config(qbo_sandbox, tmp_path)
    selection = selected_catalog(config, ["Invoice", "Customer"])
    run = run_tap(qbo_sandbox, config, catalog_dict=selection)
    assert set(run.records) == {"Invoice", "Customer"}
    assert set(run.state["bookmarks"]) == {"Invoice", "Customer"}
