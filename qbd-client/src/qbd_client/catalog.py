"""The catalog of QuickBooks Desktop objects: the one place that says what each supports.

The bridge, the emulator, the tap, the target and the docs read this table; nothing restates it.
Facts come from ``shared/reference/qbd-qbwc.md`` and the qbXML 13.0 message set (as extracted in
``shared/reference/qbxml-fields.json``); ``qbd-client/tests/test_catalog.py`` checks the table
against that extract (iterators, Add and Mod requests, the ListDelType, TxnDelType and TxnVoidType
enumerations), so a wrong row cannot go unseen.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass


class Kind(enum.Enum):
    """How an object behaves as a whole."""

    LIST = "list"  # ListID; made inactive with IsActive=false, or deleted with ListDel
    TRANSACTION = "transaction"  # TxnID; deleted with TxnDel, some voided with TxnVoid
    REPORT = "report"  # read with a report query; no id, no writes


@dataclass(frozen=True)
class ObjectSpec:
    """One QuickBooks Desktop object and what qbXML lets a client do with it."""

    name: str
    kind: Kind
    #: The query takes ``iterator="Start"`` / ``"Continue"`` (else it answers every match at once).
    iterator: bool = False
    #: ``XxxAddRq`` exists.
    add: bool = True
    #: ``XxxModRq`` exists (StandardTerms, DateDrivenTerms and PaymentMethod have none).
    mod: bool = True
    #: Its ``ListDelType`` / ``TxnDelType`` value, or "" when ListDel/TxnDel cannot delete it.
    del_type: str = ""
    #: Can be voided with ``TxnVoidRq``.
    void: bool = False
    #: The field that names the object to a person, used to find it before an Add (FullName for
    #: hierarchical lists, Name for flat ones: either is found with the query's FullName filter).
    natural_key: str = ""
    #: ``FullName`` is ``Parent:Child`` and the Ret has ``ParentRef`` and ``Sublevel``.
    hierarchical: bool = False
    #: Transactions whose query takes ``IncludeLineItems`` (lines come only when it is true).
    line_items: bool = False
    #: For reports: the ``GeneralSummaryReportType`` value.
    report_type: str = ""

    @property
    def is_list(self) -> bool:
        return self.kind is Kind.LIST

    @property
    def is_transaction(self) -> bool:
        return self.kind is Kind.TRANSACTION

    @property
    def is_report(self) -> bool:
        return self.kind is Kind.REPORT

    @property
    def id_field(self) -> str:
        """``ListID`` for lists, ``TxnID`` for transactions, "" for reports."""
        return {Kind.LIST: "ListID", Kind.TRANSACTION: "TxnID", Kind.REPORT: ""}[self.kind]

    @property
    def modified_filter(self) -> str:
        """How the query's modified-date filter is spelled.

        Lists take ``FromModifiedDate`` / ``ToModifiedDate`` at the top level; transactions wrap
        them in ``ModifiedDateRangeFilter``.
        """
        if self.kind is Kind.LIST:
            return "FromModifiedDate"
        if self.kind is Kind.TRANSACTION:
            return "ModifiedDateRangeFilter"
        return ""

    @property
    def can_delete(self) -> bool:
        return bool(self.del_type)

    @property
    def can_inactivate(self) -> bool:
        """Lists are made inactive with a Mod that sends ``IsActive`` false."""
        return self.kind is Kind.LIST and self.mod

    @property
    def query_rq(self) -> str:
        return "GeneralSummaryReportQueryRq" if self.is_report else f"{self.name}QueryRq"

    @property
    def ret(self) -> str:
        """The element each record comes back in (``CustomerRet``)."""
        return "ReportRet" if self.is_report else f"{self.name}Ret"


def _list(
    name: str,
    *,
    iterator: bool = False,
    mod: bool = True,
    hierarchical: bool = False,
) -> ObjectSpec:
    # A flat list's Ret has only Name; its query's FullName filter matches that Name.
    return ObjectSpec(
        name,
        Kind.LIST,
        iterator=iterator,
        mod=mod,
        del_type=name,
        natural_key="FullName" if hierarchical else "Name",
        hierarchical=hierarchical,
    )


def _txn(
    name: str,
    *,
    void: bool = False,
    deletable: bool = True,
    natural_key: str = "RefNumber",
    line_items: bool = True,
) -> ObjectSpec:
    return ObjectSpec(
        name,
        Kind.TRANSACTION,
        iterator=True,
        del_type=name if deletable else "",
        void=void,
        natural_key=natural_key,
        line_items=line_items,
    )


OBJECTS: tuple[ObjectSpec, ...] = (
    # Lists. Account, Class, Employee, the terms, SalesTaxCode and PaymentMethod have no iterator.
    _list("Account", hierarchical=True),
    _list("Customer", iterator=True, hierarchical=True),
    _list("Vendor", iterator=True),
    _list("Employee"),
    _list("Class", hierarchical=True),
    _list("StandardTerms", mod=False),
    _list("DateDrivenTerms", mod=False),
    _list("SalesTaxCode"),
    _list("PaymentMethod", mod=False),
    _list("ItemService", iterator=True, hierarchical=True),
    _list("ItemInventory", iterator=True, hierarchical=True),
    _list("ItemNonInventory", iterator=True, hierarchical=True),
    _list("ItemOtherCharge", iterator=True, hierarchical=True),
    # Transactions: every one has an iterator. RefNumber is the person's name for most of them;
    # Deposit, TimeTracking and Transfer have none (no natural key: matched by TxnID only).
    _txn("Invoice", void=True),
    _txn("SalesReceipt", void=True),
    _txn("CreditMemo", void=True),
    _txn("ReceivePayment"),
    _txn("Estimate"),
    _txn("SalesOrder"),
    _txn("PurchaseOrder"),
    _txn("Bill", void=True),
    _txn("VendorCredit", void=True),
    _txn("BillPaymentCheck", void=True),
    _txn("Check", void=True),
    _txn("CreditCardCharge", void=True),
    _txn("Deposit", void=True, natural_key=""),
    _txn("JournalEntry", void=True),
    _txn("TimeTracking", natural_key="", line_items=False),
    # TxnDelType has no Transfer in qbXML 13.0: a deleted transfer is found by reconciliation only.
    _txn("Transfer", deletable=False, natural_key="", line_items=False),
    # Reports.
    ObjectSpec("TrialBalance", Kind.REPORT, add=False, mod=False, report_type="TrialBalance"),
)

_BY_NAME = {spec.name: spec for spec in OBJECTS}


def get(name: str) -> ObjectSpec:
    """The spec of ``name``; raises KeyError with the known names when there is none."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown QuickBooks Desktop object {name!r}; known: {', '.join(_BY_NAME)}") from None


def objects(kind: Kind | None = None) -> Iterator[ObjectSpec]:
    """The objects of the catalog, in catalog order (lists before the transactions that use them)."""
    return (spec for spec in OBJECTS if kind is None or spec.kind is kind)


def by_del_type(del_type: str) -> ObjectSpec:
    """The object whose ListDelType / TxnDelType is ``del_type``."""
    for spec in OBJECTS:
        if spec.del_type == del_type:
            return spec
    raise KeyError(f"no object of the catalog has the delete type {del_type!r}")


def by_ret(ret_tag: str) -> ObjectSpec:
    """The object whose records come back in ``ret_tag`` (``InvoiceRet`` -> Invoice)."""
    if ret_tag.endswith("Ret"):
        return get(ret_tag[: -len("Ret")])
    raise KeyError(f"{ret_tag!r} is not a Ret element")
