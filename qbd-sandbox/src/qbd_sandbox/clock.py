"""Time as a QuickBooks Desktop company shows it.

QuickBooks stamps ``TimeCreated`` / ``TimeModified`` in the local time of the machine that holds the
company file, with that machine's UTC offset (``2015-11-04T14:39:10-08:00``), and reads a date-time
sent without an offset as local time too. Here the machine's zone is a ``zoneinfo`` name, so the
offset follows daylight-saving time. Inside the store every instant is kept as a sortable UTC key
(``YYYY-MM-DDTHH:MM:SS``) so that range filters are plain string comparisons on an index.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

UTC_KEY = "%Y-%m-%dT%H:%M:%S"


class DateError(ValueError):
    """A date or date-time that QuickBooks would not read (answered with status 3020)."""


def utc_key(moment: datetime) -> str:
    """The sortable UTC key of an aware datetime."""
    return moment.astimezone(timezone.utc).strftime(UTC_KEY)


def from_utc_key(key: str, tz: ZoneInfo) -> datetime:
    """The instant of a UTC key, in the company's zone."""
    return datetime.strptime(key, UTC_KEY).replace(tzinfo=timezone.utc).astimezone(tz)


def qb_datetime(moment: datetime, tz: ZoneInfo) -> str:
    """``2015-11-04T14:39:10-08:00``: the instant in the company's zone, seconds, with its offset."""
    return moment.astimezone(tz).replace(microsecond=0).isoformat()


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


def parse_date(text: str) -> date:
    """A qbXML date (``YYYY-MM-DD``); raises :class:`DateError`."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise DateError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def parse_datetime(text: str, tz: ZoneInfo) -> datetime:
    """A filter's date-time as an aware instant.

    Without an offset it is the company machine's local time; a date alone is the start of that
    day there (QuickBooks reads ``FromModifiedDate`` 2024-01-05 as midnight local time).
    """
    value = text.strip()
    if len(value) == 10:
        return datetime.combine(parse_date(value), datetime.min.time(), tz)
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise DateError(
            f"{text!r} is not a date-time (YYYY-MM-DDThh:mm:ss, with or without an offset)"
        ) from None
    if parsed.tzinfo is None:
        # fold=0 picks the first of two ambiguous local times, as a wall clock going back does.
        parsed = parsed.replace(tzinfo=tz)
    return parsed


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _week_start(day: date) -> date:
    # QuickBooks' weeks start on Sunday in US companies.
    return day - timedelta(days=(day.weekday() + 1) % 7)


def date_macro(name: str, today: date) -> tuple[date | None, date | None]:
    """The (from, to) dates of a ``DateMacro`` / ``ReportDateMacro`` value; ``All`` has no bounds.

    Raises :class:`DateError` for a macro this emulator does not know.
    """
    month_start = today.replace(day=1)
    quarter_start = _quarter_start(today)
    year_start = date(today.year, 1, 1)
    week_start = _week_start(today)
    last_month_start = add_months(month_start, -1)
    last_quarter_start = add_months(quarter_start, -3)
    last_year_start = date(today.year - 1, 1, 1)
    one_day = timedelta(days=1)
    macros: dict[str, tuple[date | None, date | None]] = {
        "All": (None, None),
        "Today": (today, today),
        "Yesterday": (today - one_day, today - one_day),
        "ThisWeek": (week_start, week_start + timedelta(days=6)),
        "ThisWeekToDate": (week_start, today),
        "LastWeek": (week_start - timedelta(days=7), week_start - one_day),
        "LastWeekToDate": (week_start - timedelta(days=7), today - timedelta(days=7)),
        "NextWeek": (week_start + timedelta(days=7), week_start + timedelta(days=13)),
        "NextFourWeeks": (week_start + timedelta(days=7), week_start + timedelta(days=34)),
        "ThisMonth": (month_start, add_months(month_start, 1) - one_day),
        "ThisMonthToDate": (month_start, today),
        "LastMonth": (last_month_start, month_start - one_day),
        "LastMonthToDate": (last_month_start, add_months(today, -1)),
        "NextMonth": (add_months(month_start, 1), add_months(month_start, 2) - one_day),
        "ThisQuarter": (quarter_start, add_months(quarter_start, 3) - one_day),
        "ThisQuarterToDate": (quarter_start, today),
        "LastQuarter": (last_quarter_start, quarter_start - one_day),
        "LastQuarterToDate": (last_quarter_start, add_months(today, -3)),
        "NextQuarter": (add_months(quarter_start, 3), add_months(quarter_start, 6) - one_day),
        "ThisYear": (year_start, date(today.year, 12, 31)),
        "ThisYearToDate": (year_start, today),
        "LastYear": (last_year_start, year_start - one_day),
        "LastYearToDate": (last_year_start, add_months(today, -12)),
        "NextYear": (date(today.year + 1, 1, 1), date(today.year + 1, 12, 31)),
    }
    # Transaction filters spell quarters and years "Calendar" or "Fiscal"; the company's fiscal year
    # starts in January, so both are the plain ones reports use.
    for suffix in ("Year", "YearToDate", "Quarter", "QuarterToDate"):
        for lead in ("This", "Last", "Next"):
            if f"{lead}{suffix}" in macros:
                macros[f"{lead}Fiscal{suffix}"] = macros[f"{lead}{suffix}"]
                macros[f"{lead}Calendar{suffix}"] = macros[f"{lead}{suffix}"]
    try:
        return macros[name]
    except KeyError:
        raise DateError(f"unknown date macro {name!r}") from None
