"""qbXML message sets as the bridge handles them: checked on submit, stamped on send, continued.

A message set is one qbXML request document (``QBXML/QBXMLMsgsRq`` holding one or more requests).
The bridge stores it as submitted; each time it sends it, it sets ``newMessageSetID`` (and
``oldMessageSetID`` when a write is sent again after a lost answer). When QuickBooks answers a
query with ``iteratorRemainingCount`` > 0, the next page is asked with the *same* request element
(same filters, same ``requestID``), ``iterator="Continue"`` and the ``iteratorID`` of the answer.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from lxml import etree
from qbd_client import qbxml
from qbd_client.errors import RequestRefused
from qbd_client.xml import Element, local_name

#: The highest qbXML version the bridge speaks (QuickBooks 2014 and later read it).
OUR_VERSION = "13.0"


class MessageSetRefused(ValueError):
    """A submitted document the bridge will not queue (not qbXML, no requests, a Continue)."""


@dataclass(frozen=True)
class Checked:
    """What the bridge needs to know about a submitted message set."""

    #: The ``<?qbxml version?>`` it declares ("" when it declares none: sent at the session's version).
    version: str
    #: It holds a request that changes the company (anything but a query): sent again only with
    #: ``oldMessageSetID``, so QuickBooks never applies it twice.
    writes: bool
    requests: int


def version_key(version: str) -> tuple[int, int]:
    """``"13.0"`` -> ``(13, 0)``; raises ValueError for anything else."""
    major, _, minor = version.strip().partition(".")
    return int(major), int(minor or "0")


def declared_version(root: Element) -> str:
    """The version of the ``<?qbxml version="..."?>`` before the root, or ""."""
    for sibling in root.itersiblings(preceding=True):
        if isinstance(sibling, etree._ProcessingInstruction) and sibling.target == "qbxml":
            return (sibling.get("version") or "").strip()
    return ""


def check(text: str) -> Checked:
    """Check a submitted message set; raises :class:`MessageSetRefused` saying what is wrong."""
    try:
        msgs, requests = qbxml.parse_request(text)
    except RequestRefused as exc:
        raise MessageSetRefused(f"not a qbXML request document: {exc.message}") from None
    if not requests:
        raise MessageSetRefused("its QBXMLMsgsRq holds no request")
    version = declared_version(msgs.getparent() if msgs.getparent() is not None else msgs)
    if version:
        try:
            version_key(version)
        except ValueError:
            raise MessageSetRefused(f'<?qbxml version="{version}"?> is not a version number') from None
        if version_key(version) > version_key(OUR_VERSION):
            raise MessageSetRefused(
                f"qbXML {version} is newer than {OUR_VERSION}, the highest the bridge sends"
            )
    for request in requests:
        if request.get("iterator", "").lower() == "continue":
            raise MessageSetRefused(
                f'{local_name(request)} has iterator="Continue": the bridge continues iterators itself '
                'within the session; submit the query with iterator="Start"'
            )
    writes = any(not local_name(r).endswith("QueryRq") for r in requests)
    return Checked(version=version, writes=writes, requests=len(requests))


def render(text: str, version: str, *, new_id: str, old_id: str | None = None) -> str:
    """The document to send: the stored one with its message-set ids set, under a qbXML declaration."""
    msgs, _ = qbxml.parse_request(text)
    root = msgs.getparent()
    msgs.set("newMessageSetID", new_id)
    if old_id:
        msgs.set("oldMessageSetID", old_id)
    elif "oldMessageSetID" in msgs.attrib:
        del msgs.attrib["oldMessageSetID"]
    body = etree.tostring(root if root is not None else msgs, encoding="unicode")
    return f'<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="{version}"?>\n{body}'


@dataclass(frozen=True)
class Continuation:
    """The next page of the iterators of an answered message set."""

    #: The request document of the next page (without message-set ids: they are set on send).
    text: str
    #: Records the iterators still hold, and the size of the page just answered (for percent done).
    remaining: int
    page: int


def continuation(sent: str, answer: qbxml.MessageSetResponse) -> Continuation | None:
    """The message set asking for the next page of every iterator ``answer`` left open, or None.

    ``sent`` is the document that was answered; each of its requests whose response carries an
    ``iteratorID`` and ``iteratorRemainingCount`` > 0 is copied unchanged but for ``iterator`` and
    ``iteratorID``. Responses are matched to requests by ``requestID`` when both have one, else by
    position (QuickBooks answers in order).
    """
    msgs, requests = qbxml.parse_request(sent)
    by_id = {r.get("requestID"): r for r in requests if r.get("requestID")}
    keep: list[Element] = []
    remaining = 0
    page = 0
    for position, response in enumerate(answer.responses):
        if not response.iterator_id or not response.iterator_remaining or response.iterator_remaining <= 0:
            continue
        request = by_id.get(response.request_id) if response.request_id else None
        if (
            request is None
            and position < len(requests)
            and requests[position].get("requestID")
            in (
                None,
                response.request_id,
            )
        ):
            request = requests[position]
        if request is None or local_name(request) != response.request:
            continue
        following = copy.deepcopy(request)
        following.set("iterator", "Continue")
        following.set("iteratorID", response.iterator_id)
        keep.append(following)
        remaining += response.iterator_remaining
        page = max(page, len(response.rets))
    if not keep:
        return None
    for request in requests:
        msgs.remove(request)
    for attribute in ("newMessageSetID", "oldMessageSetID"):
        msgs.attrib.pop(attribute, None)
    msgs.extend(keep)
    root = msgs.getparent()
    body = etree.tostring(root if root is not None else msgs, encoding="unicode")
    version = declared_version(root if root is not None else msgs)
    head = f'<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="{version}"?>\n' if version else ""
    return Continuation(text=head + body, remaining=remaining, page=max(page, 1))
