"""Soak: the tap and the target under injected faults, again and again, against clean runs.

    .venv/bin/python bench/soak.py [--fault-rate 0.1] [--duration 600] [--size 2000] [--seed 1]
                                   [--page-size 50] [--target-records 2000] [--kills 5]

Until ``--duration`` seconds have passed, each cycle runs:

1. the tap (``tap-quickbooks``, every object stream) against a company of ``--size`` transactions
   whose sandbox injects faults (500, 503, 429 with and without Retry-After, dropped connections,
   answers slower than the client's timeout, 401) at ``--fault-rate``: the set of records
   (stream, Id, SyncToken) and the final state must equal a clean run's (the bookmarks' values are
   each run's own start, compared as such);
2. the target (``target-quickbooks``) writing ``--target-records`` new customers and invoices into
   a copy of the sample company under the same faults, and into another copy without faults: the
   two companies read back must hold the same customers and invoices, none twice, none missing,
   and neither run may dead-letter anything;
3. the tap killed with SIGKILL at seeded random points (``--kills`` per cycle) under the faults,
   resumed each time from the last STATE it emitted: the records delivered before those states,
   with those of the run that completes, must be the clean run's, and its final state too. A kill
   that lands after QuickBooks rotated the refresh token and before the tap stored the new one
   locks the tap out (the sandbox rotates on every refresh, and 401 faults make refreshes
   frequent); the sandbox's token table tells that case apart, it is counted, and the company
   connected again.

The sandboxes run in this process with QBO's limits on a clock ``TIME_SCALE`` times faster; the
tap and the target are processes of their own, whose peak memory is sampled from /proc (VmHWM).
Prints what was done and the differences found; exits 1 if there were any.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qbo_sandbox.app import Sandbox
from qbo_sandbox.config import LimitsConfig, RealismConfig, SandboxConfig
from qbo_sandbox.testing import RunningSandbox, seed_company, start_sandbox

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tap-quickbooks" / "tests"), str(ROOT / "target-quickbooks" / "tests")]
from tap_harness import selected_catalog, tap_config  # noqa: E402
from tq_helpers import lines, new_business, reader, rows, target_config  # noqa: E402

BIN = Path(sys.executable).parent
TIME_SCALE = 60.0
KINDS = ("500", "503", "429", "429-no-retry-after", "drop", "slow", "401")
RETRY_LINE = re.compile(r"; retry \d+/\d+ in ")
Version = tuple[str, str, str | None]


@dataclass
class Figures:
    cycles: int = 0
    requests: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    throttled: int = 0
    retries: int = 0
    refreshes: int = 0
    kills: int = 0
    lost_rotations: int = 0
    tap_runs: int = 0
    target_runs: int = 0
    records_checked: int = 0
    differences: int = 0
    notes: list[str] = field(default_factory=list)
    tap_peak_kb: int = 0
    target_peak_kb: int = 0

    def differ(self, count: int, what: str) -> None:
        if count:
            self.differences += count
            self.notes.append(f"cycle {self.cycles + 1}: {what} ({count})")

    def absorb(self, running: RunningSandbox) -> None:
        stats = running.sandbox.limits.stats
        snap = stats.snapshot()
        self.requests += snap["requests"]
        self.throttled += snap["throttled"]
        self.faults.update(snap["faults"])
        stats.reset()


@dataclass
class Process:
    code: int
    stdout: bytes
    stderr: str
    peak_kb: int


def run_process(
    args: list[str], *, stdin: bytes | None = None, kill_after_lines: int | None = None
) -> Process:
    """Run a command; with ``kill_after_lines``, SIGKILL it once it has written that many lines."""
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as inp:
        if stdin is not None:
            inp.write(stdin)
            inp.seek(0)
        proc = subprocess.Popen(args, stdin=inp, stdout=subprocess.PIPE, stderr=err)
        assert proc.stdout is not None
        peak = PeakMemory(proc.pid)
        out = bytearray()
        for seen, line in enumerate(proc.stdout, start=1):
            out += line
            if kill_after_lines is not None and seen >= kill_after_lines:
                os.kill(proc.pid, signal.SIGKILL)
                break
        proc.stdout.close()
        _, status, _ = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        return Process(proc.returncode, bytes(out), err.read().decode("utf-8", "replace"), peak.stop())


class PeakMemory:
    """A child's peak resident memory (VmHWM, kB), sampled from /proc while it runs.

    Not ``ru_maxrss`` of ``wait4``: Linux carries the parent's high-water mark into a child at
    exec, so a child of this (large) process would report at least this process's peak.
    """

    def __init__(self, pid: int) -> None:
        self.path = Path(f"/proc/{pid}/status")
        self.peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while True:
            try:
                for line in self.path.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        self.peak = max(self.peak, int(line.split()[1]))
            except (OSError, ValueError):
                return
            if self._done.wait(0.05):
                return

    def stop(self) -> int:
        self._done.set()
        self._thread.join()
        return self.peak


def messages_of(out: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def count_client_work(figures: Figures, stderr: str) -> None:
    figures.retries += len(RETRY_LINE.findall(stderr))
    figures.refreshes += stderr.count("access token refreshed")


class TapSide:
    """The tap's company (read only), its clean reference, and runs of the tap process."""

    def __init__(self, size: int, workdir: Path, fault_rate: float, seed: int, page_size: int) -> None:
        config = SandboxConfig(
            limits=LimitsConfig(time_scale=TIME_SCALE),
            realism=RealismConfig(fault_kinds=KINDS, slow_seconds=1.0, seed=seed, latency_per_request=0.005),
        )
        self.running = start_sandbox(config, size=size)
        self.fault_rate = fault_rate
        self.workdir = workdir
        settings = tap_config(
            self.running,
            workdir,
            page_size=page_size,
            timeout=0.5,
            max_retries=20,
            max_backoff=1.0,
            rate_limit_window_seconds=60 / TIME_SCALE,
        )
        self.config_file = workdir / "tap-config.json"
        self.config_file.write_text(json.dumps(settings))
        self.catalog_file = workdir / "tap-catalog.json"
        self.catalog_file.write_text(json.dumps(selected_catalog(settings)))
        self.faults(False)
        clean = self.run({})
        self.expected, self.expected_state = self.versions(clean), settled(clean)

    def faults(self, on: bool) -> None:
        self.running.sandbox.config.realism.fault_rate = self.fault_rate if on else 0.0

    def run(self, state: dict[str, Any], kill_after_lines: int | None = None) -> list[dict[str, Any]] | None:
        """One tap process from a state; its messages (None if it failed).

        A run locked out because an earlier run was killed after QuickBooks rotated the refresh
        token and before the tap saved the new one (nothing can recover that token: see
        qbo-client/tests/test_token_crash.py) is counted apart, the company connected again, and
        the run done again.
        """
        out = self._run(state, kill_after_lines)
        if out is None and self.lost_rotation():
            FIGURES.lost_rotations += 1
            FIGURES.notes.pop()  # the lockout's message, expected here
            self.reconnect()
            out = self._run(state, kill_after_lines)
        return out

    def lost_rotation(self) -> bool:
        """The store's refresh token was rotated by QuickBooks and its successor never stored."""
        settings = json.loads(self.config_file.read_text())
        stored = json.loads(Path(settings["token_store_path"]).read_text())
        digest = hashlib.sha256(stored["refresh_token"].encode()).hexdigest()
        with self.running.sandbox.db.read() as conn:
            row = conn.execute(
                "SELECT r.active, (SELECT COUNT(*) FROM oauth_refresh_tokens n WHERE n.grant_id = r.grant_id "
                "AND n.active = 1) FROM oauth_refresh_tokens r WHERE r.token_hash = ?",
                (digest,),
            ).fetchone()
        return row is not None and row[0] == 0 and row[1] == 1

    def reconnect(self) -> None:
        """Connect the company again: a new refresh token in the config (it wins over the store)."""
        settings = json.loads(self.config_file.read_text())
        grant = self.running.sandbox.oauth.grant(settings["client_id"], settings["realm_id"])
        settings["refresh_token"] = grant["refresh_token"]
        self.config_file.write_text(json.dumps(settings))

    def _run(self, state: dict[str, Any], kill_after_lines: int | None) -> list[dict[str, Any]] | None:
        state_file = self.workdir / "tap-state.json"
        state_file.write_text(json.dumps(state))
        args = [str(BIN / "tap-quickbooks"), "--config", str(self.config_file)]
        args += ["--catalog", str(self.catalog_file), "--state", str(state_file)]
        done = run_process(args, kill_after_lines=kill_after_lines)
        FIGURES.tap_runs += 1
        FIGURES.tap_peak_kb = max(FIGURES.tap_peak_kb, done.peak_kb)
        count_client_work(FIGURES, done.stderr)
        if done.code == -signal.SIGKILL and kill_after_lines is not None:
            FIGURES.kills += 1
        elif done.code != 0:
            FIGURES.notes.append(f"tap exit {done.code}: {done.stderr.strip().splitlines()[-1:]}")
            return None
        return messages_of(done.stdout)

    @staticmethod
    def versions(messages: list[dict[str, Any]]) -> set[Version]:
        return {
            (m["stream"], m["record"]["Id"], m["record"].get("SyncToken"))
            for m in messages
            if m["type"] == "RECORD"
        }

    def check(self, messages: list[dict[str, Any]] | None, records: set[Version], what: str) -> None:
        if messages is None:
            FIGURES.differ(1, f"{what}: the tap failed")
            return
        FIGURES.records_checked += len(records)
        FIGURES.differ(len(records ^ self.expected), f"{what}: records differ from the clean run's")
        if settled(messages) != self.expected_state:
            FIGURES.differ(1, f"{what}: final state differs from the clean run's")

    def faulty_sync(self) -> None:
        self.faults(True)
        out = self.run({})
        self.check(out, self.versions(out or []), "tap under faults")

    def crash_and_resume(self, kills: int, rng: random.Random) -> None:
        self.faults(True)
        union: set[Version] = set()
        state: dict[str, Any] = {}
        streams = len(self.expected_state)
        for _ in range(kills):
            kill_after = rng.randint(1, len(self.expected - union) + 2 * streams)
            out = self.run(state, kill_after_lines=kill_after)
            if out is None:
                FIGURES.differ(1, "killed tap: a run failed")
                return
            last = max((i for i, m in enumerate(out) if m["type"] == "STATE"), default=-1)
            union |= self.versions(out[:last] if last >= 0 else [])
            if last >= 0:
                state = out[last]["value"]
        final = self.run(state)
        union |= self.versions(final or [])
        self.check(final, union, "tap killed and resumed")


