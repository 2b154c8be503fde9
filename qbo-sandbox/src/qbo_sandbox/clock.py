"""Time as QBO shows it: ISO-8601 with the company's offset, second precision for MetaData."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

DEFAULT_TZ = ZoneInfo("America/Los_Angeles")


def now(tz: ZoneInfo = DEFAULT_TZ) -> datetime:
    return datetime.now(tz)


def qbo_now(tz: ZoneInfo = DEFAULT_TZ) -> str:
    """The ``time`` of an answer: milliseconds and offset, e.g. 2020-09-29T06:04:24.267-07:00."""
    t = datetime.now(tz)
    return t.isoformat(timespec="milliseconds")


def metadata_time(t: datetime) -> str:
    """A MetaData time: seconds and offset, e.g. 2020-09-29T05:58:07-07:00."""
    return t.replace(microsecond=0).isoformat()


def to_utc_key(value: str) -> str:
    """A sortable UTC key (``YYYY-MM-DDTHH:MM:SS``) for a date-time or date string.

    A value without an offset is taken in the company's zone; a bare date means its midnight.
    Raises ValueError for anything else.
    """
    text = value.strip()
    if len(text) == 10:
        parsed = datetime.combine(date.fromisoformat(text), datetime.min.time(), DEFAULT_TZ)
    else:
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=DEFAULT_TZ)
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def today(tz: ZoneInfo = DEFAULT_TZ) -> date:
    return datetime.now(tz).date()
