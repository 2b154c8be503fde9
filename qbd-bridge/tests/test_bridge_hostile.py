"""Hostile input on the SOAP endpoint: the answer QBWC would get, and the database left as it was."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from bridge_harness import (
    FAST,
    NS,
    Company,
    customer_query,
    envelope,
    fault_string,
    host_response,
    make_company,
    qwc_ids,
    table_digest,
)
from qbd_bridge.testing import RunningBridge

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body><authenticate xmlns="{NS}">'
    "<strUserName>&lol3;</strUserName><strPassword>x</strPassword></authenticate></soap:Body></soap:Envelope>"
).encode()
EXTERNAL = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body><getLastError xmlns="{NS}">'
    "<ticket>&xxe;</ticket></getLastError></soap:Body></soap:Envelope>"
).encode()
DEEP = (
    f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body><getLastError xmlns="{NS}"><ticket>'.encode()
    + b"<a>" * 5000
    + b"</a>" * 5000
    + b"</ticket></getLastError></soap:Body></soap:Envelope>"
)

HOSTILE = {
    "not XML": b"\x00\x01binary garbage",
    "empty body": b"",
    "truncated envelope": envelope("authenticate", strUserName="x", strPassword="y")[:-30],
    "entity expansion (billion laughs)": LAUGHS,
    "external entity": EXTERNAL,
    "nesting 5000 deep": DEEP,
    "unknown operation": envelope("dropAllTables"),
    "operation in another namespace": envelope("authenticate").replace(NS.encode(), b"urn:evil"),
    "SOAP 1.2 envelope": envelope("serverVersion").replace(
        SOAP_ENV.encode(), b"http://www.w3.org/2003/05/soap-envelope"
    ),
    "two operations": envelope("serverVersion").replace(
        b"</soap:Body>", f'<getLastError xmlns="{NS}"/></soap:Body>'.encode()
    ),
    "a parameter holding elements": envelope("getLastError", ticket="t").replace(b">t<", b"><b>t</b><"),
}


@pytest.fixture
def busy_company(running: RunningBridge) -> Iterator[tuple[Company, str, str]]:
    """A company with a job half done and a session open (its ticket), so that there is state to damage."""
    acme = make_company(running, customers=25)
    job = acme.client.submit([customer_query(10), customer_query(request_id="more")])
    user, owner_id, file_id = qwc_ids(acme.qwc)
    ticket = acme.soap.authenticate(user, acme.password)[0]
    acme.qb.new_session()
    first = acme.soap.send(ticket, host_response(owner_id, file_id))
    assert acme.soap.receive(ticket, *acme.qb.answer(first)) < 100
    yield acme, ticket, job
    acme.soap.close(ticket)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_envelope_gets_a_fault_and_changes_nothing(
    running: RunningBridge, busy_company: tuple[Company, str, str], name: str
) -> None:
    acme, ticket, _ = busy_company
    before = table_digest(running.database)
    answer = acme.soap.post(HOSTILE[name])
    assert answer.status_code == 500
    assert answer.headers["content-type"].startswith("text/xml")
    message = fault_string(answer.content)
    # nothing was expanded or read
    assert "root:" not in message
    assert "lollol" not in message
    assert table_digest(running.database) == before
    # and the session goes on as if nothing had happened
    assert "CustomerQueryRq" in acme.soap.send(ticket)


def test_huge_bodies_are_refused_before_they_are_read(tmp_path: Path) -> None:
    with RunningBridge(tmp_path / "bridge.db", **{**FAST, "max_body_bytes": 64 * 1024}) as running:
        acme = make_company(running)
        before = table_digest(running.database)
        huge = envelope("receiveResponseXML", ticket="t", response="x" * 100_000, hresult="", message="")
        answer = acme.soap.post(huge)
        assert answer.status_code == 413
        assert "larger than 65536 bytes" in fault_string(answer.content)

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            yield huge[:1000]
            for _ in range(200):
                yield b" " * 1000

        chunked = requests.post(
            f"{running.url}/qbwc", data=chunks(), headers={"Content-Type": "text/xml"}, timeout=10
        )
        assert chunked.status_code == 413
        api = requests.post(
            f"{running.url}/api/v1/companies/{acme.name}/jobs",
            data=b'{"message_sets": ["' + b"x" * 100_000 + b'"]}',
            headers={"Authorization": f"Bearer {running.token()}", "Content-Type": "application/json"},
            timeout=10,
        )
        assert (api.status_code, api.json()["error"]) == (413, "too_large")
        assert table_digest(running.database) == before


def test_unknown_tickets_get_the_answers_qbwc_expects_and_change_nothing(
    running: RunningBridge, busy_company: tuple[Company, str, str]
) -> None:
    acme, ticket, _ = busy_company
    before = table_digest(running.database)
    for fake in (
        "",
        "0" * 36,
        ticket[:-1] + ("0" if ticket[-1] != "0" else "1"),
        "' OR 1=1 --",
        "x" * 10_000,
    ):
        assert acme.soap.send(fake) == ""
        assert acme.soap.receive(fake, "<QBXML><QBXMLMsgsRs/></QBXML>") == -1
        assert acme.soap.last_error(fake).startswith("unknown session ticket")
        assert acme.soap.connection_error(fake, "0x80040408", "x") == "done"
        assert acme.soap.close(fake) == "OK"
    assert table_digest(running.database) == before


def test_a_ticket_of_another_company_cannot_answer_for_this_one(
    running: RunningBridge, busy_company: tuple[Company, str, str]
) -> None:
    acme, acme_ticket, _ = busy_company
    request = acme.soap.send(acme_ticket)  # acme's next page is now outstanding
    other = make_company(running, customers=3)
    other.client.submit([customer_query()])
    user, _, _ = qwc_ids(other.qwc)
    other_ticket = other.soap.authenticate(user, other.password)[0]
    acme_rows = {
        "jobs": "WHERE company_id = (SELECT id FROM companies WHERE name = '{0}')",
        "message_sets": "WHERE job_id IN (SELECT j.id FROM jobs j JOIN companies c ON c.id = j.company_id "
        "WHERE c.name = '{0}')",
        "responses": "WHERE job_id IN (SELECT j.id FROM jobs j JOIN companies c ON c.id = j.company_id "
        "WHERE c.name = '{0}')",
        "sessions": "WHERE company_id = (SELECT id FROM companies WHERE name = '{0}')",
        "companies": "WHERE name = '{0}'",
    }
    where = {table: clause.format(acme.name) for table, clause in acme_rows.items()}
    before = table_digest(running.database, where)
    # The other company's Web Connector posts acme's page with its own ticket: nothing outstanding there.
    assert other.soap.receive(other_ticket, *acme.qb.answer(request)) == -1
    assert "no request outstanding" in other.soap.last_error(other_ticket)
    assert table_digest(running.database, where) == before
    assert other.soap.close(other_ticket) == "OK"


def test_a_response_holding_a_doctype_is_an_error_not_data(
    running: RunningBridge, busy_company: tuple[Company, str, str]
) -> None:
    acme, ticket, job = busy_company
    assert acme.soap.send(ticket)
    poisoned = (
        '<?xml version="1.0"?><!DOCTYPE QBXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        "<QBXML><QBXMLMsgsRs><CustomerQueryRs statusCode='0'>&xxe;</CustomerQueryRs></QBXMLMsgsRs></QBXML>"
    )
    assert 0 <= acme.soap.receive(ticket, poisoned) < 100  # the session goes on with the next message set
    reading = acme.client.responses(job, wait_for_qbwc=0.5, after=1, raise_errors=False)
    line = next(reading)
    reading.close()
    assert (line.part, line.raw) == (1, None)
    assert "DOCTYPE" in str(line.error)
    assert b"root:" not in running.database.read_bytes()
