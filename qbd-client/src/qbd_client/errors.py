"""QuickBooks Desktop status codes and HRESULTs as typed errors a user can act on.

Every ``XxxRs`` carries ``statusCode``, ``statusSeverity`` and ``statusMessage``; severities are
Info (0-499), Warn (500-999) and Error (1000 and up). ``1`` (a query found nothing) is not an
error: it is an empty result. ``str()`` of an error says the code, QuickBooks' message and what
to do, in one line.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StatusInfo:
    """What a status code means and what a user or a program should do about it."""

    meaning: str
    hint: str = ""
    #: Worth sending again later (QuickBooks was busy, the record locked by someone else).
    retry: bool = False


#: The status codes of ``shared/reference/qbd-qbwc.md``, with what to do about each.
STATUS: dict[int, StatusInfo] = {
    0: StatusInfo("OK"),
    1: StatusInfo("no match"),
    500: StatusInfo("the query could not find one of the objects it named"),
    530: StatusInfo("field not supported in this qbXML version", "upgrade QuickBooks or leave the field out"),
    531: StatusInfo("value not supported in this qbXML version", "upgrade QuickBooks or change the value"),
    3000: StatusInfo("invalid object id", "check the ListID/TxnID: it does not exist in this company file"),
    3020: StatusInfo("invalid date", "send dates as YYYY-MM-DD and date-times as YYYY-MM-DDThh:mm:ss"),
    3030: StatusInfo("invalid date range", "the start of the range must not be after its end"),
    3100: StatusInfo("the name is already in use", "use another name, or update the existing object"),
    3120: StatusInfo("the object named in the request cannot be found", "add the referenced object first"),
    3130: StatusInfo("invalid reference to a parent", "add the parent first, or fix the ParentRef"),
    3140: StatusInfo(
        "invalid reference to another object", "add the referenced object first, or fix the reference"
    ),
    3150: StatusInfo("a required element is missing", "send the element the message names"),
    3170: StatusInfo("could not save: modified by another user", "sent again later", retry=True),
    3175: StatusInfo("could not lock the object", "sent again later", retry=True),
    3176: StatusInfo("the object is in use", "sent again later", retry=True),
    3180: StatusInfo("could not save the object", "sent again later", retry=True),
    3200: StatusInfo(
        "the EditSequence is out of date", "read the object again and apply the change to its current version"
    ),
    3210: StatusInfo("invalid value", "correct the value the message names"),
    3250: StatusInfo(
        "feature not enabled or not in this edition", "turn the feature on in QuickBooks' preferences"
    ),
    3260: StatusInfo(
        "not permitted for this user", "give the Web Connector's user the permission in QuickBooks"
    ),
    3261: StatusInfo(
        "not permitted for this application", "allow the application in QuickBooks' Integrated Applications"
    ),
    3391: StatusInfo(
        "the iterator is not valid (the session ended)", "start the query again from its filters"
    ),
}

#: HRESULTs the Web Connector reports in receiveResponseXML or connectionError.
HRESULTS: dict[str, StatusInfo] = {
    "0x80040400": StatusInfo(
        "QuickBooks could not parse the request", "the request is malformed or its elements are out of order"
    ),
    "0x80040401": StatusInfo(
        "could not access QuickBooks", "is QuickBooks running on the company machine?", True
    ),
    "0x80040408": StatusInfo("could not start QuickBooks", "open QuickBooks with the company file", True),
    "0x8004040D": StatusInfo("the ticket is not valid", "the session ended: the work is queued again", True),
}


def severity_of(code: int) -> str:
    """The severity QuickBooks gives a status code."""
    if code < 500:
        return "Info"
    if code < 1000:
        return "Warn"
    return "Error"


class QBDError(Exception):
    """A request QuickBooks Desktop answered with an error status, or a failure to reach it."""

    def __init__(
        self,
        message: str,
        *,
        code: int | str = "",
        severity: str = "Error",
        request: str = "",
        request_id: str = "",
        hint: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.severity = severity
        self.request = request
        self.request_id = request_id
        info = STATUS.get(code) if isinstance(code, int) else HRESULTS.get(str(code))
        self.hint = hint or (info.hint if info else "")
        self.retry = bool(info and info.retry)

    def __str__(self) -> str:
        parts = [f"QuickBooks status {self.code if self.code != '' else '-'}: {self.message}"]
        if self.request:
            parts.append(f"request {self.request}" + (f" {self.request_id}" if self.request_id else ""))
        if self.hint:
            parts.append(self.hint)
        return "; ".join(parts)


class StatusError(QBDError):
    """An ``XxxRs`` with severity Error."""


class EditSequenceStale(StatusError):
    """3200: the object changed since its EditSequence was read."""


class RetryLater(StatusError):
    """3170-3180: QuickBooks could not save now; the same request may succeed later."""


class IteratorExpired(StatusError):
    """3391: the iterator died with its session; the query must start again."""


class RequestRefused(QBDError):
    """QuickBooks refused the whole message set (an HRESULT such as 0x80040400)."""


def status_error(code: int, message: str, *, request: str = "", request_id: str = "") -> StatusError:
    """The typed error for an Error-severity status code."""
    cls: type[StatusError] = StatusError
    if code == 3200:
        cls = EditSequenceStale
    elif STATUS.get(code, StatusInfo("")).retry:
        cls = RetryLater
    elif code == 3391:
        cls = IteratorExpired
    return cls(message, code=code, severity=severity_of(code), request=request, request_id=request_id)
