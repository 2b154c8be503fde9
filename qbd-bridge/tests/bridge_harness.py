"""The other side of the protocol, for the bridge's own tests: QBWC's SOAP calls and a small QuickBooks.

:class:`Soap` posts envelopes as the Web Connector does (SOAP 1.1, ``SOAPAction``, the qbXML
escaped as text). :class:`QuickBooks` answers customer queries (with iterators that die with their
session, and that refuse a Continue whose filters changed), customer adds (with the message-set
error recovery of the contract) and refuses anything else as QuickBooks does (HRESULT 0x80040400).
:class:`Connector` drives one session the way QBWC 2.2 does. The end-to-end tests against the real
emulator are ``tests/test_qbd_e2e.py``; these only play the far side of the bridge's own layer.
"""

from __future__ import annotations

import hashlib
import itertools
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from lxml import etree
from qbd_bridge.testing import RunningBridge
from qbd_client import qbxml
from qbd_client.client import BridgeClient
from qbd_client.errors import RequestRefused
from qbd_client.xml import Element, local_name, parse_bytes
from shared import qbd_fixtures_dir

NS = "http://developer.intuit.com/"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSD = "http://www.w3.org/2001/XMLSchema"
PARSE_ERROR = "QuickBooks found an error when parsing the provided XML text stream."


def envelope(operation: str, **params: str | int) -> bytes:
    """The SOAP request QBWC posts for ``operation``."""
    root = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV, "xsi": XSI, "xsd": XSD})
    body = etree.SubElement(root, f"{{{SOAP_ENV}}}Body")
    call = etree.SubElement(body, f"{{{NS}}}{operation}", nsmap={None: NS})
    for name, value in params.items():
        etree.SubElement(call, f"{{{NS}}}{name}").text = str(value) or None
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def soap_result(data: bytes) -> Element:
    """The ``<xxxResult>`` of a SOAP answer (asserting it is one)."""
    root = parse_bytes(data)
    body = root.find(f"{{{SOAP_ENV}}}Body")
    assert body is not None
    wrapper = next(c for c in body if isinstance(c.tag, str))
    assert wrapper.tag.startswith(f"{{{NS}}}"), wrapper.tag
    assert wrapper.tag.endswith("Response"), wrapper.tag
    result = wrapper[0]
    assert local_name(result) == local_name(wrapper)[: -len("Response")] + "Result"
    return result


def fault_string(data: bytes) -> str:
    """The faultstring of a SOAP Fault answer (asserting it is one)."""
    root = parse_bytes(data)
    fault = root.find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
    assert fault is not None, data[:300]
    assert (fault.findtext("faultcode") or "").startswith("soap:")
    return fault.findtext("faultstring") or ""


class Soap:
    """QBWC's SOAP calls, one HTTP POST each, over a kept-alive connection."""

    def __init__(self, base_url: str) -> None:
        self.url = f"{base_url}/qbwc"
        self.http = requests.Session()

    def post(self, body: bytes, operation: str = "") -> requests.Response:
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{NS}{operation}"'}
        return self.http.post(self.url, data=body, headers=headers, timeout=30)

    def call(self, operation: str, **params: str | int) -> Element:
        answer = self.post(envelope(operation, **params), operation)
        assert answer.status_code == 200, answer.text[:500]
        assert answer.headers["content-type"].startswith("text/xml")
        return soap_result(answer.content)

    def authenticate(self, user: str, password: str) -> list[str]:
        return [c.text or "" for c in self.call("authenticate", strUserName=user, strPassword=password)]

    def send(
        self, ticket: str, hcp: str = "", company_file: str = "", major: int = 13, minor: int = 0
    ) -> str:
        result = self.call(
            "sendRequestXML",
            ticket=ticket,
            strHCPResponse=hcp,
            strCompanyFileName=company_file,
            qbXMLCountry="US",
            qbXMLMajorVers=major,
            qbXMLMinorVers=minor,
        )
        return result.text or ""

    def receive(self, ticket: str, response: str = "", hresult: str = "", message: str = "") -> int:
        result = self.call(
            "receiveResponseXML", ticket=ticket, response=response, hresult=hresult, message=message
        )
        return int(result.text or "")

    def last_error(self, ticket: str) -> str:
        return self.call("getLastError", ticket=ticket).text or ""

    def connection_error(self, ticket: str, hresult: str, message: str) -> str:
        return self.call("connectionError", ticket=ticket, hresult=hresult, message=message).text or ""

    def close(self, ticket: str) -> str:
        return self.call("closeConnection", ticket=ticket).text or ""


