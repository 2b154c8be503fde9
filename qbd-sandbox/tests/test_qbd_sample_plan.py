"""The sample company's plan, without a company: every write follows the qbXML spec, the same seed
gives the same plan, the history is the year before "now", and the size sets the volume."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from qbd_client import catalog, qbxml
from qbd_sandbox import sample
from qbd_sandbox.sample_plan import Op, Ref

NOW = datetime(2025, 3, 15, 19, 30, tzinfo=timezone.utc)
#: What a Ref stands for when a plan is checked without a company.
SOME_ID = "80000001-1710000000"


class _AnyId(dict[int, str]):
    def __missing__(self, key: int) -> str:
        return SOME_ID


@pytest.fixture(scope="module")
def default_plan() -> list[Op]:
    return list(sample.plan(seed=1, now=NOW))


def _request(op: Op) -> Any:
    """The qbXML request the company receives for ``op`` (Refs as a well-formed id)."""
    fields = sample.resolve(op.fields, _AnyId())
    if op.action == "add":
        return qbxml.add_request(op.object, fields)
    spec = catalog.get(op.object)
    return qbxml.mod_request(op.object, {spec.id_field: SOME_ID, "EditSequence": "1710000000", **fields})


def _leaves(nodes: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for node in nodes:
        if "choice" in node:
            for alternative in node["choice"]:
                yield from _leaves(alternative)
        elif "sequence" in node:
            yield from _leaves(node["sequence"])
        else:
            yield node


def _too_long(fields: dict[str, Any], nodes: list[dict[str, Any]], path: str) -> Iterator[str]:
    """Text values longer than the spec's maxLength for their element (validate does not check it)."""
    index = {node["name"]: node for node in _leaves(nodes)}
    for name, value in fields.items():
        node = index[name]
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                yield from _too_long(item, node.get("children", []), f"{path}.{name}")
            elif isinstance(item, str) and "maxLength" in node and len(item) > int(node["maxLength"]):
                yield f"{path}.{name}={item!r} (max {node['maxLength']})"


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for inner in value.values():
            yield from _strings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _strings(inner)
    elif isinstance(value, str):
        yield value


def test_every_add_and_mod_of_the_plan_follows_the_qbxml_spec(default_plan: list[Op]) -> None:
    checked: Counter[str] = Counter()
    outside_catalog = set()
    for op in default_plan:
        if op.action not in ("add", "modify"):
            continue
        try:
            catalog.get(op.object)
        except KeyError:
            outside_catalog.add(op.object)
            continue
        qbxml.validate(_request(op))
        checked[f"{op.object}{op.action}"] += 1
    # ItemSalesTax, the sales tax item, is not in the project's qbXML spec; the company checks it.
    assert outside_catalog == {"ItemSalesTax"}
    adds = {spec.name for spec in catalog.objects() if spec.add and f"{spec.name}add" in checked}
    assert adds == {spec.name for spec in catalog.objects() if not spec.is_report}
    assert sum(checked.values()) > 1400


def test_text_fits_the_qbxml_lengths_and_iso_8859_1(default_plan: list[Op]) -> None:
    too_long: list[str] = []
    for op in default_plan:
        if op.action not in ("add", "modify") or op.object == "ItemSalesTax":
            continue
        part = "Add" if op.action == "add" else "Mod"
        nodes = qbxml.request_spec(f"{op.object}{part}Rq")[1][0]["children"]
        too_long.extend(_too_long(sample.resolve(op.fields, _AnyId()), nodes, f"{op.object}{part}"))
        for text in _strings(op.fields):
            text.encode("iso-8859-1")  # QuickBooks keeps nothing else
    assert too_long == []
    names = {op.fields.get("Name", "") for op in default_plan if op.action == "add"}
    assert {"O'Malley's Hardware", "Côté Lumber Supply", "Meals & Entertainment", "Parts"} <= names
    customers = [op.fields["Name"] for op in default_plan if op.action == "add" and op.object == "Customer"]
    for characters in ("'", "&", "éèêëñöüøåßçíóúá"):
        assert any(any(c in name for c in characters) for name in customers), characters


def test_the_same_seed_gives_the_same_plan_and_another_seed_another() -> None:
    def shape(seed: int) -> list[tuple[str, str, Any, int | None, datetime | None]]:
        return [
            (op.action, op.object, op.fields, op.key, op.at)
            for op in sample.plan(seed=seed, size=300, now=NOW)
        ]

    first = shape(1)
    assert shape(1) == first
    other = shape(2)
    assert other != first
    assert Counter(op[1] for op in other) != Counter(op[1] for op in first)


def test_history_is_the_year_before_now_in_time_order(default_plan: list[Op]) -> None:
    times = [op.at for op in default_plan]
    assert all(isinstance(t, datetime) and t.tzinfo is not None for t in times)
    assert times == sorted(times)  # type: ignore[type-var]
    assert NOW - timedelta(days=367) < times[0] < NOW - timedelta(days=365)
    assert NOW - timedelta(days=2) < times[-1] < NOW
    # Transactions are spread over every month of the year, on the dates they are entered.
    txn_months = Counter(
        op.fields["TxnDate"][:7] for op in default_plan if op.action == "add" and "TxnDate" in op.fields
    )
    assert len(txn_months) >= 12
    assert min(txn_months.values()) > 20


def test_later_events_come_after_the_record_they_change(default_plan: list[Op]) -> None:
    added: dict[int, datetime] = {}
    gone: set[int] = set()
    for op in default_plan:
        assert op.at is not None
        if op.action == "add":
            assert op.key is not None
            added[op.key] = op.at
            for value in _refs(op.fields):
                assert value.key in added
                assert value.key not in gone
            continue
        assert op.key in added
        assert op.key not in gone
        assert op.at >= added[op.key]
        if op.action == "delete":
            gone.add(op.key)


def _refs(value: Any) -> Iterator[Ref]:
    if isinstance(value, Ref):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from _refs(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _refs(inner)


def _transactions(ops: list[Op]) -> Counter[str]:
    kinds = {spec.name for spec in catalog.objects(catalog.Kind.TRANSACTION)}
    counts: Counter[str] = Counter()
    for op in ops:
        if op.object in kinds and op.action in ("add", "delete"):
            counts[op.object] += 1 if op.action == "add" else -1
    return counts


def test_size_sets_the_number_of_transactions_and_lists_grow_modestly(default_plan: list[Op]) -> None:
    default = _transactions(default_plan)
    assert 900 <= sum(default.values()) <= 1200
    assert set(default) == {spec.name for spec in catalog.objects(catalog.Kind.TRANSACTION)}
    assert min(default.values()) >= 10
    bigger_plan = list(sample.plan(seed=1, size=5000, now=NOW))
    bigger = _transactions(bigger_plan)
    assert 4500 <= sum(bigger.values()) <= 5500
    customers = sum(1 for op in default_plan if op.action == "add" and op.object == "Customer")
    more_customers = sum(1 for op in bigger_plan if op.action == "add" and op.object == "Customer")
    assert customers * 1.5 < more_customers < customers * 3


def test_bad_arguments_are_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="aware"):
        next(sample.plan(now=datetime(2025, 1, 1)))
    with pytest.raises(ValueError, match="size must be 0 or more"):
        next(sample.plan(now=NOW, size=-1))
