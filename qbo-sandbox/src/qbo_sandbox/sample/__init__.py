"""A deterministic, believable QuickBooks Online sample company: a year of a landscaping business.

:func:`generate` yields ``(object name, payload)`` pairs, every payload shaped as the QBO API
answers it (Intuit's "Craig's Design and Landscaping Services" is the model), in an order a loader
can insert them: every object an object refers to comes first. The books hang together: invoices
carry the payments that paid them, payments are deposited, bills are paid by bill payments,
purchase orders turn into bills, estimates into invoices, taxes are computed per rate, and a
tax return sums the tax collected in its quarter. The bank accounts open on the year's first day
with the owner's opening balances (one journal entry against Opening Balance Equity), enough that
no bank account is overdrawn at any time of the year.

Money is computed in integer cents (so ``Amount == Qty * UnitPrice`` and totals add up exactly)
and written as JSON numbers. Times are the company's fixed offset, -08:00. Output depends only on
``(seed, size, now)``: one ``random.Random(seed)``, and no iteration over sets or hash order.

Conventions worth knowing when reading the output:

- Line-level ``TaxCodeRef`` is ``{"value": "TAX"}`` or ``{"value": "NON"}``: US companies use these
  pseudo codes on lines (every real sample does); ``TxnTaxCodeRef`` and a customer's
  ``DefaultTaxCodeRef`` point at real, numeric TaxCodes.
- A reference's ``name`` is the target's ``FullyQualifiedName`` when it has one (accounts, items,
  customers, classes, departments: ``"Job Expenses:Job Materials"``), else its ``DisplayName`` or
  ``Name``, as QBO writes them.
- Transactions (``catalog.Kind.TRANSACTION``) share one Id sequence, numbered in order of
  creation; Ids of everything else count from 1 per type. ``SyncToken`` is always ``"0"``.

Layout: ``data/`` holds the fixed tables (accounts, items, lists, people); ``model`` the constants
and the objects kept while building; ``books`` the shared state and drawing helpers; one module per
domain (``company``, ``lists``, ``taxes``, ``parties``, ``sales``, ``purchases``, ``banking``,
``journal``, ``timesheets``, ``settlement``, ``numbering``, ``attachments``, ``extras``: customer
types, credit card payments, inventory adjustments, reimbursable charges and recurring templates);
and ``generator``
the coordinator that calls them in the order the random draws follow.
"""

from __future__ import annotations

from .generator import generate
from .model import COMPANY_NAME, DEFAULT_SIZE, MIN_SIZE, TXN_WEIGHTS, YIELD_ORDER, Payload

__all__ = ["COMPANY_NAME", "DEFAULT_SIZE", "MIN_SIZE", "TXN_WEIGHTS", "YIELD_ORDER", "Payload", "generate"]
