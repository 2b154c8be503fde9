"""Time the sample-company generator at a large size and count what it made, per object.

    .venv/bin/python bench/bench_generate.py              # 100,000 transactions
    .venv/bin/python bench/bench_generate.py --size 20000 --serialize

``--serialize`` also times ``json.dumps`` of every payload, the least a loader does with them.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

from qbo_client import catalog
from qbo_sandbox.sample_company import generate

#: A fixed "now", so runs are comparable (the output depends only on seed, size and now).
NOW = datetime(2025, 6, 15, 10, 30, tzinfo=timezone(timedelta(hours=-7)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="number of transactions (default 100,000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--serialize", action="store_true", help="also time json.dumps of every payload")
    args = parser.parse_args(argv)

    counts: Counter[str] = Counter()
    payloads = []
    start = time.perf_counter()
    for name, payload in generate(args.seed, args.size, now=NOW):
        counts[name] += 1
        payloads.append(payload)
    elapsed = time.perf_counter() - start

    transactions = sum(n for name, n in counts.items() if catalog.get(name).is_transaction)
    print(
        f"generate(seed={args.seed}, size={args.size:,}): {sum(counts.values()):,} objects, "
        f"{transactions:,} transactions in {elapsed:.2f} s"
    )
    width = max(map(len, counts))
    for name in catalog.names():
        print(f"  {name:<{width}}  {counts[name]:>8,}")

    if args.serialize:
        start = time.perf_counter()
        size = sum(len(json.dumps(p)) for p in payloads)
        print(f"json.dumps of every payload: {time.perf_counter() - start:.2f} s, {size / 1e6:,.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
