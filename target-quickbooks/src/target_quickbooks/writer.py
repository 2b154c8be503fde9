"""The writer: drains the spool into the company, parents before children, exactly once.

A drain takes the spooled records in dependency order (:mod:`.ordering`), resolves references
(:mod:`.references`), asks the edition which existing objects they mean, plans each record
(:mod:`.plan`) and has the edition write the steps (:class:`~target_quickbooks.edition.Edition`);
a step the edition repaired is tried again, up to :data:`MAX_ROUNDS` times. Every failure goes to
the dead letter, and the rest of the records carry on. This side knows nothing of how an edition
reads or writes: QuickBooks Online is :mod:`target_quickbooks.online`.
"""

from __future__ import annotations

import json
import sys
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from qbo_client import catalog
from qbo_client.catalog import ObjectSpec

from . import plan
from .deadletter import DeadLetters
from .edition import Edition, Kind, RunContext
from .hooks import NO_HOOKS, ObjectHooks
from .ledger import Ledger
from .ordering import Ordering
from .plan import Action, Policy, Step
from .records import PendingRecord, RecordError
from .references import Outcome, Resolver, sites
from .references import _name_needed as name_needed
from .run import RecordIntake
from .shaping import NAME_FIELDS
from .spool import Spool


@runtime_checkable
class ReadsAhead(Protocol):
    """An edition that can read, in a few requests, what a drain will look up."""

    def begin_drain(self) -> None:
        """Forget what was read ahead for the last drain."""

    def prefetch(
        self,
        records: Mapping[str, list[PendingRecord]],
        names: Mapping[str, set[str]],
        ids: Mapping[str, set[str]],
    ) -> None:
        """Read ahead what finding ``records`` and resolving ``names`` (by object) will look up,
        and the current objects with ``ids`` (by object)."""


#: Rounds of writing (a repaired fault, an item without an answer) before a record fails.
MAX_ROUNDS = 4


@dataclass
class Settings:
    """What the writer needs from the target's config."""

    client: dict[str, Any]
    copy_mode: bool = False
    source_realm_id: str = ""
    create_only: bool = False
    update_only: bool = False
    dry_run: bool = False
    fail_fast: bool = False
    dead_letter_path: Path = Path("target-quickbooks-dead-letter.jsonl")
    id_map_path: Path | None = None
    batch_size: int = 30
    spool_dir: Path | None = None


