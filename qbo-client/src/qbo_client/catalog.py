"""The catalog of QuickBooks Online objects: the one place that says what each object supports.

The sandbox, the tap, the target and the docs all read this table; nothing else restates it.
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
    #: Shares one name space with the other objects that have the same value (6240).
    name_space: str | None = None
    #: The path segment under ``/v3/company/{realm}/`` for create and read.
    endpoint: str = ""
    #: Create goes through another path (TaxCode and TaxRate: ``taxservice/taxcode``).
    create_endpoint: str = ""
    #: Has an ``Id`` property (ExchangeRate does not: it is keyed by currency and date).
    has_id: bool = True
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
    _list("Class", delete=Delete.INACTIVATE),
    ObjectSpec("Company", Kind.SINGLETON, read=True, update=True, cdc=False, filterable=("CompanyName",)),
    _list(
        "CompanyCurrency",
        delete=Delete.INACTIVATE,
        natural_key=("Code",),
        filterable=("Code", "Name", "Active"),
        required=(("Code",),),
    ),
    ObjectSpec("CompanyInfo", Kind.SINGLETON, read=True, update=True, cdc=False, filterable=("CompanyName",)),
    _txn(
        "CreditMemo", filters=("CustomerRef",), unique_doc_number=True, required=(("CustomerRef",), ("Line",))
    ),
    _list(
        "Customer",
        natural_key=("DisplayName",),
        filterable=(*_PARTY_FILTERS, "FullyQualifiedName", "Job", "ParentRef"),
        required=_PARTY_NAME,
        name_space="party",
    ),
    _list("Department", delete=Delete.INACTIVATE),
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
    _txn(
        "Invoice",
        filters=("CustomerRef", "DueDate", "Balance"),
        void=Void.OPERATION_VOID,
        unique_doc_number=True,
        required=(("CustomerRef",), ("Line",)),
    ),
    _list(
        "Item",
        filterable=(*_LIST_FILTERS, "Type", "Sku", "QtyOnHand"),
        required=(_NAME, ("Type",)),
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
        required=(("VendorRef",), ("Line",)),
    ),
    _txn(
        "RefundReceipt",
        filters=("CustomerRef",),
        unique_doc_number=True,
        required=(("Line",), ("DepositToAccountRef",)),
    ),
    _txn(
        "SalesReceipt",
        filters=("CustomerRef",),
        void=Void.UPDATE_INCLUDE_VOID,
        unique_doc_number=True,
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
REPORTS: tuple[str, ...] = ("TrialBalance", "ProfitAndLoss", "BalanceSheet")

_BY_NAME = {spec.name: spec for spec in OBJECTS}
_BY_LOWER = {spec.name.lower(): spec for spec in OBJECTS}

#: Reference properties and the object each one points to. ``EntityRef`` carries its own type.
REFERENCE_TARGETS: dict[str, str] = {
    "CustomerRef": "Customer",
    "VendorRef": "Vendor",
    "EmployeeRef": "Employee",
    "ItemRef": "Item",
    "ClassRef": "Class",
    "DepartmentRef": "Department",
    "SalesTermRef": "Term",
    "TermRef": "Term",
    "PaymentMethodRef": "PaymentMethod",
    "TaxCodeRef": "TaxCode",
    "TaxRateRef": "TaxRate",
    "AgencyRef": "TaxAgency",
    "TaxAgencyRef": "TaxAgency",
    "ParentRef": "",  # the parent of the same type as the object that holds it
    "JournalCodeRef": "JournalCode",
}


def reference_target(prop: str, holder: str) -> str | None:
    """The object a reference property points to, or None when it is not an Id reference.

    ``holder`` is the object that carries the property (``ParentRef`` points to its own type).
    Every ``...AccountRef`` points to an Account.
    """
    if prop in REFERENCE_TARGETS:
        return REFERENCE_TARGETS[prop] or holder
    if prop.endswith("AccountRef") or prop == "AccountRef":
        return "Account"
    return None


def get(name: str) -> ObjectSpec:
    """The spec of an object by its API name, case-insensitively. Raises KeyError."""
    spec = _BY_NAME.get(name) or _BY_LOWER.get(name.lower())
    if spec is None:
        raise KeyError(name)
    return spec


def find(name: str) -> ObjectSpec | None:
    """Like :func:`get`, or None."""
    return _BY_NAME.get(name) or _BY_LOWER.get(name.lower())


def names() -> tuple[str, ...]:
    return tuple(spec.name for spec in OBJECTS)


def cdc_objects() -> Iterator[ObjectSpec]:
    return (spec for spec in OBJECTS if spec.cdc)


# -- what a writer needs beyond the table -------------------------------------------------------

#: ``LinkedTxn.TxnType`` values that are not object names, and the object each one names.
TXN_TYPE_OBJECTS: dict[str, str] = {
    "BillPaymentCheck": "BillPayment",
    "BillPaymentCreditCard": "BillPayment",
    "ReceivePayment": "Payment",
    "Check": "Purchase",
    "Expense": "Purchase",
    "CashPurchase": "Purchase",
    "CreditCardCharge": "Purchase",
    "CreditCardCredit": "Purchase",
}

#: What a ``LinkedTxn`` on each object points to as input: the documents it settles or was made
#: from. Links the other way (an invoice's list of the payments that paid it, a bill's list of its
#: bill payments) are kept by QuickBooks on the other side and are never written by a client.
LINKED_INPUTS: dict[str, tuple[str, ...]] = {
    "Payment": ("Invoice", "CreditMemo", "JournalEntry"),
    "BillPayment": ("Bill", "VendorCredit", "JournalEntry"),
    "Deposit": ("Payment", "SalesReceipt", "RefundReceipt", "JournalEntry", "Transfer"),
    "Invoice": ("Estimate",),
    "SalesReceipt": ("Estimate",),
    "Bill": ("PurchaseOrder",),
    "Purchase": ("PurchaseOrder",),
}

#: Reference properties :func:`reference_target` does not cover, and the object each points to.
EXTRA_REFERENCE_TARGETS: dict[str, str] = {
    "PrefVendorRef": "Vendor",
    "RootCustomerRef": "Customer",
    "GroupItemRef": "Item",
    "InvoiceRef": "Invoice",
    "TaxGroupCodeRef": "TaxCode",
}

#: The objects an ``EntityRef`` (with its ``type``) may point to outside Attachable.
ENTITY_REF_TARGETS: tuple[str, ...] = ("Customer", "Vendor", "Employee")


def txn_type_object(txn_type: str) -> str | None:
    """The object a ``LinkedTxn.TxnType`` names (``BillPaymentCheck`` is a BillPayment), or None."""
    spec = find(txn_type)
    if spec is not None and spec.name == txn_type:
        return spec.name
    return TXN_TYPE_OBJECTS.get(txn_type)


def reference_object(prop: str, holder: str) -> str | None:
    """Like :func:`reference_target`, plus the references a writer must also translate.

    Every ``...TaxCodeRef`` (``DefaultTaxCodeRef``, ``TxnTaxCodeRef``, ``SalesTaxCodeRef``) points
    to a TaxCode; ``PrefVendorRef`` to a Vendor, and so on (:data:`EXTRA_REFERENCE_TARGETS`).
    """
    found = reference_target(prop, holder)
    if found is not None:
        return found
    if prop in EXTRA_REFERENCE_TARGETS:
        return EXTRA_REFERENCE_TARGETS[prop]
    if prop.endswith("TaxCodeRef"):
        return "TaxCode"
    return None


def schema_references(name: str) -> frozenset[str]:
    """The objects an object can refer to by Id: its schema's reference properties at any depth,
    ``EntityRef`` targets and its :data:`LINKED_INPUTS` (itself included when it has a ParentRef)."""
    from . import schemas  # the schemas module imports this one

    spec = get(name)
    found: set[str] = set(LINKED_INPUTS.get(spec.name, ()))

    def walk(schema: dict[str, object]) -> None:
        props = schema.get("properties")
        if not isinstance(props, dict):
            return
        for prop, sub in props.items():
            if not isinstance(sub, dict):
                continue
            inner = sub.get("properties")
            if isinstance(inner, dict) and "value" in inner and prop.endswith("Ref"):
                if prop == "EntityRef":
                    found.update(ENTITY_REF_TARGETS)
                target = reference_object(prop, spec.name)
                if target is not None and find(target) is not None:
                    found.add(target)
                continue
            if prop == "AttachableRef" and spec.name != "Attachable":
                continue  # the attachments of an object, not references it makes
            walk(sub)
            items = sub.get("items")
            if isinstance(items, dict):
                walk(items)

    walk(schemas.load(spec.name))
    if spec.name == "Attachable":
        found.update(s.name for s in OBJECTS if s.name != "Attachable" and (s.create or s.update))
    return frozenset(found)


_KIND_ORDER = {Kind.SINGLETON: 0, Kind.NAME_LIST: 1, Kind.OTHER: 2, Kind.TRANSACTION: 3}


def write_order() -> tuple[str, ...]:
    """Every object a client can write, parents before children, derived from the references.

    An object comes after every object it refers to (accounts before items, items and customers
    before invoices, invoices before the payments linked to them, payments before deposits).
    Objects whose references form a cycle (Account -> TaxCode -> TaxRate -> TaxAgency -> Account:
    optional references such as an account's default tax code) are ordered among themselves by
    placing first, each time, the one with the fewest references still unplaced (name lists
    before other objects, then by name): a reference from it to a later object must already exist
    in the company. References of an object to itself (``ParentRef``) are the writer's to order.
    """
    writable = [s for s in OBJECTS if s.create or s.update]
    names_ = {s.name for s in writable}
    deps = {s.name: (schema_references(s.name) & names_) - {s.name} for s in writable}
    rank = {s.name: (_KIND_ORDER[s.kind], s.name) for s in writable}
    component = _components(deps)
    members: dict[int, set[str]] = {}
    for name, comp in component.items():
        members.setdefault(comp, set()).add(name)
    needs = {c: {component[d] for n in m for d in deps[n]} - {c} for c, m in members.items()}
    placed: list[str] = []
    done: set[int] = set()
    while len(done) < len(members):
        ready = [c for c in members if c not in done and not needs[c] - done]
        comp = min(ready, key=lambda c: min(rank[n] for n in members[c]))
        left = set(members[comp])
        while left:
            free = [n for n in left if not deps[n] & left]
            if free:
                name = min(free, key=rank.__getitem__)
            else:
                name = min(left, key=lambda n: (len(deps[n] & left), rank[n]))
            placed.append(name)
            left.discard(name)
        done.add(comp)
    return tuple(placed)


def _components(deps: dict[str, frozenset[str]]) -> dict[str, int]:
    """Strongly connected components of the reference graph (Tarjan), as name -> component number."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: dict[str, int] = {}

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(deps[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            number = len(set(out.values()))
            while True:
                top = stack.pop()
                on_stack.discard(top)
                out[top] = number
                if top == node:
                    break

    for node in sorted(deps):
        if node not in index:
            visit(node)
    return out
