"""Sessions: who may open one, when, on which company file, at which qbXML version, and how they end."""

from __future__ import annotations

import threading
import time
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
    recorded_hcp,
)
from qbd_bridge.passwords import LoginThrottle
from qbd_bridge.testing import RunningBridge
from qbd_client import qbxml


def test_authenticate_answers_nvu_none_busy_or_a_ticket(running: RunningBridge, acme: Company) -> None:
    user, _, _ = qwc_ids(acme.qwc)
    wrong = acme.soap.authenticate(user, acme.password + "x")
    assert wrong[1] == "nvu"
    assert len(wrong) == 2
    assert acme.soap.authenticate("nobody", acme.password)[1] == "nvu"
    assert acme.soap.authenticate(user.upper(), acme.password)[1] == "none"  # QBWC user names ignore case
    nothing = acme.soap.authenticate(user, acme.password)
    assert nothing[1:] == ["none", "60"]  # the postpone hint: try again in 60 s

    acme.client.submit([customer_query()])
    ticket, status = acme.soap.authenticate(user, acme.password)
    assert status == ""
    assert ticket
    busy = acme.soap.authenticate(user, acme.password)
    assert busy[1] == "busy"
    assert busy[0] != ticket
    # the open session is still the first one's, and it goes on
    assert "CustomerQueryRq" in acme.soap.send(ticket, host_response(*qwc_ids(acme.qwc)[1:]))
    assert acme.client.status().session_open
    assert acme.soap.close(ticket) == "OK"
    # Closed before the answer came: the message set is queued again, and asked in the next session.
    again = acme.connector.session()
    assert again.auth[1] == ""
    assert again.percents == [100]
    assert acme.soap.authenticate(user, acme.password)[1] == "none"


def test_a_session_awaiting_an_answer_keeps_the_company_busy_until_it_expires(
    running: RunningBridge, acme: Company, clock: Clock
) -> None:
    job = acme.client.submit([customer_query()])
    broken = acme.connector.session(drop_after=1)  # QBWC lost the line between QuickBooks and the answer
    assert len(broken.sent) == 1
    # QuickBooks may still be working on it: busy, for as long as the idle timeout.
    assert acme.connector.session().auth[1] == "busy"
    clock.advance(FAST["session_quiet_timeout"] + 1)
    assert acme.connector.session().auth[1] == "busy"
    clock.advance(FAST["session_idle_timeout"])
    again = acme.connector.session()
    assert again.auth[1] == ""
    assert again.percents == [100]
    assert acme.soap.send(broken.auth[0]) == ""
    assert "ended (expired" in acme.soap.last_error(broken.auth[0])
    (line,) = acme.client.responses(job, wait_for_qbwc=1)
    assert len(line.responses[0].records()) == 25


def test_a_live_session_makes_the_company_busy_until_it_falls_silent(
    running: RunningBridge, acme: Company, clock: Clock
) -> None:
    job = acme.client.submit([customer_query(request_id="one"), customer_query(request_id="two")])
    user, owner_id, file_id = qwc_ids(acme.qwc)
    ticket = acme.soap.authenticate(user, acme.password)[0]
    acme.qb.new_session()
    first = acme.soap.send(ticket, host_response(owner_id, file_id))
    assert acme.soap.receive(ticket, *acme.qb.answer(first)) == 50
    # The Web Connector vanished between two calls, with nothing outstanding.
    assert acme.soap.authenticate(user, acme.password)[1] == "busy"
    clock.advance(FAST["session_quiet_timeout"] + 1)
    again = acme.connector.session()
    assert again.auth[1] == ""
    assert [qbxml.parse_request(text)[1][0].get("requestID") for text in again.sent] == ["two"]
    assert "ended (abandoned" in acme.soap.last_error(ticket)
    assert acme.client.job(job).status == "done"


def test_a_session_left_idle_expires_and_its_message_set_is_queued_again(
    running: RunningBridge, acme: Company, clock: Clock
) -> None:
    job = acme.client.submit([customer_add("Jane Doe")])
    stuck = acme.connector.session(drop_after=1, answer_dropped=False)
    assert acme.client.status().session_open
    clock.advance(FAST["session_idle_timeout"] + 1)
    status = acme.client.status()  # nobody signed in again: the idle timeout ends it
    assert not status.session_open
    assert status.queue_depth == 1
    assert acme.soap.receive(stuck.auth[0], "<QBXML/>") == -1
    assert "ended (expired" in acme.soap.last_error(stuck.auth[0])
    assert acme.client.job(job).counts["queued"] == 1


