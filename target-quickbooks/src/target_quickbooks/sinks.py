"""One sink class for every stream: the catalog says what each object allows, not a class per object.

A sink resolves its stream to a QuickBooks object when the SCHEMA message arrives (a stream
that maps to nothing fails there, before any record). Each record is shaped and checked at once
(a bad one goes to the dead letter with its reason) and spooled; writing happens when the SDK
drains, for every stream together, so that parents are written before their children whatever
order the streams came in.
"""

from __future__ import annotations

import typing as t
from typing import Any

from qbo_client import catalog
from singer_sdk.sinks import BatchSink
from typing_extensions import override

from .mapping import StreamTarget, report_for_name, resolve_stream
from .records import Operation, PendingRecord, RecordError
from .shaping import check_payload, check_text, input_payload, jsonable, operation_of

if t.TYPE_CHECKING:
    from singer_sdk.sinks.core import BaseJSONSchemaValidator

    from .target import TargetQuickBooks
    from .writer import Writer


class RecordSink(BatchSink):
    """What every edition's sink shares: deletes come as ``_sdc_deleted_at``, no JSON Schema
    validation of the stream (QuickBooks' own refusals name each record), and a drain of the run's
    writer per batch."""

    quickbooks: TargetQuickBooks

    @property
    @override
    def include_sdc_metadata_properties(self) -> bool:
        """Always: ``_sdc_deleted_at`` is how a tap says a record was deleted (never written itself)."""
        return True

    @override
    def get_validator(self) -> BaseJSONSchemaValidator | None:
        """None: the edition's writer checks each record (Online: against the object's schema, see
        shaping; Desktop: qbXML's element trees, then QuickBooks' status codes) and gives a reason
        per record, rather than the stream's schema a stack trace."""
        return None

    @override
    def process_batch(self, context: dict) -> None:
        """Write every stream's spooled records (the first sink drained does it for all)."""
        self.quickbooks.writer.drain(final=self.quickbooks.finishing)
        self.quickbooks.checkpoint()


class QuickBooksSink(RecordSink):
    """Shapes, checks and spools the records of one stream."""

    def __init__(
        self,
        target: TargetQuickBooks,
        stream_name: str,
        schema: dict,
        key_properties: t.Sequence[str] | None,
    ) -> None:
        explicit = target.config.get("stream_maps_to_objects") or {}
        self.report = report_for_name(stream_name) if stream_name not in explicit else None
        self.quickbooks = target
        if self.report is not None:
            super().__init__(target, stream_name, schema, key_properties)
            self.logger.warning(
                "stream %r is the %s report, which QuickBooks computes from the transactions: its "
                "records are read and not written",
                stream_name,
                self.report,
            )
            return
        self.mapped: StreamTarget = resolve_stream(stream_name, explicit)
        super().__init__(target, stream_name, schema, key_properties)
        self.logger.info(
            "stream %r writes to %s (natural key: %s)",
            stream_name,
            self.mapped.object,
            ", ".join(self.mapped.natural_key) or "none",
        )

    @property
    def writer(self) -> Writer:
        """The run's QuickBooks Online writer."""
        from .writer import Writer

        writer = self.quickbooks.writer
        assert isinstance(writer, Writer)
        return writer

    @override
    def process_record(self, record: dict, context: dict) -> None:
        writer = self.writer
        if self.report is not None:
            writer.counts["report_rows_ignored"] += 1
            return
        spec = self.mapped.spec
        copy_mode = writer.settings.copy_mode
        try:
            check_text(record)
            operation = operation_of(record)
            payload = check_payload(spec, input_payload(spec, record, copy_mode=copy_mode))
            _check_allowed(self.mapped, operation)
        except RecordError as error:
            writer.reject(
                error,
                stream=self.stream_name,
                obj=spec.name,
                operation=_operation_name(record),
                record=_original(record),
            )
            return
        source_id = record.get("Id")
        writer.add(
            PendingRecord(
                seq=writer.next_seq(),
                stream=self.stream_name,
                object=spec.name,
                operation=operation,
                source_id=str(source_id) if source_id not in (None, "") else None,
                payload=payload,
                natural_key=self.mapped.natural_key,
                record=_original(record),
            )
        )


def _check_allowed(mapped: StreamTarget, operation: Operation) -> None:
    spec = mapped.spec
    if operation is Operation.UPSERT and not (spec.create or spec.update):
        raise RecordError(
            f"{spec.name} is read-only through the QuickBooks API (it can be neither created nor updated): "
            "drop this stream or map it to another object",
            code="500",
        )
    if operation is Operation.DELETE and not (spec.can_delete or spec.can_inactivate):
        raise RecordError(
            f"{spec.name} cannot be deleted or made inactive through the QuickBooks API",
            code="500",
        )
    if operation is Operation.VOID and not spec.can_void:
        raise RecordError(
            f"{spec.name} cannot be voided (only {', '.join(catalog.voidable())} can): "
            "send it as a delete instead",
            code="500",
        )


def _original(record: dict[str, Any]) -> dict[str, Any]:
    """The record without the metadata the SDK added on the way in."""
    out = {}
    for key, value in record.items():
        if key.startswith("_sdc_") and key != "_sdc_deleted_at":
            continue
        if key == "_sdc_deleted_at" and value is None:
            continue
        out[key] = jsonable(value)
    return out


def _operation_name(record: dict[str, Any]) -> str:
    try:
        return operation_of(record).value
    except RecordError:
        return str(record.get("_qbo_operation"))
