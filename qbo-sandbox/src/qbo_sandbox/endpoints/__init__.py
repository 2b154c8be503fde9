"""The API's endpoint families, each a module with a small class over one shared :class:`~.core.Core`.

``core`` holds what every family needs (the store, the clock, Id parsing, MetaData stamps,
Account balances read from the ledger); ``entities`` with ``rules`` does create, update, delete
and void; ``reads`` single-object reads; ``query`` the query language; ``cdc`` change data
capture; ``batch`` the batch endpoint; ``reporting`` reports; ``taxservice`` the TaxService
endpoint; ``loading`` the bulk load of seeds and fixtures. :class:`qbo_sandbox.service.Service`
is the facade the HTTP layer calls.
"""
