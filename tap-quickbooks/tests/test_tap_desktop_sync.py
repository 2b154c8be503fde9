"""tap-quickbooks on a QuickBooks Desktop company: a full sync, an idle run, the trial balance, the
command line (``--about``, ``--discover``, settings of the other edition, a Web Connector that does
not call). Everything over real HTTP: the bridge on loopback, an emulated company and its Web
Connector calling on a schedule."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from qbd_client import catalog
from qbd_sandbox.stack import DesktopStack, EmulatedCompany
from tap_desktop_harness import OBJECTS, Run, as_emitted, cli, desktop_catalog, error_lines, run_tap
from tap_quickbooks.tap import TapQuickBooks

REPORT_START = "2026-07-01"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DesktopStack]:
    with DesktopStack(tmp_path_factory.mktemp("desktop-sync")) as running:
        running.add_company("acme", seed=1, size=150)
        yield running


@pytest.fixture(scope="module")
def acme(stack: DesktopStack) -> EmulatedCompany:
    return stack.companies["acme"]


@pytest.fixture(scope="module")
def config(stack: DesktopStack) -> dict[str, Any]:
    return stack.tap_config("acme", report_start_date=REPORT_START)


@pytest.fixture(scope="module")
def full(acme: EmulatedCompany, config: dict[str, Any]) -> Run:
    return run_tap(acme, config, names=[*OBJECTS, "TrialBalance"])


def test_a_full_sync_equals_the_company(acme: EmulatedCompany, full: Run) -> None:
    for name in OBJECTS:
        ids = full.ids(name)
        assert len(ids) == acme.company.count(name), name
        assert len(set(ids)) == len(ids), f"{name}: a record emitted twice"
        for record in full.records[name][:3]:
            stored = acme.company.get(name, record[catalog.get(name).id_field])
            assert stored is not None
            assert record == as_emitted(stored), name
    assert {name for name in OBJECTS if full.records[name]} == {n for n in OBJECTS if acme.company.count(n)}


def test_every_record_validates_against_its_stream_schema(full: Run) -> None:
    schemas = {stream.name: stream.schema for stream in full.tap.streams.values()}
    for name, records in full.records.items():
        validator = jsonschema.Draft7Validator(schemas[name])
        for record in records:
            errors = list(validator.iter_errors(record))
            assert not errors, f"{name}: {errors[0].message}"


def test_every_stream_bookmarks_the_run_start_in_utc(full: Run) -> None:
    bookmarks = full.state["bookmarks"]
    for name in OBJECTS:
        assert bookmarks[name]["replication_key"] == "TimeModified"
        assert bookmarks[name]["replication_key_value"] == full.upper_bound
        assert full.upper_bound.endswith("+00:00")
    for records in full.records.values():
        for record in records:
            if "TimeModified" in record:
                assert record["TimeModified"].endswith("+00:00")


def test_a_full_sync_reads_several_streams_per_message_set(full: Run) -> None:
    # phase 1 and phase 2, each page of phase 2 advancing every stream of its message set
    records = sum(len(full.records[name]) for name in OBJECTS)
    assert full.message_sets < records / 100


def test_an_incremental_run_that_finds_nothing_is_one_message_set(
    acme: EmulatedCompany, config: dict[str, Any], full: Run
) -> None:
    idle = run_tap(acme, config, full.state, names=[*OBJECTS, "TrialBalance"])

    assert idle.message_sets == 1
    assert {name for name, records in idle.records.items() if records} == {"TrialBalance"}
    for name in OBJECTS:
        assert idle.state["bookmarks"][name]["replication_key_value"] == idle.upper_bound


def test_the_trial_balance_balances_each_period_and_names_accounts_by_list_id(full: Run) -> None:
    rows = full.records["TrialBalance"]
    assert rows
    periods: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        periods[(row["period_start"], row["period_end"], row["accounting_method"])].append(row)
    assert min(start for start, _, _ in periods) == REPORT_START
    for key, found in periods.items():
        debit = sum((Decimal(str(r["debit"])) for r in found), Decimal(0))
        credit = sum((Decimal(str(r["credit"])) for r in found), Decimal(0))
        assert debit == credit != 0, key
    accounts = {r["FullName"]: r["ListID"] for r in full.records["Account"]}
    named = [r for r in rows if r["account_name"] in accounts]
    assert len(named) >= len(rows) - len(periods)  # at most a Retained Earnings line per period without one
    for row in named:
        assert row["account_id"] == accounts[row["account_name"]]
        assert row["account_key"] == row["account_id"]


# -- the command line --------------------------------------------------------------------------


def test_about_lists_the_desktop_settings() -> None:
    shown = cli("--about", "--format", "json")
    settings = json.loads(shown.stdout)["settings"]["properties"]
    for name in (
        "edition",
        "bridge_url",
        "bridge_token",
        "company",
        "wait_for_qbwc",
        "company_timezone",
        "desktop_page_size",
        "desktop_records_per_message_set",
        "desktop_overlap_seconds",
    ):
        assert name in settings, name
    assert settings["bridge_token"].get("secret") is True
    assert settings["desktop_page_size"]["default"] == 100
    assert settings["desktop_page_size"]["maximum"] == 1000
    assert "time" in settings["desktop_page_size"]["description"]  # says why: QBWC times out
    assert settings["edition"]["enum"] == ["online", "desktop"]


def test_discover_offers_every_desktop_object_without_reaching_the_bridge(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {"edition": "desktop", "bridge_url": "http://127.0.0.1:9", "bridge_token": "t", "company": "x"}
        )
    )
    found = cli("--config", str(config), "--discover")
    assert found.returncode == 0, found.stderr
    streams = {entry["tap_stream_id"]: entry for entry in json.loads(found.stdout)["streams"]}
    assert set(streams) == {*OBJECTS, "TrialBalance"}
    for name in OBJECTS:
        assert streams[name]["key_properties"] == [catalog.get(name).id_field]
        assert streams[name]["replication_key"] == "TimeModified"
        assert "_sdc_deleted_at" in streams[name]["schema"]["properties"]


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        (
            {
                "edition": "desktop",
                "bridge_url": "http://x",
                "bridge_token": "t",
                "company": "c",
                "client_id": "a",
            },
            "client_id is a QuickBooks Online setting and edition is desktop",
        ),
        (
            {"client_id": "a", "client_secret": "b", "realm_id": "1", "desktop_page_size": 150},
            "desktop_page_size is a QuickBooks Desktop setting and edition is online",
        ),
        ({"edition": "desktop", "bridge_url": "http://x"}, "edition desktop needs bridge_token, company"),
    ],
    ids=["online-setting-on-desktop", "desktop-setting-on-online", "desktop-missing"],
)
def test_settings_of_the_other_edition_are_refused_in_one_line(
    tmp_path: Path, settings: dict[str, Any], said: str
) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(settings))
    refused = cli("--config", str(config), "--discover")
    assert refused.returncode == 2
    lines = error_lines(refused.stderr)
    assert len(lines) == 1, refused.stderr
    assert said in lines[0]
    assert "Traceback" not in refused.stderr


def test_a_web_connector_that_does_not_call_stops_the_run_with_exit_status_2(
    stack: DesktopStack, acme: EmulatedCompany, tmp_path: Path
) -> None:
    settings = stack.tap_config("acme", wait_for_qbwc=1, reports=[])
    config = tmp_path / "config.json"
    config.write_text(json.dumps(settings))
    catalog_file = tmp_path / "catalog.json"
    catalog_file.write_text(json.dumps(desktop_catalog(settings, ["Customer", "Invoice"])))
    acme.pause()
    try:
        run = cli("--config", str(config), "--catalog", str(catalog_file))
    finally:
        acme.resume()

    assert run.returncode == 2, run.stderr
    lines = error_lines(run.stderr)
    assert len(lines) == 1, run.stderr
    assert "tap-quickbooks stopped: QBWC for company acme last called" in lines[0]
    assert "is QuickBooks open and the Web Connector scheduled?" in lines[0]
    assert "unhandled error" not in run.stderr
    assert settings["bridge_token"] not in run.stderr
    assert [line for line in run.stdout.splitlines() if '"RECORD"' in line] == []


def test_the_desktop_edition_is_picked_per_tap() -> None:
    online = TapQuickBooks(config={"client_id": "a", "client_secret": "b", "realm_id": "1"})
    desktop = TapQuickBooks(
        config={"edition": "desktop", "bridge_url": "http://127.0.0.1:9", "bridge_token": "t", "company": "c"}
    )
    assert online.active_edition.product == "QuickBooks Online"
    assert desktop.active_edition.product == "QuickBooks Desktop"
    assert TapQuickBooks.edition.product == "QuickBooks Online"  # the class's, for help texts
