"""Many companies synced at once: N sandbox companies, one tap process each, against one company alone.

    .venv/bin/python bench/bench_many_companies.py [--companies 20] [--size 5000] [--workers N]
        [--latency-per-row 0.001] [--latency-per-request 0.05] [--json]

One sandbox process serves every company (each with QuickBooks' own limits: 500 requests a minute
and 10 at once per company, and QBO-like latency: a 1000-row page takes about a second). One app is
connected to every company; the refresh tokens live in one shared token store (SQLite through
``token_store_url``). Each company is synced the way the Dagster asset does it
(``dagster_quickbooks.sync_company``: tap-quickbooks in a process of its own, its own state file,
its token-store row, records landed with ``_qbo_realm_id``), first one company alone, then all N
at once (``--workers`` at a time, default all).

Reports: wall time of one and of N, records, records per second, the taps' CPU seconds (all of
them) and the sandbox's, the largest tap's peak memory, and the machine's CPU use during the N,
from which it names what limits the run: the cores (CPU busy near 100%), the sandbox (its one
process near a core), or the API's latency and limits (neither).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dagster_quickbooks import QuickBooksCompanies, sync_company
from procstats import cpu_seconds
from qbo_client.config import ClientConfig
from qbo_client.tokens import Tokens, open_store
from qbo_sandbox.app import Sandbox
from qbo_sandbox.config import RealismConfig, SandboxConfig
from qbo_sandbox.server import SandboxServer
from qbo_sandbox.testing import seed_company


def _serve(config: SandboxConfig, companies: int, size: int, conn: Connection) -> None:
    """The sandbox process: N companies (seeds 1..N), one app granted each, then serve until told."""
    sandbox = Sandbox(config)
    started = time.monotonic()
    realms = [seed_company(sandbox, seed=n + 1, size=size)[0] for n in range(companies)]
    generated = time.monotonic() - started
    client_id, client_secret = sandbox.oauth.create_client()
    tokens = {realm: sandbox.oauth.grant(client_id, realm)["refresh_token"] for realm in realms}
    server = SandboxServer(sandbox).start()
    conn.send((server.url, client_id, client_secret, tokens, generated))
    conn.recv()
    server.stop()
    conn.send("stopped")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of every core since boot (/proc/stat): what all processes used."""
    fields = [float(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _timed_sync(settings: QuickBooksCompanies, realm: str) -> tuple[int, float]:
    started = time.monotonic()
    counts = sync_company(settings, realm)
    return sum(counts.values()), time.monotonic() - started


def _sync_all(
    settings: QuickBooksCompanies, realms: list[str], workers: int
) -> tuple[float, dict[str, int], list[float]]:
    started = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:  # each sync waits on a tap process of its own
        done = list(pool.map(lambda realm: _timed_sync(settings, realm), realms))
    counts = {realm: n for realm, (n, _) in zip(realms, done, strict=True)}
    return time.monotonic() - started, counts, sorted(seconds for _, seconds in done)


def measure(
    companies: int, size: int, workers: int, latency_per_row: float, latency_per_request: float
) -> dict[str, Any]:
    """Run the benchmark; the figures as a dict."""
    work = Path(tempfile.mkdtemp(prefix="bench-many-"))
    context = multiprocessing.get_context("spawn")
    conn, child = context.Pipe()
    config = SandboxConfig(
        database=str(work / "sandbox.db"),
        realism=RealismConfig(latency_per_row=latency_per_row, latency_per_request=latency_per_request),
    )
    # One more company than measured at once: the one synced alone first (no state shared).
    sandbox = context.Process(target=_serve, args=(config, companies + 1, size, child), daemon=True)
    sandbox.start()
    url, client_id, client_secret, tokens, generated = conn.recv()
    realms = list(tokens)
    base = {
        "client_id": client_id,
        "client_secret": client_secret,
        "base_url": url,
        "token_store_url": f"sqlite:///{work / 'tokens.db'}",
        "reports": [],
    }
    for realm, refresh in tokens.items():  # as `tap-quickbooks auth` leaves each company
        store = open_store(ClientConfig.from_mapping({**base, "realm_id": realm}))
        store.write(Tokens(realm_id=realm, refresh_token=refresh))
    (work / "base.json").write_text(json.dumps(base))
    (work / "realms.txt").write_text("\n".join(realms) + "\n")
    settings = QuickBooksCompanies(
        base_config_path=str(work / "base.json"), realm_list_path=str(work / "realms.txt"), work_dir=str(work)
    )
    try:
        sandbox_cpu0, taps_cpu0 = cpu_seconds(sandbox.pid or 0), _children_cpu()
        one_wall, one_counts, _ = _sync_all(settings, realms[:1], 1)
        sandbox_cpu1, taps_cpu1 = cpu_seconds(sandbox.pid or 0), _children_cpu()
        machine1 = _machine_cpu()
        many_wall, many_counts, each = _sync_all(settings, realms[1:], workers)
        sandbox_cpu2, taps_cpu2 = cpu_seconds(sandbox.pid or 0), _children_cpu()
        machine2 = _machine_cpu()
    finally:
        conn.send("stop")
        conn.recv()
        sandbox.join(10)
        shutil.rmtree(work, ignore_errors=True)
    cores = os.cpu_count() or 1
    many_records = sum(many_counts.values())
    taps_cpu, sandbox_cpu = taps_cpu2 - taps_cpu1, sandbox_cpu2 - sandbox_cpu1
    busy = (taps_cpu + sandbox_cpu) / (many_wall * cores)
    # Every process's CPU, the benchmark's and others' (a shared machine): the cores' real load.
    machine_busy = (machine2[0] - machine1[0]) / max(1.0, machine2[1] - machine1[1])
    sandbox_busy = sandbox_cpu / many_wall
    if machine_busy >= 0.85:
        limit = (
            f"the machine's {cores} cores ({machine_busy:.0%} busy; this benchmark's processes "
            f"{busy:.0%}: taps {taps_cpu:.0f} s, sandbox {sandbox_cpu:.0f} s)"
        )
    elif sandbox_busy >= 0.85:
        limit = f"the sandbox's one process (it used {sandbox_busy:.0%} of a core)"
    else:
        limit = f"the API's latency and per-company limits (CPU {busy:.0%} busy)"
    return {
        "companies": companies,
        "size": size,
        "workers": workers,
        "cores": cores,
        "latency_per_row": latency_per_row,
        "latency_per_request": latency_per_request,
        "generate_seconds": round(generated, 1),
        "one": {
            "wall": round(one_wall, 2),
            "records": sum(one_counts.values()),
            "tap_cpu": round(taps_cpu1 - taps_cpu0, 2),
            "sandbox_cpu": round(sandbox_cpu1 - sandbox_cpu0, 2),
        },
        "many": {
            "wall": round(many_wall, 2),
            "records": many_records,
            "records_per_second": round(many_records / many_wall),
            "taps_cpu": round(taps_cpu, 2),
            "sandbox_cpu": round(sandbox_cpu, 2),
            "cpu_busy": round(busy, 3),
            "machine_cpu_busy": round(machine_busy, 3),
            "company_seconds_min_median_max": [
                round(each[0], 1),
                round(each[len(each) // 2], 1),
                round(each[-1], 1),
            ],
        },
        "ratio_many_to_one": round(many_wall / one_wall, 2),
        "serial_estimate": round(one_wall * companies, 1),
        "largest_tap_peak_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "limited_by": limit,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--companies", type=int, default=20, help="companies synced at once (default 20)")
    parser.add_argument("--size", type=int, default=5000, help="transactions per company (default 5000)")
    parser.add_argument("--workers", type=int, default=0, help="syncs at the same time (default: all)")
    parser.add_argument("--latency-per-row", type=float, default=0.001)
    parser.add_argument("--latency-per-request", type=float, default=0.05)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args()
    result = measure(
        args.companies,
        args.size,
        args.workers or args.companies,
        args.latency_per_row,
        args.latency_per_request,
    )
    if args.json:
        print(json.dumps(result))
        return
    one, many = result["one"], result["many"]
    print(
        f"{result['companies']} companies x {result['size']} transactions, {result['workers']} at once, "
        f"{result['cores']} cores (companies generated in {result['generate_seconds']} s)"
    )
    print(f"  one company alone: {one['wall']} s, {one['records']} records, tap CPU {one['tap_cpu']} s")
    print(
        f"  {result['companies']} at once:     {many['wall']} s, {many['records']} records "
        f"({many['records_per_second']}/s), taps CPU {many['taps_cpu']} s, sandbox CPU {many['sandbox_cpu']} s"
    )
    low, median, high = many["company_seconds_min_median_max"]
    print(
        f"  each company's sync: {low} s to {high} s (median {median} s); machine CPU "
        f"{many['machine_cpu_busy']:.0%} busy, this benchmark's processes {many['cpu_busy']:.0%}"
    )
    print(
        f"  {result['ratio_many_to_one']}x one company's wall time (one after another: "
        f"~{result['serial_estimate']} s); largest tap peak {result['largest_tap_peak_mb']} MB"
    )
    print(f"  limited by: {result['limited_by']}")


if __name__ == "__main__":
    main()
