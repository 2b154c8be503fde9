"""Tap benchmarks: a full sync against QBO-like latency and limits, the tap's own CPU cost, a quiet rerun.

    .venv/bin/python bench/bench_tap.py [--size 100000] [--latency-per-row 0.001]

The sandbox runs in this process (a thread) with the sample company of ``--size`` transactions;
the tap runs as its own process (``tap-quickbooks``, every object stream, no reports), its stdout
read and counted here, its CPU time and peak memory taken from the OS when it exits.

1. Realistic: QBO's limits on (500 requests/min, 10 in flight, 40 batches/min) and
   ``latency_per_row`` so a 1000-row page takes about a second. Reports wall time, requests,
   records per second, the tap's peak memory, and the floor: pages / 10 in flight x page time.
2. The tap's own cost: limits and latency off; the tap process's CPU seconds per record against
   ``json.loads`` of the same pages plus ``json.dumps`` of each record in plain Python.
3. A quiet incremental run (the state of run 2, nothing changed): requests made.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from qbo_client import catalog
from qbo_sandbox.app import Sandbox
from qbo_sandbox.config import LimitsConfig, RealismConfig, SandboxConfig
from qbo_sandbox.sample_company import generate
from qbo_sandbox.server import SandboxServer
from qbo_sandbox.testing import RunningSandbox, issue_credentials

TAP = str(Path(sys.executable).parent / "tap-quickbooks")
PAGE = 1000
IN_FLIGHT = 10


@dataclass
class TapRun:
    wall: float
    records: int
    requests: int
    cpu: float  # user + system seconds of the tap process
    peak_mb: float
    state: dict[str, Any]


def run_tap(running: RunningSandbox, workdir: Path, state: dict[str, Any] | None = None) -> TapRun:
    """One run of the tap process; its output counted as it streams."""
    config = {
        **running.credentials.as_dict(),
        "base_url": running.url,
        "token_store_path": str(workdir / "tokens.json"),
        "reports": [],
    }
    (workdir / "config.json").write_text(json.dumps(config))
    args = [TAP, "--config", str(workdir / "config.json")]
    if state is not None:
        (workdir / "state.json").write_text(json.dumps(state))
        args += ["--state", str(workdir / "state.json")]
    stats = running.sandbox.limits.stats
    before = stats.requests
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    records = 0
    last_state = b""
    for line in proc.stdout:
        if line.startswith(b'{"type":"RECORD"'):
            records += 1
        elif line.startswith(b'{"type":"STATE"'):
            last_state = line
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"the tap failed (exit {proc.returncode})")
    return TapRun(
        wall=wall,
        records=records,
        requests=stats.requests - before,
        cpu=usage.ru_utime + usage.ru_stime,
        peak_mb=usage.ru_maxrss / 1024,
        state=json.loads(last_state)["value"] if last_state else {},
    )


def json_baseline(running: RunningSandbox) -> tuple[float, int]:
    """Seconds to json.loads every page of every object and json.dumps each record, plain Python."""
    http = running.session()
    bodies: list[bytes] = []
    for name in catalog.names():
        last = None
        while True:
            where = f" WHERE MetaData.LastUpdatedTime >= '{last}'" if last else ""
            text = f"SELECT * FROM {name}{where} ORDERBY MetaData.LastUpdatedTime MAXRESULTS {PAGE}"
            answer = http.post(
                f"{running.company_url}/query",
                data=text,
                headers={"Content-Type": "application/text"},
                timeout=120,
            )
            bodies.append(answer.content)
            rows = next((v for v in answer.json()["QueryResponse"].values() if isinstance(v, list)), [])
            if len(rows) < PAGE:
                break
            newest = rows[-1]["MetaData"]["LastUpdatedTime"]
            if newest == last:
                break  # one second holds a whole page: good enough for a cost baseline
            last = newest
    http.close()
    started = time.process_time()
    count = 0
    for body in bodies:
        answer = json.loads(body)
        for rows in answer["QueryResponse"].values():
            if isinstance(rows, list):
                for row in rows:
                    json.dumps(row)
                    count += 1
    return time.process_time() - started, count


def pages_of(running: RunningSandbox) -> tuple[int, int]:
    """Rows of the object streams, and the 1000-row pages they take at the least."""
    counts = running.sandbox.store.counts(running.realm)
    rows = sum(counts.get(name, 0) for name in catalog.names())
    pages = sum(math.ceil(counts.get(name, 0) / PAGE) for name in catalog.names())
    return rows, pages


def serve(database: Path, realism: RealismConfig, limits: LimitsConfig) -> RunningSandbox:
    sandbox = Sandbox(SandboxConfig(database=str(database), realism=realism, limits=limits))
    realm = sandbox.store.realms()[0]
    server = SandboxServer(sandbox).start()
    return RunningSandbox(server, issue_credentials(sandbox, realm))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=100_000, help="transactions in the company")
    parser.add_argument("--latency-per-row", type=float, default=0.001, help="seconds per row answered")
    parser.add_argument("--latency-per-request", type=float, default=0.05, help="seconds per request")
    args = parser.parse_args()
    page_time = args.latency_per_request + PAGE * args.latency_per_row

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        database = work / "company.db"
        started = time.perf_counter()
        seeding = Sandbox(SandboxConfig(database=str(database)))
        realm = seeding.store.create_realm()
        now = datetime.now(ZoneInfo("America/Los_Angeles"))
        seeding.service.load(realm, generate(7, args.size, now=now))
        seeding.db.close()
        print(f"company of {args.size} transactions generated in {time.perf_counter() - started:.0f} s")
        time.sleep(1.1)  # the tap reads up to the second it starts in: let the company's last second pass

        realistic = serve(
            database,
            RealismConfig(latency_per_request=args.latency_per_request, latency_per_row=args.latency_per_row),
            LimitsConfig(),
        )
        try:
            rows, pages = pages_of(realistic)
            full = run_tap(realistic, work)
            quiet = run_tap(realistic, work, state=full.state)
        finally:
            realistic.server.stop()

        fast = serve(
            database,
            RealismConfig(),
            LimitsConfig(requests_per_minute=None, concurrent=None, batch_per_minute=None),
        )
        try:
            alone = run_tap(fast, work)
            idle = run_tap(fast, work, state=alone.state)  # start-up, discovery, SCHEMA messages
            baseline_cpu, baseline_records = json_baseline(fast)
        finally:
            fast.server.stop()

    floor = pages / IN_FLIGHT * page_time
    print(
        f"machine: {platform.machine()} python {platform.python_version()}, {os.cpu_count()} cores; "
        f"company: {args.size} transactions, {rows} rows in {len(catalog.names())} objects ({pages} pages of {PAGE})"
    )
    print(f"1. full sync, QBO limits on, {page_time:.2f} s per 1000-row page")
    print(f"   wall {full.wall:.1f} s, {full.records} records, {full.records / full.wall:.0f} records/s")
    print(f"   requests {full.requests}, peak memory of the tap {full.peak_mb:.0f} MB")
    print(
        f"   floor {pages} pages / {IN_FLIGHT} in flight x {page_time:.2f} s = {floor:.1f} s; ratio {full.wall / floor:.2f}"
    )
    print("2. the tap's own cost, no latency, no limits")
    print(
        f"   tap process: {alone.cpu:.1f} CPU s for {alone.records} records = {alone.records / alone.cpu:.0f} records/CPU s "
        f"(wall {alone.wall:.1f} s)"
    )
    per_record = (alone.cpu - idle.cpu) / alone.records
    per_baseline = baseline_cpu / baseline_records
    print(
        f"   of which per record (less a run that reads nothing, {idle.cpu:.1f} CPU s of start-up): "
        f"{per_record * 1e6:.0f} us = {1 / per_record:.0f} records/CPU s"
    )
    print(
        f"   json.loads + json.dumps: {baseline_cpu:.1f} CPU s for {baseline_records} records = "
        f"{1 / per_baseline:.0f} records/s ({per_baseline * 1e6:.0f} us each)"
    )
    print(
        f"   ratio: {alone.cpu / alone.records / per_baseline:.2f} whole process, {per_record / per_baseline:.2f} per record"
    )
    print(
        f"3. incremental run, nothing changed: {quiet.requests} requests, {quiet.records} records, {quiet.wall:.1f} s"
    )


if __name__ == "__main__":
    main()
