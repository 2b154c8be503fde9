"""target-duckdb 0.8.0 with its bulk load, its dates and its times corrected.

target-duckdb 0.8.0 (the last release on PyPI) is run unchanged but for these corrections, each
made where the package looks the name up at run time:

1. **The first row of every batch.** It loads a batch by writing the records to a CSV file without a
   header line and running ``COPY <table> FROM '<file>' WITH (new_line '\\r\\n')``. DuckDB 1.1 and
   later sniff the first line of such a file for a header and, when it could be one (every column
   of the table accepts text, or a single row), take it for one: the first record of the batch is
   dropped without a word (one row of 21 of the 37 tables of the sample company). Fixed upstream
   after 0.8.0 (``HEADER 0``), unreleased; DuckDB 1.0 does not sniff but has no wheels for Python
   3.13. The batch COPY here says ``header false``.
2. **``format: date`` is DATE.** Its type mapping knows ``date-time`` and ``time`` but not ``date``:
   every ``TxnDate``, ``DueDate`` and report period landed as VARCHAR.
3. **``format: date-time`` is TIMESTAMP in UTC.** It maps ``date-time`` to a TIMESTAMP (without time
   zone), and DuckDB casting ``2026-01-04T17:34:02-08:00`` to TIMESTAMP drops the offset: a value
   with an offset kept its wall-clock time and lost its instant, and ``_sdc_batched_at`` was the
   loader's local time. Values are turned to UTC before the COPY, so every TIMESTAMP column holds
   UTC. (Not TIMESTAMPTZ: DuckDB's Python client returns those only with pytz installed, which
   neither this project nor DuckDB brings.) ``_sdc_deleted_at`` is a TIMESTAMP too (0.8.0 declares
   it a plain string).
4. **Files written before.** Where a table of an existing file has a VARCHAR column that is now a
   DATE or TIMESTAMP, 0.8.0 would rename it aside (``txndate_20261204_1905``) and add an empty
   one, and fail outright when the column is part of the primary key (``trialbalance``'s periods).
   The table is converted in place instead, in one transaction: the column cast, the rest kept.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import target_duckdb
from target_duckdb import db_sync

#: The functions of target-duckdb 0.8.0 that this module wraps; tests/test_newuser_duckdb.py runs the
#: loader and fails when one of them is no longer called by the name replaced in install().
ORIGINAL_COLUMN_TYPE = db_sync.column_type
ORIGINAL_RECORD_TO_FLATTENED = db_sync.DbSync.record_to_flattened
ORIGINAL_UPDATE_COLUMNS = db_sync.DbSync.update_columns
ORIGINAL_METADATA_SCHEMA = target_duckdb.add_metadata_columns_to_schema
ORIGINAL_METADATA_VALUES = target_duckdb.add_metadata_values_to_record

#: Column types whose values come as text and that a VARCHAR column of an older file is cast to.
_TEXT_TYPES = {"date": "DATE", "timestamp": "TIMESTAMP"}


class HeaderlessCopy:
    """A DuckDB connection whose ``COPY ... FROM ... WITH (...)`` statements read no header line."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def execute(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        return self._connection.execute(without_header(query), *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


def without_header(query: Any) -> Any:
    """``header false`` added to the options of a COPY FROM statement that does not say."""
    if not isinstance(query, str) or not query.lstrip().upper().startswith("COPY "):
        return query
    head, sep, options = query.rpartition(" WITH (")
    if not sep or " FROM " not in head.upper() or "header" in options.lower():
        return query
    return f"{head} WITH (header false, {options}"


def column_type(schema_property: dict[str, Any]) -> str:
    """target-duckdb's column type for a JSON Schema property, with ``format: date`` a DATE."""
    types = schema_property.get("type", [])
    nested = "object" in types or "array" in types
    if not nested and schema_property.get("format") == "date":
        return "date"
    return str(ORIGINAL_COLUMN_TYPE(schema_property))


def utc_text(value: Any) -> Any:
    """An ISO 8601 date-time with an offset as naive UTC text; anything else unchanged.

    A value without an offset is taken as UTC already (left as is); one that does not parse is
    left for DuckDB to refuse with its own message naming the value.
    """
    if not isinstance(value, str) or not value:
        return value
    text = value[:-1] + "+00:00" if value[-1:] in ("Z", "z") else value
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return value
    if moment.tzinfo is None:
        return value
    return moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat()


def record_to_flattened(sync: Any, record: dict[str, Any]) -> list[Any]:
    """The row target-duckdb writes to its CSV file, with its TIMESTAMP columns' values in UTC."""
    row: list[Any] = ORIGINAL_RECORD_TO_FLATTENED(sync, record)
    positions = _timestamp_positions(sync)
    for i in positions:
        row[i] = utc_text(row[i])
    return row


def _timestamp_positions(sync: Any) -> list[int]:
    # one DbSync per SCHEMA message, so its flattened schema (and these positions) never change
    cached: list[int] | None = getattr(sync, "_utc_positions", None)
    if cached is None:
        cached = [
            i for i, prop in enumerate(sync.flatten_schema.values()) if column_type(prop) == "timestamp"
        ]
        sync._utc_positions = cached
    return cached


