"""Deletes in QuickBooks Desktop: the records a target needs to soft-delete, and ListID/TxnID sets.

``ListDeletedQuery`` / ``TxnDeletedQuery`` answer the objects deleted in a date range, for about
the last 90 days; ``Transfer`` has no ``TxnDelType`` at all. Past that, a delete is seen only as an
id that is no longer there: with ``reconcile_deletes`` a stream keeps the ids it has seen in its
state and compares them with the ids an id-only query finds.

Ids are not numbers (``80000001-1446673838``: a hex counter, a dash, the Unix time of creation):
the sorted set is written one per line, zlib-compressed and base64-encoded; ids of one company
share long prefixes and suffixes, so 100,000 of them take a few hundred kilobytes at most.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Iterable, Mapping
from typing import Any

from tap_quickbooks.times import to_utc_text

DELETED_AT = "_sdc_deleted_at"
#: The stream state key of the remembered id set.
STATE_KEY = "reconcile_ids"
_VERSION = "z1:"


def encode_ids(ids: Iterable[str]) -> str:
    """A set of ids as compact text (see the module's docstring)."""
    text = "\n".join(sorted(set(ids)))
    return _VERSION + base64.b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")


def decode_ids(text: str) -> set[str]:
    """The set :func:`encode_ids` wrote. Raises ValueError for anything else."""
    if not text.startswith(_VERSION):
        raise ValueError("not an id set written by this tap's Desktop edition")
    try:
        raw = zlib.decompress(base64.b64decode(text[len(_VERSION) :], validate=True))
    except (ValueError, zlib.error) as exc:
        raise ValueError(f"the id set is damaged: {exc}") from exc
    return {line for line in raw.decode("utf-8").split("\n") if line}


def deleted_record(
    id_field: str, id_: str, when_utc: str, name_field: str | None = None, name: str | None = None
) -> dict[str, Any]:
    """What a deleted object becomes: its id, the time of the delete (as ``TimeModified`` and
    ``_sdc_deleted_at``, UTC) and its name or number when the stream has that field."""
    record: dict[str, Any] = {id_field: id_, "TimeModified": when_utc, DELETED_AT: when_utc}
    if name_field and name is not None:
        record[name_field] = name
    return record


def from_deleted_ret(ret: Mapping[str, Any], id_field: str, name_field: str | None) -> dict[str, Any]:
    """The record of a ``ListDeletedRet`` / ``TxnDeletedRet``."""
    when = to_utc_text(str(ret["TimeDeleted"]))
    name = ret.get("FullName") if id_field == "ListID" else ret.get("RefNumber")
    return deleted_record(id_field, str(ret[id_field]), when, name_field, None if name is None else str(name))


__all__ = ["DELETED_AT", "STATE_KEY", "decode_ids", "deleted_record", "encode_ids", "from_deleted_ret"]
