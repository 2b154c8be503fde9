"""The writer: drains the spool into QuickBooks, parents before children, exactly once.

A drain takes the spooled records object by object in :func:`qbo_client.catalog.write_order`
(within an object, a record whose ParentRef points to a record still waiting goes in a later
wave), resolves references, finds what each record matches in the company, plans, and sends the
writes through the batch endpoint, 30 items per request, several requests at once (the client's
limiter keeps within QuickBooks' limits). Faults are repaired where that is what the record
means (5010: read again and re-apply; 6240 and 6140: update the object that holds the name or
number); every other failure goes to the dead letter, and the rest of the records carry on.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from qbo_client import catalog
from qbo_client.catalog import ObjectSpec, Void
from qbo_client.client import QBOClient
from qbo_client.config import ClientConfig
from qbo_client.errors import QBOError, ValidationError
from qbo_client.ratelimit import RateLimiter

from . import plan, taxes
from .deadletter import DeadLetters
from .idmap import IdMap
from .lookups import Lookups
from .mapping import HIERARCHICAL
from .plan import Action, Policy, Step
from .records import Operation, PendingRecord, RecordError, get_path
from .references import Outcome, Resolver, sites
from .shaping import NAME_FIELDS, base_name
from .spool import Spool, identity_key

log = logging.getLogger("target_quickbooks")

#: Records of one object taken from the spool at a time (bounds memory on large runs).
CHUNK = 5000
#: Rounds of repair (5010, 6240, 6140, a batch item without an answer) before a record fails.
MAX_ROUNDS = 4
#: How much longer than QuickBooks' limit window the target's limiter window is.
LIMIT_MARGIN = 1.02
ORDER = catalog.write_order()


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


class Writer:
    """Owns the spool, the client, the id map and the dead letter for one run."""

    def __init__(self, settings: Settings, *, plan_out: Callable[[str], None] | None = None) -> None:
        self.settings = settings
        self.policy = Policy(settings.create_only, settings.update_only, settings.copy_mode)
        self.spool = Spool(settings.spool_dir)
        self.dead = DeadLetters(
            settings.dead_letter_path,
            fail_fast=settings.fail_fast and not settings.dry_run,
            enabled=not settings.dry_run,
        )
        self.counts: Counter[str] = Counter()
        self._plan_out = plan_out or (lambda line: print(line, file=sys.stderr, flush=True))
        self._drain_lock = threading.Lock()
        self._seq = 0
        self._added_at_drain = -1
        self._claimed: dict[str, set[str]] = {}
        self._inactivations: list[tuple[str, str, PendingRecord]] = []
        self._new_pairs: list[tuple[str, str, str]] = []
        self._rates = taxes.RateStash()
        self._placeholders = 0
        self._tid = threading.local()
        self._client: QBOClient | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._lookups: Lookups | None = None
        self._resolver: Resolver | None = None
        self._idmap: IdMap | None = None

    # -- lazily opened resources (a run with no records never connects) ------------------------

    @property
    def client(self) -> QBOClient:
        if self._client is None:
            config = ClientConfig.from_mapping(self.settings.client)
            # QBO counts a request when it arrives, the limiter when it leaves: a window a little
            # longer than QBO's keeps the one-after-the-limit request from arriving a moment early.
            limiter = RateLimiter(
                config.requests_per_minute,
                config.max_in_flight,
                config.batch_per_minute,
                period=config.rate_limit_window * LIMIT_MARGIN,
            )
            self._client = QBOClient(config, limiter=limiter)
            self._client.session.hooks["response"].append(self._remember_tid)
        return self._client

    def _remember_tid(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._tid.value = response.headers.get("intuit_tid", "")

    @property
    def executor(self) -> ThreadPoolExecutor:
        if self._executor is None:
            workers = max(2, int(self.settings.client.get("max_in_flight") or 10))
            self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="qbo-write")
        return self._executor

    @property
    def lookups(self) -> Lookups:
        if self._lookups is None:
            self._lookups = Lookups(self.client, self.executor)
        return self._lookups

    @property
    def idmap(self) -> IdMap:
        if self._idmap is None:
            # a dry run reads the map (to plan updates of what earlier runs copied) but never writes it
            path = self.settings.id_map_path if self.settings.copy_mode else None
            if path is not None and self.settings.dry_run and not path.exists():
                path = None
            self._idmap = IdMap(path)
        return self._idmap

    @property
    def resolver(self) -> Resolver:
        if self._resolver is None:
            self._resolver = Resolver(
                copy_mode=self.settings.copy_mode, idmap=self.idmap, lookups=self.lookups, spool=self.spool
            )
        return self._resolver

    @property
    def realm(self) -> str:
        return str(self.settings.client.get("realm_id", ""))

    # -- input ------------------------------------------------------------------------------------

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def add(self, record: PendingRecord) -> None:
        self.spool.add(record)

    def reject(
        self, error: RecordError, *, stream: str, obj: str, operation: str, record: dict[str, Any]
    ) -> None:
        """A record refused before it reached the spool (its shape, its operation)."""
        self.counts["records"] += 1
        self.counts["dead_lettered"] += 1
        label = f"{stream} record #{self.next_seq()}"
        if self.settings.dry_run:
            line = {
                "action": "reject",
                "object": obj,
                "stream": stream,
                "record": label,
                "reason": error.reason,
            }
            self._plan_out(json.dumps(line))
        self.dead.add(error, stream=stream, obj=obj, operation=operation, record=record, label=label)

    @property
    def holds_records(self) -> bool:
        """Records received but neither written nor dead-lettered (the state must wait for them)."""
        return self.spool.queued() > 0 or bool(self._rates) or bool(self._inactivations)

    # -- draining ---------------------------------------------------------------------------------

    def drain(self, *, final: bool) -> None:
        """Write everything spooled so far; with ``final``, fail what can still not be written."""
        with self._drain_lock:
            if not final and self.spool.added == self._added_at_drain:
                return  # nothing new since the records that are still waiting were tried
            self._added_at_drain = self.spool.added
            progress = True
            while progress and self.spool.queued():
                progress = False
                for obj in ORDER:
                    if self.spool.queued(obj) and self._drain_object(catalog.get(obj), final=final):
                        progress = True
            if final:
                self._fail_leftovers()
            if final or not self.spool.queued():
                self._inactivate_pending()

    def _drain_object(self, spec: ObjectSpec, *, final: bool) -> bool:
        finished_total = 0
        while True:
            held: list[PendingRecord] = []
            finished = 0
            while chunk := self.spool.take(spec.name, CHUNK):
                ready, waiting = self._split(spec, chunk)
                held.extend(waiting)
                if ready:
                    again, done = self._process(spec, ready, final=final)
                    held.extend(again)
                    finished += done
            self.spool.put_back(held)
            finished_total += finished
            if not held or finished == 0:
                return finished_total > 0

    def _split(
        self, spec: ObjectSpec, chunk: list[PendingRecord]
    ) -> tuple[list[PendingRecord], list[PendingRecord]]:
        """Records that can go now, and those that wait for another record of the same object:
        a parent still in the spool, or an earlier record for the same object (it goes first)."""
        ready: list[PendingRecord] = []
        waiting: list[PendingRecord] = []
        taken: set[tuple[str, str]] = set()
        for record in chunk:
            idents = _identities(record)
            if idents & taken or self._waits_on_own_kind(spec, record):
                waiting.append(record)
                continue
            taken |= idents
            ready.append(record)
        return ready, waiting

    def _waits_on_own_kind(self, spec: ObjectSpec, record: PendingRecord) -> bool:
        own_names = {identity_key(record.payload.get(k)) for k in record.natural_key if record.payload.get(k)}
        for site in sites(spec.name, record.payload):
            if site.target != spec.name:
                continue
            value = str(site.container.get(site.key) or "")
            name = str(site.container.get("name") or "") if site.key == "value" else ""
            if (
                self.settings.copy_mode
                and value
                and value != record.source_id
                and self.idmap.get(spec.name, value) is None
                and self.spool.waiting_id(spec.name, value)
            ):
                return True
            leaf = name.rsplit(":", 1)[-1]
            if (
                name
                and (not value or self.settings.copy_mode)
                and identity_key(leaf) not in own_names
                and self.lookups.cached_name(spec.name, name) is None
                and self.spool.waiting_name(spec.name, leaf)
            ):
                return True
        return False

    def _process(
        self, spec: ObjectSpec, records: list[PendingRecord], *, final: bool
    ) -> tuple[list[PendingRecord], int]:
        """Resolve, plan and write records of one object; the ones to try again, and how many finished."""
        again: list[PendingRecord] = []
        finished = 0
        originals = {r.seq: r for r in records}
        new_rates: dict[int, list[taxes.StashedRate]] = {}
        if spec.name == "TaxCode" and self._rates:
            records = [self._with_new_rates_taken(r, new_rates) for r in records]
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
            steps = self._plan(spec, ready)
            for step in steps:
                step.record = originals[step.record.seq]
            finished += self._execute(spec, steps, new_rates)
        return again, finished

    def _with_new_rates_taken(
        self, record: PendingRecord, new_rates: dict[int, list[taxes.StashedRate]]
    ) -> PendingRecord:
        payload = json.loads(json.dumps(record.payload))
        found = taxes.take_new_rates(payload, self._rates)
        if not found:
            return record
        new_rates[record.seq] = found
        return PendingRecord(
            record.seq,
            record.stream,
            record.object,
            record.operation,
            record.source_id,
            payload,
            record.natural_key,
            record.record,
        )

    # -- what does each record match? -------------------------------------------------------------

    def _plan(self, spec: ObjectSpec, ready: list[tuple[PendingRecord, dict[str, Any]]]) -> list[Step]:
        found: dict[int, dict[str, Any]] = {}
        missing_id: set[int] = set()
        if spec.is_singleton:
            current = self._read_singleton(spec)
            if current is not None:
                found = {r.seq: current for r, _ in ready}
        elif spec.has_id:
            wanted: dict[int, str] = {}
            for record, _ in ready:
                if not record.source_id:
                    continue
                target = (
                    self.idmap.get(spec.name, record.source_id)
                    if self.settings.copy_mode
                    else record.source_id
                )
                if target:
                    wanted[record.seq] = target
            real = [t for t in wanted.values() if not t.startswith("new:")]
            rows = self.lookups.by_ids(spec.name, real) if real else {}
            for seq, target in wanted.items():
                if target.startswith("new:"):
                    found[seq] = {"Id": target, "SyncToken": "0"}
                elif target in rows:
                    found[seq] = rows[target]
                elif not self.settings.copy_mode:
                    missing_id.add(seq)
        rest = [(r, p) for r, p in ready if r.seq not in found and r.seq not in missing_id]
        if rest and not spec.is_singleton:
            found.update(self._match(spec, rest))
        return [
            plan.decide(
                spec, record, payload, found.get(record.seq), self.policy, missing_id=record.seq in missing_id
            )
            for record, payload in ready
        ]

    def _read_singleton(self, spec: ObjectSpec) -> dict[str, Any] | None:
        path = "preferences" if spec.name == "Preferences" else f"{spec.path}/{self.realm}"
        try:
            answer = self.client.request("GET", path)
        except ValidationError:
            return None
        found = answer.get(spec.name)
        return found if isinstance(found, dict) else None

    def _match(
        self, spec: ObjectSpec, rest: list[tuple[PendingRecord, dict[str, Any]]]
    ) -> dict[int, dict[str, Any]]:
        """Existing objects the records mean, by natural key (inactive ones included), or for a
        transaction without one, by identical content on the same date."""
        out: dict[int, dict[str, Any]] = {}
        keyed: list[tuple[PendingRecord, dict[str, Any], str]] = []
        by_content: list[tuple[PendingRecord, dict[str, Any]]] = []
        for record, payload in rest:
            values = [get_path(payload, k) for k in record.natural_key]
            if record.natural_key and all(v not in (None, "") for v in values):
                keyed.append((record, payload, _query_field(spec, record.natural_key, payload)))
                continue
            if spec.is_transaction and payload.get("TxnDate") and record.operation is not Operation.DELETE:
                by_content.append((record, payload))
        fields: dict[str, set[str]] = {}
        for _, payload, field in keyed:
            fields.setdefault(field, set()).add(str(get_path(payload, field)) if field else "")
        candidates: list[dict[str, Any]] = []
        name_list = spec.is_name_list
        for field, wanted in fields.items():
            if field:
                candidates.extend(
                    self.lookups.natural_candidates(spec.name, field, wanted, name_list=name_list)
                )
            else:
                candidates.extend(self.lookups.everything(spec.name, name_list=name_list))
        taken: set[str] = set()
        for record, payload, _ in keyed:
            matches = [c for c in candidates if _key_matches(spec, record, payload, c)]
            pick = self._choose(
                spec, payload, matches, taken, identifying=_identifying(spec, record.natural_key)
            )
            if pick is not None:
                out[record.seq] = pick
                taken.add(_row_key(pick))
        if by_content:
            dates = {str(p["TxnDate"]) for _, p in by_content}
            rows = self.lookups.where_in(spec.name, "TxnDate", dates)
            for record, payload in by_content:
                matches = [c for c in rows if plan.same(payload, c)]
                pick = self._choose(spec, payload, matches, taken)
                if pick is not None:
                    out[record.seq] = pick
                    taken.add(_row_key(pick))
        return out

    def _choose(
        self,
        spec: ObjectSpec,
        payload: dict[str, Any],
        matches: list[dict[str, Any]],
        taken: set[str],
        *,
        identifying: bool = False,
    ) -> dict[str, Any] | None:
        """The best match, identical content first, then the lowest Id.

        A key that does not identify one object (a bill's DocNumber, a transfer's content) must
        not match an object another record has already taken, in this run or (copy mode) in the
        id map: two equal source transactions are two transactions. A unique name does identify
        it: a second record with the same name updates the same object.
        """
        claimed = self._claimed.get(spec.name, set()) if not identifying else set()
        free = [
            m
            for m in matches
            if _row_key(m) not in taken
            and str(m.get("Id")) not in claimed
            and not (self.settings.copy_mode and self.idmap.claimed(spec.name, str(m.get("Id"))))
        ]
        if not free:
            return None
        return min(free, key=lambda m: (not plan.same(payload, m), _id_order(m.get("Id"))))

    # -- executing a plan ---------------------------------------------------------------------------

    def _execute(
        self, spec: ObjectSpec, steps: list[Step], new_rates: dict[int, list[taxes.StashedRate]]
    ) -> int:
        finished = 0
        writes: list[Step] = []
        for step in steps:
            if step.action is Action.REJECT:
                assert step.error is not None
                if self.settings.dry_run:
                    self._plan_out(json.dumps(step.describe()))
                finished += self._fail(step.record, step.error, step.action.value)
            elif spec.name == "TaxRate" and step.action is Action.CREATE:
                self._rates.add(taxes.StashedRate(step.record, step.payload))  # created with its TaxCode
                self.spool.done(step.record)
                finished += 1
            elif step.action in plan.WRITES:
                writes.append(step)
            else:
                if self.settings.dry_run:
                    self._plan_out(json.dumps(step.describe()))
                finished += self._finish(spec, step, step.existing)
        self._save_pairs()
        if not writes:
            return finished
        if self.settings.dry_run:
            finished += sum(self._pretend(spec, step, new_rates) for step in writes)
            self._save_pairs()
            return finished
        return finished + self._write(spec, writes, new_rates)

    def _write(
        self, spec: ObjectSpec, steps: list[Step], new_rates: dict[int, list[taxes.StashedRate]]
    ) -> int:
        finished = 0
        for _ in range(MAX_ROUNDS):
            answers = self._send(spec, steps, new_rates)
            retry: list[Step] = []
            stale: list[Step] = []
            duplicate: list[tuple[Step, RecordError]] = []
            for step, (obj, error) in zip(steps, answers, strict=True):
                if error is None:
                    finished += self._finish(spec, step, obj)
                elif error.code == "5010":
                    stale.append(step)
                elif error.code in ("6240", "6140") and step.action is Action.CREATE:
                    duplicate.append((step, error))
                elif error.code == "610" and step.action in (Action.DELETE, Action.INACTIVATE):
                    step.action, step.reason = Action.SKIP, "already deleted"
                    finished += self._finish(spec, step, None)
                elif error.code == "no-answer":
                    retry.append(step)
                else:
                    finished += self._fail(step.record, error, step.action.value, followup=step.followup)
            self._save_pairs()
            retry.extend(self._refresh(spec, stale))
            retry.extend(self._adopt(spec, duplicate))
            steps = []
            for step in retry:
                if step.action in plan.WRITES:
                    steps.append(step)
                elif step.action is Action.REJECT and step.error is not None:
                    finished += self._fail(step.record, step.error, step.action.value, followup=step.followup)
                else:
                    finished += self._finish(spec, step, step.existing)
            self._save_pairs()
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

    def _refresh(self, spec: ObjectSpec, stale: list[Step]) -> list[Step]:
        """5010: someone changed the object since it was read. Read it again and re-plan."""
        if not stale:
            return []
        rows = self.lookups.by_ids(spec.name, [s.target_id for s in stale if s.target_id])
        out = []
        for step in stale:
            current = rows.get(str(step.target_id))
            if spec.is_singleton:
                current = self._read_singleton(spec)
            out.append(plan.decide(spec, step.record, step.payload, current, self.policy))
        return out

    def _adopt(self, spec: ObjectSpec, duplicate: list[tuple[Step, RecordError]]) -> list[Step]:
        """6240 / 6140: the name or number is taken. If an object of this type holds it (active or
        not), the record means that object: update it. Otherwise the fault stands."""
        out: list[Step] = []
        for step, error in duplicate:
            field = "DocNumber" if error.code == "6140" else _name_key(spec)
            value = step.payload.get(field) if field else None
            holder = None
            if field and isinstance(value, str) and value:
                rows = self.lookups.natural_candidates(spec.name, field, [value], name_list=spec.is_name_list)
                same_key = [r for r in rows if _norm(r.get(field)) == _norm(value)]
                holder = self._choose(spec, step.payload, same_key, set(), identifying=True)
            if holder is None:
                if error.code == "6240" and spec.name_space == "party":
                    error.reason = (
                        f"the name {value!r} is already used by another customer, vendor or employee (they "
                        "share one name space, inactive ones included): rename the record or the other object"
                    )
                else:
                    error.reason = f"{error.message}: {error.detail or 'the name or number is taken'}"
                step.action, step.error = Action.REJECT, error
                out.append(step)
                continue
            retried = plan.decide(spec, step.record, step.payload, holder, self.policy)
            out.append(retried)
        return out

    # -- sending ----------------------------------------------------------------------------------

    def _send(
        self, spec: ObjectSpec, steps: list[Step], new_rates: dict[int, list[taxes.StashedRate]]
    ) -> list[tuple[dict[str, Any] | None, RecordError | None]]:
        """Each step's answer: the written object, or the fault. Batches and direct calls run at once."""
        results: list[tuple[dict[str, Any] | None, RecordError | None]] = [(None, None)] * len(steps)
        batched = [i for i, s in enumerate(steps) if not _direct(spec, s)]
        direct = [i for i, s in enumerate(steps) if _direct(spec, s)]
        size = max(1, min(30, self.settings.batch_size))
        groups = [batched[i : i + size] for i in range(0, len(batched), size)]
        batches = [self.executor.submit(self._send_batch, spec, [steps[i] for i in g]) for g in groups]
        singles = [self.executor.submit(self._send_one, spec, steps[i], new_rates) for i in direct]
        for group, batch in zip(groups, batches, strict=True):
            for index, answer in zip(group, batch.result(), strict=True):
                results[index] = answer
        for index, single in zip(direct, singles, strict=True):
            results[index] = single.result()
        return results

    def _send_batch(
        self, spec: ObjectSpec, steps: list[Step]
    ) -> list[tuple[dict[str, Any] | None, RecordError | None]]:
        items = [dict(_batch_item(spec, step), bId=str(n)) for n, step in enumerate(steps, start=1)]
        answers = self.client.batch(items, request_id=plan.request_id(self.realm, items))
        tid = getattr(self._tid, "value", "")
        out: list[tuple[dict[str, Any] | None, RecordError | None]] = []
        for answer in answers:
            if "Fault" in answer:
                out.append((None, _fault(answer["Fault"], tid)))
            elif isinstance(answer.get(spec.name), dict):
                out.append((answer[spec.name], None))
            else:
                out.append((None, RecordError("QuickBooks gave no answer for this item", code="no-answer")))
        return out

    def _send_one(
        self, spec: ObjectSpec, step: Step, new_rates: dict[int, list[taxes.StashedRate]]
    ) -> tuple[dict[str, Any] | None, RecordError | None]:
        client = self.client
        try:
            if spec.name == "TaxCode":
                rates = new_rates.get(step.record.seq, [])
                body = taxes.taxservice_body(step.payload, rates)
                answer = client.request(
                    "POST",
                    "taxservice/taxcode",
                    json_body=body,
                    params={"requestid": plan.request_id(self.realm, [body])},
                )
                self._map_new_rates(rates, answer)
                return {
                    **step.payload,
                    "Id": str(answer.get("TaxCodeId", "")),
                    "Name": answer.get("TaxCode"),
                }, None
            if step.action is Action.VOID:
                assert step.existing is not None
                rid = plan.request_id(
                    self.realm,
                    [{"void": spec.name, "Id": step.target_id, "SyncToken": step.existing.get("SyncToken")}],
                )
                return client.void(
                    spec.name, str(step.target_id), str(step.existing.get("SyncToken")), request_id=rid
                ), None
            body = dict(step.payload)
            if step.existing and step.existing.get("Id"):
                body.update(Id=step.existing["Id"], SyncToken=step.existing.get("SyncToken"))
            if spec.name == "ExchangeRate":
                body.pop("SyncToken", None)
            rid = plan.request_id(self.realm, [{"object": spec.name, **body}])
            return client.update(spec.name, body, request_id=rid), None
        except RecordError as error:
            return None, error
        except ValidationError as exc:
            return None, _error_of(exc)

    def _map_new_rates(self, rates: list[taxes.StashedRate], answer: dict[str, Any]) -> None:
        details = answer.get("TaxRateDetails") or []
        created = [d for d in details if d.get("TaxRateName")][-len(rates) :] if rates else []
        pairs = []
        for rate, detail in zip(rates, created, strict=False):
            self._rates.remove(rate)
            new_id = str(detail.get("TaxRateId"))
            self.counts["create"] += 1
            self.counts["records"] += 1
            if rate.record.source_id and self.settings.copy_mode:
                pairs.append(("TaxRate", str(rate.record.source_id), new_id))
            self.lookups.remember("TaxRate", {"Id": new_id, "Name": detail.get("TaxRateName")})
        self.idmap.put_many(pairs, persist=not self.settings.dry_run)

    # -- outcomes ----------------------------------------------------------------------------------

    def _finish(self, spec: ObjectSpec, step: Step, obj: dict[str, Any] | None) -> int:
        record = step.record
        action = step.action
        target_id = str(obj["Id"]) if obj and obj.get("Id") else step.target_id
        if not step.followup:
            self.counts["records"] += 1
        self.counts[action.value] += 1
        if target_id and spec.has_id:
            self._claimed.setdefault(spec.name, set()).add(target_id)
            if self.settings.copy_mode and record.source_id and action is not Action.DELETE:
                self._new_pairs.append((spec.name, str(record.source_id), target_id))
        if obj and action in (Action.CREATE, Action.UPDATE, Action.UNCHANGED):
            self.lookups.remember(spec.name, obj)
        if step.inactivate_after and target_id:
            self._inactivations.append((spec.name, target_id, record))
        if not step.followup:
            self.spool.done(record)
        return 1

    def _fail(
        self, record: PendingRecord, error: RecordError, operation: str = "", *, followup: bool = False
    ) -> int:
        self._save_pairs()
        if not followup:
            self.counts["records"] += 1
            self.spool.done(record)
        self.counts["dead_lettered"] += 1
        self.dead.add_pending(error, record, operation)
        return 1

    def _save_pairs(self) -> None:
        """Commit the id map's new pairs (after each round of batches: one transaction)."""
        pairs, self._new_pairs = self._new_pairs, []
        self.idmap.put_many(pairs, persist=not self.settings.dry_run)

    def _pretend(self, spec: ObjectSpec, step: Step, new_rates: dict[int, list[taxes.StashedRate]]) -> int:
        """Dry run: print the step; a create gets a placeholder Id its children can refer to."""
        self._plan_out(json.dumps({"dry_run": True, **step.describe()}))
        obj = step.existing
        if step.action is Action.CREATE:
            self._placeholders += 1
            placeholder = f"new:{spec.name}:{self._placeholders}"
            obj = {**step.payload, "Id": placeholder}
            for field in NAME_FIELDS:
                if isinstance(step.payload.get(field), str):
                    self.lookups.remember_placeholder(spec.name, step.payload[field], placeholder)
            for rate in new_rates.get(step.record.seq, []):
                self._rates.remove(rate)
                if rate.record.source_id:
                    placeholder_rate = (
                        "TaxRate",
                        str(rate.record.source_id),
                        f"new:TaxRate:{rate.record.seq}",
                    )
                    self.idmap.put_many([placeholder_rate], persist=False)
        step.inactivate_after = False
        return self._finish(spec, step, obj)

    def _inactivate_pending(self) -> None:
        """Make inactive, last, the name-list objects the records say are inactive."""
        pending, self._inactivations = self._inactivations, []
        by_object: dict[str, list[tuple[str, PendingRecord]]] = {}
        for obj, target_id, record in pending:
            by_object.setdefault(obj, []).append((target_id, record))
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
            rows = self.lookups.by_ids(obj, [t for t, _ in entries])
            steps = [
                Step(record, Action.INACTIVATE, {}, rows[t], followup=True)
                for t, record in entries
                if t in rows and rows[t].get("Active") is not False
            ]
            if steps:
                self._write(spec, steps, {})

    def _fail_leftovers(self) -> None:
        """End of input: records still waiting (a reference cycle, a parent that never came)."""
        for obj in self.spool.objects():
            while chunk := self.spool.take(obj, CHUNK):
                for record in chunk:
                    waiting = "; ".join(record.notes) or "a record it depends on"
                    self._fail(
                        record,
                        RecordError(
                            f"still waiting for {waiting} at the end of the input: the references form a "
                            "cycle or point to a record that failed (see the other dead letters)",
                            code="2500",
                        ),
                    )
        for rate in self._rates.pending():
            self._rates.remove(rate)
            self._fail(
                rate.record,
                RecordError(
                    "a TaxRate cannot be created on its own: QuickBooks creates tax rates with the tax "
                    "code that uses them (TaxService), and no TaxCode in the input uses this one",
                    code="500",
                ),
                "create",
            )

    # -- the end ---------------------------------------------------------------------------------

    def client_stats(self) -> dict[str, int]:
        """The client's request counters (requests, retries, throttled, faults)."""
        return self._client.stats.as_dict() if self._client is not None else {}

    def summary(self) -> str:
        c = self.counts
        parts = [
            f"{c['records']} records",
            f"{c['create']} created",
            f"{c['update']} updated",
            f"{c['unchanged']} unchanged",
            f"{c['delete']} deleted",
            f"{c['inactivate']} inactivated",
            f"{c['void']} voided",
            f"{c['skip']} skipped",
            f"{c['dead_lettered']} dead-lettered" + (f" ({self.dead.path})" if self.dead.count else ""),
        ]
        if self._client is not None:
            stats = self._client.stats.as_dict()
            parts.append(
                f"{stats['requests']} requests ({stats['retries']} retries, {stats['throttled']} throttled)"
            )
        if self.settings.dry_run:
            parts.append("dry run: nothing written")
        return ", ".join(parts)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        if self._idmap is not None:
            self._idmap.close()
        if self._client is not None:
            self._client.close()
        self.dead.close()
        self.spool.close()


