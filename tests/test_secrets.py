"""No secret ever leaves through an output: the tap and the target at DEBUG, every path they take.

The tap and the target run as the user runs them (their commands, ``LOGLEVEL=DEBUG``) against a
sandbox whose access tokens live one real second (so they expire mid-run and are refreshed after a
401), that injects faults (500, 503, 429, dropped connections, 401), through a full sync, records
the target cannot write (the dead-letter file), a revoked grant (401, then ``invalid_grant``), a
refresh token QuickBooks never issued, a wrong client secret and a config whose secret has the
wrong type. Every token the sandbox issued during the test is collected as it is issued; the
sandbox stores only their sha256 digests, and every digest it holds must be one of the collected
tokens (so none was missed). Then no client secret, access token or refresh token may appear in
any stdout, stderr or dead-letter file, and no string of the outputs may hash to a token or
secret the sandbox knows.

This is the comprehensive secrets test; the older ones in ``test_tap_auth.py``,
``test_tap_cli.py``, ``test_target_errors.py`` and ``test_client.py`` check fewer paths in-process.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from qbo_client.client import QBOClient
from qbo_client.config import ClientConfig
from qbo_sandbox.config import LimitsConfig, RealismConfig, SandboxConfig, TokenConfig
from qbo_sandbox.server import NotLoopback, SandboxServer, check_host
from qbo_sandbox.testing import RunningSandbox, start_sandbox

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tap-quickbooks" / "tests"), str(ROOT / "target-quickbooks" / "tests")]
from tap_harness import selected_catalog, tap_config  # noqa: E402
from tq_helpers import TIME_SCALE, lines, new_business, record, schema, target_config  # noqa: E402

BIN = Path(sys.executable).parent
DEBUG = {**os.environ, "LOGLEVEL": "DEBUG"}
#: Runs of the characters of refresh tokens and client secrets (letters and digits), and of JWE
#: access tokens (base64url parts joined by dots).
TOKENISH = (re.compile(r"[A-Za-z0-9]{16,}"), re.compile(r"[A-Za-z0-9._-]{16,}"))


class IssuedTokens:
    """Every access and refresh token the sandbox's OAuth service issues, as it issues them."""

    def __init__(self, running: RunningSandbox) -> None:
        self.values: set[str] = {running.credentials.refresh_token, running.credentials.access_token}
        oauth = running.sandbox.oauth
        real = oauth._token_body

        def token_body(*args: Any, **kwargs: Any) -> dict[str, Any]:
            body: dict[str, Any] = real(*args, **kwargs)
            self.values.update((body["access_token"], body["refresh_token"]))
            return body

        oauth._token_body = token_body
        self.db = running.sandbox.db

    def stored_digests(self) -> set[str]:
        with self.db.read() as conn:
            found = {r[0] for r in conn.execute("SELECT token_hash FROM oauth_refresh_tokens")}
            found |= {r[0] for r in conn.execute("SELECT token_hash FROM oauth_access_tokens")}
        return found

    def secret_digests(self) -> set[str]:
        with self.db.read() as conn:
            return {r[0] for r in conn.execute("SELECT secret_hash FROM oauth_clients")}


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@pytest.fixture
def qbo_sandbox_config() -> SandboxConfig:
    return SandboxConfig(
        limits=LimitsConfig(time_scale=TIME_SCALE),
        # an hour of sandbox time is a minute here; 60 sandbox seconds last one real second
        tokens=TokenConfig(access_token_ttl=60.0),
        realism=RealismConfig(
            fault_rate=0.12,
            fault_kinds=("500", "503", "429", "drop", "401"),
            seed=17,
            latency_per_request=0.01,
        ),
    )


@pytest.fixture
def issued(qbo_sandbox: RunningSandbox) -> IssuedTokens:
    return IssuedTokens(qbo_sandbox)


def run(command: list[str], *, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, input=stdin, capture_output=True, text=True, timeout=180, env=DEBUG, check=False
    )


def write(path: Path, value: Any) -> str:
    path.write_text(json.dumps(value))
    return str(path)


