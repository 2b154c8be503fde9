"""The catalog of QuickBooks Online objects: the one place that says what each object supports.

The sandbox, the tap, the target and the docs all read this table; nothing else restates it.
What each object's references point to is in :mod:`qbo_client.references`, the order in which a
client writes objects in :mod:`qbo_client.ordering`.
The operations follow the mission's table in ``qbo-api.md`` (C create, R read, D delete,
U update, Q query); ``x*`` there (delete of a name list) is :attr:`Delete.INACTIVATE` here.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field


class Kind(enum.Enum):
    """How an object behaves as a whole."""

    TRANSACTION = "transaction"  # posts to the ledger or is a dated document; deleted for real
    NAME_LIST = "name_list"  # has Active; "deleted" by making it inactive
    SINGLETON = "singleton"  # one per company (CompanyInfo, Company, Preferences)
    OTHER = "other"  # Attachable, Budget, ExchangeRate, TaxReturn, TaxCode, TaxRate, TaxAgency


class Delete(enum.Enum):
    """What deleting an object means, where the table allows it."""

    NONE = "none"
    DELETE = "delete"  # POST {entity}?operation=delete
    INACTIVATE = "inactivate"  # an update with Active=false


class Void(enum.Enum):
    """How an object is voided, where it can be."""

    NONE = "none"
    OPERATION_VOID = "void"  # POST invoice?operation=void
    UPDATE_INCLUDE_VOID = "include_void"  # POST {entity}?operation=update&include=void (sparse)


#: The transactions a RecurringTransaction can be a template of (Intuit's API reference).
RECURRING_TYPES = (
    "Bill",
    "CreditMemo",
    "Deposit",
    "Estimate",
    "Invoice",
    "JournalEntry",
    "Purchase",
    "PurchaseOrder",
    "RefundReceipt",
    "SalesReceipt",
    "Transfer",
    "VendorCredit",
)


COMMON_FILTERABLE = ("Id", "MetaData.CreateTime", "MetaData.LastUpdatedTime")


@dataclass(frozen=True)
class ObjectSpec:
    """One QuickBooks Online object and what the API lets a client do with it."""

    name: str
    kind: Kind
    create: bool = False
    read: bool = False
    update: bool = False
    query: bool = True
    delete: Delete = Delete.NONE
    void: Void = Void.NONE
    cdc: bool = True
    #: Field(s) that identify an object to a person; used to find an existing object before creating.
    natural_key: tuple[str, ...] = ()
    #: Properties a query may filter or order on, besides :data:`COMMON_FILTERABLE`.
    filterable: tuple[str, ...] = ()
    #: Groups of fields a create needs: each group needs at least one of its fields (else 2020).
    required: tuple[tuple[str, ...], ...] = ()
    #: The DocNumber must be unique among objects of this type (else 6140).
    unique_doc_number: bool = False
    #: A create without a DocNumber gets the next number (the sales forms and purchase orders).
    auto_doc_number: bool = False
    #: Nests under a parent of its own type (``ParentRef``): the boolean property that says it has one
    #: (``SubAccount``, ``Job``, ...). Its ``FullyQualifiedName`` is ``Parent:Child``, and its name is
    #: unique per parent.
    sub_flag: str = ""
    #: Shares one name space with the other objects that have the same value (6240).
    name_space: str | None = None
    #: The path segment under ``/v3/company/{realm}/`` for create and read.
    endpoint: str = ""
    #: Create goes through another path (TaxCode and TaxRate: ``taxservice/taxcode``).
    create_endpoint: str = ""
    #: Has an ``Id`` property (ExchangeRate does not: it is keyed by currency and date).
    has_id: bool = True
    #: Other names the API knows the object by: a query's ``FROM`` and the ``entities`` of CDC
    #: (``CreditCardPayment``, whose answers are keyed ``CreditCardPaymentTxn``).
    aliases: tuple[str, ...] = ()
    #: The transactions this object holds one of, each answered under its own key
    #: (``{"Invoice": {...}}``): a RecurringTransaction is a template of one of them.
    wraps: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def path(self) -> str:
        """The lower-case path segment of the object."""
        return self.endpoint or self.name.lower()

    @property
    def is_name_list(self) -> bool:
        return self.kind is Kind.NAME_LIST

    @property
    def is_transaction(self) -> bool:
        return self.kind is Kind.TRANSACTION

    @property
    def is_singleton(self) -> bool:
        return self.kind is Kind.SINGLETON

    @property
    def can_delete(self) -> bool:
        return self.delete is Delete.DELETE

    @property
    def can_inactivate(self) -> bool:
        """Whether a client may make the object inactive (every name list has ``Active``)."""
        return self.kind is Kind.NAME_LIST and self.update

    @property
    def can_void(self) -> bool:
        return self.void is not Void.NONE

    @property
    def hierarchical(self) -> bool:
        """Whether objects of this type nest under a parent of the same type (:attr:`sub_flag`)."""
        return bool(self.sub_flag)

    def filterable_fields(self) -> tuple[str, ...]:
        return COMMON_FILTERABLE + self.filterable


_NAME = ("Name",)
_PARTY_NAME = (("DisplayName", "GivenName", "FamilyName", "MiddleName", "Title", "Suffix"),)
_LIST_FILTERS = ("Name", "Active", "FullyQualifiedName")
_PARTY_FILTERS = (
    "DisplayName",
    "GivenName",
    "FamilyName",
    "CompanyName",
    "PrimaryEmailAddr",
    "Active",
    "Balance",
)
_TXN_FILTERS = ("DocNumber", "TxnDate", "TotalAmt")


def _txn(name: str, *, filters: tuple[str, ...] = (), **kw: object) -> ObjectSpec:
    kw.setdefault("natural_key", ("DocNumber",))
    return ObjectSpec(
        name,
        Kind.TRANSACTION,
        create=True,
        read=True,
        update=True,
        delete=Delete.DELETE,
        filterable=_TXN_FILTERS + filters,
        **kw,  # type: ignore[arg-type]
    )


def _list(name: str, *, delete: Delete = Delete.NONE, **kw: object) -> ObjectSpec:
    kw.setdefault("natural_key", _NAME)
    kw.setdefault("filterable", _LIST_FILTERS)
    kw.setdefault("required", (_NAME,))
    return ObjectSpec(
        name,
        Kind.NAME_LIST,
        create=True,
        read=True,
        update=True,
        delete=delete,
        **kw,  # type: ignore[arg-type]
    )


OBJECTS: tuple[ObjectSpec, ...] = (
    _list(
        "Account",
        delete=Delete.INACTIVATE,
        sub_flag="SubAccount",
        filterable=(*_LIST_FILTERS, "AccountType", "Classification", "AccountSubType", "CurrentBalance"),
        required=(_NAME, ("AccountType", "AccountSubType")),
    ),
    ObjectSpec(
        "Attachable",
        Kind.OTHER,
        create=True,
        read=True,
        update=True,
        delete=Delete.DELETE,
        filterable=("FileName", "Note", "ContentType"),
        required=(("FileName", "Note"),),
    ),
    _txn("Bill", filters=("VendorRef", "DueDate", "Balance"), required=(("VendorRef",), ("Line",))),
    _txn(
        "BillPayment",
        filters=("VendorRef", "PayType"),
        void=Void.UPDATE_INCLUDE_VOID,
        required=(("VendorRef",), ("PayType",), ("TotalAmt",)),
    ),
    ObjectSpec("Budget", Kind.OTHER, natural_key=_NAME, filterable=("Name", "Active", "StartDate")),
    _list("Class", delete=Delete.INACTIVATE, sub_flag="SubClass"),
    ObjectSpec("Company", Kind.SINGLETON, read=True, update=True, cdc=False, filterable=("CompanyName",)),
    _list(
        "CompanyCurrency",
        delete=Delete.INACTIVATE,
        natural_key=("Code",),
        filterable=("Code", "Name", "Active"),
        required=(("Code",),),
    ),
    ObjectSpec("CompanyInfo", Kind.SINGLETON, read=True, update=True, cdc=False, filterable=("CompanyName",)),
    ObjectSpec(
        # The API's name is CreditCardPayment (its path, a query's FROM), but it answers, and
        # takes in a batch, under the key CreditCardPaymentTxn, its XSD element.
        "CreditCardPaymentTxn",
        Kind.TRANSACTION,
        create=True,
        read=True,
        update=True,
        delete=Delete.DELETE,
        endpoint="creditcardpayment",
        aliases=("CreditCardPayment",),
        filterable=("TxnDate", "VendorRef", "Amount"),
        required=(("BankAccountRef",), ("CreditCardAccountRef",), ("Amount",)),
    ),
    _txn(
        "CreditMemo",
        filters=("CustomerRef",),
        unique_doc_number=True,
        auto_doc_number=True,
        required=(("CustomerRef",), ("Line",)),
    ),
    _list(
        "Customer",
        natural_key=("DisplayName",),
        filterable=(*_PARTY_FILTERS, "FullyQualifiedName", "Job", "ParentRef"),
        required=_PARTY_NAME,
        name_space="party",
        sub_flag="Job",
    ),
    ObjectSpec(
        "CustomerType",
        Kind.NAME_LIST,
        read=True,
        natural_key=_NAME,
        filterable=("Name", "Active"),
    ),
    _list("Department", delete=Delete.INACTIVATE, sub_flag="SubDepartment"),
    _txn("Deposit", filters=("DepositToAccountRef",), required=(("DepositToAccountRef",), ("Line",))),
    _list(
        "Employee",
        natural_key=("DisplayName",),
        filterable=_PARTY_FILTERS,
        required=_PARTY_NAME,
        name_space="party",
    ),
    _txn(
        "Estimate",
        filters=("CustomerRef", "TxnStatus"),
        unique_doc_number=True,
        auto_doc_number=True,
        required=(("CustomerRef",), ("Line",)),
    ),
    ObjectSpec(
        "ExchangeRate",
        Kind.OTHER,
        read=True,
        update=True,
        cdc=False,
        has_id=False,
        natural_key=("SourceCurrencyCode", "AsOfDate"),
        filterable=("SourceCurrencyCode", "TargetCurrencyCode", "AsOfDate"),
    ),
    ObjectSpec(
        # Minor version 70 and later; the Plus and Advanced editions in the US.
        "InventoryAdjustment",
        Kind.TRANSACTION,
        create=True,
        read=True,
        update=True,
        delete=Delete.DELETE,
        natural_key=("DocNumber",),
        filterable=("DocNumber", "TxnDate", "AdjustAccountRef"),
        auto_doc_number=True,
        required=(("AdjustAccountRef",), ("Line",)),
    ),
    _txn(
        "Invoice",
        filters=("CustomerRef", "DueDate", "Balance"),
        void=Void.OPERATION_VOID,
        unique_doc_number=True,
        auto_doc_number=True,
        required=(("CustomerRef",), ("Line",)),
    ),
    _list(
        "Item",
        filterable=(*_LIST_FILTERS, "Type", "Sku", "QtyOnHand"),
        required=(_NAME, ("Type",)),
        sub_flag="SubItem",
    ),
    _txn("JournalEntry", filters=("Adjustment",), required=(("Line",),)),
    _list("JournalCode", delete=Delete.INACTIVATE, cdc=False, filterable=(*_LIST_FILTERS, "Type")),
    _txn(
        "Payment",
        filters=("CustomerRef",),
        void=Void.UPDATE_INCLUDE_VOID,
        natural_key=("PaymentRefNum",),
        required=(("CustomerRef",), ("TotalAmt",)),
    ),
    _list("PaymentMethod", filterable=(*_LIST_FILTERS, "Type")),
    ObjectSpec("Preferences", Kind.SINGLETON, update=True),
    _txn(
        "Purchase",
        filters=("AccountRef", "PaymentType", "EntityRef"),
        required=(("AccountRef",), ("PaymentType",), ("Line",)),
    ),
    _txn(
        "PurchaseOrder",
        filters=("VendorRef", "POStatus"),
        unique_doc_number=True,
        auto_doc_number=True,
        required=(("VendorRef",), ("Line",)),
    ),
    ObjectSpec(
        # A template of one transaction: written and answered as {"Invoice": {...}} (one of
        # RECURRING_TYPES), its Id that of the template. Not in change data capture.
        "RecurringTransaction",
        Kind.OTHER,
        create=True,
        read=True,
        update=True,
        delete=Delete.DELETE,
        cdc=False,
        wraps=RECURRING_TYPES,
        filterable=("Type",),
    ),
    _txn(
        "RefundReceipt",
        filters=("CustomerRef",),
        unique_doc_number=True,
        auto_doc_number=True,
        required=(("Line",), ("DepositToAccountRef",)),
    ),
    ObjectSpec(
        # A billable expense line waiting to be invoiced: QuickBooks makes it, a client reads it.
        "ReimburseCharge",
        Kind.TRANSACTION,
        read=True,
        filterable=("TxnDate", "CustomerRef", "HasBeenInvoiced", "Amount"),
    ),
    _txn(
        "SalesReceipt",
        filters=("CustomerRef",),
        void=Void.UPDATE_INCLUDE_VOID,
        unique_doc_number=True,
        auto_doc_number=True,
        required=(("Line",),),
    ),
    ObjectSpec(
        "TaxAgency",
        Kind.OTHER,
        create=True,
        read=True,
        cdc=False,
        natural_key=("DisplayName",),
        filterable=("DisplayName",),
        required=(("DisplayName",),),
    ),
    ObjectSpec(
        "TaxCode",
        Kind.OTHER,
        create=True,
        read=True,
        cdc=False,
        natural_key=_NAME,
        filterable=_LIST_FILTERS,
        create_endpoint="taxservice/taxcode",
        required=(("TaxCode",),),
    ),
    ObjectSpec(
        # A payment or refund against a filed tax return (AU, CA and UK companies): read only.
        "TaxPayment",
        Kind.OTHER,
        read=True,
        filterable=("PaymentDate", "Refund"),
    ),
    ObjectSpec(
        "TaxRate",
        Kind.OTHER,
        create=True,
        read=True,
        cdc=False,
        natural_key=_NAME,
        filterable=(*_LIST_FILTERS, "AgencyRef"),
        create_endpoint="taxservice/taxcode",
    ),
    ObjectSpec(
        "TaxReturn", Kind.OTHER, read=True, update=True, cdc=False, filterable=("StartDate", "EndDate")
    ),
    _list("Term", filterable=(*_LIST_FILTERS, "Type")),
    _txn(
        "TimeActivity",
        filters=("NameOf", "EmployeeRef", "VendorRef", "CustomerRef"),
        cdc=False,
        natural_key=(),
        required=(("NameOf",),),
    ),
    _txn(
        "Transfer",
        filters=("FromAccountRef", "ToAccountRef"),
        natural_key=(),
        required=(("FromAccountRef",), ("ToAccountRef",), ("Amount",)),
    ),
    _list(
        "Vendor",
        natural_key=("DisplayName",),
        filterable=(*_PARTY_FILTERS, "Vendor1099"),
        required=_PARTY_NAME,
        name_space="party",
    ),
    _txn("VendorCredit", filters=("VendorRef",), required=(("VendorRef",), ("Line",))),
)

#: Reports the tap reads and the sandbox answers (``GET reports/{name}``).
REPORTS: tuple[str, ...] = (
    "TrialBalance",
    "ProfitAndLoss",
    "BalanceSheet",
    "AgedReceivables",
    "AgedReceivableDetail",
    "AgedPayables",
    "AgedPayableDetail",
    "CustomerBalance",
    "VendorBalance",
    "CashFlow",
    "GeneralLedger",
    "ProfitAndLossDetail",
    "TransactionList",
)

_BY_NAME = {spec.name: spec for spec in OBJECTS}
_BY_LOWER = {alias.lower(): spec for spec in OBJECTS for alias in (spec.name, *spec.aliases)}


def get(name: str) -> ObjectSpec:
    """The spec of an object by its API name, case-insensitively. Raises KeyError."""
    spec = find(name)
    if spec is None:
        raise KeyError(name)
    return spec


def find(name: str) -> ObjectSpec | None:
    """Like :func:`get` (also by an alias: ``CreditCardPayment``), or None."""
    return _BY_NAME.get(name) or _BY_LOWER.get(name.lower())


def names() -> tuple[str, ...]:
    return tuple(spec.name for spec in OBJECTS)


def cdc_objects() -> Iterator[ObjectSpec]:
    return (spec for spec in OBJECTS if spec.cdc)


def voidable() -> tuple[str, ...]:
    """The objects a client can void."""
    return tuple(spec.name for spec in OBJECTS if spec.can_void)
