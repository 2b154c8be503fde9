"""XML in and out, safely: the one place that makes lxml parsers.

Every qbXML document, SOAP envelope and ``.qwc`` file of the project is parsed here. The parsers
never resolve entities, never load a DTD, never touch the network and refuse any document that
has a DOCTYPE at all (QuickBooks' own parser refuses them too), so an entity that expands or an
external entity cannot reach a file or a host. Documents are parsed from **bytes**, so a declared
encoding (QuickBooks answers ``windows-1252`` or ISO-8859-1 at times) is honoured.
"""

from __future__ import annotations

from typing import TypeAlias

from lxml import etree

#: The largest document accepted (QBWC answers of 150 records are a few hundred KB).
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
#: Deeper than any qbXML or SOAP document (qbXML nests at most about 8 levels).
MAX_DEPTH = 64

Element: TypeAlias = etree._Element


class XMLError(ValueError):
    """A document that is not well-formed, or that this project refuses to parse (DOCTYPE, too deep)."""


def _parser(encoding: str | None = None) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        encoding=encoding,
    )


def parse_bytes(data: bytes) -> Element:
    """The root element of ``data``; raises :class:`XMLError` for anything not plain, well-formed XML.

    Bytes without a declaration that are not UTF-8 are read as ISO-8859-1, QuickBooks' own
    character set.
    """
    if len(data) > MAX_DOCUMENT_BYTES:
        raise XMLError(f"document of {len(data)} bytes is larger than {MAX_DOCUMENT_BYTES}")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise XMLError("a DOCTYPE or ENTITY declaration is not allowed")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        if "encoding" not in str(exc).lower() and "utf-8" not in str(exc).lower():
            raise XMLError(f"not well-formed XML: {exc}") from None
        try:
            root = etree.fromstring(data, _parser("iso-8859-1"))
        except etree.XMLSyntaxError as exc2:
            raise XMLError(f"not well-formed XML: {exc2}") from None
    _check(root)
    return root


def parse_text(text: str) -> Element:
    """The root element of a document that arrived as text (qbXML inside a SOAP string).

    Its own encoding declaration, if any, no longer applies (the text is already decoded).
    """
    data = text.encode("utf-8")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise XMLError(f"document of {len(data)} bytes is larger than {MAX_DOCUMENT_BYTES}")
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise XMLError("a DOCTYPE or ENTITY declaration is not allowed")
    try:
        root = etree.fromstring(data, _parser("utf-8"))
    except etree.XMLSyntaxError as exc:
        raise XMLError(f"not well-formed XML: {exc}") from None
    _check(root)
    return root


#: Matches an element nested deeper than MAX_DEPTH (evaluated in C: walking the tree in Python
#: cost more than the parse itself on a 150-record answer).
_TOO_DEEP = etree.XPath("boolean(" + "/*" * (MAX_DEPTH + 1) + ")")


def _check(root: Element) -> None:
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise XMLError("a DOCTYPE is not allowed")
    if next(root.iter(etree.Entity), None) is not None:
        raise XMLError("entity references are not allowed")
    if _TOO_DEEP(root.getroottree()):
        raise XMLError(f"elements nested deeper than {MAX_DEPTH} levels")


def local_name(element: Element) -> str:
    """The tag without its namespace (``{http://...}ticket`` -> ``ticket``)."""
    return etree.QName(element).localname


def child_text(element: Element, name: str, default: str | None = None) -> str | None:
    """The text of the first child called ``name`` (any namespace), or ``default``."""
    for child in element:
        if isinstance(child.tag, str) and local_name(child) == name:
            return child.text or ""
    return default


def to_bytes(element: Element, *, declaration: bool = True, encoding: str = "utf-8") -> bytes:
    """Serialize ``element`` (with its processing-instruction siblings when it is a root)."""
    return etree.tostring(element, xml_declaration=declaration, encoding=encoding)


def sub(parent: Element, tag: str, text: str | None = None, **attrs: str) -> Element:
    """Append a child element (with text and attributes) and return it."""
    child = etree.SubElement(parent, tag, attrs)
    if text is not None:
        child.text = text
    return child
