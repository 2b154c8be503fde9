"""The DuckDB loader of the Meltano project (tools/target-duckdb-csv-fix) on Singer messages of its own.

The loader runs as Meltano installs it (``meltano install loader target-duckdb`` into a system
directory of this module's own: target-duckdb 0.8.0, DuckDB 1.4 and the wrapper), reading the
messages on its standard input and writing a real DuckDB file; the checks read that file back.
The Meltano end-to-end test (test_meltano_e2e.py) checks the same column types on the whole
sample company.
"""

from __future__ import annotations

import json
import subprocess
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest
from pipeline import meltano_env, meltano_executable, run_meltano

SCHEMA = {
    "type": "object",
    "properties": {
        "Id": {"type": ["string"]},
        "TxnDate": {"type": ["string", "null"], "format": "date"},
        "StartTime": {"type": ["string", "null"], "format": "date-time"},
        "TotalAmt": {"type": ["number", "null"]},
        "MetaData": {
            "type": ["object", "null"],
            "properties": {"LastUpdatedTime": {"type": ["string", "null"], "format": "date-time"}},
        },
    },
}
REPORT_SCHEMA = {
    "type": "object",
    "properties": {
        "account_id": {"type": ["string"]},
        "period_start": {"type": ["string"], "format": "date"},
        "fetched_at": {"type": ["string"], "format": "date-time"},
        "debit": {"type": ["number", "null"]},
    },
}
REPORT_KEY = ["account_id", "period_start"]


