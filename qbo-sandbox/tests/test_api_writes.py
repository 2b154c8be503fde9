"""Create, read, update, delete, inactivate and void over real HTTP, as QBO does them."""

from __future__ import annotations

import re

import pytest
from qbo_client import catalog
from sandbox_harness import Api, fault_code

OFFSET_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")


def _invoice_body(api: Api, amount: float = 150.0) -> dict:
    customer = api.one("Customer", "WHERE Active = true")
    item = api.one("Item", "WHERE Type = 'Service'")
    return {
        "CustomerRef": {"value": customer["Id"]},
        "Line": [
            {
                "Amount": amount,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}, "Qty": 1, "UnitPrice": amount},
            }
        ],
    }


def test_create_assigns_id_synctoken_metadata_and_fills_reference_names(api: Api) -> None:
    body = _invoice_body(api)
    created = api.create("Invoice", body)
    assert created["Id"].isdigit()
    assert created["SyncToken"] == "0"
    assert created["domain"] == "QBO"
    assert created["sparse"] is False
    assert OFFSET_TIME.match(created["MetaData"]["CreateTime"])
    assert created["MetaData"]["CreateTime"] == created["MetaData"]["LastUpdatedTime"]
    assert created["TotalAmt"] == 150.0
    assert created["Balance"] == 150.0
    assert created["DocNumber"].isdigit()
    assert created["CustomerRef"]["name"]
    assert created["Line"][0]["SalesItemLineDetail"]["ItemRef"]["name"]
    assert api.read("Invoice", created["Id"]) == created


def test_answers_serialise_no_null_properties(api: Api) -> None:
    created = api.create("Customer", {"DisplayName": "Null Free Ltd", "CompanyName": None})
    assert "CompanyName" not in created
    assert None not in created.values()


def test_ids_come_from_one_transaction_sequence(api: Api) -> None:
    invoice = api.create("Invoice", _invoice_body(api))
    bank = api.one("Account", "WHERE AccountType = 'Bank'")
    expense = api.one("Account", "WHERE AccountType = 'Expense'")
    purchase = api.create(
        "Purchase",
        {
            "AccountRef": {"value": bank["Id"]},
            "PaymentType": "Cash",
            "Line": [
                {
                    "Amount": 10,
                    "DetailType": "AccountBasedExpenseLineDetail",
                    "AccountBasedExpenseLineDetail": {"AccountRef": {"value": expense["Id"]}},
                }
            ],
        },
    )
    assert int(purchase["Id"]) == int(invoice["Id"]) + 1


def test_sparse_update_changes_only_the_fields_sent_and_bumps_synctoken(api: Api) -> None:
    customer = api.create(
        "Customer", {"DisplayName": "Sparse Co", "Notes": "keep me", "CompanyName": "Sparse"}
    )
    updated = api.create(
        "Customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "CompanyName": "Sparse Inc"}
    )
    assert updated["SyncToken"] == "1"
    assert updated["CompanyName"] == "Sparse Inc"
    assert updated["Notes"] == "keep me"
    assert updated["MetaData"]["CreateTime"] == customer["MetaData"]["CreateTime"]


def test_full_update_clears_omitted_writable_fields(api: Api) -> None:
    customer = api.create("Customer", {"DisplayName": "Full Co", "Notes": "gone after a full update"})
    updated = api.create("Customer", {"Id": customer["Id"], "SyncToken": "0", "DisplayName": "Full Co"})
    assert "Notes" not in updated
    assert updated["SyncToken"] == "1"


def test_stale_synctoken_answers_5010_and_changes_nothing(api: Api) -> None:
    customer = api.create("Customer", {"DisplayName": "Stale Co"})
    api.create("Customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Notes": "first"})
    answer = api.post("customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Notes": "second"})
    assert answer.status_code == 400
    assert fault_code(answer) == "5010"
    assert api.read("Customer", customer["Id"])["Notes"] == "first"


def test_delete_a_transaction_answers_a_stub_and_then_610(api: Api) -> None:
    invoice = api.create("Invoice", _invoice_body(api))
    answer = api.post("invoice", {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]}, operation="delete")
    assert answer.status_code == 200
    assert answer.json()["Invoice"] == {"domain": "QBO", "status": "Deleted", "Id": invoice["Id"]}
    gone = api.get(f"invoice/{invoice['Id']}")
    assert gone.status_code == 400
    assert fault_code(gone) == "610"
    assert api.rows(f"SELECT * FROM Invoice WHERE Id = '{invoice['Id']}'") == []


