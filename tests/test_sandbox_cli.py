"""The ``qbo-sandbox`` command as a user runs it: separate processes, real HTTP, files on disk."""

from __future__ import annotations

import argparse
import json
import os
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from qbo_sandbox.cli import build_parser

CLI = [sys.executable, "-m", "qbo_sandbox.cli"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120, check=False)


@contextmanager
def serving(*args: str) -> Iterator[str]:
    proc = subprocess.Popen([*CLI, "serve", "--port", "0", *args], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        yield url
    finally:
        proc.terminate()
        assert proc.wait(timeout=15) == 0
        if proc.stdout is not None:
            proc.stdout.close()


def token(url: str, creds: dict[str, str]) -> str:
    answer = requests.post(
        f"{url}/oauth2/v1/tokens/bearer",
        data={"grant_type": "refresh_token", "refresh_token": creds["refresh_token"]},
        auth=(creds["client_id"], creds["client_secret"]),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    creds["refresh_token"] = answer.json()["refresh_token"]  # it rotates: keep the new one
    return str(answer.json()["access_token"])


def count(url: str, realm: str, access: str, entity: str) -> int:
    answer = requests.get(
        f"{url}/v3/company/{realm}/query",
        params={"query": f"SELECT COUNT(*) FROM {entity}"},
        headers={"Authorization": f"Bearer {access}"},
        timeout=10,
    )
    return int(answer.json()["QueryResponse"]["totalCount"])


def wait_for(path: Path) -> None:
    deadline = time.monotonic() + 30
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_serve_prints_its_url_first_and_writes_private_credentials(tmp_path: Path) -> None:
    creds_file = tmp_path / "creds.json"
    with serving("--seed", "1", "--credentials-file", str(creds_file)) as url:
        wait_for(creds_file)
        assert stat.S_IMODE(os.stat(creds_file).st_mode) == 0o600
        creds = json.loads(creds_file.read_text())
        assert set(creds) >= {"client_id", "client_secret", "refresh_token", "realm_id"}
        assert count(url, creds["realm_id"], token(url, creds), "Invoice") > 0


def test_seed_load_and_credentials_work_on_a_file_that_survives_a_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "books.db")
    seeded = run("seed", "--db", db, "--seed", "3", "--realm", "4620816365")
    assert seeded.returncode == 0, seeded.stderr
    assert json.loads(seeded.stdout)["objects"]["Invoice"] > 0

    payloads = tmp_path / "customers.jsonl"
    payloads.write_text(
        "\n".join(
            json.dumps(line)
            for line in [
                {
                    "Customer": {
                        "Id": "9001",
                        "DisplayName": "Loaded One",
                        "SyncToken": "4",
                        "MetaData": {
                            "CreateTime": "2024-01-02T03:04:05-08:00",
                            "LastUpdatedTime": "2024-02-03T04:05:06-08:00",
                        },
                    }
                },
                {
                    "type": "RECORD",
                    "stream": "Customer",
                    "record": {"Id": "9002", "DisplayName": "Loaded Two"},
                },
            ]
        )
    )
    loaded = run("load", "--db", db, "--realm", "4620816365", str(payloads))
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(loaded.stdout)["loaded"] == {"Customer": 2}

    issued = run("credentials", "--db", db, "--realm", "4620816365")
    assert issued.returncode == 0, issued.stderr
    creds = json.loads(issued.stdout)
    assert creds["realm_id"] == "4620816365"

    with serving("--db", db) as url:
        access = token(url, creds)
        answer = requests.get(
            f"{url}/v3/company/4620816365/customer/9001",
            headers={"Authorization": f"Bearer {access}"},
            timeout=10,
        ).json()["Customer"]
        assert answer["SyncToken"] == "4"
        assert answer["MetaData"]["LastUpdatedTime"] == "2024-02-03T04:05:06-08:00"
        created = requests.post(
            f"{url}/v3/company/4620816365/customer",
            json={"DisplayName": "After Restart"},
            headers={"Authorization": f"Bearer {access}"},
            timeout=10,
        ).json()["Customer"]
        assert int(created["Id"]) > 9002  # loaded Ids are never handed out again

    with serving("--db", db) as url:
        access = token(url, creds)
        again = requests.get(
            f"{url}/v3/company/4620816365/customer/{created['Id']}",
            headers={"Authorization": f"Bearer {access}"},
            timeout=10,
        )
        assert again.json()["Customer"]["DisplayName"] == "After Restart"


def test_load_of_a_file_that_is_not_entities_fails_clearly(tmp_path: Path) -> None:
    junk = tmp_path / "junk.json"
    junk.write_text('{"hello": "world"}')
    result = run("load", "--db", str(tmp_path / "x.db"), "--realm", "1", str(junk))
    assert result.returncode == 1
    assert "junk.json" in result.stderr
    assert "--entity" in result.stderr


def test_serve_refuses_a_non_loopback_address_unless_told() -> None:
    result = run("serve", "--host", "0.0.0.0", "--port", "0")  # noqa: S104 - the refusal is the point
    assert result.returncode == 2
    assert "loopback" in result.stderr


def refusal(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a refused command prints: exit status 2, nothing on stdout, no traceback."""
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_serve_on_a_busy_port_names_the_port_in_one_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        line = refusal(run("serve", "--port", str(port)))
    assert f"port {port} on 127.0.0.1 is already in use" in line
    assert "--port" in line


def test_load_of_a_missing_file_names_it_and_loads_nothing(tmp_path: Path) -> None:
    db = tmp_path / "books.db"
    present = tmp_path / "customers.jsonl"
    present.write_text(json.dumps({"Customer": {"Id": "1", "DisplayName": "Present"}}) + "\n")
    missing = tmp_path / "missing.jsonl"
    line = refusal(run("load", "--db", str(db), "--realm", "1", str(present), str(missing)))
    assert f"the file {missing} does not exist" in line
    assert not db.exists()  # checked before the database was opened


@pytest.mark.parametrize(("args", "named"), [(["--size", "-5"], "--size"), (["--now", "soon"], "--now")])
def test_a_bad_value_is_refused_in_one_line_naming_the_option(
    tmp_path: Path, args: list[str], named: str
) -> None:
    line = refusal(run("seed", "--db", str(tmp_path / "books.db"), *args))
    assert f"argument {named}: " in line
    assert args[1] in line
    assert "qbo-sandbox seed --help" in line


def test_seed_without_a_seed_generates_the_sample_company_of_seed_1_and_says_so(tmp_path: Path) -> None:
    moment = ["--now", "2026-03-31T12:00:00-07:00", "--realm", "123"]
    default = run("seed", "--db", str(tmp_path / "default.db"), *moment)
    explicit = run("seed", "--db", str(tmp_path / "one.db"), "--seed", "1", *moment)
    assert default.returncode == 0, default.stderr
    assert explicit.returncode == 0, explicit.stderr
    assert json.loads(default.stdout)["objects"]["Invoice"] > 0
    assert json.loads(default.stdout) == json.loads(explicit.stdout)
    assert "no --seed given: generating the sample company from seed 1" in default.stderr


def test_serve_help_explains_every_option_with_its_default() -> None:
    shown = run("serve", "--help")
    assert shown.returncode == 0
    serve = next(
        action.choices["serve"]
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    for action in serve._actions:
        assert action.help, action.option_strings
        if action.default not in (None, False, argparse.SUPPRESS):
            assert "default" in action.help, action.option_strings
        for option in action.option_strings:
            assert option in shown.stdout
    assert "requests in flight at once (default 10)" in " ".join(shown.stdout.split())
