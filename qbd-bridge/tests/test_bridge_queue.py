"""The queue: iterators continued in the session, errors recorded, writes never applied twice, restarts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from bridge_harness import (
    FAST,
    Clock,
    Company,
    Soap,
    customer_add,
    customer_query,
    host_response,
    make_company,
    qwc_ids,
)
from qbd_bridge.testing import RunningBridge
from qbd_client import qbxml
from qbd_client.client import BridgeError
from qbd_client.errors import IteratorExpired, RequestRefused
from qbd_client.xml import local_name


def _requests(text: str) -> list[tuple[str, dict[str, str]]]:
    _, requests_ = qbxml.parse_request(text)
    return [(local_name(r), dict(r.attrib)) for r in requests_]


def test_iterator_is_continued_in_the_session_with_the_same_filters_before_other_work(
    running: RunningBridge, acme: Company
) -> None:
    paged = customer_query(10, request_id="cust", ActiveStatus="All", FromModifiedDate="2015-01-01T00:00:00")
    job = acme.client.submit([paged], label="customers")
    after = acme.client.submit([customer_query(request_id="after")])
    log = acme.connector.session()

    sent = [_requests(text)[0] for text in log.sent]
    assert [attrs.get("iterator") for _, attrs in sent] == ["Start", "Continue", "Continue", "Start"]
    assert [attrs["requestID"] for _, attrs in sent] == ["cust", "cust", "cust", "after"]
    # Each Continue names the iterator of the answer before it; QuickBooks (which checks that the
    # filters did not change, else it answers 3391) answered every page.
    ids = [attrs.get("iteratorID") for _, attrs in sent]
    assert ids[0] is None
    assert ids[1] == ids[2]
    assert ids[1]
    assert all(r.attrs[0].get("iteratorID") in (None, ids[1]) for r in acme.qb.received)
    # Percent done counts the pages the iterator still holds: 25 customers, 10 a page, then a job.
    assert log.percents == [25, 50, 75, 100]

    lines = list(acme.client.responses(job, wait_for_qbwc=1))
    assert [(line.message_set, line.part) for line in lines] == [(0, 0), (0, 1), (0, 2)]
    assert [line.responses[0].iterator_remaining for line in lines] == [15, 5, 0]
    names = [record["Name"] for line in lines for record in line.responses[0].records()]
    assert names == [f"Customer {n:05d}" for n in range(25)]
    status = acme.client.job(job)
    assert (status.status, status.responses, status.counts["answered"], status.progress) == (
        "done",
        3,
        1,
        100.0,
    )
    assert acme.client.job(after).status == "done"


def test_iterator_cut_by_the_end_of_its_session_is_reported_lost_not_continued_later(
    running: RunningBridge, acme: Company
) -> None:
    job = acme.client.submit([customer_query(10), customer_query(request_id="next")])
    user, owner_id, file_id = qwc_ids(acme.qwc)
    ticket = acme.soap.authenticate(user, acme.password)[0]
    acme.qb.new_session()
    first = acme.soap.send(ticket, host_response(owner_id, file_id))
    assert acme.soap.receive(ticket, *acme.qb.answer(first)) < 100
    assert acme.soap.close(ticket) == "OK"  # the user stopped the update mid-iterator

    log = acme.connector.session()
    # The next session goes on with the job's next message set, never with the dead iterator.
    assert [_requests(text)[0][1].get("requestID") for text in log.sent] == ["next"]
    lines = list(acme.client.responses(job, wait_for_qbwc=1, raise_errors=False))
    assert [(line.message_set, line.part, type(line.error).__name__) for line in lines] == [
        (0, 0, "NoneType"),
        (0, 1, "IteratorExpired"),
        (1, 0, "NoneType"),
    ]
    assert "15 records were left" in str(lines[1].error)
    assert acme.client.job(job).status == "failed"
    with pytest.raises(IteratorExpired, match="submitted again"):
        list(acme.client.responses(job, wait_for_qbwc=1))


def test_hresult_is_the_message_sets_error_and_the_session_goes_on(
    running: RunningBridge, acme: Company
) -> None:
    # QuickBooks refuses a request it cannot parse as a whole: the response is empty, the HRESULT says why.
    refused = qbxml.message_set([qbxml.build("InvoiceQueryRq", {"MaxReturned": 1})])
    job = acme.client.submit([refused, customer_query(request_id="fine")])
    log = acme.connector.session()
    assert len(log.sent) == 2
    assert log.percents[-1] == 100
    lines = list(acme.client.responses(job, wait_for_qbwc=1, raise_errors=False))
    assert isinstance(lines[0].error, RequestRefused)
    assert (lines[0].raw, lines[0].hresult, lines[0].error.code) == (None, "0x80040400", "0x80040400")
    assert "parsing the provided XML" in (lines[0].message or "")
    assert lines[1].ok
    assert lines[1].responses[0].request_id == "fine"
    status = acme.client.job(job)
    assert (status.status, status.counts["failed"], status.counts["answered"]) == ("failed", 1, 1)
    assert "0x80040400" in (acme.client.status().last_error or "")
    with pytest.raises(RequestRefused, match="message set 0"):
        list(acme.client.responses(job, wait_for_qbwc=1))


@pytest.mark.parametrize("applied", [True, False], ids=["quickbooks-applied-it", "never-reached-quickbooks"])
def test_write_of_a_dropped_session_is_sent_again_and_applied_once(
    running: RunningBridge, clock: Clock, applied: bool
) -> None:
    acme = make_company(running)
    job = acme.client.submit([customer_add("Jane Doe")])
    dropped = acme.connector.session(drop_after=1, answer_dropped=applied)
    first_id = qbxml.parse_request(dropped.sent[0])[0].get("newMessageSetID")
    assert first_id
    assert qbxml.parse_request(dropped.sent[0])[0].get("oldMessageSetID") is None
    clock.advance(FAST["session_idle_timeout"] + 1)

    log = acme.connector.session()
    msgs, _ = qbxml.parse_request(log.sent[0])
    # The same UUID as old and new: QuickBooks answers its stored outcome, or applies it once.
    assert (msgs.get("oldMessageSetID"), msgs.get("newMessageSetID")) == (first_id, first_id)
    assert [c["Name"] for c in acme.qb.customers] == ["Jane Doe"]
    (line,) = acme.client.responses(job, wait_for_qbwc=1)
    assert line.response is not None
    assert line.response.message_set_status_code == ("0" if applied else None)
    assert line.responses[0].records()[0]["ListID"] == acme.qb.customers[0]["ListID"]
    assert acme.client.job(job).status == "done"


def test_a_query_whose_answer_was_lost_is_asked_afresh(running: RunningBridge, clock: Clock) -> None:
    acme = make_company(running, customers=3)
    acme.client.submit([customer_query(2)])
    dropped = acme.connector.session(drop_after=1)
    clock.advance(FAST["session_idle_timeout"] + 1)
    log = acme.connector.session()
    before, after = (qbxml.parse_request(t)[0] for t in (dropped.sent[0], log.sent[0]))
    # A stored answer would hold an iterator of the dead session: a new id, no oldMessageSetID.
    assert after.get("oldMessageSetID") is None
    assert after.get("newMessageSetID") != before.get("newMessageSetID")
    assert [_requests(t)[0][1].get("iterator") for t in log.sent] == ["Start", "Continue"]


def test_a_restart_loses_nothing_queued_or_answered_and_the_session_goes_on(tmp_path: Path) -> None:
    with RunningBridge(tmp_path / "bridge.db", **FAST) as running:
        acme = make_company(running, customers=25)
        paged = acme.client.submit([customer_query(10)])
        later = acme.client.submit([customer_add("Added after the restart")])
        user, owner_id, file_id = qwc_ids(acme.qwc)
        ticket = acme.soap.authenticate(user, acme.password)[0]
        acme.qb.new_session()
        page = acme.soap.send(ticket, host_response(owner_id, file_id))
        assert acme.soap.receive(ticket, *acme.qb.answer(page)) < 100

        running.restart()  # a new server process would do the same: a new Bridge on the same file
        soap = Soap(running.url)
        reading = acme.client.responses(paged, wait_for_qbwc=1)
        assert len(next(reading).responses[0].records()) == 10  # the page answered before the restart
        reading.close()
        assert acme.client.job(later).status == "queued"
        # QBWC's session (and QuickBooks' iterator) outlived our restart: it simply goes on.
        percents = []
        while not percents or percents[-1] < 100:
            request = soap.send(ticket)
            assert request, soap.last_error(ticket)
            percents.append(soap.receive(ticket, *acme.qb.answer(request)))
        assert soap.close(ticket) == "OK"

        running.restart()
        lines = list(acme.client.responses(paged, wait_for_qbwc=1))
        assert len([r for line in lines for r in line.responses[0].records()]) == 25
        assert [c["Name"] for c in acme.qb.customers][-1] == "Added after the restart"
        assert acme.client.job(later).status == "done"


def test_cancel_stops_what_is_not_sent_yet(running: RunningBridge, acme: Company) -> None:
    job = acme.client.submit([customer_query(request_id="a"), customer_query(request_id="b")])
    kept = acme.client.submit([customer_query(request_id="c")])
    user, owner_id, file_id = qwc_ids(acme.qwc)
    ticket = acme.soap.authenticate(user, acme.password)[0]
    acme.qb.new_session()
    first = acme.soap.send(ticket, host_response(owner_id, file_id))
    cancelled = acme.client.cancel(job)
    assert cancelled.status == "cancelled"
    assert cancelled.counts["cancelled"] == 1
    assert cancelled.counts["sent"] == 1
    # The answer to what was already sent is still recorded; the cancelled rest is never sent.
    assert acme.soap.receive(ticket, *acme.qb.answer(first)) == 50
    nxt = acme.soap.send(ticket)
    assert _requests(nxt)[0][1]["requestID"] == "c"
    assert acme.soap.receive(ticket, *acme.qb.answer(nxt)) == 100
    assert acme.soap.close(ticket) == "OK"
    assert [line.responses[0].request_id for line in acme.client.responses(job, wait_for_qbwc=1)] == ["a"]
    assert acme.client.job(kept).status == "done"
    assert acme.client.cancel(kept).status == "done"  # a finished job stays as it ended


def test_finished_jobs_are_deleted_after_their_retention(
    running: RunningBridge, acme: Company, clock: Clock
) -> None:
    finished = acme.client.submit([customer_query()])
    acme.connector.session()
    assert acme.client.job(finished).status == "done"
    clock.advance(7 * 86400 + 3600)
    waiting = acme.client.submit([customer_query()])  # queued, not finished: kept however old
    clock.advance(7 * 86400 + 3600)
    acme.connector.session()  # the purge runs at an authenticate, at most once an hour
    with pytest.raises(BridgeError, match="unknown job"):
        acme.client.job(finished)
    assert acme.client.job(waiting).status == "done"
    conn = sqlite3.connect(running.database)
    try:
        assert conn.execute("SELECT COUNT(*) FROM responses WHERE job_id = ?", (finished,)).fetchone() == (0,)
        assert conn.execute("SELECT COUNT(*) FROM message_sets WHERE job_id = ?", (finished,)).fetchone() == (
            0,
        )
    finally:
        conn.close()


def test_an_answer_posted_twice_is_recorded_once_and_the_session_goes_on(
    running: RunningBridge, acme: Company
) -> None:
    job = acme.client.submit([customer_query(10)])
    user, owner_id, file_id = qwc_ids(acme.qwc)
    ticket = acme.soap.authenticate(user, acme.password)[0]
    acme.qb.new_session()
    answer = acme.qb.answer(acme.soap.send(ticket, host_response(owner_id, file_id)))
    first = acme.soap.receive(ticket, *answer)
    # QBWC timed out waiting for our reply and posted the same answer again.
    assert acme.soap.receive(ticket, *answer) == first
    # Another answer with nothing outstanding is out of step, though.
    assert acme.soap.receive(ticket, answer[0].replace("Customer 00000", "Someone else")) == -1
    percents = [first]
    while percents[-1] < 100:
        percents.append(acme.soap.receive(ticket, *acme.qb.answer(acme.soap.send(ticket))))
    assert acme.soap.close(ticket) == "OK"
    lines = list(acme.client.responses(job, wait_for_qbwc=1))
    assert [line.part for line in lines] == [0, 1, 2]
    assert len({r["ListID"] for line in lines for r in line.responses[0].records()}) == 25