def settled(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The final state's bookmarks with every bookmark value compared as "the run's start".

    Every stream of a completed run has its run's start as its value; the runs start apart.
    """
    states = [m["value"] for m in messages if m["type"] == "STATE"]
    if not states:
        return {}
    bookmarks = states[-1].get("bookmarks", {})
    starts = {b.get("replication_key_value") for b in bookmarks.values()}
    start = max((s for s in starts if s), default=None)
    return {
        name: {k: ("<run start>" if v == start else v) for k, v in bookmark.items()}
        for name, bookmark in bookmarks.items()
    }


def target_company(running: RunningSandbox, config: dict[str, Any], prefix: str) -> tuple[Counter[Any], int]:
    """The customers and invoices the target wrote, as a multiset of what identifies them."""
    client = reader(config)
    try:
        found: Counter[Any] = Counter()
        for row in rows(client, "Customer", f"DisplayName LIKE '{prefix}%'"):
            found[("Customer", row["DisplayName"], row.get("Notes"))] += 1
        for row in rows(client, "Invoice", f"DocNumber LIKE '{prefix}-%'"):
            customer = (row.get("CustomerRef") or {}).get("name")
            found[("Invoice", row["DocNumber"], customer, str(row.get("TotalAmt")))] += 1
        return found, client.stats.requests
    finally:
        client.close()


def target_cycle(template: Path, workdir: Path, fault_rate: float, records: int, cycle: int) -> None:
    prefix = f"Soak{cycle}"
    customers = max(1, records // 3)
    payload = lines(new_business(prefix, customers, records - customers)).encode()
    companies: list[Counter[Any]] = []
    for rate in (fault_rate, 0.0):
        config = SandboxConfig(
            limits=LimitsConfig(time_scale=TIME_SCALE),
            realism=RealismConfig(fault_rate=rate, fault_kinds=KINDS, slow_seconds=2.5, seed=cycle),
        )
        with start_sandbox(config, template=template) as running:
            side = workdir / f"target-{cycle}-{rate}"
            side.mkdir()
            settings = target_config(running, side, timeout=2.0, max_backoff=1.0, max_retries=10)
            (side / "config.json").write_text(json.dumps(settings))
            done = run_process(
                [str(BIN / "target-quickbooks"), "--config", str(side / "config.json")], stdin=payload
            )
            FIGURES.target_runs += 1
            FIGURES.target_peak_kb = max(FIGURES.target_peak_kb, done.peak_kb)
            count_client_work(FIGURES, done.stderr)
            if done.code != 0:
                last = done.stderr.strip().splitlines()[-1:]
                FIGURES.differ(1, f"target exit {done.code} (fault rate {rate}): {last}")
            dead = Path(settings["dead_letter_path"])
            if dead.exists():
                FIGURES.differ(len(dead.read_text().splitlines()), f"dead letters at fault rate {rate}")
            FIGURES.absorb(running)
            found, _ = target_company(running, settings, prefix)
            running.sandbox.limits.stats.reset()  # reading back is not the target's work
            companies.append(found)
            FIGURES.differ(sum(n - 1 for n in found.values() if n > 1), f"duplicates at fault rate {rate}")
    faulty, clean = companies
    FIGURES.records_checked += sum(clean.values())
    FIGURES.differ(sum(((faulty - clean) + (clean - faulty)).values()), "companies differ")
    FIGURES.differ(abs(sum(clean.values()) - records), "the clean target did not write every record")


FIGURES = Figures()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fault-rate", type=float, default=0.1)
    parser.add_argument(
        "--duration", type=float, default=600.0, help="seconds (a cycle that starts runs to its end)"
    )
    parser.add_argument("--size", type=int, default=2000, help="transactions of the tap's company")
    parser.add_argument("--page-size", type=int, default=50, help="the tap's query pages (more requests)")
    parser.add_argument("--target-records", type=int, default=2000)
    parser.add_argument("--kills", type=int, default=5, help="SIGKILLs of the tap per cycle")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="qbo-soak-") as tmp:
        workdir = Path(tmp)
        template = workdir / "sample.db"
        seeded = Sandbox(SandboxConfig(database=str(template)))
        seed_company(seeded)
        seeded.db.close()
        tap = TapSide(args.size, workdir, args.fault_rate, args.seed, args.page_size)
        FIGURES.records_checked += len(tap.expected)
        tap.running.sandbox.limits.stats.reset()
        rng = random.Random(args.seed)
        print(
            f"soak: fault rate {args.fault_rate}, {args.duration:.0f} s, tap company {len(tap.expected)} "
            f"records (size {args.size}), target {args.target_records} records a run",
            flush=True,
        )
        try:
            while time.monotonic() - started < args.duration:
                tap.faulty_sync()
                target_cycle(template, workdir, args.fault_rate, args.target_records, FIGURES.cycles)
                tap.crash_and_resume(args.kills, rng)
                FIGURES.absorb(tap.running)
                FIGURES.cycles += 1
                print(
                    f"  cycle {FIGURES.cycles}: {time.monotonic() - started:.0f} s, differences "
                    f"{FIGURES.differences}, requests {FIGURES.requests}, faults {sum(FIGURES.faults.values())}",
                    flush=True,
                )
        finally:
            tap.running.server.stop()
    report(time.monotonic() - started)
    sys.exit(1 if FIGURES.differences else 0)


def report(wall: float) -> None:
    f = FIGURES
    faults = ", ".join(f"{kind} {f.faults[kind]}" for kind in KINDS if f.faults[kind])
    print(f"wall time                 {wall:.0f} s, {f.cycles} cycles")
    print(f"tap runs / target runs    {f.tap_runs} / {f.target_runs} (tap SIGKILLed {f.kills} times)")
    print(
        f"tap locked out            {f.lost_rotations} time(s) by a SIGKILL between QuickBooks' rotation of "
        "the refresh token and the store's write (connected again; by design, see test_token_crash.py)"
    )
    print(f"API requests (sandboxes)  {f.requests}")
    print(f"faults injected           {sum(f.faults.values())}: {faults}")
    print(f"429 from the limits       {f.throttled}")
    print(f"client retries            {f.retries} (access-token refreshes {f.refreshes})")
    print(f"records checked           {f.records_checked}")
    print(f"differences               {f.differences}")
    print(
        f"peak memory (VmHWM)       tap {f.tap_peak_kb / 1024:.0f} MB, target {f.target_peak_kb / 1024:.0f} MB"
    )
    for note in f.notes[:50]:
        print(f"  {note}")


if __name__ == "__main__":
    main()
