"""SOAP 1.1 for the Web Connector: document/literal wrapped, namespace ``http://developer.intuit.com/``.

Eight operations with string and int parameters do not need a SOAP framework (``spyne`` does not
import on Python 3.12+): :data:`OPERATIONS` says each one's parameters and result, and both the
envelope parser and the WSDL are made from it. Envelopes are parsed by
:func:`qbd_client.xml.parse_bytes` (no DOCTYPE, no entities, bounded depth) and never trusted
further than that.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree
from qbd_client.xml import XMLError, local_name, parse_bytes

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
QBWC_NS = "http://developer.intuit.com/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSD = "http://www.w3.org/2001/XMLSchema"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
CONTENT_TYPE = "text/xml; charset=utf-8"


@dataclass(frozen=True)
class Operation:
    """One QBWC operation: its parameters (name, XSD type) and the type of its result."""

    name: str
    parameters: tuple[tuple[str, str], ...]
    result: str  # "string", "int" or "ArrayOfString"


OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        Operation("serverVersion", (), "string"),
        Operation("clientVersion", (("strVersion", "string"),), "string"),
        Operation("authenticate", (("strUserName", "string"), ("strPassword", "string")), "ArrayOfString"),
        Operation(
            "sendRequestXML",
            (
                ("ticket", "string"),
                ("strHCPResponse", "string"),
                ("strCompanyFileName", "string"),
                ("qbXMLCountry", "string"),
                ("qbXMLMajorVers", "int"),
                ("qbXMLMinorVers", "int"),
            ),
            "string",
        ),
        Operation(
            "receiveResponseXML",
            (("ticket", "string"), ("response", "string"), ("hresult", "string"), ("message", "string")),
            "int",
        ),
        Operation(
            "connectionError", (("ticket", "string"), ("hresult", "string"), ("message", "string")), "string"
        ),
        Operation("getLastError", (("ticket", "string"),), "string"),
        Operation("closeConnection", (("ticket", "string"),), "string"),
    )
}


class SoapFault(Exception):
    """A request the service cannot answer: ``Client`` (the caller's mistake) or ``Server``."""

    def __init__(self, message: str, code: str = "Client") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Call:
    """A parsed SOAP request: the operation and its parameters as text (missing ones are "")."""

    operation: str
    params: dict[str, str]


def parse_call(body: bytes) -> Call:
    """The operation an envelope calls; raises :class:`SoapFault` for anything else."""
    try:
        root = parse_bytes(body)
    except XMLError as exc:
        raise SoapFault(f"the request is not a well-formed SOAP envelope: {exc}") from None
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise SoapFault("the request is not a SOAP 1.1 envelope (http://schemas.xmlsoap.org/soap/envelope/)")
    bodies = [c for c in root if c.tag == f"{{{SOAP_ENV}}}Body"]
    if len(bodies) != 1:
        raise SoapFault("the SOAP envelope must hold exactly one Body")
    calls = [c for c in bodies[0] if isinstance(c.tag, str)]
    if len(calls) != 1:
        raise SoapFault("the SOAP Body must hold exactly one operation")
    element = calls[0]
    name = local_name(element)
    if etree.QName(element).namespace != QBWC_NS or name not in OPERATIONS:
        raise SoapFault(
            f"unknown operation {name}: this service answers {', '.join(OPERATIONS)} in {QBWC_NS}"
        )
    params: dict[str, str] = {}
    wanted = dict(OPERATIONS[name].parameters)
    for child in element:
        if not isinstance(child.tag, str):
            continue
        key = local_name(child)
        if key in wanted and key not in params:
            if len(child):
                raise SoapFault(f"parameter {key} of {name} must be text, not elements")
            params[key] = child.text or ""
    for key in wanted:
        params.setdefault(key, "")
    return Call(name, params)


def _clean(text: str) -> str:
    """Drop characters XML 1.0 cannot carry (a message from QuickBooks may hold one)."""
    return "".join(
        ch
        for ch in text
        if ch in "\t\n\r" or " " <= ch <= "\ud7ff" or "\ue000" <= ch <= "\ufffd" or ch >= "\U00010000"
    )


def _envelope() -> tuple[etree._Element, etree._Element]:
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV, "xsi": XSI, "xsd": XSD})
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    return envelope, body


def _serialize(envelope: etree._Element) -> bytes:
    body = etree.tostring(envelope, encoding="unicode")
    return f'<?xml version="1.0" encoding="utf-8"?>{body}'.encode()


