"""The benchmarks ``make bench`` runs: the tap's full sync and the target's write, in one table.

    .venv/bin/python bench/run.py [--quick] [--no-cost]

Each benchmark runs as a subprocess of its own script with ``--json`` (so each measures its own
process's memory and none inherits the other's), and this script prints one table: workload,
wall time, requests, records per second, peak memory, and the floor the API's limits set.

Full sizes: the tap against a 100,000-transaction company (QBO's limits, about 1 s per 1000-row
page), the target writing 10,000 invoices with 400 customers and 40 items. ``--quick``: 10,000
transactions and 1,000 invoices with 100 customers and 20 items.

The floors: for the tap, pages / 10 in flight x the time of a page; for the target, the batch
limit (40 batches of 30 in a sliding minute: the last of n batches cannot start before
(n - 1) // 40 minutes), in the real seconds of the run (its sandbox keeps a minute of
60 / time_scale seconds, see bench_target.py). Each script's own output says more (its --json
figures are written with --json here). On a shared machine the figures vary between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def run_script(name: str, *args: str) -> dict[str, Any]:
    """One benchmark script's figures (its ``--json`` output)."""
    command = [sys.executable, str(HERE / name), "--json", *args]
    print(f"running {' '.join([name, *args])} ...", file=sys.stderr, flush=True)
    done = subprocess.run(command, capture_output=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr.decode(errors="replace")[-4000:])
        raise SystemExit(f"{name} failed (exit {done.returncode})")
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def tap_rows(r: dict[str, Any]) -> list[list[str]]:
    full, quiet = r["full"], r["quiet"]
    floor = r["floor"]
    rows = [
        [
            f"tap full sync, {r['size']:,} transactions ({full['records']:,} records, {r['pages']} pages)",
            f"{full['wall']:.1f} s",
            str(full["requests"]),
            f"{full['records'] / full['wall']:,.0f}",
            f"{full['peak_mb']:.0f} MB",
            f"{floor:.1f} s ({r['pages']} pages / {r['in_flight']} x {r['page_time']:.2f} s); "
            f"ratio {full['wall'] / floor:.2f}",
        ],
        [
            "tap incremental run, nothing changed",
            f"{quiet['wall']:.1f} s",
            str(quiet["requests"]),
            "-",
            f"{quiet['peak_mb']:.0f} MB",
            "-",
        ],
    ]
    if "alone" in r:
        alone, idle, base = r["alone"], r["idle"], r["baseline"]
        per_record = (alone["cpu"] - idle["cpu"]) / alone["records"]
        per_base = base["cpu"] / base["records"]
        rows.append(
            [
                "tap own cost, no latency or limits (CPU per record vs json.loads+dumps)",
                f"{alone['wall']:.1f} s",
                str(alone["requests"]),
                f"{alone['records'] / alone['wall']:,.0f}",
                f"{alone['peak_mb']:.0f} MB",
                f"{per_record * 1e6:.0f} us vs {per_base * 1e6:.0f} us a record ({per_record / per_base:.2f}x)",
            ]
        )
    return rows


def target_rows(r: dict[str, Any]) -> list[list[str]]:
    wall, floor = r["wall"], r["floor"]
    if floor:
        limit = (
            f"{floor:.1f} s ({r['floor_qbo_minutes']} QBO min: {r['batches_needed']} batches, 40 a sliding "
            f"minute); ratio {wall / floor:.2f}"
        )
    else:
        limit = f"none: {r['batches_needed']} batches fit in the first minute's 40"
    return [
        [
            f"target write, {r['invoices']:,} invoices + {r['customers']} customers + {r['items']} items "
            f"(time_scale {r['time_scale']:g})",
            f"{wall:.1f} s ({r['wall_qbo_minutes']:.2f} QBO min)",
            str(r["requests"]),
            f"{r['records'] / wall:,.0f} ({r['records'] / (r['wall_qbo_minutes'] * 60):.1f} in QBO time)",
            f"{r['peak_mb']:.0f} MB",
            limit,
        ]
    ]


def table(rows: list[list[str]]) -> str:
    head = ["workload", "wall time", "requests", "records/s", "peak memory", "floor set by the API limits"]
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return "\n".join([line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a few minutes in all)")
    parser.add_argument("--no-cost", action="store_true", help="leave out the tap's CPU-cost runs")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args()

    tap_args = ["--size", "10000" if args.quick else "100000"]
    if args.no_cost:
        tap_args.append("--no-cost")
    target_args = ["--invoices", "1000", "--customers", "100", "--items", "20"] if args.quick else []
    tap = run_script("bench_tap.py", *tap_args)
    target = run_script("bench_target.py", *target_args)

    print(
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
        f"{' (--quick sizes)' if args.quick else ''}"
    )
    print(table(tap_rows(tap) + target_rows(target)))
    if args.json:
        args.json.write_text(json.dumps({"tap": tap, "target": target}, indent=2))


if __name__ == "__main__":
    main()