# -- helpers ------------------------------------------------------------------------------------


def _identities(record: PendingRecord) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    if record.source_id:
        out.add(("id", str(record.source_id)))
    values = [get_path(record.payload, k) for k in record.natural_key]
    if record.natural_key and all(v not in (None, "") for v in values):
        out.add(("key", "|".join(identity_key(base_name(str(v))) for v in values)))
    return out


def _query_field(spec: ObjectSpec, natural_key: tuple[str, ...], payload: dict[str, Any]) -> str:
    """The field a natural-key lookup filters on: a key field QBO can filter, else the date;
    "" when there is none (a nested key such as ``PrimaryEmailAddr.Address``): read them all."""
    filterable = set(spec.filterable_fields())
    for key in natural_key:
        if "." not in key and key in filterable:
            return key
    if spec.is_transaction and payload.get("TxnDate"):
        return "TxnDate"
    return ""


def _norm(value: Any) -> str:
    return base_name(str(value)).casefold() if value is not None else ""


def _key_matches(
    spec: ObjectSpec, record: PendingRecord, payload: dict[str, Any], row: dict[str, Any]
) -> bool:
    for key in record.natural_key:
        mine, theirs = get_path(payload, key), get_path(row, key)
        if isinstance(mine, str) or isinstance(theirs, str):
            if _norm(mine) != _norm(theirs):
                return False
        elif not plan.same(mine, theirs):
            return False
    if spec.name in HIERARCHICAL:
        parent = str((payload.get("ParentRef") or {}).get("value") or "")
        their_parent = str((row.get("ParentRef") or {}).get("value") or "")
        if parent != their_parent:
            return False
    return True


