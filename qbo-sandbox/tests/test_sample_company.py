"""The generated sample company: deterministic, complete, shaped like QBO, and its books add up."""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qbo_client import catalog
from qbo_client.references import reference_target
from qbo_sandbox.sample_company import DEFAULT_SIZE, MIN_SIZE, TXN_WEIGHTS, generate
from qbo_sandbox.store import unwrap
from shared import fixtures_dir

NOW = datetime(2025, 6, 15, 10, 30, 12, tzinfo=timezone(timedelta(hours=-7)))
PACIFIC = timezone(timedelta(hours=-8))
#: Not in the sample: a TaxPayment is a payment against a filed tax return of an AU, CA or UK
#: company; the sample is a US company, whose sales tax is paid as QuickBooks US records it (not a
#: TaxPayment), so it holds none (test_more_entities.py loads one).
NOT_IN_SAMPLE = frozenset(("TaxPayment",))
TRANSACTIONS = {
    spec.name for spec in catalog.OBJECTS if spec.is_transaction and spec.name not in NOT_IN_SAMPLE
}
#: The transaction types the default company holds a few of (five), not a dozen.
FEW = ("CreditCardPaymentTxn", "InventoryAdjustment", "ReimburseCharge")
SALES_FORMS = ("Invoice", "Estimate", "SalesReceipt", "CreditMemo", "RefundReceipt")
UNIQUE_DOC_NUMBERS = ("Invoice", "Estimate", "SalesReceipt", "CreditMemo", "RefundReceipt", "PurchaseOrder")
# a bill's LinkedTxn names the kind of bill payment that paid it
LINK_TYPES = {"BillPaymentCheck": "BillPayment", "BillPaymentCreditCard": "BillPayment"}
#: Links QBO shows on both sides: payments on what they pay, estimates and orders on what they became.
RECIPROCAL = {
    ("Payment", "Invoice"),
    ("Invoice", "Payment"),
    ("BillPayment", "Bill"),
    ("Bill", "BillPayment"),
    ("Estimate", "Invoice"),
    ("Invoice", "Estimate"),
    ("PurchaseOrder", "Bill"),
    ("Bill", "PurchaseOrder"),
}

Rows = list[tuple[str, dict[str, Any]]]


@pytest.fixture(scope="module")
def now() -> datetime:
    return NOW


@pytest.fixture(scope="module")
def company(now: datetime) -> Rows:
    return list(generate(seed=7, now=now))


@pytest.fixture(scope="module")
def by_type(company: Rows) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for name, payload in company:
        out[name].append(payload)
    return out


@pytest.fixture(scope="module")
def by_id(company: Rows) -> dict[tuple[str, str], dict[str, Any]]:
    return {(name, p["Id"]): p for name, p in company if "Id" in p}


def cents(value: float) -> int:
    return round(value * 100)


def digest(rows: Rows) -> str:
    return hashlib.sha256(json.dumps(rows, sort_keys=False).encode()).hexdigest()


