"""The README's Desktop walkthrough as a person runs it: each command its own process, real HTTP.

Seed an emulated company file, start the bridge, add the company (password and ``.qwc``), create
an API token, queue a qbXML request with ``qbd-bridge request``, run one Web Connector update with
``qbd-sandbox connector`` pointed at the generated ``.qwc``, and read the answer that comes back.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from qbd_client import qbxml
from qbd_sandbox.company import Company

BIN = Path(sys.executable).parent

REQUEST = b"""<?xml version="1.0" encoding="utf-8"?>
<?qbxml version="13.0"?>
<QBXML><QBXMLMsgsRq onError="stopOnError">
<CustomerQueryRq requestID="customers"><MaxReturned>5</MaxReturned></CustomerQueryRq>
<GeneralSummaryReportQueryRq requestID="tb"><GeneralSummaryReportType>TrialBalance</GeneralSummaryReportType>
<ReportDateMacro>ThisMonthToDate</ReportDateMacro></GeneralSummaryReportQueryRq>
</QBXMLMsgsRq></QBXML>
"""


def run(*args: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(args, cwd=cwd, input=stdin, capture_output=True, timeout=120, check=False)


@contextmanager
def bridge_serving(db: Path) -> Iterator[str]:
    proc = subprocess.Popen(
        [str(BIN / "qbd-bridge"), "serve", "--db", str(db), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
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


def test_a_queued_request_comes_back_through_the_web_connector_emulator(tmp_path: Path) -> None:
    seeded = run(str(BIN / "qbd-sandbox"), "seed", "--company", "company.db", "--size", "300", cwd=tmp_path)
    assert seeded.returncode == 0, seeded.stderr
    with bridge_serving(tmp_path / "bridge.db") as url:
        port = url.rsplit(":", 1)[1]
        added = run(
            str(BIN / "qbd-bridge"), "company", "add", "acme", "--url", f"http://localhost:{port}/qbwc",
            "--db", "bridge.db", "--qwc-out", "acme.qwc", cwd=tmp_path,
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        (tmp_path / "password.txt").write_bytes(added.stdout)
        token = run(str(BIN / "qbd-bridge"), "token", "create", "--db", "bridge.db", cwd=tmp_path)
        assert token.returncode == 0, token.stderr
        (tmp_path / "token.txt").write_bytes(token.stdout)

        request = subprocess.Popen(
            [
                str(BIN / "qbd-bridge"),
                "request",
                "acme",
                "--url",
                url,
                "--token-file",
                "token.txt",
                "--wait",
                "60",
            ],
            cwd=tmp_path,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert request.stdin is not None
        request.stdin.write(REQUEST)
        request.stdin.close()
        # The request is queued before the Web Connector calls: the job is in the bridge's database.
        assert request.stderr is not None
        assert b"queued for acme" in request.stderr.readline()

        update = run(
            str(BIN / "qbd-sandbox"), "connector", "--qwc", "acme.qwc", "--password-file", "password.txt",
            "--company", "company.db", "--once", cwd=tmp_path,
        )  # fmt: skip
        assert update.returncode == 0, update.stderr
        assert b"1 request relayed, 0 errors" in update.stdout
        assert request.stdout is not None
        out, err = request.stdout.read(), request.stderr.read()
        request.stdout.close()
        request.stderr.close()
        assert request.wait(timeout=60) == 0, err

    answer = qbxml.parse_response(out)
    by_id = answer.by_request_id()
    customers = by_id["customers"].raise_for_status().records()
    report = by_id["tb"].raise_for_status().rets[0]
    with Company(tmp_path / "company.db") as company:
        for customer in customers:
            assert customer == company.get("Customer", customer["ListID"])
    assert len(customers) == 5
    totals = [
        Decimal(col.get("value") or "0")
        for row in report.iter("TotalRow")
        for col in row.iter("ColData")
        if col.get("colID") in ("2", "3")
    ]
    assert len(totals) == 2
    assert totals[0] == totals[1] > 0
    assert "password" not in update.stdout.decode() + update.stderr.decode()
    assert added.stdout.decode().strip() not in update.stdout.decode() + update.stderr.decode()
