"""Sandbox benchmarks: sample-company generation and load, and query throughput over HTTP.

    .venv/bin/python bench/bench_sandbox.py [--size 100000] [--pages 40]

Prints one table: workload, wall time, rows, rows per second, peak memory of this process.
The server runs in this process (a thread), with the service limits off so that the figures are
the sandbox's own speed, not the throttle's.
"""

from __future__ import annotations

import argparse
import platform
import resource
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from qbo_sandbox.app import Sandbox
from qbo_sandbox.config import LimitsConfig, SandboxConfig
from qbo_sandbox.sample_company import generate
from qbo_sandbox.server import SandboxServer
from qbo_sandbox.testing import RunningSandbox, issue_credentials


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100_000, help="transactions in the company")
    parser.add_argument("--pages", type=int, default=40, help="1000-row pages to fetch per object")
    args = parser.parse_args()
    now = datetime.now(ZoneInfo("America/Los_Angeles"))
    rows: list[tuple[str, float, int]] = []

    started = time.perf_counter()
    generated = list(generate(7, args.size, now=now))
    rows.append(
        (f"generate sample company --size {args.size}", time.perf_counter() - started, len(generated))
    )

    with tempfile.TemporaryDirectory() as tmp:
        config = SandboxConfig(
            database=str(Path(tmp) / "bench.db"),
            limits=LimitsConfig(requests_per_minute=None, concurrent=None, batch_per_minute=None),
        )
        sandbox = Sandbox(config)
        started = time.perf_counter()
        realm = sandbox.store.create_realm()
        counts = sandbox.service.load(realm, generated)
        rows.append(
            ("load into SQLite (with ledger postings)", time.perf_counter() - started, sum(counts.values()))
        )
        del generated

        # The service alone (no HTTP, no client-side JSON parsing): what the server spends per page.
        started = time.perf_counter()
        served = 0
        for page in range(args.pages):
            text = sandbox.service.query(
                realm,
                "SELECT * FROM Invoice ORDERBY MetaData.LastUpdatedTime "
                f"STARTPOSITION {page * 1000 + 1} MAXRESULTS 1000",
            )
            if '"Invoice"' not in text:
                break
            served += text.count('"DocNumber"')
        rows.append(("serve Invoice pages in-process (no HTTP)", time.perf_counter() - started, served))

        server = SandboxServer(sandbox).start()
        running = RunningSandbox(server, issue_credentials(sandbox, realm))
        http = running.session()
        try:
            for entity in ("Invoice", "Customer"):
                fetched = 0
                pages = 0
                started = time.perf_counter()
                position = 1
                while pages < args.pages:
                    answer = http.get(
                        f"{running.company_url}/query",
                        params={
                            "query": f"SELECT * FROM {entity} ORDERBY MetaData.LastUpdatedTime "
                            f"STARTPOSITION {position} MAXRESULTS 1000"
                        },
                        timeout=60,
                    ).json()["QueryResponse"]
                    got = len(answer.get(entity, []))
                    if not got:
                        break
                    fetched += got
                    pages += 1
                    position += got
                rows.append(
                    (
                        f"query {entity} in 1000-row pages ({pages} pages)",
                        time.perf_counter() - started,
                        fetched,
                    )
                )
            started = time.perf_counter()
            for _ in range(20):
                http.get(
                    f"{running.company_url}/reports/TrialBalance",
                    params={"date_macro": "This Fiscal Year"},
                    timeout=60,
                ).raise_for_status()
            rows.append(("TrialBalance report x20", time.perf_counter() - started, 20))
        finally:
            server.stop()

    print(
        f"machine: {platform.machine()} {platform.processor() or ''} python {platform.python_version()}, "
        f"{__import__('os').cpu_count()} cores"
    )
    print(f"{'workload':<55}{'wall s':>10}{'rows':>10}{'rows/s':>12}")
    for name, wall, count in rows:
        print(f"{name:<55}{wall:>10.2f}{count:>10}{count / wall if wall else 0:>12.0f}")
    print(f"peak memory of the process: {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
