"""The objects beyond the first 36, over real HTTP: CreditCardPayment (answered as CreditCardPaymentTxn),
RecurringTransaction (a template wrapped in its transaction type), InventoryAdjustment, and the
read-only CustomerType, ReimburseCharge and TaxPayment."""

from __future__ import annotations

from typing import Any

from qbo_sandbox.testing import RunningSandbox
from sandbox_harness import Api, fault_code


def _balance(api: Api, account_id: str) -> float:
    return float(api.read("Account", account_id)["CurrentBalance"])


def _accounts(api: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    bank = api.one("Account", "WHERE Name = 'Checking'")
    card = api.one("Account", "WHERE Name = 'Visa'")
    return bank, card


def test_loaded_objects_are_queried_and_read_as_qbo_answers_them(
    api: Api, qbo_sandbox: RunningSandbox
) -> None:
    bank, card = _accounts(api)
    customer = api.one("Customer", "WHERE Active = true")
    stamp = "2026-01-10T09:00:00-08:00"
    meta = {"CreateTime": stamp, "LastUpdatedTime": stamp}
    kinds = [
        ("CustomerType", {"Name": name, "Active": True, "MetaData": meta})
        for name in ("Wholesale", "Nonprofit")
    ]
    # The sample company holds a few of each already: what the load adds comes after them.
    held = {
        name: len(api.rows(f"SELECT * FROM {name}"))
        for name in ("CustomerType", "CreditCardPayment", "ReimburseCharge", "RecurringTransaction")
    }
    charge = {
        "CustomerRef": {"value": customer["Id"]},
        "HasBeenInvoiced": False,
        "Amount": 100.0,
        "TxnDate": "2026-01-10",
        "MetaData": meta,
        "Line": [
            {"Id": "1", "Amount": 100.0, "DetailType": "ReimburseLineDetail", "ReimburseLineDetail": {}}
        ],
    }
    payment = {
        "Amount": 75.0,
        "TxnDate": "2026-01-10",
        "MetaData": meta,
        "BankAccountRef": {"value": bank["Id"]},
        "CreditCardAccountRef": {"value": card["Id"]},
    }
    template = {
        "Transfer": {
            "Amount": 250.0,
            "FromAccountRef": {"value": bank["Id"]},
            "ToAccountRef": {"value": bank["Id"]},
            "MetaData": meta,
            "RecurringInfo": {"Name": "Weekly", "Active": True},
        }
    }
    counts = qbo_sandbox.sandbox.service.load(
        qbo_sandbox.realm,
        [
            *kinds,
            ("ReimburseCharge", charge),
            ("CreditCardPayment", payment),
            ("RecurringTransaction", template),
        ],
    )
    assert counts == {
        "CustomerType": 2,
        "ReimburseCharge": 1,
        "CreditCardPaymentTxn": 1,
        "RecurringTransaction": 1,
    }
    types = [t["Name"] for t in api.rows("SELECT * FROM CustomerType ORDERBY Id")]
    assert types[held["CustomerType"] :] == ["Wholesale", "Nonprofit"]
    # The query names it CreditCardPayment; the answer's key is CreditCardPaymentTxn, as QBO's.
    paid = api.query("SELECT * FROM CreditCardPayment ORDERBY Id")["CreditCardPaymentTxn"]
    assert [p["Amount"] for p in paid[held["CreditCardPayment"] :]] == [75.0]
    charges = api.rows("SELECT * FROM ReimburseCharge WHERE HasBeenInvoiced = false")
    assert len(charges) == held["ReimburseCharge"] + 1
    templates = api.rows("SELECT * FROM RecurringTransaction")
    assert len(templates) == held["RecurringTransaction"] + 1
    (loaded,) = [
        t for t in templates if (t.get("Transfer") or {}).get("RecurringInfo", {}).get("Name") == "Weekly"
    ]
    assert list(loaded) == ["Transfer"]
    assert loaded["Transfer"]["SyncToken"] == "0"
    assert loaded["Transfer"]["Id"].isdigit()
    assert api.read("RecurringTransaction", loaded["Transfer"]["Id"]) == loaded
    recent = api.rows(f"SELECT * FROM RecurringTransaction WHERE MetaData.LastUpdatedTime >= '{stamp}'")
    assert loaded in recent


def test_credit_card_payment_posts_and_is_written_read_updated_deleted(api: Api) -> None:
    bank, card = _accounts(api)
    bank_before, card_before = _balance(api, bank["Id"]), _balance(api, card["Id"])
    answer = api.post(
        "creditcardpayment",
        {
            "TxnDate": "2026-01-15",
            "Amount": "100",
            "BankAccountRef": {"value": bank["Id"]},
            "CreditCardAccountRef": {"value": card["Id"]},
            "PrivateNote": "This will fill in the memo field.",
        },
    )
    assert answer.status_code == 200, answer.text
    created = answer.json()["CreditCardPaymentTxn"]
    assert created["Amount"] == 100.0
    assert created["BankAccountRef"] == {"value": bank["Id"], "name": "Checking"}
    assert created["SyncToken"] == "0"
    # The card owes 100 less, the bank holds 100 less.
    assert _balance(api, card["Id"]) == round(card_before - 100, 2)
    assert _balance(api, bank["Id"]) == round(bank_before - 100, 2)

    read = api.get(f"creditcardpayment/{created['Id']}")
    assert read.status_code == 200
    assert read.json()["CreditCardPaymentTxn"] == created

    update = api.post(
        "creditcardpayment", {"Id": created["Id"], "SyncToken": "0", "sparse": True, "Amount": 40}
    )
    assert update.status_code == 200, update.text
    assert update.json()["CreditCardPaymentTxn"]["SyncToken"] == "1"
    assert _balance(api, bank["Id"]) == round(bank_before - 40, 2)

    gone = api.post("creditcardpayment", {"Id": created["Id"], "SyncToken": "1"}, operation="delete")
    assert gone.status_code == 200, gone.text
    assert gone.json()["CreditCardPaymentTxn"] == {"domain": "QBO", "status": "Deleted", "Id": created["Id"]}
    assert _balance(api, bank["Id"]) == bank_before
    assert _balance(api, card["Id"]) == card_before

    # A real client's CDC names it CreditCardPayment too.
    since = created["MetaData"]["CreateTime"]
    cdc = api.get("cdc", entities="CreditCardPayment", changedSince=since)
    assert cdc.status_code == 200, cdc.text
    rows = cdc.json()["CDCResponse"][0]["QueryResponse"][0]["CreditCardPaymentTxn"]
    assert [(r["Id"], r.get("status")) for r in rows] == [(created["Id"], "Deleted")]


def test_credit_card_payment_needs_its_accounts(api: Api) -> None:
    bank, _ = _accounts(api)
    answer = api.post("creditcardpayment", {"Amount": 10, "BankAccountRef": {"value": bank["Id"]}})
    assert answer.status_code == 400
    assert fault_code(answer) == "2020"
    assert "CreditCardAccountRef" in answer.text


def _invoice_template(api: Api, name: str) -> dict[str, Any]:
    customer = api.one("Customer", "WHERE Active = true")
    item = api.one("Item", "WHERE Type = 'Service'")
    return {
        "Invoice": {
            "CustomerRef": {"value": customer["Id"]},
            "Line": [
                {
                    "Amount": 55,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}, "Qty": 1, "UnitPrice": 55},
                }
            ],
            "RecurringInfo": {
                "Name": name,
                "RecurType": "Automated",
                "Active": True,
                "ScheduleInfo": {
                    "IntervalType": "Monthly",
                    "NumInterval": 1,
                    "DayOfMonth": 1,
                    "StartDate": "2026-09-01",
                },
            },
        }
    }


