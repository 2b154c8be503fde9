"""QuickBooks Fault answers: the envelopes and codes the real API uses.

The data API answers ``{"Fault": {"Error": [...], "type": ...}, "time": ...}``; the auth layer
answers the lowercase ``{"fault": {"error": [...]}}`` envelope that real 401/403 bodies have.
"""

from __future__ import annotations

from typing import Any

from .clock import qbo_now


class QBOFault(Exception):
    """A fault the sandbox answers with. ``status`` is the HTTP status (400 unless said)."""

    def __init__(
        self,
        code: str,
        message: str,
        detail: str = "",
        *,
        element: str | None = None,
        status: int = 400,
        fault_type: str = "ValidationFault",
        timed: bool = True,
    ) -> None:
        super().__init__(f"{code} {message}: {detail}")
        self.code = code
        self.message = message
        self.detail = detail
        self.element = element
        self.status = status
        self.fault_type = fault_type
        self.timed = timed

    def error(self) -> dict[str, Any]:
        err: dict[str, Any] = {"Message": self.message, "Detail": self.detail, "code": self.code}
        if self.element is not None:
            err["element"] = self.element
        return err

    def fault(self) -> dict[str, Any]:
        """The ``Fault`` object (as used inside a batch item)."""
        return {"Error": [self.error()], "type": self.fault_type}

    def body(self) -> dict[str, Any]:
        if not self.timed:
            return {"Fault": self.fault()}
        return {"Fault": self.fault(), "time": qbo_now()}


def unsupported_operation(detail: str) -> QBOFault:
    return QBOFault("500", "Unsupported Operation", detail)


def invalid_id(value: str) -> QBOFault:
    # The real answer to a malformed Id carries no "time" (see the recorded error__500 exchange).
    return QBOFault(
        "2030",
        "Invalid ID",
        f"Id should be a valid number. Supplied value:{value}",
        element="Id",
        timed=False,
    )


def object_not_found(entity: str, id_: str) -> QBOFault:
    return QBOFault(
        "610",
        "Object Not Found",
        f"Object Not Found : Something you're trying to use has been made inactive. "
        f"Check the fields with accounts, customers, items, vendors or employees. ({entity} {id_})",
    )


def stale_object(entity: str, id_: str) -> QBOFault:
    return QBOFault(
        "5010",
        "Stale Object Error",
        f"Stale Object Error : You and another user were working on the same thing ({entity} {id_}). "
        "If you continue, you may erase what they did.",
    )


def unknown_property(name: str, entity: str) -> QBOFault:
    return QBOFault(
        "2010",
        "Request has invalid or unsupported property",
        f'Property Name:Unrecognized field "{name}" (class com.intuit.schema.finance.v3.{entity}), '
        "not marked as ignorable specified is unsupported or invalid",
    )


def required_missing(field: str) -> QBOFault:
    return QBOFault(
        "2020",
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {field} is missing in the request",
        element=field,
    )


def invalid_reference(entity: str, id_: str, prop: str) -> QBOFault:
    return QBOFault(
        "2500",
        "Invalid Reference Id",
        f"Invalid Reference Id : {entity} assigned to this transaction ({prop} {id_}) does not exist",
        element=prop,
    )


def duplicate_name() -> QBOFault:
    return QBOFault("6240", "Duplicate Name Exists Error", "The name supplied already exists. : null")


def duplicate_doc_number(doc: str) -> QBOFault:
    return QBOFault(
        "6140",
        "Duplicate Document Number Error",
        f"Duplicate Document Number Error : You must specify a different number. This number has already "
        f"been used. DocNumber={doc} is assigned to TxnType=Invoice",
    )


def string_length(field: str, limit: int, length: int) -> QBOFault:
    return QBOFault(
        "2050",
        "String length is either shorter or longer than supported by specification",
        f"String length specified does not match the supported length. Min:0 Max:{limit} supported. "
        f"Supplied length:{length}",
        element=field,
    )


def business_rule(detail: str, element: str = "") -> QBOFault:
    return QBOFault(
        "6000",
        "A business validation error has occurred while processing your request",
        f"Business Validation Error: {detail}",
        element=element,
    )


def amount_calculation(supplied: str) -> QBOFault:
    """A sales line whose Amount is not UnitPrice x Qty rounded to the cent (as a real answer has it)."""
    return QBOFault(
        "6070",
        "Amount calculation incorrect in the request.",
        f"Amount is not equal to UnitPrice * Qty. Supplied value:{supplied}",
        element="Line.Amount",
    )


def unbalanced_journal() -> QBOFault:
    """A journal entry whose debit lines do not add up to its credit lines."""
    return QBOFault(
        "2300", "Amount on debits not equal to credits", "Please balance your debits and credits."
    )


def malformed_request(detail: str) -> QBOFault:
    return QBOFault("2010", "Request has invalid or unsupported property", detail)


def throttled() -> QBOFault:
    return QBOFault(
        "3001",
        "message=ThrottleExceeded; errorCode=003001; statusCode=429",
        "The request limit was reached.  Try again later",
        status=429,
        fault_type="SERVICE",
    )


def system_fault(status: int = 500) -> QBOFault:
    return QBOFault(
        "10000",
        "An application error has occurred while processing your request",
        "System Failure Error: An unexpected error occurred while accessing or saving your data.",
        status=status,
        fault_type="SystemFault",
    )


def auth_body(status: int, detail: str) -> dict[str, Any]:
    """The lowercase envelope of a real 401 (code 3200) or 403 (code 3100)."""
    code = "3200" if status == 401 else "3100"
    kind = "AuthenticationFailed" if status == 401 else "AuthorizationFailed"
    return {
        "warnings": None,
        "intuitObject": None,
        "fault": {
            "error": [
                {
                    "message": f"message={kind}; errorCode=00{code}; statusCode={status}",
                    "detail": detail,
                    "code": code,
                    "element": None,
                }
            ],
            "type": "AUTHENTICATION" if status == 401 else "AUTHORIZATION",
        },
        "report": None,
        "queryResponse": None,
        "batchItemResponse": [],
        "attachableResponse": [],
        "syncErrorResponse": None,
        "requestId": None,
        "time": None,
        "status": None,
        "cdcresponse": [],
    }
