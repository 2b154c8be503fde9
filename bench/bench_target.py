"""target-quickbooks benchmark: 10,000 invoices, with their customers and items, into a sandbox
that enforces QuickBooks' limits (500 requests and 40 batch requests a minute, 10 in flight).

    .venv/bin/python bench/bench_target.py [--invoices 10000] [--customers 400] [--items 40] [--time-scale 60]

The sandbox runs the limits on a clock ``time_scale`` times faster (a "minute" lasts 60/time_scale
real seconds) and the target's limiter is told the same window; latency is real (loopback) and the
sandbox's own processing is not scaled. So a sandbox minute stands for a QBO minute: the run's
wall time in sandbox minutes (wall seconds x time_scale / 60) is what the same run costs against
QuickBooks when the limits are the bottleneck (QBO's own latency, ~0.3-1 s a batch with 10 in
flight, stays well inside the 1.5 s a batch the 40/minute limit allows).

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
import tempfile
import time
from pathlib import Path
from typing import Any

from qbo_client.client import QBOClient
from qbo_sandbox.config import LimitsConfig, SandboxConfig
from qbo_sandbox.testing import start_sandbox
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--customers", type=int, default=400)
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--time-scale", type=float, default=5.0)
    args = parser.parse_args()
    scale = args.time_scale

    running = start_sandbox(SandboxConfig(limits=LimitsConfig(time_scale=scale)), seed=1)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = {
                **running.credentials.as_dict(),
                "base_url": running.url,
                "token_store_path": str(Path(tmp) / "tokens.json"),
                "dead_letter_path": str(Path(tmp) / "dead.jsonl"),
                "spool_dir": str(Path(tmp) / "spool"),
                "rate_limit_window_seconds": 60.0 / scale,
            }
            text = "".join(json.dumps(m) + "\n" for m in messages(args.invoices, args.customers, args.items))
            target = TargetQuickBooks(config=config)
            stats = running.sandbox.limits.stats
            stats.reset()
            started = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                target.process_lines(io.StringIO(text))
                target.process_endofpipe()
            wall = time.perf_counter() - started
            server = stats.snapshot()
            client = QBOClient.from_config(config)
            written = client.count("Invoice", "DocNumber LIKE 'B-%'")
            dead = Path(config["dead_letter_path"])
            dead_count = len(dead.read_text().splitlines()) if dead.exists() else 0
    finally:
        running.server.stop()

    records = args.invoices + args.customers + args.items
    counts, requests = target.counts, target.client_stats["requests"]
    batches = sum(math.ceil(n / 30) for n in (args.invoices, args.customers, args.items))
    floor_minutes = records / 30 / 40
    wall_minutes = wall * scale / 60
    rows = [
        ("records in", records),
        ("records written (created)", counts.get("create", 0)),
        ("invoices read back", written),
        ("dead letters", dead_count),
        ("requests by the target (client)", requests),
        ("API requests seen by the sandbox", server["requests"]),
        ("throttled (429 from the sandbox)", server["throttled"]),
        ("batch requests needed at 30 a batch", batches),
        (
            "requests per record written",
            f"{requests / max(1, counts.get('create', 0)):.4f} (1/{counts.get('create', 0) / max(1, requests):.1f})",
        ),
        ("wall time, real seconds", f"{wall:.1f}"),
        ("wall time, QBO minutes (x time_scale)", f"{wall_minutes:.2f}"),
        ("floor: records/30/40 per minute, QBO minutes", f"{floor_minutes:.2f}"),
        ("wall / floor", f"{wall_minutes / floor_minutes:.2f}"),
        ("records per real second (this sandbox)", f"{records / wall:.0f}"),
        ("records per QBO second (at the limits)", f"{records / (wall_minutes * 60):.1f}"),
        (
            "peak memory of this process, MB",
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