def _row_key(row: dict[str, Any]) -> str:
    """An existing object's identity: its Id, or (ExchangeRate has none) its whole content."""
    return str(row["Id"]) if row.get("Id") else json.dumps(row, sort_keys=True, default=str)


def _identifying(spec: ObjectSpec, natural_key: tuple[str, ...]) -> bool:
    """Whether a natural key names at most one object (unique names, unique document numbers)."""
    if not spec.has_id:
        return True
    if spec.is_name_list:
        return natural_key == spec.natural_key
    return natural_key == ("DocNumber",) and spec.unique_doc_number


def _name_key(spec: ObjectSpec) -> str | None:
    return spec.natural_key[0] if spec.natural_key else None


def _id_order(value: Any) -> tuple[int, str]:
    text = str(value)
    return (int(text), text) if text.isdigit() else (1 << 62, text)


def _direct(spec: ObjectSpec, step: Step) -> bool:
    """Writes the batch endpoint cannot carry."""
    if spec.is_singleton or not spec.has_id:
        return True
    if spec.name == "TaxCode" and step.action is Action.CREATE:
        return True
    return step.action is Action.VOID and spec.void is Void.OPERATION_VOID


def _batch_item(spec: ObjectSpec, step: Step) -> dict[str, Any]:
    existing = step.existing or {}
    ident = {"Id": str(existing.get("Id", "")), "SyncToken": str(existing.get("SyncToken", ""))}
    if step.action is Action.CREATE:
        return {"operation": "create", spec.name: step.payload}
    if step.action is Action.UPDATE:
        return {"operation": "update", spec.name: {**step.payload, **ident, "sparse": True}}
    if step.action is Action.DELETE:
        return {"operation": "delete", spec.name: ident}
    if step.action is Action.INACTIVATE:
        return {"operation": "update", spec.name: {**ident, "sparse": True, "Active": False}}
    if step.action is Action.VOID:
        return {"operation": "update", "optionsData": "void", spec.name: {**ident, "sparse": True}}
    raise ValueError(f"not a write: {step.action}")


