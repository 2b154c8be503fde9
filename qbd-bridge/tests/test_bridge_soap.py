"""The SOAP surface QBWC sees: the WSDL (a zeep client is built from it), the eight operations, the pages."""

from __future__ import annotations

import requests
import zeep
from bridge_harness import NS, Company, customer_query, host_response, qwc_ids, soap_result
from qbd_bridge.testing import RunningBridge
from qbd_client import qbxml
from qbd_client.xml import local_name, parse_bytes, parse_text
from shared import qbd_fixtures_dir

WSDL = "http://schemas.xmlsoap.org/wsdl/"


def test_wsdl_is_served_and_names_the_eight_operations(running: RunningBridge) -> None:
    answer = requests.get(f"{running.qbwc_url}?wsdl", timeout=10)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/xml")
    root = parse_bytes(answer.content)
    assert root.get("targetNamespace") == NS
    operations = [op.get("name") for op in root.findall(f"{{{WSDL}}}portType/{{{WSDL}}}operation")]
    assert operations == [
        "serverVersion",
        "clientVersion",
        "authenticate",
        "sendRequestXML",
        "receiveResponseXML",
        "connectionError",
        "getLastError",
        "closeConnection",
    ]
    actions = [op.get("soapAction") for op in root.iter("{http://schemas.xmlsoap.org/wsdl/soap/}operation")]
    assert actions == [f"{NS}{name}" for name in operations]
    address = root.find(f".//{{{WSDL}}}port/{{http://schemas.xmlsoap.org/wsdl/soap/}}address")
    assert address is not None
    assert address.get("location") == running.qbwc_url
    # ?WSDL is the same document (.NET tools ask in capitals)
    assert requests.get(f"{running.qbwc_url}?WSDL", timeout=10).content == answer.content


def test_zeep_client_from_the_served_wsdl_runs_a_whole_session(running: RunningBridge, acme: Company) -> None:
    service = zeep.Client(f"{running.qbwc_url}?wsdl").service
    user, owner_id, file_id = qwc_ids(acme.qwc)

    assert service.serverVersion().startswith("qbd-bridge ")
    assert service.clientVersion(strVersion="2.2.0.71") in ("", None)  # "" is go on (zeep reads it as None)
    assert service.clientVersion(strVersion="1.1.0.0") == "O:2.0.0.0"
    refused = service.authenticate(strUserName=user, strPassword="not the password")
    assert refused[1] == "nvu"
    nothing = service.authenticate(strUserName=user, strPassword=acme.password)
    assert nothing[1:] == ["none", "60"]

    job = acme.client.submit([customer_query(request_id="q1")], label="all customers")
    ticket, status = service.authenticate(strUserName=user, strPassword=acme.password)
    assert status in ("", None)
    assert len(ticket) == 36
    request = service.sendRequestXML(
        ticket=ticket,
        strHCPResponse=host_response(owner_id, file_id),
        strCompanyFileName=r"C:\Users\Public\Documents\Intuit\QuickBooks\acme.qbw",
        qbXMLCountry="US",
        qbXMLMajorVers=13,
        qbXMLMinorVers=0,
    )
    msgs, requests_ = qbxml.parse_request(request)
    assert [local_name(r) for r in requests_] == ["CustomerQueryRq"]
    assert msgs.get("newMessageSetID")
    response, hresult, message = acme.qb.answer(request)
    assert (
        service.receiveResponseXML(ticket=ticket, response=response, hresult=hresult, message=message) == 100
    )
    assert service.getLastError(ticket=ticket) in ("", None)
    assert service.closeConnection(ticket=ticket) == "OK"

    # connectionError: QuickBooks could not be started; recorded. QuickBooks may still be starting:
    # QBWC is told once to try the open company file again (""), then to stop.
    acme.client.submit([customer_query()])
    ticket, _ = service.authenticate(strUserName=user, strPassword=acme.password)
    for expected in ("", "done"):
        answer = service.connectionError(
            ticket=ticket, hresult="0x80040408", message="Could not start QuickBooks."
        )
        assert (answer or "") == expected
    assert "0x80040408" in (acme.client.status().last_error or "")
    assert acme.client.status().session_open is False

    lines = list(acme.client.responses(job, wait_for_qbwc=1))
    assert [line.responses[0].tag for line in lines] == ["CustomerQueryRs"]
    assert len(lines[0].responses[0].records()) == 25


def test_recorded_receive_response_envelope_from_qbwc_is_recorded(
    running: RunningBridge, acme: Company
) -> None:
    """The raw receiveResponseXML QBWC posted for a ReceivePaymentAdd (flowlink recording), ticket swapped."""
    recorded = (
        qbd_fixtures_dir() / "recorded" / "flowlink__soap_receiveResponseXML_receive_payment_add.xml"
    ).read_bytes()
    inner = soap_result_free_response(recorded)
    payment = qbxml.add_request(
        "ReceivePayment", {"CustomerRef": {"FullName": "spree@example.com"}, "TotalAmount": "210.00"}
    )
    job = acme.client.submit([qbxml.message_set([payment])])
    user, owner_id, file_id = qwc_ids(acme.qwc)
    ticket = acme.soap.authenticate(user, acme.password)[0]
    sent = acme.soap.send(ticket, host_response(owner_id, file_id))
    assert "ReceivePaymentAddRq" in sent

    old_ticket = b"354f40b4-b661-4472-a13f-8abf13a743c3"
    assert recorded.count(old_ticket) == 1
    answer = acme.soap.post(recorded.replace(old_ticket, ticket.encode()), "receiveResponseXML")
    assert answer.status_code == 200
    assert soap_result(answer.content).text == "100"
    assert acme.soap.close(ticket) == "OK"

    (line,) = acme.client.responses(job, wait_for_qbwc=1)
    assert line.raw == inner
    (rs,) = line.responses
    assert (rs.tag, rs.status_code, rs.request_id) == (
        "ReceivePaymentAddRs",
        0,
        "0bb737ee-2862-4ab7-8d35-f551f84793c9",
    )
    assert rs.records()[0]["TxnID"] == "B7-1417040299"


def soap_result_free_response(envelope: bytes) -> str:
    """The qbXML text inside a recorded receiveResponseXML envelope."""
    root = parse_bytes(envelope)
    node = root.find(f".//{{{NS}}}response")
    assert node is not None
    assert node.text
    parse_text(node.text)  # it is a qbXML document once unescaped
    return node.text


def test_support_page_and_health_answer_200(running: RunningBridge) -> None:
    support = requests.get(f"{running.url}/support", timeout=10)
    assert support.status_code == 200
    assert "qbd-bridge" in support.text
    assert support.headers["content-type"].startswith("text/html")
    assert requests.get(f"{running.url}/health", timeout=10).json()["status"] == "ok"
    plain = requests.get(running.qbwc_url, timeout=10)
    assert plain.status_code == 200
    assert "?wsdl" in plain.text