# --- the host's answer (strHCPResponse) ------------------------------------------------------------


def recorded_hcp() -> bytes:
    """The strHCPResponse QBWC sent for QuickBooks Pro 2014 (qbwc gem), corrected in memory.

    As published it is not well-formed: ``STR255TYPE<yzer/DataExtType>`` stands for
    ``STR255TYPE</DataExtType>`` (see the fixtures' SOURCES.md).
    """
    raw = (qbd_fixtures_dir() / "recorded" / "qbwc_gem__hcp_response_qbpro2014.xml").read_bytes()
    assert raw.count(b"STR255TYPE<yzer/DataExtType>") == 1
    return raw.replace(b"STR255TYPE<yzer/DataExtType>", b"STR255TYPE</DataExtType>")


def host_response(owner_id: str, file_id: str | None, versions: tuple[str, ...] | None = None) -> str:
    """The recorded strHCPResponse, with the FileID QBWC stored for ``owner_id`` in the open file.

    ``file_id`` None keeps the recorded file's FileID; ``versions`` replaces SupportedQBXMLVersion.
    """
    root = parse_bytes(recorded_hcp())
    company = root.find("QBXMLMsgsRs/CompanyQueryRs/CompanyRet")
    assert company is not None
    for ext in company.findall("DataExtRet"):
        ext.find("OwnerID").text = owner_id  # type: ignore[union-attr]
        if ext.findtext("DataExtName") == "FileID" and file_id is not None:
            ext.find("DataExtValue").text = file_id  # type: ignore[union-attr]
    if versions is not None:
        host = root.find("QBXMLMsgsRs/HostQueryRs/HostRet")
        assert host is not None
        old = host.findall("SupportedQBXMLVersion")
        anchor = host.index(old[0])
        for element in old:
            host.remove(element)
        for offset, version in enumerate(versions):
            element = etree.Element("SupportedQBXMLVersion")
            element.text = version
            host.insert(anchor + offset, element)
    return etree.tostring(root, encoding="unicode")


def qwc_ids(qwc_path: Path) -> tuple[str, str, str]:
    """UserName, OwnerID and FileID of a .qwc file."""
    root = parse_bytes(qwc_path.read_bytes())
    return root.findtext("UserName") or "", root.findtext("OwnerID") or "", root.findtext("FileID") or ""


# --- QuickBooks -------------------------------------------------------------------------------------


def customer_query(
    max_returned: int = 0, *, start: bool = True, request_id: str = "1", **filters: Any
) -> bytes:
    """A message set with one CustomerQueryRq."""
    fields: dict[str, Any] = dict(filters)
    attrs = {"iterator": "Start"} if start else {}
    if max_returned:
        fields["MaxReturned"] = max_returned
    return qbxml.message_set([qbxml.build("CustomerQueryRq", fields, request_id=request_id, **attrs)])


def customer_add(name: str, request_id: str = "1") -> bytes:
    return qbxml.message_set([qbxml.add_request("Customer", {"Name": name}, request_id=request_id)])


@dataclass
class Received:
    """One message set QuickBooks was given."""

    new_id: str | None
    old_id: str | None
    requests: list[str]
    attrs: list[dict[str, str]]


