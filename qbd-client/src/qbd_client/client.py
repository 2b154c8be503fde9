"""The client of qbd-bridge's JSON API: what tap-quickbooks and target-quickbooks use for Desktop.

QuickBooks Desktop is reached only when its Web Connector calls the bridge, so a client does not
send a request and get an answer: it submits a *job* of qbXML message sets to the bridge's queue
and reads the answers as they come (:meth:`BridgeClient.responses`). The bridge continues
iterators itself; every page is one more response of the job. When the Web Connector does not
call within the time a caller is willing to wait, :class:`QBWCNotCalling` says when it last did.

    client = BridgeClient("http://127.0.0.1:8080", token, "acme")
    query = qbxml.build("CustomerQueryRq", {"MaxReturned": 100}, iterator="Start")
    job = client.submit([qbxml.message_set([query])])
    for answer in client.responses(job, wait_for_qbwc=600):
        for response in answer.responses:
            records = response.records()

The token never appears in a log line, an exception or a repr.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests
from urllib3.exceptions import NewConnectionError

from .errors import IteratorExpired, QBDError, RequestRefused
from .qbxml import MessageSetResponse, Response, parse_response
from .xml import XMLError, parse_bytes

log = logging.getLogger("qbd_client")

API = "/api/v1"


def ago(seconds: float | None) -> str:
    """``12 seconds ago``, ``3 days ago``, or ``never``."""
    if seconds is None:
        return "never"
    seconds = max(0.0, seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    n = int(seconds)
    return f"{n} second{'s' if n != 1 else ''} ago"


class BridgeError(Exception):
    """The bridge refused a request or could not be reached; the message says what to do."""

    def __init__(self, message: str, *, status: int = 0, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class BridgeAuthError(BridgeError):
    """401: the API token is missing, wrong, or was never created on this bridge."""


class BridgeUnavailable(BridgeError):
    """The bridge did not answer (not running, wrong URL, network)."""


class QBWCNotCalling(BridgeError):
    """The Web Connector did not call for the company within the wait."""

    def __init__(self, company: str, seconds_since_last_call: float | None, waited: float) -> None:
        if seconds_since_last_call is None:
            said = f"QBWC for company {company} has never called"
        else:
            said = f"QBWC for company {company} last called {ago(seconds_since_last_call)}"
        super().__init__(
            f"{said}: is QuickBooks open and the Web Connector scheduled? (waited {waited:g} s; the job "
            "stays queued and runs at the next update)",
            code="qbwc_not_calling",
        )
        self.company = company
        self.seconds_since_last_call = seconds_since_last_call


@dataclass(frozen=True)
class BridgeResponse:
    """One response line of a job: QuickBooks' answer to a message set (or to one page of it), or an error."""

    seq: int
    #: The index of the message set in the job (pages of an iterator share it).
    message_set: int
    #: 0 for the message set as submitted, 1, 2, ... for the pages the bridge asked for after it.
    part: int
    #: The qbXML response document as QuickBooks sent it.
    raw: str | None
    response: MessageSetResponse | None
    hresult: str | None
    message: str | None
    #: Set when QuickBooks refused the message set (an HRESULT), its iterator was lost, or it was not sent.
    error: QBDError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def responses(self) -> list[Response]:
        """The ``XxxRs`` of the answer (none for an error)."""
        return self.response.responses if self.response is not None else []


@dataclass(frozen=True)
class JobStatus:
    """A job as the bridge reports it."""

    job: str
    status: str
    message_sets: int
    counts: dict[str, int]
    responses: int
    progress: float
    open: bool = False
    label: str = ""
    iterator_remaining: int = 0
    note: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed", "cancelled")

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> JobStatus:
        return cls(
            job=body["job"],
            status=body["status"],
            message_sets=int(body["message_sets"]),
            counts=dict(body.get("counts", {})),
            responses=int(body.get("responses", 0)),
            progress=float(body.get("progress", 0.0)),
            open=bool(body.get("open", False)),
            label=str(body.get("label", "")),
            iterator_remaining=int(body.get("iterator_remaining", 0)),
            note=body.get("note"),
            raw=body,
        )


@dataclass(frozen=True)
class CompanyStatus:
    """When the company's Web Connector last called, its open session, its queue, its last error."""

    company: str
    last_call_at: str | None
    seconds_since_last_call: float | None
    session_open: bool
    queue_depth: int
    jobs_active: int
    last_error: str | None
    qbxml_version: str | None = None
    product: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> CompanyStatus:
        return cls(
            company=body["company"],
            last_call_at=body.get("last_call_at"),
            seconds_since_last_call=body.get("seconds_since_last_call"),
            session_open=bool(body.get("session_open")),
            queue_depth=int(body.get("queue_depth", 0)),
            jobs_active=int(body.get("jobs_active", 0)),
            last_error=body.get("last_error"),
            qbxml_version=body.get("qbxml_version"),
            product=body.get("product"),
            raw=body,
        )


