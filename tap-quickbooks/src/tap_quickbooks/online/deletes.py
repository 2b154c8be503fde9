"""Deletes: the records a target needs to soft-delete, and the Id sets that find them without CDC.

Within 30 days QBO's change feed (CDC) lists deleted objects as ``status: Deleted`` stubs. Past
that, or for objects CDC does not cover (TimeActivity), a delete leaves no trace in the API: the
only way to see it is that an Id is no longer there. With ``reconcile_deletes`` a stream keeps
the Ids it has seen in its state and compares them with the Ids a full read finds.

The Id set is stored compactly: QBO Ids are integers, so the sorted set is written as the
differences between neighbours (small numbers), each as a LEB128 varint, zlib-compressed and
base64-encoded: 100,000 Ids of a company take a few kilobytes of state.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Iterable
from typing import Any

DELETED_AT = "_sdc_deleted_at"
#: The stream state key of the remembered Id set.
STATE_KEY = "reconcile_ids"
_VERSION = "v1:"


def encode_ids(ids: Iterable[int]) -> str:
    """A set of non-negative integers as compact text (see the module's docstring)."""
    out = bytearray()
    previous = 0
    for value in sorted(set(ids)):
        if value < 0:
            raise ValueError(f"Ids are non-negative integers, not {value}")
        delta = value - previous
        previous = value
        while True:
            byte = delta & 0x7F
            delta >>= 7
            if delta:
                out.append(byte | 0x80)
            else:
                out.append(byte)
                break
    return _VERSION + base64.b64encode(zlib.compress(bytes(out), 9)).decode("ascii")


def decode_ids(text: str) -> set[int]:
    """The set :func:`encode_ids` wrote. Raises ValueError for anything else."""
    if not text.startswith(_VERSION):
        raise ValueError("not an Id set written by this tap")
    try:
        raw = zlib.decompress(base64.b64decode(text[len(_VERSION) :], validate=True))
    except (ValueError, zlib.error) as exc:
        raise ValueError(f"the Id set is damaged: {exc}") from exc
    ids: set[int] = set()
    value = shift = delta = 0
    for byte in raw:
        delta |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
            continue
        value += delta
        ids.add(value)
        delta = shift = 0
    return ids


def numeric_ids(rows: Iterable[dict[str, Any]]) -> set[int]:
    """The integer Ids among some rows (QBO Ids of deletable objects are integers)."""
    found = set()
    for row in rows:
        text = row.get("Id")
        if isinstance(text, str) and text.isdigit():
            found.add(int(text))
    return found


def deleted_record(id_: str, when: str) -> dict[str, Any]:
    """What a deleted object becomes: its key, the time of the delete, and nothing else."""
    return {"Id": id_, "LastUpdatedTime": when, DELETED_AT: when}
