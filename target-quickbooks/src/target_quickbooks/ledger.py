"""Which object in the company stands for which record: the id map and this run's claims.

A record copied from another company is bound to the target object it became (the id map, kept
across runs); every object the run writes or matches is claimed, so that a natural key that does
not identify one object (a bill's DocNumber, a transfer's content) never matches an object that
another record already took.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .idmap import IdMap


class Ledger:
    """The id map (opened on first use) and the target Ids claimed in this run."""

    def __init__(self, *, copy_mode: bool, dry_run: bool, id_map_path: Path | None) -> None:
        self.copy_mode = copy_mode
        self.dry_run = dry_run
        self.id_map_path = id_map_path
        self._idmap: IdMap | None = None
        self._claimed: dict[str, set[str]] = {}
        self._new_pairs: list[tuple[str, str, str]] = []

    @property
    def idmap(self) -> IdMap:
        if self._idmap is None:
            # a dry run reads the map (to plan updates of what earlier runs copied) but never writes it
            path = self.id_map_path if self.copy_mode else None
            if path is not None and self.dry_run and not path.exists():
                path = None
            self._idmap = IdMap(path)
        return self._idmap

    def target_of(self, obj: str, source_id: str) -> str | None:
        """The target Id a record's Id stands for: itself, or (copy mode) what the id map says."""
        return self.idmap.get(obj, source_id) if self.copy_mode else source_id

    def taken(self, obj: str, target_id: str, *, identifying: bool) -> bool:
        """Whether an object may not be matched again: claimed in this run (unless the key
        identifies one object), or (copy mode) already standing for a source object."""
        if not identifying and target_id in self._claimed.get(obj, set()):
            return True
        if not self.copy_mode:
            return False
        # pairs not saved yet count too: a repair within a round sees what the round wrote
        pending = any(o == obj and t == target_id for o, _s, t in self._new_pairs)
        return pending or self.idmap.claimed(obj, target_id)

    def claim(self, obj: str, target_id: str, source_id: str | None, *, bind: bool) -> None:
        """An object written or matched for a record; with ``bind`` (copy mode), its id-map pair
        is kept for the next :meth:`save`."""
        self._claimed.setdefault(obj, set()).add(target_id)
        if bind and self.copy_mode and source_id:
            self._new_pairs.append((obj, str(source_id), target_id))

    def save(self) -> None:
        """Commit the id map's new pairs (after each round of batches: one transaction)."""
        pairs, self._new_pairs = self._new_pairs, []
        self.idmap.put_many(pairs, persist=not self.dry_run)

    def put(self, pairs: Iterable[tuple[str, str, str]], *, persist: bool) -> None:
        """Record pairs at once (objects written beside the record that named them)."""
        self.idmap.put_many(pairs, persist=persist)

    def close(self) -> None:
        if self._idmap is not None:
            self._idmap.close()
