"""Select lists QuickBooks accepts: `*` with named fields, named fields alone, COUNT(*), over real HTTP.

python-quickbooks reads items with ``SELECT *, Sku FROM Item``; other clients read ``SELECT Id,
DisplayName FROM Customer``. A projected answer carries the named properties plus the envelope
(``Id``, ``SyncToken``, ``domain``, ``sparse: true``); a property QuickBooks cannot select answers
4001 ``QueryValidationError: Property BillAddr not found for Entity Customer``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sandbox_harness import Api, fault_code

_ENVELOPE = {"Id", "SyncToken", "domain", "sparse"}


def _fault(api: Api, text: str) -> tuple[int, str, str]:
    answer = api.get("query", query=text)
    error = answer.json()["Fault"]["Error"][0]
    return answer.status_code, fault_code(answer), error["Detail"]


def test_star_with_a_named_field_answers_full_entities(api: Api) -> None:
    income = api.one("Account", "WHERE AccountType = 'Income'")
    item = api.create(
        "Item",
        {
            "Name": "Select List Widget",
            "Type": "Service",
            "Sku": "SKU-42",
            "IncomeAccountRef": {"value": income["Id"]},
        },
    )
    both = api.query("SELECT *, Sku FROM Item ORDERBY Id MAXRESULTS 1000")
    star = api.query("SELECT * FROM Item ORDERBY Id MAXRESULTS 1000")
    assert both["Item"] == star["Item"]
    assert (both["startPosition"], both["maxResults"]) == (star["startPosition"], star["maxResults"])
    mine = next(row for row in both["Item"] if row["Id"] == item["Id"])
    assert mine["Sku"] == "SKU-42"
    assert mine["sparse"] is False
    assert mine["Name"] == "Select List Widget"
    # The star may come anywhere in the list, and named fields repeat harmlessly.
    assert api.query("SELECT Sku, *, Name FROM Item ORDERBY Id MAXRESULTS 1000")["Item"] == star["Item"]


def test_named_fields_answer_only_those_plus_the_envelope(api: Api) -> None:
    full = api.rows("SELECT * FROM Customer ORDERBY DisplayName MAXRESULTS 5")
    projected = api.query("SELECT Id, DisplayName FROM Customer ORDERBY DisplayName MAXRESULTS 5")
    assert projected["startPosition"] == 1
    assert projected["maxResults"] == len(full) == 5
    rows = projected["Customer"]
    assert [r["Id"] for r in rows] == [f["Id"] for f in full]
    for row, whole in zip(rows, full, strict=True):
        assert set(row) == _ENVELOPE | {"DisplayName"}
        assert row["sparse"] is True
        assert row["domain"] == "QBO"
        assert (row["DisplayName"], row["SyncToken"]) == (whole["DisplayName"], whole["SyncToken"])


def test_field_names_are_case_insensitive_and_answered_in_the_schema_spelling(api: Api) -> None:
    rows = api.rows("select displayname, BALANCE from Customer where Active = true orderby Id maxresults 3")
    full = api.rows("SELECT * FROM Customer WHERE Active = true ORDERBY Id MAXRESULTS 3")
    assert len(rows) == 3
    for row, whole in zip(rows, full, strict=True):
        assert row["DisplayName"] == whole["DisplayName"]
        assert row["Balance"] == whole["Balance"]
        assert "displayname" not in row
        assert "BALANCE" not in row


def test_a_field_absent_from_a_row_is_left_out_like_any_null(api: Api) -> None:
    customer = api.create("Customer", {"DisplayName": "No Company Name"})
    rows = api.rows(f"SELECT CompanyName, DisplayName FROM Customer WHERE Id = '{customer['Id']}'")
    assert rows == [
        {
            "DisplayName": "No Company Name",
            "domain": "QBO",
            "sparse": True,
            "Id": customer["Id"],
            "SyncToken": customer["SyncToken"],
        }
    ]


def test_metadata_times_and_references_can_be_selected(api: Api) -> None:
    invoice = api.one("Invoice")
    rows = api.rows(
        f"SELECT MetaData.LastUpdatedTime, CustomerRef, TotalAmt FROM Invoice WHERE Id = '{invoice['Id']}'"
    )
    assert rows == [
        {
            "MetaData": {"LastUpdatedTime": invoice["MetaData"]["LastUpdatedTime"]},
            "CustomerRef": invoice["CustomerRef"],
            "TotalAmt": invoice["TotalAmt"],
            "domain": "QBO",
            "sparse": True,
            "Id": invoice["Id"],
            "SyncToken": invoice["SyncToken"],
        }
    ]


def test_account_balances_in_a_projection_are_those_of_whole_rows(api: Api) -> None:
    # CurrentBalance is not stored with the account: it is filled in from the ledger before projecting.
    full = api.rows("SELECT * FROM Account WHERE AccountType = 'Bank' ORDERBY Id")
    rows = api.rows("SELECT Name, CurrentBalance FROM Account WHERE AccountType = 'Bank' ORDERBY Id")
    assert [(r["Id"], r["Name"], r["CurrentBalance"]) for r in rows] == [
        (f["Id"], f["Name"], f["CurrentBalance"]) for f in full
    ]
    assert all(set(r) == _ENVELOPE | {"Name", "CurrentBalance"} for r in rows)


def test_paging_applies_to_a_projection_as_to_full_rows(api: Api) -> None:
    full = api.rows("SELECT * FROM Vendor ORDERBY DisplayName DESC STARTPOSITION 3 MAXRESULTS 4")
    rows = api.query("SELECT DisplayName FROM Vendor ORDERBY DisplayName DESC STARTPOSITION 3 MAXRESULTS 4")
    assert rows["startPosition"] == 3
    assert [(r["Id"], r["DisplayName"]) for r in rows["Vendor"]] == [
        (f["Id"], f["DisplayName"]) for f in full
    ]


def test_count_still_answers_a_total(api: Api) -> None:
    total = api.query("SELECT COUNT(*) FROM Customer")
    assert set(total) == {"totalCount"}
    assert total["totalCount"] == len(api.rows("SELECT Id FROM Customer MAXRESULTS 1000"))


def test_count_cannot_be_mixed_with_fields(api: Api) -> None:
    status, code, detail = _fault(api, "SELECT COUNT(*), Id FROM Customer")
    assert (status, code) == (400, "4000")
    assert detail == 'QueryParserError: Encountered " "," ", "" at line 1, column 16.'


def test_a_property_quickbooks_cannot_select_answers_4001(api: Api) -> None:
    for text, detail in [
        # Verbatim from QuickBooks: addresses are not selectable by name (only through `*`).
        ("SELECT Id, BillAddr FROM Customer", "Property BillAddr not found for Entity Customer"),
        ("SELECT Id, Name, ParentRef FROM Item", "Property ParentRef not found for Entity Item"),
        ("SELECT Id, InvoiceLink FROM Invoice", "Property InvoiceLink not found for Entity Invoice"),
        ("SELECT Nonsense FROM Vendor", "Property Nonsense not found for Entity Vendor"),
        ("SELECT *, Bogus FROM Item", "Property Bogus not found for Entity Item"),
        (
            "SELECT PrimaryEmailAddr.Address FROM Customer",
            "Property PrimaryEmailAddr.Address not found for Entity Customer",
        ),
    ]:
        status, code, got = _fault(api, text)
        assert (status, code, got) == (400, "4001", f"QueryValidationError: {detail}"), text


def test_a_projection_rides_inside_a_batch(api: Api) -> None:
    vendor = api.one("Vendor")
    answer = api.post(
        "batch",
        {
            "BatchItemRequest": [
                {"bId": "p", "Query": f"SELECT DisplayName FROM Vendor WHERE Id = '{vendor['Id']}'"},
                {"bId": "s", "Query": f"SELECT *, Sku FROM Vendor WHERE Id = '{vendor['Id']}'"},
                {"bId": "x", "Query": "SELECT ShipAddr FROM Customer"},
            ]
        },
    )
    assert answer.status_code == 200, answer.text
    items = {i["bId"]: i for i in answer.json()["BatchItemResponse"]}
    assert items["p"]["QueryResponse"]["Vendor"] == [
        {
            "DisplayName": vendor["DisplayName"],
            "domain": "QBO",
            "sparse": True,
            "Id": vendor["Id"],
            "SyncToken": vendor["SyncToken"],
        }
    ]
    # Sku is not a Vendor property: refused as QuickBooks refuses any unknown name.
    assert items["s"]["Fault"]["Error"][0]["code"] == "4001"
    assert items["x"]["Fault"]["Error"][0]["Detail"] == (
        "QueryValidationError: Property ShipAddr not found for Entity Customer"
    )


def test_change_data_capture_still_answers_full_entities(api: Api) -> None:
    since = (datetime.now(ZoneInfo("America/Los_Angeles")) - timedelta(minutes=1)).replace(microsecond=0)
    customer = api.create("Customer", {"DisplayName": "CDC After Projection", "CompanyName": "Acme"})
    api.rows(f"SELECT DisplayName FROM Customer WHERE Id = '{customer['Id']}'")
    answer = api.get("cdc", entities="Customer", changedSince=since.isoformat()).json()
    rows = answer["CDCResponse"][0]["QueryResponse"][0]["Customer"]
    mine = next(r for r in rows if r["Id"] == customer["Id"])
    assert mine["CompanyName"] == "Acme"
    assert mine["sparse"] is False