def test_recurring_transaction_is_wrapped_in_its_type_and_posts_nothing(api: Api) -> None:
    ar = api.one("Account", "WHERE AccountType = 'Accounts Receivable'")
    ar_before = _balance(api, ar["Id"])
    answer = api.post("recurringtransaction", _invoice_template(api, "RecurTemplate2"))
    assert answer.status_code == 200, answer.text
    wrapper = answer.json()["RecurringTransaction"]
    assert list(wrapper) == ["Invoice"]
    invoice = wrapper["Invoice"]
    assert invoice["TotalAmt"] == 55.0
    assert invoice["RecurringInfo"]["ScheduleInfo"]["DayOfMonth"] == 1
    assert invoice["CustomerRef"]["name"]
    assert "DocNumber" not in invoice
    assert "TxnDate" not in invoice
    assert invoice["RecurDataRef"]["value"]
    assert _balance(api, ar["Id"]) == ar_before  # a template is not a sale

    read = api.get(f"recurringtransaction/{invoice['Id']}")
    assert read.status_code == 200
    assert read.json()["RecurringTransaction"] == wrapper
    typed = api.rows("SELECT * FROM RecurringTransaction WHERE Type = 'Invoice'")
    assert {next(iter(t)) for t in typed} == {"Invoice"}
    assert invoice["Id"] in {t["Invoice"]["Id"] for t in typed}
    bills = api.rows("SELECT * FROM RecurringTransaction WHERE Type = 'Bill'")
    assert {next(iter(t)) for t in bills} <= {"Bill"}
    assert invoice["Id"] not in {t["Bill"]["Id"] for t in bills}

    changed = {
        "Invoice": {
            "Id": invoice["Id"],
            "SyncToken": "0",
            "sparse": True,
            "RecurringInfo": {
                **invoice["RecurringInfo"],
                "ScheduleInfo": {"IntervalType": "Monthly", "NumInterval": 1, "DayOfMonth": 15},
            },
        }
    }
    update = api.post("recurringtransaction", changed)
    assert update.status_code == 200, update.text
    updated = update.json()["RecurringTransaction"]["Invoice"]
    assert updated["SyncToken"] == "1"
    assert updated["RecurringInfo"]["ScheduleInfo"]["DayOfMonth"] == 15
    assert updated["Line"] == invoice["Line"]

    as_bill = api.post("recurringtransaction", {"Bill": {"Id": invoice["Id"], "SyncToken": "1"}})
    assert as_bill.status_code == 400
    assert "template of a Invoice" in as_bill.text

    gone = api.post(
        "recurringtransaction", {"Invoice": {"Id": invoice["Id"], "SyncToken": "1"}}, operation="delete"
    )
    assert gone.status_code == 200, gone.text
    assert gone.json()["RecurringTransaction"] == {
        "status": "Deleted",
        "domain": "QBO",
        "Invoice": {"Id": invoice["Id"]},
    }
    assert api.get(f"recurringtransaction/{invoice['Id']}").status_code == 400