def _fault(fault: dict[str, Any], tid: str) -> RecordError:
    errors = fault.get("Error") or [{}]
    first = errors[0] if isinstance(errors[0], dict) else {}
    code = str(first.get("code") or "")
    message = str(first.get("Message") or "QuickBooks refused the item")
    detail = str(first.get("Detail") or "")
    element = str(first.get("element") or "")
    return RecordError(
        _advice(code, message, detail),
        code=code,
        element=element,
        message=message,
        detail=detail,
        intuit_tid=tid,
    )


def _error_of(exc: QBOError) -> RecordError:
    return RecordError(
        _advice(exc.code, exc.message, exc.detail),
        code=exc.code,
        element=exc.element,
        message=exc.message,
        detail=exc.detail,
        intuit_tid=exc.intuit_tid,
    )


_ADVICE = {
    "610": "a referenced object does not exist or is inactive: reactivate it or fix the reference",
    "2010": "QuickBooks does not accept a property or value: fix it in the source or with stream_maps",
    "2020": "a required field is missing: add it to the record",
    "2030": "an Id is not one QuickBooks can have: fix the Id in the record",
    "2050": "a value is longer than QuickBooks takes: shorten it in the source or with stream_maps",
    "2500": "a reference points to nothing: check the Id or name",
    "6000": "QuickBooks' business rules refuse the record: fix it as the detail says",
    "6140": "the document number is taken: change DocNumber",
    "6210": "the accounting period is closed: change the date or reopen the period",
    "6240": "the name is taken: rename the record",
}


def _advice(code: str, message: str, detail: str) -> str:
    said = detail or message
    hint = _ADVICE.get(code, "fix the record as the detail says and send it again")
    return f"QuickBooks refused it ({code or 'no code'}: {said}): {hint}"