class QuickBooks:
    """A company file that answers customer queries and adds, with iterators and error recovery."""

    def __init__(self, customers: int = 0) -> None:
        self.customers: list[dict[str, str]] = []
        self.session = ""
        #: iteratorID -> (session, the request's filters, position)
        self.iterators: dict[str, tuple[str, bytes, int]] = {}
        #: newMessageSetID -> the response stored for it
        self.stored: dict[str, str] = {}
        self.received: list[Received] = []
        for n in range(customers):
            self._add(f"Customer {n:05d}")

    def new_session(self) -> None:
        """QuickBooks opened the file for a QBWC session: earlier iterators are dead."""
        self.session = uuid.uuid4().hex

    def _add(self, name: str) -> dict[str, str]:
        n = len(self.customers) + 1
        record = {
            "ListID": f"{0x80000000 + n:08X}-1446673838",
            "TimeCreated": "2015-11-04T14:39:10-08:00",
            "TimeModified": "2015-11-04T14:39:10-08:00",
            "EditSequence": "1446673838",
            "Name": name,
            "FullName": name,
            "IsActive": "true",
        }
        self.customers.append(record)
        return record

    @staticmethod
    def _filters(request: Element) -> bytes:
        return b"".join(etree.tostring(c) for c in request if local_name(c) != "MaxReturned")

    def _rs(self, parent: Element, request: Element, code: int = 0, message: str = "Status OK") -> Element:
        rs = etree.SubElement(parent, local_name(request)[:-2] + "Rs")
        if request.get("requestID") is not None:
            rs.set("requestID", request.get("requestID", ""))
        rs.set("statusCode", str(code))
        rs.set("statusSeverity", "Info" if code < 500 else "Error")
        rs.set("statusMessage", message)
        return rs

    def _ret(self, parent: Element, record: dict[str, str]) -> None:
        ret = etree.SubElement(parent, "CustomerRet")
        for key, value in record.items():
            etree.SubElement(ret, key).text = value

    def _query(self, msgs_rs: Element, request: Element) -> None:
        max_returned = int(request.findtext("MaxReturned") or 0) or len(self.customers)
        iterator = request.get("iterator")
        if iterator == "Continue":
            known = self.iterators.get(request.get("iteratorID", ""))
            if known is None or known[0] != self.session or known[1] != self._filters(request):
                self._rs(msgs_rs, request, 3391, "The iterator is not valid")
                return
            position = known[2]
        else:
            position = 0
        page = self.customers[position : position + max_returned]
        rs = self._rs(msgs_rs, request, 0 if page else 1, "Status OK" if page else "No match")
        for record in page:
            self._ret(rs, record)
        if iterator in ("Start", "Continue"):
            iterator_id = request.get("iteratorID") or "{" + str(uuid.uuid4()) + "}"
            remaining = max(0, len(self.customers) - position - len(page))
            self.iterators[iterator_id] = (self.session, self._filters(request), position + len(page))
            rs.set("iteratorRemainingCount", str(remaining))
            rs.set("iteratorID", iterator_id)

    def answer(self, request_text: str) -> tuple[str, str, str]:
        """(response, hresult, message), as QBWC passes them to receiveResponseXML."""
        try:
            msgs, requests_ = qbxml.parse_request(request_text)
        except RequestRefused:
            return "", "0x80040400", PARSE_ERROR
        new_id, old_id = msgs.get("newMessageSetID"), msgs.get("oldMessageSetID")
        self.received.append(
            Received(new_id, old_id, [local_name(r) for r in requests_], [dict(r.attrib) for r in requests_])
        )
        for known in (old_id, new_id):
            if known and known in self.stored:
                stored = parse_bytes(self.stored[known].encode())
                stored.find("QBXMLMsgsRs").set("messageSetStatusCode", "0")  # type: ignore[union-attr]
                return etree.tostring(stored, encoding="unicode"), "", ""
        if any(local_name(r) not in ("CustomerQueryRq", "CustomerAddRq") for r in requests_):
            return "", "0x80040400", PARSE_ERROR
        root = etree.Element("QBXML")
        msgs_rs = etree.SubElement(root, "QBXMLMsgsRs")
        for request in requests_:
            if local_name(request) == "CustomerQueryRq":
                self._query(msgs_rs, request)
            else:
                name = request.findtext("CustomerAdd/Name") or ""
                if any(c["Name"] == name for c in self.customers):
                    self._rs(
                        msgs_rs, request, 3100, f'The name "{name}" of the list element is already in use.'
                    )
                    continue
                self._ret(self._rs(msgs_rs, request), self._add(name))
        text = '<?xml version="1.0" ?>\n' + etree.tostring(root, encoding="unicode")
        if new_id:
            self.stored[new_id] = text
        return text, "", ""


