"""QuickBooks Online faults as per-record errors that say what to do."""

from __future__ import annotations

from typing import Any

from qbo_client.errors import QBOError

from target_quickbooks.records import RecordError

#: What to do about the faults a record most often gets.
ADVICE = {
    "610": "a referenced object does not exist or is inactive: reactivate it or fix the reference",
    "2010": "QuickBooks does not accept a property or value: fix it in the source or with stream_maps",
    "2020": "a required field is missing: add it to the record",
    "2030": "an Id is not one QuickBooks can have: fix the Id in the record",
    "2050": "a value is longer than QuickBooks takes: shorten it in the source or with stream_maps",
    "2500": "a reference points to nothing: check the Id or name",
    "6000": "QuickBooks' business rules refuse the record: fix it as the detail says",
    "6140": "the document number is taken: change DocNumber",
    "6210": "the accounting period is closed: change the date or reopen the period",
    "6240": "the name is taken: rename the record",
}
#: The code of a batch item QuickBooks did not answer (it is sent again).
NO_ANSWER = "no-answer"


def from_batch_fault(fault: dict[str, Any], tid: str) -> RecordError:
    """A batch item's ``Fault``, with the ``intuit_tid`` of the batch request."""
    errors = fault.get("Error") or [{}]
    first = errors[0] if isinstance(errors[0], dict) else {}
    code = str(first.get("code") or "")
    message = str(first.get("Message") or "QuickBooks refused the item")
    detail = str(first.get("Detail") or "")
    element = str(first.get("element") or "")
    return RecordError(
        advice(code, message, detail),
        code=code,
        element=element,
        message=message,
        detail=detail,
        intuit_tid=tid,
    )


def from_error(exc: QBOError) -> RecordError:
    """A fault of a direct request (qbo-client raised it)."""
    return RecordError(
        advice(exc.code, exc.message, exc.detail),
        code=exc.code,
        element=exc.element,
        message=exc.message,
        detail=exc.detail,
        intuit_tid=exc.intuit_tid,
    )


def advice(code: str, message: str, detail: str) -> str:
    """The reason a dead letter gives: what QuickBooks said, and what to do."""
    said = detail or message
    hint = ADVICE.get(code, "fix the record as the detail says and send it again")
    return f"QuickBooks refused it ({code or 'no code'}: {said}): {hint}"
