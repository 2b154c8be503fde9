"""The ``qbd-bridge`` command: serve, company add/list/qwc/reset-password, token create, status, mistakes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from bridge_harness import FAST, Soap
from qbd_bridge.cli import main
from qbd_bridge.testing import RunningBridge
from qbd_client.xml import parse_bytes

BIN = Path(sys.executable).parent / "qbd-bridge"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_company_add_prints_the_password_once_and_writes_the_qwc(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "bridge.db"
    qwc = tmp_path / "acme.qwc"
    url = "https://books.example.com/qbwc?via=proxy&x=<1>"
    code, out, err = run(
        capsys,
        "company",
        "add",
        "acme",
        "--url",
        url,
        "--qwc-out",
        str(qwc),
        "--run-every-minutes",
        "15",
        "--db",
        str(db),
    )
    assert code == 0
    (password,) = out.splitlines()
    assert len(password) >= 20
    assert "acme.qwc" in err
    assert password not in err
    assert stat.S_IMODE(db.stat().st_mode) == 0o600  # it holds password hashes and the books' answers
    assert password.encode() not in db.read_bytes()

    raw = qwc.read_bytes()
    assert raw.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    assert b"via=proxy&amp;x=&lt;1&gt;" in raw  # escaped by the XML writer, not pasted
    root = parse_bytes(raw)
    assert [child.tag for child in root] == [
        "AppName",
        "AppID",
        "AppURL",
        "AppDescription",
        "AppSupport",
        "UserName",
        "OwnerID",
        "FileID",
        "QBType",
        "Scheduler",
        "IsReadOnly",
    ]
    assert root.findtext("AppURL") == url
    assert root.findtext("AppSupport") == "https://books.example.com/support"
    assert (root.findtext("UserName"), root.findtext("QBType"), root.findtext("IsReadOnly")) == (
        "acme",
        "QBFS",
        "false",
    )
    assert root.findtext("Scheduler/RunEveryNMinutes") == "15"
    for guid in (root.findtext("OwnerID") or "", root.findtext("FileID") or ""):
        assert guid.startswith("{")
        assert guid.endswith("}")
        assert len(guid) == 38

    # The printed password is the one the service checks.
    with RunningBridge(db, **FAST) as running:
        user = root.findtext("UserName") or ""
        assert Soap(running.url).authenticate(user, password)[1] == "none"
        assert Soap(running.url).authenticate(user, password[:-1])[1] == "nvu"

    code, out, _ = run(capsys, "company", "list", "--db", str(db))
    assert code == 0
    assert out.startswith("acme\tuser acme\tFileID {")
    code, out, _ = run(capsys, "company", "reset-password", "acme", "--db", str(db))
    assert code == 0
    assert out.strip() != password
    qwc.unlink()
    code, _, _ = run(capsys, "company", "qwc", "acme", "--qwc-out", str(qwc), "--db", str(db))
    assert code == 0
    assert parse_bytes(qwc.read_bytes()).findtext("FileID") == root.findtext("FileID")  # same company file


def test_token_create_and_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "bridge.db"
    run(
        capsys,
        "company",
        "add",
        "acme",
        "--url",
        "http://localhost:8080/qbwc",
        "--qwc-out",
        str(tmp_path / "a.qwc"),
        "--db",
        str(db),
    )
    code, out, err = run(capsys, "token", "create", "--label", "tap", "--db", str(db))
    assert code == 0
    (token,) = out.splitlines()
    assert token.startswith("qbdb_")
    assert "shown this once" in err
    assert token.encode() not in db.read_bytes()
    with RunningBridge(db, **FAST) as running:
        answer = requests.get(
            f"{running.url}/api/v1/companies/acme/status",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert answer.status_code == 200

    code, out, _ = run(capsys, "status", "--db", str(db))
    assert code == 0
    assert out.startswith("acme: QBWC last called never; 0 message sets queued in 0 jobs")
    code, out, _ = run(capsys, "status", "acme", "--json", "--db", str(db))
    assert code == 0
    assert json.loads(out)["last_call"] == "never"


def _busy_port() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    return sock


@pytest.fixture(scope="module")
def one_company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bridge database with the company acme (copied by each test that may change it)."""
    folder = tmp_path_factory.mktemp("one")
    db = folder / "bridge.db"
    argv = ["company", "add", "acme", "--url", "https://h.example/qbwc", "--qwc-out", str(folder / "a.qwc")]
    assert main([*argv, "--db", str(db)]) == 0
    return db


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["status", "--db", "{missing}/b.db"], "does not exist: create it first"),
        (["company", "add", "x", "--url", "https://h/qbwc", "--db", "{missing}/b.db"], "does not exist"),
        (["serve", "--db", "{missing}/b.db", "--port", "0"], "does not exist"),
        (["status", "--db", "{tmp}/none.db"], "no bridge database at"),
        (["status", "ghost", "--db", "{db}"], "unknown company ghost"),
        (["company", "qwc", "ghost", "--db", "{db}"], "unknown company ghost"),
        (["company", "reset-password", "ghost", "--db", "{db}"], "unknown company ghost"),
        (
            [
                "company",
                "add",
                "acme",
                "--url",
                "https://h.example/qbwc",
                "--qwc-out",
                "{tmp}/a.qwc",
                "--db",
                "{db}",
            ],
            "already exists",
        ),
        (["company", "add", "b c", "--url", "https://h.example/qbwc", "--db", "{db}"], "is not allowed"),
        (
            ["company", "add", "b", "--url", "http://books.example.com/qbwc", "--db", "{db}"],
            "refuses plain http",
        ),
        (["company", "add", "b", "--url", "https://203.0.113.9/qbwc", "--db", "{db}"], "bare IP address"),
        (["company", "add", "b", "--url", "ftp://x/qbwc", "--db", "{db}"], "is not an http(s) URL"),
        (
            [
                "company",
                "add",
                "b",
                "--url",
                "https://h.example/qbwc",
                "--qwc-out",
                "{missing}/b.qwc",
                "--db",
                "{db}",
            ],
            "does not exist",
        ),
        (["serve", "--db", "{db}", "--host", "0.0.0.0", "--port", "0"], "refusing to bind 0.0.0.0"),  # noqa: S104
        (["serve", "--db", "{db}", "--port", "{busy}"], "address is already in use"),
        (["serve", "--db", "{notdb}", "--port", "0"], "is not a qbd-bridge database"),
    ],
)
def test_user_mistakes_are_one_line_and_exit_2(
    tmp_path: Path, one_company: Path, capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    db = tmp_path / "bridge.db"
    shutil.copy(one_company, db)
    (tmp_path / "not.db").write_bytes(b"this is not SQLite" * 100)
    capsys.readouterr()
    busy = _busy_port()
    try:
        values = {
            "missing": str(tmp_path / "missing"),
            "tmp": str(tmp_path),
            "db": str(db),
            "busy": str(busy.getsockname()[1]),
            "notdb": str(tmp_path / "not.db"),
        }
        code, out, err = run(capsys, *(arg.format(**values) for arg in argv))
    finally:
        busy.close()
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("qbd-bridge: ")
    assert says in err
    assert "Traceback" not in err


def test_serve_prints_its_url_first_and_answers_until_terminated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "bridge.db"
    server = subprocess.Popen(
        [str(BIN), "serve", "--db", str(db), "--port", "0", "--log-level", "warning"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert requests.get(f"{url}/health", timeout=10).json()["status"] == "ok"
        # A company added by the CLI while the service runs is served at once (one SQLite file, WAL).
        code, out, _ = run(
            capsys,
            "company",
            "add",
            "live",
            "--url",
            f"{url}/qbwc".replace("127.0.0.1", "localhost"),
            "--qwc-out",
            str(tmp_path / "live.qwc"),
            "--db",
            str(db),
        )
        assert code == 0
        assert Soap(url).authenticate("live", out.strip())[1] == "none"
        assert requests.get(f"{url}/support", timeout=10).status_code == 200
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=15)
    assert server.returncode == 0, err
    assert "Traceback" not in err
