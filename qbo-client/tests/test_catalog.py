"""The catalog's facts about objects agree with their schemas and with each other."""

from __future__ import annotations

from qbo_client import catalog, ordering, references, schemas


def test_a_hierarchical_object_has_a_parent_reference_and_its_sub_flag_in_its_schema() -> None:
    hierarchical = [spec for spec in catalog.OBJECTS if spec.hierarchical]
    assert [spec.name for spec in hierarchical] == ["Account", "Class", "Customer", "Department", "Item"]
    for spec in hierarchical:
        properties = schemas.property_names(spec.name)
        assert {"ParentRef", "FullyQualifiedName", spec.sub_flag} <= properties, spec.name
        assert references.reference_target("ParentRef", spec.name) == spec.name


def test_auto_numbered_objects_are_transactions_with_a_doc_number() -> None:
    numbered = [spec for spec in catalog.OBJECTS if spec.auto_doc_number]
    assert {spec.name for spec in numbered} == {
        "InventoryAdjustment",
        "Invoice",
        "SalesReceipt",
        "CreditMemo",
        "Estimate",
        "RefundReceipt",
        "PurchaseOrder",
    }
    for spec in numbered:
        assert spec.is_transaction
        assert "DocNumber" in schemas.property_names(spec.name)


def test_the_voidable_objects_are_those_with_a_way_to_void() -> None:
    assert catalog.voidable() == ("BillPayment", "Invoice", "Payment", "SalesReceipt")
    assert all(catalog.get(name).void is not catalog.Void.NONE for name in catalog.voidable())


def test_the_write_order_places_every_reference_before_its_holder_outside_cycles() -> None:
    order = ordering.write_order()
    position = {name: n for n, name in enumerate(order)}
    assert set(order) == {spec.name for spec in catalog.OBJECTS if spec.create or spec.update}
    assert position["Customer"] < position["Invoice"] < position["Payment"] < position["Deposit"]
    assert position["Estimate"] < position["Invoice"]
    assert references.schema_references("Payment") >= {"Invoice", "CreditMemo", "Customer"}
