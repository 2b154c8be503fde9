"""A process killed (SIGKILL) in the middle of a token refresh, at each point where that can happen.

The kill points, in the order a refresh goes through them:

1. ``request-lost``: the refresh request reached the token endpoint, the process died before
   QuickBooks acted on it (the sandbox's token endpoint kills the client, then does nothing).
2. ``rotated-unanswered``: QuickBooks rotated the refresh token, the process died before reading
   the answer (the endpoint rotates, then kills the client before it answers).
3. ``writing``: the answer was read, the process died while writing the store's temporary file.
4. ``written-not-renamed``: the temporary file was written and fsynced, not yet renamed over the store.
5. ``renamed``: the store was replaced, the directory not yet fsynced.

Points 3 to 5 are reached in the client process itself, which stops there (a marker file tells
the test) until it is killed. After every kill the store is whole (valid JSON, mode 0600, one
set of tokens: the old or the new) and the next process either authenticates or, where the new
refresh token is lost by design, fails with a message saying what to do. QuickBooks retires a
rotated refresh token at once (``invalid_grant``, see the API reference), so after point 2 and
point 3 nothing on this machine holds a refresh token that works: the user has to connect the
company again (``tap-quickbooks auth``), and the error says so. After point 4 the new tokens are
on disk in the temporary file, and the client takes them from there.

Two processes refreshing one company at once is tested in ``test_client.py``
(``test_two_processes_refreshing_one_company_at_once_both_succeed``).
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from qbo_client.client import QBOClient
from qbo_client.config import ClientConfig
from qbo_client.tokens import Tokens, TokenStore
from qbo_sandbox.oauth import OAuthError
from qbo_sandbox.testing import RunningSandbox

#: The client process: one query through QBOClient, optionally stopping at a point of the store's
#: write until it is killed. Prints {"count": n} or {"error": class name, "message": text}.
CHILD = r"""
import json, os, sys, time
from pathlib import Path

