"""Validation as QBO answers it, and bad input that must never crash the server or change a company."""

from __future__ import annotations

import json

import pytest
from sandbox_harness import Api, company_digest, fault_code


def test_unknown_property_answers_2010(api: Api) -> None:
    customer = api.one("Customer")
    answer = api.post("invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [], "BadJson": 1})
    assert answer.status_code == 400
    assert fault_code(answer) == "2010"
    assert "BadJson" in answer.json()["Fault"]["Error"][0]["Detail"]


def test_missing_required_field_answers_2020_with_the_element(api: Api) -> None:
    answer = api.post("invoice", {"Line": []})
    assert fault_code(answer) == "2020"
    assert answer.json()["Fault"]["Error"][0]["element"] == "CustomerRef"


def test_reference_to_a_missing_object_answers_2500(api: Api) -> None:
    answer = api.post(
        "invoice",
        {
            "CustomerRef": {"value": "999999"},
            "Line": [
                {
                    "Amount": 1,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                }
            ],
        },
    )
    assert fault_code(answer) == "2500"


def test_reference_to_an_inactive_object_answers_610(api: Api) -> None:
    customer = api.create("Customer", {"DisplayName": "Soon Inactive"})
    api.create("Customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Active": False})
    item = api.one("Item", "WHERE Type = 'Service'")
    answer = api.post(
        "invoice",
        {
            "CustomerRef": {"value": customer["Id"]},
            "Line": [
                {
                    "Amount": 5,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}},
                }
            ],
        },
    )
    assert fault_code(answer) == "610"


def test_duplicate_name_is_refused_across_customer_vendor_employee_including_inactive(api: Api) -> None:
    customer = api.create("Customer", {"DisplayName": "Shared Name"})
    assert fault_code(api.post("vendor", {"DisplayName": "Shared Name"})) == "6240"
    assert fault_code(api.post("employee", {"DisplayName": "shared name"})) == "6240"
    api.create("Customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Active": False})
    assert fault_code(api.post("vendor", {"DisplayName": "Shared Name"})) == "6240"
    assert fault_code(api.post("customer", {"DisplayName": "Shared Name"})) == "6240"


def test_duplicate_docnumber_answers_6140_for_invoices(api: Api) -> None:
    existing = api.one("Invoice")
    item = api.one("Item", "WHERE Type = 'Service'")
    answer = api.post(
        "invoice",
        {
            "DocNumber": existing["DocNumber"],
            "CustomerRef": existing["CustomerRef"],
            "Line": [
                {
                    "Amount": 5,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}},
                }
            ],
        },
    )
    assert fault_code(answer) == "6140"


def test_non_numeric_id_answers_2030(api: Api) -> None:
    answer = api.get("customer/1.5")
    assert answer.status_code == 400
    assert fault_code(answer) == "2030"
    assert answer.json()["Fault"]["Error"][0]["Detail"] == "Id should be a valid number. Supplied value:1.5"


@pytest.mark.parametrize("path", ["customer/1/5", "nothing", "reports", "invoice/1/void"])
def test_unknown_path_answers_500_unsupported_operation(api: Api, path: str) -> None:
    answer = api.get(path)
    assert answer.status_code == 400
    assert fault_code(answer) == "500"
    assert answer.json()["Fault"]["Error"][0]["Message"] == "Unsupported Operation"


BAD_BODIES = [
    b"{not json",
    b"",
    b"[1, 2, 3]",
    b'"just a string"',
    b'{"DisplayName": 12, "PrimaryEmailAddr": "not an object"}',
    b'{"DisplayName": {"nested": true}}',
    b'{"DisplayName": "x", "Balance": "lots"}',
    b'{"DisplayName": "\\u0000nul"}',
    b"[" * 100_000 + b"]" * 100_000,
    json.dumps({"DisplayName": "A" * 200_000}).encode(),
]


@pytest.mark.parametrize("body", BAD_BODIES, ids=lambda b: repr(b[:30]))
def test_malformed_bodies_get_a_fault_and_leave_the_company_unchanged(api: Api, body: bytes) -> None:
    before = company_digest(api.running)
    answer = api.post("customer", raw=body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["Fault"]["Error"][0]["code"]
    assert company_digest(api.running) == before


def test_huge_body_is_refused_without_reading_it_all(api: Api) -> None:
    before = company_digest(api.running)
    answer = api.post("customer", raw=b"x" * (11 * 1024 * 1024))
    assert answer.status_code == 400
    assert "larger" in answer.json()["Fault"]["Error"][0]["Detail"]
    assert company_digest(api.running) == before


INJECTIONS = [
    "SELECT * FROM Customer WHERE DisplayName = ''; DROP TABLE entities; --'",
    "SELECT * FROM Customer WHERE DisplayName = 'unbalanced",
    "SELECT * FROM Customer; DELETE FROM entities",
    "SELECT * FROM Customer WHERE DisplayName = '' OR 1=1",
    "SELECT * FROM entities",
    "SELECT * FROM Customer WHERE DisplayName) = 'x'",
    "SELECT * FROM Customer WHERE \"DisplayName\" = 'x'",
    "SELECT * FROM Customer ORDERBY DisplayName; DROP TABLE postings",
    "SELECT * FROM Customer WHERE json_extract(data, '$.x') = 1",
]


@pytest.mark.parametrize("text", INJECTIONS)
def test_query_injection_attempts_get_a_fault_and_change_nothing(api: Api, text: str) -> None:
    before = company_digest(api.running)
    answer = api.get("query", query=text)
    assert answer.status_code == 400, answer.text
    assert fault_code(answer) in ("4000", "4001")
    assert company_digest(api.running) == before


def test_quoted_value_with_sql_is_just_a_value(api: Api) -> None:
    name = "Robert'); DROP TABLE entities;--"
    created = api.create("Customer", {"DisplayName": name})
    escaped = name.replace("'", "\\'")
    rows = api.rows(f"SELECT * FROM Customer WHERE DisplayName = '{escaped}'")
    assert [r["Id"] for r in rows] == [created["Id"]]


def test_batch_with_bad_items_faults_per_item_and_writes_the_good_ones(api: Api) -> None:
    before_count = api.query("SELECT COUNT(*) FROM Customer")["totalCount"]
    answer = api.post(
        "batch",
        {
            "BatchItemRequest": [
                {"bId": "1", "operation": "create", "Customer": {"DisplayName": "Batch Good"}},
                {"bId": "2", "operation": "create", "Customer": {"DisplayName": "Batch Bad", "Nope": 1}},
                "not an item",
                {"bId": "4", "operation": "explode", "Customer": {"DisplayName": "x"}},
            ]
        },
    )
    assert answer.status_code == 200
    items = answer.json()["BatchItemResponse"]
    assert items[0]["Customer"]["DisplayName"] == "Batch Good"
    assert items[1]["Fault"]["Error"][0]["code"] == "2010"
    assert "Fault" in items[2]
    assert items[3]["Fault"]["Error"][0]["code"] == "500"
    assert api.query("SELECT COUNT(*) FROM Customer")["totalCount"] == before_count + 1
