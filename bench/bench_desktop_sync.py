"""tap-quickbooks and target-quickbooks on a QuickBooks Desktop company, through the bridge and the emulator.

    .venv/bin/python bench/bench_desktop_sync.py [--size 100000] [--time-per-record 0.002] [--write 1000] [--json]

The company file is the sample company of ``--size`` transactions, built once and cached (as
``bench_qbd_bridge_e2e.py`` does), then copied, so every run starts from the same file. The bridge
and the Web Connector emulator run in this process (threads, real HTTP on 127.0.0.1); the company
spends ``--time-per-record`` seconds per record it returns (QuickBooks Desktop is slow: it answers
one request at a time, record by record). The tap runs as its own process, as under Meltano.

Figures:

- full sync: wall time against the **floor**, the time the company itself spent answering (its
  processing plus the time per record); goal: within 1.2x the floor. Message sets (Web Connector
  round trips with QuickBooks), SOAP calls, records, the tap's peak memory (VmHWM).
- idle incremental (nothing changed, from the full sync's state): message sets (goal: one), wall time.
- target: ``--write`` list records of the full sync's output (referred-to lists first) written by
  target-quickbooks into an empty company: message sets per record (goal: at most 1 per 25,
  EditSequence reads included), wall time, the target's peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench_qbd_bridge_e2e import company_file
from procstats import proc_status
from qbd_sandbox.company import Company, CompanyConfig
from qbd_sandbox.stack import DesktopStack, EmulatedCompany

BIN = Path(sys.executable).parent


def _sessions_since(emulated: EmulatedCompany, first: int) -> dict[str, float]:
    reports = emulated.reports[first:]
    return {
        "message_sets": sum(r.requests for r in reports),
        "soap_calls": sum(r.round_trips for r in reports),
        "company_seconds": round(sum(r.company_seconds for r in reports), 2),
        "sessions": len(reports),
    }


def run_plugin(command: list[str], stdin: Path | None, stdout: Path, stderr: Path) -> tuple[int, float, int]:
    """Run a plugin to its end: (exit status, wall seconds, peak resident kB)."""
    started = time.perf_counter()
    with (
        stdout.open("wb") as out,
        stderr.open("wb") as err,
        stdin.open("rb") if stdin else open(os.devnull, "rb") as inp,
    ):
        process = subprocess.Popen(command, stdin=inp, stdout=out, stderr=err)
        peak = 0
        while process.poll() is None:
            try:
                peak = max(peak, proc_status(process.pid).get("VmHWM", 0))
            except (FileNotFoundError, ProcessLookupError):
                break
            time.sleep(0.2)
        process.wait()
    return process.returncode, time.perf_counter() - started, peak


def count_records(path: Path) -> dict[str, int]:
    out: dict[str, int] = {}
    with path.open("rb") as lines:
        for line in lines:
            if line.startswith(b'{"type":"RECORD"'):
                stream = json.loads(line)["stream"]
                out[stream] = out.get(stream, 0) + 1
    return out


def last_state(path: Path) -> dict[str, Any]:
    state: dict[str, Any] = {}
    with path.open("rb") as lines:
        for line in lines:
            if line.startswith(b'{"type":"STATE"'):
                state = json.loads(line)["value"]
    return state


def wait_idle(emulated: EmulatedCompany) -> None:
    """Let the Web Connector finish the session it is in, so that figures do not mix runs."""
    emulated.pause()
    emulated.resume()


def first_records(source: Path, target: Path, limit: int) -> int:
    """The SCHEMA messages and up to ``limit`` records of the lists of a tap's output, the lists
    that others refer to first (customers name terms and tax codes, items accounts and vendors):
    what a target can write into an empty company without the transactions' references."""
    from qbd_client import catalog

    first = [
        "Account",
        "Class",
        "StandardTerms",
        "DateDrivenTerms",
        "SalesTaxCode",
        "PaymentMethod",
        "Employee",
    ]
    order = first + [spec.name for spec in catalog.OBJECTS if spec.is_list and spec.name not in first]
    schemas: list[bytes] = []
    records: dict[str, list[bytes]] = {name: [] for name in order}
    with source.open("rb") as inp:
        for line in inp:
            if line.startswith(b'{"type":"SCHEMA"'):
                schemas.append(line)
            elif line.startswith(b'{"type":"RECORD"'):
                message = json.loads(line)
                if message["stream"] in records and not message["record"].get("_sdc_deleted_at"):
                    records[message["stream"]].append(line)
    chosen = [line for name in order for line in records[name]][:limit]
    with target.open("wb") as out:
        out.writelines(schemas)
        out.writelines(chosen)
    return len(chosen)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=100_000, help="transactions in the sample company")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--time-per-record", type=float, default=0.002, help="seconds the company spends per record"
    )
    parser.add_argument("--write", type=int, default=1000, help="records target-quickbooks writes (0: none)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    figures: dict[str, Any] = {"size": args.size, "time_per_record": args.time_per_record}
    path, built = company_file(args.size, args.seed)
    if built is not None:
        figures["company_build_seconds"] = round(built, 1)

    with tempfile.TemporaryDirectory(prefix="qbd-bench-sync-") as tmp_name:
        tmp = Path(tmp_name)
        copy = tmp / "source.qbw"
        shutil.copyfile(path, copy)
        with DesktopStack(tmp / "stack", interval=0.2) as stack:
            config = CompanyConfig(time_per_record=args.time_per_record)
            source = stack.add_company("source", path=copy, config=config)
            figures["records_held"] = _held(source.company)
            settings = stack.tap_config("source", wait_for_qbwc=120)
            (tmp / "tap.json").write_text(json.dumps(settings))
            tap = [str(BIN / "tap-quickbooks"), "--config", str(tmp / "tap.json")]

            wait_idle(source)
            before = len(source.reports)
            code, wall, peak = run_plugin(tap, None, tmp / "full.jsonl", tmp / "full.log")
            if code != 0:
                raise SystemExit(f"the full sync failed ({code}): {(tmp / 'full.log').read_text()[-2000:]}")
            wait_idle(source)
            sessions = _sessions_since(source, before)
            records = count_records(tmp / "full.jsonl")
            figures["full"] = {
                "wall_seconds": round(wall, 1),
                "floor_seconds": sessions["company_seconds"],
                "wall_over_floor": round(wall / max(sessions["company_seconds"], 1e-9), 2),
                "records": sum(records.values()),
                "tap_peak_mb": round(peak / 1024, 1),
                **sessions,
            }
            (tmp / "state.json").write_text(json.dumps(last_state(tmp / "full.jsonl")))

            before = len(source.reports)
            idle = [*tap, "--state", str(tmp / "state.json")]
            code, wall, peak = run_plugin(idle, None, tmp / "idle.jsonl", tmp / "idle.log")
            if code != 0:
                raise SystemExit(f"the idle sync failed ({code}): {(tmp / 'idle.log').read_text()[-2000:]}")
            wait_idle(source)
            figures["idle_incremental"] = {
                "wall_seconds": round(wall, 1),
                "records": sum(count_records(tmp / "idle.jsonl").values()),
                "tap_peak_mb": round(peak / 1024, 1),
                **_sessions_since(source, before),
            }

            if args.write:
                empty = stack.add_company("copy")
                # ItemSalesTax is outside the catalog (no qbXML Add for it in the spec the target
                # writes from): the copy's sales tax item exists first, as a user would set it up.
                empty.company.add("ItemSalesTax", {"Name": "CA Sales Tax", "TaxRate": "8.25"})
                written = first_records(tmp / "full.jsonl", tmp / "write.jsonl", args.write)

                (tmp / "target.json").write_text(
                    json.dumps(
                        {
                            **stack.tap_config("copy", wait_for_qbwc=120),
                            # a copy: the source's ListIDs are mapped to the copy's, not looked up there
                            "desktop_source_company": "source",
                            "dead_letter_path": str(tmp / "dead.jsonl"),
                        }
                    )
                )
                target = [str(BIN / "target-quickbooks"), "--config", str(tmp / "target.json")]
                wait_idle(empty)
                before = len(empty.reports)
                code, wall, peak = run_plugin(
                    target, tmp / "write.jsonl", tmp / "target.out", tmp / "target.log"
                )
                wait_idle(empty)
                sessions = _sessions_since(empty, before)
                dead = tmp / "dead.jsonl"
                figures["target"] = {
                    "exit_status": code,
                    "records": written,
                    "dead_letters": len(dead.read_text().splitlines()) if dead.exists() else 0,
                    "dead_letter_kinds": dict(
                        Counter(
                            f"{d['object']} {d['code']}"
                            for d in map(json.loads, dead.read_text().splitlines())
                        )
                    )
                    if dead.exists()
                    else {},
                    "wall_seconds": round(wall, 1),
                    "records_per_message_set": round(written / max(sessions["message_sets"], 1), 1),
                    "target_peak_mb": round(peak / 1024, 1),
                    **sessions,
                }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key}: {value}")


def _held(company: Company) -> int:
    from qbd_client import catalog

    return sum(company.count(spec.name) for spec in catalog.OBJECTS if not spec.is_report)


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()
