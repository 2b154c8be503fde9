"""A record on its way to QuickBooks, and the reasons one can be refused."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Operation(str, enum.Enum):
    """What a record asks for (``_qbo_operation``, else ``_sdc_deleted_at``, else upsert)."""

    UPSERT = "upsert"
    DELETE = "delete"
    VOID = "void"


class RecordError(Exception):
    """A record that cannot be written, with the QuickBooks fault code it would get (or got).

    ``reason`` says what is wrong and what to do; the fault fields come from QuickBooks when it
    answered, or name the code QuickBooks would answer when the target refuses the record itself.
    """

    def __init__(
        self,
        reason: str,
        *,
        code: str = "",
        element: str = "",
        message: str = "",
        detail: str = "",
        intuit_tid: str = "",
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.element = element
        self.message = message or reason
        self.detail = detail
        self.intuit_tid = intuit_tid


@dataclass
class PendingRecord:
    """One record, shaped and checked, waiting in the spool to be written in dependency order."""

    seq: int
    stream: str
    object: str
    operation: Operation
    #: The record's ``Id``: an Id of the target company, or (copy mode) of the source company.
    source_id: str | None
    #: What QuickBooks accepts on input: read-only fields removed, types checked.
    payload: dict[str, Any]
    natural_key: tuple[str, ...]
    #: The record as it arrived (for the dead letter).
    record: dict[str, Any]
    attempts: int = 0
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "stream": self.stream,
            "object": self.object,
            "operation": self.operation.value,
            "source_id": self.source_id,
            "payload": self.payload,
            "natural_key": list(self.natural_key),
            "record": self.record,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PendingRecord:
        return cls(
            seq=int(data["seq"]),
            stream=data["stream"],
            object=data["object"],
            operation=Operation(data["operation"]),
            source_id=data.get("source_id"),
            payload=data["payload"],
            natural_key=tuple(data.get("natural_key") or ()),
            record=data["record"],
        )

    def label(self) -> str:
        """How a person finds the record again: stream, Id or natural key, input position."""
        parts = [f"{self.stream} record #{self.seq}"]
        if self.source_id:
            parts.append(f"Id {self.source_id}")
        for key in self.natural_key:
            value = get_path(self.payload, key)
            if value not in (None, ""):
                shown = repr(value)
                parts.append(f"{key} {shown if len(shown) <= 120 else shown[:100] + '...'}")
        return ", ".join(parts)


def get_path(payload: dict[str, Any], path: str) -> Any:
    """A dotted path's value (``PrimaryEmailAddr.Address``), or None."""
    value: Any = payload
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value