def update_columns(sync: Any) -> None:
    """target-duckdb's column update, after casting the VARCHAR columns that are now DATE or TIMESTAMP."""
    convert_text_columns(sync)
    ORIGINAL_UPDATE_COLUMNS(sync)


def convert_text_columns(sync: Any) -> list[str]:
    """Cast in place the VARCHAR columns of the stream's table that its schema now makes DATE or TIMESTAMP.

    The table is rebuilt (a column of a primary key cannot change type in DuckDB) in one
    transaction: its columns in their order, the converted ones cast, its primary key again.
    Text with an offset becomes UTC; text without one is taken as UTC. Returns the columns cast.
    """
    stream = sync.stream_schema_message["stream"]
    bare = sync.table_name(stream, without_schema=True).strip('"')
    where = "lower(table_schema) = ? AND lower(table_name) = ?"
    params = [sync.schema_name.lower(), bare]
    if sync.catalog_name:
        where += " AND lower(table_catalog) = ?"
        params.append(sync.catalog_name.lower())
    existing = sync.query(
        f"SELECT column_name, data_type FROM information_schema.columns WHERE {where} "
        "ORDER BY ordinal_position",
        params,
    )
    wanted = {name.lower(): column_type(prop) for name, prop in sync.flatten_schema.items()}
    casts = {
        column["column_name"]: _TEXT_TYPES[wanted[column["column_name"].lower()]]
        for column in existing
        if column["data_type"] == "VARCHAR" and wanted.get(column["column_name"].lower()) in _TEXT_TYPES
    }
    if not casts:
        return []
    keys = sync.query(
        "SELECT constraint_column_names AS names FROM duckdb_constraints() "
        "WHERE constraint_type = 'PRIMARY KEY' AND lower(schema_name) = ? AND lower(table_name) = ?"
        + (" AND lower(database_name) = ?" if sync.catalog_name else ""),
        params,
    )
    table = sync.table_name(stream)
    rebuilt = sync.table_name(f"{bare}__retyped")
    replaced = ", ".join(f"{_cast(name, kind)} AS {_quote(name)}" for name, kind in casts.items())
    sync.logger.info(
        "Converting VARCHAR columns of %s written by an older loader: %s",
        table,
        ", ".join(f"{name} to {kind}" for name, kind in casts.items()),
    )
    statements = [f"CREATE TABLE {rebuilt} AS SELECT * REPLACE ({replaced}) FROM {table}"]
    if keys:
        statements.append(
            f"ALTER TABLE {rebuilt} ADD PRIMARY KEY ({', '.join(_quote(n) for n in keys[0]['names'])})"
        )
    statements += [f"DROP TABLE {table}", f"ALTER TABLE {rebuilt} RENAME TO {_quote(bare)}"]
    connection = sync.conn
    connection.execute("BEGIN TRANSACTION")
    try:
        # text without an offset is UTC: the session zone must not shift it on the way
        connection.execute("SET TimeZone = 'UTC'")
        for statement in statements:
            connection.execute(statement)
        connection.execute("COMMIT")
    except Exception:
        connection.execute("ROLLBACK")
        raise
    finally:
        connection.execute("RESET TimeZone")
    return list(casts)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _cast(name: str, kind: str) -> str:
    if kind == "DATE":
        return f"CAST({_quote(name)} AS DATE)"
    return f"timezone('UTC', CAST({_quote(name)} AS TIMESTAMPTZ))"


def add_metadata_columns_to_schema(schema_message: dict[str, Any]) -> dict[str, Any]:
    """target-duckdb's ``_sdc_*`` columns, with ``_sdc_deleted_at`` a date-time like the other two."""
    extended: dict[str, Any] = ORIGINAL_METADATA_SCHEMA(schema_message)
    extended["schema"]["properties"]["_sdc_deleted_at"] = {"type": ["null", "string"], "format": "date-time"}
    return extended


def add_metadata_values_to_record(record_message: dict[str, Any]) -> dict[str, Any]:
    """target-duckdb's ``_sdc_*`` values, with ``_sdc_batched_at`` in UTC (0.8.0 takes local time)."""
    extended: dict[str, Any] = ORIGINAL_METADATA_VALUES(record_message)
    extended["_sdc_batched_at"] = datetime.now(timezone.utc).isoformat()
    return extended


def install() -> None:
    """Put the corrections in place of target-duckdb's functions (before ``target_duckdb.main``)."""
    connect = target_duckdb.duckdb_connect
    target_duckdb.duckdb_connect = lambda config: HeaderlessCopy(connect(config))
    db_sync.column_type = column_type
    db_sync.DbSync.record_to_flattened = record_to_flattened
    db_sync.DbSync.update_columns = update_columns
    target_duckdb.add_metadata_columns_to_schema = add_metadata_columns_to_schema
    target_duckdb.add_metadata_values_to_record = add_metadata_values_to_record


def main() -> None:
    install()
    target_duckdb.main()


if __name__ == "__main__":
    main()
