"""The ``qbo-sandbox`` command as a user runs it: separate processes, real HTTP, files on disk."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

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
