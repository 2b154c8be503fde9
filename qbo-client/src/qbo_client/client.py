"""The transport both plugins use: one session, the limiter, retries, one refresh on 401, typed faults."""

from __future__ import annotations

import functools
import json
import logging
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from . import catalog, retry
from .auth import TokenManager
from .config import ClientConfig
from .errors import (
    UNREACHABLE_ATTEMPTS,
    QBOError,
    ThrottledError,
    TransientError,
    UnreachableError,
    ValidationError,
    fault_error,
    unreachable_reason,
)
from .ratelimit import LIMIT_MARGIN, RateLimiter
from .retry import Retry, RetryPolicy
from .tokens import TokenStore

log = logging.getLogger("qbo_client")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Access-token refreshes one request may do on 401s in a row. One cures an expired token; QBO also
#: answers the odd spurious 401; a 401 that persists through these refreshes fails the request. A
#: request that retries for long (429s, 5xx) can outlive several tokens: any other answer in
#: between starts the count again.
REFRESHES_PER_REQUEST = 3
_CONNECTION_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


class Stats:
    """Counters of what a client did (for logs, tests and benchmarks)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.retries = 0
        self.throttled = 0
        self.faults = 0

    def add(self, **counts: int) -> None:
        with self._lock:
            for key, value in counts.items():
                setattr(self, key, getattr(self, key) + value)

    def as_dict(self) -> dict[str, int]:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "throttled": self.throttled,
            "faults": self.faults,
        }


@dataclass
class _Call:
    """One API call as it is sent, and the access-token refreshes it has done across its attempts."""

    method: str
    url: str
    path: str
    query: dict[str, Any]
    data: bytes | None
    headers: dict[str, str]
    batch: bool
    idempotent: bool
    refreshes: int = 0
    #: The answer is plain text (``download``), handed back as ``{"text": ...}``.
    text_answer: bool = False


class QBOClient:
    """A QuickBooks Online company reached over HTTP. Thread-safe: pages can be fetched concurrently."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        session: requests.Session | None = None,
        store: TokenStore | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.config = config
        self.session = session or requests.Session()
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=max(config.max_in_flight, 10))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.tokens = TokenManager(config, self.session, store)
        # QBO counts a request when it arrives, the limiter when it leaves: a window a little
        # longer than QBO's keeps the one-after-the-limit request from arriving a moment early.
        self.limiter = limiter or RateLimiter(
            config.requests_per_minute,
            config.max_in_flight,
            config.batch_per_minute,
            period=config.rate_limit_window * LIMIT_MARGIN,
        )
        self.stats = Stats()
        self._retry_policy = RetryPolicy(first_wait=0.5, max_wait=config.max_backoff)
        #: Whether the API has answered this client (a refused connection then is an outage).
        self._answered = False

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> QBOClient:
        return cls(ClientConfig.from_mapping(config))

    @property
    def realm_id(self) -> str:
        return self.config.realm_id

    def close(self) -> None:
        self.session.close()

    # -- the request loop -----------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        text_body: str | None = None,
        batch: bool = False,
        idempotent: bool | None = None,
        raw_body: tuple[bytes, str] | None = None,
        text_answer: bool = False,
    ) -> dict[str, Any]:
        """One API call under ``/v3/company/{realm}/``, retried where that is safe; the decoded answer.

        GETs, queries and writes that carry a ``requestid`` are idempotent and retried on 5xx and
        dropped connections; other writes are retried only on 429 (QBO did not run them).
        """
        url = f"{self.config.company_url}/{path.lstrip('/')}"
        query: dict[str, Any] = {**(params or {}), "minorversion": self.config.minor_version}
        if idempotent is None:
            idempotent = method == "GET" or path == "query" or "requestid" in query
        headers = {"Accept": "application/json", "User-Agent": self.config.user_agent}
        data: bytes | None = None
        if json_body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(json_body, separators=(",", ":")).encode()
        elif text_body is not None:
            headers["Content-Type"] = "application/text"
            data = text_body.encode()
        elif raw_body is not None:
            data, headers["Content-Type"] = raw_body
        call = _Call(method, url, path, query, data, headers, batch=batch, idempotent=idempotent)
        call.text_answer = text_answer
        return retry.call(
            lambda n: self._attempt(call, n), self._retry_policy, logger=log, on_retry=self._on_retry
        )

    def _attempt(self, call: _Call, n: int) -> dict[str, Any]:
        """Attempt ``n`` of a call: its decoded answer, or :class:`~qbo_client.retry.Retry` where
        another attempt may succeed, or the typed fault."""
        method, url, path = call.method, call.url, call.path
        while True:
            token = self.tokens.access_token()
            call.headers["Authorization"] = f"Bearer {token}"
            try:
                with self.limiter.slot(call.batch):
                    self.stats.add(requests=1)
                    resp = self.session.request(
                        method,
                        url,
                        params=call.query,
                        data=call.data,
                        headers=call.headers,
                        timeout=self.config.timeout,
                    )
            except _CONNECTION_ERRORS as exc:
                # No connection could be opened: the request never reached QuickBooks.
                refused = unreachable_reason(exc)
                failure = f"{method} {url}: {refused or type(exc).__name__}"
                if refused is not None and not self._answered:
                    # Nothing has ever answered there: a wrong address, not an outage.
                    hint = self.config.unreachable_hint(url)
                    raise Retry(
                        failure,
                        retries=min(UNREACHABLE_ATTEMPTS - 1, self.config.max_retries),
                        error=functools.partial(
                            UnreachableError,
                            f"nothing answers at {url} ({refused}, {n} attempt(s)): {hint}",
                            code="unreachable",
                        ),
                    ) from exc
                raise Retry(
                    failure,
                    retries=self.config.max_retries if call.idempotent else 0,
                    error=functools.partial(
                        TransientError, f"{failure} after {n} attempt(s)", code="connection"
                    ),
                ) from exc
            self._answered = True
            tid = resp.headers.get("intuit_tid", "")
            if resp.status_code == 401 and call.refreshes < REFRESHES_PER_REQUEST:
                call.refreshes += 1
                self.tokens.refresh(token)
                continue
            if resp.status_code != 401:
                # The token was taken: a 401 after waiting out this 429 or 5xx is a new expiry, not
                # the same one persisting, so the request gets its refreshes again.
                call.refreshes = 0
            if resp.status_code in RETRY_STATUSES and (call.idempotent or resp.status_code == 429):
                throttled = resp.status_code == 429
                raise Retry(
                    f"{method} {path}: HTTP {resp.status_code}",
                    retries=self.config.max_retries,
                    error=functools.partial(self._fault, resp, tid),
                    retry_after=_retry_after(resp),
                    min_wait=1.0 if throttled else 0.0,  # a 429 without Retry-After waits a second at least
                    status=resp.status_code,
                )
            if call.text_answer and resp.status_code < 400:
                return {"text": resp.text}
            body = _decode(resp)
            if resp.status_code >= 400 or (isinstance(body, dict) and ("Fault" in body and len(body) <= 2)):
                raise self._fault(resp, tid, body)
            if not isinstance(body, dict):
                raise TransientError(
                    f"{method} {path}: the answer is not JSON (HTTP {resp.status_code})",
                    intuit_tid=tid,
                    status=resp.status_code,
                )
            return body

    def _fault(self, resp: requests.Response, tid: str, body: Any = None) -> QBOError:
        """The typed error of a fault answer (counted)."""
        self.stats.add(faults=1)
        return fault_error(resp.status_code, _decode(resp) if body is None else body, tid)

    def _on_retry(self, failure: Retry, wait: float) -> None:
        """Count a retry; after a 429, hold every request of the process back for the wait."""
        self.stats.add(retries=1)
        if failure.status == 429:
            self.stats.add(throttled=1)
            self.limiter.pause(wait)

    # -- reads ----------------------------------------------------------------------------------

    def query(self, text: str) -> dict[str, Any]:
        """The ``QueryResponse`` of a query."""
        answer = self.request("POST", "query", text_body=text, idempotent=True)
        result: dict[str, Any] = answer.get("QueryResponse") or {}
        return result

    def query_rows(self, text: str) -> list[dict[str, Any]]:
        answer = self.query(text)
        return next((v for v in answer.values() if isinstance(v, list)), [])

    def count(self, entity: str, where: str = "") -> int:
        answer = self.query(f"SELECT COUNT(*) FROM {entity}{' WHERE ' + where if where else ''}")
        return int(answer.get("totalCount", 0))

    def read(self, entity: str, id_: str) -> dict[str, Any]:
        spec = catalog.get(entity)
        answer = self.request("GET", f"{spec.path}/{id_}")
        found: dict[str, Any] = answer[spec.name]
        return found

    def company_info(self) -> dict[str, Any]:
        found: dict[str, Any] = self.request("GET", f"companyinfo/{self.realm_id}")["CompanyInfo"]
        return found

    def preferences(self) -> dict[str, Any]:
        found: dict[str, Any] = self.request("GET", "preferences")["Preferences"]
        return found

    def cdc(self, entities: Sequence[str], changed_since: datetime | str) -> dict[str, list[dict[str, Any]]]:
        """Objects of each type changed since a moment (deleted ones as ``status: Deleted`` stubs)."""
        since = changed_since.isoformat() if isinstance(changed_since, datetime) else changed_since
        answer = self.request("GET", "cdc", params={"entities": ",".join(entities), "changedSince": since})
        out: dict[str, list[dict[str, Any]]] = {name: [] for name in entities}
        for block in answer.get("CDCResponse") or []:
            for group in block.get("QueryResponse") or []:
                for key, rows in group.items():
                    if isinstance(rows, list):
                        out.setdefault(key, []).extend(rows)
        return out

    def report(self, name: str, params: Mapping[str, str]) -> dict[str, Any]:
        return self.request("GET", f"reports/{name}", params=dict(params))

    # -- writes ---------------------------------------------------------------------------------

    def create(
        self, entity: str, payload: Mapping[str, Any], request_id: str | None = None
    ) -> dict[str, Any]:
        spec = catalog.get(entity)
        return self._write(spec, dict(payload), {}, request_id)

    def update(
        self, entity: str, payload: Mapping[str, Any], *, sparse: bool = True, request_id: str | None = None
    ) -> dict[str, Any]:
        spec = catalog.get(entity)
        body = {**payload, "sparse": True} if sparse else dict(payload)
        return self._write(spec, body, {}, request_id)

    def delete(self, entity: str, id_: str, sync_token: str, request_id: str | None = None) -> dict[str, Any]:
        spec = catalog.get(entity)
        return self._write(spec, {"Id": id_, "SyncToken": sync_token}, {"operation": "delete"}, request_id)

    def void(self, entity: str, id_: str, sync_token: str, request_id: str | None = None) -> dict[str, Any]:
        spec = catalog.get(entity)
        if spec.void is catalog.Void.OPERATION_VOID:
            return self._write(spec, {"Id": id_, "SyncToken": sync_token}, {"operation": "void"}, request_id)
        if spec.void is catalog.Void.UPDATE_INCLUDE_VOID:
            body = {"Id": id_, "SyncToken": sync_token, "sparse": True}
            return self._write(spec, body, {"operation": "update", "include": "void"}, request_id)
        raise ValidationError(f"{entity} cannot be voided", code="void")

    def _write(
        self, spec: catalog.ObjectSpec, body: dict[str, Any], params: dict[str, str], request_id: str | None
    ) -> dict[str, Any]:
        if request_id:
            params = {**params, "requestid": request_id}
        answer = self.request("POST", spec.path, params=params, json_body=body)
        found: dict[str, Any] = answer[spec.name]
        return found

    def batch(
        self, items: Iterable[Mapping[str, Any]], request_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Run up to 30 batch items; the answers in ``bId`` order of the request (faults per item)."""
        request_items = list(items)
        params = {"requestid": request_id} if request_id else {}
        answer = self.request(
            "POST", "batch", params=params, json_body={"BatchItemRequest": request_items}, batch=True
        )
        answers: list[dict[str, Any]] = answer.get("BatchItemResponse") or []
        by_id = {str(a.get("bId")): a for a in answers}
        return [by_id.get(str(item.get("bId")), {"bId": item.get("bId")}) for item in request_items]

    # -- attachment files -------------------------------------------------------------------------

    def upload(
        self, attachable: Mapping[str, Any], content: bytes, *, file_name: str, content_type: str
    ) -> dict[str, Any]:
        """Create an Attachable with its file through ``POST upload`` (multipart: the metadata as
        ``file_metadata_0``, the bytes as ``file_content_0``); the created Attachable, or the typed
        fault of its ``AttachableResponse`` item. Retried on 429 only: an upload has no requestid."""
        boundary = uuid.uuid4().hex
        meta = json.dumps({**attachable, "FileName": file_name, "ContentType": content_type})
        quoted = file_name.replace('"', "%22").replace("\r", "").replace("\n", "")
        body = b"".join(
            [
                f'--{boundary}\r\nContent-Disposition: form-data; name="file_metadata_0"; '
                f'filename="attachment.json"\r\nContent-Type: application/json\r\n\r\n'.encode(),
                meta.encode(),
                f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="file_content_0"; '
                f'filename="{quoted}"\r\nContent-Type: {content_type}\r\n\r\n'.encode(),
                content,
                f"\r\n--{boundary}--\r\n".encode(),
            ]
        )
        answer = self.request(
            "POST", "upload", raw_body=(body, f"multipart/form-data; boundary={boundary}"), idempotent=False
        )
        items = answer.get("AttachableResponse") or [{}]
        first = items[0] if isinstance(items[0], dict) else {}
        if "Fault" in first or not isinstance(first.get("Attachable"), dict):
            self.stats.add(faults=1)
            raise fault_error(400, {"Fault": first.get("Fault") or {}})
        created: dict[str, Any] = first["Attachable"]
        return created

    def download_url(self, attachable_id: str) -> str:
        """A fresh temporary URL of an Attachable's file (``GET download/{id}``, plain text)."""
        return str(self.request("GET", f"download/{attachable_id}", text_answer=True)["text"]).strip()

    def fetch_file(self, url: str) -> bytes:
        """The bytes at a temporary file URL (signed: sent without the bearer token). An expired
        URL raises :class:`ValidationError` with code ``url-expired`` (ask :meth:`download_url` for
        a fresh one); other refusals ``url-refused``; dropped connections and 5xx are retried."""
        for attempt in range(1, self.config.max_retries + 2):
            try:
                self.stats.add(requests=1)
                resp = self.session.get(url, timeout=self.config.timeout)
            except _CONNECTION_ERRORS as exc:
                if attempt > self.config.max_retries:
                    raise TransientError(f"GET file: {type(exc).__name__}", code="connection") from exc
                continue
            if resp.status_code < 300:
                return resp.content
            if resp.status_code >= 500 and attempt <= self.config.max_retries:
                continue
            expired = resp.status_code == 403 and "Request has expired" in resp.text
            self.stats.add(faults=1)
            said = (
                "the file's temporary URL has expired"
                if expired
                else f"the file URL answered {resp.status_code}"
            )
            raise ValidationError(
                said,
                code="url-expired" if expired else "url-refused",
                detail=resp.text[:300],
                status=resp.status_code,
            )
        raise TransientError("GET file: no answer", code="connection")  # pragma: no cover


def _decode(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        if resp.status_code == 429:
            return {"Fault": {"Error": [{"Message": "ThrottleExceeded", "code": "3001"}]}}
        return None


def _retry_after(resp: requests.Response) -> float | None:
    value = resp.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


__all__ = ["QBOClient", "QBOError", "Stats", "ThrottledError"]
