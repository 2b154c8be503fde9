"""The token store in a database (``token_store_url``): the file store's guarantees, on real SQLite files.

Processes refresh against the sandbox over loopback; QuickBooks' rotation is the sandbox's (a
refresh token spent once is retired), so "spent once" is read from the sandbox's own token table.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from qbo_client import redact
from qbo_client.client import QBOClient
from qbo_client.config import ClientConfig
from qbo_client.errors import RefreshTokenInvalid
from qbo_client.token_store_sql import SqlTokenStore
from qbo_client.tokens import Tokens, TokenStoreError, open_store
from qbo_sandbox.testing import RunningSandbox


def _config(running: RunningSandbox, url: str, **overrides: Any) -> dict[str, Any]:
    creds = running.credentials
    return {
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "refresh_token": creds.refresh_token,
        "realm_id": running.realm,
        "base_url": running.url,
        "token_store_url": url,
        "max_backoff": 0.5,
        **overrides,
    }


def _refresh_in_process(values: dict[str, Any], queue: Any) -> None:
    try:
        client = QBOClient(ClientConfig(**values))
        queue.put(client.count("Customer"))
    except Exception as exc:  # reported to the test, which prints it
        queue.put(f"{type(exc).__name__}: {exc}")


def _refresh_tokens_issued(running: RunningSandbox) -> int:
    """Refresh tokens the sandbox has issued for this app: the first, plus one per rotation."""
    with running.sandbox.db.read() as conn:
        row = conn.execute(
            "SELECT COUNT(*) FROM oauth_refresh_tokens r JOIN oauth_grants g USING (grant_id) "
            "WHERE g.client_id = ?",
            (running.credentials.client_id,),
        ).fetchone()
    return int(row[0])


def _stored_row(db: Path) -> dict[str, Any]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        rows = [dict(r) for r in conn.execute("SELECT * FROM qbo_tokens")]
    assert len(rows) == 1, rows
    return rows[0]


def test_processes_refreshing_one_company_at_once_spend_the_refresh_token_once(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    db = tmp_path / "shared" / "tokens.db"
    values = _config(qbo_sandbox, f"sqlite:///{db}")
    issued_before = _refresh_tokens_issued(qbo_sandbox)
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_refresh_in_process, args=(values, queue)) for _ in range(4)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert all(isinstance(r, int) and r > 0 for r in results), results
    # One process refreshed (one rotation); the three others waited on the lock, then read its tokens.
    assert _refresh_tokens_issued(qbo_sandbox) == issued_before + 1
    row = _stored_row(db)
    assert row["realm_id"] == qbo_sandbox.realm
    assert row["refresh_token"] != qbo_sandbox.credentials.refresh_token
    assert row["seeded_from"] == qbo_sandbox.credentials.refresh_token
    assert row["app"] == ClientConfig(**values).app_key  # the client id itself is not stored
    assert qbo_sandbox.credentials.client_id not in {str(v) for v in row.values()}
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


def test_rotated_refresh_token_in_the_database_is_used_by_the_next_run(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'tokens.db'}"
    first = QBOClient(ClientConfig(**_config(qbo_sandbox, url)))
    assert first.count("Customer") > 0
    # The config's refresh token is retired now: only the database holds the one that works.
    rotated = _stored_row(tmp_path / "tokens.db")["refresh_token"]
    with sqlite3.connect(tmp_path / "tokens.db") as conn:  # its access token has expired since
        conn.execute("UPDATE qbo_tokens SET access_expires_at = 0")
    second = QBOClient(ClientConfig(**_config(qbo_sandbox, url)))
    assert second.count("Customer") > 0
    assert second.tokens.refreshes == 1
    assert _stored_row(tmp_path / "tokens.db")["refresh_token"] != rotated
    # Without the store the config's token is refused, as QuickBooks refuses a rotated one.
    other = tmp_path / "other.db"
    with pytest.raises(RefreshTokenInvalid):
        QBOClient(ClientConfig(**_config(qbo_sandbox, f"sqlite:///{other}"))).count("Customer")


def test_companies_of_one_app_share_the_database_in_rows_of_their_own(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'tokens.db'}"
    config = ClientConfig(**_config(qbo_sandbox, url))
    QBOClient(config).count("Customer")
    elsewhere = open_store(ClientConfig(**{**_config(qbo_sandbox, url), "realm_id": "9999"}))
    assert elsewhere.read() is None
    mine = open_store(config).read()
    assert mine is not None
    assert mine.realm_id == qbo_sandbox.realm
    assert mine.access_token


def test_the_database_password_never_reaches_messages_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    url = "postgresql://qbo:s3cret-Pa%40ss@127.0.0.1:9/tokens"
    store = SqlTokenStore(url, app="abc", realm_id="123")
    assert "s3cret" not in store.location
    assert "127.0.0.1:9/tokens" in store.location
    assert redact.mask_url(url) == "postgresql://qbo:****@127.0.0.1:9/tokens"
    with caplog.at_level(logging.INFO, logger="qbo_client"):
        logging.getLogger("qbo_client.test").info("connecting to %s (password s3cret-Pa@ss)", url)
    assert "s3cret" not in caplog.text
    # Nothing listens on port 9 (or the driver is missing): the error names the store, masked.
    with pytest.raises(TokenStoreError) as failure:
        store.read()
    assert "s3cret" not in str(failure.value)
    assert "qbo:***@127.0.0.1:9/tokens" in str(failure.value)


def test_a_url_that_is_not_a_database_url_is_refused_with_the_setting_named() -> None:
    with pytest.raises(TokenStoreError, match="token_store_url is not a database URL"):
        SqlTokenStore("not a url://", app="abc", realm_id="123")


#: A process that writes new tokens under the row's lock and stops before the commit, until killed.
KILLED_MID_REFRESH = r"""
import json, sys, time
from pathlib import Path
from qbo_client.config import ClientConfig
from qbo_client.tokens import Tokens, open_store

store = open_store(ClientConfig(**json.loads(sys.argv[1])))
with store.locked():
    store.write(Tokens(realm_id="123", refresh_token="rotated-but-never-committed"))
    Path(sys.argv[2]).write_text("holding")
    time.sleep(600)
"""


def test_a_process_killed_mid_refresh_leaves_the_old_tokens_and_releases_the_lock(tmp_path: Path) -> None:
    values = {
        "client_id": "app",
        "client_secret": "app-secret",
        "refresh_token": "",
        "realm_id": "123",
        "token_store_url": f"sqlite:///{tmp_path / 'tokens.db'}",
    }
    store = open_store(ClientConfig(**values))
    store.write(Tokens(realm_id="123", refresh_token="the-working-refresh-token"))
    marker = tmp_path / "holding"
    child = subprocess.Popen([sys.executable, "-c", KILLED_MID_REFRESH, json.dumps(values), str(marker)])
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, "the child stopped before taking the lock"
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    started = time.monotonic()
    with store.locked():  # not held by the dead process
        found = store.read()
    assert time.monotonic() - started < 5
    assert found is not None
    assert found.refresh_token == "the-working-refresh-token"
