"""Report streams: a report read per period and accounting method, one record per account and period.

What a report is made of and how it is read is the edition's (QuickBooks Online:
:mod:`tap_quickbooks.online.reports`); here is what every edition's report streams share: which
periods a run reads (calendar months, quarters or years, from the bookmark's period less
``report_lookback_periods``: entries dated in a closed period still arrive after it closed), in
which accounting methods, and the bookmark (``period_end``), which only ever moves forward because
the edition gives the periods in order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import pendulum
from singer_sdk import Stream
from typing_extensions import override

from .realm_column import RealmColumn
from .run import ReadThisRun

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context, Record
    from singer_sdk.tap_base import Tap

    from .edition import ReportDefinition
    from .run import RunContext

ACCOUNTING_METHODS = ("Accrual", "Cash")
PERIOD_UNITS = ("month", "quarter", "year")


# -- periods ------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Period:
    """A closed range of dates a report is asked for."""

    start: date
    end: date

    def halves(self) -> tuple[Period, Period]:
        days = (self.end - self.start).days
        middle = pendulum.date(self.start.year, self.start.month, self.start.day).add(days=days // 2)
        return Period(self.start, _plain(middle)), Period(_plain(middle.add(days=1)), self.end)

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def _plain(d: date) -> date:
    return date(d.year, d.month, d.day)


def period_containing(day: date, unit: str) -> Period:
    """The calendar month, quarter or year that holds ``day``."""
    if unit not in PERIOD_UNITS:
        raise ValueError(f"report_period must be one of {', '.join(PERIOD_UNITS)}, not {unit!r}")
    d = pendulum.date(day.year, day.month, day.day)
    return Period(_plain(d.first_of(unit)), _plain(d.last_of(unit)))


def _shift(period: Period, unit: str, n: int) -> Period:
    months = {"month": 1, "quarter": 3, "year": 12}[unit] * n
    return period_containing(pendulum.date(period.start.year, period.start.month, 1).add(months=months), unit)


def plan_periods(
    *, start: date, today: date, unit: str, bookmark: date | None = None, lookback: int = 1
) -> list[Period]:
    """The periods a run fetches, oldest first, the last one holding ``today``.

    Without a bookmark: every period from the one holding ``start``. With one: from the period
    holding the bookmark, less ``lookback`` periods (late entries change closed periods), never
    before ``start``'s.
    """
    first = period_containing(start, unit)
    if bookmark is not None:
        first = max(first, _shift(period_containing(bookmark, unit), unit, -max(lookback, 0)))
    last = period_containing(today, unit)
    periods: list[Period] = []
    current = first
    while current <= last:
        periods.append(current)
        current = _shift(current, unit, 1)
    return periods


def _config_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return _plain(value)
    parsed = pendulum.parse(str(value))
    if isinstance(parsed, (pendulum.DateTime, pendulum.Date)):
        return _plain(parsed)
    raise ValueError(f"{value!r} is not a date")


class ReportStream(ReadThisRun, RealmColumn):
    """A report read per period and accounting method by the run's edition, one record per account
    and period."""

    replication_key = "period_end"
    #: Periods are emitted oldest first, so an interrupted run can resume from its bookmark.
    is_sorted = True
    #: An incremental run starts again before its bookmark (the lookback periods), which the SDK's
    #: check would call unsorted; within a run the periods still only move forward.
    check_sorted = False

    def __init__(self, tap: Tap, run: RunContext, definition: ReportDefinition) -> None:
        self.definition = definition
        self.run = run
        super().__init__(tap, schema=definition.schema, name=definition.name)
        self.primary_keys = definition.primary_keys

    # -- what to fetch --------------------------------------------------------------------------

    def _bookmark(self) -> date | None:
        state = self.stream_state
        if state.get("replication_key") != self.replication_key:
            return None
        return _config_date(state.get("replication_key_value"))

    def _start(self) -> date:
        configured = _config_date(self.config.get("report_start_date")) or _config_date(
            self.config.get("start_date")
        )
        # Nothing configured: this year and last, enough for year-on-year comparisons.
        return configured or date(pendulum.now().year - 1, 1, 1)

    def planned_periods(self, today: date | None = None) -> list[Period]:
        """The periods this run fetches (see :func:`plan_periods`)."""
        return plan_periods(
            start=self._start(),
            today=today or _plain(pendulum.now()),
            unit=str(self.config.get("report_period") or "month"),
            bookmark=self._bookmark(),
            lookback=int(self.config.get("report_lookback_periods", 1)),
        )

    def accounting_methods(self) -> list[str]:
        """The accounting methods this run reads each period in (``report_accounting_methods``)."""
        methods: list[str] = []
        for raw in self.config.get("report_accounting_methods") or ["Accrual"]:
            method = str(raw).strip().capitalize()
            if method not in ACCOUNTING_METHODS:
                raise ValueError(f"report_accounting_methods: {raw!r} is not one of {ACCOUNTING_METHODS}")
            if method not in methods:
                methods.append(method)
        return methods

    @override
    def get_records(self, context: Context | None) -> Iterable[Record]:
        """Records of every planned period and accounting method, period by period."""
        periods = self.planned_periods()
        methods = self.accounting_methods()
        self.logger.info(
            "%s: %d period(s) in %d accounting method(s), %s",
            self.name,
            len(periods),
            len(methods),
            f"{periods[0].start}..{periods[-1].end}" if periods else "nothing to fetch",
        )
        yield from self.run.source.report_records(self, periods, methods)


def report_streams(tap: Tap, run: RunContext, definitions: Sequence[ReportDefinition]) -> list[Stream]:
    """The report streams, each handed the run's context."""
    return [ReportStream(tap, run, definition) for definition in definitions]


__all__ = [
    "ACCOUNTING_METHODS",
    "PERIOD_UNITS",
    "Period",
    "ReportStream",
    "period_containing",
    "plan_periods",
    "report_streams",
]
