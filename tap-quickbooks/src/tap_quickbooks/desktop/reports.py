"""QuickBooks Desktop's trial balance, read into the records of the TrialBalance stream.

``GeneralSummaryReportQueryRq`` with ``GeneralSummaryReportType`` TrialBalance answers a
``ReportRet``: column descriptions (``ColDesc``: a label column, then Debit and Credit), and data
rows that name each account by its **full name** (``RowData value``) with its amounts in
``ColData colID``. Here it becomes the :class:`~tap_quickbooks.online.reports.Report` the Online
edition reads its reports into, so both editions make the same records (same fields and key) with
the same code (:func:`~tap_quickbooks.online.reports.period_records`); the ListID of each account
comes from the account list read with the report.
"""

from __future__ import annotations

from collections.abc import Mapping

from qbd_client.xml import Element, local_name

from tap_quickbooks.online.reports import Column, Line, Report, ReportShapeError
from tap_quickbooks.reports import Period

#: The reports this edition has (QuickBooks Online's names).
REPORTS = ("TrialBalance",)


def _children(element: Element, name: str) -> list[Element]:
    return [c for c in element if isinstance(c.tag, str) and local_name(c) == name]


def _text(element: Element, name: str) -> str | None:
    found = _children(element, name)
    return (found[0].text or "").strip() if found else None


def trial_balance(ret: Element, period: Period, accounts: Mapping[str, str]) -> Report:
    """A trial balance ``ReportRet`` as a report of one period; ``accounts``: ListID by full name."""
    sides: dict[str, str] = {}
    for desc in _children(ret, "ColDesc"):
        titles = [t.get("value", "") for t in _children(desc, "ColTitle")]
        title = " ".join(t for t in titles if t).strip().lower()
        if title in ("debit", "credit"):
            sides[title] = desc.get("colID", "")
    if set(sides) != {"debit", "credit"}:
        raise ReportShapeError(f"TrialBalance {period}: the report has no Debit and Credit columns")
    lines: list[Line] = []
    data = _children(ret, "ReportData")
    for row in _children(data[0], "DataRow") if data else []:
        label = _children(row, "RowData")
        cells = {c.get("colID", ""): c.get("value", "") for c in _children(row, "ColData")}
        name = label[0].get("value", "") if label else cells.get("1", "")
        lines.append(
            Line(
                account_id=accounts.get(name),
                account_name=name,
                cells=(cells.get(sides["debit"], ""), cells.get(sides["credit"], "")),
            )
        )
    columns = (
        Column("Debit", "Money", "Debit", period.start, period.end),
        Column("Credit", "Money", "Credit", period.start, period.end),
    )
    return Report(
        name="TrialBalance",
        basis=_text(ret, "ReportBasis"),
        currency=None,
        start=period.start,
        end=period.end,
        columns=columns,
        lines=tuple(lines),
        summaries=(),
    )


__all__ = ["REPORTS", "trial_balance"]
