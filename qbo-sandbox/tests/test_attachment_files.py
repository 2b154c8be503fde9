"""Attachment files over HTTP: ``POST upload`` (multipart), ``GET download/{id}``, the expiring file
URL, QuickBooks' size and type limits with their faults (shapes of the recorded ``attachment__*``
exchanges)."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from qbo_sandbox.config import SandboxConfig
from qbo_sandbox.testing import RunningSandbox
from sandbox_harness import Api

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


@pytest.fixture
def qbo_sandbox_config() -> SandboxConfig:
    return SandboxConfig(attachment_url_ttl=2, attachment_max_bytes=64 * 1024)


def _upload(
    api: Api, meta: dict[str, Any] | None, content: bytes, name: str, ctype: str
) -> requests.Response:
    files: dict[str, Any] = {}
    if meta is not None:
        files["file_metadata_01"] = ("attachment.json", json.dumps(meta), "application/json")
    files["file_content_01"] = (name, content, ctype)
    return api.http.post(f"{api.base}/upload", files=files, timeout=30)


def _invoice_id(api: Api) -> str:
    return str(api.one("Invoice")["Id"])


def test_upload_answers_the_recorded_shape_and_the_file_comes_back(
    api: Api, qbo_sandbox: RunningSandbox
) -> None:
    invoice = _invoice_id(api)
    meta = {
        "AttachableRef": [{"EntityRef": {"type": "Invoice", "value": invoice}}],
        "FileName": "scan.pdf",
        "ContentType": "application/pdf",
    }
    answer = _upload(api, meta, PDF, "scan.pdf", "application/pdf")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"AttachableResponse", "time"}
    att = body["AttachableResponse"][0]["Attachable"]
    # the recorded answer's keys, in its order for the first ones
    assert list(att)[:5] == ["FileName", "FileAccessUri", "TempDownloadUri", "Size", "ContentType"]
    assert att["FileAccessUri"] == f"/v3/company/{qbo_sandbox.realm}/download/{att['Id']}"
    assert att["Size"] == len(PDF)
    assert att["SyncToken"] == "0"
    assert att["sparse"] is False
    assert att["AttachableRef"] == [
        {"EntityRef": {"type": "Invoice", "value": invoice}, "IncludeOnSend": False}
    ]
    assert "X-Amz-Expires=2" in att["TempDownloadUri"]
    assert "X-Amz-Signature=" in att["TempDownloadUri"]
    # the temporary URL needs no token (it is signed)
    got = requests.get(att["TempDownloadUri"], timeout=10)
    assert got.status_code == 200
    assert got.content == PDF
    assert got.headers["content-type"].startswith("application/pdf")
    # the download endpoint answers a fresh URL as text
    url = api.get(f"download/{att['Id']}")
    assert url.status_code == 200
    assert url.headers["content-type"].startswith("text/plain")
    assert requests.get(url.text, timeout=10).content == PDF
    # reads and queries carry a TempDownloadUri too
    read = api.read("Attachable", att["Id"])
    assert requests.get(read["TempDownloadUri"], timeout=10).content == PDF
    row = api.rows(f"SELECT * FROM Attachable WHERE Id = '{att['Id']}'")[0]
    assert row["Size"] == len(PDF)
    assert requests.get(row["TempDownloadUri"], timeout=10).content == PDF
    # the file is in the sandbox's SQLite, not on disk
    with qbo_sandbox.sandbox.db.read() as conn:
        stored = conn.execute(
            "SELECT sha256, size, content FROM attachment_blobs WHERE attachable_id = ?", (int(att["Id"]),)
        ).fetchone()
    assert stored[0] == hashlib.sha256(PDF).hexdigest()
    assert stored[1] == len(PDF)
    assert bytes(stored[2]) == PDF


def test_an_expired_or_tampered_url_answers_as_s3_does(api: Api) -> None:
    meta = {"AttachableRef": [{"EntityRef": {"type": "Invoice", "value": _invoice_id(api)}}]}
    att = _upload(api, meta, b"hello", "note.txt", "text/plain").json()["AttachableResponse"][0]["Attachable"]
    url = att["TempDownloadUri"]
    tampered = requests.get(url.replace("X-Amz-Expires=2", "X-Amz-Expires=9999"), timeout=10)
    assert tampered.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in tampered.text
    time.sleep(3.1)
    expired = requests.get(url, timeout=10)
    assert expired.status_code == 403
    assert expired.headers["content-type"].startswith("application/xml")
    assert "<Code>AccessDenied</Code><Message>Request has expired</Message>" in expired.text
    assert "<X-Amz-Expires>2</X-Amz-Expires>" in expired.text
    fresh = api.get(f"download/{att['Id']}").text
    assert requests.get(fresh, timeout=10).content == b"hello"


def test_a_link_to_a_missing_entity_is_the_recorded_fault_item(api: Api) -> None:
    meta = {
        "AttachableRef": [{"EntityRef": {"type": "Estimate", "value": "999999"}}],
        "FileName": "x.xml",
        "ContentType": "text/xml",
    }
    answer = _upload(api, meta, b"<x/>", "x.xml", "text/xml")
    assert answer.status_code == 200  # as recorded: the fault is an item of the answer
    fault = answer.json()["AttachableResponse"][0]["Fault"]
    assert fault["type"] == "ValidationFault"
    assert fault["Error"][0]["code"] == "6000"
    assert fault["Error"][0]["Detail"] == (
        "Business Validation Error: The entity Estimate 999999 that you are trying to link does not exist. "
        "Estimate 999999"
    )
    assert api.rows("SELECT * FROM Attachable WHERE FileName = 'x.xml'") == []


def test_type_and_size_limits_and_their_faults(api: Api) -> None:
    invoice = _invoice_id(api)
    meta = {"AttachableRef": [{"EntityRef": {"type": "Invoice", "value": invoice}}]}
    exe = _upload(api, meta, b"MZ\x90\x00", "tool.exe", "application/x-msdownload")
    error = exe.json()["AttachableResponse"][0]["Fault"]["Error"][0]
    assert error["code"] == "6000"
    assert "application/x-msdownload" in error["Detail"]
    big = _upload(api, meta, b"x" * (65 * 1024), "big.txt", "text/plain")
    assert big.status_code == 400
    error = big.json()["Fault"]["Error"][0]
    assert error["code"] == "6030"
    assert error["Message"] == "Upload request size exceeds allowed limit"
    assert error["Detail"].startswith("The file upload request should not exceed 65536 bytes in size.")
    wrong_ref = _upload(
        api,
        {"AttachableRef": [{"EntityRef": {"type": "Nonsense", "value": "1"}}]},
        b"a",
        "a.txt",
        "text/plain",
    )
    assert wrong_ref.json()["AttachableResponse"][0]["Fault"]["Error"][0]["code"] == "6050"
    not_json = api.http.post(
        f"{api.base}/upload",
        files={
            "file_metadata_0": ("a.json", b"<Attachable/>", "application/xml"),
            "file_content_0": ("a.txt", b"a", "text/plain"),
        },
        timeout=10,
    )
    assert not_json.json()["AttachableResponse"][0]["Fault"]["Error"][0]["code"] == "6040"

    def chunks() -> Iterator[bytes]:
        yield b"--b\r\n"

    chunked = api.http.post(
        f"{api.base}/upload",
        data=chunks(),
        headers={"Content-Type": "multipart/form-data; boundary=b"},
        timeout=10,
    )
    assert chunked.status_code == 400
    assert chunked.json()["Fault"]["Error"][0]["code"] == "6020"
    plain = api.http.post(f"{api.base}/upload", json={"FileName": "a.txt"}, timeout=10)
    assert plain.status_code == 415


def test_sample_attachables_serve_files_of_their_size(api: Api) -> None:
    rows = [r for r in api.rows("SELECT * FROM Attachable MAXRESULTS 100") if r.get("FileName")]
    assert rows
    notes = [r for r in api.rows("SELECT * FROM Attachable MAXRESULTS 100") if not r.get("FileName")]
    assert all("TempDownloadUri" not in r for r in notes)
    first = rows[0]
    got = requests.get(first["TempDownloadUri"], timeout=30)
    assert got.status_code == 200
    assert len(got.content) == min(first["Size"], 5 * 1024 * 1024)
    again = requests.get(api.get(f"download/{first['Id']}").text, timeout=30)
    assert again.content == got.content
