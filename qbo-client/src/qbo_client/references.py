"""Reference rules: which object each reference property of a QuickBooks object points to.

A reference (``CustomerRef``, ``DepositToAccountRef``, a ``LinkedTxn``) names another object by
Id; the sandbox checks them, the target translates them and orders its writes by them
(:func:`qbo_client.ordering.write_order`). The objects themselves are in :mod:`qbo_client.catalog`.
"""

from __future__ import annotations

from . import catalog, schemas

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


# -- what a writer needs beyond the schemas ------------------------------------------------------

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
    spec = catalog.find(txn_type)
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
    spec = catalog.get(name)
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
                if target is not None and catalog.find(target) is not None:
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
        found.update(s.name for s in catalog.OBJECTS if s.name != "Attachable" and (s.create or s.update))
    return frozenset(found)