def test_no_secret_in_any_output_of_the_tap_and_the_target_at_debug(
    qbo_sandbox: RunningSandbox, issued: IssuedTokens, tmp_path: Path
) -> None:
    outputs: dict[str, str] = {}
    tap = str(BIN / "tap-quickbooks")
    target = str(BIN / "target-quickbooks")

    # 1. The tap: a full sync through faults and access tokens that expire while it pages.
    tap_settings = tap_config(qbo_sandbox, tmp_path, page_size=5, max_in_flight=3, max_retries=20)
    tap_file = write(tmp_path / "tap.json", tap_settings)
    catalog_file = write(tmp_path / "catalog.json", selected_catalog(tap_settings, ["Customer", "Invoice"]))
    synced = run([tap, "--config", tap_file, "--catalog", catalog_file])
    assert synced.returncode == 0, synced.stderr[-3000:]
    outputs["tap sync stdout"], outputs["tap sync stderr"] = synced.stdout, synced.stderr
    assert '"type":"RECORD"' in synced.stdout
    assert "refreshed" in synced.stderr
    faults = qbo_sandbox.sandbox.limits.stats.snapshot()["faults"]
    assert "401" in faults, faults
    assert sum(faults.values()) >= 5, faults

    # 2. The target: customers and invoices, some of them refused by QuickBooks (dead letters).
    target_settings = target_config(
        qbo_sandbox, tmp_path, realm=qbo_sandbox.realm, max_retries=20, max_backoff=1.0
    )
    target_file = write(tmp_path / "target.json", target_settings)
    bad_invoice = {"DocNumber": "Secret-Bad-1", "CustomerRef": {"value": "999999"}, "Line": []}
    messages = [
        *new_business("Secret", 20, 10),
        schema("Invoice"),
        record("Invoice", bad_invoice),
        record("Invoice", {"DocNumber": "Secret-Bad-2", "CustomerRef": {"value": "999998"}}),
    ]
    wrote = run([target, "--config", target_file], stdin=lines(messages))
    assert wrote.returncode == 3, wrote.stderr[-3000:]  # finished, with dead letters
    outputs["target stdout"], outputs["target stderr"] = wrote.stdout, wrote.stderr
    dead = Path(target_settings["dead_letter_path"]).read_text()
    assert "Secret-Bad-1" in dead
    outputs["dead letters"] = dead

    # 3. The tap's grant revoked: the API answers 401, the refresh answers invalid_grant.
    stored = json.loads(Path(tap_settings["token_store_path"]).read_text())
    creds = qbo_sandbox.credentials
    revoked = requests.post(
        f"{qbo_sandbox.url}/oauth2/v1/tokens/revoke",
        data={"token": stored["refresh_token"]},
        auth=(creds.client_id, creds.client_secret),
        timeout=10,
    )
    assert revoked.status_code == 200
    locked_out = run([tap, "--config", tap_file, "--catalog", catalog_file])
    assert locked_out.returncode != 0
    assert "invalid_grant" in locked_out.stderr
    outputs["revoked stdout"], outputs["revoked stderr"] = locked_out.stdout, locked_out.stderr

    # 4. A refresh token QuickBooks never issued (the target), a wrong client secret (the tap), a
    #    secret of the wrong type in the config (the tap's config validation quotes bad values).
    never_issued = "AB11" + "7" * 10 + "NeverIssuedRefreshTokenValue0000000"
    wrong_secret = "WrongClientSecret0123456789abcdefghijklm"
    typed_secret = 98765432109876543
    bogus = run(
        [
            target,
            "--config",
            write(
                tmp_path / "bogus.json",
                {
                    **target_settings,
                    "refresh_token": never_issued,
                    "token_store_path": str(tmp_path / "bogus-store.json"),
                },
            ),
        ],
        stdin=lines(new_business("Bogus", 2, 0)),
    )
    assert bogus.returncode != 0
    assert "invalid_grant" in bogus.stderr
    wrong = run(
        [
            tap,
            "--config",
            write(
                tmp_path / "wrong.json",
                {**tap_settings, "client_secret": wrong_secret, "token_store_path": str(tmp_path / "w.json")},
            ),
            "--catalog",
            catalog_file,
        ]
    )
    assert wrong.returncode != 0
    assert "invalid_client" in wrong.stderr
    typed = run(
        [
            tap,
            "--config",
            write(tmp_path / "typed.json", {**tap_settings, "client_secret": typed_secret}),
            "--catalog",
            catalog_file,
        ]
    )
    assert typed.returncode != 0
    assert "config['client_secret']" in typed.stderr
    typed_target = run(
        [
            target,
            "--config",
            write(tmp_path / "typed-target.json", {**target_settings, "client_secret": typed_secret}),
        ],
        stdin=lines(new_business("Typed", 1, 0)),
    )
    assert typed_target.returncode != 0
    assert "config['client_secret']" in typed_target.stderr
    for name, result in (
        ("bogus", bogus),
        ("wrong", wrong),
        ("typed", typed),
        ("typed target", typed_target),
    ):
        outputs[f"{name} stdout"], outputs[f"{name} stderr"] = result.stdout, result.stderr

    # Every token the sandbox holds a digest of was collected; and there were many.
    assert issued.stored_digests() <= {digest(v) for v in issued.values if v}
    assert len(issued.values) >= 6, "refreshes happened (expiry, 401s, two processes)"
    secrets = {
        *issued.values,
        creds.client_secret,
        target_settings["client_secret"],
        never_issued,
        wrong_secret,
        str(typed_secret),
    }
    known = issued.stored_digests() | issued.secret_digests()
    for label, text in outputs.items():
        for secret in secrets:
            assert secret not in text, f"a secret in the {label}"
        for pattern in TOKENISH:
            for found in pattern.findall(text):
                assert digest(found) not in known, f"a token or client secret in the {label}"

    for store in (tap_settings["token_store_path"], target_settings["token_store_path"]):
        assert stat.S_IMODE(os.stat(store).st_mode) == 0o600, store


