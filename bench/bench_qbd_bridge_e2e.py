"""QuickBooks Desktop end to end: a full read of a large emulated company through the bridge and the emulator.

    .venv/bin/python bench/bench_qbd_bridge_e2e.py [--size 100000] [--page 100] [--seed 1] [--json]

The company file is made once by the sample generator (``--size`` transactions, about as many list
entries as a business of that size has) and cached under the temporary folder
(``$TMPDIR/qbd-bench/``); the first run spends minutes on it, later runs none. The bridge runs as
its own process (``qbd-bridge serve --port 0``, a temporary SQLite file), so its memory is its own.
A client queues one query per object of the catalog (lists with ``ActiveStatus=All``, transactions
with their lines, pages of ``--page`` records through iterators) through the bridge's JSON API and
reads the answers while the Web Connector emulator runs the session over HTTP SOAP, relaying every
page to the company file.

Figures: wall time, SOAP calls and request/answer pairs, records read against records held, the
bridge's time per pair as the Web Connector sees it (HTTP included) and the bridge process's CPU
time per pair (its SOAP side and its API serving the answers to the reader) beside the company's own
time per page, and the bridge process's resident memory along the read and its
peak (VmHWM, from /proc). Goals: under 5 ms of bridge per pair, memory flat whatever the size.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from procstats import cpu_seconds, proc_status
from qbd_client import catalog, qbxml
from qbd_client.client import BridgeClient
from qbd_sandbox.company import Company
from qbd_sandbox.webconnector import WebConnector

BIN = Path(sys.executable).parent / "qbd-bridge"
#: The sample company's history ends here, so that the cached file is the same on every run.
NOW = datetime(2024, 6, 28, 17, 0, tzinfo=timezone.utc)


def bridge_cli(db: Path, *argv: str) -> str:
    done = subprocess.run([str(BIN), *argv, "--db", str(db)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"qbd-bridge {' '.join(argv)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def company_file(size: int, seed: int) -> tuple[Path, float | None]:
    """The cached sample company of ``size`` transactions (built when missing), and the seconds it took."""
    from qbd_sandbox.sample import seed_company

    folder = Path(tempfile.gettempdir()) / "qbd-bench"
    folder.mkdir(exist_ok=True)
    path = folder / f"company-seed{seed}-size{size}.qbw"
    if path.exists():
        return path, None
    building = path.with_name(path.name + ".building")
    for leftover in folder.glob(building.name + "*"):
        leftover.unlink()
    print(f"building the sample company of {size} transactions (once; cached at {path}) ...", file=sys.stderr)
    started = time.perf_counter()
    with Company(building) as company:
        seed_company(company, seed=seed, size=size, now=NOW)
    os.replace(building, path)
    return path, time.perf_counter() - started


def full_read(page: int) -> list[tuple[str, bytes]]:
    """One query per list and transaction of the catalog, as a tap's full sync asks them."""
    out = []
    for spec in catalog.OBJECTS:
        if spec.is_report:
            continue
        fields: dict[str, Any] = {}
        attrs: dict[str, str] = {}
        if spec.iterator:
            fields["MaxReturned"] = page
            attrs["iterator"] = "Start"
        if spec.is_list:
            fields["ActiveStatus"] = "All"
        if spec.line_items:
            fields["IncludeLineItems"] = True
        try:
            request = qbxml.build(spec.query_rq, fields, request_id=spec.name, **attrs)
        except qbxml.QbxmlError:
            fields.pop("ActiveStatus", None)  # a list whose query has no ActiveStatus
            request = qbxml.build(spec.query_rq, fields, request_id=spec.name, **attrs)
        out.append((spec.name, qbxml.message_set([request])))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=100_000, help="transactions in the sample company")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--page", type=int, default=100, help="records per page (MaxReturned)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    figures: dict[str, Any] = {"size": args.size, "page": args.page, "machine": platform.machine()}

    path, built = company_file(args.size, args.seed)
    if built is not None:
        figures["company_build_seconds"] = round(built, 1)
    figures["company_file_mb"] = round(path.stat().st_size / 2**20, 1)
    queries = full_read(args.page)

    with tempfile.TemporaryDirectory() as tmp:
        # A copy: a read keeps no message set (only writes are kept for oldMessageSetID recovery),
        # but its iterators pass through the file, and the cached company stays as it was built.
        copy = Path(tmp) / "company.qbw"
        shutil.copyfile(path, copy)
        company = Company(copy)
        held = {name: company.count(name) for name, _ in queries}
        expected_pairs = sum(max(1, math.ceil(n / args.page)) for n in held.values())
        db = Path(tmp) / "bridge.db"
        qwc = Path(tmp) / "bench.qwc"
        password = bridge_cli(
            db, "company", "add", "bench", "--url", "http://localhost/qbwc", "--qwc-out", str(qwc)
        )
        token = bridge_cli(db, "token", "create")
        log = (Path(tmp) / "server.log").open("w")
        server = subprocess.Popen(
            [str(BIN), "serve", "--db", str(db), "--port", "0", "--log-level", "warning"],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            assert server.stdout is not None
            url = server.stdout.readline().strip()
            port = url.rsplit(":", 1)[1]
            bridge_cli(
                db, "company", "qwc", "bench", "--url", f"http://localhost:{port}/qbwc", "--qwc-out", str(qwc)
            )
            figures["bridge_rss_kb_idle"] = proc_status(server.pid)["VmRSS"]
            client = BridgeClient(url, token, "bench", timeout=60, poll_wait=5.0)
            job = client.submit([text for _, text in queries], label="full read")

            read: Counter[str] = Counter()
            lines = {"n": 0}

            def reader() -> None:
                for line in client.responses(job, wait_for_qbwc=120):
                    lines["n"] += 1
                    for response in line.responses:
                        read[response.request_id or "?"] += len(response.rets)

            thread = threading.Thread(target=reader, daemon=True)
            thread.start()

            wc = WebConnector(qwc, password, company, noop_wait=0.05, timeout=300)
            pair_ms: list[float] = []
            send_ms: list[float] = []
            answer_kb: list[float] = []
            rss: list[tuple[int, int]] = []
            step = max(1, expected_pairs // 10)
            call = wc.soap.call
            pending = {"send": 0.0}

            def timed(operation: str, *values: str | int) -> Any:
                started = time.perf_counter()
                try:
                    return call(operation, *values)
                finally:
                    spent = time.perf_counter() - started
                    if operation == "sendRequestXML":
                        pending["send"] = spent
                    elif operation == "receiveResponseXML":
                        pair_ms.append((pending["send"] + spent) * 1000)
                        send_ms.append(pending["send"] * 1000)
                        answer_kb.append(len(str(values[1]).encode()) / 1024)
                        if len(pair_ms) % step == 0:
                            rss.append((len(pair_ms), proc_status(server.pid)["VmRSS"]))

            wc.soap.call = timed  # type: ignore[method-assign]
            cpu_before = cpu_seconds(server.pid)
            started = time.perf_counter()
            reports = []
            while not client.job(job).finished and len(reports) < 20:
                reports.append(wc.run_session())
            session_seconds = time.perf_counter() - started
            bridge_cpu = cpu_seconds(server.pid) - cpu_before
            thread.join(timeout=600)
            wall = time.perf_counter() - started
            wc.close()
            figures["bridge_vmhwm_kb"] = proc_status(server.pid)["VmHWM"]
            figures["company_file_mb_after"] = round(copy.stat().st_size / 2**20, 1)
            figures["bridge_db_mb"] = round(
                sum(p.stat().st_size for p in Path(tmp).glob("bridge.db*")) / 2**20, 1
            )
        except BaseException:
            print((Path(tmp) / "server.log").read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
            company.close()

    pairs = sum(r.requests for r in reports)
    company_seconds = sum(r.company_seconds for r in reports)
    records = sum(read.values())
    figures.update(
        {
            "sessions": len(reports),
            "outcomes": [r.outcome for r in reports],
            "wall_seconds": round(wall, 2),
            "session_seconds": round(session_seconds, 2),
            "soap_calls": sum(r.round_trips for r in reports),
            "pairs": pairs,
            "responses_read": lines["n"],
            "records_read": records,
            "records_held": sum(held.values()),
            "complete": dict(read) == {k: v for k, v in held.items() if v},
            "records_per_second": round(records / wall) if wall else 0,
            "company_ms_per_page": round(company_seconds * 1000 / max(1, pairs), 2),
            "bridge_ms_per_pair_mean": round(statistics.fmean(pair_ms), 2) if pair_ms else None,
            "bridge_ms_per_pair_p50": round(statistics.median(pair_ms), 2) if pair_ms else None,
            "bridge_ms_per_pair_p95": round(sorted(pair_ms)[int(len(pair_ms) * 0.95) - 1], 2)
            if pair_ms
            else None,
            "bridge_cpu_ms_per_pair": round(bridge_cpu * 1000 / max(1, pairs), 2),
            "send_request_ms_mean": round(statistics.fmean(send_ms), 2) if send_ms else None,
            "answer_kb_mean": round(statistics.fmean(answer_kb), 1) if answer_kb else None,
            "bridge_rss_kb_by_pairs": rss,
            "emulator_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        }
    )
    if not figures["complete"]:
        figures["missing"] = {k: (read.get(k, 0), v) for k, v in held.items() if read.get(k, 0) != v}

    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(
        f"QuickBooks Desktop full read through qbd-bridge and the Web Connector emulator "
        f"(sample company of {args.size} transactions, {figures['company_file_mb']} MB; pages of {args.page})"
    )
    print(
        f"  {records} records of {figures['records_held']} held ({'complete' if figures['complete'] else 'INCOMPLETE'}) "
        f"in {figures['wall_seconds']} s, {figures['records_per_second']} records/s; "
        f"{len(reports)} session(s) {', '.join(figures['outcomes'])}"
    )
    print(
        f"  {figures['soap_calls']} SOAP calls, {pairs} sendRequestXML/receiveResponseXML pairs; "
        f"answers of {figures['answer_kb_mean']} KB on average"
    )
    print(
        f"  per pair: bridge {figures['bridge_ms_per_pair_mean']} ms mean, {figures['bridge_ms_per_pair_p50']} ms p50, "
        f"{figures['bridge_ms_per_pair_p95']} ms p95 as QBWC sees it (HTTP included; sendRequestXML "
        f"{figures['send_request_ms_mean']} ms of it); bridge CPU (SOAP, and the API serving the answers) "
        f"{figures['bridge_cpu_ms_per_pair']} ms; the company itself {figures['company_ms_per_page']} ms per page"
    )
    by_pairs = ", ".join(f"{n}: {kb / 1024:.0f}" for n, kb in rss)
    print(f"  bridge RSS (MB) idle {figures['bridge_rss_kb_idle'] / 1024:.0f}; by pairs {by_pairs}")
    print(
        f"  bridge peak VmHWM {figures['bridge_vmhwm_kb'] / 1024:.0f} MB; bridge database {figures['bridge_db_mb']} MB; "
        f"this process (emulator + company + client) peak {figures['emulator_peak_rss_mb']} MB"
    )
    if "company_build_seconds" in figures:
        print(
            f"  (the company file took {figures['company_build_seconds']} s to build; cached for later runs)"
        )


if __name__ == "__main__":
    main()
