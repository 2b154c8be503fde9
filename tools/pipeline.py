"""Running this repository's Meltano project: where meltano is, the environment it runs in, DuckDB.

``make demo`` (tools/demo.py) and the end-to-end test (tests/test_meltano_e2e.py) both use it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
#: The Makefile installs meltano here (its own virtualenv: its dependencies stay apart from singer-sdk).
DEFAULT_MELTANO = REPO_ROOT / ".venv-meltano" / "bin" / "meltano"
#: Set by the Makefile for the tests; overrides DEFAULT_MELTANO.
MELTANO_BIN_ENV = "QBO_MELTANO_BIN"
#: The real company's credentials, read by Meltano in the prod environment.
PROD_CREDENTIALS = (
    "TAP_QUICKBOOKS_CLIENT_ID",
    "TAP_QUICKBOOKS_CLIENT_SECRET",
    "TAP_QUICKBOOKS_REFRESH_TOKEN",
    "TAP_QUICKBOOKS_REALM_ID",
)


class MeltanoMissing(RuntimeError):
    """meltano is not installed where the Makefile puts it."""


def meltano_executable() -> Path:
    """The meltano command: ``$QBO_MELTANO_BIN`` or .venv-meltano's; raises MeltanoMissing if absent."""
    configured = os.environ.get(MELTANO_BIN_ENV)
    path = Path(configured) if configured else DEFAULT_MELTANO
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise MeltanoMissing(
            f"meltano not found at {path}: run `make install-meltano` (it creates .venv-meltano and "
            f"installs the plugins), or point {MELTANO_BIN_ENV} at a meltano 4.4 executable"
        )
    return path


def meltano_env(extra: Mapping[str, str] | None = None, *, keep_credentials: bool = True) -> dict[str, str]:
    """The environment for a meltano command: no version check, the given variables on top.

    Without ``keep_credentials`` the TAP_QUICKBOOKS_* and TARGET_QUICKBOOKS_* variables of the
    caller are dropped, so a run against the sandbox can never pick up a real company's settings.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if keep_credentials or not k.startswith(("TAP_QUICKBOOKS_", "TARGET_QUICKBOOKS_"))
    }
    env["MELTANO_CLI_DISABLE_VERSION_CHECK"] = "1"
    env["MELTANO_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    env.update(extra or {})
    return env


def run_meltano(
    args: list[str], env: Mapping[str, str], log_path: Path, *, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run ``meltano <args>`` in the project directory; its log goes to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log:
        return subprocess.run(
            [str(meltano_executable()), *args],
            cwd=REPO_ROOT,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )


def log_tail(log_path: Path, lines: int = 30) -> str:
    text = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(text[-lines:])


def duckdb_tables(con: object) -> list[str]:
    """The tables target-duckdb made in the ``main`` schema (one per stream, lowercased names)."""
    rows = con.execute(  # type: ignore[attr-defined]
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1"
    ).fetchall()
    return [str(r[0]) for r in rows]


if __name__ == "__main__":  # pragma: no cover - a quick check by hand
    print(meltano_executable(), file=sys.stderr)