def test_repeated_wrong_passwords_lock_the_user_without_holding_up_other_companies(tmp_path: Path) -> None:
    clock = Clock()
    settings = {**FAST, "failure_delay": 0.3, "lockout_after": 3, "lockout_seconds": 60.0}
    with RunningBridge(tmp_path / "bridge.db", clock=clock, **settings) as running:
        acme = make_company(running)
        other = make_company(running)
        user, _, _ = qwc_ids(acme.qwc)
        other_user, _, _ = qwc_ids(other.qwc)
        other.client.submit([customer_query()])

        def attempt(password: str, into: list[str]) -> threading.Thread:
            thread = threading.Thread(
                target=lambda: into.extend(Soap(running.url).authenticate(user, password))
            )
            thread.start()
            return thread

        guesses: list[str] = []
        started = time.monotonic()
        for thread in [attempt("guess", guesses) for _ in range(3)]:
            thread.join()
        # Each refusal is answered late; the three waited side by side, not one after the other.
        assert 0.3 <= time.monotonic() - started < 0.8
        assert guesses.count("nvu") == 3

        # Locked: even the right password is refused for now; while that refusal is held back,
        # the other company signs in at once.
        right: list[str] = []
        in_flight = attempt(acme.password, right)
        time.sleep(0.05)
        started = time.monotonic()
        ticket, status = other.soap.authenticate(other_user, other.password)
        assert status == ""
        assert time.monotonic() - started < 0.3
        in_flight.join()
        assert right[1] == "nvu"
        assert other.soap.close(ticket) == "OK"

        clock.advance(61)  # the lock is over
        assert acme.soap.authenticate(user, acme.password)[1] == "none"
        assert "refused" in (acme.client.status().last_error or "")


def test_lockout_grows_with_each_further_failure_and_a_success_clears_it() -> None:
    throttle = LoginThrottle(lockout_after=2, lockout_seconds=10.0, lockout_max=35.0)
    throttle.failed("Acme", now=0.0)
    assert not throttle.locked("acme", now=0.0)
    throttle.failed("acme", now=1.0)  # the 2nd: locked for 10 s
    assert throttle.locked("ACME", now=10.9)
    assert not throttle.locked("acme", now=11.1)
    throttle.failed("acme", now=12.0)  # the 3rd: 20 s
    assert throttle.locked("acme", now=31.9)
    assert not throttle.locked("acme", now=32.1)
    throttle.failed("acme", now=40.0)  # the 4th would be 40 s: capped at 35
    assert throttle.locked("acme", now=74.9)
    assert not throttle.locked("acme", now=75.1)
    assert not throttle.locked("other", now=41.0)
    throttle.succeeded("acme")
    throttle.failed("acme", now=80.0)
    assert not throttle.locked("acme", now=80.0)


def test_another_company_file_gets_nothing_and_the_jobs_stay_queued(
    running: RunningBridge, acme: Company
) -> None:
    job = acme.client.submit([customer_query()])
    _, owner_id, file_id = qwc_ids(acme.qwc)
    # The recorded host answer of QuickBooks Pro 2014, stamped with our OwnerID: another file's FileID.
    log = acme.connector.session(hcp=host_response(owner_id, None))
    assert log.sent == []
    assert file_id in log.error
    assert "{00000ee-1111-ffff-cccc-5ff123456047}" in log.error
    assert "wrong company file" in log.error
    assert acme.qb.received == []
    assert acme.client.job(job).status == "queued"
    assert "wrong company file" in (acme.client.status().last_error or "")

    # As recorded, the file carries the FileID of another application (OwnerID): none of ours at all.
    log = acme.connector.session(hcp=recorded_hcp().decode())
    assert log.sent == []
    assert "carries no FileID" in log.error
    assert "(myCompany)" in log.error

    log = acme.connector.session(hcp=host_response(owner_id.lower().strip("{}"), file_id.lower()))
    assert len(log.sent) == 1
    assert log.percents == [100]
    assert acme.client.job(job).status == "done"


def test_session_speaks_the_hosts_highest_version_up_to_13_and_holds_back_newer_message_sets(
    running: RunningBridge, acme: Company
) -> None:
    query = qbxml.build("CustomerQueryRq", {"MaxReturned": 2})
    newer = qbxml.message_set([query], version="13.0")
    older = qbxml.message_set([query], version="8.0")
    undeclared = b"<QBXML><QBXMLMsgsRq onError='stopOnError'><CustomerQueryRq/></QBXMLMsgsRq></QBXML>"
    job = acme.client.submit([newer, older, undeclared])
    _, owner_id, file_id = qwc_ids(acme.qwc)
    versions = ("1.0", "2.0", "11.0", "12.0")
    log = acme.connector.session(hcp=host_response(owner_id, file_id, versions))
    assert [text.split("\n")[1] for text in log.sent] == [
        '<?qbxml version="8.0"?>',
        '<?qbxml version="12.0"?>',
    ]
    lines = list(acme.client.responses(job, wait_for_qbwc=1, raise_errors=False))
    assert [(line.message_set, line.error is None) for line in lines] == [(0, False), (1, True), (2, True)]
    assert "reads qbXML up to 12.0" in str(lines[0].error)
    status = acme.client.status()
    assert (status.qbxml_version, status.product) == ("12.0", "QuickBooks Pro 2014")

    acme.client.submit([newer])
    log = acme.connector.session()  # the recorded host: versions 1.0 to 13.0
    assert log.sent[0].split("\n")[1] == '<?qbxml version="13.0"?>'


