"""Tap benchmarks: a full sync against QBO-like latency and limits, the tap's own CPU cost, a quiet rerun.

    .venv/bin/python bench/bench_tap.py [--size 100000] [--latency-per-row 0.001] [--json] [--no-cost]

The sandbox runs in a process of its own with the sample company of ``--size`` transactions (and
answers this script's questions about the requests it saw); the tap runs as its own process
(``tap-quickbooks``, every object stream, no reports), its stdout counted here, its CPU time taken
from the OS when it exits and its peak memory (VmHWM) from /proc while it runs.

1. Realistic: QBO's limits on (500 requests/min, 10 in flight, 40 batches/min) and
   ``latency_per_row`` so a 1000-row page takes about a second. Reports wall time, requests,
   records per second, the tap's peak memory, and the floor: pages / 10 in flight x page time.
2. The tap's own cost: limits and latency off; the tap process's CPU seconds per record against
   ``json.loads`` of the same pages plus ``json.dumps`` of each record in plain Python.
3. A quiet incremental run (the state of run 1, nothing changed): requests made.

``--json`` prints the figures as one JSON object instead (what ``bench/run.py`` reads); ``--no-cost``
leaves out part 2. :func:`measure` returns the same figures to a caller in Python.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests
from qbo_client import catalog
from qbo_sandbox.app import Sandbox
from qbo_sandbox.config import LimitsConfig, RealismConfig, SandboxConfig
from qbo_sandbox.sample_company import generate
from qbo_sandbox.server import SandboxServer
from qbo_sandbox.testing import issue_credentials

TAP = str(Path(sys.executable).parent / "tap-quickbooks")
PAGE = 1000
IN_FLIGHT = 10
RECORD = b'{"type":"RECORD"'
#: Where the tap processes' logs go (--log), else nowhere.
LOG: Path | None = None


# -- the sandbox, in a process of its own -------------------------------------------------------


def _serve(config: SandboxConfig, conn: Connection) -> None:
    """The sandbox process: serve the company, answer "requests" and "stop" on the pipe."""
    sandbox = Sandbox(config)
    realm = sandbox.store.realms()[0]
    server = SandboxServer(sandbox).start()
    credentials = issue_credentials(sandbox, realm)
    conn.send((server.url, realm, credentials.as_dict(), sandbox.store.counts(realm)))
    while True:
        command = conn.recv()
        if command == "requests":
            conn.send(sandbox.limits.stats.requests)
        elif command == "credentials":
            conn.send(issue_credentials(sandbox, realm).as_dict())
        else:
            server.stop()
            conn.send("stopped")
            return


class SandboxProcess:
    def __init__(self, database: Path, realism: RealismConfig, limits: LimitsConfig) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        config = SandboxConfig(database=str(database), realism=realism, limits=limits)
        self.process = context.Process(target=_serve, args=(config, child), daemon=True)
        self.process.start()
        self.url, self.realm, self.credentials, self.counts = self.conn.recv()

    @property
    def company_url(self) -> str:
        return f"{self.url}/v3/company/{self.realm}"

    def requests(self) -> int:
        self.conn.send("requests")
        found: int = self.conn.recv()
        return found

    def new_credentials(self) -> dict[str, str]:
        """Another app's grant (the tap's refresh token rotates away from the first one)."""
        self.conn.send("credentials")
        found: dict[str, str] = self.conn.recv()
        return found

    def stop(self) -> None:
        self.conn.send("stop")
        self.conn.recv()
        self.process.join(10)


# -- the tap, in a process of its own -----------------------------------------------------------


@dataclass
class TapRun:
    wall: float
    records: int
    requests: int
    cpu: float  # user + system seconds of the tap process
    peak_mb: float
    state: dict[str, Any]

    def figures(self) -> dict[str, Any]:
        return {
            "wall": self.wall,
            "records": self.records,
            "requests": self.requests,
            "cpu": self.cpu,
            "peak_mb": self.peak_mb,
        }


def _watch_peak(pid: int, found: list[int]) -> None:
    """The process's VmHWM (peak resident memory since its exec), read until it exits."""
    path = Path(f"/proc/{pid}/status")
    while True:
        try:
            text = path.read_text()
        except OSError:
            return
        for line in text.splitlines():
            if line.startswith("VmHWM:"):
                found[0] = max(found[0], int(line.split()[1]))
        time.sleep(0.05)