def _as_text(message_set: bytes | str) -> str:
    if isinstance(message_set, str):
        return message_set
    try:
        return message_set.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Another declared encoding (QuickBooks' own is ISO-8859-1): let the parser honour it.
    try:
        root = parse_bytes(message_set)
    except XMLError as exc:
        raise ValueError(f"a message set is not well-formed XML: {exc}") from None
    from lxml import etree

    return str(etree.tostring(root.getroottree(), encoding="unicode"))


def _never_connected(exc: requests.RequestException) -> bool:
    """The request failed before a connection was made (refused, or the connect timed out)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError):
        return False
    reason = getattr(exc.args[0] if exc.args else None, "reason", None)
    return isinstance(reason, NewConnectionError)


class BridgeClient:
    """The JSON API of one company on a qbd-bridge."""

    def __init__(
        self,
        base_url: str,
        token: str,
        company: str,
        *,
        timeout: float = 30.0,
        poll_wait: float = 25.0,
        session: requests.Session | None = None,
        unavailable_for: float = 30.0,
    ) -> None:
        """``unavailable_for``: how long a bridge that refuses connections (restarting, say) is
        tried again before :class:`BridgeUnavailable`."""
        self.base_url = base_url.rstrip("/")
        self.unavailable_for = unavailable_for
        self.company = company
        self.timeout = timeout
        #: The longest one long-poll of the responses lasts (a new one follows).
        self.poll_wait = poll_wait
        self._http = session or requests.Session()
        self._auth = {"Authorization": f"Bearer {token}"}

    def __repr__(self) -> str:
        return f"BridgeClient({self.base_url!r}, company={self.company!r})"

    # -- HTTP ----------------------------------------------------------------------------------------

    def _request(
        self, method: str, path: str, *, read_timeout: float | None = None, **kwargs: Any
    ) -> requests.Response:
        url = f"{self.base_url}{API}{path}"
        deadline = time.monotonic() + self.unavailable_for
        pause = 0.25
        while True:
            try:
                answer = self._http.request(
                    method,
                    url,
                    headers=self._auth,
                    timeout=(self.timeout, read_timeout or self.timeout),
                    **kwargs,
                )
                break
            except requests.RequestException as exc:
                # Only a connection never made is tried again: then nothing reached the bridge,
                # so even a POST cannot have queued anything twice.
                if _never_connected(exc) and time.monotonic() + pause < deadline:
                    log.info("qbd-bridge at %s refused the connection; again in %g s", self.base_url, pause)
                    time.sleep(pause)
                    pause = min(pause * 2, 4.0)
                    continue
                raise BridgeUnavailable(
                    f"qbd-bridge at {self.base_url} did not answer ({type(exc).__name__}): is "
                    "`qbd-bridge serve` running there?"
                ) from None
        if answer.status_code >= 400:
            try:
                body = answer.json()
                code, message = str(body.get("error", "")), str(body.get("message", answer.text))
            except ValueError:
                code, message = "", answer.text[:500]
            answer.close()
            if answer.status_code == 401:
                raise BridgeAuthError(
                    f"qbd-bridge refused the API token: {message}; create one with `qbd-bridge token create`",
                    status=401,
                    code=code,
                )
            raise BridgeError(
                f"qbd-bridge answered {answer.status_code}: {message}", status=answer.status_code, code=code
            )
        return answer

    def _company_path(self) -> str:
        return f"/companies/{quote(self.company, safe='')}"

    # -- jobs ----------------------------------------------------------------------------------------

    def submit(self, message_sets: Sequence[bytes | str], label: str = "", *, open: bool = False) -> str:
        """Queue qbXML message sets (request documents) as one job; returns its id.

        With ``open=True`` the job takes more message sets later (:meth:`append`); the Web Connector's
        session waits for them (NoOp) until the job is closed or its producer is idle too long.
        """
        texts = [_as_text(m) for m in message_sets]
        body = {"message_sets": texts, "label": label, "open": open}
        answer = self._request("POST", f"{self._company_path()}/jobs", json=body)
        job: str = answer.json()["job"]
        log.debug("job %s submitted to %s: %d message sets", job, self.company, len(texts))
        return job

    def submit_keyed(self, message_sets: Sequence[bytes | str], label: str, key: str) -> tuple[str, bool]:
        """Queue a job under an idempotency ``key``, or find the company's job of that key.

        Returns (job id, whether it existed). A producer that submits the same work again after
        a crash, or after the answer to its POST was lost, so gets the job queued the first time
        and its answers, instead of a second job (the bridge keeps keys as long as their jobs).
        """
        body = {"message_sets": [_as_text(m) for m in message_sets], "label": label, "key": key}
        view = self._request("POST", f"{self._company_path()}/jobs", json=body).json()
        existing = bool(view.get("existing"))
        log.debug("job %s submitted to %s under a key (existing: %s)", view["job"], self.company, existing)
        return str(view["job"]), existing

    def append(self, job: str, message_sets: Sequence[bytes | str], *, close: bool = False) -> JobStatus:
        """Add message sets to an open job (``close`` says it is the last addition)."""
        body = {"message_sets": [_as_text(m) for m in message_sets], "close": close}
        return JobStatus.from_json(
            self._request("POST", f"/jobs/{quote(job, safe='')}/message_sets", json=body).json()
        )

    def close(self, job: str) -> JobStatus:
        """Say an open job gets no more message sets."""
        return self.append(job, [], close=True)

    def job(self, job: str) -> JobStatus:
        return JobStatus.from_json(self._request("GET", f"/jobs/{quote(job, safe='')}").json())

    def cancel(self, job: str) -> JobStatus:
        """Cancel what of the job is not sent yet."""
        return JobStatus.from_json(self._request("DELETE", f"/jobs/{quote(job, safe='')}").json())

    def status(self) -> CompanyStatus:
        return CompanyStatus.from_json(self._request("GET", f"{self._company_path()}/status").json())

    # -- responses -----------------------------------------------------------------------------------

    def _lines(self, job: str, after: int, wait: float) -> Iterator[dict[str, Any]]:
        answer = self._request(
            "GET",
            f"/jobs/{quote(job, safe='')}/responses",
            params={"after": after, "wait": f"{wait:.3f}"},
            stream=True,
            read_timeout=wait + self.timeout,
        )
        with answer:
            try:
                for raw in answer.iter_lines():
                    if raw:
                        yield json.loads(raw)
            except requests.RequestException as exc:
                raise BridgeUnavailable(
                    f"the connection to qbd-bridge at {self.base_url} broke while reading responses "
                    f"({type(exc).__name__})"
                ) from None

    def _item(self, job: str, line: dict[str, Any]) -> BridgeResponse:
        index = int(line["message_set"])
        raw = line.get("response")
        hresult = line.get("hresult")
        message = line.get("message")
        kind = line.get("error")
        error: QBDError | None = None
        parsed: MessageSetResponse | None = None
        where = f"message set {index} of job {job}"
        if kind == "hresult" or (raw is None and hresult):
            error = RequestRefused(f"{where}: {message or 'refused'}", code=hresult or "")
        elif kind == "iterator_lost":
            error = IteratorExpired(str(message or where), code=3391)
        elif raw is None:
            error = QBDError(f"{where}: {message or 'no response'}")
        else:
            try:
                parsed = parse_response(raw)
            except RequestRefused as exc:
                error = RequestRefused(f"{where}: {exc.message}", code=exc.code)
        return BridgeResponse(
            seq=int(line["seq"]),
            message_set=index,
            part=int(line.get("part", 0)),
            raw=raw,
            response=parsed,
            hresult=hresult,
            message=message,
            error=error,
        )

    def responses(
        self, job: str, wait_for_qbwc: float = 300.0, *, after: int = 0, raise_errors: bool = True
    ) -> Iterator[BridgeResponse]:
        """The job's responses in order, as the Web Connector brings them, until the job is over.

        ``wait_for_qbwc`` is how long to wait while nothing comes *and* the Web Connector does not
        call; then :class:`QBWCNotCalling` is raised (the job stays queued; read on later with
        ``after=`` the last seq seen). With ``raise_errors`` (the default) an error line raises its
        typed error (``RequestRefused`` for an HRESULT, ``IteratorExpired`` for an iterator cut by the
        end of its session); otherwise it is yielded with ``.error`` set.
        """
        seq = after
        last_sign = time.monotonic()
        seen_call: str | None = None
        first_look = True
        while True:
            left = wait_for_qbwc - (time.monotonic() - last_sign)
            got = 0
            for line in self._lines(job, seq, max(0.0, min(self.poll_wait, left))):
                got += 1
                seq = int(line["seq"])
                last_sign = time.monotonic()
                item = self._item(job, line)
                if item.error is not None and raise_errors:
                    raise item.error
                yield item
            state = self.job(job)
            if state.finished and state.responses <= seq:
                return
            if got or state.finished:
                continue
            status = self.status()
            if status.session_open or (not first_look and status.last_call_at != seen_call):
                last_sign = time.monotonic()
            seen_call, first_look = status.last_call_at, False
            waited = time.monotonic() - last_sign
            if waited >= wait_for_qbwc:
                raise QBWCNotCalling(self.company, status.seconds_since_last_call, wait_for_qbwc)

    def run(
        self, message_sets: Sequence[bytes | str], label: str = "", *, wait_for_qbwc: float = 300.0
    ) -> list[BridgeResponse]:
        """Submit a job and return all its responses (errors raise, as in :meth:`responses`)."""
        return list(self.responses(self.submit(message_sets, label), wait_for_qbwc))
