"""The tap killed with SIGKILL and run again from its last STATE; and a tap that is locked out.

A full sync is killed after a (seeded) random number of lines of output, many times in a row,
each run resuming from the last STATE the killed run emitted. Only the records that came before
that STATE count as delivered (a target commits up to a STATE, no further): their union with the
records of the run that finally completes must be exactly the company, and the final state must
be the one a clean run ends with. The one thing that legitimately differs between the two final
states is ``replication_key_value``: every stream's bookmark is the start of the run that
completed it (whole seconds, UTC), and the clean run and the last resumed run start at different
moments; it is compared as "the start of the run that wrote it".

A refresh token that QuickBooks no longer accepts (revoked, or past its lifetime) stops the tap
at once with a message that says what to do, a non-zero exit, and no STATE claiming any stream
complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from qbo_client import catalog
from qbo_sandbox.config import RealismConfig, SandboxConfig
from qbo_sandbox.testing import RunningSandbox
from tap_harness import run_tap, sandbox_rows, selected_catalog, tap_config

TAP = str(Path(sys.executable).parent / "tap-quickbooks")
Message = dict[str, Any]
#: A stream set that crosses CDC, paged queries, the batch and singletons.
NAMES = ["Account", "CompanyInfo", "Customer", "Invoice", "Item", "Payment", "TimeActivity", "Vendor"]


@pytest.fixture
def qbo_sandbox_config() -> SandboxConfig:
    # A little latency per request so that a run's output is spread over its pages.
    return SandboxConfig(realism=RealismConfig(latency_per_request=0.01))


def write_files(config: dict[str, Any], workdir: Path, names: list[str] | None = None) -> tuple[Path, Path]:
    config_file, catalog_file = workdir / "config.json", workdir / "catalog.json"
    config_file.write_text(json.dumps(config))
    catalog_file.write_text(json.dumps(selected_catalog(config, names)))
    return config_file, catalog_file


def run_and_kill(
    config_file: Path, catalog_file: Path, state: dict[str, Any], kill_after: int, workdir: Path
) -> tuple[list[Message], bool]:
    """Run the tap process; SIGKILL it once it has written ``kill_after`` lines.

    Returns the messages read and whether it was killed (False: it finished first, exit 0).
    """
    state_file = workdir / "state.json"
    state_file.write_text(json.dumps(state))
    args = [TAP, "--config", str(config_file), "--catalog", str(catalog_file), "--state", str(state_file)]
    with (workdir / "stderr.log").open("ab") as stderr:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=stderr)
        assert proc.stdout is not None
        out: list[Message] = []
        killed = False
        try:
            for line in proc.stdout:
                out.append(json.loads(line))
                if len(out) >= kill_after:
                    os.kill(proc.pid, signal.SIGKILL)
                    killed = True
                    break
        finally:
            proc.stdout.close()
            code = proc.wait(timeout=120)
    if killed:
        assert code == -signal.SIGKILL
    else:
        assert code == 0, (workdir / "stderr.log").read_text()[-3000:]
    return out, killed


def delivered(messages: list[Message]) -> tuple[list[Message], dict[str, Any] | None]:
    """The records that came before the last STATE, and that STATE (None if there was none)."""
    last = max((i for i, m in enumerate(messages) if m["type"] == "STATE"), default=-1)
    records = [m for m in messages[:last] if m["type"] == "RECORD"]
    return records, (messages[last]["value"] if last >= 0 else None)


def versions(records: list[Message]) -> set[tuple[str, str, str | None]]:
    return {(m["stream"], m["record"]["Id"], m["record"].get("SyncToken")) for m in records}


def settled(state: dict[str, Any], run_start: str) -> dict[str, Any]:
    """A final state with its run's own start written as a placeholder."""
    return {
        name: {k: ("<run start>" if v == run_start else v) for k, v in bookmark.items()}
        for name, bookmark in state["bookmarks"].items()
    }


