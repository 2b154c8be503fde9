"""``qbd-sandbox connector``: one line per update, the password never shown, user mistakes in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from qbd_bridge import cli as bridge_cli
from qbd_bridge.testing import RunningBridge
from qbd_client import qbxml
from qbd_sandbox.cli import main
from qbd_sandbox.company import Company
from qbd_sandbox.webconnector import PASSWORD_ENV


@pytest.fixture(scope="module")
def bridge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBridge]:
    fast = {"password_cost": 2**10, "failure_delay": 0.05}
    with RunningBridge(tmp_path_factory.mktemp("bridge") / "bridge.db", **fast) as running:
        yield running


@pytest.fixture
def setup(bridge: RunningBridge, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[str, Path, Path]:
    """A company on the bridge (its password, a .qwc naming localhost) and a company file of 3 customers."""
    name = request.node.name.replace("test_", "")[:40].strip("_")
    password, qwc = bridge.add_company(name)
    url = f"http://localhost:{urlsplit(bridge.url).port}/qbwc"
    args = ["company", "qwc", name, "--url", url, "--qwc-out", str(qwc), "--db", str(bridge.database)]
    assert bridge_cli.main(args) == 0
    path = tmp_path / "books.qbw"
    with Company(path) as books:
        for i in range(3):
            books.add("Customer", {"Name": f"Customer {i}"})
    query = qbxml.message_set([qbxml.build("CustomerQueryRq", {"MaxReturned": 2}, iterator="Start")])
    bridge.client(name).submit([query])
    return password, qwc, path


def fails(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert "Traceback" not in err
    return err


def test_once_relays_the_queued_work_and_prints_one_line(
    setup: tuple[str, Path, Path], tmp_path: Path
) -> None:
    password, qwc, company = setup
    env = {**os.environ, PASSWORD_ENV: password}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "qbd_sandbox.cli",
            "connector",
            "--qwc",
            str(qwc),
            "--company",
            str(company),
            "--once",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    (line,) = completed.stdout.splitlines()
    assert "done: 2 requests relayed, 0 errors" in line
    assert "last 100%" in line
    assert password not in completed.stdout + completed.stderr


def test_password_file_and_a_failed_update_exits_1(
    setup: tuple[str, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    password, qwc, company = setup
    secret = tmp_path / "password"
    secret.write_text(password + "wrong\n", encoding="utf-8")
    assert (
        main(
            [
                "connector",
                "--qwc",
                str(qwc),
                "--company",
                str(company),
                "--password-file",
                str(secret),
                "--once",
            ]
        )
        == 1
    )
    out, err = capsys.readouterr()
    assert "nvu: 0 requests relayed, 1 error" in out
    assert password not in out + err
    secret.write_text(password + "\n", encoding="utf-8")
    assert (
        main(
            [
                "connector",
                "--qwc",
                str(qwc),
                "--company",
                str(company),
                "--password-file",
                str(secret),
                "--once",
            ]
        )
        == 0
    )
    assert "done: 2 requests relayed, 0 errors" in capsys.readouterr().out


def test_a_qwc_the_web_connector_refuses_is_one_line_and_exit_2(
    setup: tuple[str, Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    password, qwc, company = setup
    monkeypatch.setenv(PASSWORD_ENV, password)
    bad = tmp_path / "bad.qwc"
    bad.write_text(
        qwc.read_text(encoding="utf-8").replace("http://localhost", "http://127.0.0.1"), encoding="utf-8"
    )
    err = fails(["connector", "--qwc", str(bad), "--company", str(company), "--once"], capsys)
    assert "QBWC1039" in err
    assert "names the host by its IP address" in err
    err = fails(["connector", "--qwc", str(tmp_path / "none.qwc"), "--company", str(company)], capsys)
    assert "cannot read the .qwc file" in err


def test_missing_company_password_or_bad_faults_are_one_line_and_exit_2(
    setup: tuple[str, Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    password, qwc, company = setup
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    base = ["connector", "--qwc", str(qwc), "--once"]
    assert "no QBWC password" in fails([*base, "--company", str(company)], capsys)
    empty = tmp_path / "empty"
    empty.write_text("\n", encoding="utf-8")
    assert "is empty" in fails([*base, "--company", str(company), "--password-file", str(empty)], capsys)
    missing = str(tmp_path / "missing")
    assert "cannot read the password file" in fails(
        [*base, "--company", str(company), "--password-file", missing], capsys
    )
    monkeypatch.setenv(PASSWORD_ENV, password)
    err = fails([*base, "--company", str(tmp_path / "nope.qbw")], capsys)
    assert "company file" in err
    assert "does not exist" in err
    assert not (tmp_path / "nope.qbw").exists()
    assert "unknown fault 'explode=1'" in fails(
        [*base, "--company", str(company), "--faults", "explode=1"], capsys
    )
    assert "--every 0" in fails(
        ["connector", "--qwc", str(qwc), "--company", str(company), "--every", "0"], capsys
    )
