"""Attachables with their files: a record that names a file is created through ``POST upload``.

A record of the Attachable object carrying ``_qbo_file_path`` (what tap-quickbooks' ``attachments_path``
adds: a local path or any fsspec URL) or ``_qbo_file_url`` (the same, by another name: an
``https://`` URL, ``s3://...``) is created with its file: the record's Attachable fields (its
``AttachableRef`` mapped to this company's objects like any reference) as the ``file_metadata_0``
part, the file's bytes as ``file_content_0``. When the record also carries ``_qbo_file_sha256`` the
bytes must match it. A file that cannot be read, is larger than QuickBooks takes (100 MB) or is of a
type QuickBooks refuses is a dead letter that says so, before anything is sent.

An Attachable record without a file, and the update of one already there, are written as any other
object (the file of an existing Attachable is not replaced).
"""

from __future__ import annotations

import hashlib
import mimetypes
from typing import Any

import fsspec
from qbo_client.attachments import CONTENT_TYPES, MAX_UPLOAD_BYTES, allowed_content_type
from qbo_client.client import QBOClient

from target_quickbooks.plan import Action, Step
from target_quickbooks.records import RecordError

from .hooks import OnlineObjectHooks

PATH_PROPERTIES = ("_qbo_file_path", "_qbo_file_url")
SHA256_PROPERTY = "_qbo_file_sha256"
MAX_BYTES = MAX_UPLOAD_BYTES
#: What QuickBooks computes or serves for an Attachable: never part of an upload's metadata.
_SERVED = frozenset(
    {"FileAccessUri", "TempDownloadUri", "Size", "ThumbnailFileAccessUri", "ThumbnailTempDownloadUri"}
)


def file_location(record: dict[str, Any]) -> str | None:
    """Where the record's file is (``_qbo_file_path`` or ``_qbo_file_url``), or None."""
    for key in PATH_PROPERTIES:
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


class AttachableHooks(OnlineObjectHooks):
    """Creates an Attachable whose record names a file through the upload endpoint."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes

    def direct(self, step: Step) -> bool:
        return step.action is Action.CREATE and file_location(step.record.record) is not None

    def send(self, client: QBOClient, realm: str, step: Step) -> dict[str, Any]:
        record = step.record.record
        location = file_location(record)
        assert location is not None
        payload = {k: v for k, v in step.payload.items() if k not in _SERVED}
        name = str(payload.get("FileName") or location.rstrip("/").rsplit("/", 1)[-1])
        content_type = str(payload.get("ContentType") or mimetypes.guess_type(name)[0] or "")
        if not allowed_content_type(content_type):
            raise RecordError(
                f"the file {name} is of type {content_type or 'unknown'}, which QuickBooks does not take "
                f"as an attachment: convert it to one of {', '.join(sorted(CONTENT_TYPES))} or drop it",
                code="file-type",
                element="ContentType",
            )
        data = self._read(location)
        expected = record.get(SHA256_PROPERTY)
        if isinstance(expected, str) and expected and hashlib.sha256(data).hexdigest() != expected.lower():
            raise RecordError(
                f"the file at {location} does not match the record's {SHA256_PROPERTY}: it changed since the "
                "record was read; read the attachment again",
                code="file-checksum",
                element=SHA256_PROPERTY,
            )
        payload.update(FileName=name, ContentType=content_type)
        return client.upload(payload, data, file_name=name, content_type=content_type)

    def _read(self, location: str) -> bytes:
        try:
            fs, path = fsspec.core.url_to_fs(location)
            size = fs.size(path)
            if size is not None and int(size) > self.max_bytes:
                raise _too_large(location, int(size), self.max_bytes)
            with fs.open(path, "rb") as handle:
                data: bytes = handle.read(self.max_bytes + 1)
        except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
            raise RecordError(
                f"the attachment's file {location} cannot be read ({type(exc).__name__}): put the file there "
                "or fix _qbo_file_path/_qbo_file_url",
                code="file-missing",
                element=PATH_PROPERTIES[0],
            ) from None
        except (OSError, ValueError, ImportError) as exc:
            raise RecordError(
                f"the attachment's file {location} cannot be read ({exc}): check the path or URL",
                code="file-missing",
                element=PATH_PROPERTIES[0],
            ) from None
        if len(data) > self.max_bytes:
            raise _too_large(location, len(data), self.max_bytes)
        return data


def _too_large(location: str, size: int, limit: int) -> RecordError:
    return RecordError(
        f"the attachment's file {location} is {size} bytes, more than QuickBooks takes ({limit} bytes, "
        "fault 6030): shrink or split the file",
        code="file-too-large",
        element=PATH_PROPERTIES[0],
    )
