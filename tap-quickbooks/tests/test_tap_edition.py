"""The seam between the Singer side and an edition: the Singer side reads through the interface only."""

from __future__ import annotations

import ast
import contextlib
import io
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import tap_quickbooks
from tap_quickbooks.edition import ObjectDefinition, Record, ReportDefinition, ReportView, StreamView
from tap_quickbooks.reports import Period
from tap_quickbooks.tap import TapQuickBooks

SINGER_SIDE = ["streams", "reports", "run", "edition", "sdk_overrides", "messages", "times"]


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def test_the_singer_side_imports_no_edition() -> None:
    package = Path(tap_quickbooks.__file__).parent
    for name in SINGER_SIDE:
        for module in imported_modules(package / f"{name}.py"):
            assert "online" not in module.split("."), f"{name}.py imports {module}"
            assert "desktop" not in module.split("."), f"{name}.py imports {module}"
            # the client's secret masking, config-file checks and both editions' setting names (for
            # the check that a config gives one edition's settings) serve every edition; the rest
            # is an edition's own
            if module.startswith("qbo_client"):
                shared = ("qbo_client.redact", "qbo_client.config_checks", "qbo_client.settings")
                assert module == "qbo_client" or module.startswith(shared), f"{name}.py imports {module}"
            if module.startswith("qbd_client"):
                assert module == "qbd_client" or module.startswith("qbd_client.settings"), (
                    f"{name}.py imports {module}"
                )


WIDGET_SCHEMA = {
    "type": "object",
    "properties": {
        "Id": {"type": ["string"]},
        "Name": {"type": ["string", "null"]},
        "LastUpdatedTime": {"type": ["string"], "format": "date-time"},
        "_sdc_deleted_at": {"type": ["string", "null"], "format": "date-time"},
    },
}


class MemoryRun:
    """A company kept in memory: rows changed at a given time, and deletes."""

    def __init__(self, edition: MemoryEdition, selected: Callable[[], Sequence[StreamView]]) -> None:
        self.edition = edition
        self.selected = selected

    def records(self, stream: StreamView) -> Iterator[Record]:
        self.edition.asked.append((stream.name, stream.start_text(), [s.name for s in self.selected()]))
        start = stream.start_text()
        rows = [dict(r) for r in self.edition.rows if start is None or r["LastUpdatedTime"] >= start]
        yield from rows
        if stream.include_deletes:
            yield from (
                dict(d) for d in self.edition.deleted if start is None or d["LastUpdatedTime"] >= start
            )
        seen = set(stream.saved("seen") or []) | {r["Id"] for r in rows}
        stream.keep("seen", sorted(seen))

    def report_records(
        self, report: ReportView, periods: Sequence[Period], methods: Sequence[str]
    ) -> Iterator[Record]:
        return iter(())

    def looked_up(self) -> Mapping[str, Sequence[str]]:
        return self.edition.lookup

    def records_by_id(self, stream: StreamView, ids: Sequence[str]) -> Iterator[Record]:
        yield from (dict(r) for r in self.edition.rows if r["Id"] in ids)

    def close(self) -> None:
        self.edition.closed = True


class MemoryEdition:
    product = "QuickBooks kept in memory"

    def __init__(self) -> None:
        self.rows: list[Record] = []
        self.deleted: list[Record] = []
        self.asked: list[tuple[str, str | None, list[str]]] = []
        self.closed = False
        self.lookup: dict[str, Sequence[str]] = {}

    def objects(self, config: Mapping[str, Any]) -> list[ObjectDefinition]:
        return [ObjectDefinition("Widget", WIDGET_SCHEMA, ("Id",), "LastUpdatedTime")]

    def reports(self, config: Mapping[str, Any]) -> list[ReportDefinition]:
        return []

    def start(
        self,
        config: Mapping[str, Any],
        upper_bound: str,
        selected: Callable[[], Sequence[StreamView]],
        selected_reports: Callable[[], Sequence[ReportView]],
    ) -> MemoryRun:
        return MemoryRun(self, selected)


def sync(edition: MemoryEdition, state: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    class TapInMemory(TapQuickBooks):
        pass

    TapInMemory.edition = edition
    config = {"client_id": "id", "client_secret": "secret", "realm_id": "1"}
    tap = TapInMemory(config=config, state=json.loads(json.dumps(state)))
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    with contextlib.redirect_stdout(out):
        tap.sync_all()
        # records after the last STATE wait in the writer's buffer until exit (or a flush)
        tap.message_writer.flush()
    tap.run.close()
    out.flush()
    out.seek(0)
    return [json.loads(line) for line in out.read().splitlines() if line], tap.run.upper_bound


def test_an_edition_kept_in_memory_drives_the_singer_side() -> None:
    edition = MemoryEdition()
    edition.rows = [
        {"Id": "1", "Name": "old", "LastUpdatedTime": "2020-01-01T00:00:00+00:00"},
        {"Id": "2", "Name": "future", "LastUpdatedTime": "2999-01-01T00:00:00+00:00"},
    ]
    edition.deleted = [
        {
            "Id": "3",
            "LastUpdatedTime": "2999-01-01T00:00:00+00:00",
            "_sdc_deleted_at": "2999-01-01T00:00:00+00:00",
        }
    ]

    first, upper = sync(edition, {})

    records = [m["record"] for m in first if m["type"] == "RECORD"]
    assert [r["Id"] for r in records] == ["1", "2", "3"]
    state = [m["value"] for m in first if m["type"] == "STATE"][-1]
    bookmark = state["bookmarks"]["Widget"]
    assert (bookmark["replication_key"], bookmark["replication_key_value"]) == ("LastUpdatedTime", upper)
    assert bookmark["seen"] == ["1", "2"]
    assert edition.asked == [("Widget", None, ["Widget"])]
    assert edition.closed

    second, _ = sync(edition, state)

    assert [m["record"]["Id"] for m in second if m["type"] == "RECORD"] == ["2", "3"]
    assert edition.asked[-1][1] == upper  # the next run starts at the first one's start
    assert [m["value"] for m in second if m["type"] == "STATE"][-1]["bookmarks"]["Widget"]["seen"] == [
        "1",
        "2",
    ]


def test_a_lookup_run_reads_only_the_ids_asked_for_and_moves_no_bookmark() -> None:
    edition = MemoryEdition()
    edition.rows = [
        {"Id": "1", "Name": "one", "LastUpdatedTime": "2020-01-01T00:00:00+00:00"},
        {"Id": "2", "Name": "two", "LastUpdatedTime": "2020-01-02T00:00:00+00:00"},
    ]
    first, _ = sync(edition, {})
    state = [m["value"] for m in first if m["type"] == "STATE"][-1]
    asked_before = list(edition.asked)

    edition.lookup = {"Widget": ["2"]}
    looked_up, _ = sync(edition, state)

    assert [m["record"]["Id"] for m in looked_up if m["type"] == "RECORD"] == ["2"]
    assert edition.asked == asked_before, "the normal read is not asked for"
    assert [m["value"] for m in looked_up if m["type"] == "STATE"][-1] == state
