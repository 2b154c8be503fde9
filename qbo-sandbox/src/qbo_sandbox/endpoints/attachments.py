"""Attachment files: ``POST upload`` (multipart), ``GET download/{id}`` and the expiring file URLs.

As QuickBooks Online serves them (recorded exchanges ``attachment__create_for_invoice``,
``attachment__read_attachment``, ``attachment__error_estimate``):

- ``POST /v3/company/{realm}/upload`` takes ``multipart/form-data`` with pairs of parts named
  ``file_metadata_<n>`` (the Attachable as JSON: ``AttachableRef``, ``FileName``, ``ContentType``...)
  and ``file_content_<n>`` (the file's bytes); it answers ``{"AttachableResponse": [{"Attachable":
  {...}} | {"Fault": {...}}, ...], "time": ...}`` with HTTP 200, one item per file, a refused file
  as a ``Fault`` item (6000 for a linked entity that does not exist, in the recorded wording).
  Request-level refusals are plain faults: 6020 without a Content-Length, 6030 over the size limit
  (QuickBooks: 100 MB per request), 6040 for metadata that is not an Attachable, 6050 for an
  ``EntityRef`` type an Attachable cannot link to (Intuit's error-code list).
- ``GET /v3/company/{realm}/download/{id}`` answers the file's temporary URL as plain text.
- An Attachable with a file carries ``FileAccessUri`` (``/v3/company/{realm}/download/{id}``) and,
  on every read (read, query, CDC, batch, upload), ``TempDownloadUri``: a presigned-S3-style URL
  the sandbox itself serves, valid ``attachment_url_ttl`` seconds (QuickBooks: 900,
  ``X-Amz-Expires=900``); after that it answers as S3 does for an expired presigned URL: 403 with
  an XML ``AccessDenied`` "Request has expired" body.

Files live in the sandbox's SQLite database (table ``attachment_blobs``). Attachables that a load
or the sample company made with a ``FileName`` and a ``Size`` but no stored file are served
deterministic bytes of that size (the sample company's scanned receipts are not real files); one
loaded with a ``TempDownloadUri`` of its own (a recorded company) is answered as it was loaded.

The content types QuickBooks takes are those of its file types (ai, csv, doc, docx, eps, gif,
jpeg, jpg, ods, pages, pdf, png, rtf, tif, txt, xls, xlsx, xml); a file of another type is a Fault
item (6000). The exact wording QuickBooks uses for that refusal is not in the recordings.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import re
import secrets
import uuid
from datetime import datetime, timezone
from email.utils import formatdate
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from qbo_client import catalog
from qbo_client.attachments import CONTENT_TYPES, MAX_UPLOAD_BYTES, allowed_content_type
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from qbo_sandbox import clock, faults
from qbo_sandbox.faults import QBOFault

if TYPE_CHECKING:
    from qbo_sandbox.app import Sandbox

SCHEMA = """
CREATE TABLE IF NOT EXISTS attachment_blobs (
    realm_id TEXT NOT NULL,
    attachable_id INTEGER NOT NULL,
    object_key TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (realm_id, attachable_id)
);
"""

#: How long a TempDownloadUri is valid (QuickBooks: ``X-Amz-Expires=900``).
URL_TTL_SECONDS = 900.0
#: Most bytes served for a sample attachable without a stored file.
_SAMPLE_CAP = 5 * 1024 * 1024


_PART_NAME = re.compile(r"^file_(metadata|content)_(\w+)$")
_S3_PREFIX = "/attachments-s3"
_AMZ_DATE = "%Y%m%dT%H%M%SZ"
JSON_TYPE = "application/json;charset=utf-8"


class Attachments:
    """The upload and download endpoints of one sandbox, and the file URLs it serves."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._secret = secrets.token_bytes(32)

    @property
    def ttl(self) -> float:
        return float(getattr(self.sandbox.config, "attachment_url_ttl", URL_TTL_SECONDS))

    @property
    def max_bytes(self) -> int:
        return int(getattr(self.sandbox.config, "attachment_max_bytes", MAX_UPLOAD_BYTES))

    def routes(self) -> list[Route]:
        """The file URLs (no bearer token: the signature in the query is the authorization)."""
        return [Route(_S3_PREFIX + "/{realm}/attachments/{id}/{name:path}", self.serve, methods=["GET"])]

    @staticmethod
    def handles(request: Request) -> bool:
        """Whether a request under ``/v3/company/{realm}/`` is an upload or a download."""
        head = request.path_params.get("rest", "").split("/", 1)[0].lower()
        return head in ("upload", "download")

    def _ensure(self) -> None:
        # Every time: a test may have replaced the whole database (testing.copy_database).
        self.sandbox.db.executescript(SCHEMA)

    # -- POST upload, GET download ---------------------------------------------------------------

    async def handle(self, request: Request, realm: str) -> Response:
        parts = [p for p in request.path_params["rest"].split("/") if p]
        head = parts[0].lower()
        base = str(request.base_url).rstrip("/")
        if head == "download" and request.method == "GET" and len(parts) == 2:
            url = await run_in_threadpool(self.download_url, base, realm, parts[1])
            return Response(url, media_type="text/plain;charset=utf-8")
        if head == "upload" and request.method == "POST" and len(parts) == 1:
            body = await self._read_upload(request)
            answer = await run_in_threadpool(
                self.upload, base, realm, request.headers.get("content-type", ""), body
            )
            return Response(json.dumps(answer, separators=(",", ":")), media_type=JSON_TYPE)
        raise faults.unsupported_operation(
            f"Operation Could not find resource for relative : {request.url.path} is not supported."
        )

    async def _read_upload(self, request: Request) -> bytes:
        length = request.headers.get("content-length")
        if not length or not length.isdigit():
            await _drain(request)
            raise QBOFault(
                "6020",
                "Content length missing in request",
                "We cannot find the content-length header in the request",
            )
        size = int(length)
        if size > self.max_bytes:
            await _drain(request)
            raise _too_large(size, self.max_bytes)
        chunks = []
        for_now = 0
        async for chunk in request.stream():
            for_now += len(chunk)
            if for_now > self.max_bytes:
                raise _too_large(for_now, self.max_bytes)
            chunks.append(chunk)
        return b"".join(chunks)

    def upload(self, base: str, realm: str, content_type: str, body: bytes) -> dict[str, Any]:
        """The answer to ``POST upload``: one ``AttachableResponse`` item per file."""
        media = content_type.split(";", 1)[0].strip().lower()
        if media != "multipart/form-data":
            raise QBOFault(
                "500",
                "Unsupported Operation",
                f"Operation Cannot consume content type {media or '(none)'} is not supported: "
                "send multipart/form-data",
                status=415,
            )
        match = re.search(r'boundary="?([^";]+)"?', content_type)
        if match is None:
            raise faults.malformed_request("The multipart request has no boundary")
        pairs = _pairs(_parse_multipart(body, match.group(1).encode()))
        if not pairs:
            raise faults.required_missing("file_content_0")
        self._ensure()
        items: list[dict[str, Any]] = []
        for meta_part, content_part in pairs:
            try:
                items.append({"Attachable": self._create(base, realm, meta_part, content_part)})
            except QBOFault as refused:
                items.append({"Fault": refused.fault()})
        return {"AttachableResponse": items, "time": clock.qbo_now(self.sandbox.service.core.tz)}

    def _create(
        self, base: str, realm: str, meta_part: _Part | None, content_part: _Part | None
    ) -> dict[str, Any]:
        meta: dict[str, Any] = {}
        if meta_part is not None:
            try:
                loaded = json.loads(meta_part.content)
            except ValueError:
                loaded = None
            if not isinstance(loaded, dict):
                raise QBOFault(
                    "6040",
                    "The file metadata must be of Attachable type",
                    f"The file metadata submitted must be of Attachable type. Supplied Type: "
                    f"{meta_part.content_type or 'unknown'}, request parameter: {meta_part.name}.",
                )
            meta = loaded.get("Attachable", loaded) if isinstance(loaded.get("Attachable"), dict) else loaded
        if content_part is None:
            raise faults.required_missing("file_content")
        name = str(meta.get("FileName") or content_part.filename or "")
        if not name:
            raise faults.required_missing("FileName")
        ctype = str(meta.get("ContentType") or content_part.content_type or "")
        if not allowed_content_type(ctype):
            raise faults.business_rule(
                f"The file type {ctype or '(none)'} of {name} is not supported. "
                f"Supported file types: {', '.join(sorted(CONTENT_TYPES))}",
                "ContentType",
            )
        service = self.sandbox.service
        spec = catalog.get("Attachable")
        for ref in meta.get("AttachableRef") or []:
            entity = (ref or {}).get("EntityRef") or {}
            kind, value = str(entity.get("type", "")), str(entity.get("value", ""))
            target = catalog.find(kind)
            if target is None or target.name == "Attachable" or not target.has_id:
                raise QBOFault(
                    "6050",
                    "The entity reference type is unsupported for Attachable",
                    f"The entity reference type {kind} is unsupported for Attachable",
                )
            if self.sandbox.store.get(realm, target.name, value) is None:
                raise faults.business_rule(
                    f"The entity {kind} {value} that you are trying to link does not exist. {kind} {value}"
                )
        body = {
            k: v
            for k, v in meta.items()
            if k
            not in (
                "FileAccessUri",
                "TempDownloadUri",
                "Size",
                "ThumbnailFileAccessUri",
                "ThumbnailTempDownloadUri",
                "Id",
                "SyncToken",
            )
        }
        body.update(FileName=name, ContentType=ctype)
        refs = body.get("AttachableRef")
        if isinstance(refs, list):  # QBO answers IncludeOnSend false when the upload left it out
            body["AttachableRef"] = [
                {**r, "IncludeOnSend": r.get("IncludeOnSend", False)} if isinstance(r, dict) else r
                for r in refs
            ]
        data = content_part.content
        with self.sandbox.db.tx() as conn:
            created = service.entities.create(realm, spec, body)
            id_ = int(created["Id"])
            stored = {
                "FileName": name,
                "FileAccessUri": f"/v3/company/{realm}/download/{id_}",
                "Size": len(data),
                "ContentType": ctype,
                **{k: v for k, v in created.items() if k not in ("FileName", "ContentType")},
            }
            self.sandbox.store.put(conn, realm, spec, id_, stored)
            conn.execute(
                "INSERT OR REPLACE INTO attachment_blobs (realm_id, attachable_id, object_key, sha256, size, "
                "content) VALUES (?, ?, ?, ?, ?, ?)",
                (realm, id_, str(uuid.uuid4()), hashlib.sha256(data).hexdigest(), len(data), data),
            )
        return self._with_url(base, realm, stored)

    def download_url(self, base: str, realm: str, id_text: str) -> str:
        """``GET download/{id}``: the file's temporary URL."""
        core = self.sandbox.service.core
        row = core.live_row(realm, catalog.get("Attachable"), core.parse_id(id_text))
        payload = row.payload()
        if not payload.get("FileName"):
            raise faults.business_rule(f"Attachable {id_text} holds a note, not a file", "FileName")
        self._ensure()
        return self._temp_url(base, realm, payload)

    # -- TempDownloadUri on reads ----------------------------------------------------------------

    async def with_temp_urls(self, request: Request, realm: str, text: str) -> str:
        """An answer with a fresh ``TempDownloadUri`` on every Attachable that has a file."""
        if '"AttachableRef"' not in text:
            return text
        return await run_in_threadpool(self._add_temp_urls, str(request.base_url).rstrip("/"), realm, text)

    def _add_temp_urls(self, base: str, realm: str, text: str) -> str:
        try:
            answer = json.loads(text)
        except ValueError:
            return text
        self._ensure()
        changed = self._walk(base, realm, answer)
        return json.dumps(answer, separators=(",", ":"), ensure_ascii=False) if changed else text

    def _walk(self, base: str, realm: str, node: Any) -> bool:
        changed = False
        if isinstance(node, dict):
            for key, value in list(node.items()):
                if key == "Attachable" and isinstance(value, dict):
                    node[key] = self._with_url(base, realm, value)
                    changed = changed or node[key] is not value
                elif key == "Attachable" and isinstance(value, list):
                    node[key] = [self._with_url(base, realm, v) if isinstance(v, dict) else v for v in value]
                    changed = True
                else:
                    changed = self._walk(base, realm, value) or changed
        elif isinstance(node, list):
            for item in node:
                changed = self._walk(base, realm, item) or changed
        return changed

    def _with_url(self, base: str, realm: str, att: dict[str, Any]) -> dict[str, Any]:
        if not att.get("FileName") or not att.get("Id") or att.get("status") == "Deleted":
            return att
        if "AttachableRef" not in att and "Size" not in att:
            return att  # a projection (SELECT Id, FileName ...): QBO answers what was asked
        if att.get("TempDownloadUri"):
            return att  # loaded as recorded from a real company: answered as loaded
        out: dict[str, Any] = {
            "FileName": att["FileName"],
            "FileAccessUri": att.get("FileAccessUri") or f"/v3/company/{realm}/download/{att['Id']}",
            "TempDownloadUri": self._temp_url(base, realm, att),
        }
        out.update((k, v) for k, v in att.items() if k not in out)
        return out

    def _object_key(self, realm: str, att: dict[str, Any]) -> str:
        with self.sandbox.db.read() as conn:
            row = conn.execute(
                "SELECT object_key FROM attachment_blobs WHERE realm_id = ? AND attachable_id = ?",
                (realm, int(att["Id"])),
            ).fetchone()
        if row is not None:
            return str(row[0])
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"qbo-sandbox:{realm}:{att['Id']}"))

    def _temp_url(self, base: str, realm: str, att: dict[str, Any]) -> str:
        key = self._object_key(realm, att)
        path = f"{_S3_PREFIX}/{realm}/attachments/{att['Id']}/{key}{att['FileName']}"
        now = datetime.now(timezone.utc)
        date = now.strftime(_AMZ_DATE)
        expires = str(max(0, round(self.ttl)))
        query = {
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Date": date,
            "X-Amz-SignedHeaders": "host",
            "X-Amz-Expires": expires,
            "X-Amz-Credential": f"QBOSANDBOX/{now:%Y%m%d}/us-east-1/s3/aws4_request",
            "X-Amz-Signature": self._sign(path, date, expires),  # over the decoded path
        }
        return f"{base}{quote(path)}?{urlencode(query)}"

    def _sign(self, path: str, date: str, expires: str) -> str:
        return hmac.new(self._secret, f"{path}\n{date}\n{expires}".encode(), hashlib.sha256).hexdigest()

    # -- the file URL ----------------------------------------------------------------------------

    async def serve(self, request: Request) -> Response:
        """A file by its temporary URL, or S3's XML error (expired, bad signature, no such key)."""
        params = request.query_params
        path = request.url.path
        date, expires = params.get("X-Amz-Date", ""), params.get("X-Amz-Expires", "")
        signature = params.get("X-Amz-Signature", "")
        if not hmac.compare_digest(signature, self._sign(path, date, expires)):
            return _s3_error(
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. "
                "Check your key and signing method.",
            )
        try:
            signed = datetime.strptime(date, _AMZ_DATE).replace(tzinfo=timezone.utc)
        except ValueError:
            return _s3_error("AuthorizationQueryParametersError", "X-Amz-Date must be in the ISO8601 format")
        now = datetime.now(timezone.utc)
        if (now - signed).total_seconds() > int(expires or 0):
            ends = datetime.fromtimestamp(signed.timestamp() + int(expires or 0), timezone.utc)
            return _s3_error(
                "AccessDenied",
                "Request has expired",
                extra={
                    "X-Amz-Expires": expires,
                    "Expires": ends.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "ServerTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                },
            )
        realm, id_text = request.path_params["realm"], request.path_params["id"]
        found = await run_in_threadpool(self._content, realm, id_text)
        if found is None:
            return _s3_error("NoSuchKey", "The specified key does not exist.", status=404)
        content, ctype, digest = found
        headers = {
            "ETag": f'"{hashlib.md5(content).hexdigest()}"',  # noqa: S324 - S3's ETag is the MD5
            "Last-Modified": formatdate(usegmt=True),
            "x-amz-meta-sha256": digest,
        }
        return Response(content, media_type=ctype or "application/octet-stream", headers=headers)

    def _content(self, realm: str, id_text: str) -> tuple[bytes, str, str] | None:
        if not id_text.isdigit():
            return None
        self._ensure()
        att = self.sandbox.store.get(realm, "Attachable", id_text)
        if att is None or not att.get("FileName"):
            return None
        with self.sandbox.db.read() as conn:
            row = conn.execute(
                "SELECT content, sha256 FROM attachment_blobs WHERE realm_id = ? AND attachable_id = ?",
                (realm, int(id_text)),
            ).fetchone()
        ctype = str(att.get("ContentType") or "")
        if row is not None:
            return bytes(row[0]), ctype, str(row[1])
        data = sample_content(realm, id_text, att.get("Size"))
        return data, ctype, hashlib.sha256(data).hexdigest()


def sample_content(realm: str, id_text: str, size: Any) -> bytes:
    """The deterministic bytes served for a loaded attachable that has a size but no stored file."""
    try:
        n = max(0, min(int(size or 0), _SAMPLE_CAP))
    except (TypeError, ValueError):
        n = 0
    return random.Random(f"{realm}/{id_text}").randbytes(n)


class _Part:
    __slots__ = ("content", "content_type", "filename", "name")

    def __init__(self, name: str, filename: str, content_type: str, content: bytes) -> None:
        self.name = name
        self.filename = filename
        self.content_type = content_type
        self.content = content


def _parse_multipart(body: bytes, boundary: bytes) -> list[_Part]:
    delimiter = b"--" + boundary
    parts: list[_Part] = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk.lstrip(b"\n")
        head, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep:
            head, sep, content = chunk.partition(b"\n\n")
        if content.endswith(b"\r\n"):
            content = content[:-2]
        elif content.endswith(b"\n"):
            content = content[:-1]
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").splitlines():
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = _disposition_value(disposition, "name")
        filename = _disposition_value(disposition, "filename")
        parts.append(_Part(name, filename, headers.get("content-type", ""), content))
    return parts


def _disposition_value(disposition: str, key: str) -> str:
    match = re.search(rf'(?:^|;)\s*{key}="([^"]*)"', disposition) or re.search(
        rf"(?:^|;)\s*{key}=([^;]+)", disposition
    )
    return match.group(1).strip() if match else ""


def _pairs(parts: list[_Part]) -> list[tuple[_Part | None, _Part | None]]:
    """``file_metadata_<n>`` with ``file_content_<n>``, in the order the files came."""
    by_suffix: dict[str, dict[str, _Part]] = {}
    for part in parts:
        match = _PART_NAME.match(part.name)
        if match is None:
            continue
        by_suffix.setdefault(match.group(2), {})[match.group(1)] = part
    return [
        (found.get("metadata"), found.get("content")) for found in by_suffix.values() if "content" in found
    ]


def _too_large(size: int, limit: int) -> QBOFault:
    return QBOFault(
        "6030",
        "Upload request size exceeds allowed limit",
        f"The file upload request should not exceed {_size_text(limit)} in size. "
        f"The current request size is {size}",
    )


def _size_text(limit: int) -> str:
    mb = 1024 * 1024
    return f"{limit // mb}MB" if limit % mb == 0 else f"{limit} bytes"


async def _drain(request: Request) -> None:
    async for _ in request.stream():
        pass


def _s3_error(code: str, message: str, *, status: int = 403, extra: dict[str, str] | None = None) -> Response:
    fields = "".join(f"<{k}>{v}</{k}>" for k, v in (extra or {}).items())
    request_id = secrets.token_hex(8).upper()
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>{fields}"
        f"<RequestId>{request_id}</RequestId><HostId>{secrets.token_urlsafe(48)}</HostId></Error>"
    )
    return Response(body, status_code=status, media_type="application/xml")
