"""The Desktop writer: drains the spool into a QuickBooks Desktop company through qbd-bridge.

It is the Desktop side of the seam in :mod:`target_quickbooks.run` (the Online side is
:class:`target_quickbooks.writer.Writer`): the target and the sinks call the same few methods of
either, and both keep the edition-neutral parts (the spool, the id map and this run's claims, the
dead letter, the records, the state emitted only after the writes).

A drain takes the spooled records in the order a company is built in (lists by dependency and
hierarchy, parents first; transactions in the source's order of creation, so that payments follow
what they pay and inventory is valued as it was) and cuts them into *waves*: records none of which
refers to another of the same wave. A wave costs one message set that reads every object its
records may mean (by ListID/TxnID, by the id map in a company copy, by natural key: FullName,
Name, RefNumber) with their current EditSequence, then its writes, many per message set
(``continueOnError``, a ``requestID`` per record), each answer mapped back to its record.
Exactly once: a natural-key check before every Add, and jobs keyed by their content (see
:mod:`.bridge`), so that a batch submitted again after a restart gets the answers of the first.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from lxml import etree
from qbd_client import catalog, qbxml
from qbd_client.catalog import ObjectSpec
from qbd_client.client import BridgeClient
from qbd_client.errors import STATUS, QBDError
from qbd_client.qbxml import QbxmlError, Response

from target_quickbooks.deadletter import DeadLetters
from target_quickbooks.ledger import Ledger
from target_quickbooks.records import Operation, PendingRecord, RecordError
from target_quickbooks.run import RecordIntake
from target_quickbooks.spool import Spool, identity_key

from .bridge import Answer, Jobs
from .payloads import Shaper, WaitFor, changed_fields, moved_under, source_key

log = logging.getLogger("target_quickbooks.desktop")

#: The order a company is built in: what is referred to before what refers to it.
ORDER: tuple[str, ...] = (
    "Class",
    "StandardTerms",
    "DateDrivenTerms",
    "SalesTaxCode",
    "PaymentMethod",
    "Account",
    "Employee",
    "Vendor",
    "Customer",
    "ItemService",
    "ItemNonInventory",
    "ItemOtherCharge",
    "ItemInventory",
    "Estimate",
    "SalesOrder",
    "Invoice",
    "SalesReceipt",
    "CreditMemo",
    "PurchaseOrder",
    "Bill",
    "VendorCredit",
    "Check",
    "CreditCardCharge",
    "JournalEntry",
    "TimeTracking",
    "Transfer",
    "ReceivePayment",
    "BillPaymentCheck",
    "Deposit",
)
LISTS = tuple(s.name for s in catalog.objects(catalog.Kind.LIST))
TRANSACTIONS = tuple(s.name for s in catalog.objects(catalog.Kind.TRANSACTION))
#: Records read or planned together at most (one read message set each).
WAVE = 500
#: Ids or names one query names at most.
QUERY_NAMES = 250
#: Rounds of writing a record gets (answers "busy" 3170-3180, a message set QuickBooks could not take).
ROUNDS = 4
#: The id a dry run gives an object it pretends to add.
DRY_RUN_ID = "dry-run:"
#: Status codes of a query that found none of what it named (not an error for a look-up).
NOT_FOUND = (1, 500, 3120)


@dataclass
class DesktopSettings:
    """What the Desktop writer needs from the target's config."""

    bridge_url: str
    bridge_token: str
    company: str
    wait_for_qbwc: float = 600.0
    copy_mode: bool = False
    create_only: bool = False
    update_only: bool = False
    dry_run: bool = False
    fail_fast: bool = False
    dead_letter_path: Path = Path("target-quickbooks-dead-letter.jsonl")
    id_map_path: Path | None = None
    spool_dir: Path | None = None
    #: Write requests per message set (a response too large makes the Web Connector time out).
    records_per_message_set: int = 100
    #: "delete" (ListDel) or "inactivate" (a Mod with IsActive false) for a list record that says deleted.
    list_deletes: str = "delete"
    #: Seconds to wait before sending again what QuickBooks answered busy (3170-3180).
    busy_wait: float = 2.0


@dataclass
class Step:
    """What one record does to the company in this wave."""

    record: PendingRecord
    spec: ObjectSpec
    action: str  # add | mod | delete | inactivate | void | unchanged | skip
    existing: dict[str, Any] | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    target_id: str | None = None
    inactivate_after: bool = False
    #: A voided transaction of the source (QuickBooks keeps it, zeroed, its Memo starting "VOID:"):
    #: added as it was, then voided, so that its lines leave no posting and no stock behind.
    void_after: bool = False
    followup: bool = False
    stale_retried: bool = False
    #: The Ret elements the record sets (a 3200 re-read compares them).
    sets: list[str] = field(default_factory=list)

    @property
    def request_id(self) -> str:
        return f"{'i' if self.followup else 'r'}{self.record.seq}"


