"""QuickBooks faults as typed errors a user can act on.

Every error carries the fault code, the element, the message, the detail and the ``intuit_tid``
that Intuit support asks for; ``str()`` says all of it in one line.
"""

from __future__ import annotations

import socket
from typing import Any

from urllib3.exceptions import NewConnectionError


class QBOError(Exception):
    """A fault answered by QuickBooks Online (or a failure to reach it)."""

    hint = ""

    def __init__(
        self,
        message: str,
        *,
        code: str = "",
        detail: str = "",
        element: str = "",
        intuit_tid: str = "",
        status: int = 0,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.detail = detail
        self.element = element
        self.intuit_tid = intuit_tid
        self.status = status

    def __str__(self) -> str:
        parts = [f"QuickBooks fault {self.code or '-'}: {self.message}"]
        if self.detail and self.detail != self.message:
            parts.append(self.detail)
        if self.element:
            parts.append(f"element {self.element}")
        if self.hint:
            parts.append(self.hint)
        if self.intuit_tid:
            parts.append(f"intuit_tid {self.intuit_tid}")
        return "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "detail": self.detail,
            "element": self.element,
            "intuit_tid": self.intuit_tid,
            "status": self.status,
        }


class AuthenticationError(QBOError):
    """401/403 that a token refresh did not cure."""

    hint = "check that the app is connected to this company (realm_id) and has the accounting scope"


class RefreshTokenInvalid(AuthenticationError):
    """The refresh token is expired, revoked or already rotated away (``invalid_grant``)."""

    hint = (
        "the refresh token is no longer valid (expired, revoked, or rotated by another process "
        "that did not save it): run `tap-quickbooks auth` to connect the company again, or put a "
        "fresh refresh_token in the config and delete the token store file"
    )


class ThrottledError(QBOError):
    """429 that persisted through every retry."""

    hint = (
        "QuickBooks kept throttling (500 requests/min, 10 concurrent per company): lower requests_per_minute"
    )


class TransientError(QBOError):
    """5xx or a dropped connection that persisted through every retry."""

    hint = "QuickBooks was unavailable; the run can be retried from its last state"


#: Attempts at an address where nothing has answered yet before :class:`UnreachableError`.
UNREACHABLE_ATTEMPTS = 3


class UnreachableError(QBOError):
    """Nothing answers at the address: the connection is refused, or the host name does not resolve.

    A wrong ``base_url`` (or no network), not an outage: retrying for minutes would not help, so
    the client gives up after a few attempts. The message names the address and what to check.
    """

    def __str__(self) -> str:
        return self.message


def unreachable_reason(exc: BaseException) -> str | None:
    """Why no connection could be opened at all (``"connection refused"``, ``"the host name does
    not resolve"``), or None when the failure is of another kind: a timeout or a connection dropped
    midway, which is what an outage looks like."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if not isinstance(reason, NewConnectionError):  # a DNS failure is one too (NameResolutionError)
        return None
    cause = reason.__cause__
    if isinstance(cause, socket.gaierror):
        return "the host name does not resolve"
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror[:1].lower() + cause.strerror[1:]
    return "no connection could be opened"


class ValidationError(QBOError):
    """A request QuickBooks refused (4xx other than auth): retrying the same request will not help."""


class NotFoundError(ValidationError):
    """610: the object does not exist, or a reference points to an inactive object."""


class StaleObjectError(ValidationError):
    """5010: the SyncToken is out of date; read the object again and re-apply the change."""


class DuplicateNameError(ValidationError):
    """6240: another Customer, Vendor or Employee (active or not) already has this name."""


class DuplicateDocNumberError(ValidationError):
    """6140: the DocNumber is already used by another transaction of this type."""


class QueryError(ValidationError):
    """4000/4001/4002: the query is malformed or asks for something not queryable."""


_BY_CODE: dict[str, type[QBOError]] = {
    "610": NotFoundError,
    "5010": StaleObjectError,
    "6240": DuplicateNameError,
    "6140": DuplicateDocNumberError,
    "4000": QueryError,
    "4001": QueryError,
    "4002": QueryError,
    "3001": ThrottledError,
    "3100": AuthenticationError,
    "3200": AuthenticationError,
}


def fault_error(status: int, body: Any, intuit_tid: str = "") -> QBOError:
    """The typed error for a fault body (``Fault`` or the lowercase ``fault`` envelope)."""
    first: dict[str, Any] = {}
    if isinstance(body, dict):
        fault = body.get("Fault") or body.get("fault") or {}
        errors = (fault.get("Error") or fault.get("error") or []) if isinstance(fault, dict) else []
        if errors and isinstance(errors[0], dict):
            first = errors[0]
    code = str(first.get("code") or "")
    message = str(first.get("Message") or first.get("message") or f"HTTP {status}")
    detail = str(first.get("Detail") or first.get("detail") or "")
    element = str(first.get("element") or "")
    kind = _BY_CODE.get(code)
    if kind is None:
        if status in (401, 403):
            kind = AuthenticationError
        elif status == 429:
            kind = ThrottledError
        elif status >= 500:
            kind = TransientError
        else:
            kind = ValidationError
    return kind(message, code=code, detail=detail, element=element, intuit_tid=intuit_tid, status=status)
