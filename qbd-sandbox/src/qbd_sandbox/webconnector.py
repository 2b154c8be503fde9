"""An emulator of the QuickBooks Web Connector (QBWC 2.2/2.3): it calls the service, QuickBooks answers.

The real Web Connector is a Windows program that calls *out* to the integrator's SOAP service on a
schedule, asks it for qbXML, runs that against the open company file and posts the answers back.
:class:`WebConnector` does the same over real HTTP SOAP 1.1 against the bridge, in the order QBWC
2.2 was captured calling (serverVersion, clientVersion, authenticate, open the company file,
sendRequestXML / receiveResponseXML until the service says 100, closeConnection), and plays the
QuickBooks side with an emulated :class:`~qbd_sandbox.company.Company`. When the QuickBooks session
ends, so do its iterators (``company.end_session``), exactly as on a real machine.

Faults (:mod:`qbd_sandbox.faults`) make it lose the network, post an answer twice, stop mid-iterator,
find QuickBooks busy or unable to start, or run a slow company file.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
from lxml import etree
from qbd_client.errors import STATUS, RequestRefused
from qbd_client.qbxml import parse_request, parse_response
from qbd_client.xml import Element, XMLError, local_name, parse_bytes

from .faults import ConnectorFaults
from .qwc import QwcFile, read_qwc

if TYPE_CHECKING:
    from .company import Company

__all__ = ["ConnectorFaults", "SessionReport", "SoapClient", "WebConnector"]

log = logging.getLogger(__name__)

NS = "http://developer.intuit.com/"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSD = "http://www.w3.org/2001/XMLSchema"
#: The parameters of each operation QBWC calls, in the order of Intuit's WSDL (names are part of the
#: contract: the service reads them by name).
PARAMETERS: dict[str, tuple[str, ...]] = {
    "serverVersion": (),
    "clientVersion": ("strVersion",),
    "authenticate": ("strUserName", "strPassword"),
    "sendRequestXML": (
        "ticket",
        "strHCPResponse",
        "strCompanyFileName",
        "qbXMLCountry",
        "qbXMLMajorVers",
        "qbXMLMinorVers",
    ),
    "receiveResponseXML": ("ticket", "response", "hresult", "message"),
    "connectionError": ("ticket", "hresult", "message"),
    "getLastError": ("ticket",),
    "closeConnection": ("ticket",),
}
#: The version this emulator tells clientVersion it is (the current QBWC release line).
CLIENT_VERSION = "2.3.0.36"
#: How the .NET web-services client inside QBWC introduces itself.
USER_AGENT = "Mozilla/4.0 (compatible; MSIE 6.0; MS Web Services Client Protocol 4.0.30319.42000)"
#: QuickBooks' own words when it refuses a message set as a whole.
PARSE_ERROR = "QuickBooks found an error when parsing the provided XML text stream."
COULD_NOT_START = "Could not start QuickBooks."
COULD_NOT_ACCESS = "Could not access QuickBooks."
#: Where the CLI reads the QBWC password when no --password-file is given (never from argv).
PASSWORD_ENV = "QBD_CONNECTOR_PASSWORD"  # noqa: S105 (the name of a variable, not a password)
#: connectionError is answered at most this many times with "try again" before QBWC gives up.
OPEN_RETRIES = 2
WRITE_SUFFIXES = ("AddRq", "ModRq")
WRITE_REQUESTS = frozenset({"ListDelRq", "TxnDelRq", "TxnVoidRq"})


class ConnectorError(Exception):
    """The conversation with the service failed (network, HTTP, a SOAP fault, a malformed answer)."""


class TransportError(ConnectorError):
    """The service could not be reached, or answered with an HTTP error that is not a SOAP fault."""


class SoapFault(ConnectorError):
    """The service answered a call with a SOAP Fault."""

    def __init__(self, operation: str, code: str, text: str) -> None:
        super().__init__(f"{operation}: SOAP fault {code}: {text}")
        self.operation = operation
        self.code = code
        self.text = text


class ProtocolError(ConnectorError):
    """An answer that is not what QBWC's WSDL declares (QBWC's .NET client could not read it)."""


def short(ticket: str) -> str:
    """A ticket as it may appear in logs."""
    return f"{ticket[:8]}..." if len(ticket) > 8 else ticket


def version_tuple(text: str) -> tuple[int, ...]:
    """``"2.3.0.36"`` -> ``(2, 3, 0, 36)``; parts that are not numbers count as 0."""
    return tuple(int(part) if part.isdigit() else 0 for part in text.strip().split("."))


def read_password(path: str | Path | None) -> str | None:
    """The QBWC password from a file (its first line) or else ``$QBD_CONNECTOR_PASSWORD``; None if neither.

    Raises ValueError naming the file when it cannot be read or is empty (never quoting its content).
    """
    if path is None:
        return os.environ.get(PASSWORD_ENV) or None
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise ValueError(f"cannot read the password file {path}: {reason}") from None
    lines = text.splitlines()
    password = lines[0].strip() if lines else ""
    if not password:
        raise ValueError(f"the password file {path} is empty: put the QBWC password on its first line")
    return password


# --- SOAP envelopes -------------------------------------------------------------------------------


def build_envelope(operation: str, params: Sequence[tuple[str, str | int]]) -> bytes:
    """The SOAP 1.1 request QBWC posts for ``operation`` (qbXML values are escaped as text by lxml)."""
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV, "xsi": XSI, "xsd": XSD})
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    call = etree.SubElement(body, f"{{{NS}}}{operation}", nsmap={None: NS})
    for name, value in params:
        # An empty parameter goes as an empty element (<hresult />), as QBWC sends it.
        etree.SubElement(call, f"{{{NS}}}{name}").text = str(value) or None
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def parse_answer(operation: str, data: bytes) -> Element | None:
    """The ``<operationResult>`` element of a SOAP answer (None when the service sent none).

    Raises :class:`SoapFault` for a Fault and :class:`ProtocolError` for an answer QBWC's client
    could not read (not SOAP, wrong operation, wrong namespace).
    """
    try:
        root = parse_bytes(data)
    except XMLError as exc:
        raise ProtocolError(f"{operation}: the answer is not XML ({exc})") from None
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise ProtocolError(f"{operation}: the answer is not a SOAP 1.1 envelope (root {root.tag})")
    body = next((c for c in root if c.tag == f"{{{SOAP_ENV}}}Body"), None)
    if body is None:
        raise ProtocolError(f"{operation}: the SOAP envelope has no Body")
    first = next((c for c in body if isinstance(c.tag, str)), None)
    if first is None:
        raise ProtocolError(f"{operation}: the SOAP Body is empty")
    if first.tag == f"{{{SOAP_ENV}}}Fault":
        code = first.findtext("faultcode") or ""
        text = first.findtext("faultstring") or ""
        raise SoapFault(operation, code, text)
    if first.tag != f"{{{NS}}}{operation}Response":
        raise ProtocolError(f"{operation}: expected {{{NS}}}{operation}Response, got {first.tag}")
    return first.find(f"{{{NS}}}{operation}Result")


def result_text(result: Element | None) -> str:
    """A string result (an absent or empty element reads as ``""``, as .NET reads null)."""
    return "" if result is None else (result.text or "")


def result_strings(result: Element | None) -> list[str]:
    """An ``ArrayOfString`` result."""
    if result is None:
        return []
    return [c.text or "" for c in result if isinstance(c.tag, str) and local_name(c) == "string"]


class SoapClient:
    """The Web Connector's side of the SOAP conversation: one HTTP POST per operation."""

    def __init__(self, url: str, *, timeout: float = 120.0, verify: bool | str = True) -> None:
        self.url = url
        self.timeout = timeout
        self.http = requests.Session()
        self.http.verify = verify
        self.http.headers["User-Agent"] = USER_AGENT
        #: Seconds spent in HTTP calls, and how many, since the object was made.
        self.seconds = 0.0
        self.calls = 0

    def close(self) -> None:
        """Close the HTTP connections."""
        self.http.close()

    def call(self, operation: str, *values: str | int) -> Element | None:
        """Post ``operation`` with its parameters in :data:`PARAMETERS`' order; return its result."""
        names = PARAMETERS[operation]
        if len(values) != len(names):
            raise TypeError(f"{operation} takes ({', '.join(names)}), not {len(values)} values")
        body = build_envelope(operation, list(zip(names, values, strict=True)))
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{NS}{operation}"'}
        started = time.perf_counter()
        try:
            answer = self.http.post(self.url, data=body, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            raise TransportError(f"{operation}: cannot reach {self.url}: {type(exc).__name__}") from None
        finally:
            self.seconds += time.perf_counter() - started
            self.calls += 1
        if answer.status_code != 200 and not answer.content.lstrip().startswith(b"<"):
            raise TransportError(f"{operation}: {self.url} answered HTTP {answer.status_code}")
        try:
            return parse_answer(operation, answer.content)
        except ProtocolError:
            if answer.status_code != 200:
                raise TransportError(f"{operation}: {self.url} answered HTTP {answer.status_code}") from None
            raise

    def server_version(self) -> str:
        return result_text(self.call("serverVersion"))

    def client_version(self, version: str) -> str:
        return result_text(self.call("clientVersion", version))

    def authenticate(self, user: str, password: str) -> list[str]:
        return result_strings(self.call("authenticate", user, password))

    def send_request_xml(
        self, ticket: str, hcp_response: str, company_file: str, country: str, major: int, minor: int
    ) -> str:
        return result_text(
            self.call("sendRequestXML", ticket, hcp_response, company_file, country, major, minor)
        )

    def receive_response_xml(self, ticket: str, response: str, hresult: str, message: str) -> int:
        text = result_text(self.call("receiveResponseXML", ticket, response, hresult, message)).strip()
        try:
            return int(text)
        except ValueError:
            raise ProtocolError(f"receiveResponseXML: the result {text!r} is not an int") from None

    def connection_error(self, ticket: str, hresult: str, message: str) -> str:
        return result_text(self.call("connectionError", ticket, hresult, message))

    def get_last_error(self, ticket: str) -> str:
        return result_text(self.call("getLastError", ticket))

    def close_connection(self, ticket: str) -> str:
        return result_text(self.call("closeConnection", ticket))


# --- one update -----------------------------------------------------------------------------------


@dataclass
class SessionReport:
    """What one update did, as QBWC's status column and log would tell it."""

    app_name: str
    #: done (the service said 100) | stopped (closed early) | none | busy | nvu | error | dropped
    #: | refused (version, support page) | connection_error (QuickBooks could not start) | unreachable
    outcome: str = "not started"
    ticket: str = field(default="", repr=False)
    server_version: str = ""
    company_file: str = ""
    calls: list[str] = field(default_factory=list)
    #: Message sets QuickBooks was given (relayed from sendRequestXML).
    requests: int = 0
    #: Message sets refused as a whole (0x80040400) or not run (0x80040401).
    refused: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    last_message: str = ""
    close_message: str = ""
    percents: list[int] = field(default_factory=list)
    noops: int = 0
    postpone_seconds: float | None = None
    min_run_seconds: float | None = None
    faults: list[str] = field(default_factory=list)
    #: Seconds in SOAP calls (the service and the wire) and in QuickBooks (the company).
    soap_seconds: float = 0.0
    company_seconds: float = 0.0
    #: QuickBooks opened the company file (and so has a session to end).
    company_opened: bool = False
    started: float = 0.0
    ended: float = 0.0

    @property
    def ok(self) -> bool:
        """The update ran to its end without an error."""
        return self.outcome in ("done", "none") and not self.errors

    @property
    def round_trips(self) -> int:
        """SOAP calls made."""
        return len(self.calls)

    def summary(self) -> str:
        """One line for a terminal."""
        line = (
            f"{self.outcome}: {self.requests} request{'s' if self.requests != 1 else ''} relayed, "
            f"{len(self.errors)} error{'s' if len(self.errors) != 1 else ''}, "
            f"{self.round_trips} SOAP calls in {self.ended - self.started:.2f} s"
        )
        if self.percents:
            line += f", last {self.percents[-1]}%"
        if self.faults:
            line += f", faults {','.join(self.faults)}"
        if self.errors:
            line += f"; {self.errors[-1]}"
        elif self.last_message or self.close_message:
            line += f"; {self.last_message or self.close_message}"
        return line


def _is_write(tag: str) -> bool:
    return tag.endswith(WRITE_SUFFIXES) or tag in WRITE_REQUESTS


def busy_response(request: str | bytes, code: int) -> str:
    """QuickBooks' answer to a message set of writes it could not save (record or file in use)."""
    msgs, requests_ = parse_request(request)
    root = etree.Element("QBXML")
    out = etree.SubElement(root, "QBXMLMsgsRs")
    if msgs.get("newMessageSetID"):
        out.set("newMessageSetID", msgs.get("newMessageSetID", ""))
    for request_ in requests_:
        tag = local_name(request_)
        rs = etree.SubElement(out, tag[:-2] + "Rs")
        if request_.get("requestID") is not None:
            rs.set("requestID", request_.get("requestID", ""))
        rs.set("statusCode", str(code))
        rs.set("statusSeverity", "Error")
        rs.set(
            "statusMessage",
            f"There was an error when saving ({tag[:-2]}).  "
            f"QuickBooks error message: {STATUS[code].meaning}.",
        )
        if msgs.get("onError", "stopOnError").strip() == "stopOnError":
            break
    body = etree.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" ?>\n{body}\n'


def count_records(response: str) -> int:
    """How many ``XxxRet`` a qbXML response holds."""
    try:
        return sum(len(r.rets) for r in parse_response(response).responses)
    except RequestRefused:
        return 0


class _SessionEnded(Exception):
    """The session stops here (the report says why)."""


class WebConnector:
    """One application of the Web Connector (one ``.qwc``) bound to one emulated company file."""

    def __init__(
        self,
        qwc_path: str | Path,
        password: str,
        company: Company,
        faults: ConnectorFaults | None = None,
        noop_wait: float = 5.0,
        *,
        timeout: float = 120.0,
        verify: bool | str = True,
        max_noops: int | None = None,
        check_support: bool = True,
    ) -> None:
        self.qwc: QwcFile = read_qwc(qwc_path)
        if self.qwc.qb_type != "QBFS":
            raise ValueError(f"{qwc_path}: QBType {self.qwc.qb_type}: the emulator plays QBFS only")
        self._password = password
        self.company = company
        self.faults = faults or ConnectorFaults()
        self.noop_wait = noop_wait
        #: QBWC answers NoOp forever; the emulator may stop after this many so a test cannot hang.
        self.max_noops = max_noops
        self.check_support = check_support
        self.soap = SoapClient(self.qwc.app_url, timeout=timeout, verify=verify)
        self.sessions = 0

    def __repr__(self) -> str:
        return f"WebConnector({self.qwc.app_name!r}, {self.qwc.app_url!r})"

    def close(self) -> None:
        """Close the HTTP connections."""
        self.soap.close()

    def __enter__(self) -> WebConnector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # The calls, each recorded in the report before it is made (a call whose answer is lost was made).
    def _call(self, report: SessionReport, operation: str, fn: Callable[..., Any], *args: Any) -> Any:
        report.calls.append(operation)
        log.debug("%s %s", operation, short(report.ticket))
        return fn(*args)

    def run_session(self) -> SessionReport:
        """One update, from serverVersion to closeConnection; never raises for what QBWC would report."""
        report = SessionReport(app_name=self.qwc.app_name, started=time.time())
        self.sessions += 1
        soap_before = self.soap.seconds
        try:
            self._session(report)
        except _SessionEnded:
            pass
        except TransportError as exc:
            report.outcome = "unreachable" if len(report.calls) <= 1 else "dropped"
            report.errors.append(str(exc))
        except ConnectorError as exc:
            report.outcome = "error"
            report.errors.append(str(exc))
        finally:
            if report.company_opened:
                # QuickBooks' session ends with the update: its iterators die (a later Continue is 3391).
                self.company.end_session(report.ticket)
            report.soap_seconds = self.soap.seconds - soap_before
            report.ended = time.time()
        log.info("session %s %s", short(report.ticket), report.summary())
        return report

    def _support_page(self, report: SessionReport) -> None:
        url = self.qwc.app_support
        try:
            answer = self.soap.http.get(url, timeout=self.soap.timeout)
            status: int | str = answer.status_code
        except requests.RequestException as exc:
            status = type(exc).__name__
        if status != 200:
            report.outcome = "refused"
            report.errors.append(
                f"AppSupport {url} answered {status}: the Web Connector needs the support page to answer "
                "200 (is the bridge serving it?)"
            )
            raise _SessionEnded

    def _session(self, report: SessionReport) -> None:
        """The conversation, up to closeConnection or the point where it broke off."""
        soap = self.soap
        if self.check_support:
            self._support_page(report)
        report.server_version = self._call(report, "serverVersion", soap.server_version)
        self._client_version(report)
        self._authenticate(report)
        ticket = report.ticket
        self._open_company(report)
        company_file = str(getattr(self.company, "path", "") or "")
        report.company_file = company_file
        first = True
        while True:
            hcp = self.company.host_response(self.qwc.owner_id, self.qwc.file_id) if first else ""
            first = False
            request = self._call(
                report, "sendRequestXML", soap.send_request_xml, ticket, hcp, company_file, "US", 13, 0
            )
            if request == "":
                message = self._call(report, "getLastError", soap.get_last_error, ticket)
                if message == "NoOp":
                    report.noops += 1
                    if self.max_noops is not None and report.noops > self.max_noops:
                        report.errors.append(f"the service answered NoOp {report.noops} times; stopped")
                        self._close(report, "error")
                        return
                    time.sleep(self.noop_wait)
                    continue
                report.last_message = message
                if message:
                    report.errors.append(message)
                self._close(report, "error" if message else "done")
                return
            percent = self._relay(report, request)
            report.percents.append(percent)
            if percent < 0:
                message = self._call(report, "getLastError", soap.get_last_error, ticket)
                report.last_message = message
                report.errors.append(message or f"receiveResponseXML answered {percent}")
                self._close(report, "error")
                return
            if percent >= 100:
                self._close(report, "done")
                return
            if self.faults.closes_after(report.requests):
                report.faults.append("close_after")
                self._close(report, "stopped")
                return

    def _client_version(self, report: SessionReport) -> None:
        answer = self._call(report, "clientVersion", self.soap.client_version, CLIENT_VERSION)
        kind, colon, text = answer.partition(":")
        if not colon:
            return
        if kind == "W":
            # QBWC asks the user whether to go on; the emulator goes on and keeps the warning.
            report.warnings.append(text)
        elif kind == "E":
            report.outcome = "refused"
            report.errors.append(f"the service refuses this Web Connector: {text}")
            raise _SessionEnded
        elif kind == "O" and version_tuple(CLIENT_VERSION) < version_tuple(text):
            report.outcome = "refused"
            report.errors.append(f"the service needs Web Connector {text} or later, this is {CLIENT_VERSION}")
            raise _SessionEnded

    def _authenticate(self, report: SessionReport) -> None:
        answer = self._call(
            report, "authenticate", self.soap.authenticate, self.qwc.user_name, self._password
        )
        if not answer:
            raise ProtocolError("authenticate: the answer holds no ticket")
        report.ticket = answer[0]
        status = answer[1] if len(answer) > 1 else ""
        report.postpone_seconds = _seconds(answer[2]) if len(answer) > 2 else None
        report.min_run_seconds = _seconds(answer[3]) if len(answer) > 3 else None
        if status == "nvu":
            report.outcome = "nvu"
            report.errors.append(
                f"QBWC1012: Authentication failed: the service did not accept user {self.qwc.user_name!r} "
                "and its password (check the password stored for this application)"
            )
            raise _SessionEnded
        if status in ("none", "busy"):
            report.outcome = status
            report.last_message = (
                "No data exchange required" if status == "none" else "The service is busy; try later"
            )
            if report.postpone_seconds:
                report.last_message += f" (postponed {report.postpone_seconds:g} s)"
            raise _SessionEnded
        if status:
            # A company file path: QBWC opens that file. The emulator has one; it keeps the name.
            report.company_file = status

    def _open_company(self, report: SessionReport) -> None:
        retries = 0
        while self.faults.fires("cannot_start"):
            report.faults.append("cannot_start")
            report.errors.append(f"0x80040408: {COULD_NOT_START}")
            answer = self._call(
                report,
                "connectionError",
                self.soap.connection_error,
                report.ticket,
                "0x80040408",
                COULD_NOT_START,
            )
            report.last_message = answer
            if answer.strip().lower() == "done" or retries >= OPEN_RETRIES:
                report.outcome = "connection_error"
                report.close_message = self._call(
                    report, "closeConnection", self.soap.close_connection, report.ticket
                )
                raise _SessionEnded
            retries += 1
        report.company_opened = True

    def _close(self, report: SessionReport, outcome: str) -> None:
        close = self.soap.close_connection
        report.close_message = self._call(report, "closeConnection", close, report.ticket)
        report.outcome = outcome

    def _quickbooks(self, report: SessionReport, request: str) -> tuple[str, str, str]:
        """QuickBooks runs one message set: (response, hresult, message)."""
        report.requests += 1
        if self.faults.fires("unavailable"):
            report.faults.append("unavailable")
            report.refused += 1
            return "", "0x80040401", COULD_NOT_ACCESS
        if self.faults.busy > 0:
            try:
                _, requests_ = parse_request(request)
            except RequestRefused:
                requests_ = []
            if requests_ and all(_is_write(local_name(r)) for r in requests_) and self.faults.fires("busy"):
                report.faults.append("busy")
                return busy_response(request, self.faults.busy_code()), "", ""
        started = time.perf_counter()
        try:
            answer = self.company.process(request, report.ticket)
        except RequestRefused as exc:
            report.refused += 1
            report.errors.append(f"{exc.code or '0x80040400'}: {PARSE_ERROR}")
            return "", str(exc.code or "0x80040400"), PARSE_ERROR
        finally:
            report.company_seconds += time.perf_counter() - started
        try:
            response = answer.decode("utf-8")
        except UnicodeDecodeError:
            response = answer.decode("iso-8859-1")
        if self.faults.slow > 0:
            pause = self.faults.slow * count_records(response)
            time.sleep(pause)
            report.company_seconds += pause
        return response, "", ""

    def _relay(self, report: SessionReport, request: str) -> int:
        response, hresult, message = self._quickbooks(report, request)
        ticket = report.ticket
        side = self.faults.drop_side()
        if side == "request":
            report.faults.append("drop_request")
            report.outcome = "dropped"
            report.errors.append("the connection dropped before receiveResponseXML reached the service")
            raise _SessionEnded
        receive = self.soap.receive_response_xml
        percent: int = self._call(report, "receiveResponseXML", receive, ticket, response, hresult, message)
        if self.faults.fires("duplicate"):
            # A retry after a timeout: the same answer posted again; QBWC acts on the later reply.
            report.faults.append("duplicate")
            percent = self._call(report, "receiveResponseXML", receive, ticket, response, hresult, message)
        if side == "answer":
            report.faults.append("drop_answer")
            report.outcome = "dropped"
            report.errors.append("the connection dropped before the answer of receiveResponseXML came back")
            raise _SessionEnded
        return percent

    # --- on a schedule -------------------------------------------------------------------------------

    def run(
        self,
        schedule: float | None = None,
        until: Callable[[], bool] | None = None,
        on_session: Callable[[SessionReport], None] | None = None,
    ) -> int:
        """Updates every ``schedule`` seconds (default: the ``.qwc`` Scheduler) until ``until()`` is true.

        The service's authenticate answer may lengthen the wait (postpone, minimum interval), as
        QBWC honours it. Returns the number of updates run.
        """
        interval = schedule if schedule is not None else self.qwc.run_every_seconds
        if interval is None:
            raise ValueError(f"{self.qwc.path}: the .qwc file has no Scheduler; give an interval")
        count = 0
        while not (until and until()):
            report = self.run_session()
            count += 1
            if on_session is not None:
                on_session(report)
            wait = max(interval, report.min_run_seconds or 0.0, report.postpone_seconds or 0.0)
            deadline = time.monotonic() + wait
            while not (until and until()):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                time.sleep(min(left, 0.05))
        return count


def _seconds(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value > 0 else None