@dataclass
class Stage:
    """How far a drain may go for a reference not written yet."""

    #: The end of the input: what is not in the spool will not come (fall back to full names).
    final: bool = False
    #: No record could be written in the last pass (a cycle): stop waiting even for spooled records.
    stuck: bool = False


class DesktopWriter(RecordIntake):
    """Owns the spool, the ledger, the dead letter and the bridge's jobs for one run."""

    def __init__(
        self,
        settings: DesktopSettings,
        *,
        plan_out: Callable[[str], None] | None = None,
        client: BridgeClient | None = None,
    ) -> None:
        self.settings = settings
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
        self._client = client
        self._http: requests.Session | None = None
        self._jobs: Jobs | None = None
        self._plan_out = plan_out or (lambda line: print(line, file=sys.stderr, flush=True))
        self._lock = threading.Lock()
        self._seq = 0
        self._added_at_drain = -1
        self._inactivations: list[Step] = []
        self._voids: list[Step] = []
        self._stage = Stage()

    @property
    def jobs(self) -> Jobs:
        """The bridge, reached on first use (a run with no records never calls it)."""
        if self._jobs is None:
            s = self.settings
            client = self._client
            if client is None:
                self._http = requests.Session()
                client = BridgeClient(s.bridge_url, s.bridge_token, s.company, session=self._http)
            self._jobs = Jobs(client, s.wait_for_qbwc)
        return self._jobs

    # -- input --------------------------------------------------------------------------------------

    @property
    def dry_run(self) -> bool:
        """Whether the run only prints its plan."""
        return bool(self.settings.dry_run)

    @property
    def holds_records(self) -> bool:
        """Records received but neither written nor dead-lettered (the state must wait for them)."""
        return self.spool.queued() > 0 or bool(self._inactivations)

    # -- draining -----------------------------------------------------------------------------------

    def drain(self, *, final: bool) -> None:
        """Write everything spooled that can be written; with ``final``, fail what still cannot."""
        with self._lock:
            if not final and self.spool.added == self._added_at_drain:
                return
            self._added_at_drain = self.spool.added
            stage = Stage(final=final)
            while self.spool.queued():
                if self._pass(stage):
                    stage.stuck = False
                    continue
                if not final or stage.stuck:
                    break
                stage.stuck = True
            if final:
                self._fail_leftovers()
            if final or not self.spool.queued():
                self._inactivate_pending()

    def _pass(self, stage: Stage) -> int:
        """One pass over every spooled record, wave by wave; how many finished."""
        self._stage = stage
        records: list[PendingRecord] = []
        for obj in self.spool.objects():
            while chunk := self.spool.take(obj, 5000):
                records.extend(chunk)
        records.sort(key=_build_order)
        finished = 0
        held: list[PendingRecord] = []
        for wave in _waves(records):
            done, waiting = self._wave(wave)
            finished += done
            held.extend(waiting)
        self.spool.put_back(held)
        return finished

    def _wave(self, records: list[PendingRecord]) -> tuple[int, list[PendingRecord]]:
        """Read, plan and write records none of which refers to another; (finished, waiting)."""
        finished = 0
        waiting: list[PendingRecord] = []
        ready: list[tuple[PendingRecord, ObjectSpec]] = []
        for record in records:
            spec = catalog.get(record.object)
            try:
                if record.operation is Operation.UPSERT:
                    self._shaper(spec).add(record.payload)  # references resolvable now?
            except WaitFor as wait:
                record.notes = [wait.what]
                waiting.append(record)
                continue
            except RecordError as error:
                finished += self._fail(record, error)
                continue
            ready.append((record, spec))
        if not ready:
            return finished, waiting
        found = self._find(ready)
        steps: list[Step] = []
        for record, spec in ready:
            try:
                step = self._plan(record, spec, found.get(record.seq))
            except WaitFor as wait:
                record.notes = [wait.what]
                waiting.append(record)
                continue
            except RecordError as error:
                finished += self._fail(record, error)
                continue
            steps.append(step)
        finished += self._execute(steps)
        self.ledger.save()
        voids, self._voids = self._voids, []
        if voids and self.settings.dry_run:
            for step in voids:
                self._plan_out(json.dumps({"dry_run": True, **_describe(step)}))
        elif voids:
            self._write(voids)
            self.ledger.save()
        return finished, waiting

    # -- references ---------------------------------------------------------------------------------

    def _shaper(self, spec: ObjectSpec) -> Shaper:
        return Shaper(spec, self._ref, self._txn, copy=self.settings.copy_mode)

    def _ref(self, name: str, ref: Mapping[str, Any]) -> dict[str, str]:
        list_id = str(ref.get("ListID") or "")
        full_name = str(ref.get("FullName") or "")
        if not self.settings.copy_mode:
            if list_id:
                return {"ListID": list_id}
            return {"FullName": full_name} if full_name else {}
        if list_id:
            for obj in LISTS:
                target = self.ledger.idmap.get(obj, list_id)
                if target:
                    return {"ListID": target}
            stage = self._stage
            waiting = any(self.spool.waiting_id(obj, list_id) for obj in LISTS)
            if not stage.final or (waiting and not stage.stuck):
                raise WaitFor(f"{name} {full_name or list_id}")
        if full_name:
            return {"FullName": full_name}
        if list_id:
            raise RecordError(
                f"{name} names ListID {list_id} of the source company, which has no copy here and no "
                "FullName to find it by: copy that object first (or give the reference's FullName)",
                code="3140",
                element=name,
            )
        return {}

    def _txn(self, txn_id: str) -> str:
        if not self.settings.copy_mode:
            return txn_id
        for obj in TRANSACTIONS:
            target = self.ledger.idmap.get(obj, txn_id)
            if target:
                return target
        stage = self._stage
        waiting = any(self.spool.waiting_id(obj, txn_id) for obj in TRANSACTIONS)
        if not stage.final or (waiting and not stage.stuck):
            raise WaitFor(f"transaction {txn_id}")
        raise RecordError(
            f"it applies to or deposits transaction {txn_id} of the source company, which was not copied "
            "(it failed or was not selected): copy that transaction first, then send this record again",
            code="3120",
            element="TxnID",
        )

    # -- reading ------------------------------------------------------------------------------------

    def _find(self, ready: list[tuple[PendingRecord, ObjectSpec]]) -> dict[int, dict[str, Any]]:
        """The existing object each record means (by seq): one message set for the whole wave."""
        ids: dict[str, set[str]] = {}
        keys: dict[str, set[str]] = {}
        wanted: dict[int, tuple[str | None, str]] = {}
        for record, spec in ready:
            target = self._target_id(record)
            if target and target.startswith(DRY_RUN_ID):
                continue  # pretended earlier in this dry run: nothing to read
            key = _natural_value(spec, record.payload)
            wanted[record.seq] = (target, key)
            if target:
                ids.setdefault(spec.name, set()).add(target)
            if key and (not target or not self.settings.copy_mode):
                keys.setdefault(spec.name, set()).add(key)
        requests: list[etree._Element] = []
        for obj, values in sorted(ids.items()):
            requests.extend(_queries(catalog.get(obj), "ids", sorted(values)))
        for obj, values in sorted(keys.items()):
            requests.extend(_queries(catalog.get(obj), "names", sorted(values)))
        if not requests:
            return {}
        rows = self._read(requests)
        by_id: dict[tuple[str, str], dict[str, Any]] = {}
        by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for obj, row in rows:
            spec = catalog.get(obj)
            by_id[(obj, str(row.get(spec.id_field)))] = row
            value = _natural_value(spec, row)
            if value:
                by_key.setdefault((obj, identity_key(value)), []).append(row)
        out: dict[int, dict[str, Any]] = {}
        for record, spec in ready:
            if record.seq not in wanted:
                continue
            target, key = wanted[record.seq]
            if target and (spec.name, target) in by_id:
                out[record.seq] = by_id[(spec.name, target)]
                continue
            if not key:
                continue
            for row in by_key.get((spec.name, identity_key(key)), []):
                row_id = str(row.get(spec.id_field))
                if self.ledger.taken(spec.name, row_id, identifying=spec.is_list):
                    continue
                if spec.is_transaction and not _same_transaction(record.payload, row):
                    continue
                out[record.seq] = row
                # claimed at once: two records of one wave never match the same object
                self.ledger.claim(spec.name, row_id, None, bind=False)
                break
        return out

    def _read(self, requests: list[etree._Element]) -> list[tuple[str, dict[str, Any]]]:
        """Run queries (one message set) and return every record they found, with its object."""
        message_set = qbxml.message_set(requests, on_error="continueOnError")
        self.counts["read_requests"] += len(requests)
        answer = self.jobs.run([message_set], label="target-quickbooks read", keyed=False)[0]
        if answer.error:
            raise QBDError(
                f"QuickBooks did not answer the target's look-up: {answer.error}", code=answer.code
            )
        rows: list[tuple[str, dict[str, Any]]] = []
        for response in answer.responses.values():
            obj = response.tag[: -len("QueryRs")]
            if not response.ok and response.status_code not in NOT_FOUND:
                raise QBDError(
                    f"QuickBooks refused the target's look-up of {obj}: status {response.status_code} "
                    f"{response.status_message}",
                    code=response.status_code,
                )
            rows.extend((obj, row) for row in response.records())
        return rows

    def _target_id(self, record: PendingRecord) -> str | None:
        if not record.source_id:
            return None
        return self.ledger.target_of(record.object, record.source_id)

    # -- planning -----------------------------------------------------------------------------------

    def _plan(self, record: PendingRecord, spec: ObjectSpec, existing: dict[str, Any] | None) -> Step:
        operation = record.operation
        if operation is Operation.DELETE:
            if existing is None:
                return Step(record, spec, "skip")
            target = str(existing[spec.id_field])
            if spec.is_list and (self.settings.list_deletes == "inactivate" or not spec.can_delete):
                if existing.get("IsActive") is False:
                    return Step(record, spec, "unchanged", existing, target_id=target)
                fields = {"IsActive": False}
                return Step(record, spec, "inactivate", existing, fields, target, sets=["IsActive"])
            if not spec.can_delete:
                raise RecordError(
                    f"{spec.name} cannot be deleted through qbXML (TxnDelType has no {spec.name}): "
                    "delete it in QuickBooks, or leave the record out",
                    code="3250",
                )
            return Step(record, spec, "delete", existing, target_id=target)
        if operation is Operation.VOID:
            if existing is None:
                return Step(record, spec, "skip")
            return Step(record, spec, "void", existing, target_id=str(existing[spec.id_field]))
        shaper = self._shaper(spec)
        inactive = record.payload.get("IsActive") is False and spec.is_list
        voided = spec.void and str(record.payload.get("Memo") or "").startswith("VOID:")
        if voided and existing is not None and not str(existing.get("Memo") or "").startswith("VOID:"):
            return Step(record, spec, "void", existing, target_id=str(existing[spec.id_field]))
        if existing is None:
            if self.settings.update_only:
                raise RecordError(
                    f"update_only is set and no {spec.name} matches this record (by "
                    f"{spec.id_field}{' or ' + spec.natural_key if spec.natural_key else ''})",
                    code="3120",
                )
            fields = shaper.add(record.payload)
            if inactive and spec.mod:
                # added active, made inactive at the end: the run's transactions may still use it
                fields.pop("IsActive", None)
            # an object with no Mod (terms, payment methods) is added inactive: it cannot be changed later
            return Step(
                record, spec, "add", None, fields, inactivate_after=inactive and spec.mod, void_after=voided
            )
        target = str(existing[spec.id_field])
        if self.settings.create_only:
            return Step(record, spec, "skip", existing, target_id=target)
        if not spec.mod:
            add = shaper.add(record.payload)
            add.pop("IsActive", None)
            if changed_fields(add, existing):
                raise RecordError(
                    f"{spec.name} cannot be modified through qbXML (there is no {spec.name}ModRq) and the "
                    f"record differs from {spec.name} {existing.get('Name') or target}: "
                    "change it in QuickBooks",
                    code="3250",
                )
            return Step(record, spec, "unchanged", existing, target_id=target, inactivate_after=inactive)
        fields = shaper.mod(record.payload)
        inactivate_after = False
        if inactive and existing.get("IsActive") is not False:
            fields.pop("IsActive", None)
            inactivate_after = True
        if spec.is_transaction:
            self._line_ids(spec, record, fields, existing)
        sets = [_ret_name(name, existing) for name in fields]
        if not changed_fields(fields, existing):
            return Step(
                record, spec, "unchanged", existing, target_id=target, inactivate_after=inactivate_after
            )
        return Step(
            record, spec, "mod", existing, fields, target, inactivate_after=inactivate_after, sets=sets
        )

    def _line_ids(
        self, spec: ObjectSpec, record: PendingRecord, fields: dict[str, Any], existing: Mapping[str, Any]
    ) -> None:
        """Lines that exist keep their TxnLineID (QuickBooks deletes the lines a Mod leaves out and
        adds those sent with -1). In a company copy the record's line ids are the source's: its
        lines take the existing ones in order when there are as many."""
        for name, lines in fields.items():
            if not isinstance(lines, list) or not (name.endswith(("LineMod", "LineGroupMod"))):
                continue
            if name == "JournalLineMod":
                current = [
                    line
                    for kind in ("Debit", "Credit")
                    for line in _as_list(existing.get(f"Journal{kind}Line"))
                ]
            else:
                current = _as_list(existing.get(_ret_name(name, existing)))
            current_ids = [str(line.get("TxnLineID")) for line in current if isinstance(line, Mapping)]
            positional = self.settings.copy_mode and len(current_ids) == len(lines)
            for index, line in enumerate(lines):
                given = str(line.get("TxnLineID") or "")
                if positional:
                    line["TxnLineID"] = current_ids[index]
                elif given and given in current_ids and not self.settings.copy_mode:
                    line["TxnLineID"] = given
                else:
                    line["TxnLineID"] = "-1"

    # -- writing ------------------------------------------------------------------------------------

    def _execute(self, steps: list[Step]) -> int:
        finished = 0
        writes: list[Step] = []
        for step in steps:
            if step.action in ("unchanged", "skip"):
                if self.settings.dry_run:
                    self._plan_out(json.dumps(_describe(step)))
                finished += self._finish(step, step.existing)
            else:
                writes.append(step)
        if not writes:
            return finished
        if self.settings.dry_run:
            for step in writes:
                self._plan_out(json.dumps({"dry_run": True, **_describe(step)}))
                step.inactivate_after = False
                if step.action == "add":
                    # a pretended object: records that name it (payments, children) plan against it
                    step.target_id = f"{DRY_RUN_ID}{step.spec.name}:{step.record.seq}"
                finished += self._finish(step, step.existing)
            return finished
        return finished + self._write(writes)

    def _write(self, steps: list[Step]) -> int:
        finished = 0
        for attempt in range(1, ROUNDS + 1):
            again: list[Step] = []
            stale: list[Step] = []
            requests: list[tuple[Step, etree._Element]] = []
            for step in steps:
                try:
                    request = _request(step)
                    qbxml.validate(request)
                except (QbxmlError, RecordError) as exc:
                    finished += self._fail(
                        step.record,
                        RecordError(
                            f"the {step.action} of this {step.spec.name} cannot be sent to QuickBooks: "
                            f"{exc}; fix the record",
                            code="0x80040400",
                        ),
                        step,
                    )
                    continue
                requests.append((step, request))
            if not requests:
                return finished
            size = max(1, self.settings.records_per_message_set)
            self.counts["write_requests"] += len(requests)
            # Adds of records without a natural key (Deposit, TimeTracking, Transfer, and a Check or
            # any transaction whose RefNumber is empty) go in a job of their own: after a restart
            # nothing finds them again, and only the job's key (its content) keeps them from being
            # added twice, so that content must not depend on what else the wave holds (records
            # found by their natural key on a second run are no longer adds there).
            blind = [(s, r) for s, r in requests if _blind_add(s)]
            named = [(s, r) for s, r in requests if not _blind_add(s)]
            for group in (named, blind):
                if not group:
                    continue
                batches = [group[i : i + size] for i in range(0, len(group), size)]
                message_sets = [qbxml.message_set([r for _, r in batch]) for batch in batches]
                answers = self.jobs.run(
                    message_sets, label="target-quickbooks write", salt=f"round {attempt}"
                )
                for batch, answer in zip(batches, answers, strict=True):
                    for step, _request_element in batch:
                        outcome = self._outcome(step, answer, attempt)
                        if outcome == "again":
                            again.append(step)
                        elif outcome == "stale":
                            stale.append(step)
                        else:
                            finished += 1
            if stale:
                again.extend(self._reapply(stale))
            self.ledger.save()
            if not again:
                return finished
            steps = again
            if attempt < ROUNDS:
                self.counts["retries"] += len(again)
                time.sleep(self.settings.busy_wait * attempt)
        for step in steps:
            finished += self._fail(
                step.record,
                RecordError(
                    f"QuickBooks answered busy (the {step.spec.name} or the company file was in use) "
                    f"{ROUNDS} times: send the record again later",
                    code="3170",
                ),
                step,
            )
        return finished

    def _outcome(self, step: Step, answer: Answer, attempt: int) -> str:
        """``done`` (finished or failed), ``again`` (send in the next round) or ``stale`` (3200)."""
        if answer.error:
            if answer.retry and attempt < ROUNDS:
                return "again"
            self._fail(
                step.record,
                RecordError(
                    f"QuickBooks did not take the message set holding this record: {answer.error}",
                    code=answer.code or "0x80040400",
                    message=answer.error,
                ),
                step,
            )
            return "done"
        response = answer.responses.get(step.request_id)
        if response is None:
            if attempt < ROUNDS:
                return "again"
            self._fail(
                step.record,
                RecordError("QuickBooks' answer named no response for this record", code="-"),
                step,
            )
            return "done"
        if response.ok:
            rets = response.records()
            self._finish(step, rets[0] if rets else step.existing)
            return "done"
        code = response.status_code
        if code == 3200 and not step.stale_retried:
            return "stale"
        info = STATUS.get(code)
        if info is not None and info.retry:
            self.counts["busy"] += 1
            return "again"
        self._fail(step.record, _refusal(step, response), step)
        return "done"

    def _reapply(self, stale: list[Step]) -> list[Step]:
        """3200: read the objects again; apply once more when none of the fields the record sets
        changed in QuickBooks since the first read, else a dead letter that says which did."""
        by_object: dict[str, list[Step]] = {}
        for step in stale:
            by_object.setdefault(step.spec.name, []).append(step)
        requests: list[etree._Element] = []
        for obj, steps in by_object.items():
            requests.extend(_queries(catalog.get(obj), "ids", sorted({str(s.target_id) for s in steps})))
        current = {(obj, str(row.get(catalog.get(obj).id_field))): row for obj, row in self._read(requests)}
        again: list[Step] = []
        for step in stale:
            now = current.get((step.spec.name, str(step.target_id)))
            if now is None:
                self._fail(
                    step.record,
                    RecordError(
                        f"the {step.spec.name} was deleted in QuickBooks while the target was writing it: "
                        "send the record again to add it anew",
                        code="3200",
                    ),
                    step,
                )
                continue
            assert step.existing is not None
            moved = moved_under(step.sets, step.existing, now)
            if moved:
                self._fail(
                    step.record,
                    RecordError(
                        f"the {step.spec.name} changed in QuickBooks while the target was writing it "
                        f"(status 3200, EditSequence out of date) and the fields this record sets changed "
                        f"too ({', '.join(moved)}): not applied, so as not to undo that change; read the "
                        "object again and send the record with the values wanted",
                        code="3200",
                        message="The provided edit sequence is out of date.",
                    ),
                    step,
                )
                continue
            step.existing = now
            step.stale_retried = True
            if step.spec.is_transaction:
                self._line_ids(step.spec, step.record, step.fields, now)
            self.counts["reapplied"] += 1
            again.append(step)
        return again

    # -- outcomes -----------------------------------------------------------------------------------

    def _finish(self, step: Step, obj: Mapping[str, Any] | None) -> int:
        record, spec = step.record, step.spec
        target = str(obj.get(spec.id_field)) if obj and obj.get(spec.id_field) else step.target_id
        if not step.followup:
            self.counts["records"] += 1
        self.counts[_COUNTED.get(step.action, step.action)] += 1
        if target:
            bind = step.action not in ("delete",) and not step.followup
            self.ledger.claim(spec.name, target, record.source_id, bind=bind)
        if step.inactivate_after and target:
            self._inactivations.append(Step(record, spec, "inactivate", target_id=target, followup=True))
        if step.void_after and target:
            self._voids.append(Step(record, spec, "void", target_id=target, followup=True))
        if not step.followup:
            self.spool.done(record)
        return 1

    def _fail(self, record: PendingRecord, error: RecordError, step: Step | None = None) -> int:
        self.ledger.save()
        followup = step is not None and step.followup
        if not followup:
            self.counts["records"] += 1
            self.spool.done(record)
        self.counts["dead_lettered"] += 1
        operation = _OPERATIONS.get(step.action, step.action) if step is not None else record.operation.value
        self.dead.add_pending(error, record, operation)
        return 1

    def _inactivate_pending(self) -> None:
        """Make inactive, last, the list objects the records say are inactive (the run's
        transactions could still name them until now)."""
        pending, self._inactivations = self._inactivations, []
        if not pending:
            return
        if self.settings.dry_run:
            for step in pending:
                self._plan_out(json.dumps({"dry_run": True, **_describe(step)}))
            return
        by_object: dict[str, list[Step]] = {}
        for step in pending:
            by_object.setdefault(step.spec.name, []).append(step)
        requests: list[etree._Element] = []
        for obj, steps in by_object.items():
            requests.extend(_queries(catalog.get(obj), "ids", sorted({str(s.target_id) for s in steps})))
        current = {(obj, str(row.get("ListID"))): row for obj, row in self._read(requests)}
        writes = []
        for step in pending:
            row = current.get((step.spec.name, str(step.target_id)))
            if row is None or row.get("IsActive") is False:
                continue
            step.existing = row
            step.fields = {"IsActive": False}
            step.sets = ["IsActive"]
            writes.append(step)
        if writes:
            self._write(writes)
            self.ledger.save()

    def _fail_leftovers(self) -> None:
        for obj in self.spool.objects():
            while chunk := self.spool.take(obj, 5000):
                for record in chunk:
                    waiting = "; ".join(record.notes) or "a record it refers to"
                    self._fail(
                        record,
                        RecordError(
                            f"still waiting for {waiting} at the end of the input: the references form a "
                            "cycle or name a record that failed (see the other dead letters)",
                            code="3140",
                        ),
                    )

    # -- the end ------------------------------------------------------------------------------------

    def client_stats(self) -> dict[str, int]:
        """Message sets, jobs and requests sent to the bridge."""
        stats = dict(self._jobs.stats) if self._jobs is not None else {}
        stats["requests"] = self.counts["read_requests"] + self.counts["write_requests"]
        stats["retries"] = self.counts["retries"]
        stats["throttled"] = self.counts["busy"]
        return stats

    def summary(self) -> str:
        c = self.counts
        parts = self.record_counts()
        if self._jobs is not None:
            stats = self._jobs.stats
            parts.append(
                f"{stats['message_sets']} message sets in {stats['jobs']} jobs "
                f"({c['read_requests']} reads, {c['write_requests']} writes, {c['retries']} sent again)"
            )
        if self.settings.dry_run:
            parts.append("dry run: nothing written")
        return ", ".join(parts)

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
        self.ledger.close()
        self.dead.close()
        self.spool.close()


