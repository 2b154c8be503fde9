"""Run tap-quickbooks-airbyte the way PyAirbyte runs a local executable, into a DuckDB cache.

Run by test_tap_pyairbyte.py with PyAirbyte's own python (.venv-airbyte: PyAirbyte pins packages
below what .venv holds), so this script imports PyAirbyte and nothing of ours.

    python pyairbyte_read.py JOB.json REPORT.json

JOB: ``executable`` (tap-quickbooks-airbyte), ``config``, ``streams``, ``cache_path``, and
``store_paths``: a fresh token store for each command, as Airbyte's throwaway containers have none.
The config a CONNECTOR_CONFIG control message hands over replaces the config before the next
command, as Airbyte does. REPORT: what the check said, the configs handed over, the records the
read processed, the cache's rows per stream and the state the cache kept.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import airbyte as ab
from airbyte.caches import DuckDBCache


def main(job_path: str, report_path: str) -> None:
    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    store_paths = list(job["store_paths"])
    handed_over: list[dict[str, Any]] = []
    config = {**job["config"], "token_store_path": store_paths.pop(0)}
    source = ab.get_source(
        "source-quickbooks",
        local_executable=job["executable"],
        config=config,
        config_change_callback=handed_over.append,
    )
    source.check()  # raises when the status is FAILED
    # The next command runs in a new container: the config Airbyte kept, no token store.
    config = {**(handed_over[-1] if handed_over else config), "token_store_path": store_paths.pop(0)}
    source.set_config(config)
    source.select_streams(job["streams"])
    cache = DuckDBCache(db_path=job["cache_path"], schema_name="quickbooks")
    result = source.read(cache=cache)
    rows = {
        stream: json.loads(cache[stream].to_pandas().to_json(orient="records", date_format="iso"))
        for stream in job["streams"]
    }
    state = json.loads(cache.get_state_provider("source-quickbooks").to_state_input_file_text())
    report = {
        "handed_over": handed_over,
        "processed": result.processed_records,
        "rows": rows,
        "state": state,
    }
    Path(report_path).write_text(json.dumps(report, default=str), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
