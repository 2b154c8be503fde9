"""What a run needs from the QuickBooks edition it writes to: the seam between the Singer side and
QuickBooks.

The Singer side (the target, its sinks, the spool and the order of the input, planning, the id map,
the dead letter, the state) is the same for every edition. An edition knows how to find the objects
a batch of records means, how to write a batch of planned steps and what each answer means for its
record, and which objects need special handling (:mod:`target_quickbooks.hooks`). QuickBooks Online
is :class:`target_quickbooks.online.edition.OnlineEdition` (the REST and batch API); a QuickBooks
Desktop edition would be a second implementation of :class:`Edition` beside it.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from qbo_client.catalog import ObjectSpec

from .plan import Policy, Step
from .records import PendingRecord, RecordError

if TYPE_CHECKING:
    from .hooks import ObjectHooks
    from .ledger import Ledger
    from .writer import Settings


class Kind(enum.Enum):
    """What became of a step an edition was asked to write."""

    DONE = "done"  # written (or, after a repair, found to need nothing): ``Outcome.obj`` is the object
    FAILED = (
        "failed"  # refused: ``Outcome.error`` says why and what to do (the record goes to the dead letter)
    )
    AGAIN = "again"  # re-planned after a repair or not answered: ``Outcome.step`` is the next step to try


@dataclass
class Outcome:
    """One step's outcome, in the order the steps were given."""

    step: Step
    kind: Kind
    obj: dict[str, Any] | None = None
    error: RecordError | None = None


@dataclass
class Found:
    """What records match in the company: the existing object per record (by ``seq``), and the
    records whose Id names no object there."""

    existing: dict[int, dict[str, Any]] = field(default_factory=dict)
    missing_id: set[int] = field(default_factory=set)


@dataclass
class RunContext:
    """What a run shares with its edition."""

    settings: Settings
    policy: Policy
    ledger: Ledger
    counts: Counter[str]


class NameIndex(Protocol):
    """The objects of the company by name (references given by name), cached for the run."""

    def cached_name(self, obj: str, name: str) -> str | None:
        """The Id of the active object of that name, if already known."""

    def resolve_names(self, obj: str, names: Iterable[str]) -> None:
        """Look up, in batches, the names not known yet."""

    def remember(self, obj: str, row: dict[str, Any]) -> None:
        """Keep a written object's names (records written later may refer to it)."""

    def remember_placeholder(self, obj: str, name: str, placeholder: str) -> None:
        """Dry run: a pretended object's name stands for its placeholder Id."""


class Edition(Protocol):
    """One QuickBooks edition, as a run of the target uses it; opened lazily (a run with no records
    never connects) and closed by :meth:`close`."""

    @property
    def names(self) -> NameIndex:
        """Name look-ups for references."""

    @property
    def hooks(self) -> Mapping[str, ObjectHooks]:
        """Per-object behaviour that the catalog's rules do not cover, by object name."""

    def find(self, spec: ObjectSpec, ready: list[tuple[PendingRecord, dict[str, Any]]]) -> Found:
        """The existing objects that records (with resolved payloads) mean: by Id, by the id map,
        by natural key."""

    def read(self, spec: ObjectSpec, ids: list[str]) -> dict[str, dict[str, Any]]:
        """The current objects with these Ids (for a final inactivation)."""

    def shape(self, spec: ObjectSpec, record: dict[str, Any]) -> dict[str, Any]:
        """A record as this edition writes it, before it is checked: the record itself, or (Online)
        its custom-field columns turned into the company's ``CustomField`` entries. Raises
        :class:`~target_quickbooks.records.RecordError` for what the company cannot take."""

    def write(self, spec: ObjectSpec, steps: list[Step]) -> list[Outcome]:
        """Write planned steps (creates, updates, deletes, inactivations, voids) once: each
        step's outcome, repairs applied where the fault says what the record means."""

    def stats(self) -> dict[str, int]:
        """Request counters for the summary (requests, retries, throttled, ...)."""

    def close(self) -> None:
        """Let go of connections and threads."""
