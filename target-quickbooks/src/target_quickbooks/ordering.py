"""The order records are written in, whatever order the streams arrived in.

Objects go in :func:`qbo_client.ordering.write_order` (accounts before items before customers before
transactions before the payments linked to them). Within an object, a record whose parent (its
``ParentRef``, by Id or by name) is still in the spool, or that means the same object as an earlier
record, goes in a later wave: parents before sub-accounts, and two records for one object one
after the other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from qbo_client import catalog
from qbo_client.catalog import ObjectSpec
from qbo_client.ordering import write_order

from .edition import NameIndex
from .ledger import Ledger
from .records import PendingRecord, get_path
from .references import sites
from .shaping import base_name
from .spool import Spool, identity_key

#: Records of one object taken from the spool at a time (bounds memory on large runs).
CHUNK = 5000
ORDER = write_order()

#: Writes records of one object that are ready: the ones to try again, and how many finished.
Process = Callable[[ObjectSpec, list[PendingRecord]], tuple[list[PendingRecord], int]]


class Ordering:
    """Takes records out of the spool in waves that respect their dependencies."""

    def __init__(self, spool: Spool, ledger: Ledger, names: Callable[[], NameIndex]) -> None:
        self.spool = spool
        self.ledger = ledger
        self._names = names

    def drain(self, process: Process) -> None:
        """Hand every spooled record to ``process``, object by object, until no wave makes progress."""
        progress = True
        while progress and self.spool.queued():
            progress = False
            for obj in ORDER:
                if self.spool.queued(obj) and self._drain_object(catalog.get(obj), process):
                    progress = True

    def _drain_object(self, spec: ObjectSpec, process: Process) -> bool:
        finished_total = 0
        while True:
            held: list[PendingRecord] = []
            finished = 0
            while chunk := self.spool.take(spec.name, CHUNK):
                ready, waiting = self.split(spec, chunk)
                held.extend(waiting)
                if ready:
                    again, done = process(spec, ready)
                    held.extend(again)
                    finished += done
            self.spool.put_back(held)
            finished_total += finished
            if not held or finished == 0:
                return finished_total > 0

    def split(
        self, spec: ObjectSpec, chunk: list[PendingRecord]
    ) -> tuple[list[PendingRecord], list[PendingRecord]]:
        """Records that can go now, and those that wait for another record of the same object:
        a parent still in the spool, or an earlier record for the same object (it goes first)."""
        ready: list[PendingRecord] = []
        waiting: list[PendingRecord] = []
        taken: set[tuple[str, str]] = set()
        for record in chunk:
            idents = identities(record)
            if idents & taken or self._waits_on_own_kind(spec, record):
                waiting.append(record)
                continue
            taken |= idents
            ready.append(record)
        return ready, waiting

    def _waits_on_own_kind(self, spec: ObjectSpec, record: PendingRecord) -> bool:
        copy_mode = self.ledger.copy_mode
        own_names = {identity_key(record.payload.get(k)) for k in record.natural_key if record.payload.get(k)}
        for site in sites(spec.name, record.payload):
            if site.target != spec.name:
                continue
            value = str(site.container.get(site.key) or "")
            name = str(site.container.get("name") or "") if site.key == "value" else ""
            if (
                copy_mode
                and value
                and value != record.source_id
                and self.ledger.idmap.get(spec.name, value) is None
                and self.spool.waiting_id(spec.name, value)
            ):
                return True
            leaf = name.rsplit(":", 1)[-1]
            if (
                name
                and (not value or copy_mode)
                and identity_key(leaf) not in own_names
                and self._names().cached_name(spec.name, name) is None
                and self.spool.waiting_name(spec.name, leaf)
            ):
                return True
        return False

    def leftovers(self) -> Iterator[PendingRecord]:
        """End of input: every record still in the spool (a reference cycle, a parent that never came)."""
        for obj in self.spool.objects():
            while chunk := self.spool.take(obj, CHUNK):
                yield from chunk


def identities(record: PendingRecord) -> set[tuple[str, str]]:
    """What a record may be the same object as another by: its Id, its whole natural key."""
    out: set[tuple[str, str]] = set()
    if record.source_id:
        out.add(("id", str(record.source_id)))
    values = [get_path(record.payload, k) for k in record.natural_key]
    if record.natural_key and all(v not in (None, "") for v in values):
        out.add(("key", "|".join(identity_key(base_name(str(v))) for v in values)))
    return out
