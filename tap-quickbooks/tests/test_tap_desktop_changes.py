"""tap-quickbooks on a QuickBooks Desktop company that changes: an incremental run emits exactly the
adds, modifications, deletes, voids and lists made inactive since the bookmark; the overlap it reads
again emits nothing twice; records changed while a sync runs are neither lost nor emitted twice
across two runs; deletes older than QuickBooks keeps are found by comparing ids."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime

import pytest
from qbd_client import catalog
from qbd_sandbox.company import CompanyConfig
from qbd_sandbox.stack import DesktopStack, EmulatedCompany
from tap_desktop_harness import OBJECTS, Run, changed_since, company_ids, current, run_tap, touch
from tap_quickbooks.times import to_utc_text


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DesktopStack]:
    with DesktopStack(tmp_path_factory.mktemp("desktop-changes")) as running:
        yield running


def _unlinked(company: EmulatedCompany, name: str, n: int) -> list[str]:
    """Transactions no other one links to (the sample's invoices are all paid: checks are not)."""
    found = []
    for id_ in company_ids(company, name):
        if not current(company, name, id_).get("LinkedTxn"):
            found.append(id_)
        if len(found) == n:
            break
    assert len(found) == n
    return found


def test_an_incremental_run_emits_exactly_what_changed_and_the_overlap_only_once(stack: DesktopStack) -> None:
    acme = stack.add_company("acme", seed=3, size=120)
    config = stack.tap_config("acme", reports=[])
    doomed = acme.company.add("Customer", {"Name": "Leaves Soon"})
    full = run_tap(acme, config)
    bookmark = full.upper_bound

    added = acme.company.add("Customer", {"Name": "Newly Added"})
    kept = company_ids(acme, "Customer")[0]
    touch(acme, "Customer", kept, Phone="555-0100")
    voided, removed = _unlinked(acme, "Check", 2)
    acme.company.void("Check", voided)
    acme.company.delete("Check", removed)
    # deleted in the second it was added (before the bookmark, in the overlap): the delete carries
    # the TimeModified the first run emitted the customer with, and must still come
    acme.company.delete("Customer", doomed["ListID"], at=datetime.fromisoformat(doomed["TimeModified"]))
    vendor = company_ids(acme, "Vendor")[0]
    touch(acme, "Vendor", vendor, IsActive=False)

    second = run_tap(acme, config, full.state)

    expected_live = {name: changed_since(acme, name, bookmark) for name in OBJECTS}
    assert added["ListID"] in expected_live["Customer"]
    assert {kept, added["ListID"]} <= expected_live["Customer"]
    assert voided in expected_live["Check"]
    assert vendor in expected_live["Vendor"]
    for name in OBJECTS:
        assert {r[catalog.get(name).id_field] for r in second.live(name)} == expected_live[name], name
        assert len(second.live(name)) == len(expected_live[name]), f"{name}: a record emitted twice"
    customers = {r["ListID"]: r for r in second.live("Customer")}
    assert customers[kept]["Phone"] == "555-0100"
    assert customers[added["ListID"]]["Name"] == "Newly Added"
    checks = {r["TxnID"]: r for r in second.live("Check")}
    assert checks[voided]["Memo"].startswith("VOID")
    assert next(r for r in second.live("Vendor") if r["ListID"] == vendor)["IsActive"] is False
    deleted = {(name, r[catalog.get(name).id_field]): r for name in OBJECTS for r in second.deleted(name)}
    assert set(deleted) == {("Check", removed), ("Customer", doomed["ListID"])}
    gone = deleted[("Customer", doomed["ListID"])]
    assert gone["FullName"] == "Leaves Soon"
    assert gone["_sdc_deleted_at"] == gone["TimeModified"] == to_utc_text(doomed["TimeModified"])
    assert gone["_sdc_deleted_at"].endswith("+00:00")

    # The next run reads the overlap again (every change above is in it) and emits none of it.
    third = run_tap(acme, config, second.state)

    # (the counts of phase 1 see the overlap's records, so their data is read once more: 2 message sets)
    assert third.message_sets <= 2
    assert {name: rows for name, rows in third.records.items() if rows} == {}
    # ... while what it skipped stays remembered for the run after it
    assert added["ListID"] in third.state["bookmarks"]["Customer"]["recent"]


def test_records_changed_while_a_sync_runs_are_neither_lost_nor_emitted_twice(stack: DesktopStack) -> None:
    busy = stack.add_company("busy", seed=4, size=150)
    config = stack.tap_config("busy", reports=[], desktop_page_size=10, desktop_records_per_message_set=30)
    customers = company_ids(busy, "Customer")
    checks = _unlinked(busy, "Check", 3)
    changed: list[tuple[str, str]] = []
    original = busy.company.process
    answered = Counter[str]()

    def process(request: bytes | str, session: str) -> bytes:
        # Change the company between message sets, as its users do while the tap reads it.
        answered["sets"] += 1
        n = answered["sets"]
        if n in (3, 6, 9):
            for id_ in (customers[n], customers[-n]):
                touch(busy, "Customer", id_, Phone=f"555-01{n:02d}")
                changed.append(("Customer", id_))
            touch(busy, "Check", checks[n // 3 - 1], Memo=f"changed during set {n}")
            changed.append(("Check", checks[n // 3 - 1]))
            made = busy.company.add("Customer", {"Name": f"Added during set {n}"})
            changed.append(("Customer", made["ListID"]))
        return original(request, session)

    busy.company.process = process  # type: ignore[method-assign]
    try:
        first = run_tap(busy, config)
    finally:
        busy.company.process = original  # type: ignore[method-assign]
    assert answered["sets"] > 9
    second = run_tap(busy, config, first.state)
    third = run_tap(busy, config, second.state)

    versions = Counter(
        (name, record[catalog.get(name).id_field], record["EditSequence"])
        for run in (first, second, third)
        for name in OBJECTS
        for record in run.live(name)
    )
    assert [key for key, n in versions.items() if n > 1] == []
    for name, id_ in changed:
        now = current(busy, name, id_)
        assert versions[(name, id_, now["EditSequence"])] == 1, f"{name} {id_}: its last version is lost"
    # every record of the company emitted, in its current version, by the runs together
    for name in OBJECTS:
        for id_ in company_ids(busy, name):
            latest = current(busy, name, id_)["EditSequence"]
            assert versions[(name, id_, latest)] == 1, f"{name} {id_}"
    assert [rows for rows in third.records.values() if rows] == []


def _with_ids(run: Run, name: str) -> set[str]:
    return {r[catalog.get(name).id_field] for r in run.deleted(name)}


def test_deletes_older_than_quickbooks_keeps_are_found_by_comparing_ids(stack: DesktopStack) -> None:
    # A company that forgets deletions at once: the deleted-object queries find none of them.
    old = stack.add_company("forgetful", seed=5, size=100, config=CompanyConfig(deleted_retention_days=0))
    config = stack.tap_config("forgetful", reports=[], reconcile_deletes=True)
    extra = old.company.add("Customer", {"Name": "Soon Forgotten"})
    first = run_tap(old, config)
    assert first.deleted("Customer") == []
    baseline = first.state["bookmarks"]["Transfer"]["reconcile_ids"]
    assert baseline.startswith("z1:")
    assert len(baseline) < 40 * len(company_ids(old, "Transfer")) + 100

    (check,) = _unlinked(old, "Check", 1)
    old.company.delete("Check", check)
    old.company.delete("Customer", extra["ListID"])
    second = run_tap(old, config, first.state)

    assert _with_ids(second, "Check") == {check}
    assert _with_ids(second, "Customer") == {extra["ListID"]}, (
        extra,
        second.state["bookmarks"]["Customer"],
        first.state["bookmarks"]["Customer"],
    )
    for record in second.deleted("Check"):
        assert record["_sdc_deleted_at"] == second.upper_bound
    assert {n for n in OBJECTS if second.deleted(n)} == {"Check", "Customer"}
    third = run_tap(old, config, second.state)
    assert {n for n in OBJECTS if third.deleted(n)} == set()
