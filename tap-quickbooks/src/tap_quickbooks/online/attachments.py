"""Attachment files (opt-in, ``attachments_path``): each Attachable's file downloaded as its record is read.

QuickBooks Online gives an Attachable that holds a file a ``TempDownloadUri``: a presigned URL that
expires (15 minutes), so the file is fetched while the record is read, never later. An URL that has
expired by then (a page read long before, a slow run) is asked for again through ``GET download/{Id}``.

Files are stored content-addressed under the setting's directory or fsspec URL (a local path,
``s3://bucket/prefix``, ``gs://...``, ``memory://...``): ``sha256/<2 hex>/<sha256><.ext>``, so a file
attached twice is stored once. An index object per Attachable (``index/<realm>/<Id>.json``: its
SyncToken, Size, sha256 and path) lets the next run skip the download of an Attachable that has
not changed (same SyncToken and Size, the stored file still there). The record gets the stored
file's location (``_qbo_file_path``, a plain path for a local directory, else the fsspec URL) and
its SHA-256 (``_qbo_file_sha256``), which the target reads to upload the file again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import fsspec
from qbo_client.client import QBOClient
from qbo_client.errors import ValidationError

SETTING = "attachments_path"
PATH_PROPERTY = "_qbo_file_path"
SHA256_PROPERTY = "_qbo_file_sha256"
STREAM = "Attachable"
#: Rows whose files are fetched at once (they come out in order).
_WINDOW = 32
_SAFE_EXT = re.compile(r"^\.[a-z0-9]{1,8}$")

Row = dict[str, Any]


def schema_properties() -> dict[str, Any]:
    """What the Attachable stream's schema gains with the setting on."""
    return {
        PATH_PROPERTY: {
            "type": ["string", "null"],
            "description": "Where the tap stored the file (attachments_path): a path or fsspec URL",
        },
        SHA256_PROPERTY: {
            "type": ["string", "null"],
            "description": "SHA-256 of the stored file (hex), its name under sha256/ in attachments_path",
        },
    }


def enabled(config: Mapping[str, Any]) -> bool:
    return bool(config.get(SETTING))


class FileStore:
    """A content-addressed file store on any fsspec file system."""

    def __init__(self, url: str) -> None:
        self.url = url
        fs, root = fsspec.core.url_to_fs(url)
        self.fs = fs
        self.root = str(root).rstrip("/")
        self._plain = "://" not in url  # a local directory: records carry plain paths

    def content_path(self, sha256: str, ext: str) -> str:
        return f"{self.root}/sha256/{sha256[:2]}/{sha256}{ext}"

    def index_path(self, realm: str, id_: str) -> str:
        return f"{self.root}/index/{realm}/{id_}.json"

    def location(self, path: str) -> str:
        """What a record carries for a stored path: the path, or the fsspec URL."""
        return path if self._plain else str(self.fs.unstrip_protocol(path))

    def exists(self, path: str) -> bool:
        return bool(self.fs.exists(path))

    def read_json(self, path: str) -> dict[str, Any] | None:
        try:
            with self.fs.open(path, "rb") as handle:
                loaded = json.loads(handle.read())
        except (FileNotFoundError, ValueError):
            return None
        return loaded if isinstance(loaded, dict) else None

    def write(self, path: str, data: bytes) -> None:
        parent = path.rsplit("/", 1)[0]
        self.fs.makedirs(parent, exist_ok=True)
        tmp = f"{path}.part-{threading.get_ident()}"
        with self.fs.open(tmp, "wb") as handle:
            handle.write(data)
        self.fs.mv(tmp, path)  # readers never see half a file


class AttachmentFiles:
    """Downloads the files of one run's Attachable records into a :class:`FileStore`."""

    def __init__(self, url: str, client: Callable[[], QBOClient], logger: logging.Logger) -> None:
        self.store = FileStore(url)
        self._client = client
        self.logger = logger
        self._lock = threading.Lock()
        #: Files fetched, records whose file was already stored, bytes fetched, URLs asked again.
        self.downloaded = 0
        self.unchanged = 0
        self.bytes = 0
        self.refetched_urls = 0

    def _count(self, **counts: int) -> None:
        with self._lock:
            for key, value in counts.items():
                setattr(self, key, getattr(self, key) + value)

    def records(self, rows: Iterable[Row], workers: int = 4) -> Iterator[Row]:
        """The rows, in order, each Attachable with a file carrying its stored path and checksum;
        up to ``_WINDOW`` files fetched at once."""
        with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="qbo-files") as pool:
            window: list[Any] = []
            for row in rows:
                window.append(pool.submit(self.add_file, row))
                if len(window) >= _WINDOW:
                    yield window.pop(0).result()
            for future in window:
                yield future.result()
        if self.downloaded or self.unchanged:
            self.logger.info(
                "Attachable files: %d downloaded (%d bytes), %d unchanged, %d URL(s) asked again, in %s",
                self.downloaded,
                self.bytes,
                self.unchanged,
                self.refetched_urls,
                self.store.url,
            )

    def add_file(self, row: Row) -> Row:
        """Store the row's file (unless already stored) and set its path and checksum."""
        if row.get("_sdc_deleted_at") or not row.get("FileName") or not row.get("Id"):
            return row
        id_ = str(row["Id"])
        realm = self._client().config.realm_id
        index_path = self.store.index_path(realm, id_)
        known = self.store.read_json(index_path)
        if (
            known is not None
            and str(known.get("SyncToken")) == str(row.get("SyncToken"))
            and known.get("Size") == row.get("Size")
            and isinstance(known.get("path"), str)
            and self.store.exists(known["path"])
        ):
            self._count(unchanged=1)
            return self._carry(row, known["path"], str(known["sha256"]))
        data = self.fetch(row)
        digest = hashlib.sha256(data).hexdigest()
        path = self.store.content_path(digest, _extension(str(row["FileName"])))
        if self.store.exists(path):
            self._count(unchanged=1)  # the same content is stored already (another Attachable, say)
        else:
            self.store.write(path, data)
            self._count(downloaded=1, bytes=len(data))
        index = {
            "Id": id_,
            "SyncToken": row.get("SyncToken"),
            "Size": row.get("Size"),
            "sha256": digest,
            "path": path,
        }
        self.store.write(index_path, json.dumps(index).encode())
        return self._carry(row, path, digest)

    def _carry(self, row: Row, path: str, digest: str) -> Row:
        row[PATH_PROPERTY] = self.store.location(path)
        row[SHA256_PROPERTY] = digest
        return row

    def fetch(self, row: Row) -> bytes:
        """The file's bytes through its TempDownloadUri; a fresh URL from ``download`` when that one
        has expired or is missing."""
        client = self._client()
        url = row.get("TempDownloadUri")
        if isinstance(url, str) and url:
            try:
                return client.fetch_file(url)
            except ValidationError as exc:
                if exc.code not in ("url-expired", "url-refused"):
                    raise
        self._count(refetched_urls=1)
        return client.fetch_file(client.download_url(str(row["Id"])))


def _extension(name: str) -> str:
    dot = name.rfind(".")
    ext = name[dot:].lower() if dot > 0 else ""
    return ext if _SAFE_EXT.match(ext) else ""
