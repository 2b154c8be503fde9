"""The one time format every bookmark, cursor and replication value of the tap uses.

QuickBooks Online's ``MetaData.LastUpdatedTime`` carries the company's offset (``-08:00`` in winter,
``-07:00`` in summer): compared as text, two such values can sort the wrong way round a DST change.
The tap therefore turns every time it compares (records' replication values, bookmarks, cursors, the
run's upper bound) into one UTC format with second precision, ``2026-01-31T08:00:00+00:00``, which
sorts as text in time order. QuickBooks keeps seconds, so a second is the finest step a query can
take; :func:`next_second` is how paging moves past a second it has read completely.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

UTC = timezone.utc
_FORMAT = "%Y-%m-%dT%H:%M:%S+00:00"


def format_utc(moment: datetime) -> str:
    """A moment as the tap's comparable text (UTC, whole seconds)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(_FORMAT)


def parse_utc(text: str) -> datetime:
    """The moment a date or date-time text names (a bare date is midnight UTC; naive means UTC)."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def to_utc_text(text: str) -> str:
    """Any ISO date-time text in the tap's comparable format (flooring to the second)."""
    return format_utc(parse_utc(text))


def next_second(text: str) -> str:
    return format_utc(parse_utc(text) + timedelta(seconds=1))


def seconds_between(lo: str, hi: str) -> int:
    return int((parse_utc(hi) - parse_utc(lo)).total_seconds())


def add_seconds(text: str, seconds: int) -> str:
    return format_utc(parse_utc(text) + timedelta(seconds=seconds))
