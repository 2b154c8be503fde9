"""The QuickBooks Online edition of the tap: how a run finds what changed in a company.

``edition.py`` (the :class:`~tap_quickbooks.edition.Edition` and its run), ``changes.py`` (the change
feed: CDC and batched first pages), ``paging.py`` (keyset paging), ``queries.py`` (the query text
and the time format), ``deletes.py`` (delete records and Id sets), ``reports.py`` (the reports).
"""