def run_tap(sandbox: SandboxProcess, workdir: Path, state: dict[str, Any] | None = None) -> TapRun:
    """One run of the tap process; its records counted as they stream out."""
    config = {
        **sandbox.credentials,
        "base_url": sandbox.url,
        "token_store_path": str(workdir / "tokens.json"),
        "reports": [],
    }
    (workdir / "config.json").write_text(json.dumps(config))
    args = [TAP, "--config", str(workdir / "config.json")]
    if state is not None:
        (workdir / "state.json").write_text(json.dumps(state))
        args += ["--state", str(workdir / "state.json")]
    before = sandbox.requests()
    log = LOG.open("ab") if LOG else subprocess.DEVNULL
    started = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log)
    assert proc.stdout is not None
    peak = [0]
    watcher = threading.Thread(target=_watch_peak, args=(proc.pid, peak), daemon=True)
    watcher.start()
    records = 0
    carry = b""
    tail = b""
    while chunk := proc.stdout.read(1 << 20):
        data = carry + chunk
        # A message starts with this text only at the start of a line: inside a JSON string
        # its quotes would be escaped. ``carry`` is too short to hold it whole.
        records += data.count(RECORD)
        carry = data[-(len(RECORD) - 1) :]
        tail = (tail + chunk)[-(4 << 20) :]
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if LOG:
        log.close()  # type: ignore[union-attr]
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("the tap failed")
    last = tail.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    final = json.loads(last)
    return TapRun(
        wall=wall,
        records=records,
        requests=sandbox.requests() - before,
        cpu=usage.ru_utime + usage.ru_stime,
        peak_mb=peak[0] / 1024,
        state=final["value"] if final.get("type") == "STATE" else {},
    )


def json_baseline(sandbox: SandboxProcess) -> tuple[float, int]:
    """CPU seconds to json.loads every page of every object and json.dumps each record, plain Python."""
    http = requests.Session()
    credentials = sandbox.new_credentials()
    token = http.post(
        f"{sandbox.url}/oauth2/v1/tokens/bearer",
        data={"grant_type": "refresh_token", "refresh_token": credentials["refresh_token"]},
        auth=(credentials["client_id"], credentials["client_secret"]),
        timeout=30,
    ).json()["access_token"]
    http.headers["Authorization"] = f"Bearer {token}"
    http.headers["Accept"] = "application/json"
    bodies: list[bytes] = []
    for name in catalog.names():
        position = 1
        while True:
            text = f"SELECT * FROM {name} ORDERBY Id STARTPOSITION {position} MAXRESULTS {PAGE}"
            answer = http.post(
                f"{sandbox.company_url}/query",
                data=text,
                headers={"Content-Type": "application/text"},
                timeout=120,
            )
            bodies.append(answer.content)
            rows = next((v for v in answer.json()["QueryResponse"].values() if isinstance(v, list)), [])
            if len(rows) < PAGE:
                break
            position += PAGE
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


