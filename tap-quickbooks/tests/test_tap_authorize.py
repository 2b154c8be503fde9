"""`tap-quickbooks auth` and `target-quickbooks auth`: the consent flow against the sandbox.

Each test runs the installed command in a subprocess with --no-browser and plays the browser with
requests: it follows the printed consent URL to the sandbox's /connect/oauth2, which consents at once
and redirects to the command's listener on 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from qbo_client.authorize import auth_arguments, load_settings
from qbo_sandbox.testing import RunningSandbox
from tap_harness import run_tap, sandbox_rows, selected_catalog

BIN = Path(sys.executable).parent


@dataclass
class AuthRun:
    """The auth command running in a subprocess, and the consent URL it printed."""

    proc: subprocess.Popen[str]
    consent_url: str
    state_home: Path

    @property
    def query(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.consent_url).query))

    def finish(self) -> tuple[int, str, str]:
        out, err = self.proc.communicate(timeout=120)
        return self.proc.returncode, out, err

    def store_files(self) -> list[Path]:
        return sorted(p for p in self.state_home.rglob("*.json"))


StartAuth = Callable[..., AuthRun]


@pytest.fixture
def start_auth(qbo_sandbox: RunningSandbox, tmp_path: Path) -> Iterator[StartAuth]:
    """Starts the auth command against the test's sandbox; ends what a failed test left running."""
    procs: list[subprocess.Popen[str]] = []

    def start(**settings: Any) -> AuthRun:
        return _start_auth(qbo_sandbox, tmp_path, procs, **settings)

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=60)


