"""target-quickbooks benchmark: 10,000 invoices, with their customers and items, into a sandbox
that enforces QuickBooks' limits (500 requests and 40 batch requests a minute, 10 in flight).

    .venv/bin/python bench/bench_target.py [--invoices 10000] [--customers 400] [--items 40] [--time-scale 3]

The sandbox runs in its own process (``qbo-sandbox serve``) with the limits on a clock
``time_scale`` times faster (a "minute" lasts 60/time_scale real seconds), and the target's
limiter is told the same window. Latency is real (loopback) and the sandbox's own processing is
not scaled, so a sandbox minute stands for a QBO minute only while the limits, not the sandbox,
are the bottleneck: the sandbox spends about 12 ms of CPU per invoice it creates (about 3 batches
of 30 a second), so the batch limit (40 a minute) stays the bottleneck up to a time_scale of
about 3-4; above that the figures measure the sandbox. Then the run's wall time in
sandbox minutes (wall seconds x time_scale / 60) is what the same run costs against QuickBooks
(QBO's own latency, ~0.3-1 s a batch with 10 in flight, stays inside the 1.5 s a batch the
40-a-minute limit allows).

Prints: records written, requests (including lookups and the token), requests per record, wall
time against the floor the batch limit sets (a sliding minute of 40 batches: the last of n batches
cannot start before (n - 1) // 40 minutes) and against the long-run rate it allows (records / 30
per batch / 40 batches a minute), and
records per second, in real seconds and in QBO terms. ``--json`` prints the figures as one JSON
object instead (what ``bench/run.py`` reads); :func:`measure` returns them to a caller in Python.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from qbo_client.client import QBOClient
from target_quickbooks.target import TargetQuickBooks


def messages(invoices: int, customers: int, items: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {"type": "SCHEMA", "stream": "invoices", "schema": {"properties": {}}, "key_properties": []},
        {"type": "SCHEMA", "stream": "customers", "schema": {"properties": {}}, "key_properties": []},
        {"type": "SCHEMA", "stream": "items", "schema": {"properties": {}}, "key_properties": []},
    ]
    # invoices first: the target must hold them until their customers and items are written
    for n in range(invoices):
        lines = []
        for k in range(1 + n % 3):
            qty, price = 1 + (n + k) % 5, 10 + (n * 7 + k) % 90
            lines.append(
                {
                    "Amount": qty * price,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {
                        "ItemRef": {"name": f"Bench item {(n + k) % items}"},
                        "Qty": qty,
                        "UnitPrice": price,
                    },
                }
            )
        record = {
            "DocNumber": f"B-{n:06d}",
            "TxnDate": f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}",
            "CustomerRef": {"name": f"Bench customer {n % customers}"},
            "Line": lines,
        }
        out.append({"type": "RECORD", "stream": "invoices", "record": record})
    for n in range(customers):
        body = {"DisplayName": f"Bench customer {n}", "PrimaryEmailAddr": {"Address": f"c{n}@example.com"}}
        out.append({"type": "RECORD", "stream": "customers", "record": body})
    for n in range(items):
        body = {"Name": f"Bench item {n}", "Type": "Service", "IncomeAccountRef": {"name": "Services"}}
        out.append({"type": "RECORD", "stream": "items", "record": body})
    out.append({"type": "STATE", "value": {"bench": "done"}})
    return out


def start_sandbox(tmp: Path, scale: float) -> tuple[subprocess.Popen[str], str, dict[str, str]]:
    """``qbo-sandbox serve`` with the sample company, in its own process; its URL and credentials."""
    creds_file = tmp / "credentials.json"
    command = [sys.executable, "-m", "qbo_sandbox.cli", "serve", "--port", "0", "--seed", "1"]
    command += ["--time-scale", str(scale), "--credentials-file", str(creds_file), "--log-level", "warning"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    url = server.stdout.readline().strip()
    for _ in range(400):
        if creds_file.exists() and creds_file.stat().st_size:
            break
        time.sleep(0.05)
    return server, url, json.loads(creds_file.read_text())


def measure(
    invoices: int = 10_000, customers: int = 400, items: int = 40, scale: float = 3.0
) -> dict[str, Any]:
    """Run the benchmark; its figures as plain data (seconds, counts, MB)."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        server, url, creds = start_sandbox(tmp, scale)
        try:
            config = {
                **{k: creds[k] for k in ("client_id", "client_secret", "refresh_token", "realm_id")},
                "base_url": url,
                "token_store_path": str(tmp / "tokens.json"),
                "dead_letter_path": str(tmp / "dead.jsonl"),
                "spool_dir": str(tmp / "spool"),
                "rate_limit_window_seconds": 60.0 / scale,
            }
            text = "".join(json.dumps(m) + "\n" for m in messages(invoices, customers, items))
            target = TargetQuickBooks(config=config)
            started = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                target.process_lines(io.StringIO(text))
                target.process_endofpipe()
            wall = time.perf_counter() - started
            client = QBOClient.from_config(config)
            written = client.count("Invoice", "DocNumber LIKE 'B-%'")
            dead = Path(config["dead_letter_path"])
            dead_count = len(dead.read_text().splitlines()) if dead.exists() else 0
        finally:
            server.terminate()
            server.wait(timeout=10)

    sandbox_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    target_cpu = resource.getrusage(resource.RUSAGE_SELF)
    records = invoices + customers + items
    counts, stats = target.counts, target.client_stats
    batches = sum(math.ceil(n / 30) for n in (invoices, customers, items))
    # The batch limit is a sliding minute: the first 40 batches go at once, each further 40 a
    # minute later, so the last batch cannot start before (batches - 1) // 40 minutes. The rate
    # it allows in the long run, records / 30 / 40 a minute, is the floor of a run of many minutes.
    floor_minutes = (batches - 1) // 40
    sustained_minutes = records / 30 / 40
    return {
        "machine": {
            "platform": platform.platform(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "invoices": invoices,
        "customers": customers,
        "items": items,
        "time_scale": scale,
        "records": records,
        "created": counts.get("create", 0),
        "read_back": written,
        "dead_letters": dead_count,
        "requests": stats["requests"],
        # every request the target made, the OAuth token's included, by kind (batch, query, post, ...)
        "requests_by_kind": {k[9:]: v for k, v in stats.items() if k.startswith("requests_")},
        "retries": stats["retries"],
        "throttled": stats["throttled"],
        "batches_needed": batches,
        "wall": wall,
        "wall_qbo_minutes": wall * scale / 60,
        "floor_qbo_minutes": floor_minutes,
        "sustained_floor_qbo_minutes": sustained_minutes,
        # The floor in this run's real seconds (a sandbox minute lasts 60 / time_scale seconds).
        "floor": floor_minutes * 60 / scale,
        "target_cpu": target_cpu.ru_utime + target_cpu.ru_stime,
        "sandbox_cpu": sandbox_cpu.ru_utime + sandbox_cpu.ru_stime,
        "peak_mb": target_cpu.ru_maxrss / 1024,
    }


def print_report(r: dict[str, Any]) -> None:
    created, requests = r["created"], r["requests"]
    wall, wall_minutes, floor_minutes = r["wall"], r["wall_qbo_minutes"], r["floor_qbo_minutes"]
    sustained = r["sustained_floor_qbo_minutes"]
    rows = [
        ("records in", r["records"]),
        ("records written (created)", created),
        ("invoices read back", r["read_back"]),
        ("dead letters", r["dead_letters"]),
        ("requests (batches, lookups, token)", requests),
        ("  of which retried / throttled (429)", f"{r['retries']} / {r['throttled']}"),
        (
            "  by kind (the OAuth token's included)",
            ", ".join(f"{k} {v}" for k, v in r["requests_by_kind"].items()),
        ),
        ("batch requests needed at 30 a batch", r["batches_needed"]),
        (
            "requests per record written",
            f"{requests / max(1, created):.4f} (1/{created / max(1, requests):.1f})",
        ),
        ("wall time, real seconds", f"{wall:.1f}"),
        ("wall time, QBO minutes (x time_scale / 60)", f"{wall_minutes:.2f}"),
        ("floor: last batch's wait in the sliding minute, QBO min", f"{floor_minutes:.2f}"),
        ("wall / floor", f"{wall_minutes / floor_minutes:.2f}" if floor_minutes else "-"),
        ("records / 30 / 40 a minute (the long-run rate), QBO min", f"{sustained:.2f}"),
        ("wall / that", f"{wall_minutes / sustained:.2f}"),
        ("records per second, real (this sandbox)", f"{r['records'] / wall:.0f}"),
        ("records per second, QBO (at its limits)", f"{r['records'] / (wall_minutes * 60):.1f}"),
        ("CPU seconds: target process / sandbox process", f"{r['target_cpu']:.0f} / {r['sandbox_cpu']:.0f}"),
        ("peak memory of the target process, MB", f"{r['peak_mb']:.0f}"),
    ]
    print(
        f"target-quickbooks: {r['invoices']} invoices, {r['customers']} customers, {r['items']} items; "
        f"time_scale {r['time_scale']:g}"
    )
    for name, value in rows:
        print(f"  {name:<56} {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--customers", type=int, default=400)
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--time-scale", type=float, default=3.0)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    result = measure(args.invoices, args.customers, args.items, args.time_scale)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_report(result)


if __name__ == "__main__":
    main()
