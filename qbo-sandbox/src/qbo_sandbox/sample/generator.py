"""The coordinator: builds the company domain by domain, in the one order the random draws follow."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import datetime

from . import (
    attachments,
    banking,
    company,
    extras,
    journal,
    lists,
    numbering,
    parties,
    purchases,
    sales,
    taxes,
    timesheets,
)
from .books import Books
from .model import DEFAULT_SIZE, MIN_SIZE, Payload, quotas


def build(b: Books) -> None:
    """Every domain's generator in turn: lists, then documents, then what settles them, then the rest.

    The order is part of the output: every step draws from the one random sequence, so moving a
    step changes the company a seed gives.
    """
    company.company(b)
    lists.accounts(b)
    taxes.tax_lists(b)
    lists.simple_lists(b)
    lists.currencies(b)
    lists.items(b)
    parties.customers(b)
    parties.vendors(b)
    parties.employees(b)
    q = quotas(b.size)
    sales.estimates_and_invoices(b, q)
    sales.sales_receipts(b, q)
    sales.credits(b, q)
    purchases.orders_and_bills(b, q)
    purchases.vendor_credits(b, q)
    purchases.expenses(b, q)
    banking.transfers(b, q)
    journal.journal_entries(b, q)
    timesheets.time_activities(b, q)
    extras.card_payments(b, q)
    extras.inventory_adjustments(b, q)
    extras.reimburse_charges(b, q)
    sales.payments(b, q["Payment"])
    purchases.bill_payments(b, q["BillPayment"])
    banking.deposits(b, q["Deposit"])
    banking.opening_balances(b)
    numbering.number(b)
    lists.emit_items(b)
    parties.emit_parties(b)
    company.preferences(b)
    company.budgets(b)
    taxes.tax_returns(b)
    attachments.attachables(b)
    extras.customer_types(b)
    extras.recurring_templates(b)


def generate(seed: int = 1, size: int | None = None, *, now: datetime) -> Iterator[tuple[str, Payload]]:
    """Yield the sample company as ``(object name, payload)`` pairs, parents before children.

    ``size`` is the number of transactions (``None``: :data:`DEFAULT_SIZE`, a company small enough
    for a test suite); customers, vendors, employees and items grow with it. ``now`` is the end of
    the company's year (a naive ``now`` is taken as company time, -08:00). The same arguments
    always give the same output.
    """
    size = DEFAULT_SIZE if size is None else size
    if size < MIN_SIZE:  # raised here, at the call, not at the first next()
        raise ValueError(f"size must be at least {MIN_SIZE} (one of each transaction type), not {size}")
    return _generate(Books(seed, size, now))


def _generate(b: Books) -> Iterator[tuple[str, Payload]]:
    # The build makes millions of small containers and no reference cycles: pausing the cyclic
    # collector (which would otherwise rescan the growing heap again and again) halves the time.
    paused = gc.isenabled()
    gc.disable()
    try:
        build(b)
    finally:
        if paused:
            gc.enable()
    yield from b.payloads()