class Writer(RecordIntake):
    """Owns the spool, the ledger, the dead letter and the edition for one run."""

    def __init__(
        self,
        settings: Settings,
        edition: Callable[[RunContext], Edition],
        *,
        plan_out: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.policy = Policy(settings.create_only, settings.update_only, settings.copy_mode)
        self.spool = Spool(settings.spool_dir)
        self.ledger = Ledger(
            copy_mode=settings.copy_mode, dry_run=settings.dry_run, id_map_path=settings.id_map_path
        )
        self.dead = DeadLetters(
            settings.dead_letter_path,
            fail_fast=settings.fail_fast and not settings.dry_run,
            enabled=not settings.dry_run,
        )
        self.counts: Counter[str] = Counter()
        self.edition = edition(RunContext(settings, self.policy, self.ledger, self.counts))
        self.ordering = Ordering(self.spool, self.ledger, lambda: self.edition.names)
        self._plan_out = plan_out or (lambda line: print(line, file=sys.stderr, flush=True))
        self._drain_lock = threading.Lock()
        self._seq = 0
        self._added_at_drain = -1
        self._inactivations: list[tuple[str, str, PendingRecord]] = []
        self._placeholders = 0
        self._resolver: Resolver | None = None

    @property
    def resolver(self) -> Resolver:
        if self._resolver is None:
            self._resolver = Resolver(
                copy_mode=self.settings.copy_mode,
                idmap=self.ledger.idmap,
                names=self.edition.names,
                spool=self.spool,
            )
        return self._resolver

    def _hooks(self, obj: str) -> ObjectHooks:
        return self.edition.hooks.get(obj, NO_HOOKS)

    # -- input ------------------------------------------------------------------------------------

    @property
    def dry_run(self) -> bool:
        """Whether the run only prints its plan."""
        return bool(self.settings.dry_run)

    @property
    def holds_records(self) -> bool:
        """Records received but neither written nor dead-lettered (the state must wait for them)."""
        held_aside = any(h.waiting() for h in set(self.edition.hooks.values()))
        return self.spool.queued() > 0 or held_aside or bool(self._inactivations)

    # -- draining ---------------------------------------------------------------------------------

    def drain(self, *, final: bool) -> None:
        """Write everything spooled so far; with ``final``, fail what can still not be written."""
        with self._drain_lock:
            if not final and self.spool.added == self._added_at_drain:
                return  # nothing new since the records that are still waiting were tried
            self._added_at_drain = self.spool.added
            self._read_ahead()
            self.ordering.drain(lambda spec, records: self._process(spec, records, final=final))
            if final:
                self._fail_leftovers()
            if final or not self.spool.queued():
                self._inactivate_pending()

    def _read_ahead(self) -> None:
        """Tell an edition that reads ahead what this drain's records will look up."""
        if not isinstance(self.edition, ReadsAhead):
            return
        self.edition.begin_drain()
        if self.settings.dry_run and not self.spool.queued():
            return
        records: dict[str, list[PendingRecord]] = {}
        for obj in self.spool.objects():
            taken: list[PendingRecord] = []
            while chunk := self.spool.take(obj, 5000):
                taken.extend(chunk)
            self.spool.put_back(taken)
            records[obj] = taken
        names: dict[str, set[str]] = {}
        copy_mode = self.settings.copy_mode
        for pending in records.values():
            for record in pending:
                for site in sites(record.object, record.payload):
                    name = name_needed(site, copy_mode, self.ledger.idmap)
                    if not name:
                        continue
                    value = str(site.container.get(site.key) or "")
                    if value and self.spool.waiting_id(site.target, value):
                        continue  # written by this run first: the id map will have it
                    if not value and self.spool.waiting_name(site.target, name.rsplit(":", 1)[-1]):
                        continue  # likewise, by name
                    names.setdefault(site.target, set()).add(name)
        self.edition.prefetch(records, names, {})

    def _process(
        self, spec: ObjectSpec, records: list[PendingRecord], *, final: bool
    ) -> tuple[list[PendingRecord], int]:
        """Resolve, plan and write records of one object; the ones to try again, and how many finished."""
        again: list[PendingRecord] = []
        finished = 0
        originals = {r.seq: r for r in records}
        records = self._hooks(spec.name).prepare(records)
        resolved = self.resolver.resolve(records, final=final)
        ready: list[tuple[PendingRecord, dict[str, Any]]] = []
        for record in records:
            outcome = resolved[record.seq]
            if outcome.outcome is Outcome.READY:
                ready.append((record, outcome.payload))
            elif outcome.outcome in (Outcome.WAIT, Outcome.DEFER):
                original = originals[record.seq]
                original.notes = [outcome.waiting_for]
                again.append(original)
            else:
                assert outcome.error is not None
                finished += self._fail(originals[record.seq], outcome.error)
        if ready:
            found = self.edition.find(spec, ready)
            steps = [
                plan.decide(
                    spec,
                    record,
                    payload,
                    found.existing.get(record.seq),
                    self.policy,
                    missing_id=record.seq in found.missing_id,
                )
                for record, payload in ready
            ]
            for step in steps:
                step.record = originals[step.record.seq]
            finished += self._execute(spec, steps)
        return again, finished

    def _execute(self, spec: ObjectSpec, steps: list[Step]) -> int:
        hooks = self._hooks(spec.name)
        finished = 0
        writes: list[Step] = []
        for step in steps:
            if step.action is Action.REJECT:
                assert step.error is not None
                if self.settings.dry_run:
                    self._plan_out(json.dumps(step.describe()))
                finished += self._fail(step.record, step.error, step.action.value)
            elif hooks.hold(step):  # written later, with another object's record
                self.spool.done(step.record)
                finished += 1
            elif step.action in plan.WRITES:
                writes.append(step)
            else:
                if self.settings.dry_run:
                    self._plan_out(json.dumps(step.describe()))
                finished += self._finish(spec, step, step.existing)
        self.ledger.save()
        if not writes:
            return finished
        if self.settings.dry_run:
            finished += sum(self._pretend(spec, step) for step in writes)
            self.ledger.save()
            return finished
        return finished + self._write(spec, writes)

    def _write(self, spec: ObjectSpec, steps: list[Step]) -> int:
        finished = 0
        for _ in range(MAX_ROUNDS):
            retry: list[Step] = []
            for outcome in self.edition.write(spec, steps):
                step = outcome.step
                if outcome.kind is Kind.DONE:
                    finished += self._finish(spec, step, outcome.obj)
                elif outcome.kind is Kind.FAILED:
                    assert outcome.error is not None
                    finished += self._fail(
                        step.record, outcome.error, step.action.value, followup=step.followup
                    )
                else:
                    retry.append(step)
            self.ledger.save()
            steps = []
            for step in retry:
                if step.action in plan.WRITES:
                    steps.append(step)
                elif step.action is Action.REJECT and step.error is not None:
                    finished += self._fail(step.record, step.error, step.action.value, followup=step.followup)
                else:
                    finished += self._finish(spec, step, step.existing)
            self.ledger.save()
            if not steps:
                return finished
        for step in steps:
            finished += self._fail(
                step.record,
                RecordError(
                    f"still failing after {MAX_ROUNDS} attempts (the object keeps changing under the "
                    "target): run again",
                    code="5010",
                ),
                step.action.value,
                followup=step.followup,
            )
        return finished

    # -- outcomes ----------------------------------------------------------------------------------

    def _finish(self, spec: ObjectSpec, step: Step, obj: dict[str, Any] | None) -> int:
        record = step.record
        action = step.action
        target_id = str(obj["Id"]) if obj and obj.get("Id") else step.target_id
        if not step.followup:
            self.counts["records"] += 1
        self.counts[action.value] += 1
        if target_id and spec.has_id:
            self.ledger.claim(spec.name, target_id, record.source_id, bind=action is not Action.DELETE)
        if obj and action in (Action.CREATE, Action.UPDATE, Action.UNCHANGED):
            self.edition.names.remember(spec.name, obj)
        if step.inactivate_after and target_id:
            self._inactivations.append((spec.name, target_id, record))
        if not step.followup:
            self.spool.done(record)
        return 1

    def _fail(
        self, record: PendingRecord, error: RecordError, operation: str = "", *, followup: bool = False
    ) -> int:
        self.ledger.save()
        if not followup:
            self.counts["records"] += 1
            self.spool.done(record)
        self.counts["dead_lettered"] += 1
        self.dead.add_pending(error, record, operation)
        return 1

    def _pretend(self, spec: ObjectSpec, step: Step) -> int:
        """Dry run: print the step; a create gets a placeholder Id its children can refer to."""
        self._plan_out(json.dumps({"dry_run": True, **step.describe()}))
        obj = step.existing
        if step.action is Action.CREATE:
            self._placeholders += 1
            placeholder = f"new:{spec.name}:{self._placeholders}"
            obj = {**step.payload, "Id": placeholder}
            for field in NAME_FIELDS:
                if isinstance(step.payload.get(field), str):
                    self.edition.names.remember_placeholder(spec.name, step.payload[field], placeholder)
            self._hooks(spec.name).pretended(step)
        step.inactivate_after = False
        return self._finish(spec, step, obj)

    def _inactivate_pending(self) -> None:
        """Make inactive, last, the name-list objects the records say are inactive."""
        pending, self._inactivations = self._inactivations, []
        by_object: dict[str, list[tuple[str, PendingRecord]]] = {}
        for obj, target_id, record in pending:
            by_object.setdefault(obj, []).append((target_id, record))
        if not self.settings.dry_run and isinstance(self.edition, ReadsAhead):
            # every object's current SyncToken, read in one go rather than one read per object
            ids = {obj: {t for t, _ in entries} for obj, entries in by_object.items()}
            self.edition.prefetch({}, {}, ids)
        for obj, entries in by_object.items():
            spec = catalog.get(obj)
            if self.settings.dry_run:
                for target_id, record in entries:
                    self._plan_out(
                        json.dumps(
                            {
                                "dry_run": True,
                                "action": "inactivate",
                                "object": obj,
                                "record": record.label(),
                                "target_id": target_id,
                            }
                        )
                    )
                continue
            rows = self.edition.read(spec, [t for t, _ in entries])
            steps = [
                Step(record, Action.INACTIVATE, {}, rows[t], followup=True)
                for t, record in entries
                if t in rows and rows[t].get("Active") is not False
            ]
            if steps:
                self._write(spec, steps)

    def _fail_leftovers(self) -> None:
        """End of input: records still waiting (a reference cycle, a parent that never came), and
        records an object's hooks held aside for a record that never came."""
        for record in self.ordering.leftovers():
            waiting = "; ".join(record.notes) or "a record it depends on"
            self._fail(
                record,
                RecordError(
                    f"still waiting for {waiting} at the end of the input: the references form a "
                    "cycle or point to a record that failed (see the other dead letters)",
                    code="2500",
                ),
            )
        for hooks in dict.fromkeys(self.edition.hooks.values()):
            for record, error, operation in hooks.leftovers():
                self._fail(record, error, operation)

    # -- the end ---------------------------------------------------------------------------------

    def client_stats(self) -> dict[str, int]:
        """The edition's request counters (requests, retries, throttled, faults)."""
        return self.edition.stats()

    def summary(self) -> str:
        parts = self.record_counts()
        stats = self.edition.stats()
        if stats:
            parts.append(
                f"{stats['requests']} requests ({stats['retries']} retries, {stats['throttled']} throttled)"
            )
        if self.settings.dry_run:
            parts.append("dry run: nothing written")
        return ", ".join(parts)

    def close(self) -> None:
        self.edition.close()
        self.ledger.close()
        self.dead.close()
        self.spool.close()