# --- helpers ----------------------------------------------------------------------------------------

_COUNTED = {"add": "create", "mod": "update"}
_OPERATIONS = {"add": "create", "mod": "update"}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _ret_name(name: str, existing: Mapping[str, Any]) -> str:
    return source_key(name, existing) or (name[:-3] + "Ret" if name.endswith(("Add", "Mod")) else name)


def _blind_add(step: Step) -> bool:
    """An Add that nothing could find again in the company: its record has no natural key value."""
    return step.action == "add" and not _natural_value(step.spec, step.record.payload)


def _natural_value(spec: ObjectSpec, data: Mapping[str, Any]) -> str:
    """The record's (or object's) natural key: FullName of a hierarchical list (built from the
    parent's when only Name is given), Name of a flat one, RefNumber of a transaction."""
    if not spec.natural_key:
        return ""
    if spec.hierarchical:
        full = data.get("FullName")
        if isinstance(full, str) and full:
            return full
        name = data.get("Name")
        parent = data.get("ParentRef")
        if isinstance(name, str) and name:
            if isinstance(parent, Mapping) and parent.get("FullName"):
                return f"{parent['FullName']}:{name}"
            return name
        return ""
    value = data.get(spec.natural_key)
    return str(value) if isinstance(value, str | int) and str(value) else ""


