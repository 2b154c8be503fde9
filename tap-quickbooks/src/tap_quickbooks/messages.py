"""How Singer messages leave the tap: msgspec-encoded, written in large chunks, flushed where it matters."""

from __future__ import annotations

import atexit
import dataclasses
import sys
import weakref
from typing import Any

from singer_sdk.contrib.msgspec import MsgSpecWriter, serialize_jsonl
from singer_sdk.singerlib.encoding.simple import Message, RecordMessage
from typing_extensions import override

#: Records are held until this many bytes are pending (or another message comes).
CHUNK = 256 * 1024


def _shallow_dict(message: Message) -> dict[str, Any]:
    """What ``Message.to_dict`` gives, without ``dataclasses.asdict``'s deep copy of the payload.

    A SCHEMA message carries a schema of thousands of nodes and a STATE message the whole state:
    ``asdict`` copies all of it before msgspec reads it once.
    """
    found = {f.name: getattr(message, f.name) for f in dataclasses.fields(message)}
    return {key: value for key, value in found.items() if value is not None}


class SingerWriter(MsgSpecWriter):
    """The SDK's msgspec writer, minus its two per-record costs.

    The SDK's writer flushes stdout after every record: a system call per record costs more than
    encoding it, and in a threaded tap every system call also hands the interpreter lock to the
    page-fetching threads. Here records collect in a buffer written in chunks of
    :data:`CHUNK` bytes; every other message (SCHEMA, STATE, ACTIVATE_VERSION) writes the pending
    records first and flushes, so a target holds every record before the STATE that covers it.
    """

    def __init__(self) -> None:
        self._pending = bytearray()
        atexit.register(_write_at_exit, weakref.ref(self))

    @override
    def serialize_message(self, message: Message) -> bytearray:
        """A message as JSON: a RECORD through ``to_dict``, any other without its deep copy."""
        if isinstance(message, RecordMessage):
            return serialize_jsonl(message.to_dict())
        return serialize_jsonl(_shallow_dict(message))

    @override
    def write_message(self, message: Message) -> None:
        """A RECORD into the buffer (written in chunks); any other message written and flushed at once."""
        self._pending += self.format_message(message)
        if not isinstance(message, RecordMessage):
            self.flush()
        elif len(self._pending) >= CHUNK:
            self._write()

    def _write(self) -> None:
        if not self._pending:
            return
        out = sys.stdout
        binary = getattr(out, "buffer", None)
        if binary is not None:
            binary.write(self._pending)
        else:  # stdout replaced by a text-only stream (some test harnesses)
            out.write(self._pending.decode("utf-8"))
        self._pending = bytearray()

    def flush(self) -> None:
        """Write what is pending and flush stdout."""
        self._write()
        sys.stdout.flush()


def _write_at_exit(ref: weakref.ref[SingerWriter]) -> None:
    writer = ref()
    if writer is not None and writer._pending:
        writer.flush()
