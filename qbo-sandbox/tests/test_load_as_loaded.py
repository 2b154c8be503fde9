"""``qbo-sandbox load`` keeps real records as loaded: references to objects not loaded, and balances.

Real records come as samples: an invoice or credit memo whose items and accounts are not in the
sample, accounts with their real CurrentBalance. The load is the CLI (a process of its own); the
company is then served over HTTP and read through the API.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from qbo_sandbox.testing import RunningSandbox, start_sandbox
from sandbox_harness import Api

REALM = "4620816365"
META = {"CreateTime": "2024-03-01T09:00:00-08:00", "LastUpdatedTime": "2024-03-02T10:00:00-08:00"}


def _account(id_: str, name: str, type_: str, sub: str, **more: Any) -> dict[str, Any]:
    return {
        "Account": {
            "Id": id_,
            "Name": name,
            "FullyQualifiedName": name,
            "AccountType": type_,
            "AccountSubType": sub,
            "Active": True,
            "SyncToken": "0",
            "MetaData": META,
            **more,
        }
    }


SAMPLE: list[dict[str, Any]] = [
    _account(
        "35",
        "Checking",
        "Bank",
        "Checking",
        Classification="Asset",
        CurrentBalance=2062.52,
        CurrentBalanceWithSubAccounts=2062.52,
    ),
    _account("7", "Advertising", "Expense", "AdvertisingPromotional", Classification="Expense"),
    _account("79", "Sales of Product Income", "Income", "SalesOfProductIncome", Classification="Revenue"),
    _account("84", "Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable"),
    {
        "Item": {
            "Id": "5",
            "Name": "Rock Fountain",
            "Type": "NonInventory",
            "IncomeAccountRef": {"value": "79", "name": "Sales of Product Income"},
            "SyncToken": "0",
            "MetaData": META,
        }
    },
    {
        "Customer": {
            "Id": "58",
            "DisplayName": "Sonnenschein Family Store",
            "Balance": 1234.5,
            "BalanceWithJobs": 1234.5,
            "SyncToken": "2",
            "MetaData": META,
        }
    },
    {  # Item 10 and Customer 3 are not in the sample
        "CreditMemo": {
            "Id": "73",
            "DocNumber": "1026",
            "TxnDate": "2024-03-02",
            "CustomerRef": {"value": "3", "name": "Cool Cars"},
            "Line": [
                {
                    "Id": "1",
                    "LineNum": 1,
                    "Amount": 90.0,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": "10", "name": "Pump"}, "Qty": 2},
                },
                {"Amount": 90.0, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}},
            ],
            "TotalAmt": 90.0,
            "RemainingCredit": 90.0,
            "Balance": 90.0,
            "SyncToken": "0",
            "MetaData": META,
        }
    },
    {  # line 1 posts (Item 5 and its income account are loaded), line 2's Item 11 is not loaded
        "Invoice": {
            "Id": "130",
            "DocNumber": "1035",
            "TxnDate": "2024-03-01",
            "CustomerRef": {"value": "58", "name": "Sonnenschein Family Store"},
            "Line": [
                {
                    "Id": "1",
                    "LineNum": 1,
                    "Amount": 100.0,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": "5"}, "Qty": 1, "UnitPrice": 100},
                },
                {
                    "Id": "2",
                    "LineNum": 2,
                    "Amount": 30.0,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": "11"}, "Qty": 1, "UnitPrice": 30},
                },
            ],
            "TotalAmt": 130.0,
            "Balance": 50.0,  # paid by a payment that is not in the sample
            "SyncToken": "3",
            "MetaData": META,
        }
    },
    {
        "Purchase": {
            "Id": "80",
            "TxnDate": "2024-03-01",
            "PaymentType": "Check",
            "AccountRef": {"value": "35", "name": "Checking"},
            "Line": [
                {
                    "Id": "1",
                    "Amount": 245.75,
                    "DetailType": "AccountBasedExpenseLineDetail",
                    "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "7"}},
                }
            ],
            "TotalAmt": 245.75,
            "SyncToken": "0",
            "MetaData": META,
        }
    },
]


def load(tmp_path: Path, *flags: str) -> tuple[Path, subprocess.CompletedProcess[str]]:
    sample = tmp_path / "sample.jsonl"
    sample.write_text("".join(json.dumps(doc) + "\n" for doc in SAMPLE))
    db = tmp_path / "books.db"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "qbo_sandbox.cli",
            "load",
            "--db",
            str(db),
            "--realm",
            REALM,
            *flags,
            str(sample),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return db, done


@contextmanager
def served(db: Path) -> Iterator[Api]:
    running: RunningSandbox = start_sandbox(template=db)
    with running:
        assert running.realm == REALM
        yield Api(running)


def given(entity: str, id_: str) -> dict[str, Any]:
    return next(doc[entity] for doc in SAMPLE if entity in doc and doc[entity]["Id"] == id_)


def assert_as_loaded(api: Api, entity: str, id_: str) -> None:
    read = api.read(entity, id_)
    payload = given(entity, id_)
    assert {k: read[k] for k in payload} == payload
    assert set(read) - set(payload) <= {"domain", "sparse", "CurrentBalanceWithSubAccounts", "CurrentBalance"}


def test_a_credit_memo_whose_item_is_not_loaded_is_loaded_as_given(tmp_path: Path) -> None:
    db, done = load(tmp_path)
    assert done.returncode == 0, done.stderr  # was: 6000 ... CreditMemo 73: Item 10 (Line 1) does not exist
    assert json.loads(done.stdout)["loaded"] == {
        "Account": 4,
        "Item": 1,
        "Customer": 1,
        "CreditMemo": 1,
        "Invoice": 1,
        "Purchase": 1,
    }
    notes = done.stderr.splitlines()
    assert "qbo-sandbox load: CreditMemo 73: Line 1 not posted: Item 10 (Line 1) does not exist" in notes[0]
    assert any("Invoice 130: Line 2 not posted: Item 11 (Line 2) does not exist" in n for n in notes)
    with served(db) as api:
        for entity, id_ in (("CreditMemo", "73"), ("Invoice", "130"), ("Customer", "58"), ("Item", "5")):
            assert_as_loaded(api, entity, id_)
        # The ledger posted what it could: the invoice's line 1 (100.00) to its income account and A/R.
        assert api.read("Account", "79")["CurrentBalance"] == 100.0
        assert api.read("Account", "84")["CurrentBalance"] == 100.0
        assert api.read("Account", "7")["CurrentBalance"] == 245.75


def test_a_loaded_current_balance_is_an_opening_figure_that_api_writes_move(tmp_path: Path) -> None:
    db, done = load(tmp_path)
    assert done.returncode == 0, done.stderr
    with served(db) as api:
        # was 1816.77: recomputed from the sandbox's ledger (the sample's purchase of 245.75)
        assert_as_loaded(api, "Account", "35")
        queried = api.rows("SELECT * FROM Account WHERE Id = '35'")[0]
        assert queried["CurrentBalance"] == 2062.52
        assert queried["CurrentBalanceWithSubAccounts"] == 2062.52
        # Balances of names and documents stand too: the invoice's payment is not in the sample.
        assert api.read("Invoice", "130")["Balance"] == 50.0
        assert api.read("Customer", "58")["Balance"] == 1234.5

        paid = api.create(
            "Purchase",
            {
                "PaymentType": "Check",
                "AccountRef": {"value": "35"},
                "Line": [
                    {
                        "Amount": 100.0,
                        "DetailType": "AccountBasedExpenseLineDetail",
                        "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "7"}},
                    }
                ],
            },
        )
        assert api.read("Account", "35")["CurrentBalance"] == 1962.52
        assert api.read("Account", "7")["CurrentBalance"] == 345.75
        gone = api.post("purchase", {"Id": paid["Id"], "SyncToken": paid["SyncToken"]}, operation="delete")
        assert gone.status_code == 200, gone.text
        assert api.read("Account", "35")["CurrentBalance"] == 2062.52


def test_recompute_balances_answers_what_the_loaded_records_give(tmp_path: Path) -> None:
    db, done = load(tmp_path, "--recompute-balances")
    assert done.returncode == 0, done.stderr
    with served(db) as api:
        checking = api.read("Account", "35")
        assert (checking["CurrentBalance"], checking["CurrentBalanceWithSubAccounts"]) == (-245.75, -245.75)
        assert api.read("Invoice", "130")["Balance"] == 130.0
        customer = api.read("Customer", "58")
        assert (customer["Balance"], customer["BalanceWithJobs"]) == (130.0, 130.0)
        assert api.read("CreditMemo", "73")["Balance"] == 90.0  # credit memos keep theirs