def render_result(operation: str, value: str | int | list[str]) -> bytes:
    """The response envelope of ``operation`` with its result."""
    envelope, body = _envelope()
    wrapper = etree.SubElement(body, f"{{{QBWC_NS}}}{operation}Response", nsmap={None: QBWC_NS})
    result = etree.SubElement(wrapper, f"{{{QBWC_NS}}}{operation}Result")
    if isinstance(value, list):
        for item in value:
            etree.SubElement(result, f"{{{QBWC_NS}}}string").text = _clean(item)
    else:
        result.text = _clean(str(value))
    return _serialize(envelope)


def render_fault(message: str, code: str = "Client") -> bytes:
    """A SOAP 1.1 Fault (sent with HTTP 500)."""
    envelope, body = _envelope()
    fault = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(fault, "faultcode").text = f"soap:{code}"
    etree.SubElement(fault, "faultstring").text = _clean(message)
    return _serialize(envelope)


def wsdl(address: str) -> bytes:
    """The service's WSDL, with ``address`` as the endpoint."""
    s = f"{{{XSD}}}"
    w = f"{{{WSDL_NS}}}"
    ws = f"{{{WSDL_SOAP}}}"
    tns = "tns:"
    root = etree.Element(
        f"{w}definitions",
        nsmap={"wsdl": WSDL_NS, "soap": WSDL_SOAP, "s": XSD, "tns": QBWC_NS},
        targetNamespace=QBWC_NS,
    )
    types = etree.SubElement(root, f"{w}types")
    schema = etree.SubElement(types, f"{s}schema", elementFormDefault="qualified", targetNamespace=QBWC_NS)

    def element(name: str, fields: tuple[tuple[str, str], ...]) -> None:
        holder = etree.SubElement(schema, f"{s}element", name=name)
        complex_type = etree.SubElement(holder, f"{s}complexType")
        if not fields:
            return
        sequence = etree.SubElement(complex_type, f"{s}sequence")
        for field, type_ in fields:
            attrs = {"name": field}
            if type_ == "int":
                attrs.update(minOccurs="1", maxOccurs="1", type="s:int")
            elif type_ == "ArrayOfString":
                attrs.update(minOccurs="0", maxOccurs="1", type=f"{tns}ArrayOfString")
            else:
                attrs.update(minOccurs="0", maxOccurs="1", type="s:string")
            etree.SubElement(sequence, f"{s}element", attrs)

    for op in OPERATIONS.values():
        element(op.name, op.parameters)
        element(f"{op.name}Response", ((f"{op.name}Result", op.result),))
    array = etree.SubElement(schema, f"{s}complexType", name="ArrayOfString")
    etree.SubElement(
        etree.SubElement(array, f"{s}sequence"),
        f"{s}element",
        minOccurs="0",
        maxOccurs="unbounded",
        name="string",
        nillable="true",
        type="s:string",
    )
    for op in OPERATIONS.values():
        for direction, suffix in (("SoapIn", ""), ("SoapOut", "Response")):
            message = etree.SubElement(root, f"{w}message", name=f"{op.name}{direction}")
            etree.SubElement(message, f"{w}part", name="parameters", element=f"{tns}{op.name}{suffix}")
    port_type = etree.SubElement(root, f"{w}portType", name="QBWebConnectorSvcSoap")
    for op in OPERATIONS.values():
        operation = etree.SubElement(port_type, f"{w}operation", name=op.name)
        etree.SubElement(operation, f"{w}input", message=f"{tns}{op.name}SoapIn")
        etree.SubElement(operation, f"{w}output", message=f"{tns}{op.name}SoapOut")
    binding = etree.SubElement(
        root, f"{w}binding", name="QBWebConnectorSvcSoap", type=f"{tns}QBWebConnectorSvcSoap"
    )
    etree.SubElement(binding, f"{ws}binding", transport="http://schemas.xmlsoap.org/soap/http")
    for op in OPERATIONS.values():
        operation = etree.SubElement(binding, f"{w}operation", name=op.name)
        etree.SubElement(operation, f"{ws}operation", soapAction=f"{QBWC_NS}{op.name}", style="document")
        for direction in ("input", "output"):
            etree.SubElement(etree.SubElement(operation, f"{w}{direction}"), f"{ws}body", use="literal")
    service = etree.SubElement(root, f"{w}service", name="QBWebConnectorSvc")
    port = etree.SubElement(
        service, f"{w}port", name="QBWebConnectorSvcSoap", binding=f"{tns}QBWebConnectorSvcSoap"
    )
    etree.SubElement(port, f"{ws}address", location=address)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True))