def test_recurring_transaction_refusals(api: Api) -> None:
    body = _invoice_template(api, "No schedule")
    del body["Invoice"]["RecurringInfo"]
    answer = api.post("recurringtransaction", body)
    assert answer.status_code == 400
    assert fault_code(answer) == "2020"
    assert "RecurringInfo" in answer.text

    flat = api.post("recurringtransaction", {"CustomerRef": {"value": "1"}})
    assert flat.status_code == 400
    assert "Invoice" in flat.text

    first = api.post("recurringtransaction", _invoice_template(api, "Monthly maintenance"))
    assert first.status_code == 200, first.text
    taken = api.post("recurringtransaction", _invoice_template(api, "monthly MAINTENANCE"))
    assert taken.status_code == 400
    assert fault_code(taken) == "6240"

    cdc = api.get("cdc", entities="RecurringTransaction", changedSince="2026-01-01T00:00:00-08:00")
    assert cdc.status_code == 400


def test_inventory_adjustment_moves_the_asset_at_cost(api: Api) -> None:
    item = api.one("Item", "WHERE Type = 'Inventory'")
    asset = item["AssetAccountRef"]["value"]
    shrink = api.one("Account", "WHERE AccountType = 'Cost of Goods Sold'")
    before = _balance(api, asset)
    created = api.create(
        "InventoryAdjustment",
        {
            "TxnDate": "2026-01-20",
            "AdjustAccountRef": {"value": shrink["Id"]},
            "Line": [
                {
                    "DetailType": "ItemAdjustmentLineDetail",
                    "ItemAdjustmentLineDetail": {"QtyDiff": -2, "ItemRef": {"value": item["Id"]}},
                }
            ],
        },
    )
    assert created["DocNumber"].isdigit()
    assert _balance(api, asset) == round(before - 2 * float(item["PurchaseCost"]), 2)


def test_read_only_objects_refuse_writes_and_are_read(api: Api, qbo_sandbox: RunningSandbox) -> None:
    customer = api.one("Customer", "WHERE Active = true")
    qbo_sandbox.sandbox.service.load(
        qbo_sandbox.realm,
        [
            ("CustomerType", {"Name": "Commercial", "Active": True}),
            (
                "ReimburseCharge",
                {"CustomerRef": {"value": customer["Id"]}, "Amount": 5.0, "HasBeenInvoiced": False},
            ),
        ],
    )
    kind = api.one("CustomerType")
    read = api.get(f"customertype/{kind['Id']}")
    assert read.status_code == 200
    assert read.json()["CustomerType"] == kind
    for path, body in (
        ("customertype", {"Name": "Wholesale"}),
        ("reimbursecharge", {"CustomerRef": {"value": "1"}, "Amount": 1}),
        ("taxpayment", {"PaymentAmount": 10}),
    ):
        answer = api.post(path, body)
        assert answer.status_code == 400, path
        assert fault_code(answer) == "500", path
    charge = api.one("ReimburseCharge")
    assert api.read("ReimburseCharge", charge["Id"]) == charge

    # A company of the AU, CA or UK locales holds tax payments: loaded as QBO answered them.
    sandbox = qbo_sandbox.sandbox
    payment = {
        "Refund": False,
        "PaymentAccountRef": {
            "name": "Checking",
            "value": api.one("Account", "WHERE Name = 'Checking'")["Id"],
        },
        "PaymentAmount": 10.0,
        "PaymentDate": "2026-01-30",
        "Id": "8",
        "SyncToken": "0",
        "MetaData": {
            "CreateTime": "2026-01-30T06:00:26-08:00",
            "LastUpdatedTime": "2026-01-30T06:00:26-08:00",
        },
    }
    sandbox.service.load(qbo_sandbox.realm, [("TaxPayment", payment)])
    assert api.read("TaxPayment", "8")["PaymentAmount"] == 10.0
    assert api.rows("SELECT * FROM TaxPayment WHERE PaymentDate = '2026-01-30'")[0]["Id"] == "8"