_ENTITY_REFS = ("CustomerRef", "VendorRef", "PayeeEntityRef", "EntityRef")


def _same_transaction(record: Mapping[str, Any], row: Mapping[str, Any]) -> bool:
    """A transaction found by RefNumber is the record's only when its date and its customer or
    vendor agree too (numbers repeat: a vendor's bill numbers are the vendor's)."""
    date = record.get("TxnDate")
    if date and str(date)[:10] != str(row.get("TxnDate", ""))[:10]:
        return False
    for key in _ENTITY_REFS:
        mine, theirs = record.get(key), row.get(key)
        if (
            isinstance(mine, Mapping)
            and mine.get("FullName")
            and isinstance(theirs, Mapping)
            and str(mine["FullName"]).casefold() != str(theirs.get("FullName", "")).casefold()
        ):
            return False
    return True


def _queries(spec: ObjectSpec, how: str, values: list[str]) -> list[etree._Element]:
    """Queries naming objects by id (``ids``) or natural key (``names``), QUERY_NAMES at a time."""
    out = []
    for start in range(0, len(values), QUERY_NAMES):
        chunk = values[start : start + QUERY_NAMES]
        if how == "ids":
            fields: dict[str, Any] = {spec.id_field: chunk}
        elif spec.is_list:
            fields = {"FullName": chunk}
        else:
            fields = {"RefNumber": chunk}
        if spec.line_items:
            fields["IncludeLineItems"] = True
        out.append(qbxml.build(spec.query_rq, fields, request_id=f"{how}:{spec.name}:{start}"))
    return out