def test_noop_keeps_the_session_while_an_open_job_waits_for_its_producer(
    running: RunningBridge, acme: Company
) -> None:
    job = acme.client.submit([customer_query(request_id="first")], open=True)

    def producer(noops: int) -> None:
        # The producer decides its next request only after reading the first answer.
        if noops == 2:
            reading = acme.client.responses(job, wait_for_qbwc=1)
            first = next(reading)
            reading.close()
            assert len(first.responses[0].records()) == 25
            acme.client.append(job, [customer_query(request_id="second")], close=True)

    log = acme.connector.session(on_noop=producer)
    assert log.noops == 2
    assert log.percents == [99, 100]  # 99: work is expected; 100 once the job is closed and answered
    assert [qbxml.parse_request(text)[1][0].get("requestID") for text in log.sent] == ["first", "second"]
    assert log.closed == "OK"
    assert log.error == ""
    assert acme.client.job(job).status == "done"


def test_an_open_job_whose_producer_went_quiet_is_closed_and_later_jobs_run(
    running: RunningBridge, acme: Company, clock: Clock
) -> None:
    quiet = acme.client.submit([customer_query(request_id="q")], open=True)
    later = acme.client.submit([customer_query(request_id="later")])
    log = acme.connector.session(on_noop=lambda noops: clock.advance(FAST["producer_timeout"] / 2))
    assert log.noops == 2  # waited twice for the producer; at the third look it had been quiet too long
    assert [qbxml.parse_request(text)[1][0].get("requestID") for text in log.sent] == ["q", "later"]
    assert acme.client.job(quiet).status == "done"
    assert "producer added no message set" in (acme.client.job(quiet).note or "")
    assert acme.client.job(later).status == "done"


def test_two_companies_run_their_sessions_at_the_same_time(running: RunningBridge) -> None:
    first = make_company(running, customers=12)
    second = make_company(running, customers=7)
    jobs = [c.client.submit([customer_query(5, request_id=c.name)]) for c in (first, second)]
    companies = (first, second)
    tickets = []
    for company in companies:
        user, owner_id, file_id = qwc_ids(company.qwc)
        ticket, status = company.soap.authenticate(user, company.password)
        assert status == ""
        company.qb.new_session()
        tickets.append((ticket, host_response(owner_id, file_id)))
    # Interleaved calls, as two Web Connectors on two machines would make them.
    percents: list[list[int]] = [[], []]
    done = [False, False]
    first_call = [True, True]
    while not all(done):
        for i, company in enumerate(companies):
            if done[i]:
                continue
            ticket, hcp = tickets[i]
            request = company.soap.send(ticket, hcp if first_call[i] else "")
            first_call[i] = False
            percents[i].append(company.soap.receive(ticket, *company.qb.answer(request)))
            done[i] = percents[i][-1] == 100
    assert percents[0] == [33, 66, 100]
    assert percents[1] == [50, 100]
    for company, job, customers in ((first, jobs[0], 12), (second, jobs[1], 7)):
        assert company.soap.close(tickets[companies.index(company)][0]) == "OK"
        lines = list(company.client.responses(job, wait_for_qbwc=1))
        names = [r["Name"] for line in lines for r in line.responses[0].records()]
        assert names == [f"Customer {n:05d}" for n in range(customers)]


def test_unknown_or_closed_ticket_gets_nothing_and_a_reason(running: RunningBridge, acme: Company) -> None:
    assert acme.soap.send("no-such-ticket") == ""
    assert "unknown session ticket" in acme.soap.last_error("no-such-ticket")
    assert acme.soap.receive("no-such-ticket", "<QBXML/>") == -1
    assert acme.soap.close("no-such-ticket") == "OK"
    acme.client.submit([customer_query()])
    log = acme.connector.session()
    ticket = log.auth[0]
    assert acme.soap.send(ticket) == ""
    assert "this session has ended (closeConnection)" in acme.soap.last_error(ticket)
    assert acme.soap.receive(ticket, "<QBXML/>") == -1


@pytest.mark.parametrize(
    ("hcp", "reason"),
    [
        ("", "sent no host information"),
        ("<QBXML><QBXMLMsgsRs>", "cannot be read"),
        ("<QBXML><QBXMLMsgsRs/></QBXML>", "carries no FileID"),
    ],
)
def test_host_information_missing_or_unreadable_refuses_the_session(
    running: RunningBridge, acme: Company, hcp: str, reason: str
) -> None:
    job = acme.client.submit([customer_query()])
    log = acme.connector.session(hcp=hcp)
    assert log.sent == []
    assert reason in log.error
    assert acme.qb.received == []
    assert acme.client.job(job).status == "queued"
