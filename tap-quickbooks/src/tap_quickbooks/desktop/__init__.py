"""The QuickBooks Desktop edition of the tap: a company read through qbd-bridge and its Web Connector.

``edition.py`` (the :class:`~tap_quickbooks.edition.Edition` and its run), ``plan.py`` (the qbXML
requests of a run and how they are packed into message sets), ``changes.py`` (the run's jobs on the
bridge and where each answer goes), ``spool.py`` (records of streams not syncing yet, on disk),
``times.py`` (the date-times QuickBooks reads in the company PC's local time), ``deletes.py``
(deleted-object records and ListID/TxnID sets), ``reports.py`` (the trial balance),
``progress.py`` (progress lines of long syncs).
"""
