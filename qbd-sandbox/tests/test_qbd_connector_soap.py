"""The SOAP envelopes the emulator posts and reads, compared with what QBWC really sends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from qbd_bridge.testing import RunningBridge
from qbd_client.xml import local_name, parse_bytes
from qbd_sandbox.company import Company
from qbd_sandbox.faults import ConnectorFaults, FaultSpecError
from qbd_sandbox.webconnector import (
    CLIENT_VERSION,
    NS,
    PARAMETERS,
    PARSE_ERROR,
    SOAP_ENV,
    ProtocolError,
    SoapClient,
    SoapFault,
    WebConnector,
    build_envelope,
    busy_response,
    parse_answer,
    result_strings,
    result_text,
    version_tuple,
)
from shared import qbd_fixtures_dir

QBXML_RQ = (
    '<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="13.0"?>\n'
    '<QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerQueryRq requestID="1">'
    "<FullName>O'Brien &amp; Sons &lt;West&gt;</FullName></CustomerQueryRq></QBXMLMsgsRq></QBXML>"
)


def answer(operation: str, result: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body>'
        f'<{operation}Response xmlns="{NS}">{result}</{operation}Response></soap:Body></soap:Envelope>'
    ).encode()


def test_receive_response_envelope_matches_recorded_qbwc_traffic() -> None:
    recorded = qbd_fixtures_dir() / "recorded" / "flowlink__soap_receiveResponseXML_receive_payment_add.xml"
    real = parse_bytes(recorded.read_bytes())
    real_call = real[0][0]
    params = [(local_name(c), c.text or "") for c in real_call]
    ours = parse_bytes(build_envelope("receiveResponseXML", params))
    assert ours.tag == real.tag == f"{{{SOAP_ENV}}}Envelope"
    assert [c.tag for c in ours] == [c.tag for c in real] == [f"{{{SOAP_ENV}}}Body"]
    call = ours[0][0]
    assert call.tag == real_call.tag == f"{{{NS}}}receiveResponseXML"
    assert [(c.tag, c.text) for c in call] == [(c.tag, c.text) for c in real_call]
    # The qbXML answer travels as an escaped string, not as child elements.
    assert len(call[1]) == 0
    assert call[1].text.startswith('<?xml version="1.0" ?>\n<QBXML>')
    assert b"<hresult/>" in build_envelope("receiveResponseXML", params)


def test_qbxml_inside_a_parameter_survives_the_round_trip_unchanged() -> None:
    envelope = build_envelope("receiveResponseXML", [("ticket", "t-1"), ("response", QBXML_RQ)])
    assert b"&lt;QBXML&gt;" in envelope
    parsed = parse_bytes(envelope)
    assert parsed[0][0][1].text == QBXML_RQ


def test_answers_are_read_by_operation() -> None:
    assert (
        result_text(
            parse_answer(
                "serverVersion", answer("serverVersion", "<serverVersionResult>1.2</serverVersionResult>")
            )
        )
        == "1.2"
    )
    ticket_answer = answer(
        "authenticate",
        "<authenticateResult><string>abc</string><string></string><string>30</string></authenticateResult>",
    )
    assert result_strings(parse_answer("authenticate", ticket_answer)) == ["abc", "", "30"]
    escaped = "&lt;QBXML&gt;&lt;QBXMLMsgsRq/&gt;&lt;/QBXML&gt;"
    request = parse_answer(
        "sendRequestXML", answer("sendRequestXML", f"<sendRequestXMLResult>{escaped}</sendRequestXMLResult>")
    )
    assert result_text(request) == "<QBXML><QBXMLMsgsRq/></QBXML>"
    # .NET reads an absent result as null: QBWC then treats it as "".
    assert result_text(parse_answer("sendRequestXML", answer("sendRequestXML", ""))) == ""


def test_a_soap_fault_is_raised_with_its_text() -> None:
    fault = (
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body><soap:Fault><faultcode>soap:Client</faultcode>'
        "<faultstring>unknown ticket</faultstring></soap:Fault></soap:Body></soap:Envelope>"
    ).encode()
    with pytest.raises(SoapFault, match=r"^sendRequestXML: SOAP fault soap:Client: unknown ticket$"):
        parse_answer("sendRequestXML", fault)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<html>502</html>", "not a SOAP 1.1 envelope"),
        (b"not xml", "not XML"),
        (f'<e:Envelope xmlns:e="{SOAP_ENV}"/>'.encode(), "has no Body"),
        (answer("serverVersion", "").replace(b"serverVersionResponse", b"clientVersionResponse"), "expected"),
        (answer("serverVersion", "").replace(NS.encode(), b"http://example.com/"), "expected"),
    ],
)
def test_answers_qbwc_could_not_read_are_protocol_errors(data: bytes, reason: str) -> None:
    with pytest.raises(ProtocolError, match=reason):
        parse_answer("serverVersion", data)


def test_busy_answer_names_each_write_and_honours_stop_on_error() -> None:
    request = (
        '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="continueOnError" '
        'newMessageSetID="ms-7"><CustomerAddRq requestID="a"><CustomerAdd><Name>A</Name></CustomerAdd>'
        '</CustomerAddRq><TxnDelRq requestID="b"><TxnDelType>Invoice</TxnDelType><TxnID>1-1</TxnID>'
        "</TxnDelRq>"
        "</QBXMLMsgsRq></QBXML>"
    )
    root = parse_bytes(busy_response(request, 3180).encode())
    msgs = root[0]
    assert msgs.get("newMessageSetID") == "ms-7"
    assert [(rs.tag, rs.get("requestID"), rs.get("statusCode"), rs.get("statusSeverity")) for rs in msgs] == [
        ("CustomerAddRs", "a", "3180", "Error"),
        ("TxnDelRs", "b", "3180", "Error"),
    ]
    stop = parse_bytes(busy_response(request.replace("continueOnError", "stopOnError"), 3170).encode())
    assert [rs.tag for rs in stop[0]] == ["CustomerAddRs"]


def test_version_numbers_compare_by_parts() -> None:
    assert version_tuple("2.3.0.36") > version_tuple("2.2.0.71")
    assert version_tuple("2.10") > version_tuple("2.9")


def test_faults_are_read_from_the_cli_text_and_reproducible() -> None:
    faults = ConnectorFaults.parse("seed=7, drop=0.5, duplicate=0.25, close_after=3, slow=0.01, times=2")
    assert (faults.seed, faults.drop, faults.duplicate, faults.close_after, faults.slow, faults.times) == (
        7,
        0.5,
        0.25,
        3,
        0.01,
        2,
    )
    again = ConnectorFaults.parse(faults.describe())
    assert [faults.drop_side() for _ in range(20)] == [again.drop_side() for _ in range(20)]
    assert faults.fired["drop"] == 2  # times=2 caps it
    with pytest.raises(FaultSpecError, match="unknown fault 'explode=1'"):
        ConnectorFaults.parse("explode=1")
    with pytest.raises(FaultSpecError, match=r"drop=1\.5 is not a probability"):
        ConnectorFaults.parse("drop=1.5")
    with pytest.raises(FaultSpecError, match="busy='often' is not a number"):
        ConnectorFaults.parse("busy=often")


# --- against the bridge ------------------------------------------------------------------------------

XSD_NS = "http://www.w3.org/2001/XMLSchema"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP_NS = "http://schemas.xmlsoap.org/wsdl/soap/"


@pytest.fixture(scope="module")
def bridge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBridge]:
    fast = {"password_cost": 2**10, "failure_delay": 0.05}
    with RunningBridge(tmp_path_factory.mktemp("bridge") / "bridge.db", **fast) as running:
        yield running


def test_every_call_the_emulator_makes_is_one_the_bridges_wsdl_declares(bridge: RunningBridge) -> None:
    answer = requests.get(f"{bridge.qbwc_url}?wsdl", timeout=10)
    assert answer.status_code == 200
    wsdl = parse_bytes(answer.content)
    declared = {}
    schema = wsdl.find(f"{{{WSDL_NS}}}types/{{{XSD_NS}}}schema")
    assert schema is not None
    for element in schema.findall(f"{{{XSD_NS}}}element"):
        declared[element.get("name")] = tuple(e.get("name") for e in element.iter(f"{{{XSD_NS}}}element"))[1:]
    for operation, names in PARAMETERS.items():
        assert declared[operation] == names, operation
        assert declared[f"{operation}Response"] == (f"{operation}Result",)
    actions = {op.get("soapAction") for op in wsdl.iter(f"{{{WSDL_SOAP_NS}}}operation")}
    assert actions == {f"{NS}{operation}" for operation in PARAMETERS}


def test_soap_client_and_the_bridge_understand_each_other(bridge: RunningBridge) -> None:
    password, _ = bridge.add_company("envelopes")
    client = SoapClient(bridge.qbwc_url)
    try:
        assert client.server_version().startswith("qbd-bridge")
        assert client.client_version(CLIENT_VERSION) == ""
        assert client.client_version("1.0.0.0").startswith("O:")
        ticket, status = client.authenticate("envelopes", password + "!")[:2]
        assert status == "nvu"
        assert client.authenticate("envelopes", password)[1] == "none"  # nothing queued
        assert client.get_last_error(ticket)  # an unknown ticket: a reason, not a fault
        assert client.send_request_xml(ticket, "", "", "US", 13, 0) == ""
        assert client.receive_response_xml(ticket, "", "0x80040400", PARSE_ERROR) == -1
        assert client.close_connection(ticket) == "OK"
        assert client.calls == 9
    finally:
        client.close()
    with pytest.raises(TypeError, match=r"getLastError takes \(ticket\), not 0 values"):
        client.call("getLastError")


def test_a_call_the_service_cannot_parse_comes_back_as_a_soap_fault(bridge: RunningBridge) -> None:
    client = SoapClient(bridge.qbwc_url)
    try:
        answer = client.http.post(
            bridge.qbwc_url, data=b"<not-soap/>", headers={"Content-Type": "text/xml"}, timeout=10
        )
        assert answer.status_code == 500
        with pytest.raises(SoapFault, match=r"not a SOAP 1\.1 envelope"):
            parse_answer("serverVersion", answer.content)
    finally:
        client.close()


def _qwc(tmp_path: Path, port: int, *, support: str = "/support", user: str = "nobody") -> Path:
    path = tmp_path / "app.qwc"
    path.write_text(
        f"""<?xml version="1.0"?>