def test_tls_verification_is_on_for_intuits_hosts() -> None:
    for settings in (
        {"environment": "production"},
        {"environment": "sandbox"},
        {"base_url": "https://qbo.example.com"},
    ):
        config = ClientConfig(
            client_id="id", client_secret="secret", refresh_token="", realm_id="1", **settings
        )
        client = QBOClient(config)
        try:
            assert client.session.verify is True
            for url in (config.company_url, config.oauth_token_url):
                merged = client.session.merge_environment_settings(url, {}, None, None, None)
                assert merged["verify"] is not False, url
        finally:
            client.close()
    assert "verify" not in ClientConfig.__dataclass_fields__, "no setting turns verification off"


def test_the_sandbox_binds_loopback_only_unless_told() -> None:
    for host in ("127.0.0.1", "::1", "localhost"):
        check_host(host, allow_remote=False)
    for host in ("0.0.0.0", "192.168.1.10", "example.com"):  # noqa: S104 - the refusal is the point
        with pytest.raises(NotLoopback):
            check_host(host, allow_remote=False)
        check_host(host, allow_remote=True)
    with pytest.raises(NotLoopback):
        SandboxServer(host="0.0.0.0")  # noqa: S104
    with start_sandbox(seed=None) as running:
        assert running.url.startswith("http://127.0.0.1:")


def test_no_bridge_token_in_any_output_of_the_desktop_tap_and_target_at_debug(tmp_path: Path) -> None:
    """Edition desktop at DEBUG: a full read, a write into another company, and a refused token."""
    from qbd_sandbox.stack import DesktopStack

    with DesktopStack(tmp_path / "desktop") as stack:
        stack.add_company("books", seed=2, size=40)
        stack.add_company("copy")
        token = stack.token()
        tap = run(
            [str(BIN / "tap-quickbooks"), "--config", write(tmp_path / "tap.json", stack.tap_config("books"))]
        )
        assert tap.returncode == 0, tap.stderr[-3000:]
        customers = [
            line
            for line in tap.stdout.splitlines()
            if line.startswith('{"type":"SCHEMA","stream":"Customer"') or '"stream":"Customer"' in line[:60]
        ]
        assert len(customers) > 1  # the schema and customers to write
        target_config = {**stack.tap_config("copy"), "dead_letter_path": str(tmp_path / "dead.jsonl")}
        target = run(
            [str(BIN / "target-quickbooks"), "--config", write(tmp_path / "target.json", target_config)],
            stdin="\n".join(customers) + "\n",
        )
        assert target.returncode in (0, 3), target.stderr[-3000:]
        wrong = {**stack.tap_config("books"), "bridge_token": token[::-1]}
        refused = run([str(BIN / "tap-quickbooks"), "--config", write(tmp_path / "wrong.json", wrong)])
        assert refused.returncode == 2
        assert "qbd-bridge refused the API token" in refused.stderr
        outputs = [tap.stdout, tap.stderr, target.stdout, target.stderr, refused.stdout, refused.stderr]
        if (tmp_path / "dead.jsonl").exists():
            outputs.append((tmp_path / "dead.jsonl").read_text())
        assert "DEBUG" in tap.stderr  # the run really logged at DEBUG
        for text in outputs:
            assert token not in text
            assert token[::-1] not in text
