"""tap-quickbooks on QuickBooks Desktop when things are not simple: a Web Connector session that
ends in the middle of the iterators, a company PC in another time zone, a bookmark next to local
midnight or to a daylight-saving change, a zone the config does not name."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from qbd_client import catalog
from qbd_sandbox.company import CompanyConfig
from qbd_sandbox.faults import ConnectorFaults
from qbd_sandbox.stack import DesktopStack, EmulatedCompany
from tap_desktop_harness import OBJECTS, changed_since, company_ids, run_tap, touch
from tap_quickbooks.desktop.progress import Progress
from tap_quickbooks.desktop.times import local_text, read_from, zone
from tap_quickbooks.times import format_utc


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DesktopStack]:
    with DesktopStack(tmp_path_factory.mktemp("desktop-faults")) as running:
        yield running


def test_a_session_lost_mid_iterator_loses_and_repeats_nothing(
    stack: DesktopStack, caplog: pytest.LogCaptureFixture
) -> None:
    acme = stack.add_company("acme", seed=7, size=150)
    config = stack.tap_config("acme", reports=[], desktop_page_size=10, desktop_records_per_message_set=40)
    # The Web Connector stops its update after 3 message sets, once: every open iterator dies.
    acme.set_faults(ConnectorFaults(close_after=3, times=1))

    with caplog.at_level(logging.INFO, logger="tap_quickbooks.desktop"):
        run = run_tap(acme, config)

    assert acme.faults.fired["close_after"] == 1
    assert any("session ended mid-iterator" in r.getMessage() for r in caplog.records)
    for name in OBJECTS:
        ids = run.ids(name)
        assert not [i for i, n in Counter(ids).items() if n > 1], f"{name}: a record emitted twice"
        assert sorted(ids) == sorted(company_ids(acme, name)), name


def _bookmark_state(stream: str, bookmark: str, **kept: Any) -> dict[str, Any]:
    return {
        "bookmarks": {stream: {"replication_key": "TimeModified", "replication_key_value": bookmark, **kept}}
    }


def _touch_around(company: EmulatedCompany, bookmark: datetime, offsets: list[int]) -> dict[int, str]:
    """Modify one customer per offset (seconds from the bookmark); their ids by offset."""
    ids = company_ids(company, "Customer")
    return {
        seconds: touch(company, "Customer", ids[i], at=bookmark + timedelta(seconds=seconds), Phone=f"{i}")[
            "ListID"
        ]
        for i, seconds in enumerate(offsets)
    }


def test_a_company_far_from_utc_is_read_from_its_local_midnight(stack: DesktopStack) -> None:
    kiwi = stack.add_company("kiwi", seed=8, size=60, config=CompanyConfig(tz="Pacific/Auckland"))
    config = stack.tap_config("kiwi", reports=[])
    assert config["company_timezone"] == "Pacific/Auckland"
    # 00:00:10 on 20 November in Auckland (UTC+13): 11:00:10 the day before in UTC
    bookmark = datetime(2026, 11, 19, 11, 0, 10, tzinfo=timezone.utc)
    touched = _touch_around(kiwi, bookmark, [-6 * 3600, -900, -300, 60])

    run = run_tap(kiwi, config, _bookmark_state("Customer", format_utc(bookmark)), names=["Customer"])

    emitted = {r["ListID"] for r in run.live("Customer")}
    assert {touched[-300], touched[60]} <= emitted
    assert touched[-900] not in emitted  # before the overlap
    assert touched[-6 * 3600] not in emitted  # what a UTC text read as Auckland time would bring
    assert emitted == changed_since(kiwi, "Customer", format_utc(bookmark - timedelta(seconds=600)))


def test_a_bookmark_next_to_a_daylight_saving_change_reads_an_hour_more(stack: DesktopStack) -> None:
    coast = stack.add_company("coast", seed=9, size=60)  # America/Los_Angeles
    config = stack.tap_config("coast", reports=[])
    # 1 November 2026, 02:00 PDT becomes 01:00 PST at 09:00 UTC; the bookmark is 20 minutes later
    bookmark = datetime(2026, 11, 1, 9, 20, tzinfo=timezone.utc)
    touched = _touch_around(coast, bookmark, [-5000, -3000, -1])

    run = run_tap(coast, config, _bookmark_state("Customer", format_utc(bookmark)), names=["Customer"])

    emitted = {r["ListID"] for r in run.live("Customer")}
    assert {touched[-3000], touched[-1]} <= emitted
    assert touched[-5000] not in emitted
    assert emitted == changed_since(coast, "Customer", format_utc(bookmark - timedelta(seconds=600 + 3600)))
    # what it emitted in the window the next run reads again is kept, with QuickBooks' own text
    recent = run.state["bookmarks"]["Customer"]["recent"]
    assert all(raw[-6:] in ("-08:00", "-07:00") for raw in recent.values())


def test_without_a_time_zone_the_offset_of_the_company_records_is_used_and_the_window_widened(
    stack: DesktopStack,
) -> None:
    kiwi = stack.companies["kiwi"]
    config = {k: v for k, v in stack.tap_config("kiwi", reports=[]).items() if k != "company_timezone"}
    bookmark = datetime(2026, 11, 25, 11, 0, 0, tzinfo=timezone.utc)
    touched = _touch_around(kiwi, bookmark, [-6 * 3600, -3000, 30])
    state = _bookmark_state("Customer", format_utc(bookmark), utc_offset_minutes=13 * 60)

    run = run_tap(kiwi, config, state, names=["Customer"])

    emitted = {r["ListID"] for r in run.live("Customer")}
    assert {touched[-3000], touched[30]} <= emitted
    assert touched[-6 * 3600] not in emitted
    assert emitted == changed_since(kiwi, "Customer", format_utc(bookmark - timedelta(seconds=600 + 3600)))
    assert run.state["bookmarks"]["Customer"]["utc_offset_minutes"] == 13 * 60


def test_local_text_is_what_quickbooks_reads_as_the_moment_meant() -> None:
    assert local_text("2026-11-19T11:00:10+00:00", zone("Pacific/Auckland"), None) == "2026-11-20T00:00:10"
    assert local_text("2026-07-01T12:00:00+00:00", zone("America/Chicago"), None) == "2026-07-01T07:00:00"
    assert local_text("2026-07-01T12:00:00+00:00", None, -300) == "2026-07-01T07:00:00"
    # a quiet week: the overlap alone; next to a change of offset or without a zone, an hour more
    assert read_from("2026-06-10T12:00:00+00:00", 600, zone("America/Chicago")) == "2026-06-10T11:50:00+00:00"
    assert read_from("2026-03-08T08:30:00+00:00", 600, zone("America/Chicago")) == "2026-03-08T07:20:00+00:00"
    assert read_from("2026-06-10T12:00:00+00:00", 600, None) == "2026-06-10T10:50:00+00:00"


def test_progress_says_what_is_done_what_remains_and_when_it_ends(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tap-desktop-progress-test")
    progress = Progress("Invoice", logger, expected=1000, every=0.0)
    with caplog.at_level(logging.INFO, logger=logger.name):
        progress.add(250)
    line = caplog.records[-1].getMessage()
    assert line.startswith("Invoice: 250 records, 750 remaining, ")
    assert "/s, about " in line
    assert line.endswith(" s left")
    assert catalog.get("Invoice").iterator