def _request(step: Step) -> etree._Element:
    spec, rid = step.spec, step.request_id
    if step.action == "add":
        return qbxml.add_request(spec.name, step.fields, request_id=rid)
    if step.action in ("mod", "inactivate"):
        assert step.existing is not None
        fields = {
            spec.id_field: step.target_id,
            "EditSequence": str(step.existing.get("EditSequence", "")),
            **step.fields,
        }
        return qbxml.mod_request(spec.name, fields, request_id=rid)
    if step.action == "delete":
        if spec.is_list:
            return qbxml.build(
                "ListDelRq", {"ListDelType": spec.del_type, "ListID": step.target_id}, request_id=rid
            )
        return qbxml.build("TxnDelRq", {"TxnDelType": spec.del_type, "TxnID": step.target_id}, request_id=rid)
    if step.action == "void":
        return qbxml.build("TxnVoidRq", {"TxnVoidType": spec.name, "TxnID": step.target_id}, request_id=rid)
    raise RecordError(f"nothing to send for {step.action}")


def _refusal(step: Step, response: Response) -> RecordError:
    info = STATUS.get(response.status_code)
    hint = info.hint if info is not None and info.hint else "correct the record and send it again"
    action = {
        "add": "add",
        "mod": "change",
        "delete": "deletion",
        "inactivate": "inactivation",
        "void": "void",
    }
    return RecordError(
        f"QuickBooks refused the {action.get(step.action, step.action)} of this {step.spec.name} with status "
        f"{response.status_code}: {response.status_message} ({hint})",
        code=str(response.status_code),
        message=response.status_message,
    )


