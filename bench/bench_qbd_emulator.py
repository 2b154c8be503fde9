"""QuickBooks Desktop emulator benchmark: build a large sample company, then read it page by page.

    .venv/bin/python bench/bench_qbd_emulator.py [--size 100000] [--company FILE] [--json]

1. Builds a sample company of ``--size`` transactions (``qbd_sandbox.sample.seed_company``, through
   the company's Python API: the same code paths as qbXML Adds) and times it.
2. Reads the biggest transaction type and the biggest list in full, as a connector does through
   the Web Connector: ``XxxQueryRq iterator="Start"`` then ``"Continue"`` with ``MaxReturned`` 100
   (and ``IncludeLineItems`` for transactions), timing each ``company.process`` call: what the
   emulated QuickBooks spends per page, without SOAP or HTTP.

Prints the build time and, per object, pages, records, median and p95 milliseconds per page and
records per second (``--json``: the same figures as JSON). ``--company FILE`` keeps the company in
FILE, and reuses it when it already exists. Figures vary with the machine and its load; nothing
here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from qbd_client import catalog, qbxml
from qbd_sandbox.company import Company, CompanyConfig
from qbd_sandbox.sample import seed_company

#: The history ends here, so that every run builds the same company.
NOW = datetime(2025, 6, 30, 17, 0, tzinfo=timezone.utc)
PAGE = 100
SESSION = "bench"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def build(path: Path, size: int) -> dict[str, Any]:
    company = Company(path, CompanyConfig(clock=lambda: NOW))
    try:
        started = time.perf_counter()
        counts = seed_company(company, seed=1, size=size, now=NOW)
        seconds = time.perf_counter() - started
    finally:
        company.close()
    transactions = sum(counts[spec.name] for spec in catalog.objects(catalog.Kind.TRANSACTION))
    return {
        "seconds": round(seconds, 1),
        "records": sum(counts.values()),
        "transactions": transactions,
        "transactions_per_second": round(transactions / seconds) if seconds else None,
    }


def read_all(company: Company, object_name: str) -> dict[str, Any]:
    """Read every record of ``object_name`` in pages of PAGE through an iterator; time each page."""
    spec = catalog.get(object_name)
    fields: dict[str, Any] = {"MaxReturned": PAGE}
    if spec.is_list:
        fields["ActiveStatus"] = "All"
    elif spec.line_items:
        fields["IncludeLineItems"] = True
    times: list[float] = []
    records = 0
    attrs = {"iterator": "Start"}
    while True:
        document = qbxml.message_set([qbxml.build(spec.query_rq, fields, request_id="1", **attrs)])
        started = time.perf_counter()
        answer = company.process(document, SESSION)
        times.append(time.perf_counter() - started)
        (response,) = qbxml.parse_response(answer).responses
        if not response.ok:
            raise SystemExit(f"{spec.query_rq} failed: {response.status_code} {response.status_message}")
        records += len(response.rets)
        if not response.iterator_remaining:
            break
        attrs = {"iterator": "Continue", "iteratorID": str(response.iterator_id)}
    company.end_session(SESSION)
    total = sum(times)
    return {
        "object": object_name,
        "pages": len(times),
        "records": records,
        "median_ms_per_page": round(statistics.median(times) * 1000, 2),
        "p95_ms_per_page": round(percentile(times, 0.95) * 1000, 2),
        "records_per_second": round(records / total) if total else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--size", type=int, default=100_000, help="transactions in the company (default 100000)"
    )
    parser.add_argument("--company", type=Path, help="keep the company in this file (reused when it exists)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.size < 1:
        parser.error("--size must be at least 1")

    with tempfile.TemporaryDirectory() as tmp:
        path = args.company or Path(tmp) / "bench.qbw"
        built: dict[str, Any] | None = None
        if not path.exists():
            print(f"building a sample company of {args.size} transactions ...", file=sys.stderr, flush=True)
            built = build(path, args.size)
        company = Company(path, CompanyConfig(clock=lambda: NOW))
        try:
            transactions = [spec.name for spec in catalog.objects(catalog.Kind.TRANSACTION)]
            lists = [spec.name for spec in catalog.objects(catalog.Kind.LIST) if spec.iterator]
            biggest_txn = max(transactions, key=company.count)
            biggest_list = max(lists, key=company.count)
            reads = [read_all(company, biggest_txn), read_all(company, biggest_list)]
        finally:
            company.close()

    figures = {
        "size": args.size,
        "build": built,
        "reads": reads,
        "page_size": PAGE,
        "peak_mb": round(peak_mb()),
        "python": platform.python_version(),
    }
    if args.json:
        print(json.dumps(figures))
        return 0
    if built:
        print(
            f"build: {built['transactions']} transactions ({built['records']} records) in {built['seconds']} s, "
            f"{built['transactions_per_second']} transactions/s"
        )
    else:
        print(f"build: reused {path}")
    print(f"{'object':18} {'pages':>6} {'records':>8} {'median ms':>10} {'p95 ms':>8} {'records/s':>10}")
    for read in reads:
        print(
            f"{read['object']:18} {read['pages']:>6} {read['records']:>8} {read['median_ms_per_page']:>10} "
            f"{read['p95_ms_per_page']:>8} {read['records_per_second']:>10}"
        )
    print(f"peak memory {figures['peak_mb']} MB, Python {figures['python']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