def test_name_lists_cannot_be_deleted_only_inactivated(api: Api) -> None:
    customer = api.create("Customer", {"DisplayName": "Never Deleted"})
    answer = api.post("customer", {"Id": customer["Id"], "SyncToken": "0"}, operation="delete")
    assert answer.status_code == 400
    assert fault_code(answer) == "500"
    inactive = api.create(
        "Customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Active": False}
    )
    assert inactive["Active"] is False
    assert inactive["DisplayName"] == "Never Deleted (deleted)"
    again = api.create("Customer", {"Id": customer["Id"], "SyncToken": "1", "sparse": True, "Active": True})
    assert again["DisplayName"] == "Never Deleted"


def test_inactive_account_is_renamed_deleted_like_qbo(api: Api) -> None:
    account = api.create("Account", {"Name": "Fees Billed Test", "AccountType": "Income"})
    answer = api.post("account", {"Id": account["Id"], "SyncToken": "0"}, operation="delete")
    assert answer.status_code == 200
    read = api.read("Account", account["Id"])
    assert read["Active"] is False
    assert read["Name"] == "Fees Billed Test (deleted)"
    assert read["FullyQualifiedName"] == "Fees Billed Test (deleted)"
    assert read["Classification"] == "Revenue"


def test_void_invoice_zeroes_amounts_and_keeps_the_document(api: Api) -> None:
    invoice = api.create("Invoice", _invoice_body(api, 99.0))
    answer = api.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="void")
    assert answer.status_code == 200, answer.text
    voided = answer.json()["Invoice"]
    assert voided["SyncToken"] == "1"
    assert voided["TotalAmt"] == 0
    assert voided["Balance"] == 0
    assert voided["Line"][0]["Amount"] == 0
    assert voided["PrivateNote"].startswith("Voided")
    with api.running.sandbox.db.read() as conn:
        left = conn.execute(
            "SELECT COUNT(*) FROM postings WHERE realm_id = ? AND type = 'Invoice' AND txn_id = ?",
            (api.running.realm, int(invoice["Id"])),
        ).fetchone()[0]
    assert left == 0