def inner(name: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The object itself: a RecurringTransaction's template (``{"Invoice": {...}}``), else the payload."""
    return unwrap(catalog.get(name), payload)


def created(payload: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(payload["MetaData"]["CreateTime"])


def display_name(payload: dict[str, Any]) -> str:
    """The name a reference to this object carries."""
    return str(payload.get("FullyQualifiedName") or payload.get("DisplayName") or payload.get("Name"))


def references(value: Any, parent: dict[str, Any] | None = None) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(property, reference, the object holding it) for every ``...Ref`` with a ``value``, at any depth."""
    if isinstance(value, list):
        for item in value:
            yield from references(item, parent)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key.endswith("Ref") and isinstance(item, dict) and "value" in item:
                yield key, item, value
            else:
                yield from references(item, value)


def nulls(value: Any, path: str) -> Iterator[str]:
    if value is None:
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from nulls(item, f"{path}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from nulls(item, f"{path}[{n}]")


# -- determinism --------------------------------------------------------------------------------


def test_same_seed_size_and_now_give_identical_output(company: Rows) -> None:
    assert digest(list(generate(seed=7, now=NOW))) == digest(company)


def test_a_different_seed_gives_a_different_company(company: Rows) -> None:
    assert digest(list(generate(seed=8, now=NOW))) != digest(company)


def test_output_does_not_depend_on_hash_randomisation() -> None:
    code = (
        "import hashlib, json, sys\n"
        "from datetime import datetime\n"
        "from qbo_sandbox.sample_company import generate\n"
        f"rows = list(generate(seed=3, size=300, now=datetime.fromisoformat({NOW.isoformat()!r})))\n"
        "print(hashlib.sha256(json.dumps(rows).encode()).hexdigest())\n"
    )
    seen = set()
    for hash_seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        result = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        seen.add(result.stdout.strip())
    seen.add(digest(list(generate(seed=3, size=300, now=NOW))))
    assert len(seen) == 1


def test_a_naive_now_is_taken_as_company_time() -> None:
    aware = NOW.astimezone(PACIFIC)
    naive = aware.replace(tzinfo=None)
    assert digest(list(generate(seed=2, size=100, now=naive))) == digest(
        list(generate(seed=2, size=100, now=aware))
    )


# -- completeness and size ----------------------------------------------------------------------


def test_every_catalog_object_has_at_least_one_record(by_type: dict[str, list[dict[str, Any]]]) -> None:
    held = set(catalog.names()) - NOT_IN_SAMPLE
    assert set(by_type) == held
    assert all(by_type[name] for name in held)


def test_default_company_has_the_default_number_of_transactions_and_a_dozen_of_each(
    by_type: dict[str, list[dict[str, Any]]],
) -> None:
    counts = {name: len(by_type[name]) for name in TRANSACTIONS}
    assert sum(counts.values()) == DEFAULT_SIZE
    assert min(n for name, n in counts.items() if name not in FEW) >= 12, counts
    assert min(counts[name] for name in FEW) >= 5, counts


def test_size_is_the_number_of_transactions_and_name_lists_grow_with_it() -> None:
    rows = list(generate(seed=1, size=5000, now=NOW))
    counts = Counter(name for name, _ in rows)
    assert sum(counts[name] for name in TRANSACTIONS) == 5000
    assert counts["Customer"] >= 100
    assert counts["Vendor"] >= 50
    for name, weight in TXN_WEIGHTS:
        assert abs(counts[name] - 5000 * weight / 100) <= 1, name


def test_the_smallest_company_still_has_every_transaction_type() -> None:
    assert len(TRANSACTIONS) == MIN_SIZE == 18
    counts = Counter(name for name, _ in generate(seed=1, size=18, now=NOW))
    assert all(counts[name] == 1 for name in TRANSACTIONS), counts
    with pytest.raises(ValueError, match="at least"):
        generate(seed=1, size=17, now=NOW)  # at the call, before any iteration


# -- envelope, Ids, MetaData --------------------------------------------------------------------


def test_every_payload_has_the_qbo_envelope_and_no_null_property(company: Rows) -> None:
    for name, wrapper in company:
        p = inner(name, wrapper)
        assert p["SyncToken"] == "0", name
        assert p["domain"] == "QBO", name
        assert p["sparse"] is False, name
        assert set(p["MetaData"]) == {"CreateTime", "LastUpdatedTime"}, name
        assert ("Id" in p) == catalog.get(name).has_id, name
        assert not list(nulls(p, name))


def test_ids_are_numeric_counting_from_one_per_type_and_transactions_share_one_sequence(
    by_type: dict[str, list[dict[str, Any]]],
) -> None:
    txn_ids: list[int] = []
    for name, rows in by_type.items():
        if not catalog.get(name).has_id:
            continue
        ids = [inner(name, p)["Id"] for p in rows]
        assert all(isinstance(i, str) and i.isdigit() for i in ids), name
        assert len(set(ids)) == len(ids), name
        if name in TRANSACTIONS:
            txn_ids += map(int, ids)
        else:
            assert sorted(map(int, ids)) == list(range(1, len(ids) + 1)), name
    assert sorted(txn_ids) == list(range(1, len(txn_ids) + 1))


def test_transaction_ids_follow_the_order_of_creation(by_type: dict[str, list[dict[str, Any]]]) -> None:
    txns = sorted((int(p["Id"]), p["MetaData"]["CreateTime"]) for name in TRANSACTIONS for p in by_type[name])
    times = [datetime.fromisoformat(t) for _, t in txns]
    assert times == sorted(times)


def test_metadata_times_have_the_company_offset_and_lie_in_the_year_before_now(
    company: Rows, now: datetime
) -> None:
    for name, wrapper in company:
        p = inner(name, wrapper)
        created = datetime.fromisoformat(p["MetaData"]["CreateTime"])
        updated = datetime.fromisoformat(p["MetaData"]["LastUpdatedTime"])
        assert created.utcoffset() == timedelta(hours=-8), name
        assert now - timedelta(days=366) <= created <= updated <= now, (name, p.get("Id"))


def test_transaction_dates_lie_in_the_year_and_on_the_day_they_were_entered(
    by_type: dict[str, list[dict[str, Any]]], now: datetime
) -> None:
    today = now.astimezone(PACIFIC).date()
    for name in TRANSACTIONS:
        for p in by_type[name]:
            assert p["MetaData"]["CreateTime"][:10] == p["TxnDate"], (name, p["Id"])
            assert today - timedelta(days=365) < datetime.fromisoformat(p["TxnDate"]).date() <= today


def test_the_last_days_hold_changes_for_change_data_capture(company: Rows) -> None:
    since = NOW - timedelta(days=3)
    changed = Counter(
        name
        for name, p in company
        if datetime.fromisoformat(inner(name, p)["MetaData"]["LastUpdatedTime"]) >= since
    )
    assert sum(changed.values()) >= 15, changed
    for name in ("Customer", "Vendor", "Item", "Invoice"):
        assert changed[name] >= 1, changed
    assert len(changed) >= 8, changed


def test_the_catalogs_required_fields_are_on_every_payload(company: Rows) -> None:
    for name, p in company:
        for group in catalog.get(name).required:
            if name == "TaxCode":
                # "TaxCode" names the tax code in a TaxService create request; the entity has Name
                assert p["Name"]
                continue
            assert any(key in p for key in group), (name, group)


# -- references and links -----------------------------------------------------------------------


def test_every_reference_points_to_an_earlier_active_object_of_the_right_type_and_name(company: Rows) -> None:
    position: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
    currencies = {"USD": "United States Dollar"}
    for n, (name, wrapper) in enumerate(company):
        p = inner(name, wrapper)
        if name == "CompanyCurrency":
            currencies[p["Code"]] = p["Name"]
        for key, ref, holder in references(p):
            if key == "CurrencyRef":
                assert currencies.get(ref["value"]) == ref["name"], (name, ref)
                continue
            if key.endswith("TaxCodeRef") and ref["value"] in ("TAX", "NON"):
                # US companies put the pseudo codes TAX and NON on lines, not a TaxCode's Id
                assert key == "TaxCodeRef", (name, key)
                assert "name" not in ref, (name, key)
                continue
            if key == "RecurDataRef":
                # a template's own schedule: the RecurringTransaction itself
                assert ref == {"value": p["Id"]}, (name, p["Id"])
                continue
            if key == "EntityRef":
                target = ref.get("type") or holder.get("Type")
            elif key.endswith("TaxCodeRef"):
                target = "TaxCode"
            else:
                target = reference_target(key, name)
            assert target, f"{name}: {key} is not a known reference"
            found = position.get((target, ref["value"]))
            assert found is not None, (name, p.get("Id"), key, ref)
            assert found[0] < n, (name, p.get("Id"), key, ref)
            if "name" in ref:
                assert ref["name"] == display_name(found[1]), (name, key, ref)
            # in life an object exists before it is used, and QBO refuses references to inactive ones (610)
            assert created(found[1]) <= created(p), (name, p.get("Id"), key, ref)
            assert found[1].get("Active", True), (name, p.get("Id"), key, ref)
        if "Id" in p:
            position[(name, p["Id"])] = (n, p)


def test_linked_transactions_exist_and_link_back(
    by_id: dict[tuple[str, str], dict[str, Any]], company: Rows
) -> None:
    def links(payload: dict[str, Any]) -> Iterator[tuple[str, str]]:
        for holder in [payload, *payload.get("Line", [])]:
            for link in holder.get("LinkedTxn", []):
                yield LINK_TYPES.get(link["TxnType"], link["TxnType"]), link["TxnId"]

    for name, p in company:
        for target_type, target_id in links(p):
            target = by_id.get((target_type, target_id))
            assert target is not None, (name, p["Id"], target_type, target_id)
            if (name, target_type) in RECIPROCAL:
                assert (name, p["Id"]) in set(links(target)), (name, p["Id"], target_type, target_id)


def test_attachables_are_linked_to_transactions_or_vendors(
    by_type: dict[str, list[dict[str, Any]]], by_id: dict[tuple[str, str], dict[str, Any]]
) -> None:
    for p in by_type["Attachable"]:
        assert p.get("FileName") or p.get("Note")
        for ref in p["AttachableRef"]:
            entity = ref["EntityRef"]
            assert (entity["type"], entity["value"]) in by_id


# -- the books add up ---------------------------------------------------------------------------


def test_line_amounts_are_quantity_times_price(company: Rows) -> None:
    for name, p in company:
        for line in p.get("Line", []):
            detail = line.get("SalesItemLineDetail") or line.get("ItemBasedExpenseLineDetail")
            if detail is not None:
                assert cents(line["Amount"]) == round(detail["Qty"] * detail["UnitPrice"] * 100), (
                    name,
                    p["Id"],
                )


def test_sales_form_totals_are_the_lines_less_discount_plus_tax(
    by_type: dict[str, list[dict[str, Any]]],
) -> None:
    for name in SALES_FORMS:
        for p in by_type[name]:
            items = sum(cents(x["Amount"]) for x in p["Line"] if x["DetailType"] == "SalesItemLineDetail")
            subtotal = [cents(x["Amount"]) for x in p["Line"] if x["DetailType"] == "SubTotalLineDetail"]
            discount = sum(cents(x["Amount"]) for x in p["Line"] if x["DetailType"] == "DiscountLineDetail")
            tax = p["TxnTaxDetail"]
            assert subtotal == [items], (name, p["Id"])
            assert cents(tax["TotalTax"]) == sum(cents(x["Amount"]) for x in tax.get("TaxLine", []))
            assert cents(p["TotalAmt"]) == items - discount + cents(tax["TotalTax"]), (name, p["Id"])


def test_tax_is_each_rate_applied_to_the_taxable_lines(by_type: dict[str, list[dict[str, Any]]]) -> None:
    for name in SALES_FORMS:
        for p in by_type[name]:
            taxable = sum(
                cents(x["Amount"])
                for x in p["Line"]
                if x["DetailType"] == "SalesItemLineDetail"
                and x["SalesItemLineDetail"]["TaxCodeRef"]["value"] == "TAX"
            )
            for line in p["TxnTaxDetail"].get("TaxLine", []):
                detail = line["TaxLineDetail"]
                assert cents(detail["NetAmountTaxable"]) == taxable
                assert abs(cents(line["Amount"]) - taxable * detail["TaxPercent"] / 100) <= 0.5


def test_payments_never_exceed_what_the_invoices_owe_and_balances_match(
    by_type: dict[str, list[dict[str, Any]]],
    by_id: dict[tuple[str, str], dict[str, Any]],
) -> None:
    paid: Counter[str] = Counter()
    for p in by_type["Payment"]:
        applied = 0
        for line in p["Line"]:
            assert cents(line["Amount"]) > 0
            (link,) = line["LinkedTxn"]
            invoice = by_id[("Invoice", link["TxnId"])]
            assert invoice["CustomerRef"] == p["CustomerRef"]
            assert invoice["CurrencyRef"] == p["CurrencyRef"]
            assert invoice["TxnDate"] <= p["TxnDate"]
            paid[link["TxnId"]] += cents(line["Amount"])
            applied += cents(line["Amount"])
        assert cents(p["TotalAmt"]) == applied + cents(p["UnappliedAmt"])
    for invoice in by_type["Invoice"]:
        owed = cents(invoice["TotalAmt"])
        assert paid[invoice["Id"]] <= owed
        assert cents(invoice["Balance"]) == owed - paid[invoice["Id"]], invoice["Id"]


def test_bill_payments_never_exceed_what_the_bills_owe_and_balances_match(
    by_type: dict[str, list[dict[str, Any]]],
    by_id: dict[tuple[str, str], dict[str, Any]],
) -> None:
    paid: Counter[str] = Counter()
    for p in by_type["BillPayment"]:
        assert p["PayType"] in ("Check", "CreditCard")
        account = (
            p["CheckPayment"]["BankAccountRef"]
            if p["PayType"] == "Check"
            else p["CreditCardPayment"]["CCAccountRef"]
        )
        assert by_id[("Account", account["value"])]["AccountType"] == (
            "Bank" if p["PayType"] == "Check" else "Credit Card"
        )
        total = 0
        for line in p["Line"]:
            (link,) = line["LinkedTxn"]
            bill = by_id[("Bill", link["TxnId"])]
            assert bill["VendorRef"] == p["VendorRef"]
            assert bill["TxnDate"] <= p["TxnDate"]
            paid[link["TxnId"]] += cents(line["Amount"])
            total += cents(line["Amount"])
        assert cents(p["TotalAmt"]) == total
    for bill in by_type["Bill"]:
        assert cents(bill["TotalAmt"]) == sum(cents(x["Amount"]) for x in bill["Line"])
        assert cents(bill["Balance"]) == cents(bill["TotalAmt"]) - paid[bill["Id"]] >= 0


def test_deposits_move_undeposited_payments_and_receipts_once(
    by_type: dict[str, list[dict[str, Any]]],
    by_id: dict[tuple[str, str], dict[str, Any]],
) -> None:
    undeposited = next(a["Id"] for a in by_type["Account"] if a["AccountSubType"] == "UndepositedFunds")
    seen: set[tuple[str, str]] = set()
    for deposit in by_type["Deposit"]:
        assert by_id[("Account", deposit["DepositToAccountRef"]["value"])]["AccountType"] == "Bank"
        assert cents(deposit["TotalAmt"]) == sum(cents(x["Amount"]) for x in deposit["Line"])
        for line in deposit["Line"]:
            (link,) = line["LinkedTxn"]
            key = (link["TxnType"], link["TxnId"])
            assert key[0] in ("Payment", "SalesReceipt")
            assert key not in seen
            seen.add(key)
            source = by_id[key]
            assert source["DepositToAccountRef"]["value"] == undeposited
            assert cents(line["Amount"]) == cents(source["TotalAmt"])
            assert source["TxnDate"] <= deposit["TxnDate"]


def test_journal_entries_balance(by_type: dict[str, list[dict[str, Any]]]) -> None:
    for p in by_type["JournalEntry"]:
        sides: Counter[str] = Counter()
        for line in p["Line"]:
            sides[line["JournalEntryLineDetail"]["PostingType"]] += cents(line["Amount"])
        assert sides["Debit"] == sides["Credit"] > 0, p["Id"]


def test_purchase_documents_total_their_lines(by_type: dict[str, list[dict[str, Any]]]) -> None:
    for name in ("Purchase", "PurchaseOrder", "VendorCredit"):
        for p in by_type[name]:
            assert cents(p["TotalAmt"]) == sum(cents(x["Amount"]) for x in p["Line"]), (name, p["Id"])


def test_doc_numbers_are_unique_per_type(by_type: dict[str, list[dict[str, Any]]]) -> None:
    for name in UNIQUE_DOC_NUMBERS:
        numbers = [p["DocNumber"] for p in by_type[name]]
        assert len(set(numbers)) == len(numbers) == len(by_type[name]), name


def test_tax_returns_sum_the_tax_of_their_quarter(by_type: dict[str, list[dict[str, Any]]]) -> None:
    agencies = {a["Id"] for a in by_type["TaxAgency"]}
    due: Counter[tuple[str, str, str]] = Counter()
    rates = {r["Id"]: r["AgencyRef"]["value"] for r in by_type["TaxRate"]}
    for name, sign in (("Invoice", 1), ("SalesReceipt", 1), ("CreditMemo", -1), ("RefundReceipt", -1)):
        for p in by_type[name]:
            for line in p["TxnTaxDetail"].get("TaxLine", []):
                agency = rates[line["TaxLineDetail"]["TaxRateRef"]["value"]]
                for ret in by_type["TaxReturn"]:
                    if (
                        ret["AgencyRef"]["value"] == agency
                        and ret["StartDate"] <= p["TxnDate"] <= ret["EndDate"]
                    ):
                        due[(agency, ret["StartDate"], ret["EndDate"])] += sign * cents(line["Amount"])
    for ret in by_type["TaxReturn"]:
        assert ret["AgencyRef"]["value"] in agencies
        key = (ret["AgencyRef"]["value"], ret["StartDate"], ret["EndDate"])
        assert cents(ret["NetTaxAmountDue"]) == max(0, due[key])
    assert any(not r["UpcomingFiling"] for r in by_type["TaxReturn"])


def test_the_default_company_shows_every_variety(
    company: Rows, by_type: dict[str, list[dict[str, Any]]]
) -> None:
    """What a tiny company may lack but the default one has, so tests built on it find each case."""
    links = {
        (name, LINK_TYPES.get(link["TxnType"], link["TxnType"]))
        for name, p in company
        for holder in [p, *p.get("Line", [])]
        for link in holder.get("LinkedTxn", [])
    }
    assert links == RECIPROCAL | {("Deposit", "Payment"), ("Deposit", "SalesReceipt")}
    referenced = {reference_target(key, name) for name, p in company for key, _, _ in references(p)} - {None}
    assert len(referenced) >= 12, referenced
    balances = [cents(p["Balance"]) for p in by_type["Invoice"]]
    assert balances.count(0) > len(balances) / 2  # most invoices paid...
    assert any(
        0 < b < cents(p["TotalAmt"]) for b, p in zip(balances, by_type["Invoice"], strict=True)
    )  # ...some in part
    assert any(
        b == cents(p["TotalAmt"]) for b, p in zip(balances, by_type["Invoice"], strict=True)
    )  # ...the latest not yet
    assert any(p["CurrencyRef"]["value"] == "EUR" for p in by_type["Invoice"])
    assert any(x["DetailType"] == "DiscountLineDetail" for p in by_type["Invoice"] for x in p["Line"])
    assert any(len(p["Line"]) > 1 for p in by_type["Payment"])  # one check for several invoices
    assert sum(bool(p["TxnTaxDetail"].get("TaxLine")) for name in SALES_FORMS for p in by_type[name]) > 20
    assert {p["TxnTaxDetail"].get("TxnTaxCodeRef", {}).get("name") for p in by_type["Invoice"]} >= {
        "California",
        "Tucson",
    }
    assert {p["PaymentType"] for p in by_type["Purchase"]} == {"Cash", "Check", "CreditCard"}
    assert {p["PayType"] for p in by_type["BillPayment"]} == {"Check", "CreditCard"}
    assert {p["POStatus"] for p in by_type["PurchaseOrder"]} == {"Open", "Closed"}
    assert {p["TxnStatus"] for p in by_type["Estimate"]} == {"Closed", "Accepted", "Pending", "Rejected"}
    assert {p["NameOf"] for p in by_type["TimeActivity"]} == {"Employee", "Vendor"}
    assert any("ClassRef" in p for p in by_type["Invoice"])
    assert any("DepartmentRef" in p for p in by_type["Invoice"])
    assert any("CustomerRef" not in p for p in by_type["SalesReceipt"])  # a walk-in sale
    assert {r["AttachableRef"][0]["EntityRef"]["type"] for r in by_type["Attachable"]} >= {
        "Invoice",
        "Vendor",
    }


#: Checks that hold for any seed, size and time, not only for the default company.
INVARIANTS = (
    "test_every_payload_has_the_qbo_envelope_and_no_null_property",
    "test_ids_are_numeric_counting_from_one_per_type_and_transactions_share_one_sequence",
    "test_transaction_ids_follow_the_order_of_creation",
    "test_metadata_times_have_the_company_offset_and_lie_in_the_year_before_now",
    "test_transaction_dates_lie_in_the_year_and_on_the_day_they_were_entered",
    "test_the_catalogs_required_fields_are_on_every_payload",
    "test_every_reference_points_to_an_earlier_active_object_of_the_right_type_and_name",
    "test_linked_transactions_exist_and_link_back",
    "test_attachables_are_linked_to_transactions_or_vendors",
    "test_line_amounts_are_quantity_times_price",
    "test_sales_form_totals_are_the_lines_less_discount_plus_tax",
    "test_tax_is_each_rate_applied_to_the_taxable_lines",
    "test_payments_never_exceed_what_the_invoices_owe_and_balances_match",
    "test_bill_payments_never_exceed_what_the_bills_owe_and_balances_match",
    "test_deposits_move_undeposited_payments_and_receipts_once",
    "test_journal_entries_balance",
    "test_purchase_documents_total_their_lines",
    "test_doc_numbers_are_unique_per_type",
    "test_tax_returns_sum_the_tax_of_their_quarter",
    "test_customer_balances_are_what_they_owe",
    "test_foreign_currency_invoices_use_the_weeks_exchange_rate",
    "test_estimates_that_were_accepted_became_invoices",
    "test_time_activities_name_who_worked_for_whom",
    "test_customer_vendor_and_employee_names_share_one_name_space",
    "test_chart_of_accounts_has_the_accounts_a_small_business_needs",
    "test_items_of_every_type_point_at_suitable_accounts",
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32),
    size=st.integers(18, 1500),
    local=st.datetimes(datetime(2021, 1, 1), datetime(2030, 12, 31)),
    zone=st.sampled_from([PACIFIC, timezone.utc, timezone(timedelta(hours=5, minutes=30)), None]),
)
def test_the_books_add_up_for_any_seed_size_and_now(
    seed: int, size: int, local: datetime, zone: timezone | None
) -> None:
    now = local.replace(tzinfo=zone, microsecond=0)
    rows = list(generate(seed=seed, size=size, now=now))
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for name, payload in rows:
        by_type[name].append(payload)
    fixtures = {
        "company": rows,
        "by_type": by_type,
        "by_id": {(name, p["Id"]): p for name, p in rows if "Id" in p},
        "now": now if zone is not None else now.replace(tzinfo=PACIFIC),  # naive: company time
    }
    for check in INVARIANTS:
        test = globals()[check]
        test(*(fixtures[arg] for arg in inspect.signature(test).parameters))


# -- lists look like a real company's -----------------------------------------------------------


def test_chart_of_accounts_has_the_accounts_a_small_business_needs(
    by_type: dict[str, list[dict[str, Any]]],
    by_id: dict[tuple[str, str], dict[str, Any]],
) -> None:
    accounts = by_type["Account"]
    kinds = {(a["AccountType"], a["AccountSubType"]) for a in accounts}
    for wanted in [
        ("Bank", "Checking"),
        ("Bank", "Savings"),
        ("Accounts Receivable", "AccountsReceivable"),
        ("Other Current Asset", "UndepositedFunds"),
        ("Other Current Asset", "Inventory"),
        ("Accounts Payable", "AccountsPayable"),
        ("Credit Card", "CreditCard"),
        ("Other Current Liability", "GlobalTaxPayable"),
        ("Equity", "OpeningBalanceEquity"),
        ("Equity", "RetainedEarnings"),
        ("Income", "SalesOfProductIncome"),
        ("Cost of Goods Sold", "SuppliesMaterialsCogs"),
    ]:
        assert wanted in kinds, wanted
    types = Counter(a["AccountType"] for a in accounts)
    assert types["Expense"] >= 12
    assert types["Income"] >= 4
    assert types["Fixed Asset"]
    assert types["Long Term Liability"]
    assert types["Other Income"]
    assert types["Other Expense"]
    for a in accounts:
        for key in (
            "Name",
            "FullyQualifiedName",
            "AccountType",
            "AccountSubType",
            "Classification",
            "Active",
            "CurrencyRef",
        ):
            assert key in a, (a["Name"], key)
        assert a["CurrentBalance"] == 0
        if a["SubAccount"]:
            parent = by_id[("Account", a["ParentRef"]["value"])]
            assert a["FullyQualifiedName"] == f"{parent['FullyQualifiedName']}:{a['Name']}"
        else:
            assert "ParentRef" not in a
            assert a["FullyQualifiedName"] == a["Name"]
    assert sum(a["SubAccount"] for a in accounts) >= 5


def test_items_of_every_type_point_at_suitable_accounts(
    by_type: dict[str, list[dict[str, Any]]],
    by_id: dict[tuple[str, str], dict[str, Any]],
) -> None:
    items = by_type["Item"]
    assert {i["Type"] for i in items} == {"Service", "NonInventory", "Inventory", "Category", "Group"}
    for item in items:
        if item["Type"] == "Inventory":
            for key in (
                "QtyOnHand",
                "InvStartDate",
                "AssetAccountRef",
                "IncomeAccountRef",
                "PurchaseCost",
                "UnitPrice",
            ):
                assert key in item, (item["Name"], key)
            assert item["QtyOnHand"] >= 0
            assert (
                by_id[("Account", item["ExpenseAccountRef"]["value"])]["AccountType"] == "Cost of Goods Sold"
            )
            assert by_id[("Account", item["AssetAccountRef"]["value"])]["AccountSubType"] == "Inventory"
        if item["Type"] in ("Service", "NonInventory", "Inventory"):
            assert by_id[("Account", item["IncomeAccountRef"]["value"])]["Classification"] == "Revenue"
        if item["Type"] == "Group":
            assert item["ItemGroupDetail"]["ItemGroupLine"]
        if item.get("ParentRef"):
            assert item["FullyQualifiedName"].endswith(f":{item['Name']}")


def test_some_name_list_rows_are_inactive_and_renamed_as_deleted(
    by_type: dict[str, list[dict[str, Any]]],
) -> None:
    for name in ("Account", "Customer", "Vendor", "Employee", "Item", "Class", "Department"):
        rows = by_type[name]
        inactive = [p for p in rows if not p["Active"]]
        assert inactive, name
        for p in rows:
            shown = p.get("DisplayName") or p["Name"]
            assert shown.endswith(" (deleted)") == (not p["Active"]), (name, shown)


def test_customer_vendor_and_employee_names_share_one_name_space(
    by_type: dict[str, list[dict[str, Any]]],
) -> None:
    names = [p["DisplayName"] for kind in ("Customer", "Vendor", "Employee") for p in by_type[kind]]
    assert len(set(names)) == len(names)
    jobs = [c for c in by_type["Customer"] if c["Job"]]
    assert jobs
    assert all(c["FullyQualifiedName"].endswith(f":{c['DisplayName']}") for c in jobs)


def test_customer_balances_are_what_they_owe(by_type: dict[str, list[dict[str, Any]]]) -> None:
    owed: Counter[str] = Counter()
    for invoice in by_type["Invoice"]:
        owed[invoice["CustomerRef"]["value"]] += cents(invoice["Balance"])
    for memo in by_type["CreditMemo"]:
        owed[memo["CustomerRef"]["value"]] -= cents(memo["Balance"])
    for payment in by_type["Payment"]:
        owed[payment["CustomerRef"]["value"]] -= cents(payment["UnappliedAmt"])
    for customer in by_type["Customer"]:
        assert cents(customer["Balance"]) == owed[customer["Id"]], customer["DisplayName"]


def test_foreign_currency_invoices_use_the_weeks_exchange_rate(
    by_type: dict[str, list[dict[str, Any]]],
) -> None:
    assert [c["Code"] for c in by_type["CompanyCurrency"]] == ["EUR"]
    rows = sorted((r["AsOfDate"], r["Rate"]) for r in by_type["ExchangeRate"])
    assert all(
        r["SourceCurrencyCode"] == "EUR" and r["TargetCurrencyCode"] == "USD" for r in by_type["ExchangeRate"]
    )
    assert len(rows) >= 50
    for p in by_type["Invoice"]:
        if p["CurrencyRef"]["value"] != "EUR":
            continue
        rate = [r for d, r in rows if d <= p["TxnDate"]][-1]
        assert p["ExchangeRate"] == rate
        assert cents(p["HomeTotalAmt"]) == round(cents(p["TotalAmt"]) * rate)  # as QBO rounds: to the cent


def test_estimates_that_were_accepted_became_invoices(
    by_type: dict[str, list[dict[str, Any]]], by_id: dict[tuple[str, str], dict[str, Any]]
) -> None:
    for estimate in by_type["Estimate"]:
        if estimate["TxnStatus"] == "Closed":
            (link,) = estimate["LinkedTxn"]
            invoice = by_id[("Invoice", link["TxnId"])]
            assert invoice["TotalAmt"] == estimate["TotalAmt"]
            assert invoice["CustomerRef"] == estimate["CustomerRef"]


def test_time_activities_name_who_worked_for_whom(by_type: dict[str, list[dict[str, Any]]]) -> None:
    for p in by_type["TimeActivity"]:
        assert ("EmployeeRef" if p["NameOf"] == "Employee" else "VendorRef") in p
        assert {"Hours", "Minutes", "TxnDate", "ItemRef", "CustomerRef"} <= set(p)


def test_budget_has_monthly_lines_for_accounts(by_type: dict[str, list[dict[str, Any]]]) -> None:
    for budget in by_type["Budget"]:
        assert budget["BudgetEntryType"] == "Monthly"
        assert len({d["BudgetDate"] for d in budget["BudgetDetail"]}) == 12


def test_singletons_describe_the_company(by_type: dict[str, list[dict[str, Any]]]) -> None:
    (info,) = by_type["CompanyInfo"]
    assert info["Id"] == "1"
    assert info["Country"] == "US"
    assert info["FiscalYearStartMonth"] == "January"
    assert {"CompanyName", "LegalName", "CompanyAddr", "SupportedLanguages", "NameValue"} <= set(info)
    (company,) = by_type["Company"]
    assert company["Id"] == "1"
    assert company["CompanyName"] == info["CompanyName"]
    (prefs,) = by_type["Preferences"]
    assert prefs["SalesFormsPrefs"]["CustomTxnNumbers"] is True
    assert prefs["CurrencyPrefs"] == {"MultiCurrencyEnabled": True, "HomeCurrency": {"value": "USD"}}
    assert prefs["ReportPrefs"]["ReportBasis"] == "Accrual"


# -- shapes of Intuit's samples -----------------------------------------------------------------


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def shape_problems(ours: Any, theirs: Any, path: str) -> Iterator[str]:
    """Differences in JSON type and nesting on the properties both sides have."""
    if json_type(ours) != json_type(theirs):
        yield f"{path}: {json_type(ours)} here, {json_type(theirs)} in QBO"
    elif isinstance(ours, dict):
        for key in ours.keys() & theirs.keys():
            yield from shape_problems(ours[key], theirs[key], f"{path}.{key}")
    elif isinstance(ours, list) and ours and theirs:
        yield from shape_problems(ours[0], theirs[0], f"{path}[0]")


def intuit_samples() -> dict[str, list[dict[str, Any]]]:
    """Entities in Intuit's documentation samples and in recorded traffic, by object name."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def collect(body: Any) -> None:
        if not isinstance(body, dict):
            return
        for key, value in body.items():
            spec = catalog.find(key) if key[:1].isupper() else None
            if spec is not None and isinstance(value, dict) and "MetaData" in value:
                out[spec.name].append(value)
            elif key == "QueryResponse" and isinstance(value, dict):
                collect({k: v[0] for k, v in value.items() if isinstance(v, list) and v})

    for path in sorted((fixtures_dir() / "docs-samples").glob("*.json")):
        collect(json.loads(path.read_text()))
    for path in sorted((fixtures_dir() / "recorded").glob("*.json")):
        for exchange in json.loads(path.read_text()):
            collect(exchange["response"].get("body_json"))
    return out


def test_payloads_have_the_shapes_of_intuits_samples(by_type: dict[str, list[dict[str, Any]]]) -> None:
    samples = intuit_samples()
    assert {"Account", "Bill", "Customer", "Invoice", "Item", "Payment", "Vendor"} <= set(samples)
    for name, theirs in samples.items():
        for sample in theirs:
            for ours in by_type[name]:
                problems = list(shape_problems(ours, sample, name))
                assert not problems, problems