config, point, marker = json.loads(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
store = Path(config["token_store_path"])

def stop_here():
    # written whole, then renamed: the test reads the marker as soon as it exists
    ready = marker.with_name(marker.name + ".part")
    ready.write_text(point)
    os.replace(ready, marker)
    time.sleep(600)

if point == "writing":
    real_dump = json.dump
    def dump(obj, fh, **kwargs):
        text = json.dumps(obj, **kwargs)
        fh.write(text[: len(text) // 2])
        fh.flush()
        os.fsync(fh.fileno())
        stop_here()
    json.dump = dump
elif point == "written-not-renamed":
    real_replace = os.replace
    def replace(src, dst, *args, **kwargs):
        if Path(dst) == store:
            stop_here()
        return real_replace(src, dst, *args, **kwargs)
    os.replace = replace
elif point == "renamed":
    real_open = os.open
    def open_(path, flags, *args, **kwargs):
        if Path(path) == store.parent and flags == os.O_RDONLY:
            stop_here()
        return real_open(path, flags, *args, **kwargs)
    os.open = open_

from qbo_client.client import QBOClient
from qbo_client.config import ClientConfig

config["token_store_path"] = store
try:
    print(json.dumps({"count": QBOClient(ClientConfig(**config)).count("Customer")}))
except Exception as exc:
    print(json.dumps({"error": type(exc).__name__, "message": str(exc)}))
"""


def client_values(running: RunningSandbox, store: Path) -> dict[str, Any]:
    creds = running.credentials
    return {
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "refresh_token": creds.refresh_token,
        "realm_id": running.realm,
        "base_url": running.url,
        "token_store_path": str(store),
        "max_backoff": 0.5,
    }


def start_child(values: dict[str, Any], point: str, marker: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, json.dumps(values), point, str(marker)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_child(values: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    child = start_child(values, "none", tmp_path / "unused")
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    answer: dict[str, Any] = json.loads(out)
    return answer


def hook_token_endpoint(
    running: RunningSandbox, before: Callable[[], None] | None, after: Callable[[], None] | None
) -> None:
    """Run ``before`` (then answer nothing) or ``after`` (once rotated) inside the token endpoint."""
    oauth = running.sandbox.oauth
    real = oauth.refresh

    def refresh(client_id: str, refresh_token: str, **kwargs: Any) -> dict[str, Any]:
        if before is not None:
            before()
            raise OAuthError("temporarily_unavailable", 503)
        body = real(client_id, refresh_token, **kwargs)
        if after is not None:
            after()
        return body

    oauth.refresh = refresh


def store_is_whole(store: Path) -> Tokens:
    assert stat.S_IMODE(os.stat(store).st_mode) == 0o600
    tokens = TokenStore(store).read()
    assert tokens is not None
    assert tokens.refresh_token
    assert tokens.access_token
    return tokens


def leftovers(store: Path) -> list[Path]:
    return sorted(store.parent.glob(f".{store.name}.*.tmp"))


def assert_locked_out_clearly(answer: dict[str, Any]) -> None:
    assert answer["error"] == "RefreshTokenInvalid", answer
    assert "invalid_grant" in answer["message"]
    assert "tap-quickbooks auth" in answer["message"]


POINTS = ["request-lost", "rotated-unanswered", "writing", "written-not-renamed", "renamed"]


@pytest.mark.parametrize("point", POINTS)
def test_killed_during_a_refresh_leaves_a_whole_store_and_the_next_run_authenticates_or_says_what_to_do(
    point: str, qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    store = tmp_path / "state" / "tokens.json"
    values = client_values(qbo_sandbox, store)
    # A previous run left tokens in the store; their access token has run out since.
    assert QBOClient(ClientConfig(**{**values, "token_store_path": store})).count("Customer") > 0
    before = store_is_whole(store)
    before.access_token, before.access_expires_at = "", 0.0
    TokenStore(store).write(before)

    marker = tmp_path / "stopped"
    killed: list[int] = []
    holder: dict[str, subprocess.Popen[str]] = {}

    def kill() -> None:
        child = holder["child"]
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        killed.append(child.pid)

    if point == "request-lost":
        hook_token_endpoint(qbo_sandbox, before=kill, after=None)
    elif point == "rotated-unanswered":
        hook_token_endpoint(qbo_sandbox, before=None, after=kill)
    holder["child"] = child = start_child(values, point, marker)
    if point in ("writing", "written-not-renamed", "renamed"):
        deadline = time.monotonic() + 60
        while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert marker.read_text() == point
        kill()
    child.wait(timeout=60)
    assert child.stdout is not None
    assert child.stderr is not None
    child.stdout.close()
    child.stderr.close()
    assert killed == [child.pid]
    assert child.returncode == -signal.SIGKILL
    if point in ("request-lost", "rotated-unanswered"):
        del qbo_sandbox.sandbox.oauth.refresh  # the endpoint as it was

    after_kill = TokenStore(store).read()
    assert after_kill is not None
    assert stat.S_IMODE(os.stat(store).st_mode) == 0o600
    if point == "renamed":
        assert after_kill.refresh_token != before.refresh_token, "the new tokens are in place"
        assert after_kill.access_token
    else:
        assert after_kill.refresh_token == before.refresh_token, "the old tokens, whole"
    if point == "writing":
        assert len(leftovers(store)) == 1, "a temporary file cut short"
    if point == "written-not-renamed":
        assert len(leftovers(store)) == 1

    answer = run_child(values, tmp_path)
    if point in ("rotated-unanswered", "writing"):
        assert_locked_out_clearly(answer)
        assert TokenStore(store).read() == after_kill, "a failed run leaves the store alone"
    else:
        assert answer.get("count", 0) > 0, answer
        recovered = store_is_whole(store)
        if point != "renamed":  # (after "renamed" the store's access token is still good)
            assert recovered.refresh_token != before.refresh_token
        assert leftovers(store) == [], "what the killed process left is cleaned up"
        # and the run after that one authenticates from the store as well
        assert run_child(values, tmp_path).get("count", 0) > 0


def test_the_refresh_token_rotates_on_every_refresh_across_runs_and_each_old_one_is_dead(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    store = tmp_path / "tokens.json"
    values = {**client_values(qbo_sandbox, store), "token_store_path": store}
    seen = [values["refresh_token"]]
    for _ in range(4):
        stored = TokenStore(store).read()
        if stored is not None:  # the access token of the last run has run out
            stored.access_token = ""
            TokenStore(store).write(stored)
        client = QBOClient(ClientConfig(**values))
        assert client.count("Customer") > 0
        assert client.tokens.refreshes == 1
        client.close()
        now = TokenStore(store).read()
        assert now is not None
        assert now.refresh_token not in seen
        seen.append(now.refresh_token)
    creds = qbo_sandbox.credentials
    for old in seen[:-1]:
        with pytest.raises(OAuthError) as refused:
            qbo_sandbox.sandbox.oauth.refresh(creds.client_id, old)
        assert refused.value.error == "invalid_grant"


def test_a_slow_token_endpoint_is_waited_for_rather_than_asked_again_with_the_token_it_rotated(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    # The API timeout is half a second; the token endpoint rotates, then takes 1.5 s to answer.
    # Asking again after half a second would send the refresh token it has just retired.
    calls: list[float] = []
    hook_token_endpoint(qbo_sandbox, before=None, after=lambda: (calls.append(1.0), time.sleep(1.5)))
    values = {**client_values(qbo_sandbox, tmp_path / "tokens.json"), "timeout": 0.5}
    client = QBOClient(ClientConfig(**values))
    try:
        assert client.count("Customer") > 0
    finally:
        client.close()
    assert calls == [1.0], "one refresh request"
    assert client.tokens.refreshes == 1