def crash_and_resume(
    running: RunningSandbox,
    tmp_path: Path,
    *,
    kills: int,
    seed: int,
    names: list[str] | None,
    **settings: Any,
) -> dict[str, Any]:
    """Kill a full sync ``kills`` times, resuming each time; compare with a clean run. Figures back."""
    config = tap_config(running, tmp_path, **settings)
    config_file, catalog_file = write_files(config, tmp_path, names)
    selection = json.loads(catalog_file.read_text())
    clean = run_tap(running, config, catalog_dict=selection)
    expected = clean.versions()
    streams = len(clean.state["bookmarks"])
    rng = random.Random(seed)

    union: set[tuple[str, str, str | None]] = set()
    state: dict[str, Any] = {}
    kill_points: list[int] = []
    states_resumed_from = 0
    for _ in range(kills):
        # Somewhere in what is left to emit: the records not yet delivered, a SCHEMA and a STATE
        # per stream (an underestimate when a resumed stream emits its records again).
        kill_after = rng.randint(1, len(expected - union) + 2 * streams)
        out, killed = run_and_kill(config_file, catalog_file, state, kill_after, tmp_path)
        records, last_state = delivered(out)
        union |= versions(records)
        if not killed:  # finished before the kill point: its last state is final
            state = last_state or state
            break
        kill_points.append(kill_after)
        if last_state is not None:
            state = last_state
            states_resumed_from += 1
    final = run_tap(running, config, state=state, catalog_dict=selection)
    union |= final.versions()

    assert union == expected
    for name in names or catalog.names():
        live = {i for s, i, _ in union if s == name} - {r["Id"] for r in final.deleted(name)}
        assert set(sandbox_rows(running, name)) <= live, f"{name}: records never delivered"
    assert settled(final.state, final.upper_bound) == settled(clean.state, clean.upper_bound)
    return {"kills": kill_points, "resumed_from_a_state": states_resumed_from, "records": len(expected)}


def test_killed_at_random_points_and_resumed_loses_nothing_and_ends_like_a_clean_run(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    # Small pages: many requests, many windows in flight when the kill comes.
    figures = crash_and_resume(qbo_sandbox, tmp_path, kills=6, seed=6, names=NAMES, page_size=7)
    assert len(figures["kills"]) == 6, figures
    assert figures["resumed_from_a_state"] >= 3, figures


# -- locked out ----------------------------------------------------------------------------------


def run_tap_process(config_file: Path, catalog_file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TAP, "--config", str(config_file), "--catalog", str(catalog_file)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_locked_out_clearly(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert "invalid_grant" in last_line
    assert "tap-quickbooks auth" in last_line, last_line
    messages = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert [m for m in messages if m["type"] == "RECORD"] == []
    for message in messages:
        if message["type"] == "STATE":
            assert not message["value"].get("bookmarks"), "a state claims a stream synced"


def test_revoked_refresh_token_stops_the_tap_with_what_to_do_and_no_state(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    config = tap_config(qbo_sandbox, tmp_path)
    config_file, catalog_file = write_files(config, tmp_path, ["Customer", "Invoice"])
    creds = qbo_sandbox.credentials
    answer = requests.post(
        f"{qbo_sandbox.url}/oauth2/v1/tokens/revoke",
        data={"token": creds.refresh_token},
        auth=(creds.client_id, creds.client_secret),
        timeout=10,
    )
    assert answer.status_code == 200
    result = run_tap_process(config_file, catalog_file)
    assert_locked_out_clearly(result)
    assert not Path(config["token_store_path"]).exists(), "nothing was stored"


def test_expired_refresh_token_stops_the_tap_with_what_to_do_and_keeps_the_store(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    config = tap_config(qbo_sandbox, tmp_path)
    config_file, catalog_file = write_files(config, tmp_path, ["Customer"])
    first = run_tap_process(config_file, catalog_file)
    assert first.returncode == 0, first.stderr[-2000:]
    store = Path(config["token_store_path"])
    kept = json.loads(store.read_text())
    # Time passes: the stored access token is past its hour, the refresh token past its 100 days
    # (the sandbox's own record of it says so; nothing else about it changes).
    kept["access_token"] = ""
    store.write_text(json.dumps(kept))
    with qbo_sandbox.sandbox.db.tx() as conn:
        expired = conn.execute(
            "UPDATE oauth_refresh_tokens SET expires_at = ? WHERE token_hash = ?",
            (time.time() - 1, hashlib.sha256(kept["refresh_token"].encode()).hexdigest()),
        )
        assert expired.rowcount == 1
    result = run_tap_process(config_file, catalog_file)
    assert_locked_out_clearly(result)
    after = json.loads(store.read_text())
    assert after["refresh_token"] == kept["refresh_token"], "the store is left as it was"
