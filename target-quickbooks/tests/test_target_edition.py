"""The seam between the Singer side and a QuickBooks edition (target_quickbooks.edition).

The writer is run here against an edition that keeps a company in memory, the way a second
edition (QuickBooks Desktop) would plug in: records are written through whatever edition the run
is given, parents before children, and what the edition answers for each step (done, failed,
again) is what happens to the record. The Singer side imports nothing of an edition.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import target_quickbooks
from qbo_client.catalog import ObjectSpec
from target_quickbooks.edition import Found, Kind, Outcome, RunContext
from target_quickbooks.plan import Action, Step
from target_quickbooks.records import Operation, PendingRecord, RecordError
from target_quickbooks.writer import MAX_ROUNDS, Settings, Writer

PACKAGE = Path(target_quickbooks.__file__).parent
#: The modules of the Singer side: the same for every edition.
SINGER_SIDE = (
    "target.py",
    "sinks.py",
    "reader.py",
    "writer.py",
    "ordering.py",
    "ledger.py",
    "hooks.py",
    "edition.py",
    "references.py",
    "spool.py",
    "deadletter.py",
    "records.py",
    "plan.py",
)


class MemoryEdition:
    """A company in memory: objects by type and Id, found by name, written step by step."""

    def __init__(self, run: RunContext) -> None:
        self.run = run
        self.objects: dict[str, dict[str, dict[str, Any]]] = {}
        self.writes: list[tuple[str, str, dict[str, Any]]] = []
        self.refuse: set[str] = set()
        self.unanswered: dict[str, int] = {}
        self._names: dict[tuple[str, str], str] = {}
        self.closed = False

    # -- names --
    @property
    def names(self) -> MemoryEdition:
        return self

    def cached_name(self, obj: str, name: str) -> str | None:
        return self._names.get((obj, name.casefold()))

    def resolve_names(self, obj: str, names: Iterable[str]) -> None:
        for row in self.objects.get(obj, {}).values():
            if _name(row) in set(names):
                self.remember(obj, row)

    def remember(self, obj: str, row: dict[str, Any]) -> None:
        if _name(row):
            self._names[(obj, _name(row).casefold())] = str(row["Id"])

    def remember_placeholder(self, obj: str, name: str, placeholder: str) -> None:
        self._names[(obj, name.casefold())] = placeholder

    # -- the edition --
    @property
    def hooks(self) -> dict[str, Any]:
        return {}

    def find(self, spec: ObjectSpec, ready: list[tuple[PendingRecord, dict[str, Any]]]) -> Found:
        found = Found()
        for record, payload in ready:
            for row in self.objects.get(spec.name, {}).values():
                if _name(row) and _name(row) == _name(payload):
                    found.existing[record.seq] = row
        return found

    def read(self, spec: ObjectSpec, ids: list[str]) -> dict[str, dict[str, Any]]:
        rows = self.objects.get(spec.name, {})
        return {i: rows[i] for i in ids if i in rows}

    def write(self, spec: ObjectSpec, steps: list[Step]) -> list[Outcome]:
        out = []
        for step in steps:
            name = _name(step.payload)
            if name in self.refuse:
                error = RecordError("refused: rename it", code="6000", message="Business rule")
                out.append(Outcome(step, Kind.FAILED, error=error))
                continue
            if self.unanswered.get(name, 0) > 0:
                self.unanswered[name] -= 1
                out.append(Outcome(step, Kind.AGAIN))
                continue
            rows = self.objects.setdefault(spec.name, {})
            if step.action is Action.CREATE:
                row = {**step.payload, "Id": str(len(rows) + 1)}
            else:
                row = {**(step.existing or {}), **step.payload}
            rows[row["Id"]] = row
            self.writes.append((spec.name, step.action.value, row))
            out.append(Outcome(step, Kind.DONE, row))
        return out

    def shape(self, spec: ObjectSpec, record: dict[str, Any]) -> dict[str, Any]:
        return record

    def stats(self) -> dict[str, int]:
        return {}

    def close(self) -> None:
        self.closed = True


def _name(row: dict[str, Any]) -> str:
    return str(row.get("DisplayName") or row.get("DocNumber") or "")


@pytest.fixture
def run(tmp_path: Path) -> Any:
    """A writer on a memory edition; yields (writer, edition)."""
    editions: list[MemoryEdition] = []

    def open_edition(context: RunContext) -> MemoryEdition:
        editions.append(MemoryEdition(context))
        return editions[0]

    settings = Settings(client={}, dead_letter_path=tmp_path / "dead.jsonl", spool_dir=tmp_path / "spool")
    writer = Writer(settings, open_edition, plan_out=lambda line: None)
    yield writer, editions[0]
    writer.close()
    assert editions[0].closed


def add(writer: Writer, obj: str, payload: dict[str, Any], key: str) -> None:
    writer.add(
        PendingRecord(
            seq=writer.next_seq(),
            stream=obj,
            object=obj,
            operation=Operation.UPSERT,
            source_id=None,
            payload=payload,
            natural_key=(key,),
            record=dict(payload),
        )
    )


def invoice(number: str, customer: str) -> dict[str, Any]:
    line = {
        "Amount": 10.0,
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
    }
    return {"DocNumber": number, "CustomerRef": {"name": customer}, "Line": [line]}


def test_records_are_written_through_the_edition_the_run_is_given_parents_first(run: Any) -> None:
    writer, edition = run
    add(writer, "Invoice", invoice("INV-1", "Ada"), "DocNumber")  # before its customer
    add(writer, "Customer", {"DisplayName": "Ada"}, "DisplayName")
    writer.drain(final=True)
    assert [(obj, action) for obj, action, _ in edition.writes] == [
        ("Customer", "create"),
        ("Invoice", "create"),
    ]
    ada = edition.objects["Customer"]["1"]
    assert edition.objects["Invoice"]["1"]["CustomerRef"]["value"] == ada["Id"]
    assert (writer.counts["records"], writer.counts["create"], writer.counts["dead_lettered"]) == (2, 2, 0)
    assert not writer.holds_records


def test_a_record_the_edition_finds_and_that_changed_nothing_is_not_written(run: Any) -> None:
    writer, edition = run
    edition.objects["Customer"] = {"7": {"Id": "7", "DisplayName": "Ada", "Notes": "old"}}
    add(writer, "Customer", {"DisplayName": "Ada", "Notes": "old"}, "DisplayName")
    add(writer, "Customer", {"DisplayName": "Ada", "Notes": "new"}, "DisplayName")
    writer.drain(final=True)
    assert [(obj, action, row["Notes"]) for obj, action, row in edition.writes] == [
        ("Customer", "update", "new")
    ]
    assert (writer.counts["unchanged"], writer.counts["update"]) == (1, 1)


def test_a_step_the_edition_refuses_goes_to_the_dead_letter_with_its_reason(run: Any) -> None:
    writer, edition = run
    edition.refuse.add("Bad Co")
    add(writer, "Customer", {"DisplayName": "Bad Co"}, "DisplayName")
    add(writer, "Customer", {"DisplayName": "Good Co"}, "DisplayName")
    writer.drain(final=True)
    writer.dead.close()
    letters = [json.loads(line) for line in writer.dead.path.read_text().splitlines()]
    assert [(d["object"], d["code"], d["record"]["DisplayName"]) for d in letters] == [
        ("Customer", "6000", "Bad Co")
    ]
    assert letters[0]["reason"].endswith("refused: rename it")
    assert [row["DisplayName"] for _, _, row in edition.writes] == ["Good Co"]


def test_a_step_the_edition_answers_again_is_sent_again_up_to_the_last_round(run: Any) -> None:
    writer, edition = run
    edition.unanswered = {"Once": 1, "Never": MAX_ROUNDS}
    add(writer, "Customer", {"DisplayName": "Once"}, "DisplayName")
    add(writer, "Customer", {"DisplayName": "Never"}, "DisplayName")
    writer.drain(final=True)
    assert [row["DisplayName"] for _, _, row in edition.writes] == ["Once"]
    writer.dead.close()
    letters = [json.loads(line) for line in writer.dead.path.read_text().splitlines()]
    assert [(d["record"]["DisplayName"], d["code"]) for d in letters] == [("Never", "5010")]


@pytest.mark.parametrize("module", SINGER_SIDE)
def test_the_singer_side_imports_nothing_of_an_edition_but_the_one_the_target_opens(module: str) -> None:
    tree = ast.parse((PACKAGE / module).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            imported.add(("." * node.level) + (node.module or ""))
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    edition_specific = {
        name
        for name in imported
        if name.startswith((".online", "target_quickbooks.online", "qbo_client.client", "requests"))
    }
    # the Target class opens the Online edition (open_edition): its one tie to an edition
    allowed = {".online.edition"} if module == "target.py" else set()
    assert edition_specific <= allowed, f"{module} imports {sorted(edition_specific - allowed)}"
