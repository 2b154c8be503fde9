"""``add_realm_id``: many companies' records in one table, keyed by company and Id (over HTTP)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qbo_sandbox.testing import RunningSandbox, issue_credentials, seed_company
from tap_harness import Run, run_tap, tap_config
from tap_quickbooks.tap import TapQuickBooks

STREAMS = ("Customer", "Invoice", "TrialBalance")


def _catalog(config: dict[str, Any]) -> dict[str, Any]:
    """Discovered with the config's own settings (the column comes with discovery), a few streams selected."""
    found: dict[str, Any] = TapQuickBooks(config=dict(config)).catalog_dict
    for entry in found["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = entry["tap_stream_id"] in STREAMS
    return found


def _sync(running: RunningSandbox, config: dict[str, Any]) -> Run:
    return run_tap(running, config, catalog_dict=_catalog(config))


def _schemas(run: Run) -> dict[str, dict[str, Any]]:
    return {m["stream"]: m for m in run.messages if m["type"] == "SCHEMA"}


def test_every_record_schema_and_key_carries_the_company_when_asked(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    config = tap_config(qbo_sandbox, tmp_path, add_realm_id=True, reports=["TrialBalance"])
    run = _sync(qbo_sandbox, config)
    assert set(run.records) == set(STREAMS)
    for stream, records in run.records.items():
        assert records, stream
        assert {r["_qbo_realm_id"] for r in records} == {qbo_sandbox.realm}, stream
    schemas = _schemas(run)
    for stream in STREAMS:
        assert schemas[stream]["schema"]["properties"]["_qbo_realm_id"]["type"] == ["string"]
        assert schemas[stream]["key_properties"][0] == "_qbo_realm_id"
    assert schemas["Customer"]["key_properties"] == ["_qbo_realm_id", "Id"]


def test_without_the_setting_records_and_keys_are_unchanged(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    run = _sync(qbo_sandbox, tap_config(qbo_sandbox, tmp_path, reports=["TrialBalance"]))
    assert all("_qbo_realm_id" not in r for records in run.records.values() for r in records)
    schemas = _schemas(run)
    assert schemas["Customer"]["key_properties"] == ["Id"]
    assert "_qbo_realm_id" not in schemas["Customer"]["schema"]["properties"]


def test_two_companies_with_the_same_ids_share_a_table_without_collisions(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    # A second company generated like the first: the same Ids, other rows.
    other_realm, _ = seed_company(qbo_sandbox.sandbox, seed=2)
    other = issue_credentials(qbo_sandbox.sandbox, other_realm)
    first = _sync(qbo_sandbox, tap_config(qbo_sandbox, tmp_path / "a", add_realm_id=True, reports=[]))
    second_config = {
        **tap_config(qbo_sandbox, tmp_path / "b", add_realm_id=True, reports=[]),
        **other.as_dict(),
    }
    second = _sync(qbo_sandbox, second_config)
    table: dict[tuple[str, str], dict[str, Any]] = {}
    for run in (first, second):
        for record in run.records["Customer"]:
            table[(record["_qbo_realm_id"], record["Id"])] = record
    ids_first = set(first.ids("Customer"))
    ids_second = set(second.ids("Customer"))
    assert ids_first & ids_second  # keyed by Id alone, the second company would overwrite the first
    assert len(table) == len(first.records["Customer"]) + len(second.records["Customer"])
    assert {realm for realm, _ in table} == {qbo_sandbox.realm, other_realm}