def measure(
    size: int,
    latency_per_row: float = 0.001,
    latency_per_request: float = 0.05,
    *,
    cost: bool = True,
    log: Path | None = None,
) -> dict[str, Any]:
    """Run the benchmarks; their figures as plain data (seconds, counts, MB)."""
    global LOG
    LOG = log
    page_time = latency_per_request + PAGE * latency_per_row
    result: dict[str, Any] = {
        "machine": machine(),
        "size": size,
        "latency_per_row": latency_per_row,
        "latency_per_request": latency_per_request,
        "page_time": page_time,
        "in_flight": IN_FLIGHT,
        "page": PAGE,
    }
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        database = work / "company.db"
        started = time.perf_counter()
        seeding = Sandbox(SandboxConfig(database=str(database)))
        realm = seeding.store.create_realm()
        now = datetime.now(ZoneInfo("America/Los_Angeles"))
        seeding.service.load(realm, generate(7, size, now=now))
        seeding.db.close()
        del seeding
        result["generate_seconds"] = time.perf_counter() - started

        realism = RealismConfig(latency_per_request=latency_per_request, latency_per_row=latency_per_row)
        realistic = SandboxProcess(database, realism, LimitsConfig())
        try:
            counts = realistic.counts
            full = run_tap(realistic, work)
            quiet = run_tap(realistic, work, state=full.state)
        finally:
            realistic.stop()
        result["full"] = full.figures()
        result["quiet"] = quiet.figures()

        if cost:
            unlimited = LimitsConfig(requests_per_minute=None, concurrent=None, batch_per_minute=None)
            fast = SandboxProcess(database, RealismConfig(), unlimited)
            try:
                alone = run_tap(fast, work)
                idle = run_tap(fast, work, state=alone.state)  # start-up, discovery, SCHEMA messages
                baseline_cpu, baseline_records = json_baseline(fast)
            finally:
                fast.stop()
            result["alone"] = alone.figures()
            result["idle"] = idle.figures()
            result["baseline"] = {"cpu": baseline_cpu, "records": baseline_records}

    result["rows"] = sum(counts.get(name, 0) for name in catalog.names())
    result["objects"] = len(catalog.names())
    result["pages"] = pages = sum(math.ceil(counts.get(name, 0) / PAGE) for name in catalog.names())
    result["floor"] = pages / IN_FLIGHT * page_time
    return result


def machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }


def print_report(result: dict[str, Any]) -> None:
    full, quiet = result["full"], result["quiet"]
    pages, page_time, floor = result["pages"], result["page_time"], result["floor"]
    m = result["machine"]
    print(f"company of {result['size']} transactions generated in {result['generate_seconds']:.0f} s")
    print(
        f"machine: {m['machine']} python {m['python']}, {m['cpus']} cores; "
        f"company: {result['size']} transactions, {result['rows']} rows in {result['objects']} objects "
        f"({pages} pages of {PAGE})"
    )
    print(f"1. full sync, QBO limits on, {page_time:.2f} s per 1000-row page")
    print(
        f"   wall {full['wall']:.1f} s, {full['records']} records, {full['records'] / full['wall']:.0f} records/s"
    )
    print(f"   requests {full['requests']}, peak memory of the tap {full['peak_mb']:.0f} MB")
    print(
        f"   floor {pages} pages / {IN_FLIGHT} in flight x {page_time:.2f} s = {floor:.1f} s; "
        f"ratio {full['wall'] / floor:.2f}"
    )
    if "alone" in result:
        alone, idle, baseline = result["alone"], result["idle"], result["baseline"]
        print("2. the tap's own cost, no latency, no limits")
        print(
            f"   tap process: {alone['cpu']:.1f} CPU s for {alone['records']} records = "
            f"{alone['records'] / alone['cpu']:.0f} records/CPU s (wall {alone['wall']:.1f} s)"
        )
        per_record = (alone["cpu"] - idle["cpu"]) / alone["records"]
        per_baseline = baseline["cpu"] / baseline["records"]
        print(
            f"   of which per record (less a run that reads nothing, {idle['cpu']:.1f} CPU s of start-up): "
            f"{per_record * 1e6:.0f} us = {1 / per_record:.0f} records/CPU s"
        )
        print(
            f"   json.loads + json.dumps: {baseline['cpu']:.1f} CPU s for {baseline['records']} records = "
            f"{1 / per_baseline:.0f} records/s ({per_baseline * 1e6:.0f} us each)"
        )
        print(
            f"   ratio: {alone['cpu'] / alone['records'] / per_baseline:.2f} whole process, "
            f"{per_record / per_baseline:.2f} per record"
        )
    print(
        f"3. incremental run, nothing changed: {quiet['requests']} requests, {quiet['records']} records, "
        f"{quiet['wall']:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=100_000, help="transactions in the company")
    parser.add_argument("--latency-per-row", type=float, default=0.001, help="seconds per row answered")
    parser.add_argument("--latency-per-request", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--log", type=Path, help="append the tap processes' logs to this file")
    parser.add_argument("--no-cost", action="store_true", help="leave out part 2 (the tap's own CPU cost)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    result = measure(
        args.size, args.latency_per_row, args.latency_per_request, cost=not args.no_cost, log=args.log
    )
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_report(result)


if __name__ == "__main__":
    main()
