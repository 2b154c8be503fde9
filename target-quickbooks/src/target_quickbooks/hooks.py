"""Per-object hooks: what an object does that the catalog's rules do not say, keyed by object name.

Most objects are written by the catalog's rules alone. The few that are not (an edition's tax
objects, for one) register an :class:`ObjectHooks` under their names in the edition's registry;
the writer asks ``hooks.get(name, NO_HOOKS)`` at each point below and never names an object itself.
"""

from __future__ import annotations

from .plan import Step
from .records import PendingRecord, RecordError


class ObjectHooks:
    """The points where an object may differ; each default does what every other object does."""

    def prepare(self, records: list[PendingRecord]) -> list[PendingRecord]:
        """Records of the object, before their references are resolved (may return changed copies)."""
        return records

    def hold(self, step: Step) -> bool:
        """Whether a planned step is kept aside, to be written with another object's record."""
        del step
        return False

    def pretended(self, step: Step) -> None:
        """Dry run: a create of this object was pretended (its record may have carried others)."""
        del step

    def waiting(self) -> bool:
        """Whether records held aside still wait to be written (a state must wait for them)."""
        return False

    def leftovers(self) -> list[tuple[PendingRecord, RecordError, str]]:
        """End of input: records held aside that nothing wrote, each with why and the operation."""
        return []


NO_HOOKS = ObjectHooks()
