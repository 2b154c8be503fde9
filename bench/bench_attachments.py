"""Attachment throughput: files uploaded by target-quickbooks and downloaded by tap-quickbooks.

    .venv/bin/python bench/bench_attachments.py [--files 200] [--kb 200] [--json]

A sandbox on 127.0.0.1 (real HTTP, QuickBooks' limits on: 500 requests a minute, 10 at once) with
an empty company and one customer. Then, in this process:

- upload: target-quickbooks writes ``--files`` Attachable records, each naming a file of ``--kb``
  KB of random bytes on disk (``_qbo_file_path``), linked to the customer: one ``POST upload`` each.
- download: tap-quickbooks reads the Attachable stream with ``attachments_path`` set to a local
  directory (every file fetched through its TempDownloadUri and stored by SHA-256), then again
  (nothing fetched: the figure is the cost of checking), then into ``memory://``.

Figures: wall seconds, files/s and MB/s (MB = 10^6 bytes) per phase, requests the sandbox counted.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from qbo_client.client import QBOClient
from qbo_sandbox.config import SandboxConfig
from qbo_sandbox.testing import RunningSandbox, start_sandbox
from tap_quickbooks.tap import TapQuickBooks
from target_quickbooks.target import TargetQuickBooks


def _settings(running: RunningSandbox, work: Path) -> dict[str, Any]:
    return {
        **running.credentials.as_dict(),
        "base_url": running.url,
        "token_store_path": str(work / "tokens.json"),
    }


def _phase(name: str, seconds: float, files: int, total_bytes: int, requests: int) -> dict[str, Any]:
    return {
        "phase": name,
        "seconds": round(seconds, 3),
        "files": files,
        "files_per_s": round(files / seconds, 1) if seconds else None,
        "MB_per_s": round(total_bytes / 1e6 / seconds, 1) if seconds else None,
        "requests": requests,
    }


def upload(
    running: RunningSandbox, work: Path, files: int, size: int
) -> tuple[dict[str, Any], dict[str, str]]:
    client = QBOClient.from_config(_settings(running, work))
    customer = client.create("Customer", {"DisplayName": "Attachment bench"})
    client.close()
    folder = work / "outbox"
    folder.mkdir()
    digests: dict[str, str] = {}
    lines = [
        json.dumps(
            {"type": "SCHEMA", "stream": "Attachable", "schema": {"type": "object"}, "key_properties": []}
        )
    ]
    for n in range(files):
        data = os.urandom(size)
        name = f"receipt-{n:04d}.pdf"
        (folder / name).write_bytes(data)
        digests[name] = hashlib.sha256(data).hexdigest()
        body = {
            "FileName": name,
            "AttachableRef": [{"EntityRef": {"type": "Customer", "value": customer["Id"]}}],
            "_qbo_file_path": str(folder / name),
        }
        lines.append(json.dumps({"type": "RECORD", "stream": "Attachable", "record": body}))
    config = {
        **_settings(running, work),
        "dead_letter_path": str(work / "dead.jsonl"),
        "id_map_path": str(work / "idmap.sqlite"),
        "spool_dir": str(work / "spool"),
    }
    stats = running.sandbox.limits.stats
    before = stats.requests
    target = TargetQuickBooks(config=config, validate_config=True)
    started = time.perf_counter()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            target.process_lines(io.StringIO("\n".join(lines) + "\n"))
            target.process_endofpipe()
    finally:
        target.close()
    seconds = time.perf_counter() - started
    dead = work / "dead.jsonl"
    if dead.exists() and dead.read_text().strip():
        raise SystemExit(f"dead letters: {dead.read_text()[:500]}")
    return _phase("upload (target)", seconds, files, files * size, stats.requests - before), digests


def download(
    running: RunningSandbox, work: Path, path: str, name: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    config = {**_settings(running, work), "attachments_path": path, "reports": []}
    found: dict[str, Any] = TapQuickBooks(config=dict(config)).catalog_dict
    for entry in found["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = entry["tap_stream_id"] == "Attachable"
    tap = TapQuickBooks(config=dict(config), catalog=found, state={})
    stats = running.sandbox.limits.stats
    before = stats.requests
    out = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out):
        tap.sync_all()
    seconds = time.perf_counter() - started
    files = tap.run.source._files  # type: ignore[attr-defined]
    tap.client.close()
    records = [
        m["record"]
        for m in (json.loads(line) for line in out.getvalue().splitlines() if line)
        if m["type"] == "RECORD"
    ]
    # files fetched, or (nothing changed) the files checked and found stored
    phase = _phase(name, seconds, files.downloaded or files.unchanged, files.bytes, stats.requests - before)
    phase["unchanged"] = files.unchanged
    return phase, records


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--kb", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    size = args.kb * 1024
    with tempfile.TemporaryDirectory() as tmp, start_sandbox(SandboxConfig(), seed=None) as running:
        work = Path(tmp)
        results = []
        up, digests = upload(running, work, args.files, size)
        results.append(up)
        store = work / "files"
        down, records = download(running, work, str(store), "download (tap, directory)")
        results.append(down)
        got = {r["FileName"]: r["_qbo_file_sha256"] for r in records}
        if got != digests:
            raise SystemExit("downloaded files differ from the uploaded ones")
        again, _ = download(running, work, str(store), "second run (tap, nothing changed)")
        results.append(again)
        memory, _ = download(running, work, f"memory://bench-{uuid.uuid4().hex}", "download (tap, memory://)")
        results.append(memory)
    if args.json:
        print(json.dumps({"files": args.files, "kb": args.kb, "phases": results}, indent=2))
        return
    print(
        f"{args.files} files of {args.kb} KB ({args.files * size / 1e6:.1f} MB), checksums equal after the round trip"
    )
    for r in results:
        extra = f", {r['unchanged']} unchanged" if "unchanged" in r else ""
        print(
            f"  {r['phase']:<36} {r['seconds']:>7.2f} s  {r['files_per_s'] or 0:>7.1f} files/s  "
            f"{r['MB_per_s'] or 0:>6.1f} MB/s  {r['requests']} API requests{extra}"
        )


if __name__ == "__main__":
    sys.exit(main())
