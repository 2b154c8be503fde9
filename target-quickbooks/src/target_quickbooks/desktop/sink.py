"""The sink of edition desktop: one class for every stream, as for Online (see ``sinks.py``); the
Desktop catalog says what each object allows.

A stream maps to the Desktop object it is named after (tap-quickbooks' ``Customer``, ``Invoice``;
``customers``, ``sales_receipt`` also match) or to the object ``stream_maps_to_objects`` names.
Records are checked and spooled as they come; the writer writes them when the SDK drains.
"""

from __future__ import annotations

import datetime as dt
import re
import typing as t
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from qbd_client import catalog
from qbd_client.catalog import ObjectSpec
from typing_extensions import override

from target_quickbooks.mapping import StreamMappingError
from target_quickbooks.records import Operation, PendingRecord, RecordError
from target_quickbooks.shaping import OPERATION_FIELD, check_text, operation_of
from target_quickbooks.sinks import RecordSink

if t.TYPE_CHECKING:
    from target_quickbooks.target import TargetQuickBooks

    from .writer import DesktopWriter


def _words(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def object_for_stream(stream: str, explicit: Mapping[str, Any] | None) -> ObjectSpec:
    """The Desktop object a stream writes to; raises :class:`StreamMappingError` with a remedy."""
    entry = (explicit or {}).get(stream)
    name = entry.get("object") if isinstance(entry, Mapping) else entry
    known = {_words(spec.name): spec for spec in catalog.OBJECTS}
    if name:
        found = known.get(_words(str(name)))
        if found is None:
            raise StreamMappingError(
                f"stream_maps_to_objects maps stream {stream!r} to {name!r}, which is not a QuickBooks "
                f"Desktop object; use one of: {', '.join(s.name for s in catalog.OBJECTS)}"
            )
        return found
    base = re.split(r"[-.]", stream)[-1]
    word = _words(base)
    for candidate in (word, word[:-3] + "y" if word.endswith("ies") else "", word[:-2], word[:-1]):
        if candidate and candidate in known:
            return known[candidate]
    raise StreamMappingError(
        f"stream {stream!r} maps to no QuickBooks Desktop object: name the stream after one (Customer, "
        'Invoice, ...) or map it in the setting stream_maps_to_objects ({"' + stream + '": "Customer"})'
    )


def payload_of(value: Any) -> Any:
    """A record's value as the spool keeps it: amounts exact (Decimal as text), dates as ISO text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: payload_of(v) for k, v in value.items()}
    if isinstance(value, list):
        return [payload_of(v) for v in value]
    return value


class DesktopSink(RecordSink):
    """Checks and spools the records of one stream for a QuickBooks Desktop company."""

    def __init__(
        self,
        target: TargetQuickBooks,
        stream_name: str,
        schema: dict,
        key_properties: t.Sequence[str] | None,
    ) -> None:
        self.quickbooks = target
        explicit = target.config.get("stream_maps_to_objects") or {}
        self.spec = object_for_stream(stream_name, explicit)
        super().__init__(target, stream_name, schema, key_properties)
        if self.spec.is_report:
            self.logger.warning(
                "stream %r is the %s report, which QuickBooks computes from the transactions: its "
                "records are read and not written",
                stream_name,
                self.spec.name,
            )
        else:
            self.logger.info(
                "stream %r writes to %s (natural key: %s)",
                stream_name,
                self.spec.name,
                self.spec.natural_key or "none",
            )

    @property
    def writer(self) -> DesktopWriter:
        from .writer import DesktopWriter

        writer = self.quickbooks.writer
        assert isinstance(writer, DesktopWriter)
        return writer

    @override
    def process_record(self, record: dict, context: dict) -> None:
        writer = self.writer
        spec = self.spec
        if spec.is_report:
            writer.counts["report_rows_ignored"] += 1
            return
        original = {
            k: payload_of(v)
            for k, v in record.items()
            if not (k.startswith("_sdc_") and k != "_sdc_deleted_at") and v is not None
        }
        try:
            check_text(record)
            operation = operation_of(record)
            check_allowed(spec, operation)
        except RecordError as error:
            writer.reject(
                error,
                stream=self.stream_name,
                obj=spec.name,
                operation=str(record.get(OPERATION_FIELD) or "upsert"),
                record=original,
            )
            return
        payload = {k: v for k, v in original.items() if not k.startswith(("_sdc_", "_qbo_"))}
        source_id = record.get(spec.id_field)
        writer.add(
            PendingRecord(
                seq=writer.next_seq(),
                stream=self.stream_name,
                object=spec.name,
                operation=operation,
                source_id=str(source_id) if source_id not in (None, "") else None,
                payload=payload,
                natural_key=(spec.natural_key,) if spec.natural_key else (),
                record=original,
            )
        )


def check_allowed(spec: ObjectSpec, operation: Operation) -> None:
    """Refuse at once what the catalog says QuickBooks Desktop cannot do with the object."""
    if operation is Operation.UPSERT and not (spec.add or spec.mod):
        raise RecordError(f"{spec.name} can be neither added nor modified through qbXML", code="3250")
    if operation is Operation.DELETE and not (spec.can_delete or spec.can_inactivate):
        raise RecordError(
            f"{spec.name} cannot be deleted through qbXML (TxnDelType has no {spec.name}) nor made "
            "inactive: delete it in QuickBooks, or leave the record out",
            code="3250",
        )
    if operation is Operation.VOID and not spec.void:
        voidable = ", ".join(s.name for s in catalog.OBJECTS if s.void)
        raise RecordError(
            f"{spec.name} cannot be voided through qbXML (only {voidable} can): send it as a delete "
            f"({OPERATION_FIELD} delete) instead",
            code="3250",
        )
