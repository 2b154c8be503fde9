"""One sink class for every object stream: the catalog says what each object allows, not a class per
object; and the sinks of streams that write no object of their own (reports, streams left out,
deleted objects of every type).

The target picks a stream's sink when its SCHEMA message arrives (``TargetQuickBooks.get_sink_class``;
a stream that maps to nothing fails there, before any record, unless ``unmapped_streams`` is
``skip``). Each record is shaped and checked at once (a bad one goes to the dead letter with its
reason) and spooled; writing happens when the SDK drains, for every stream together, so that
parents are written before their children whatever order the streams came in.
"""

from __future__ import annotations

import logging
import typing as t
from dataclasses import dataclass
from typing import Any

from qbo_client import catalog
from qbo_client.catalog import ObjectSpec
from singer_sdk.sinks import BatchSink
from typing_extensions import override

from .mapping import StreamTarget, resolve_stream
from .records import Operation, PendingRecord, RecordError
from .sdk_overrides import KeyPropertiesOptional
from .shaping import check_payload, check_text, input_payload, jsonable, operation_of

if t.TYPE_CHECKING:
    from singer_sdk.sinks.core import BaseJSONSchemaValidator

    from .target import TargetQuickBooks
    from .writer import Writer


class RecordSink(KeyPropertiesOptional, BatchSink):
    """What every edition's sink shares: deletes come as ``_sdc_deleted_at``, no JSON Schema
    validation of the stream (QuickBooks' own refusals name each record), records without the
    stream's key properties taken (see :class:`~target_quickbooks.sdk_overrides.KeyPropertiesOptional`),
    and a drain of the run's writer per batch."""

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


@dataclass(frozen=True)
class Ignored:
    """Why a stream's records are read and not written, how loud to say it, what to count."""

    message: str
    level: int = logging.WARNING
    counter: str = "stream_records_skipped"


class IgnoredSink(RecordSink):
    """The sink of a stream whose records are read and not written: a report (QuickBooks computes
    it), a stream the SDK's stream maps send to ``__NULL__``, a stream left out by
    ``unmapped_streams: skip``. Why is in ``target.ignored_streams``, said once per stream."""

    def __init__(
        self,
        target: TargetQuickBooks,
        stream_name: str,
        schema: dict,
        key_properties: t.Sequence[str] | None,
    ) -> None:
        self.quickbooks = target
        super().__init__(target, stream_name, schema, key_properties)
        self.ignored = target.ignored_streams[stream_name]
        target.say_once(stream_name, self.ignored.level, self.ignored.message)

    @override
    def process_record(self, record: dict, context: dict) -> None:
        self.quickbooks.writer.counts[self.ignored.counter] += 1


class DeletedObjectsSink(RecordSink):
    """A stream of deleted objects of every type (singer-io's tap-quickbooks' ``deleted_objects``:
    ``Id``, ``Type``, ``status: Deleted``, from the CDC endpoint): each record deletes that object,
    or makes a name list inactive, where the catalog allows it."""

    def __init__(
        self,
        target: TargetQuickBooks,
        stream_name: str,
        schema: dict,
        key_properties: t.Sequence[str] | None,
    ) -> None:
        self.quickbooks = target
        super().__init__(target, stream_name, schema, key_properties)
        self.logger.info(
            "stream %r carries deleted objects: each record deletes (or makes inactive) the object of "
            "its Type with its Id",
            stream_name,
        )

    @override
    def process_record(self, record: dict, context: dict) -> None:
        writer = _online_writer(self.quickbooks)
        kind = str(record.get("Type") or "")
        try:
            spec, source_id = _deleted_object(record)
            _check_allowed(StreamTarget(self.stream_name, spec, spec.natural_key), Operation.DELETE)
        except RecordError as error:
            writer.reject(
                error, stream=self.stream_name, obj=kind, operation="delete", record=_original(record)
            )
            return
        writer.add(
            PendingRecord(
                seq=writer.next_seq(),
                stream=self.stream_name,
                object=spec.name,
                operation=Operation.DELETE,
                source_id=source_id,
                payload={},
                natural_key=(),
                record=_original(record),
            )
        )


def _deleted_object(record: dict[str, Any]) -> tuple[ObjectSpec, str]:
    """The object type and Id a deleted-objects record names; RecordError when it names none."""
    kind = record.get("Type")
    source_id = record.get("Id")
    status = record.get("status")
    if status not in (None, "") and str(status).lower() != "deleted":
        raise RecordError(
            f"a deleted-objects record with status {status!r}: only status Deleted is a deletion; "
            "leave other records out of this stream",
            code="2010",
            element="status",
        )
    spec = catalog.find(str(kind)) if isinstance(kind, str) and kind else None
    if spec is None:
        raise RecordError(
            f"a deleted-objects record needs Type, the QuickBooks object it deleted (Invoice, Customer, "
            f"...), not {kind!r}: fix the record",
            code="2010",
            element="Type",
        )
    if source_id in (None, ""):
        raise RecordError(
            f"a deleted-objects record of {spec.name} needs the Id of the deleted object: fix the record",
            code="2020",
            element="Id",
        )
    return spec, str(source_id)


def _online_writer(target: TargetQuickBooks) -> Writer:
    from .writer import Writer

    writer = target.writer
    assert isinstance(writer, Writer)
    return writer


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
        self.quickbooks = target
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
        return _online_writer(self.quickbooks)

    @override
    def process_record(self, record: dict, context: dict) -> None:
        writer = self.writer
        spec = self.mapped.spec
        copy_mode = writer.settings.copy_mode
        try:
            check_text(record)
            operation = operation_of(record)
            shaped = writer.edition.shape(spec, record)
            payload = check_payload(spec, input_payload(spec, shaped, copy_mode=copy_mode))
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


def writes_nothing(spec: ObjectSpec) -> bool:
    """Whether the API lets a client neither create, update, delete nor void the object (Budget)."""
    return not (spec.create or spec.update or spec.can_delete or spec.can_void)


def _check_allowed(mapped: StreamTarget, operation: Operation) -> None:
    spec = mapped.spec
    if operation is Operation.UPSERT and not (spec.create or spec.update):
        raise RecordError(
            f"{spec.name} is read-only through the QuickBooks API (it can be neither created nor updated): "
            "drop this stream, map it to another object, or leave such streams out with "
            "unmapped_streams: skip",
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