<QBWCXML><AppName>check</AppName><AppID></AppID><AppURL>http://localhost:{port}/qbwc</AppURL>
<AppDescription>check</AppDescription><AppSupport>http://localhost:{port}{support}</AppSupport>
<UserName>{user}</UserName><OwnerID>{{57F3B9B1-86F1-4fcc-B1EE-566DE1813D20}}</OwnerID>
<FileID>{{90A44FB5-33D9-4815-AC85-BC87A7E7D1EB}}</FileID><QBType>QBFS</QBType></QBWCXML>""",
        encoding="utf-8",
    )
    return path


def test_a_support_page_that_does_not_answer_200_stops_the_update_before_any_call(
    bridge: RunningBridge, tmp_path: Path
) -> None:
    port = urlsplit(bridge.url).port or 0
    with Company(tmp_path / "books.qbw") as books:
        connector = WebConnector(_qwc(tmp_path, port, support="/no-such-page"), "pw", books, noop_wait=0.01)
        with connector:
            report = connector.run_session()
    assert report.outcome == "refused"
    assert report.calls == []
    assert "AppSupport http://localhost:" in report.errors[0]
    assert "answered 404" in report.errors[0]


def test_a_web_connector_older_than_the_service_wants_is_refused(tmp_path: Path) -> None:
    fast = {"password_cost": 2**10, "failure_delay": 0.05, "min_client_version": "9.0.0.0"}
    with RunningBridge(tmp_path / "bridge.db", **fast) as running, Company(tmp_path / "books.qbw") as books:
        qwc = _qwc(tmp_path, urlsplit(running.url).port or 0)
        with WebConnector(qwc, "pw", books, noop_wait=0.01) as connector:
            report = connector.run_session()
    assert report.outcome == "refused"
    assert report.calls == ["serverVersion", "clientVersion"]
    assert report.errors == [f"the service needs Web Connector 9.0.0.0 or later, this is {CLIENT_VERSION}"]
