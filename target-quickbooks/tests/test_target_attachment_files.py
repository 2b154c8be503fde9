"""Attachables with their files: the target uploads a record's file (``_qbo_file_path``/``_qbo_file_url``)
through ``POST upload``, linked to its entity; a file it cannot send is one dead letter; a tap → target
copy carries the files (same SHA-256)."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import Any

from qbo_client.client import QBOClient
from qbo_sandbox.testing import RunningSandbox
from tq_helpers import dead_letters, reader, record, rows, run_target, schema, target_config

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tap-quickbooks" / "tests"))
from tap_harness import run_tap, tap_config
from tap_quickbooks.tap import TapQuickBooks

PDF = b"%PDF-1.4\n" + os.urandom(50_000) + b"\n%%EOF\n"


def _schema() -> dict[str, Any]:
    message = schema("Attachable")
    message["schema"]["properties"]["_qbo_file_path"] = {"type": ["string", "null"]}
    message["schema"]["properties"]["_qbo_file_url"] = {"type": ["string", "null"]}
    message["schema"]["properties"]["_qbo_file_sha256"] = {"type": ["string", "null"]}
    return message


def _file_of(client: QBOClient, attachable_id: str) -> bytes:
    return client.fetch_file(client.download_url(attachable_id))


def test_a_record_with_a_file_is_uploaded_and_linked(
    config: dict[str, Any], company: QBOClient, tmp_path: Path
) -> None:
    invoice = rows(company, "Invoice")[0]
    path = tmp_path / "signed estimate.pdf"
    path.write_bytes(PDF)
    body = {
        "FileName": "signed estimate.pdf",
        "Note": "signed by the customer",
        "AttachableRef": [{"EntityRef": {"type": "Invoice", "value": invoice["Id"]}}],
        "_qbo_file_path": str(path),
        "_qbo_file_sha256": hashlib.sha256(PDF).hexdigest(),
    }
    memory = {**body, "FileName": "from-memory.txt", "_qbo_file_path": None, "_qbo_file_sha256": None}
    memory["_qbo_file_url"] = "memory://target-attachment-test/from-memory.txt"
    import fsspec

    with fsspec.open(memory["_qbo_file_url"], "wb") as handle:
        handle.write(b"plain text notes")
    run = run_target(config, [_schema(), record("Attachable", body), record("Attachable", memory)])

    assert dead_letters(config) == []
    assert run.counts.get("create") == 2
    (made,) = rows(company, "Attachable", "FileName = 'signed estimate.pdf'")
    assert made["ContentType"] == "application/pdf"
    assert made["Size"] == len(PDF)
    assert made["Note"] == "signed by the customer"
    assert made["AttachableRef"][0]["EntityRef"] == {"type": "Invoice", "value": invoice["Id"]}
    assert _file_of(company, made["Id"]) == PDF
    (text,) = rows(company, "Attachable", "FileName = 'from-memory.txt'")
    assert text["ContentType"] == "text/plain"
    assert _file_of(company, text["Id"]) == b"plain text notes"


def test_files_it_cannot_send_are_one_dead_letter_each(
    config: dict[str, Any], company: QBOClient, tmp_path: Path
) -> None:
    before = len(rows(company, "Attachable"))
    invoice = rows(company, "Invoice")[0]["Id"]
    ref = [{"EntityRef": {"type": "Invoice", "value": invoice}}]
    huge = tmp_path / "scan.pdf"
    with huge.open("wb") as handle:  # sparse: 101 MB that take no disk
        handle.truncate(101 * 1024 * 1024)
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ\x90\x00")
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(PDF)
    records = [
        {"FileName": "gone.pdf", "AttachableRef": ref, "_qbo_file_path": str(tmp_path / "gone.pdf")},
        {"FileName": "scan.pdf", "AttachableRef": ref, "_qbo_file_path": str(huge)},
        {"FileName": "tool.exe", "AttachableRef": ref, "_qbo_file_path": str(exe)},
        {
            "FileName": "changed.pdf",
            "AttachableRef": ref,
            "_qbo_file_path": str(changed),
            "_qbo_file_sha256": "0" * 64,
        },
    ]
    records[3]["_qbo_file_sha256"] = "0" * 64  # not the file's
    run_target(config, [_schema(), *(record("Attachable", r) for r in records)])

    dead = {d["record"]["FileName"]: d for d in dead_letters(config)}
    assert {name: d["code"] for name, d in dead.items()} == {
        "gone.pdf": "file-missing",
        "scan.pdf": "file-too-large",
        "tool.exe": "file-type",
        "changed.pdf": "file-checksum",
    }
    assert all("\n" not in d["reason"] for d in dead.values())
    assert "cannot be read" in dead["gone.pdf"]["reason"]
    assert "105906176 bytes" in dead["scan.pdf"]["reason"]
    assert "does not take" in dead["tool.exe"]["reason"]
    assert len(rows(company, "Attachable")) == before


def test_a_tap_to_target_copy_carries_the_files(qbo_sandbox: RunningSandbox, tmp_path: Path) -> None:
    source_settings = tap_config(qbo_sandbox, tmp_path, attachments_path=str(tmp_path / "files"))
    source = QBOClient.from_config(source_settings)
    customers = source.query_rows("SELECT * FROM Customer WHERE Active = true MAXRESULTS 10")
    customer = next(c for c in customers if c["Id"] != "1")  # the copy's first customer gets Id 1
    ref = {"AttachableRef": [{"EntityRef": {"type": "Customer", "value": customer["Id"]}}]}
    sent = {
        "w9-copy.pdf": (PDF, "application/pdf"),
        "contract-copy.txt": (b"terms and conditions " * 500, "text/plain"),
    }
    for name, (data, ctype) in sent.items():
        source.upload(ref, data, file_name=name, content_type=ctype)
    source.close()

    catalog_dict = TapQuickBooks(config=dict(source_settings)).catalog_dict
    for entry in catalog_dict["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = entry["tap_stream_id"] == "Attachable"
    tapped = run_tap(qbo_sandbox, source_settings, catalog_dict=catalog_dict)
    attachable_schema = next(
        m for m in tapped.messages if m["type"] == "SCHEMA" and m["stream"] == "Attachable"
    )
    copied = [r for r in tapped.live("Attachable") if r.get("FileName") in sent]
    assert len(copied) == len(sent)

    empty_realm = qbo_sandbox.sandbox.store.create_realm()
    config = target_config(qbo_sandbox, tmp_path, realm=empty_realm, source_realm_id=qbo_sandbox.realm)
    messages = [
        schema("Customer"),
        record("Customer", {"Id": customer["Id"], "DisplayName": customer["DisplayName"]}),
        attachable_schema,
        *(record("Attachable", r) for r in copied),
    ]
    run_target(config, messages)

    assert dead_letters(config) == []
    copy = reader(config)
    try:
        (new_customer,) = rows(copy, "Customer")
        made = {a["FileName"]: a for a in rows(copy, "Attachable")}
        assert set(made) == set(sent)
        by_name = {r["FileName"]: r for r in copied}
        for name, attachable in made.items():
            linked = attachable["AttachableRef"][0]["EntityRef"]
            assert (linked["type"], linked["value"]) == ("Customer", new_customer["Id"])
            assert new_customer["Id"] != customer["Id"]  # mapped to the copy's customer
            data = _file_of(copy, attachable["Id"])
            assert hashlib.sha256(data).hexdigest() == by_name[name]["_qbo_file_sha256"]
            assert data == sent[name][0]
    finally:
        copy.close()
