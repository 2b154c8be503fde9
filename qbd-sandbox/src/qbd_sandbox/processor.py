"""A qbXML request document in, its response document out, as QuickBooks processes it.

QuickBooks parses the whole document against its schema before it does anything: one malformed
request, one element out of order, an unknown request or a bad enumeration value and the whole set
is refused with HRESULT 0x80040400, nothing changed. Then it runs the requests one at a time, each
atomic (a request that fails leaves no trace), and ``onError`` decides what follows an error:
``stopOnError`` stops (later requests get no answer), ``continueOnError`` answers them all,
``rollbackOnError`` stops and undoes the set's earlier writes. With ``newMessageSetID`` the answer
is kept, and a set sent again (with ``oldMessageSetID`` naming it, or the same ``newMessageSetID``)
gets that answer instead of being applied twice. Only sets that hold a write (an Add, Mod, Del or
Void) are kept: a query is safe to run again, and a client that gives each query a fresh id (as
the bridge does) would otherwise grow the company file with every page it reads. An
``oldMessageSetID`` naming a set that was not kept is processed as new.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree
from qbd_client import catalog, qbxml
from qbd_client.errors import RequestRefused, severity_of
from qbd_client.xml import Element, child_text, local_name, to_bytes

from . import clock, elements, host, status
from .queries import Options, Queries, Renderer
from .reports import Reports
from .store import Row, Store
from .writes import EXTRA_LISTS, Writer, is_list, nodes

log = logging.getLogger(__name__)

INTERNAL_ERROR = "There has been an internal error when processing the request."
REFUSED_HRESULT = "0x80040400"
REFUSED_MESSAGE = "QuickBooks found an error when parsing the provided XML text stream."
CLEAR_ALL = "ClearAllMessageSets"
_MSGS_ATTRIBUTES = frozenset({"onError", "newMessageSetID", "oldMessageSetID", "responseData"})
#: Requests that change the company: a message set holding one is kept for error recovery.
WRITE_REQUESTS = frozenset({"ListDelRq", "TxnDelRq", "TxnVoidRq"})
_ENUM_FIELDS = {
    "ListDelType": "ListDelType",
    "TxnDelType": "TxnDelType",
    "TxnVoidType": "TxnVoidType",
    "GeneralSummaryReportType": "GeneralSummaryReportType",
}


def is_write(request: Element) -> bool:
    """Whether a request changes the company (Add, Mod, Del, Void)."""
    tag = local_name(request)
    return tag in WRITE_REQUESTS or tag.endswith(("AddRq", "ModRq"))


def refused() -> RequestRefused:
    return RequestRefused(REFUSED_MESSAGE, code=REFUSED_HRESULT)


class _Rollback(Exception):
    """Unwinds a rollbackOnError set after its first error."""


@dataclass
class Context:
    """What the processor needs of the company."""

    store: Store
    tz: ZoneInfo
    writer: Writer
    queries: Queries
    renderer: Renderer
    reports: Reports
    facts: host.HostFacts
    now: Callable[[], datetime]
    time_per_record: float = 0.0


def check_document(data: bytes | str) -> tuple[Element, list[Element]]:
    """The message set and its requests, or :class:`RequestRefused` when QuickBooks would refuse it."""
    try:
        msgs, requests = qbxml.parse_request(data)
    except RequestRefused:
        raise refused() from None
    root = msgs.getparent()
    if root is None or local_name(root) != "QBXML":
        raise refused()
    if any(isinstance(c.tag, str) and c is not msgs for c in root):
        raise refused()
    if set(msgs.attrib) - _MSGS_ATTRIBUTES or msgs.get("onError") not in qbxml.ON_ERROR:
        raise refused()
    if (msgs.text or "").strip() or any((c.tail or "").strip() for c in msgs):
        raise refused()
    for request in requests:
        try:
            qbxml.validate(request)
        except qbxml.QbxmlError:
            raise refused() from None
        _check_attribute_values(request)
        _check_enums(request)
    return msgs, requests


def _check_attribute_values(request: Element) -> None:
    tag = local_name(request)
    if tag.endswith("QueryRq") and tag[: -len("QueryRq")] in qbxml.spec()["objects"]:
        for attribute in qbxml.spec()["objects"][tag[: -len("QueryRq")]]["Query"]["attributes"]:
            value = request.get(attribute["name"])
            if value is not None and "enum" in attribute and value not in attribute["enum"]:
                raise refused()
    if request.get("iterator") == "Continue" and not request.get("iteratorID"):
        raise refused()


def _check_enums(request: Element) -> None:
    for child in request:
        if not isinstance(child.tag, str) or local_name(child) not in _ENUM_FIELDS:
            continue
        if (child.text or "").strip() not in qbxml.enum_values(_ENUM_FIELDS[local_name(child)]):
            raise refused()


class Processor:
    """Runs message sets against one company."""

    def __init__(self, context: Context) -> None:
        self.ctx = context

    # -- documents ------------------------------------------------------------------------------

    def process(self, data: bytes | str, session: str) -> bytes:
        msgs, requests = check_document(data)
        store = self.ctx.store
        on_error = str(msgs.get("onError"))
        new_id = msgs.get("newMessageSetID")
        old_id = msgs.get("oldMessageSetID")
        keep = bool(new_id) and any(is_write(r) for r in requests)
        records = 0
        with store.lock:
            if old_id == CLEAR_ALL:
                with store.tx() as conn:
                    conn.execute("DELETE FROM message_sets")
                old_id = None
            for known in (old_id, new_id):
                if known:
                    stored = store.conn.execute(
                        "SELECT response FROM message_sets WHERE message_set_id = ?", (known,)
                    ).fetchone()
                    if stored is not None:
                        return bytes(stored[0])
            root = etree.Element("QBXML")
            msgs_rs = etree.SubElement(root, "QBXMLMsgsRs")
            if new_id:
                msgs_rs.set("newMessageSetID", new_id)
            if new_id or old_id:
                msgs_rs.set("messageSetStatusCode", "0")
            at = self.ctx.now()
            try:
                with store.tx():
                    for request in requests:
                        rs, code = self._answer(request, session, at)
                        msgs_rs.append(rs)
                        records += sum(
                            1 for c in rs if isinstance(c.tag, str) and local_name(c).endswith("Ret")
                        )
                        if severity_of(code) == "Error":
                            if on_error == "rollbackOnError":
                                raise _Rollback
                            if on_error == "stopOnError":
                                break
                    answer = to_bytes(root)
                    if keep:
                        self._store_answer(str(new_id), answer, at)
            except _Rollback:
                answer = to_bytes(root)
                if keep:
                    with store.tx():
                        self._store_answer(str(new_id), answer, at)
        if self.ctx.time_per_record and records:
            time.sleep(self.ctx.time_per_record * records)
        return answer

    def _store_answer(self, message_set_id: str, answer: bytes, at: datetime) -> None:
        self.ctx.store.conn.execute(
            "INSERT OR REPLACE INTO message_sets (message_set_id, response, processed) VALUES (?, ?, ?)",
            (message_set_id, answer, clock.utc_key(at)),
        )

    def _answer(self, request: Element, session: str, at: datetime) -> tuple[Element, int]:
        """One request's ``XxxRs``, its writes kept only when it succeeds."""
        tag = local_name(request)
        rs = etree.Element(tag[: -len("Rq")] + "Rs")
        if request.get("requestID") is not None:
            rs.set("requestID", str(request.get("requestID")))
        try:
            with self.ctx.store.tx():
                code, message, attributes, rets = self.handle(request, session, at)
        except status.Status as failure:
            code, message, attributes, rets = failure.code, failure.message, {}, []
            if tag.endswith("QueryRq") and request.get("iterator") == "Start":
                attributes = {"iteratorRemainingCount": "0"}
        except Exception:
            # A fault of the emulator itself: the request fails alone, as QuickBooks' own internal
            # errors do (status 1000), and the details go to the log rather than to the client.
            log.exception("internal error while answering %s", tag)
            code, message, attributes, rets = 1000, INTERNAL_ERROR, {}, []
        rs.set("statusCode", str(code))
        rs.set("statusSeverity", severity_of(code))
        rs.set("statusMessage", message)
        for name, value in attributes.items():
            rs.set(name, value)
        for ret in rets:
            rs.append(ret)
        return rs, code

    # -- requests -------------------------------------------------------------------------------

    def handle(
        self, request: Element, session: str, at: datetime
    ) -> tuple[int, str, dict[str, str], list[Element]]:
        """Status code, message, extra attributes and Ret elements of one valid request.

        Raises :class:`~qbd_sandbox.status.Status` when the request fails.
        """
        tag = local_name(request)
        ctx = self.ctx
        if tag == "HostQueryRq":
            return 0, status.OK_MESSAGE, {}, [host.host_ret(ctx.facts)]
        if tag == "CompanyQueryRq":
            owners = [(c.text or "").strip() for c in request if local_name(c) == "OwnerID"]
            return 0, status.OK_MESSAGE, {}, [host.company_ret(ctx.facts, ctx.store, owners)]
        if tag == "PreferencesQueryRq":
            return 0, status.OK_MESSAGE, {}, [host.preferences_ret()]
        if tag == "GeneralSummaryReportQueryRq":
            return 0, status.OK_MESSAGE, {}, [ctx.reports.general_summary(request)]
        if tag in ("ListDeletedQueryRq", "TxnDeletedQueryRq"):
            answer = ctx.queries.deleted(request, lists=tag == "ListDeletedQueryRq")
            return answer.code, answer.message, answer.attributes, answer.rets
        if tag in ("ListDelRq", "TxnDelRq"):
            return self._delete(request, at, lists=tag == "ListDelRq")
        if tag == "TxnVoidRq":
            return self._void(request, at)
        for suffix in ("QueryRq", "AddRq", "ModRq"):
            if tag.endswith(suffix):
                object_name = tag[: -len(suffix)]
                spec = catalog.get(object_name)
                if suffix == "QueryRq":
                    answer = ctx.queries.query(spec, request, session)
                    return answer.code, answer.message, answer.attributes, answer.rets
                row = self.write(object_name, suffix[:3], request, at)
                include = frozenset(
                    (c.text or "").strip() for c in request if local_name(c) == "IncludeRetElement"
                )
                return 0, status.OK_MESSAGE, {}, [ctx.renderer.ret(row, Options(include_elements=include))]
        raise status.not_supported(tag)

    def write(self, object_name: str, part: str, request: Element, at: datetime) -> Row:
        """An Add or Mod request applied; its body read as the text mapping the writer takes."""
        body = next(c for c in request if isinstance(c.tag, str) and local_name(c) == f"{object_name}{part}")
        fields = elements.text_mapping(body, nodes(object_name, part))
        if part == "Add":
            return self.ctx.writer.add(object_name, fields, at)
        return self.ctx.writer.modify(object_name, fields, at)

    def _delete(
        self, request: Element, at: datetime, *, lists: bool
    ) -> tuple[int, str, dict[str, str], list[Element]]:
        type_tag, id_tag = ("ListDelType", "ListID") if lists else ("TxnDelType", "TxnID")
        del_type = child_text(request, type_tag) or ""
        id_ = (child_text(request, id_tag) or "").strip()
        object_name = _object_of_type(del_type, lists=lists)
        if object_name is None:
            raise status.object_not_found(id_)
        row, time_deleted = self.ctx.writer.delete(object_name, id_, at)
        children = [_leaf(type_tag, del_type), _leaf(id_tag, row.id), _leaf("TimeDeleted", time_deleted)]
        if row.name:
            children.append(_leaf("FullName" if lists else "RefNumber", row.name))
        return 0, status.OK_MESSAGE, {}, children

    def _void(self, request: Element, at: datetime) -> tuple[int, str, dict[str, str], list[Element]]:
        void_type = child_text(request, "TxnVoidType") or ""
        txn_id = (child_text(request, "TxnID") or "").strip()
        try:
            spec = catalog.get(void_type)
        except KeyError:
            raise status.object_not_found(txn_id) from None
        if not spec.void:
            raise status.object_not_found(txn_id)
        self.ctx.writer.void(void_type, txn_id, at)
        return 0, status.OK_MESSAGE, {}, [_leaf("TxnVoidType", void_type), _leaf("TxnID", txn_id)]


def _leaf(tag: str, text: str) -> Element:
    element = etree.Element(tag)
    element.text = text
    return element


def _object_of_type(del_type: str, *, lists: bool) -> str | None:
    if del_type in EXTRA_LISTS:
        return del_type
    try:
        spec = catalog.by_del_type(del_type)
    except KeyError:
        return None
    if spec.is_list != lists:
        return None
    return spec.name


def python_request(object_name: str, part: str, fields: dict[str, Any]) -> Element:
    """The ``XxxAddRq`` / ``XxxModRq`` of Python fields (for the Python API), validated like qbXML."""
    if object_name in EXTRA_LISTS:
        body = qbxml.from_dict(f"{object_name}{part}", fields, nodes(object_name, part))
        request = etree.Element(f"{object_name}{part}Rq")
        request.append(body)
        return request
    request = (qbxml.add_request if part == "Add" else qbxml.mod_request)(object_name, fields)
    qbxml.validate(request)
    return request


__all__ = [
    "REFUSED_HRESULT",
    "REFUSED_MESSAGE",
    "Context",
    "Processor",
    "check_document",
    "is_list",
    "is_write",
    "refused",
]
