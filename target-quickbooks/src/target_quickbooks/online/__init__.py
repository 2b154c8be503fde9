"""The QuickBooks Online edition of the target: the REST query and batch API (qbo-client).

``edition`` is the :class:`~target_quickbooks.edition.Edition` a run talks to; it is made of
``matching`` (which existing objects records mean), ``sending`` (batch and direct writes),
``faults`` (what QuickBooks' fault codes mean for a record), ``repairs`` (the faults a record can
be repaired from), ``lookups`` (batched queries and the name cache) and ``taxes`` (tax codes and
rates, written together through the TaxService).
"""