@pytest.fixture(scope="module")
def loader(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``target-duckdb-csv-fix`` executable that ``meltano install`` makes from meltano.yml."""
    meltano_executable()  # raises, with what to do, when meltano is not installed
    sys_dir = tmp_path_factory.mktemp("meltano-loader")
    log = sys_dir / "install.log"
    env = meltano_env({"MELTANO_SYS_DIR_ROOT": str(sys_dir)}, keep_credentials=False)
    result = run_meltano(["install", "loader", "target-duckdb"], env, log)
    assert result.returncode == 0, log.read_text()
    return sys_dir / "loaders" / "target-duckdb" / "venv" / "bin" / "target-duckdb-csv-fix"


def load(loader: Path, db: Path, messages: list[dict[str, Any]]) -> str:
    """Run the loader on ``messages`` into ``db`` with the project's settings; its log."""
    config = db.with_suffix(".json")
    config.write_text(
        json.dumps(
            {
                "path": str(db),
                "default_target_schema": "main",
                "add_metadata_columns": True,
                "hard_delete": False,
            }
        )
    )
    result = subprocess.run(
        [str(loader), "--config", str(config)],
        input="".join(json.dumps(m) + "\n" for m in messages),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stderr


def schema(stream: str, properties: dict[str, Any], key: list[str]) -> dict[str, Any]:
    return {"type": "SCHEMA", "stream": stream, "schema": properties, "key_properties": key}


def record(stream: str, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "RECORD",
        "stream": stream,
        "record": values,
        "time_extracted": "2026-12-04T11:05:20-08:00",
    }


def column_types(db: Path, table: str) -> dict[str, str]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?", [table]
        ).fetchall()
    return dict(rows)


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_dates_are_date_and_date_times_are_utc_timestamps(loader: Path, tmp_path: Path) -> None:
    db = tmp_path / "types.duckdb"
    before = datetime.now(timezone.utc).replace(tzinfo=None)
    load(
        loader,
        db,
        [
            schema("TimeActivity", SCHEMA, ["Id"]),
            record(
                "TimeActivity",
                {
                    "Id": "1",
                    "TxnDate": "2026-01-31",
                    "StartTime": "2026-01-31T17:30:00-08:00",
                    "TotalAmt": 12.5,
                    "MetaData": {"LastUpdatedTime": "2026-02-01T09:00:00-08:00"},
                },
            ),
            record("TimeActivity", {"Id": "2", "TxnDate": "2026-02-01", "StartTime": "2026-02-01T08:00:00Z"}),
            record("TimeActivity", {"Id": "3", "TxnDate": None, "StartTime": "2026-02-02T08:00:00"}),
            record("TimeActivity", {"Id": "4", "_sdc_deleted_at": "2026-12-04T19:05:26+00:00"}),
        ],
    )
    after = datetime.now(timezone.utc).replace(tzinfo=None)

    assert column_types(db, "timeactivity") == {
        "id": "VARCHAR",
        "txndate": "DATE",
        "starttime": "TIMESTAMP",
        "totalamt": "DOUBLE",
        "metadata": "JSON",  # nested: the text as sent
        "_sdc_extracted_at": "TIMESTAMP",
        "_sdc_batched_at": "TIMESTAMP",
        "_sdc_deleted_at": "TIMESTAMP",
    }
    found = rows(
        db,
        "SELECT id, txndate, starttime, metadata->>'$.LastUpdatedTime', _sdc_extracted_at, _sdc_deleted_at "
        "FROM timeactivity ORDER BY id",
    )
    extracted = datetime(2026, 12, 4, 19, 5, 20)
    # every row arrived (the first of a batch too), each instant in UTC; a time without offset is UTC
    assert found == [
        ("1", date(2026, 1, 31), datetime(2026, 2, 1, 1, 30), "2026-02-01T09:00:00-08:00", extracted, None),
        ("2", date(2026, 2, 1), datetime(2026, 2, 1, 8, 0), None, extracted, None),
        ("3", None, datetime(2026, 2, 2, 8, 0), None, extracted, None),
        ("4", None, None, None, extracted, datetime(2026, 12, 4, 19, 5, 26)),
    ]
    assert rows(db, "SELECT min(txndate), max(txndate) - min(txndate) FROM timeactivity") == [
        (date(2026, 1, 31), 1)
    ]
    batched = [r[0] for r in rows(db, "SELECT _sdc_batched_at FROM timeactivity")]
    assert all(before <= moment <= after for moment in batched)


def test_a_file_an_older_loader_wrote_is_converted_in_place(loader: Path, tmp_path: Path) -> None:
    """VARCHAR dates and times of an existing file, a key column among them, become DATE and TIMESTAMP."""
    db = tmp_path / "old.duckdb"
    with duckdb.connect(str(db)) as con:
        # the table as target-duckdb 0.8.0 made it from REPORT_SCHEMA: dates as VARCHAR
        con.execute(
            'CREATE TABLE main."trialbalance" ("account_id" varchar, "debit" double, "fetched_at" timestamp, '
            '"period_start" varchar, "_sdc_batched_at" timestamp, "_sdc_deleted_at" varchar, '
            '"_sdc_extracted_at" timestamp, PRIMARY KEY ("account_id", "period_start"))'
        )
        con.execute(
            "INSERT INTO main.trialbalance VALUES "
            "('1', 10.0, '2026-01-31 12:00:00', '2026-01-01', '2026-02-01 00:00:00', NULL, NULL), "
            "('1', 20.0, '2026-02-28 12:00:00', '2026-02-01', '2026-03-01 00:00:00', NULL, NULL), "
            "('2', 30.0, '2026-02-28 12:00:00', '2026-02-01', '2026-03-01 00:00:00', "
            "'2026-03-02T10:00:00+01:00', NULL)"
        )

    log = load(
        loader,
        db,
        [
            schema("TrialBalance", REPORT_SCHEMA, REPORT_KEY),
            record(
                "TrialBalance",
                {
                    "account_id": "1",
                    "period_start": "2026-02-01",
                    "fetched_at": "2026-03-05T09:00:00Z",
                    "debit": 25.0,
                },
            ),
            record(
                "TrialBalance",
                {
                    "account_id": "1",
                    "period_start": "2026-03-01",
                    "fetched_at": "2026-03-05T09:00:00Z",
                    "debit": 5.0,
                },
            ),
        ],
    )

    assert "Converting VARCHAR columns of" in log
    types = column_types(db, "trialbalance")
    assert types["period_start"] == "DATE"
    assert types["_sdc_deleted_at"] == "TIMESTAMP"
    assert len(types) == 7  # converted in place: no column renamed aside, none added
    # the rows kept, the key still the key: the February row of account 1 was updated, March added
    assert rows(
        db, "SELECT account_id, period_start, debit, _sdc_deleted_at FROM trialbalance ORDER BY 1, 2"
    ) == [
        ("1", date(2026, 1, 1), 10.0, None),
        ("1", date(2026, 2, 1), 25.0, None),
        ("1", date(2026, 3, 1), 5.0, None),
        ("2", date(2026, 2, 1), 30.0, datetime(2026, 3, 2, 9, 0)),
    ]
    assert rows(
        db,
        "SELECT constraint_column_names FROM duckdb_constraints() "
        "WHERE table_name = 'trialbalance' AND constraint_type = 'PRIMARY KEY'",
    ) == [(["account_id", "period_start"],)]

    # a second run finds nothing to convert
    log = load(loader, db, [schema("TrialBalance", REPORT_SCHEMA, REPORT_KEY)])
    assert "Converting" not in log