def _start_auth(
    running: RunningSandbox,
    tmp_path: Path,
    procs: list[subprocess.Popen[str]],
    *,
    command: str = "tap-quickbooks",
    **settings: Any,
) -> AuthRun:
    timeout = str(settings.pop("_timeout", 60))
    config = {
        "client_id": running.credentials.client_id,
        "client_secret": running.credentials.client_secret,
        "base_url": running.url,
        **settings,
    }
    config_path = tmp_path / "auth-config.json"
    config_path.write_text(json.dumps(config))
    state_home = tmp_path / "state"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_QUICKBOOKS_", "TARGET_QUICKBOOKS_"))}
    env["XDG_STATE_HOME"] = str(state_home)
    args = ["auth", "--config", str(config_path), "--no-browser", "--port", "0", "--timeout", timeout]
    proc = subprocess.Popen(
        [str(BIN / command), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    procs.append(proc)
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.strip().startswith("http"):
            return AuthRun(proc, line.strip(), state_home)
    raise AssertionError(f"no consent URL printed: {''.join(lines)}")


def test_auth_saves_tokens_where_the_next_tap_run_finds_them(
    start_auth: StartAuth, qbo_sandbox: RunningSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = start_auth()
    query = auth.query
    assert query["scope"] == "com.intuit.quickbooks.accounting"
    assert query["response_type"] == "code"
    assert query["client_id"] == qbo_sandbox.credentials.client_id
    assert auth.consent_url.startswith(f"{qbo_sandbox.url}/connect/oauth2?")
    assert query["redirect_uri"].startswith("http://localhost:")

    consent = requests.get(auth.consent_url, allow_redirects=False, timeout=30)
    assert consent.status_code == 302
    location = consent.headers["Location"]
    back = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    assert back["state"] == query["state"]
    assert back["realmId"] == qbo_sandbox.realm
    landed = requests.get(location, timeout=30)
    assert landed.status_code == 200
    code, out, err = auth.finish()
    assert code == 0, err

    # The store the tap uses by default for this client id and company (XDG_STATE_HOME/qbo-connectors).
    app = hashlib.sha256(qbo_sandbox.credentials.client_id.encode()).hexdigest()[:10]
    store = auth.state_home / "qbo-connectors" / "tokens" / f"{qbo_sandbox.realm}-{app}.json"
    assert auth.store_files() == [store]
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    saved = json.loads(store.read_text())
    assert saved["realm_id"] == qbo_sandbox.realm
    assert saved["refresh_token"].startswith("AB11")
    assert saved["access_token"]
    assert saved["access_expires_at"] > saved["updated_at"]

    # What it printed: the realm id and the file, never the code or a token.
    assert qbo_sandbox.realm in out
    assert str(store) in out
    for secret in (back["code"], saved["refresh_token"], saved["access_token"]):
        assert secret not in out
        assert secret not in err
    assert qbo_sandbox.credentials.client_secret not in out + err

    # The next run: no refresh_token in the config, only the app, the company and where it lives.
    monkeypatch.setenv("XDG_STATE_HOME", str(auth.state_home))
    config = {
        "client_id": qbo_sandbox.credentials.client_id,
        "client_secret": qbo_sandbox.credentials.client_secret,
        "realm_id": qbo_sandbox.realm,
        "base_url": qbo_sandbox.url,
        "reports": [],
    }
    run = run_tap(qbo_sandbox, config, catalog_dict=selected_catalog(config, ["Customer"]))
    assert sorted(run.ids("Customer")) == sorted(sandbox_rows(qbo_sandbox, "Customer"))
    assert run.ids("Customer")


def test_state_mismatch_writes_nothing(
    start_auth: StartAuth, qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    auth = start_auth()
    parts = urllib.parse.urlsplit(auth.consent_url)
    forged = urllib.parse.urlunsplit(
        parts._replace(query=urllib.parse.urlencode({**auth.query, "state": "not-the-one-sent"}))
    )
    landed = requests.get(forged, timeout=30)  # the sandbox consents, the listener refuses
    assert landed.status_code == 400
    code, _, err = auth.finish()
    assert code == 1
    assert "state does not match" in err
    assert "Nothing was written" in err
    assert auth.store_files() == []


def test_denied_consent_is_a_clear_error_and_writes_nothing(
    start_auth: StartAuth, qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    # The target's command: the same implementation behind the other entry point.
    auth = start_auth(command="target-quickbooks")
    query = auth.query
    # What Intuit sends back when the user clicks Cancel on the consent page.
    denied = f"{query['redirect_uri']}?" + urllib.parse.urlencode(
        {"error": "access_denied", "state": query["state"]}
    )
    landed = requests.get(denied, timeout=30)
    assert landed.status_code == 400
    code, _, err = auth.finish()
    assert code == 1
    assert err.startswith("target-quickbooks auth: access was denied")
    assert auth.store_files() == []


def test_refused_client_secret_is_a_clear_error_and_writes_nothing(
    start_auth: StartAuth, qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    auth = start_auth(client_secret="wrong-secret-of-the-app")
    landed = requests.get(auth.consent_url, timeout=30)
    assert landed.status_code == 200  # consent is given; the code exchange is what fails
    code, out, err = auth.finish()
    assert code == 1
    assert "invalid_client" in err
    assert "Nothing was written" in err
    assert "wrong-secret-of-the-app" not in out + err
    assert auth.store_files() == []


def test_no_redirect_within_the_timeout_is_a_clear_error(
    start_auth: StartAuth, qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    auth = start_auth(_timeout=0.5)
    code, _, err = auth.finish()
    assert code == 1
    assert "no redirect came back" in err
    assert auth.store_files() == []


def test_auth_is_found_after_the_options_meltano_puts_first() -> None:
    # `meltano invoke tap-quickbooks auth` runs `tap-quickbooks --config F --catalog C auth`.
    assert auth_arguments(["auth", "--no-browser"]) == ["--no-browser"]
    assert auth_arguments(["--config", "m.json", "--catalog", "c.json", "auth", "--port", "0"]) == [
        "--config",
        "m.json",
        "--port",
        "0",
    ]
    assert auth_arguments(["--config", "m.json", "--discover"]) is None
    assert auth_arguments(["--about", "--format=markdown"]) is None
    assert auth_arguments([]) is None


def test_settings_come_from_files_then_the_plugin_environment(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"client_id": "from-file", "base_url": ""}))
    environ = {
        "TAP_QUICKBOOKS_CLIENT_ID": "from-env",
        "TAP_QUICKBOOKS_CLIENT_SECRET": "secret-from-env",
        "TAP_QUICKBOOKS_BASE_URL": "http://127.0.0.1:9",
        "TARGET_QUICKBOOKS_REALM_ID": "not-this-plugin",
    }
    settings = load_settings([str(path)], "TAP_QUICKBOOKS_", environ)
    assert settings == {
        "client_id": "from-file",
        "client_secret": "secret-from-env",
        "base_url": "http://127.0.0.1:9",
    }
