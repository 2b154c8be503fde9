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
time against the floor the batch limit sets (records / 30 per batch / 40 batches a minute), and
records per second, in real seconds and in QBO terms.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--customers", type=int, default=400)
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--time-scale", type=float, default=3.0)
    args = parser.parse_args()
    scale = args.time_scale

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
            text = "".join(json.dumps(m) + "\n" for m in messages(args.invoices, args.customers, args.items))
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
    records = args.invoices + args.customers + args.items
    counts, stats = target.counts, target.client_stats
    created = counts.get("create", 0)
    batches = sum(math.ceil(n / 30) for n in (args.invoices, args.customers, args.items))
    floor_minutes = records / 30 / 40
    wall_minutes = wall * scale / 60
    rows = [
        ("records in", records),
        ("records written (created)", created),
        ("invoices read back", written),
        ("dead letters", dead_count),
        ("requests (batches, lookups, token)", stats["requests"]),
        ("  of which retried / throttled (429)", f"{stats['retries']} / {stats['throttled']}"),
        ("batch requests needed at 30 a batch", batches),
        (
            "requests per record written",
            f"{stats['requests'] / max(1, created):.4f} (1/{created / max(1, stats['requests']):.1f})",
        ),
        ("wall time, real seconds", f"{wall:.1f}"),
        ("wall time, QBO minutes (x time_scale / 60)", f"{wall_minutes:.2f}"),
        ("floor: records / 30 / 40 a minute, QBO minutes", f"{floor_minutes:.2f}"),
        ("wall / floor", f"{wall_minutes / floor_minutes:.2f}"),
        ("records per second, real (this sandbox)", f"{records / wall:.0f}"),
        ("records per second, QBO (at its limits)", f"{records / (wall_minutes * 60):.1f}"),
        (
            "CPU seconds: target process / sandbox process",
            f"{target_cpu.ru_utime + target_cpu.ru_stime:.0f} / {sandbox_cpu.ru_utime + sandbox_cpu.ru_stime:.0f}",
        ),
        (
            "peak memory of the target process, MB",
            f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}",
        ),
    ]
    print(
        f"target-quickbooks: {args.invoices} invoices, {args.customers} customers, {args.items} items; time_scale {scale:g}"
    )
    for name, value in rows:
        print(f"  {name:<48} {value}")


if __name__ == "__main__":
    main()
