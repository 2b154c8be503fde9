"""Date-times as QuickBooks Desktop reads them: the company PC's local time, without an offset.

QuickBooks reads a ``FromModifiedDate`` without offset as the local time of the PC it runs on, and
writes ``TimeModified`` with that PC's UTC offset (``2015-11-04T14:39:10-08:00``), which around a
daylight-saving change can be off by an hour. So a bookmark (UTC text, see
:mod:`tap_quickbooks.times`) is sent as local time in ``company_timezone``; without a zone, with
the offset the company's own records carry (kept in the stream's state), and the window read again
before the bookmark is an hour wider, as it is when a daylight-saving change is near.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from tap_quickbooks.times import format_utc, parse_utc

#: One hour more re-read when the zone is unknown or changes its offset near the window.
DST_MARGIN = timedelta(hours=1)
#: How far around a window a change of the zone's offset counts as near.
_NEAR = timedelta(hours=3)


def zone(name: str | None) -> ZoneInfo | None:
    """The company PC's zone, or None when the config does not name one."""
    return ZoneInfo(name) if name else None


def offset_minutes(raw: str) -> int | None:
    """The UTC offset a QuickBooks date-time carries, in minutes (None without one)."""
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    offset = moment.utcoffset()
    return None if offset is None else int(offset.total_seconds() // 60)


def near_offset_change(moment: datetime, tz: ZoneInfo, span: timedelta) -> bool:
    """Whether ``tz`` changes its UTC offset within ``span`` (plus a margin) before or after ``moment``."""
    lo, hi = moment - span - _NEAR, moment + _NEAR
    step = timedelta(minutes=30)
    first = lo.astimezone(tz).utcoffset()
    at = lo
    while at <= hi:
        if at.astimezone(tz).utcoffset() != first:
            return True
        at += step
    return False


def window(start_utc: str, overlap_seconds: int, tz: ZoneInfo | None) -> timedelta:
    """How far before ``start_utc`` a run reads again: the overlap, an hour more when the zone is
    unknown or its offset changes near the window."""
    span = timedelta(seconds=overlap_seconds)
    if tz is None or near_offset_change(parse_utc(start_utc), tz, span):
        span += DST_MARGIN
    return span


def read_from(start_utc: str, overlap_seconds: int, tz: ZoneInfo | None) -> str:
    """The UTC text a run reads from, given where the stream starts (its bookmark)."""
    return format_utc(parse_utc(start_utc) - window(start_utc, overlap_seconds, tz))


def local_text(utc_text: str, tz: ZoneInfo | None, offset: int | None) -> str:
    """A UTC moment as QuickBooks reads it: local time of the company PC, no offset.

    ``tz`` when known; else the offset (minutes) seen on the company's records; else UTC (the
    caller widens the window then).
    """
    moment = parse_utc(utc_text)
    if tz is not None:
        local = moment.astimezone(tz)
    else:
        local = moment.astimezone(timezone(timedelta(minutes=offset or 0)))
    return local.replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M:%S")


__all__ = ["DST_MARGIN", "local_text", "near_offset_change", "offset_minutes", "read_from", "window", "zone"]
