"""qbXML in and out: requests in the schema's order, responses parsed from bytes, safe parsing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from qbd_client import errors, qbxml
from qbd_client.xml import XMLError, parse_bytes, parse_text
from shared import qbd_fixtures_dir

RECORDED = qbd_fixtures_dir() / "recorded"
REQUESTS = qbd_fixtures_dir() / "requests"


def names(element: etree._Element) -> list[str]:
    return [child.tag for child in element]


# -- building -----------------------------------------------------------------------------------


def test_fields_given_in_any_order_are_built_in_the_schemas_order() -> None:
    request = qbxml.build(
        "CustomerQueryRq",
        {
            "OwnerID": ["0"],
            "FromModifiedDate": "2026-01-01T00:00:00",
            "ActiveStatus": "All",
            "MaxReturned": 100,
        },
        request_id="7",
        iterator="Start",
    )
    assert names(request) == ["MaxReturned", "ActiveStatus", "FromModifiedDate", "OwnerID"]
    assert request.attrib == {"requestID": "7", "iterator": "Start"}
    qbxml.validate(request)


def test_transaction_query_wraps_the_modified_dates() -> None:
    request = qbxml.build(
        "InvoiceQueryRq",
        {"IncludeLineItems": True, "ModifiedDateRangeFilter": {"FromModifiedDate": "2026-01-01T00:00:00"}},
    )
    assert names(request) == ["ModifiedDateRangeFilter", "IncludeLineItems"]
    assert request.findtext("IncludeLineItems") == "true"
    qbxml.validate(request)


def test_add_with_repeated_lines_and_amounts_formatted_as_quickbooks_reads_them() -> None:
    request = qbxml.add_request(
        "Invoice",
        {
            "InvoiceLineAdd": [
                {"Amount": 10, "ItemRef": {"FullName": "Parts:Widget"}},
                {"Amount": Decimal("2.5")},
            ],
            "TxnDate": "2026-03-01",
            "CustomerRef": {"FullName": "Kim's Café:Remodel"},
        },
        request_id="a1",
    )
    add = request.find("InvoiceAdd")
    assert add is not None
    assert names(add) == ["CustomerRef", "TxnDate", "InvoiceLineAdd", "InvoiceLineAdd"]
    assert [line.findtext("Amount") for line in add.iter("InvoiceLineAdd")] == ["10.00", "2.50"]
    assert names(add[2]) == ["ItemRef", "Amount"]
    qbxml.validate(request)


def test_unknown_element_repeated_scalar_and_wrong_shapes_are_refused_by_name() -> None:
    with pytest.raises(qbxml.QbxmlError, match="CustomerAdd has no element Nickname"):
        qbxml.add_request("Customer", {"Name": "A", "Nickname": "B"})
    with pytest.raises(qbxml.QbxmlError, match=r"CustomerAdd\.Name takes one value"):
        qbxml.add_request("Customer", {"Name": ["A", "B"]})
    with pytest.raises(qbxml.QbxmlError, match="is an aggregate"):
        qbxml.add_request("Customer", {"Name": "A", "ParentRef": "B"})
    with pytest.raises(qbxml.QbxmlError, match="unknown qbXML request"):
        qbxml.build("FrobnicateRq")
    with pytest.raises(qbxml.QbxmlError, match="has no attribute iterator"):
        qbxml.build("AccountQueryRq", iterator="Start")


def test_other_requests_delete_void_deleted_queries_and_the_trial_balance() -> None:
    requests = [
        qbxml.build("ListDelRq", {"ListID": "80000001-1", "ListDelType": "Customer"}),
        qbxml.build("TxnVoidRq", {"TxnVoidType": "Invoice", "TxnID": "1C0-1"}),
        qbxml.build("TxnDeletedQueryRq", {"TxnDelType": ["Invoice", "Bill"]}),
        qbxml.build(
            "GeneralSummaryReportQueryRq",
            {
                "ReportBasis": "Accrual",
                "GeneralSummaryReportType": "TrialBalance",
                "ReportPeriod": {"FromReportDate": "2026-01-01", "ToReportDate": "2026-01-31"},
            },
        ),
    ]
    assert names(requests[0]) == ["ListDelType", "ListID"]
    assert names(requests[3]) == ["GeneralSummaryReportType", "ReportPeriod", "ReportBasis"]
    for request in requests:
        qbxml.validate(request)
    document = qbxml.message_set(requests, on_error="stopOnError", new_message_set_id="m-1")
    msgs, parsed = qbxml.parse_request(document)
    assert msgs.attrib == {"onError": "stopOnError", "newMessageSetID": "m-1"}
    assert [r.tag for r in parsed] == [
        "ListDelRq",
        "TxnVoidRq",
        "TxnDeletedQueryRq",
        "GeneralSummaryReportQueryRq",
    ]
    assert b'<?qbxml version="13.0"?>' in document


# -- validating ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        (
            "<CustomerQueryRq><ActiveStatus>All</ActiveStatus><MaxReturned>1</MaxReturned></CustomerQueryRq>",
            "order",
        ),
        ("<CustomerQueryRq><ListID>1</ListID><MaxReturned>1</MaxReturned></CustomerQueryRq>", "order"),
        ("<CustomerQueryRq><Frob>1</Frob></CustomerQueryRq>", "unexpected element Frob"),
        ("<CustomerQueryRq><ActiveStatus>Some</ActiveStatus></CustomerQueryRq>", "not one of"),
        ("<CustomerQueryRq><MaxReturned>ten</MaxReturned></CustomerQueryRq>", "not an integer"),
        ("<CustomerAddRq><CustomerAdd><IsActive>true</IsActive></CustomerAdd></CustomerAddRq>", "order"),
        ("<InvoiceQueryRq><IncludeLineItems>yes</IncludeLineItems></InvoiceQueryRq>", "not a boolean"),
        ("<CustomerQueryRq bogus='1'/>", "unexpected attribute"),
        ("<ListDelRq><ListID>1</ListID><ListDelType>Customer</ListDelType></ListDelRq>", "order"),
    ],
)
def test_requests_quickbooks_refuses_are_refused(xml: str, reason: str) -> None:
    with pytest.raises(qbxml.QbxmlError, match=reason):
        qbxml.validate(parse_text(xml))


@pytest.mark.parametrize("path", sorted(REQUESTS.glob("*.xml")), ids=lambda p: p.name)
def test_recorded_requests_that_quickbooks_accepted_are_valid(path: Path) -> None:
    _, requests = qbxml.parse_request(path.read_bytes())
    assert requests
    for request in requests:
        qbxml.validate(request)


# -- parsing ------------------------------------------------------------------------------------


def test_recorded_batch_maps_each_response_to_its_request_id() -> None:
    answer = qbxml.parse_response((RECORDED / "hotglue__customer_batch_valid_rs.xml").read_bytes())
    assert sorted(answer.by_request_id()) == [f"ext-ok-{n}" for n in range(1, 6)]
    assert all(r.ok and r.request == "CustomerAddRq" for r in answer.responses)


def test_recorded_statuses_become_empty_results_warnings_and_typed_errors() -> None:
    warn = qbxml.parse_response(
        (RECORDED / "qbwc_gem__customer_query_rs_warn_500.xml").read_bytes()
    ).responses[0]
    assert (warn.status_code, warn.status_severity, warn.ok, warn.records()) == (500, "Warn", True, [])
    error = qbxml.parse_response(
        (RECORDED / "qbwc_gem__customer_query_rs_error_3120.xml").read_bytes()
    ).responses[0]
    assert not error.ok
    with pytest.raises(errors.StatusError) as caught:
        error.raise_for_status()
    assert caught.value.code == 3120
    assert "QuickBooks status 3120" in str(caught.value)
    assert "add the referenced object first" in str(caught.value)


def test_records_are_typed_by_the_spec() -> None:
    answer = qbxml.parse_response((RECORDED / "qbxml_gem__sales_receipt_add_rs.xml").read_bytes())
    (record,) = answer.responses[0].records()
    assert record["TxnNumber"] == 89
    assert record["TotalAmount"] == Decimal("0.22")
    assert record["IsPending"] is False
    assert record["CustomerRef"] == {"ListID": "80000013-1433852150", "FullName": "custfullname"}
    assert isinstance(record["SalesReceiptLineRet"], list)
    assert record["SalesReceiptLineRet"][0]["Quantity"] == Decimal("0.2")


def test_to_dict_and_from_dict_round_trip_a_record() -> None:
    answer = qbxml.parse_response((RECORDED / "qbxml_gem__sales_receipt_add_rs.xml").read_bytes())
    ret = answer.responses[0].rets[0]
    record = qbxml.to_dict(ret)
    rebuilt = qbxml.from_dict("SalesReceiptRet", record, qbxml.ret_nodes("SalesReceipt"))
    assert qbxml.to_dict(rebuilt) == record


def test_iterator_attributes_are_read() -> None:
    document = (
        b'<?xml version="1.0"?><QBXML><QBXMLMsgsRs><CustomerQueryRs requestID="1" statusCode="0" '
        b'statusSeverity="Info" statusMessage="Status OK" iteratorRemainingCount="250" '
        b'iteratorID="{abc}"><CustomerRet><ListID>80000001-1</ListID></CustomerRet></CustomerQueryRs>'
        b"</QBXMLMsgsRs></QBXML>"
    )
    (response,) = qbxml.parse_response(document).responses
    assert (response.iterator_id, response.iterator_remaining) == ("{abc}", 250)


def test_windows_1252_and_latin_1_answers_are_read_from_bytes() -> None:
    body = (
        '<QBXML><QBXMLMsgsRs><CustomerQueryRs statusCode="0" statusSeverity="Info" statusMessage="OK">'
        "<CustomerRet><Name>Café “Ñ”</Name></CustomerRet></CustomerQueryRs></QBXMLMsgsRs></QBXML>"
    )
    declared = b'<?xml version="1.0" encoding="windows-1252"?>' + body.encode("cp1252")
    assert qbxml.parse_response(declared).responses[0].records()[0]["Name"] == "Café “Ñ”"
    undeclared = body.replace("“", "").replace("”", "").encode("latin-1")
    assert qbxml.parse_response(undeclared).responses[0].records()[0]["Name"] == "Café Ñ"


@pytest.mark.parametrize(
    "document",
    [
        b'<?xml version="1.0"?><!DOCTYPE q [<!ENTITY x "y">]><QBXML>&x;</QBXML>',
        b'<?xml version="1.0"?><!DOCTYPE q [<!ENTITY x SYSTEM "file:///etc/passwd">]><QBXML>&x;</QBXML>',
        b'<!DOCTYPE QBXML SYSTEM "http://127.0.0.1:1/qbxml.dtd"><QBXML/>',
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><QBXML>&b;</QBXML>',
        b"<QBXML>" + b"<a>" * 200 + b"</a>" * 200 + b"</QBXML>",
        b"<QBXML><QBXMLMsgsRs>",
        b"not xml at all",
    ],
    ids=[
        "internal-entity",
        "external-entity",
        "external-dtd",
        "expanding-entities",
        "deep",
        "truncated",
        "text",
    ],
)
def test_hostile_documents_are_refused_without_resolving_anything(document: bytes) -> None:
    with pytest.raises(XMLError):
        parse_bytes(document)
    with pytest.raises(errors.RequestRefused) as caught:
        qbxml.parse_request(document)
    assert caught.value.code == "0x80040400"


def test_text_with_its_own_encoding_declaration_is_read_as_the_text_it_is() -> None:
    root = parse_text('<?xml version="1.0" encoding="windows-1252"?><QBXML><a>Zoë</a></QBXML>')
    assert root.findtext("a") == "Zoë"
