"""The ``qbd-sandbox`` command: qbXML in, qbXML out; mistakes in one line with exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from qbd_client import qbxml
from qbd_sandbox.cli import main
from qbd_sandbox.company import Company

QUERY = qbxml.message_set([qbxml.build("CustomerQueryRq", {}, request_id="7")])


def run(args: list[str], stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "qbd_sandbox.cli", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )


def test_qbxml_answers_a_request_document_on_stdout(tmp_path: Path) -> None:
    path = tmp_path / "books.qbw"
    with Company(path) as company:
        company.add("Customer", {"Name": "Acme"})
    done = run(["qbxml", "--company", str(path)], QUERY)
    assert done.returncode == 0, done.stderr
    (answer,) = qbxml.parse_response(done.stdout).responses
    assert (answer.tag, answer.request_id, answer.status_code) == ("CustomerQueryRs", "7", 0)
    assert [r["Name"] for r in answer.records()] == ["Acme"]
    assert done.stderr == b""


def test_qbxml_writes_persist_in_the_company_file(tmp_path: Path) -> None:
    path = tmp_path / "books.qbw"
    Company(path).close()
    add = qbxml.message_set([qbxml.add_request("Vendor", {"Name": "Paper Co"})])
    assert run(["qbxml", "--company", str(path)], add).returncode == 0
    with Company(path) as company:
        assert company.count("Vendor") == 1


def test_a_refused_document_prints_the_hresult_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "books.qbw"
    Company(path).close()
    done = run(["qbxml", "--company", str(path)], b"<QBXML><QBXMLMsgsRq onError='stopOnError'><Nope/>")
    assert done.returncode == 1
    assert done.stdout == b""
    assert done.stderr.decode().strip() == (
        "0x80040400: QuickBooks found an error when parsing the provided XML text stream."
    )


def test_a_missing_company_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = run(["qbxml", "--company", str(tmp_path / "nowhere.qbw")], QUERY)
    assert done.returncode == 2
    lines = done.stderr.decode().strip().splitlines()
    assert len(lines) == 1
    assert "nowhere.qbw does not exist" in lines[0]
    assert "Traceback" not in done.stderr.decode()
    assert not (tmp_path / "nowhere.qbw").exists()


def test_seed_refuses_a_bad_date_and_a_company_that_has_records(tmp_path: Path) -> None:
    done = run(["seed", "--company", str(tmp_path / "new.qbw"), "--now", "yesterday"])
    assert done.returncode == 2
    assert "--now 'yesterday' is not an ISO date-time" in done.stderr.decode()
    path = tmp_path / "full.qbw"
    with Company(path) as company:
        company.add("Customer", {"Name": "Already Here"})
    full = run(["seed", "--company", str(path)])
    assert full.returncode == 2
    assert len(full.stderr.decode().strip().splitlines()) == 1


def test_seed_fills_a_new_company_with_the_sample_books(tmp_path: Path) -> None:
    path = tmp_path / "seeded.qbw"
    done = run(
        ["seed", "--company", str(path), "--seed", "3", "--size", "40", "--now", "2024-06-30T17:00:00"]
    )
    assert done.returncode == 0, done.stderr
    counts = json.loads(done.stdout)
    with Company(path) as company:
        for object_name in ("Customer", "Invoice", "Bill", "JournalEntry"):
            assert company.count(object_name) == counts[object_name]
        assert counts["Customer"] > 0
        # The history ends at --now, read in the company's zone.
        query = qbxml.message_set([qbxml.build("JournalEntryQueryRq", {})])
        dates = [
            r["TxnDate"] for r in qbxml.parse_response(company.process(query, "s")).responses[0].records()
        ]
        assert max(dates) <= "2024-06-30"


def test_help_shows_the_commands_and_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["qbxml", "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "--company" in text
    assert "America/Los_Angeles" in text


def test_a_file_that_is_not_a_company_is_one_line_and_exit_2(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("groceries: milk, eggs, bread, and enough text to fill a database header page\n" * 20)
    done = run(["qbxml", "--company", str(notes)], QUERY)
    assert done.returncode == 2
    message = done.stderr.decode().strip()
    assert len(message.splitlines()) == 1
    assert "is not a company file" in message
    lost = run(["seed", "--company", str(tmp_path / "no" / "such" / "dir.qbw")])
    assert lost.returncode == 2
    assert "does not exist" in lost.stderr.decode()
