"""target-duckdb 0.8.0, unchanged but for one statement: its CSV COPY says the file has no header.

target-duckdb loads each batch of a stream by writing the records to a CSV file without a header
line and running ``COPY <table> FROM '<file>' WITH (new_line '\\r\\n')``. DuckDB 1.1 and later
sniff the first line of such a file for a header and, when it could be one (every column of the
table accepts text, or a single row), take it for one: the first record of the batch is dropped
without a word. In this project that lost one row of 21 of the 37 tables of the sample company.
target-duckdb fixed it upstream after 0.8.0 (``HEADER 0``), in no release on PyPI yet; DuckDB 1.0
does not sniff, but has no wheels for Python 3.13 and later.

This entry point runs ``target_duckdb.main`` with its connection wrapped so that the batch COPY
carries ``header false``; every other statement passes through untouched.
"""

from __future__ import annotations

from typing import Any

import target_duckdb


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


def main() -> None:
    connect = target_duckdb.duckdb_connect
    target_duckdb.duckdb_connect = lambda config: HeaderlessCopy(connect(config))  # type: ignore[assignment]
    target_duckdb.main()


if __name__ == "__main__":
    main()