def _describe(step: Step) -> dict[str, Any]:
    return {
        "action": _OPERATIONS.get(step.action, step.action),
        "object": step.spec.name,
        "record": step.record.label(),
        "target_id": step.target_id,
        "fields": sorted(step.fields),
    }


def _created(record: PendingRecord) -> str:
    value = record.payload.get("TimeCreated")
    if not value:
        return ""
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return moment.isoformat()


def _build_order(record: PendingRecord) -> tuple[Any, ...]:
    """Lists by dependency, then parents before children; transactions in the order they were
    created in the source (payments after what they pay; inventory valued as it was)."""
    rank = ORDER.index(record.object) if record.object in ORDER else len(ORDER)
    if record.object in LISTS:
        depth = record.payload.get("Sublevel")
        if not isinstance(depth, int):
            depth = str(record.payload.get("FullName") or "").count(":")
        return (0, rank, depth, "", record.seq)
    created = _created(record)
    number = record.payload.get("TxnNumber")
    return (1, 0 if created else rank, number if isinstance(number, int) else 0, created, record.seq)


def _dependencies(payload: Mapping[str, Any]) -> set[str]:
    """What a record names: the ids and full names of its references, the transactions it applies
    to or deposits (a record that names one of its own wave waits for the next)."""
    out: set[str] = set()

    def walk(value: Any, top: bool) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                if key.endswith("Ref") and isinstance(item, Mapping):
                    for part in ("ListID", "FullName"):
                        if item.get(part):
                            out.add(identity_key(item[part]))
                elif key in ("TxnID", "PaymentTxnID") and not top and item:
                    out.add(identity_key(item))
                elif isinstance(item, Mapping | list):
                    walk(item, False)
        elif isinstance(value, list):
            for item in value:
                walk(item, False)

    walk(payload, True)
    return out


