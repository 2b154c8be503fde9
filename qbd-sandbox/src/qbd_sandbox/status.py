"""The statuses a request can end with, worded as QuickBooks words them.

QuickBooks' messages put two spaces after a full stop and quote the value they name
(``Object "8000001B-1405768916" specified in the request cannot be found.  QuickBooks error
message: Invalid argument.  The specified record does not exist in the list.``); the recorded
answers in ``shared/fixtures/qbd`` are the models. A failing request raises :class:`Status`; the
processor turns it into the ``statusCode`` / ``statusSeverity`` / ``statusMessage`` of its ``XxxRs``.
"""

from __future__ import annotations

from qbd_client.errors import severity_of

OK_MESSAGE = "Status OK"
NO_MATCH_MESSAGE = "A query request did not find a matching object in QuickBooks"
_NOT_IN_LIST = "QuickBooks error message: Invalid argument.  The specified record does not exist in the list."


class Status(Exception):
    """A request that ends with a status other than 0 (an error, a warning or "no match")."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def severity(self) -> str:
        return severity_of(self.code)


def no_match() -> Status:
    return Status(1, NO_MATCH_MESSAGE)


def not_found_warning(value: str) -> Status:
    """500: one of the ListIDs / FullNames / TxnIDs / RefNumbers a query named is not there."""
    return Status(
        500,
        "The query request has not been fully completed. There was a required element "
        f'("{value}") that could not be found in QuickBooks.',
    )


def object_not_found(value: str) -> Status:
    """3120: the object a request names by id is not in the company."""
    return Status(3120, f'Object "{value}" specified in the request cannot be found.  {_NOT_IN_LIST}')


def invalid_reference(list_word: str, value: str, owner: str, *, line: bool = False) -> Status:
    """3140: a ``XxxRef`` names nothing in its list."""
    where = f"{owner} line" if line else owner
    return Status(
        3140,
        f'There is an invalid reference to QuickBooks {list_word} "{value}" in the {where}.  {_NOT_IN_LIST}',
    )


def invalid_parent(list_word: str, value: str, owner: str) -> Status:
    """3130: a ``ParentRef`` names nothing (or names the element itself or one of its children)."""
    return Status(
        3130,
        f'There is an invalid reference to a parent QuickBooks {list_word} "{value}" in the {owner}.  '
        f"{_NOT_IN_LIST}",
    )


def name_in_use(name: str) -> Status:
    return Status(3100, f'The name "{name}" of the list element is already in use.')


def missing_element(name: str) -> Status:
    return Status(3150, f'There is a missing element: "{name}".')


def stale_edit_sequence(sent: str) -> Status:
    return Status(3200, f'The provided edit sequence "{sent}" is out-of-date.')


def invalid_value(field: str, value: str, why: str) -> Status:
    return Status(
        3210, f'The "{field}" field has an invalid value "{value}".  QuickBooks error message: {why}'
    )


def invalid_date(field: str, value: str) -> Status:
    return Status(
        3020, f'There was an error when converting the date value "{value}" in the field "{field}".'
    )


def invalid_date_range() -> Status:
    return Status(3030, "Invalid date range: From date is greater than To date.")


def iterator_invalid(iterator_id: str) -> Status:
    return Status(
        3391,
        f'The iterator "{iterator_id}" is not valid: it ended with its session or returned its last '
        "page.  Start the query again.",
    )


def not_supported(what: str) -> Status:
    return Status(1030, f"This request is not supported by this implementation: {what}.")
