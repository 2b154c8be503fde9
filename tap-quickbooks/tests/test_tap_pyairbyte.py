"""PyAirbyte runs tap-quickbooks-airbyte as a local executable: a full read, then an incremental one
after an edit and a delete, into a DuckDB cache, against the sandbox over HTTP.

PyAirbyte lives in .venv-airbyte (made by `make install`; its pins are below .venv's), so it runs
in a subprocess (pyairbyte_read.py); the source it starts is this .venv's tap-quickbooks-airbyte.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from qbo_sandbox.testing import RunningSandbox
from tap_harness import Api, refresh_token_works, sandbox_rows, tap_config

ROOT = Path(__file__).resolve().parents[2]
SOURCE = Path(sys.executable).parent / "tap-quickbooks-airbyte"
SCRIPT = Path(__file__).with_name("pyairbyte_read.py")
STREAMS = ["Customer", "Invoice"]


def airbyte_python() -> str:
    """PyAirbyte's python: $QBO_AIRBYTE_PYTHON (the Makefile exports it) or .venv-airbyte's."""
    found = os.environ.get("QBO_AIRBYTE_PYTHON") or str(ROOT / ".venv-airbyte" / "bin" / "python")
    assert Path(found).is_file(), f"PyAirbyte's python {found} is missing: run `make install`"
    return found


def pyairbyte(tmp_path: Path, name: str, config: dict[str, Any]) -> dict[str, Any]:
    """One check and read through PyAirbyte (each command with a fresh token store), its report."""
    job = {
        "executable": str(SOURCE),
        "config": config,
        "streams": STREAMS,
        "cache_path": str(tmp_path / "cache.duckdb"),
        "store_paths": [
            str(tmp_path / f"{name}-check-tokens.json"),
            str(tmp_path / f"{name}-read-tokens.json"),
        ],
    }
    job_path, report_path = tmp_path / f"{name}-job.json", tmp_path / f"{name}-report.json"
    job_path.write_text(json.dumps(job), encoding="utf-8")
    env = {
        **os.environ,
        "DO_NOT_TRACK": "1",
        "AIRBYTE_OFFLINE_MODE": "1",
        "AIRBYTE_LOGGING_ROOT": str(tmp_path / "airbyte-logs"),
        "AIRBYTE_TEMP_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [airbyte_python(), str(SCRIPT), str(job_path), str(report_path)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report: dict[str, Any] = json.loads(report_path.read_text(encoding="utf-8"))
    return report


def by_id(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(row["id"]): row for row in rows}


def bookmarks(report: dict[str, Any]) -> dict[str, str]:
    return {
        s["stream"]["stream_descriptor"]["name"]: s["stream"]["stream_state"]["replication_key_value"]
        for s in report["state"]
    }


def test_pyairbyte_reads_full_then_incremental_with_edits_deletes_and_rotated_tokens(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    config = tap_config(qbo_sandbox, tmp_path)
    config.pop("token_store_path")
    first = pyairbyte(tmp_path, "first", config)

    # Every live customer and invoice of the company is in the cache, keyed by Id.
    customers, invoices = sandbox_rows(qbo_sandbox, "Customer"), sandbox_rows(qbo_sandbox, "Invoice")
    assert set(by_id(first["rows"]["Customer"])) == set(customers)
    assert set(by_id(first["rows"]["Invoice"])) == set(invoices)
    assert first["processed"] == len(customers) + len(invoices)
    assert all(row["_ab_cdc_deleted_at"] is None for row in first["rows"]["Invoice"])
    assert all(row["_ab_cdc_updated_at"] == row["lastupdatedtime"] for row in first["rows"]["Customer"])
    # Each command rotated the refresh token and handed over the config Airbyte keeps: the check's
    # token seeded the read (a fresh store: a throwaway container), the read's is the live one.
    assert len(first["handed_over"]) == 2
    rotated = first["handed_over"][-1]["refresh_token"]
    assert first["handed_over"][-1] == {
        **config,
        "token_store_path": first["handed_over"][-1]["token_store_path"],
        "refresh_token": rotated,
    }
    assert not refresh_token_works(qbo_sandbox, config["refresh_token"])
    # The cache kept one state per stream: the tap's bookmark.
    first_marks = bookmarks(first)
    assert set(first_marks) == set(STREAMS)

    api = Api(qbo_sandbox)
    try:
        customer_id = sorted(customers, key=int)[0]
        api.touch("Customer", customer_id, DisplayName="Renamed through the API")
        invoice_id = sorted(invoices, key=int)[0]
        api.delete("Invoice", invoice_id)
    finally:
        api.close()

    # The next run starts from the config Airbyte kept (the rotated token), with no token store.
    second = pyairbyte(tmp_path, "second", {**first["handed_over"][-1]})
    # Incremental: the run read the changes only (and the change feed's window repeats nothing else).
    assert second["processed"] == 2
    rows = by_id(second["rows"]["Customer"])
    assert rows[customer_id]["displayname"] == "Renamed through the API"
    assert set(rows) == set(customers)  # merged by primary key: no duplicate
    invoice_rows = by_id(second["rows"]["Invoice"])
    assert invoice_rows[invoice_id]["_ab_cdc_deleted_at"] is not None
    assert [i for i, row in invoice_rows.items() if row["_ab_cdc_deleted_at"]] == [invoice_id]
    second_marks = bookmarks(second)
    assert all(second_marks[s] > first_marks[s] for s in STREAMS)
