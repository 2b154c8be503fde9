"""Scalars coerced as QuickBooks' JSON binder coerces them, and no more, over real HTTP.

python-quickbooks sends ``"TotalAmt": ""`` (and ``"TxnDate": ""``, ``"DueDate": ""``) for every new
Bill; QuickBooks creates it and computes the total. A boolean sent for a property typed as text is
taken as its text. What a binder refuses (an object for a scalar, an array for an object, text that is
not a number for a number) stays refused with 2010 and changes nothing.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest
from sandbox_harness import Api, company_digest, fault_code
from shared import fixtures_dir


def _bill_body(api: Api) -> dict[str, Any]:
    """A new Bill as python-quickbooks serialises it: blank TotalAmt and dates, Balance 0."""
    source = api.one("Bill", "WHERE TotalAmt > '0'")
    detail = source["Line"][0]["AccountBasedExpenseLineDetail"]
    return {
        "DueDate": "",
        "Balance": 0,
        "TotalAmt": "",
        "TxnDate": "",
        "VendorRef": {"value": source["VendorRef"]["value"]},
        "LinkedTxn": [],
        "Line": [
            {
                "LineNum": 1,
                "Description": "",
                "Amount": 120.25,
                "DetailType": "AccountBasedExpenseLineDetail",
                "AccountBasedExpenseLineDetail": {"AccountRef": {"value": detail["AccountRef"]["value"]}},
            },
            {
                "LineNum": 2,
                "Amount": "30.50",
                "DetailType": "AccountBasedExpenseLineDetail",
                "AccountBasedExpenseLineDetail": {"AccountRef": {"value": detail["AccountRef"]["value"]}},
            },
        ],
    }


def test_a_bill_with_a_blank_total_is_created_with_the_total_computed(api: Api) -> None:
    answer = api.post("bill", _bill_body(api))
    assert answer.status_code == 200, answer.text
    bill = answer.json()["Bill"]
    assert bill["TotalAmt"] == 150.75
    assert [line["Amount"] for line in bill["Line"]] == [120.25, 30.5]
    date.fromisoformat(bill["TxnDate"])  # blank date: the server's default, as when absent
    assert "DueDate" not in bill or bill["DueDate"]
    assert api.read("Bill", bill["Id"])["TotalAmt"] == 150.75


def test_a_bill_payment_with_blank_total_and_date_is_created(api: Api) -> None:
    bill = api.create("Bill", {k: v for k, v in _bill_body(api).items() if v != ""})
    bank = api.one("Account", "WHERE AccountType = 'Bank'")
    answer = api.post(
        "billpayment",
        {
            "PayType": "Check",
            "TotalAmt": 150.75,
            "TxnDate": "",
            "PrivateNote": "",
            "VendorRef": bill["VendorRef"],
            "CheckPayment": {"BankAccountRef": {"value": bank["Id"]}, "PrintStatus": "NotSet"},
            "Line": [{"Amount": "150.75", "LinkedTxn": [{"TxnId": bill["Id"], "TxnType": "Bill"}]}],
        },
    )
    assert answer.status_code == 200, answer.text
    payment = answer.json()["BillPayment"]
    assert payment["Line"][0]["Amount"] == 150.75
    date.fromisoformat(payment["TxnDate"])
    assert api.read("Bill", bill["Id"])["Balance"] == 0


def test_booleans_and_numbers_sent_for_text_are_taken_as_their_text(api: Api) -> None:
    prefs = api.get("preferences").json()["Preferences"]
    answer = api.post(
        "preferences",
        {
            "Id": prefs["Id"],
            "SyncToken": prefs["SyncToken"],
            "sparse": True,
            "SalesFormsPrefs": {"DefaultShippingAccount": False, "DefaultDiscountAccount": 86},
        },
    )
    assert answer.status_code == 200, answer.text
    sales = api.get("preferences").json()["Preferences"]["SalesFormsPrefs"]
    assert (sales["DefaultShippingAccount"], sales["DefaultDiscountAccount"]) == ("false", "86")
    customer = api.create(
        "Customer", {"DisplayName": "Text From Scalars", "CompanyName": True, "Notes": 12.5}
    )
    assert (customer["CompanyName"], customer["Notes"]) == ("true", "12.5")


def test_text_for_booleans_and_numbers_is_converted(api: Api) -> None:
    customer = api.create(
        "Customer",
        {"DisplayName": "Converted Scalars", "Taxable": "true", "Job": "FALSE", "Balance": " 12.5 "},
    )
    assert (customer["Taxable"], customer["Job"]) == (True, False)
    blank = api.create("Customer", {"DisplayName": "Blank Boolean", "Taxable": "", "PrintOnCheckName": ""})
    assert "Taxable" not in blank
    assert blank["PrintOnCheckName"] == ""  # text stays text, even empty


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("TotalAmt", {"value": 1}),  # an object for a number
        ("TotalAmt", [150.75]),  # an array for a number
        ("TotalAmt", "abc"),  # text that is not a number
        ("TotalAmt", "1,000"),
        ("TotalAmt", "1_000"),
        ("TotalAmt", "NaN"),
        ("TotalAmt", "Infinity"),
        ("TotalAmt", True),  # a boolean for a number
        ("VendorRef", [{"value": "1"}]),  # an array for an object
        ("VendorRef", ""),  # blank text for an object
        ("VendorRef", "1"),
        ("Line", ""),  # blank text for an array
        ("Line", {"Amount": 1}),  # one object for an array
        ("PrivateNote", {"text": "x"}),  # an object for text
        ("PrivateNote", ["x"]),  # an array for text
    ],
)
def test_what_a_binder_refuses_stays_refused(api: Api, field: str, value: Any) -> None:
    body = _bill_body(api)
    body[field] = value
    before = company_digest(api.running)
    answer = api.post("bill", body)
    assert answer.status_code == 400, answer.text
    assert fault_code(answer) == "2010"
    assert field in answer.json()["Fault"]["Error"][0]["Detail"]
    assert company_digest(api.running) == before


@pytest.mark.parametrize("value", ["yes", "1", 1, 0, 2.5, {"x": True}])
def test_a_boolean_takes_only_booleans_and_their_text(api: Api, value: Any) -> None:
    answer = api.post("customer", {"DisplayName": "Not A Boolean", "Taxable": value})
    assert answer.status_code == 400, answer.text
    assert fault_code(answer) == "2010"
    assert "Taxable" in answer.json()["Fault"]["Error"][0]["Detail"]


def _recorded_preferences() -> list[tuple[str, dict[str, Any]]]:
    """Every Preferences body of the recorded exchanges and Intuit's samples (requests and answers)."""
    found: list[tuple[str, dict[str, Any]]] = []

    def walk(name: str, value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("Preferences"), dict):
                found.append((name, value["Preferences"]))
            for item in value.values():
                walk(name, item)
        elif isinstance(value, list):
            for item in value:
                walk(name, item)

    fixtures = fixtures_dir()
    recorded = [*fixtures.glob("recorded/*.json"), *fixtures.glob("docs-samples/preferences__*.json")]
    for path in sorted(recorded):
        doc = json.loads(path.read_text(encoding="utf-8"))
        before = len(found)
        walk(path.name, doc)
        if len(found) == before and path.name.startswith("preferences__"):
            found.append((path.name, doc))  # a bare request body
    return found


def test_the_recorded_preferences_are_found() -> None:
    names = [name for name, _ in _recorded_preferences()]
    assert "preferences__00_sample_response.json" in names
    assert "preferences__01_request_body_example.json" in names


@pytest.mark.parametrize(
    ("name", "body"), _recorded_preferences(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_each_recorded_preferences_body_is_accepted_back(api: Api, name: str, body: dict[str, Any]) -> None:
    current = api.get("preferences").json()["Preferences"]
    sent = copy.deepcopy(body)
    sent.update({"Id": current["Id"], "SyncToken": current["SyncToken"]})
    answer = api.post("preferences", sent)
    assert answer.status_code == 200, f"{name}: {answer.text}"
    stored = api.get("preferences").json()["Preferences"]
    for group, values in body.items():
        if group in ("Id", "SyncToken", "MetaData") or not isinstance(values, dict):
            continue
        for key, value in values.items():
            assert stored[group][key] == value, (name, group, key)
