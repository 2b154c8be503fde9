"""The Desktop catalog against the facts of the qbXML 13.0 schema, and the generated files' freshness."""

from __future__ import annotations

import json
from typing import Any

import generate_qbd_schemas
import pytest
from qbd_client import catalog, qbxml, schemas
from shared import qbxml_fields_path

FIELDS: dict[str, Any] = json.loads(qbxml_fields_path().read_text(encoding="utf-8"))
RECORD_OBJECTS = [spec for spec in catalog.OBJECTS if not spec.is_report]

#: The objects the issue names as the minimum of the Desktop catalog.
REQUIRED = {
    "Account", "Customer", "Vendor", "Employee", "Class", "StandardTerms", "DateDrivenTerms", "SalesTaxCode",
    "PaymentMethod", "ItemService", "ItemInventory", "ItemNonInventory", "ItemOtherCharge", "Invoice",
    "SalesReceipt", "CreditMemo", "ReceivePayment", "Estimate", "SalesOrder", "PurchaseOrder", "Bill",
    "VendorCredit", "BillPaymentCheck", "Check", "CreditCardCharge", "Deposit", "JournalEntry",
    "TimeTracking", "Transfer", "TrialBalance",
}  # fmt: skip


def test_catalog_holds_every_object_the_desktop_edition_must_serve() -> None:
    assert {spec.name for spec in catalog.OBJECTS} >= REQUIRED
    assert catalog.get("TrialBalance").is_report
    assert catalog.get("TrialBalance").report_type in FIELDS["enums"]["GeneralSummaryReportType"]


@pytest.mark.parametrize("spec", RECORD_OBJECTS, ids=lambda s: s.name)
def test_iterator_add_and_mod_agree_with_the_qbxml_schema(spec: catalog.ObjectSpec) -> None:
    facts = FIELDS["objects"][spec.name]
    assert spec.iterator is FIELDS["query_iterator_support"][spec.query_rq]
    assert spec.add is ("AddRq" in facts)
    assert spec.mod is ("ModRq" in facts)


@pytest.mark.parametrize("spec", RECORD_OBJECTS, ids=lambda s: s.name)
def test_delete_and_void_types_are_the_schemas_enumerations(spec: catalog.ObjectSpec) -> None:
    enums = FIELDS["enums"]
    deletable = enums["ListDelType"] if spec.is_list else enums["TxnDelType"]
    assert (spec.name in deletable) is spec.can_delete
    if spec.can_delete:
        assert spec.del_type == spec.name
    assert (spec.name in enums["TxnVoidType"]) is spec.void
    assert catalog.by_del_type(spec.del_type) is spec if spec.can_delete else True


@pytest.mark.parametrize("spec", RECORD_OBJECTS, ids=lambda s: s.name)
def test_id_filter_natural_key_and_lines_are_in_the_schema(spec: catalog.ObjectSpec) -> None:
    facts = FIELDS["objects"][spec.name]
    filters = facts["QueryRq"]["top_level_filter_names"]
    ret = [node.get("name") for node in facts["Ret"][spec.ret]]
    assert spec.id_field in ret
    assert spec.id_field in filters
    if spec.is_list:
        assert {"FromModifiedDate", "ToModifiedDate", "ActiveStatus"} <= set(filters)
        assert spec.modified_filter == "FromModifiedDate"
    else:
        assert spec.modified_filter == "ModifiedDateRangeFilter" in filters
    if spec.natural_key:
        assert spec.natural_key in ret
        assert ("FullName" if spec.is_list else spec.natural_key) in filters
    assert ("IncludeLineItems" in filters) is spec.line_items
    assert ("ParentRef" in ret and "Sublevel" in ret) is spec.hierarchical


def test_lookups_by_ret_and_by_delete_type() -> None:
    assert catalog.by_ret("InvoiceRet").name == "Invoice"
    assert catalog.by_del_type("ItemService").name == "ItemService"
    with pytest.raises(KeyError, match="unknown QuickBooks Desktop object"):
        catalog.get("Nope")


def test_committed_spec_and_schemas_are_what_the_generator_produces() -> None:
    assert generate_qbd_schemas.main(["--check"]) == 0


@pytest.mark.parametrize("spec", RECORD_OBJECTS, ids=lambda s: s.name)
def test_schema_types_follow_the_qbxml_types(spec: catalog.ObjectSpec) -> None:
    schema = schemas.load(spec.name)
    props = schema["properties"]
    assert list(props)[:2] == [spec.id_field, "TimeCreated"]
    assert props["TimeModified"] == {"type": ["string", "null"], "format": "date-time"}
    for node in qbxml.ret_nodes(spec.name):
        name = node.get("name")
        if name is None or name not in props:
            continue
        prop = props[name]
        if node["type"] == "aggregate":
            inner = prop["items"] if prop["type"][0] == "array" else prop
            assert inner["type"] == ["object", "null"]
            if name.endswith("Ref") and "ListID" in inner["properties"]:
                assert set(inner["properties"]) == {"ListID", "FullName"}
        if node.get("max") == "unbounded":
            assert prop["type"] == ["array", "null"], name
        if node["type"] == "AMTTYPE":
            assert prop == {"type": ["number", "null"]}
        if node["type"] == "BOOLTYPE":
            assert prop == {"type": ["boolean", "null"]}
        if node["type"] == "DATETYPE":
            assert prop == {"type": ["string", "null"], "format": "date"}


def test_transaction_lines_are_arrays_of_objects() -> None:
    props = schemas.load("Invoice")["properties"]
    lines = props["InvoiceLineRet"]
    assert lines["type"] == ["array", "null"]
    assert lines["items"]["properties"]["Amount"] == {"type": ["number", "null"]}
    assert props["InvoiceLineGroupRet"]["type"] == ["array", "null"]
