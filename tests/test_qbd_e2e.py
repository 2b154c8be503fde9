"""QuickBooks Desktop end to end: the JSON API, the bridge, the Web Connector emulator and a company file.

Everything here runs over real HTTP on 127.0.0.1 (the bridge's SOAP endpoint and JSON API) and keeps
the queue and the company in real SQLite files. A client queues qbXML through the bridge's API, the
emulated Web Connector runs a session against the bridge as QBWC does and relays the requests to the
emulated company file, and the answers come back through the API.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from lxml import etree
from qbd_bridge import cli as bridge_cli
from qbd_bridge.testing import RunningBridge
from qbd_client import qbxml
from qbd_client.client import BridgeClient, BridgeResponse
from qbd_client.errors import IteratorExpired, RequestRefused, RetryLater
from qbd_sandbox.company import Company, CompanyConfig
from qbd_sandbox.faults import BUSY_CODES, ConnectorFaults
from qbd_sandbox.webconnector import PARSE_ERROR, SessionReport, WebConnector

#: Fast settings (cheap password hashing, short delays); a session idles out long after any test's pause.
FAST: dict[str, Any] = {
    "password_cost": 2**10,
    "failure_delay": 0.05,
    "session_idle_timeout": 30.0,
    "producer_timeout": 10.0,
}
ANOTHER_FILE_ID = "{0A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9}"
_names = itertools.count(1)


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBridge]:
    """One bridge for the module; each test adds companies of its own."""
    with RunningBridge(tmp_path_factory.mktemp("bridge") / "bridge.db", **FAST) as bridge:
        yield bridge


def add_company(running: RunningBridge, name: str | None = None) -> tuple[str, str, Path]:
    """A company on the bridge: its name, QBWC password and a .qwc that names ``localhost``.

    QBWC refuses a bare IP address in AppURL, so the .qwc is written again by the bridge's own
    ``qbd-bridge company qwc --url http://localhost:PORT/qbwc`` (http is allowed for localhost).
    """
    name = name or f"company{next(_names)}"
    password, qwc = running.add_company(name)
    url = f"http://localhost:{urlsplit(running.url).port}/qbwc"
    args = ["company", "qwc", name, "--url", url, "--qwc-out", str(qwc), "--db", str(running.database)]
    assert bridge_cli.main(args) == 0
    return name, password, qwc


@pytest.fixture
def company(tmp_path: Path) -> Iterator[Company]:
    """An empty company file."""
    with Company(tmp_path / "company.qbw") as books:
        yield books


def client_of(running: RunningBridge, name: str) -> BridgeClient:
    return running.client(name, timeout=10, poll_wait=1.0)


def customer_query(max_returned: int = 100, request_id: str | None = None) -> bytes:
    request = qbxml.build(
        "CustomerQueryRq", {"MaxReturned": max_returned}, request_id=request_id, iterator="Start"
    )
    return qbxml.message_set([request])


def customer_add(name: str) -> bytes:
    return qbxml.message_set([qbxml.add_request("Customer", {"Name": name})], on_error="stopOnError")


def customers_in(company: Company) -> dict[str, dict[str, Any]]:
    """Every customer the company holds, asked of it directly (not through the bridge)."""
    query = qbxml.message_set([qbxml.build("CustomerQueryRq", {"ActiveStatus": "All"})])
    answer = qbxml.parse_response(company.process(query, "test-check"))
    company.end_session("test-check")
    return {record["ListID"]: record for record in answer.responses[0].records()}


def seed_customers(company: Company, count: int) -> list[str]:
    return [company.add("Customer", {"Name": f"Customer {i:02d}"})["ListID"] for i in range(count)]


def connector(qwc: Path, password: str, company: Company, **faults: Any) -> WebConnector:
    return WebConnector(
        qwc, password, company, ConnectorFaults(**faults) if faults else None, noop_wait=0.05, max_noops=200
    )


def session(qwc: Path, password: str, company: Company, **faults: Any) -> SessionReport:
    with connector(qwc, password, company, **faults) as wc:
        return wc.run_session()


# --- data through the whole chain -----------------------------------------------------------------


def test_query_answer_comes_back_through_the_api_as_the_company_holds_it(
    running: RunningBridge, company: Company, tmp_path: Path
) -> None:
    # The .qwc as a user makes it: `qbd-bridge company add --url http://localhost:PORT/qbwc`.
    port = urlsplit(running.url).port
    qwc = tmp_path / "acme.qwc"
    add = ["company", "add", "acme", "--url", f"http://localhost:{port}/qbwc", "--qwc-out", str(qwc)]
    completed = _bridge_cli(running, add)
    password = completed.strip()
    company.add(
        "Customer",
        {
            "Name": "O'Brien & Sons <West>",
            "CompanyName": "O'Brien & Sons",
            "BillAddress": {"Addr1": "1 Main St", "City": "Springfield", "State": "OR"},
            "Phone": "555-0100",
            "Email": "books@obrien.example",
        },
    )
    # QuickBooks keeps text in ISO-8859-1: the rest comes back as "?", through the bridge as well.
    company.add("Customer", {"Name": "Zoë of Łódź"})
    seed_customers(company, 3)
    client = client_of(running, "acme")
    job = client.submit([customer_query()], label="all customers")

    report = session(qwc, password, company)

    assert report.ok, report.summary()
    assert report.calls == [
        "serverVersion",
        "clientVersion",
        "authenticate",
        "sendRequestXML",
        "receiveResponseXML",
        "closeConnection",
    ]
    (line,) = client.responses(job, wait_for_qbwc=5)
    records = {r["ListID"]: r for r in line.responses[0].records()}
    assert records == customers_in(company)
    assert len(records) == 5
    names = {r["Name"] for r in records.values()}
    assert {"O'Brien & Sons <West>", "Zoë of ?ód?"} <= names
    assert client.job(job).status == "done"


def _bridge_cli(running: RunningBridge, args: list[str]) -> str:
    """Run ``qbd-bridge`` on the running bridge's database, as a user would; returns stdout."""
    import subprocess
    import sys

    completed = subprocess.run(
        [sys.executable, "-m", "qbd_bridge.cli", *args, "--db", str(running.database)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_iterator_pages_are_continued_by_the_bridge_within_one_session(
    running: RunningBridge, company: Company
) -> None:
    name, password, qwc = add_company(running)
    ids = seed_customers(company, 7)
    client = client_of(running, name)
    job = client.submit([customer_query(3)])

    report = session(qwc, password, company)

    assert report.ok, report.summary()
    assert report.calls.count("authenticate") == 1
    assert report.requests == 3
    assert report.percents[-1] == 100
    assert report.percents == sorted(report.percents)
    lines = list(client.responses(job, wait_for_qbwc=5))
    assert [(line.message_set, line.part) for line in lines] == [(0, 0), (0, 1), (0, 2)]
    pages = [[r["ListID"] for r in line.responses[0].records()] for line in lines]
    assert [len(page) for page in pages] == [3, 3, 1]
    assert sorted(itertools.chain(*pages)) == sorted(ids)
    assert [line.responses[0].iterator_remaining for line in lines] == [4, 1, 0]

    # Every page goes with a fresh newMessageSetID; a read is not kept for error recovery, so
    # reading again leaves the company file as it was.
    before = company.digest()
    again = client.submit([customer_query(3)])
    assert session(qwc, password, company).ok
    assert len(list(client.responses(again, wait_for_qbwc=5))) == 3
    assert company.digest() == before


# --- the network drops; writes are applied once --------------------------------------------------


@pytest.mark.parametrize(
    "lost",
    ["drop_request", "drop_answer"],
    ids=["quickbooks-answer-never-reached-the-bridge", "bridge-reply-never-reached-qbwc"],
)
def test_write_whose_answer_is_lost_is_applied_once(tmp_path: Path, company: Company, lost: str) -> None:
    with RunningBridge(tmp_path / "bridge.db", **{**FAST, "session_idle_timeout": 1.0}) as running:
        name, password, qwc = add_company(running)
        client = client_of(running, name)
        job = client.submit([customer_add("Jane Doe")])
        with connector(qwc, password, company, **{lost: 1.0, "times": 1}) as wc:
            dropped = wc.run_session()
            assert (dropped.outcome, dropped.requests, dropped.faults) == ("dropped", 1, [lost])
            assert "closeConnection" not in dropped.calls
            assert len(customers_in(company)) == 1
            # The bridge still holds the dropped session open: the next update is told it is busy.
            assert wc.run_session().outcome == "busy"
            time.sleep(1.2)
            again = wc.run_session()

        (only,) = customers_in(company).values()
        assert only["Name"] == "Jane Doe"
        (line,) = client.responses(job, wait_for_qbwc=5)
        assert line.responses[0].records()[0]["ListID"] == only["ListID"]
        assert client.job(job).status == "done"
        if lost == "drop_request":
            # Sent again with oldMessageSetID: QuickBooks answered its stored outcome (the ListID of the
            # one customer), instead of adding a second one.
            assert (again.outcome, again.requests) == ("done", 1)
        else:
            # The bridge had the answer: nothing is left to do.
            assert (again.outcome, again.requests) == ("none", 0)


def test_answer_posted_twice_is_recorded_once(running: RunningBridge, company: Company) -> None:
    name, password, qwc = add_company(running)
    client = client_of(running, name)
    job = client.submit([customer_add("Posted Twice")])

    report = session(qwc, password, company, duplicate=1.0)

    assert report.faults == ["duplicate"]
    assert report.calls.count("receiveResponseXML") == 2
    assert [c["Name"] for c in customers_in(company).values()] == ["Posted Twice"]
    lines = list(client.responses(job, wait_for_qbwc=5))
    assert len(lines) == 1
    assert lines[0].ok
    assert client.job(job).status == "done"


def test_session_ending_mid_iterator_fails_the_job_clearly_and_the_query_can_run_again(
    running: RunningBridge, company: Company
) -> None:
    name, password, qwc = add_company(running)
    ids = seed_customers(company, 7)
    client = client_of(running, name)
    job = client.submit([customer_query(3)])

    stopped = session(qwc, password, company, close_after=1)

    assert (stopped.outcome, stopped.requests, stopped.calls[-1]) == ("stopped", 1, "closeConnection")
    started = time.monotonic()
    seen: list[BridgeResponse] = []
    with pytest.raises(IteratorExpired) as lost:
        seen.extend(client.responses(job, wait_for_qbwc=5))
    assert time.monotonic() - started < 5, "the job must end, not wait for a session that is gone"
    assert lost.value.code == 3391
    assert len(seen) == 1
    assert len(seen[0].responses[0].rets) == 3
    assert client.job(job).status == "failed"

    # Started again from its filters, the query reads everything in the next session.
    retry = client.submit([customer_query(3)])
    report = session(qwc, password, company)
    assert report.ok
    assert report.requests == 3
    read = [
        r["ListID"] for line in client.responses(retry, wait_for_qbwc=5) for r in line.responses[0].records()
    ]
    assert sorted(read) == sorted(ids)


# --- refused sessions: nothing is sent ---------------------------------------------------------------


def test_wrong_password_is_answered_nvu_and_nothing_is_sent(running: RunningBridge, company: Company) -> None:
    name, password, qwc = add_company(running)
    client = client_of(running, name)
    job = client.submit([customer_add("Never Sent")])

    refused = session(qwc, password + "x", company)

    assert refused.outcome == "nvu"
    assert refused.calls == ["serverVersion", "clientVersion", "authenticate"]
    assert refused.requests == 0
    assert "Authentication failed" in refused.errors[0]
    assert password not in refused.summary()
    assert customers_in(company) == {}
    assert client.job(job).status == "queued"
    assert session(qwc, password, company).ok
    assert client.job(job).status == "done"


def test_company_file_with_another_file_id_is_refused_and_nothing_is_sent(
    running: RunningBridge, tmp_path: Path
) -> None:
    name, password, qwc = add_company(running)
    client = client_of(running, name)
    job = client.submit([customer_add("Wrong File")])
    with Company(tmp_path / "other.qbw", CompanyConfig(file_id=ANOTHER_FILE_ID)) as other:
        report = session(qwc, password, other)
        assert report.outcome == "error"
        assert report.requests == 0
        assert report.calls == [
            "serverVersion",
            "clientVersion",
            "authenticate",
            "sendRequestXML",
            "getLastError",
            "closeConnection",
        ]
        assert "wrong company file" in report.errors[0]
        assert ANOTHER_FILE_ID in report.errors[0]
        assert customers_in(other) == {}
    assert client.job(job).status == "queued"
    assert "wrong company file" in (client.status().last_error or "")


# --- QuickBooks busy, absent, or refusing the document --------------------------------------------


def test_busy_quickbooks_answers_retry_later_and_the_write_goes_through_when_sent_again(
    running: RunningBridge, company: Company
) -> None:
    name, password, qwc = add_company(running)
    client = client_of(running, name)
    job = client.submit([customer_add("Busy Day")])
    with connector(qwc, password, company, busy=1.0, unavailable=0.0, times=1) as wc:
        busy = wc.run_session()
        assert busy.faults == ["busy"]
        assert busy.outcome == "done"
        (line,) = client.responses(job, wait_for_qbwc=5)
        (answer,) = line.responses
        assert answer.status_code in BUSY_CODES
        error = answer.error()
        assert isinstance(error, RetryLater)
        assert error.retry
        assert customers_in(company) == {}

        # The client sends it again later; QuickBooks is free by then.
        retry = client.submit([customer_add("Busy Day")])
        assert wc.run_session().ok
    (line,) = client.responses(retry, wait_for_qbwc=5)
    assert line.responses[0].ok
    assert [c["Name"] for c in customers_in(company).values()] == ["Busy Day"]


def test_quickbooks_not_starting_is_tried_once_more_in_the_session_then_left_for_the_next_update(
    running: RunningBridge, company: Company
) -> None:
    name, password, qwc = add_company(running)
    client = client_of(running, name)
    job = client.submit([customer_add("Later")])

    # QuickBooks never starts: the bridge answers "" (try the open file again) once, then "done".
    not_started = session(qwc, password, company, cannot_start=1.0)
    assert not_started.outcome == "connection_error"
    assert not_started.calls.count("connectionError") == 2
    assert not_started.last_message == "done"
    assert not_started.requests == 0
    assert "0x80040408" in (client.status().last_error or "")
    assert client.status().session_open is False
    assert (client.job(job).status, client.job(job).responses) == ("queued", 0)
    assert customers_in(company) == {}

    # QuickBooks starts at the second try: the same session goes on and the write is applied.
    started_late = session(qwc, password, company, cannot_start=1.0, times=1)
    assert started_late.calls.count("connectionError") == 1
    assert started_late.outcome == "done"
    assert started_late.requests == 1
    (line,) = client.responses(job, wait_for_qbwc=5)
    assert line.responses[0].ok
    assert [c["Name"] for c in customers_in(company).values()] == ["Later"]


def test_quickbooks_unreachable_for_a_message_set_queues_it_again_for_the_next_update(
    running: RunningBridge, company: Company
) -> None:
    name, password, qwc = add_company(running)
    client = client_of(running, name)
    job = client.submit([customer_add("Patient"), customer_add("Second")])

    unreachable = session(qwc, password, company, unavailable=1.0, times=1)
    assert unreachable.faults == ["unavailable"]
    assert unreachable.refused == 1
    assert unreachable.requests == 1  # the session ended there: the second set waits too
    assert unreachable.outcome == "error"
    assert "0x80040401" in unreachable.last_message
    assert "queued again" in unreachable.last_message
    assert customers_in(company) == {}
    assert (client.job(job).status, client.job(job).responses) == ("queued", 0)

    later = session(qwc, password, company)
    assert later.ok, later.summary()
    first, second = client.responses(job, wait_for_qbwc=5)
    assert (first.message_set, second.message_set) == (0, 1)
    assert first.responses[0].ok
    assert second.responses[0].ok
    assert sorted(c["Name"] for c in customers_in(company).values()) == ["Patient", "Second"]
    assert client.job(job).status == "done"


def test_quickbooks_unreachable_every_time_fails_the_message_set_after_its_attempts(
    running: RunningBridge, company: Company
) -> None:
    from qbd_bridge.qbwc import UNREACHABLE_ATTEMPTS

    name, password, qwc = add_company(running)
    client = client_of(running, name)
    job = client.submit([customer_add("Never")])
    reports = [session(qwc, password, company, unavailable=1.0) for _ in range(UNREACHABLE_ATTEMPTS)]
    assert [r.requests for r in reports] == [1] * UNREACHABLE_ATTEMPTS
    assert client.job(job).status == "failed"
    (line,) = client.responses(job, wait_for_qbwc=5, raise_errors=False)
    assert isinstance(line.error, RequestRefused)
    assert line.raw is None
    assert (line.hresult, line.error.code, line.error.retry) == ("0x80040401", "0x80040401", True)
    assert "0x80040401" in (line.message or "")
    assert f"in {UNREACHABLE_ATTEMPTS} attempts" in (line.message or "")
    assert customers_in(company) == {}
    # Nothing is left to send: the next update has no work.
    assert session(qwc, password, company, unavailable=1.0).outcome == "none"


def test_document_quickbooks_cannot_parse_is_an_error_of_that_message_set_not_data(
    running: RunningBridge, company: Company
) -> None:
    name, password, qwc = add_company(running)
    seed_customers(company, 2)
    # ActiveStatus before MaxReturned: out of the schema's order, so QuickBooks refuses the whole set.
    request = etree.Element("CustomerQueryRq", requestID="bad")
    etree.SubElement(request, "ActiveStatus").text = "All"
    etree.SubElement(request, "MaxReturned").text = "5"
    client = client_of(running, name)
    job = client.submit([qbxml.message_set([request]), customer_query(request_id="fine")])

    report = session(qwc, password, company)

    assert report.outcome == "done"
    assert report.requests == 2
    assert report.refused == 1
    assert report.errors == [f"0x80040400: {PARSE_ERROR}"]
    refused, fine = client.responses(job, wait_for_qbwc=5, raise_errors=False)
    assert isinstance(refused.error, RequestRefused)
    assert (refused.raw, refused.response, refused.hresult) == (None, None, "0x80040400")
    assert refused.message == PARSE_ERROR
    assert fine.ok
    assert fine.responses[0].request_id == "fine"
    assert len(fine.responses[0].rets) == 2
    assert client.job(job).status == "failed"


# --- NoOp and the schedule --------------------------------------------------------------------------


def test_noop_keeps_the_session_until_the_producer_submits_its_message_set(
    running: RunningBridge, company: Company
) -> None:
    name, password, qwc = add_company(running)
    seed_customers(company, 2)
    client = client_of(running, name)
    job = client.submit([], open=True)  # a producer that has not decided its first request yet
    reports: list[SessionReport] = []
    with connector(qwc, password, company) as wc:
        worker = threading.Thread(target=lambda: reports.append(wc.run_session()))
        worker.start()
        deadline = time.monotonic() + 10
        while client.status().session_open is False and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # several NoOps go by
        client.append(job, [customer_query()], close=True)
        worker.join(timeout=20)
    assert not worker.is_alive()
    (report,) = reports
    assert report.ok, report.summary()
    assert report.noops >= 2
    assert report.calls.count("authenticate") == 1
    assert report.requests == 1
    assert report.calls.count("getLastError") == report.noops
    (line,) = client.responses(job, wait_for_qbwc=5)
    assert len(line.responses[0].rets) == 2


def test_scheduled_updates_repeat_until_told_to_stop(running: RunningBridge, company: Company) -> None:
    name, password, qwc = add_company(running)
    seed_customers(company, 1)
    client = client_of(running, name)
    job = client.submit([customer_query()])
    reports: list[SessionReport] = []
    with connector(qwc, password, company) as wc:
        count = wc.run(schedule=0.05, until=lambda: len(reports) >= 2, on_session=reports.append)
    assert count == 2
    assert [r.outcome for r in reports] == ["done", "none"]
    assert client.job(job).status == "done"


def test_a_slow_company_spends_its_time_per_record_inside_the_session(
    running: RunningBridge, company: Company
) -> None:
    name, password, qwc = add_company(running)
    seed_customers(company, 5)
    client = client_of(running, name)
    job = client.submit([customer_query()])
    report = session(qwc, password, company, slow=0.04)
    assert report.ok
    assert report.company_seconds >= 5 * 0.04
    (line,) = client.responses(job, wait_for_qbwc=5)
    assert len(line.responses[0].rets) == 5
