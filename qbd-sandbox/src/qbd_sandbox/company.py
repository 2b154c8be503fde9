"""A QuickBooks Desktop company file, emulated: one SQLite file that answers qbXML as QuickBooks does.

``Company.process`` takes a qbXML request document and returns the response document; the Python API
(``add``, ``modify``, ``delete``, ``void``) goes through the same request handling, so a company
seeded from Python is the company a qbXML client would have written. ``host_response`` is the
``strHCPResponse`` the Web Connector sends on a session's first ``sendRequestXML``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree
from qbd_client import catalog
from qbd_client.errors import StatusError, status_error
from qbd_client.xml import to_bytes

from . import elements, host, status
from .processor import Context, Processor, python_request
from .queries import Options, Queries, Renderer
from .reports import Reports
from .store import Row, Store
from .writes import EXTRA_LISTS, Writer, is_list, nodes

__all__ = ["Bulk", "Company", "CompanyConfig", "StatusError"]


@dataclass
class CompanyConfig:
    """How the emulated QuickBooks installation and its company file behave."""

    #: The company machine's zone: TimeModified carries its UTC offset, and a date-time without an
    #: offset in a filter is read in it.
    tz: str = "America/Los_Angeles"
    #: How long ListDeletedQuery / TxnDeletedQuery remember a deletion.
    deleted_retention_days: int = 90
    #: The FileID the company answers to applications that have not connected before (None: theirs).
    file_id: str | None = None
    company_name: str = "Sandbox Company"
    product: str = "QuickBooks Enterprise Solutions 24.0"
    #: Seconds slept per record returned: a slow company for benchmarks.
    time_per_record: float = 0.0
    #: "Now" as an aware datetime (default: the real time).
    clock: Callable[[], datetime] | None = None


class Company:
    """One company file: a SQLite database created when ``path`` does not exist."""

    def __init__(self, path: str | Path, config: CompanyConfig | None = None) -> None:
        self.path = Path(path)
        self.config = config or CompanyConfig()
        self.tz = ZoneInfo(self.config.tz)
        self.store = Store(self.path)
        self._writer = Writer(self.store, self.tz)
        self._renderer = Renderer(self.store, self.tz)
        self._queries = Queries(
            self.store, self.tz, self._renderer, self.now, self.config.deleted_retention_days
        )
        self._processor = Processor(
            Context(
                store=self.store,
                tz=self.tz,
                writer=self._writer,
                queries=self._queries,
                renderer=self._renderer,
                reports=Reports(self.store, self.tz, self.now),
                facts=host.HostFacts(self.config.product, self.config.company_name),
                now=self.now,
                time_per_record=self.config.time_per_record,
            )
        )
        # Iterators do not outlive the process that started them (a Continue to another Company
        # object answers 3391, as after a QuickBooks restart); old ones left in the file go.
        with self.store.lock, self.store.tx():
            self._queries.forget_stale(timedelta(days=1))

    def now(self) -> datetime:
        """The company's "now" (aware)."""
        if self.config.clock is not None:
            moment = self.config.clock()
            return moment if moment.tzinfo else moment.replace(tzinfo=self.tz)
        return datetime.now(timezone.utc).astimezone(self.tz)

    # -- qbXML ----------------------------------------------------------------------------------

    def process(self, request: bytes | str, session: str) -> bytes:
        """One qbXML request document -> its response document (UTF-8).

        Raises :class:`qbd_client.errors.RequestRefused` (code 0x80040400) when QuickBooks would
        refuse the document as a whole; nothing is changed then.
        """
        return self._processor.process(request, session)

    def end_session(self, session: str) -> None:
        """The QuickBooks session ends: its iterators die (a later Continue answers 3391)."""
        with self.store.tx():
            self._queries.end_session(session)

    def host_response(self, owner_id: str, file_id: str) -> str:
        """The ``strHCPResponse`` of a session's first ``sendRequestXML``.

        HostQueryRs, CompanyQueryRs (with the FileID data extension of ``owner_id``: the first
        connection of an application stores its FileID, later ones get the stored one back) and
        PreferencesQueryRs, in one ``QBXMLMsgsRs``.
        """
        with self.store.tx():
            host.file_id_for(self.store, owner_id, self.config.file_id or file_id)
        facts = host.HostFacts(self.config.product, self.config.company_name)
        root = etree.Element("QBXML")
        msgs = etree.SubElement(root, "QBXMLMsgsRs")
        with self.store.lock:
            rets = (
                ("HostQueryRs", host.host_ret(facts)),
                ("CompanyQueryRs", host.company_ret(facts, self.store, [owner_id])),
                ("PreferencesQueryRs", host.preferences_ret()),
            )
        for number, (tag, ret) in enumerate(rets):
            rs = etree.SubElement(
                msgs,
                tag,
                requestID=str(number),
                statusCode="0",
                statusSeverity="Info",
                statusMessage=status.OK_MESSAGE,
            )
            rs.append(ret)
        return '<?xml version="1.0" ?>' + to_bytes(root, declaration=False).decode("utf-8")

    # -- the Python API (same code paths as qbXML Add/Mod/Del/Void) -----------------------------

    def add(self, object_name: str, fields: dict[str, Any], at: datetime | None = None) -> dict[str, Any]:
        """Add a list element or transaction; its Ret as :func:`qbd_client.qbxml.to_dict` gives it.

        ``fields`` use the shapes of ``to_dict`` / ``add_request``. Raises
        :class:`qbd_client.errors.StatusError` when QuickBooks would answer an error status, and
        :class:`qbd_client.qbxml.QbxmlError` for fields the qbXML spec does not allow.
        """
        return self._write(object_name, "Add", fields, at)

    def modify(self, object_name: str, fields: dict[str, Any], at: datetime | None = None) -> dict[str, Any]:
        """Modify a record: ``fields`` hold its ListID/TxnID and current EditSequence."""
        return self._write(object_name, "Mod", fields, at)

    def delete(self, object_name: str, id: str, at: datetime | None = None) -> None:
        """Delete a list element or transaction (ListDel / TxnDel)."""
        moment = self._at(at)
        with self.store.tx():
            self._check_delete(object_name)
            try:
                self._writer.delete(object_name, id, moment)
            except status.Status as failure:
                raise self._error(failure, "ListDelRq" if is_list(object_name) else "TxnDelRq") from None

    def void(self, object_name: str, txn_id: str, at: datetime | None = None) -> dict[str, Any]:
        """Void a transaction (TxnVoid): amounts zeroed, memo "VOID: ...", postings removed."""
        moment = self._at(at)
        spec = catalog.get(object_name)
        if not spec.void:
            raise ValueError(f"{object_name} cannot be voided (TxnVoidType has no {object_name})")
        with self.store.tx():
            try:
                row = self._writer.void(object_name, txn_id, moment)
            except status.Status as failure:
                raise self._error(failure, "TxnVoidRq") from None
            return self._typed(row.object, self._renderer.fields(row, Options()))

    def get(self, object_name: str, id: str) -> dict[str, Any] | None:
        """A record as a query with IncludeLineItems and IncludeLinkedTxns would return it, or None."""
        self._known(object_name)
        with self.store.lock:
            row = self.store.get(object_name, id)
            if row is None:
                return None
            return self._typed(row.object, self._renderer.fields(row, Options()))

    def count(self, object_name: str) -> int:
        """How many records of the object the company holds."""
        self._known(object_name)
        with self.store.lock:
            return self.store.count(object_name)

    def set_data_ext(
        self, object_name: str, id: str, owner_id: str, name: str, value: str, type: str = "STR255TYPE"
    ) -> None:
        """Store a data extension (custom field) of a record; OwnerID "0" is QuickBooks' custom fields."""
        self._known(object_name)
        with self.store.tx() as conn:
            if self.store.get(object_name, id) is None:
                raise self._error(status.object_not_found(id), "DataExtAddRq")
            conn.execute(
                "INSERT OR REPLACE INTO data_ext (owner_id, object, id, name, type, value) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (owner_id, object_name, id, name, type, elements.latin1(value)),
            )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Writes inside the block commit together: a much faster way to seed a company.

        A write that fails inside still rolls back alone (its StatusError may be caught and the
        block go on); an exception that leaves the block rolls all of it back.
        """
        with self.store.tx():
            yield

    @contextmanager
    def bulk(self) -> Iterator[Bulk]:
        """Trusted writes, committed together: the fast way for a generator to fill a company.

        :class:`Bulk` takes the same fields as :meth:`add` and :meth:`modify` and stores them
        through the same writer, but builds no qbXML request (so nothing validates the fields
        against the spec beyond their names) and returns ids instead of Ret mappings. The
        company it makes is the one the checked API would make from the same calls. The block is
        one transaction (:meth:`Bulk.commit` commits what is done so far); its commits do not
        wait for the disk (see :meth:`Store.filling`): a generator makes the file again.
        """
        with self.store.filling(), self.store.tx():
            yield Bulk(self)

    def digest(self) -> str:
        """A hash of the whole company state: records, deletions, ledger, links, message sets."""
        return self.store.digest()

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Company:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- helpers --------------------------------------------------------------------------------

    def _at(self, at: datetime | None) -> datetime:
        if at is None:
            return self.now()
        return at if at.tzinfo else at.replace(tzinfo=self.tz)

    @staticmethod
    def _known(object_name: str) -> None:
        if object_name not in EXTRA_LISTS:
            catalog.get(object_name)

    @staticmethod
    def _check_delete(object_name: str) -> None:
        if object_name in EXTRA_LISTS:
            return
        if not catalog.get(object_name).can_delete:
            raise ValueError(f"{object_name} cannot be deleted through qbXML (no ListDelType/TxnDelType)")

    def _write(
        self, object_name: str, part: str, fields: dict[str, Any], at: datetime | None
    ) -> dict[str, Any]:
        self._known(object_name)
        moment = self._at(at)
        request = python_request(object_name, part, fields)
        with self.store.tx():
            try:
                row = self._processor.write(object_name, part, request, moment)
            except status.Status as failure:
                raise self._error(failure, f"{object_name}{part}Rq") from None
            return self._typed(row.object, self._renderer.fields(row, Options()))

    @staticmethod
    def _error(failure: status.Status, request: str) -> StatusError:
        return status_error(failure.code, failure.message, request=request)

    @staticmethod
    def _typed(object_name: str, fields: dict[str, Any]) -> dict[str, Any]:
        return elements.typed_fields(fields, nodes(object_name, "Ret"))


class Bulk:
    """Trusted writes to a company inside :meth:`Company.bulk` (see there).

    Each write is still atomic (a failing one rolls back alone and raises StatusError).
    """

    def __init__(self, company: Company) -> None:
        self._company = company
        self._store = company.store
        self._writer = company._writer

    def add(self, object_name: str, fields: dict[str, Any], at: datetime | None = None) -> str:
        """Add a record from Python fields (as for :meth:`Company.add`); its new ListID or TxnID."""
        return self._write(object_name, "Add", fields, at).id

    def modify(self, object_name: str, fields: dict[str, Any], at: datetime | None = None) -> str:
        """Modify a record (fields hold its id and current EditSequence); its new EditSequence."""
        return self._write(object_name, "Mod", fields, at).edit_sequence

    def commit(self) -> None:
        """Commit the writes so far and go on (nothing, when the block is inside another transaction)."""
        self._store.commit_so_far()

    def edit_sequence(self, object_name: str, id: str) -> str:
        """The current EditSequence of a record (KeyError when there is none)."""
        row = self._store.get(object_name, id)
        if row is None:
            raise KeyError(f"no {object_name} {id}")
        return row.edit_sequence

    def delete(self, object_name: str, id: str, at: datetime | None = None) -> None:
        """Delete a record, as :meth:`Company.delete`."""
        self._company.delete(object_name, id, at)

    def void(self, object_name: str, txn_id: str, at: datetime | None = None) -> None:
        """Void a transaction, as :meth:`Company.void` without building its Ret."""
        if not catalog.get(object_name).void:
            raise ValueError(f"{object_name} cannot be voided (TxnVoidType has no {object_name})")
        moment = self._company._at(at)
        with self._store.tx():
            try:
                self._writer.void(object_name, txn_id, moment)
            except status.Status as failure:
                raise Company._error(failure, "TxnVoidRq") from None

    def _write(self, object_name: str, part: str, fields: dict[str, Any], at: datetime | None) -> Row:
        moment = self._company._at(at)
        text = elements.text_fields(fields, nodes(object_name, part), f"{object_name}{part}")
        with self._store.tx():
            try:
                if part == "Add":
                    return self._writer.add(object_name, text, moment)
                return self._writer.modify(object_name, text, moment)
            except status.Status as failure:
                raise Company._error(failure, f"{object_name}{part}Rq") from None
