"""Soak on QuickBooks Desktop: the tap and the target under the Web Connector's faults, a restarted
bridge and SIGKILLs, against clean runs.

    .venv/bin/python bench/soak_desktop.py [--size 300] [--cycles 3] [--fault-rate 0.1] [--kills 3] [--seed 1]

Each cycle, on a copy of the sample company of ``--size`` transactions:

1. a clean tap run (no faults) gives the records a full sync must deliver: (stream, id, TimeModified);
2. the tap again, from nothing, while the Web Connector drops calls (either side), duplicates answers,
   finds QuickBooks unable to reach the file and ends sessions after a few message sets (iterators
   lost), the bridge is restarted at random moments, and the tap itself is killed (SIGKILL) at random
   points ``--kills`` times, each time started again from the last STATE it emitted: the records
   delivered by all these runs together must be the clean run's, none missing;
3. the clean run's records written by target-quickbooks into an empty company under the same faults
   (and QuickBooks busy on writes), the target killed at random points and started again on the same
   input: the company must end with exactly what a clean copy holds, per object, and the same trial
   balance: nothing lost, nothing written twice.

Prints what was done and the differences found; exits 1 if there were any.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench_qbd_bridge_e2e import company_file
from qbd_client import catalog, qbxml
from qbd_sandbox.company import Company
from qbd_sandbox.faults import ConnectorFaults
from qbd_sandbox.stack import DesktopStack

BIN = Path(sys.executable).parent
OBJECTS = [spec.name for spec in catalog.OBJECTS if not spec.is_report]


def faults(seed: int, rate: float, *, writes: bool) -> ConnectorFaults:
    return ConnectorFaults(
        seed=seed,
        drop=rate,
        duplicate=rate,
        unavailable=rate / 2,
        busy=rate if writes else 0.0,
        close_after=random.Random(seed).randint(2, 6),
    )


def run(command: list[str], stdin: Path | None, out: Path, log: Path, kill_after: float | None) -> int | None:
    """Run a plugin; SIGKILL it after ``kill_after`` seconds (None: let it finish). Its exit status, or
    None when it was killed."""
    source = stdin.open("rb") if stdin else contextlib.nullcontext(subprocess.DEVNULL)
    with out.open("ab") as stdout, log.open("ab") as stderr, source as inp:
        process = subprocess.Popen(command, stdin=inp, stdout=stdout, stderr=stderr)
        try:
            process.wait(timeout=kill_after if kill_after is not None else 900)
        except subprocess.TimeoutExpired:
            if kill_after is None:
                raise
            process.send_signal(signal.SIGKILL)
            process.wait()
            return None
    return process.returncode


def messages(path: Path) -> list[dict[str, Any]]:
    out = []
    for line in path.read_bytes().splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue  # the last line of a killed tap may be cut
    return out


def delivered(path: Path) -> set[tuple[str, str, str]]:
    """(stream, id, TimeModified) of the records before the last STATE of the output (a target
    commits what a STATE covers: records after it are read again from that state)."""
    found: set[tuple[str, str, str]] = set()
    pending: set[tuple[str, str, str]] = set()
    for message in messages(path):
        if message.get("type") == "RECORD":
            record = message["record"]
            key = str(record.get("ListID") or record.get("TxnID") or record.get("account_key") or "")
            stamp = str(record.get("TimeModified") or record.get("period_end") or "")
            pending.add((message["stream"], key, stamp))
        elif message.get("type") == "STATE":
            found |= pending
            pending = set()
    return found


def last_state(path: Path) -> dict[str, Any] | None:
    states = [m["value"] for m in messages(path) if m.get("type") == "STATE"]
    return states[-1] if states else None


def restarter(stack: DesktopStack, stop: threading.Event, rng: random.Random, counts: Counter[str]) -> None:
    """Restart the bridge at random moments until ``stop``."""
    while not stop.wait(rng.uniform(1.0, 4.0)):
        stack.restart_bridge()
        counts["bridge restarts"] += 1


def holdings(company: Company) -> dict[str, int]:
    return {name: company.count(name) for name in OBJECTS}


def trial_balance(company: Company) -> list[tuple[str, str]]:
    request = qbxml.build(
        "GeneralSummaryReportQueryRq", {"GeneralSummaryReportType": "TrialBalance", "ReportDateMacro": "All"}
    )
    answer = qbxml.parse_response(company.process(qbxml.message_set([request]), "soak"))
    company.end_session("soak")
    rows = []
    for row in answer.responses[0].element.iter("{*}DataRow", "DataRow"):
        values = [c.get("value", "") for c in row if isinstance(c.tag, str)]
        rows.append((values[0], "|".join(values[1:])))
    return sorted(rows)


def cycle(template: Path, work: Path, args: argparse.Namespace, n: int, counts: Counter[str]) -> list[str]:
    rng = random.Random(args.seed * 1000 + n)
    problems: list[str] = []
    with DesktopStack(work / "stack", interval=0.1) as stack:
        stack.add_company("clean", path=_copy(template, work / "clean.qbw"))
        faulty = stack.add_company(
            "faulty",
            path=_copy(template, work / "faulty.qbw"),
            faults=faults(rng.randrange(1 << 30), args.fault_rate, writes=False),
        )
        tap_clean = _config(stack, "clean", work / "clean.json")
        if run(
            [str(BIN / "tap-quickbooks"), "--config", str(tap_clean)],
            None,
            work / "clean.jsonl",
            work / "clean.log",
            None,
        ):
            return [f"cycle {n}: the clean tap run failed: {(work / 'clean.log').read_text()[-1500:]}"]
        expected = delivered(work / "clean.jsonl")
        counts["tap records (clean)"] += len(expected)

        stop = threading.Event()
        thread = threading.Thread(target=restarter, args=(stack, stop, rng, counts), daemon=True)
        thread.start()
        try:
            got: set[tuple[str, str, str]] = set()
            tap_faulty = _config(stack, "faulty", work / "faulty.json")
            state_file = work / "state.json"
            for attempt in range(args.kills + 20):
                out = work / f"faulty-{attempt}.jsonl"
                command = [str(BIN / "tap-quickbooks"), "--config", str(tap_faulty)]
                if state_file.exists():
                    command += ["--state", str(state_file)]
                kill = rng.uniform(0.5, 4.0) if attempt < args.kills else None
                code = run(command, None, out, work / "faulty.log", kill)
                got |= delivered(out)
                state = last_state(out)
                if state is not None:
                    state_file.write_text(json.dumps(state))
                if code is None:
                    counts["tap SIGKILLs"] += 1
                    continue
                if code == 0:
                    break
                counts["tap runs stopped by a fault (exit status != 0), resumed"] += 1
        finally:
            stop.set()
            thread.join()
        missing = expected - got
        if missing:
            problems.append(
                f"cycle {n}: {len(missing)} records of the clean tap run never delivered, e.g. {sorted(missing)[:3]}"
            )
        for fault, fired in faulty.faults.fired.items():
            counts[f"fault {fault}"] += fired

        # target: the clean run's output into an empty company, cleanly and under faults and kills
        copies = []
        for name, playing in (
            ("copy-clean", None),
            ("copy-faulty", faults(rng.randrange(1 << 30), args.fault_rate, writes=True)),
        ):
            copy = stack.add_company(name, faults=playing)
            # ItemSalesTax is outside the catalog: the copy's sales tax item exists first
            copy.company.add("ItemSalesTax", {"Name": "CA Sales Tax", "TaxRate": "8.25"})
            config = {
                **stack.tap_config(name),
                "desktop_source_company": "clean",
                "dead_letter_path": str(work / f"{name}-dead.jsonl"),
                "desktop_busy_wait": 0.2,
            }
            (work / f"{name}.json").write_text(json.dumps(config))
            copies.append(name)
        target = [str(BIN / "target-quickbooks"), "--config"]
        if run(
            [*target, str(work / "copy-clean.json")],
            work / "clean.jsonl",
            work / "t-clean.out",
            work / "t-clean.log",
            None,
        ) not in (0,):
            return [
                *problems,
                f"cycle {n}: the clean target run failed: {(work / 't-clean.log').read_text()[-1500:]}",
            ]
        stop = threading.Event()
        thread = threading.Thread(target=restarter, args=(stack, stop, rng, counts), daemon=True)
        thread.start()
        try:
            for attempt in range(args.kills + 20):
                kill = rng.uniform(0.5, 3.0) if attempt < args.kills else None
                code = run(
                    [*target, str(work / "copy-faulty.json")],
                    work / "clean.jsonl",
                    work / "t-faulty.out",
                    work / "t-faulty.log",
                    kill,
                )
                if code is None:
                    counts["target SIGKILLs"] += 1
                    continue
                if code == 0:
                    break
                counts["target runs stopped by a fault, run again"] += 1
        finally:
            stop.set()
            thread.join()
        clean_copy, faulty_copy = (
            stack.companies["copy-clean"].company,
            stack.companies["copy-faulty"].company,
        )
        want, have = holdings(clean_copy), holdings(faulty_copy)
        if want != have:
            diff = {k: (want[k], have[k]) for k in want if want[k] != have[k]}
            problems.append(f"cycle {n}: the copy under faults holds {diff} (clean copy, faulty copy)")
        if trial_balance(clean_copy) != trial_balance(faulty_copy):
            problems.append(f"cycle {n}: the trial balances of the clean and the faulty copy differ")
        counts["target records written"] += sum(want.values())
        for fault, fired in stack.companies["copy-faulty"].faults.fired.items():
            counts[f"fault {fault} (target)"] += fired
    return problems


def _copy(template: Path, path: Path) -> Path:
    shutil.copyfile(template, path)
    return path


def _config(stack: DesktopStack, company: str, path: Path) -> Path:
    path.write_text(json.dumps(stack.tap_config(company, wait_for_qbwc=60)))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=300)
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--fault-rate", type=float, default=0.1)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    template, _ = company_file(args.size, args.seed)
    counts: Counter[str] = Counter()
    problems: list[str] = []
    started = time.monotonic()
    for n in range(args.cycles):
        with tempfile.TemporaryDirectory(prefix="qbd-soak-") as tmp:
            problems += cycle(template, Path(tmp), args, n, counts)
    print(
        f"{args.cycles} cycles in {time.monotonic() - started:.0f} s, size {args.size}, fault rate {args.fault_rate}"
    )
    for key, value in sorted(counts.items()):
        print(f"  {key}: {value}")
    for problem in problems:
        print(f"DIFFERENCE {problem}")
    print("no differences" if not problems else f"{len(problems)} difference(s)")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
