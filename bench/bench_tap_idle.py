"""What an incremental run that finds nothing changed costs the tap: CPU, wall time, requests.

    .venv/bin/python bench/bench_tap_idle.py [--runs 5] [--reports default|none] [--json]

A sandbox serves the sample company in this process (over loopback); the tap runs as its own
process (``tap-quickbooks``, every object stream, the default reports unless ``--reports none``):
once in full to get a state, then ``--runs`` times from that state, with nothing changed in
between. Each run's CPU time (user + system) is the tap process's own, from the OS when it exits.
The floor is ``python -c "import singer_sdk"`` measured the same way: what any tap on the SDK pays
before it does anything; the tap's own cost of an idle run is the difference.

``--json`` prints the figures as one JSON object instead.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from qbo_sandbox.testing import RunningSandbox, start_sandbox

TAP = str(Path(sys.executable).parent / "tap-quickbooks")


def run_process(args: list[str]) -> tuple[float, float, bytes]:
    """CPU seconds (user + system) and wall seconds of a process, and its stdout."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{args[0]} failed")
    return usage.ru_utime + usage.ru_stime, wall, out


def run_tap(
    running: RunningSandbox, workdir: Path, reports: bool, state: dict[str, Any] | None
) -> dict[str, Any]:
    """One run of the tap process: its CPU and wall seconds, requests, records and final state."""
    config: dict[str, Any] = {
        **running.credentials.as_dict(),
        "base_url": running.url,
        "token_store_path": str(workdir / "tokens.json"),
    }
    if not reports:
        config["reports"] = []
    (workdir / "config.json").write_text(json.dumps(config))
    args = [TAP, "--config", str(workdir / "config.json")]
    if state is not None:
        (workdir / "state.json").write_text(json.dumps(state))
        args += ["--state", str(workdir / "state.json")]
    before = running.sandbox.limits.stats.requests
    cpu, wall, out = run_process(args)
    messages = [json.loads(line) for line in out.splitlines() if line.strip()]
    states = [m["value"] for m in messages if m["type"] == "STATE"]
    return {
        "cpu": cpu,
        "wall": wall,
        "requests": running.sandbox.limits.stats.requests - before,
        "records": sum(1 for m in messages if m["type"] == "RECORD"),
        "state": states[-1] if states else {},
    }


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def measure(runs: int, *, reports: bool = True) -> dict[str, Any]:
    """The figures: the SDK import's floor, the full run, and the idle runs (seconds, counts)."""
    floor = [run_process([sys.executable, "-c", "import singer_sdk"])[:2] for _ in range(runs)]
    with tempfile.TemporaryDirectory() as tmp, start_sandbox() as running:
        work = Path(tmp)
        full = run_tap(running, work, reports, None)
        idle = []
        for _ in range(runs):
            found = run_tap(running, work, reports, full["state"])
            idle.append(found)
    idle_cpu = [r["cpu"] for r in idle]
    floor_cpu = [c for c, _ in floor]
    return {
        "runs": runs,
        "reports": reports,
        "import_singer_sdk": {"cpu": summary(floor_cpu), "wall": summary([w for _, w in floor])},
        "full": {k: full[k] for k in ("cpu", "wall", "requests", "records")},
        "idle": {
            "cpu": summary(idle_cpu),
            "wall": summary([r["wall"] for r in idle]),
            "requests": max(r["requests"] for r in idle),
            "records": max(r["records"] for r in idle),
        },
        "idle_cpu_beyond_import": statistics.median(idle_cpu) - statistics.median(floor_cpu),
    }


def print_report(result: dict[str, Any]) -> None:
    floor, full, idle = result["import_singer_sdk"], result["full"], result["idle"]
    print(
        f"python -c 'import singer_sdk': {floor['cpu']['median']:.2f} CPU s, "
        f"{floor['wall']['median']:.2f} s wall (median of {result['runs']})"
    )
    print(
        f"full run: {full['cpu']:.2f} CPU s, {full['wall']:.2f} s wall, {full['requests']} requests, "
        f"{full['records']} records"
    )
    print(
        f"idle incremental ({'default reports' if result['reports'] else 'no reports'}): "
        f"{idle['cpu']['median']:.2f} CPU s (min {idle['cpu']['min']:.2f}, max {idle['cpu']['max']:.2f}), "
        f"{idle['wall']['median']:.2f} s wall, {idle['requests']} requests, {idle['records']} records"
    )
    print(f"tap CPU beyond importing the SDK: {result['idle_cpu_beyond_import']:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="idle incremental runs (and SDK imports)")
    parser.add_argument(
        "--reports", choices=("default", "none"), default="default", help="the report streams to sync"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    result = measure(args.runs, reports=args.reports == "default")
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_report(result)


if __name__ == "__main__":
    main()