@dataclass
class SessionLog:
    """What happened in one session, from QBWC's side."""

    auth: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    percents: list[int] = field(default_factory=list)
    noops: int = 0
    error: str = ""
    closed: str = ""


class Connector:
    """Drives sessions like QBWC: authenticate, then send/receive until 100, then closeConnection."""

    def __init__(self, soap: Soap, qwc: Path, password: str, qb: QuickBooks) -> None:
        self.soap = soap
        self.user, self.owner_id, self.file_id = qwc_ids(qwc)
        self.password = password
        self.qb = qb

    def session(
        self,
        *,
        hcp: str | None = None,
        drop_after: int | None = None,
        answer_dropped: bool = True,
        max_noops: int = 50,
        noop_sleep: float = 0.0,
        on_noop: Callable[[int], None] | None = None,
    ) -> SessionLog:
        """One update. ``drop_after=N``: the connection dies after the N-th request was handed to
        QuickBooks (``answer_dropped``: QuickBooks applied it) and before its answer reached the service."""
        log = SessionLog(auth=self.soap.authenticate(self.user, self.password))
        if log.auth[1] != "":
            return log
        ticket = log.auth[0]
        self.qb.new_session()
        first = True
        while True:
            given = hcp if hcp is not None else host_response(self.owner_id, self.file_id)
            request = self.soap.send(ticket, given if first else "")
            first = False
            if request == "":
                error = self.soap.last_error(ticket)
                if error == "NoOp" and log.noops < max_noops:
                    log.noops += 1
                    if on_noop is not None:
                        on_noop(log.noops)
                    time.sleep(noop_sleep)
                    continue
                log.error = error
                break
            log.sent.append(request)
            if drop_after is not None and len(log.sent) == drop_after:
                if answer_dropped:
                    self.qb.answer(request)
                return log
            response, hresult, message = self.qb.answer(request)
            percent = self.soap.receive(ticket, response, hresult, message)
            log.percents.append(percent)
            if percent < 0:
                log.error = self.soap.last_error(ticket)
                break
            if percent >= 100:
                break
        log.closed = self.soap.close(ticket)
        return log


#: Fast settings for tests: cheap password hashing, short delays (the defaults are for production).
FAST: dict[str, Any] = {
    "password_cost": 2**10,
    "failure_delay": 0.05,
    "session_idle_timeout": 30.0,
    "session_quiet_timeout": 20.0,
    "producer_timeout": 10.0,
}


@dataclass
class Company:
    """A company of the running bridge, its Web Connector and its QuickBooks."""

    name: str
    password: str
    qwc: Path
    soap: Soap
    qb: QuickBooks
    connector: Connector
    client: BridgeClient


_names = itertools.count(1)


def make_company(running: RunningBridge, name: str | None = None, customers: int = 0) -> Company:
    """A new company on ``running`` (a fresh name unless given), with a QuickBooks of ``customers``."""
    name = name or f"company{next(_names)}"
    password, qwc = running.add_company(name)
    soap = Soap(running.url)
    qb = QuickBooks(customers)
    client = BridgeClient(running.url, running.token(), name, timeout=10, poll_wait=2.0)
    return Company(name, password, qwc, soap, qb, Connector(soap, qwc, password, qb), client)


class Clock:
    """Real time plus an offset that tests move forward: the bridge's timeouts without sleeping."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


def table_digest(database: Path, where: dict[str, str] | None = None) -> str:
    """A hash of every row of the bridge's tables (``where``: a filter per table), read from the file."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        digest = hashlib.sha256()
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            clause = (where or {}).get(table, "")
            for row in conn.execute(f"SELECT * FROM {table} {clause} ORDER BY rowid"):
                digest.update(repr((table, row)).encode())
        return digest.hexdigest()
    finally:
        conn.close()