def _waves(records: list[PendingRecord]) -> Iterator[list[PendingRecord]]:
    """Records (in build order) in waves none of whose records names another of its wave.

    A record's level is one more than that of the records it names (its parent, its customer,
    the invoice it pays) and of an earlier record for the same object. Transactions start above
    every list and keep the build order among themselves unless one names another (a payment, a
    deposit): the order of creation is what values inventory as the source company did.
    """
    levels: dict[str, int] = {}
    by_level: dict[int, list[PendingRecord]] = {}
    lists_top = -1
    for record in records:
        is_txn = record.object in TRANSACTIONS
        named = [levels[d] for d in _dependencies(record.payload) | _identities(record) if d in levels]
        level = max(named, default=-1) + 1
        if is_txn:
            level = max(level, lists_top + 1)
        else:
            lists_top = max(lists_top, level)
        for ident in _identities(record):
            levels[ident] = level
        by_level.setdefault(level, []).append(record)
    for level in sorted(by_level):
        members = by_level[level]
        for start in range(0, len(members), WAVE):
            yield members[start : start + WAVE]


def _identities(record: PendingRecord) -> set[str]:
    out = set()
    if record.source_id:
        out.add(identity_key(record.source_id))
    spec = catalog.get(record.object)
    value = _natural_value(spec, record.payload)
    if value and spec.is_list:
        out.add(identity_key(value))
    return out


def objects_in_order() -> Iterable[str]:
    """Every object the target writes, in :data:`ORDER` (tests check it names each catalog object)."""
    return ORDER
