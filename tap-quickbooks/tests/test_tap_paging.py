"""Paging while QuickBooks changes under the tap: no record lost, none read twice, the run ends."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from qbo_client import catalog
from qbo_client.client import QBOClient
from qbo_sandbox.config import RealismConfig, SandboxConfig
from qbo_sandbox.testing import RunningSandbox
from tap_harness import Api, Run, run_tap, sandbox_rows, selected_catalog, tap_config
from tap_quickbooks.online.paging import PageScheduler, Window
from tap_quickbooks.online.queries import ObjectQuery
from tap_quickbooks.times import format_utc, next_second, to_utc_text


@pytest.fixture
def qbo_sandbox_config() -> SandboxConfig:
    # A little latency keeps pages in flight while the other thread writes.
    return SandboxConfig(realism=RealismConfig(latency_per_request=0.02))


NOTE_FIELD = {"Customer": "Notes", "Invoice": "PrivateNote"}


class Writer(threading.Thread):
    """Another QuickBooks user: updates the given records over HTTP, from the tap's first request on."""

    def __init__(self, running: RunningSandbox, targets: list[tuple[str, str]]) -> None:
        super().__init__(daemon=True)
        self.running = running
        self.targets = targets
        self.stop = threading.Event()
        self.updated: Counter[tuple[str, str]] = Counter()
        self.error: BaseException | None = None

    def run(self) -> None:
        api = Api(self.running)
        stats = self.running.sandbox.limits.stats
        start = stats.requests
        try:
            while stats.requests == start and not self.stop.is_set():
                self.stop.wait(0.002)  # the tap has not asked anything yet
            i = 0
            while not self.stop.is_set():
                entity, id_ = self.targets[i % len(self.targets)]
                api.touch(entity, id_, **{NOTE_FIELD[entity]: f"edit {i}"})
                self.updated[(entity, id_)] += 1
                i += 1
        except BaseException as exc:
            self.error = exc
        finally:
            api.close()


def sync_while_writing(
    running: RunningSandbox, config: dict, names: list[str], targets: list[tuple[str, str]]
) -> tuple[Run, Writer]:
    writer = Writer(running, targets)
    writer.start()
    try:
        run = run_tap(running, config, catalog_dict=selected_catalog(config, names))
    finally:
        writer.stop.set()
        writer.join(30)
    assert writer.error is None, writer.error
    return run, writer


def assert_nothing_lost(
    running: RunningSandbox, config: dict, names: list[str], first: Run, writer: Writer
) -> None:
    second = run_tap(running, config, state=first.state, catalog_dict=selected_catalog(config, names))
    for name in names:
        ids = first.ids(name)
        assert len(ids) == len(set(ids)), f"{name}: a record was read twice in one run"
        before = sandbox_rows(running, name, before=first.upper_bound)
        now = sandbox_rows(running, name)
        changed = {id_ for (entity, id_) in writer.updated if entity == name}
        # Untouched records are read by the run; a record updated during it is read by the next.
        assert set(before) - changed <= set(ids), f"{name}: lost {set(before) - changed - set(ids)}"
        latest = {r["Id"]: r["SyncToken"] for r in second.records[name]}
        for id_ in changed:
            assert latest.get(id_) == now[id_]["SyncToken"], f"{name} {id_}: its last version was not read"


def test_record_updated_during_sync_is_neither_lost_nor_read_twice(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    names = ["Customer", "Invoice"]
    config = tap_config(qbo_sandbox, tmp_path, page_size=3, max_in_flight=3)
    invoices = sorted(sandbox_rows(qbo_sandbox, "Invoice"), key=int)
    customers = sorted(sandbox_rows(qbo_sandbox, "Customer"), key=int)
    targets = [("Invoice", i) for i in invoices[::4]] + [("Customer", c) for c in customers[::3]]
    run, writer = sync_while_writing(qbo_sandbox, config, names, targets)
    assert sum(writer.updated.values()) > 0, "the writer updated records while the tap paged"
    assert_nothing_lost(qbo_sandbox, config, names, run, writer)


def test_more_rows_in_one_second_than_a_page_are_all_read_while_they_change(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    stamp = "2026-01-15T10:00:00-08:00"
    bulk = [
        (
            "Customer",
            {
                "DisplayName": f"Imported {i}",
                "Active": True,
                "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
            },
        )
        for i in range(23)
    ]
    qbo_sandbox.sandbox.service.load(qbo_sandbox.realm, bulk)
    imported = sorted(
        (
            i
            for i, row in sandbox_rows(qbo_sandbox, "Customer").items()
            if row["DisplayName"].startswith("Imported")
        ),
        key=int,
    )
    assert len(imported) == 23
    config = tap_config(qbo_sandbox, tmp_path, page_size=4, max_in_flight=2)
    run, writer = sync_while_writing(
        qbo_sandbox, config, ["Customer"], [("Customer", i) for i in imported[::5]]
    )
    assert sum(writer.updated.values()) > 0
    assert_nothing_lost(qbo_sandbox, config, ["Customer"], run, writer)
    untouched = set(imported) - {i for _, i in writer.updated}
    assert untouched <= set(run.ids("Customer"))


def _with_utc_stamp(row: dict[str, Any]) -> dict[str, Any]:
    row["LastUpdatedTime"] = to_utc_text(row["MetaData"]["LastUpdatedTime"])
    return row


def test_record_read_then_updated_in_the_runs_last_second_is_not_read_again(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """The one place an update during a run can move a record to inside the run's range is the
    run's last second (the one it started in). The scheduler pages a stream up to the end of the
    current second, one worker so that it reads oldest first; a record of its first page is
    updated while that second lasts. The run reads it once, and every other record once."""
    config = tap_config(qbo_sandbox, tmp_path, page_size=5, max_in_flight=1)
    client = QBOClient.from_config(config)
    api = Api(qbo_sandbox)
    query = ObjectQuery.for_spec(catalog.get("Invoice"))
    try:
        for _attempt in range(10):
            time.sleep(1 - time.time() % 1)  # start at the beginning of a second
            second = format_utc(datetime.now(timezone.utc))
            before = sandbox_rows(qbo_sandbox, "Invoice", before=second)
            scheduler = PageScheduler(client, workers=1, page_size=5)
            job = scheduler.job("Invoice", 0, _with_utc_stamp, Window(query, None, next_second(second), 5))
            pages = scheduler.pages(job)
            first = next(pages)
            moved = first[0]["Id"]
            stamp = api.touch("Invoice", moved, PrivateNote="updated while the run reads")["MetaData"]
            rest = [row for page in pages for row in page]
            if to_utc_text(stamp["LastUpdatedTime"]) != second:
                continue  # the update came after that second: the case was not made, try again
            ids = [row["Id"] for row in first + rest]
            twice = sorted(i for i, n in Counter(ids).items() if n > 1)
            assert not twice, f"read twice in one run: {twice}"
            assert set(before) == set(ids), f"lost: {set(before) - set(ids)}"
            return
        pytest.fail("could not update a record within the second the run started in (machine too slow)")
    finally:
        api.close()
        client.close()
