"""attachments_path: the tap downloads each Attachable's file while reading it, content-addressed, into a
directory or any fsspec URL, not again when unchanged, and asks for a fresh URL when one has expired."""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from pathlib import Path
from typing import Any

import fsspec
import pytest
from qbo_client.client import QBOClient
from qbo_sandbox.config import SandboxConfig
from qbo_sandbox.testing import RunningSandbox
from tap_harness import run_tap, tap_config
from tap_quickbooks.online.attachments import PATH_PROPERTY, SHA256_PROPERTY, AttachmentFiles
from tap_quickbooks.tap import TapQuickBooks

FILES = {
    "receipt.pdf": (b"%PDF-1.4 receipt " + bytes(range(256)) * 64, "application/pdf"),
    "photo.png": (b"\x89PNG\r\n\x1a\n" + bytes(reversed(range(256))) * 32, "image/png"),
    "same-bytes.txt": (b"%PDF-1.4 receipt " + bytes(range(256)) * 64, "text/plain"),
}


@pytest.fixture
def qbo_sandbox_config() -> SandboxConfig:
    return SandboxConfig(attachment_url_ttl=2)


def _catalog(config: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = TapQuickBooks(config=dict(config)).catalog_dict
    for entry in found["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = entry["tap_stream_id"] == "Attachable"
    return found


def _upload_files(running: RunningSandbox, tmp_path: Path) -> dict[str, str]:
    """Upload FILES onto an invoice; their sha256 by Attachable Id."""
    client = QBOClient.from_config(tap_config(running, tmp_path))  # the tap's token store
    try:
        invoice = client.query_rows("SELECT * FROM Invoice MAXRESULTS 1")[0]["Id"]
        made = {}
        for name, (data, ctype) in FILES.items():
            ref = {"AttachableRef": [{"EntityRef": {"type": "Invoice", "value": invoice}}]}
            att = client.upload(ref, data, file_name=name, content_type=ctype)
            made[att["Id"]] = hashlib.sha256(data).hexdigest()
        return made
    finally:
        client.close()


def _files_of(run_tap_result: Any) -> AttachmentFiles:
    files = run_tap_result.tap.run.source._files
    assert isinstance(files, AttachmentFiles)
    return files


def test_files_land_in_a_directory_by_sha256_and_a_second_run_downloads_nothing(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    uploaded = _upload_files(qbo_sandbox, tmp_path)
    store = tmp_path / "files"
    config = tap_config(qbo_sandbox, tmp_path, attachments_path=str(store))
    selection = _catalog(config)
    schema = next(s for s in selection["streams"] if s["tap_stream_id"] == "Attachable")["schema"]
    assert {PATH_PROPERTY, SHA256_PROPERTY} <= set(schema["properties"])

    first = run_tap(qbo_sandbox, config, catalog_dict=selection)
    records = first.live("Attachable")
    with_files = [r for r in records if r.get("FileName")]
    notes = [r for r in records if not r.get("FileName")]
    assert len(with_files) > len(uploaded)  # the sample company's attachables too
    assert all(PATH_PROPERTY not in r for r in notes)
    for record in with_files:
        stored = Path(record[PATH_PROPERTY])
        data = stored.read_bytes()
        assert hashlib.sha256(data).hexdigest() == record[SHA256_PROPERTY]
        assert stored.parent.parent == store / "sha256"
        assert stored.name.startswith(record[SHA256_PROPERTY])
        assert len(data) == min(record["Size"], 5 * 1024 * 1024)
    by_id = {r["Id"]: r for r in with_files}
    for id_, digest in uploaded.items():
        assert by_id[id_][SHA256_PROPERTY] == digest
    # receipt.pdf and same-bytes.txt hold the same bytes: stored once each (their own extension)
    contents = {p for p in (store / "sha256").rglob("*") if p.is_file()}
    assert len(contents) == len({(r[SHA256_PROPERTY], Path(r[PATH_PROPERTY]).suffix) for r in with_files})
    files = _files_of(first)
    assert files.downloaded == len(contents)
    mtimes = {p: p.stat().st_mtime_ns for p in contents}

    # a full second run (no state): every record again, no file fetched or written
    second = run_tap(qbo_sandbox, config, catalog_dict=selection)
    again = {r["Id"]: r for r in second.live("Attachable") if r.get("FileName")}
    assert {i: (r[PATH_PROPERTY], r[SHA256_PROPERTY]) for i, r in again.items()} == {
        i: (r[PATH_PROPERTY], r[SHA256_PROPERTY]) for i, r in by_id.items()
    }
    files = _files_of(second)
    assert files.downloaded == 0
    assert files.bytes == 0
    assert files.unchanged == len(again)
    assert {p: p.stat().st_mtime_ns for p in contents} == mtimes


def test_files_go_to_an_fsspec_url(qbo_sandbox: RunningSandbox, tmp_path: Path) -> None:
    uploaded = _upload_files(qbo_sandbox, tmp_path)
    url = f"memory://qbo-files-{uuid.uuid4().hex}"
    config = tap_config(qbo_sandbox, tmp_path, attachments_path=url)
    run = run_tap(qbo_sandbox, config, catalog_dict=_catalog(config))
    fs = fsspec.filesystem("memory")
    records = {r["Id"]: r for r in run.live("Attachable") if r.get("FileName")}
    for id_, digest in uploaded.items():
        location = records[id_][PATH_PROPERTY]
        assert location.startswith("memory://")
        with fsspec.open(location, "rb") as handle:
            assert hashlib.sha256(handle.read()).hexdigest() == digest
    index = json.loads(
        fs.cat(f"{url[len('memory://') :]}/index/{qbo_sandbox.realm}/{next(iter(uploaded))}.json")
    )
    assert index["sha256"] == uploaded[next(iter(uploaded))]
    second = run_tap(qbo_sandbox, config, catalog_dict=_catalog(config))
    assert _files_of(second).downloaded == 0


def test_an_expired_url_is_asked_for_again_through_download(
    qbo_sandbox: RunningSandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    uploaded = _upload_files(qbo_sandbox, tmp_path)
    id_ = next(iter(uploaded))
    client = QBOClient.from_config(tap_config(qbo_sandbox, tmp_path))
    try:
        row = client.read("Attachable", id_)
        time.sleep(3.1)  # the sandbox's URLs last 2 seconds here (QuickBooks': 900)
        files = AttachmentFiles(str(tmp_path / "files"), lambda: client, logging.getLogger("test"))
        out = files.add_file(dict(row))
    finally:
        client.close()
    assert files.refetched_urls == 1
    assert out[SHA256_PROPERTY] == uploaded[id_]
    assert hashlib.sha256(Path(out[PATH_PROPERTY]).read_bytes()).hexdigest() == uploaded[id_]


def test_without_the_setting_the_schema_and_records_are_as_before(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    config = tap_config(qbo_sandbox, tmp_path)
    selection = _catalog(config)
    schema = next(s for s in selection["streams"] if s["tap_stream_id"] == "Attachable")["schema"]
    assert PATH_PROPERTY not in schema["properties"]
    run = run_tap(qbo_sandbox, config, catalog_dict=selection)
    assert run.live("Attachable")
    assert all(PATH_PROPERTY not in r for r in run.live("Attachable"))
    assert run.tap.run.source._files is None