def test_payment_applies_to_invoice_and_void_gives_the_balance_back(api: Api) -> None:
    invoice = api.create("Invoice", _invoice_body(api, 200.0))
    payment = api.create(
        "Payment",
        {
            "CustomerRef": invoice["CustomerRef"],
            "TotalAmt": 120.0,
            "Line": [{"Amount": 120.0, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
        },
    )
    paid = api.read("Invoice", invoice["Id"])
    assert paid["Balance"] == 80.0
    assert {"TxnId": payment["Id"], "TxnType": "Payment"} in paid["LinkedTxn"]
    assert paid["SyncToken"] == "1"
    voided = api.post(
        "payment",
        {"Id": payment["Id"], "SyncToken": payment["SyncToken"], "sparse": True},
        operation="update",
        include="void",
    )
    assert voided.status_code == 200, voided.text
    assert voided.json()["Payment"]["TotalAmt"] == 0
    assert api.read("Invoice", invoice["Id"])["Balance"] == 200.0


@pytest.mark.parametrize("entity", ["Invoice", "Payment", "SalesReceipt", "BillPayment"])
def test_void_is_offered_exactly_where_the_catalog_says(api: Api, entity: str) -> None:
    spec = catalog.get(entity)
    row = api.one(entity)
    if spec.void is catalog.Void.OPERATION_VOID:
        answer = api.post(entity.lower(), {"Id": row["Id"], "SyncToken": row["SyncToken"]}, operation="void")
    else:
        answer = api.post(
            entity.lower(),
            {"Id": row["Id"], "SyncToken": row["SyncToken"], "sparse": True},
            operation="update",
            include="void",
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()[entity]["TotalAmt"] == 0


def test_void_is_refused_where_the_catalog_has_none(api: Api) -> None:
    bill = api.one("Bill")
    answer = api.post("bill", {"Id": bill["Id"], "SyncToken": bill["SyncToken"]}, operation="void")
    assert answer.status_code == 400
    assert fault_code(answer) == "500"


def test_objects_without_create_refuse_it(api: Api) -> None:
    for spec in catalog.OBJECTS:
        if spec.create or spec.is_singleton or not spec.has_id:
            continue
        answer = api.post(spec.path, {"Name": "x"})
        assert answer.status_code == 400, spec.name
        assert fault_code(answer) == "500", spec.name


def test_singletons_read_and_update_in_place(api: Api) -> None:
    info = api.get(f"companyinfo/{api.running.realm}").json()["CompanyInfo"]
    assert info["CompanyName"]
    updated = api.create(
        "CompanyInfo",
        {"Id": info["Id"], "SyncToken": info["SyncToken"], "sparse": True, "CompanyName": "Renamed"},
    )
    assert updated["CompanyName"] == "Renamed"
    assert api.get(f"companyinfo/{api.running.realm}").json()["CompanyInfo"]["CompanyName"] == "Renamed"
    prefs = api.get("preferences").json()["Preferences"]
    assert "SalesFormsPrefs" in prefs


def test_exchange_rate_is_read_by_currency_and_date(api: Api) -> None:
    rates = api.rows("SELECT * FROM ExchangeRate MAXRESULTS 1000")
    assert rates
    assert all("Id" not in r for r in rates)
    newest = max(rates, key=lambda r: r["AsOfDate"])
    answer = api.get(
        "exchangerate", sourcecurrencycode=newest["SourceCurrencyCode"], asofdate=newest["AsOfDate"]
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["ExchangeRate"]["Rate"] == newest["Rate"]
    updated = api.post(
        "exchangerate",
        {
            "SourceCurrencyCode": newest["SourceCurrencyCode"],
            "AsOfDate": newest["AsOfDate"],
            "Rate": 1.5,
            "SyncToken": newest["SyncToken"],
        },
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["ExchangeRate"]["Rate"] == 1.5


def test_tax_service_creates_a_tax_code_with_its_rate(api: Api) -> None:
    agency = api.one("TaxAgency")
    answer = api.post(
        "taxservice/taxcode",
        {
            "TaxCode": "Metro Tax",
            "TaxRateDetails": [
                {
                    "TaxRateName": "Metro rate",
                    "RateValue": "2.5",
                    "TaxAgencyId": agency["Id"],
                    "TaxApplicableOn": "Sales",
                }
            ],
        },
    )
    assert answer.status_code == 200, answer.text
    service = answer.json()
    code = api.read("TaxCode", service["TaxCodeId"])
    rate = api.read("TaxRate", service["TaxRateDetails"][0]["TaxRateId"])
    assert code["Name"] == "Metro Tax"
    assert rate["RateValue"] == 2.5
    assert code["SalesTaxRateList"]["TaxRateDetail"][0]["TaxRateRef"]["value"] == rate["Id"]
    refused = api.post("taxcode", {"Name": "direct"})
    assert refused.status_code == 400


def test_requestid_replay_returns_the_first_answer_and_writes_once(api: Api) -> None:
    before = api.query("SELECT COUNT(*) FROM Customer")["totalCount"]
    first = api.post("customer", {"DisplayName": "Idempotent Ltd"}, requestid="req-0001")
    second = api.post("customer", {"DisplayName": "Idempotent Ltd"}, requestid="req-0001")
    assert first.status_code == second.status_code == 200
    assert first.json()["Customer"] == second.json()["Customer"]
    assert api.query("SELECT COUNT(*) FROM Customer")["totalCount"] == before + 1
    too_long = api.post("customer", {"DisplayName": "Long Id"}, requestid="x" * 51)
    assert too_long.status_code == 400


def test_failed_write_is_not_remembered_under_its_requestid(api: Api) -> None:
    customer = api.create("Customer", {"DisplayName": "Retry Co"})
    stale = api.post(
        "customer",
        {"Id": customer["Id"], "SyncToken": "7", "sparse": True, "Notes": "x"},
        requestid="retry-1",
    )
    assert fault_code(stale) == "5010"
    fixed = api.post(
        "customer",
        {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Notes": "x"},
        requestid="retry-1",
    )
    assert fixed.status_code == 200
    assert fixed.json()["Customer"]["Notes"] == "x"


def test_several_companies_are_served_apart(api: Api) -> None:
    sandbox = api.running.sandbox
    from qbo_sandbox.testing import issue_credentials

    other = sandbox.store.create_realm()
    creds = issue_credentials(sandbox, other)
    import requests

    token = requests.post(
        f"{api.running.url}/oauth2/v1/tokens/bearer",
        data={"grant_type": "refresh_token", "refresh_token": creds.refresh_token},
        auth=(creds.client_id, creds.client_secret),
        timeout=10,
    ).json()["access_token"]
    answer = requests.get(
        f"{api.running.url}/v3/company/{other}/query",
        params={"query": "SELECT COUNT(*) FROM Customer"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answer.json()["QueryResponse"]["totalCount"] == 0
    cross = requests.get(
        f"{api.running.company_url}/query",
        params={"query": "SELECT COUNT(*) FROM Customer"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert cross.status_code == 403
