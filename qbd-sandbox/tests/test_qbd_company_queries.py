"""Queries as QuickBooks answers them: the filters, what a record shows, iterators and deletions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from qbd_client import qbxml
from qbd_client.xml import local_name

T0 = datetime(2024, 3, 4, 17, 0, tzinfo=timezone.utc)  # 09:00 in Los Angeles (PST, -08:00)


@pytest.fixture
def company(make_qbd_company: Any) -> Any:
    made = make_qbd_company()
    made.add("Account", {"Name": "Checking", "AccountType": "Bank"}, at=T0)
    made.add("Account", {"Name": "Sales", "AccountType": "Income"}, at=T0)
    made.add(
        "ItemService",
        {"Name": "Consulting", "SalesOrPurchase": {"Price": "100.00", "AccountRef": {"FullName": "Sales"}}},
        at=T0,
    )
    for number, name in enumerate(["Delta", "alpha", "Charlie", "Bravo", "Echo"]):
        made.add("Customer", {"Name": name, "Phone": f"555-010{number}"}, at=T0 + timedelta(hours=number))
    made.add("Customer", {"Name": "Site 1", "ParentRef": {"FullName": "Bravo"}}, at=T0)
    return made


def names(response: Any, field: str = "FullName") -> list[str]:
    return [record[field] for record in response.records()]


def invoice(company: Any, customer: str, txn_date: str, at: datetime, **header: Any) -> dict[str, Any]:
    return company.add(
        "Invoice",
        {
            "CustomerRef": {"FullName": customer},
            "TxnDate": txn_date,
            **header,
            "InvoiceLineAdd": [{"ItemRef": {"FullName": "Consulting"}, "Quantity": 1}],
        },
        at=at,
    )


def test_lists_come_in_name_order_with_jobs_after_their_customer(company: Any, qbd_session: Any) -> None:
    answer = qbd_session(company).query("Customer")
    assert answer.status_code == 0
    assert names(answer) == ["alpha", "Bravo", "Bravo:Site 1", "Charlie", "Delta", "Echo"]


def test_lookup_by_listid_or_fullname_warns_500_for_the_missing_and_returns_the_others(
    company: Any, qbd_session: Any
) -> None:
    session = qbd_session(company)
    answer = session.query("Customer", {"FullName": ["Echo", "bleech", "alpha"]})
    assert (answer.status_code, answer.status_severity) == (500, "Warn")
    assert answer.status_message == (
        'The query request has not been fully completed. There was a required element ("bleech") that could '
        "not be found in QuickBooks."
    )
    assert names(answer) == ["Echo", "alpha"]
    nothing = session.query("Customer", {"FullName": "bleech"})
    assert (nothing.status_code, nothing.rets) == (500, [])
    echo = session.query("Customer", {"FullName": "echo"}).records()[0]
    by_id = session.query("Customer", {"ListID": [echo["ListID"], "80000042-1405768916"]})
    assert (by_id.status_code, names(by_id)) == (500, ["Echo"])
    missing = session.query("Customer", {"ListID": "8000001B-1405768916"})
    assert (missing.status_code, missing.status_severity) == (3120, "Error")
    assert missing.status_message == (
        'Object "8000001B-1405768916" specified in the request cannot be found.  QuickBooks error message: '
        "Invalid argument.  The specified record does not exist in the list."
    )


def test_active_status_defaults_to_active_only(company: Any, qbd_session: Any) -> None:
    session = qbd_session(company)
    delta = session.query("Customer", {"FullName": "Delta"}).records()[0]
    company.modify(
        "Customer", {"ListID": delta["ListID"], "EditSequence": delta["EditSequence"], "IsActive": False}
    )
    assert "Delta" not in names(session.query("Customer"))
    assert "Delta" in names(session.query("Customer", {"ActiveStatus": "All"}))
    assert names(session.query("Customer", {"ActiveStatus": "InactiveOnly"})) == ["Delta"]
    # Named lookups find inactive records too.
    assert names(session.query("Customer", {"FullName": "Delta"})) == ["Delta"]


def test_modified_date_filters_are_inclusive_and_read_in_the_company_zone(
    company: Any, qbd_session: Any
) -> None:
    session = qbd_session(company)
    # Created at 09:00, 10:00, ... 13:00 Los Angeles time on 2024-03-04.
    inclusive = session.query("Customer", {"FromModifiedDate": "2024-03-04T11:00:00"})
    assert names(inclusive) == ["Bravo", "Charlie", "Echo"]
    utc = session.query("Customer", {"FromModifiedDate": "2024-03-04T19:00:00+00:00"})
    assert names(utc) == names(inclusive)
    window = session.query(
        "Customer",
        {"FromModifiedDate": "2024-03-04T10:00:00-08:00", "ToModifiedDate": "2024-03-04T11:00:00-08:00"},
    )
    assert names(window) == ["alpha", "Charlie"]
    # A date alone is the start of that day in the company's zone.
    assert len(session.query("Customer", {"FromModifiedDate": "2024-03-04"}).rets) == 6
    assert session.query("Customer", {"FromModifiedDate": "2024-03-05"}).status_code == 1
    bad = session.query("Customer", {"FromModifiedDate": "2024-03-10", "ToModifiedDate": "2024-03-01"})
    assert bad.status_code == 3030


def test_no_match_answers_status_1_with_quickbooks_message(company: Any, qbd_session: Any) -> None:
    answer = qbd_session(company).query("Vendor")
    assert (answer.status_code, answer.status_severity) == (1, "Info")
    assert answer.status_message == "A query request did not find a matching object in QuickBooks"
    assert answer.rets == []


def test_name_filters_and_max_returned(company: Any, qbd_session: Any) -> None:
    session = qbd_session(company)
    starts = session.query("Customer", {"NameFilter": {"MatchCriterion": "StartsWith", "Name": "b"}})
    assert names(starts) == ["Bravo", "Bravo:Site 1"]
    contains = session.query("Customer", {"NameFilter": {"MatchCriterion": "Contains", "Name": "HAR"}})
    assert names(contains) == ["Charlie"]
    ranged = session.query("Customer", {"NameRangeFilter": {"FromName": "C", "ToName": "E"}})
    assert names(ranged) == ["Charlie", "Delta"]
    assert names(session.query("Customer", {"MaxReturned": 2})) == ["alpha", "Bravo"]


def test_transaction_filters(company: Any, qbd_session: Any, qbd_clock: Any) -> None:
    qbd_clock.set(datetime(2024, 6, 20, 12, 0, tzinfo=timezone.utc))
    first = invoice(company, "Bravo", "2024-05-02", T0, RefNumber="A-100")
    second = invoice(company, "Bravo:Site 1", "2024-06-10", T0 + timedelta(days=1), RefNumber="A-101")
    third = invoice(company, "Echo", "2024-06-18", T0 + timedelta(days=2), RefNumber="B-7")
    session = qbd_session(company)

    def refs(fields: dict[str, Any]) -> list[str]:
        return names(session.query("Invoice", fields), "RefNumber")

    assert refs({}) == ["A-100", "A-101", "B-7"]  # by date, then entry order
    assert refs({"TxnDateRangeFilter": {"FromTxnDate": "2024-06-01", "ToTxnDate": "2024-06-30"}}) == [
        "A-101",
        "B-7",
    ]
    assert refs({"TxnDateRangeFilter": {"DateMacro": "ThisMonth"}}) == ["A-101", "B-7"]
    assert refs({"TxnDateRangeFilter": {"DateMacro": "LastMonth"}}) == ["A-100"]
    modified = {"ModifiedDateRangeFilter": {"FromModifiedDate": (T0 + timedelta(days=1)).isoformat()}}
    assert refs(modified) == ["A-101", "B-7"]
    assert refs({"EntityFilter": {"FullName": "Bravo"}}) == ["A-100"]
    assert refs({"EntityFilter": {"FullNameWithChildren": "Bravo"}}) == ["A-100", "A-101"]
    assert refs({"EntityFilter": {"ListID": third["CustomerRef"]["ListID"]}}) == ["B-7"]
    assert refs({"RefNumberFilter": {"MatchCriterion": "StartsWith", "RefNumber": "a-"}}) == [
        "A-100",
        "A-101",
    ]
    assert refs({"RefNumberRangeFilter": {"FromRefNumber": "A-101", "ToRefNumber": "B-7"}}) == [
        "A-101",
        "B-7",
    ]
    assert refs({"AccountFilter": {"FullName": "Sales"}}) == ["A-100", "A-101", "B-7"]
    assert refs({"AccountFilter": {"FullName": "Checking"}}) == []
    assert names(session.query("Invoice", {"RefNumber": "a-101"}), "TxnID") == [second["TxnID"]]
    assert names(session.query("Invoice", {"TxnID": first["TxnID"]}), "RefNumber") == ["A-100"]
    company.add(
        "ReceivePayment",
        {
            "CustomerRef": {"FullName": "Echo"},
            "TotalAmount": "100.00",
            "AppliedToTxnAdd": [{"TxnID": third["TxnID"], "PaymentAmount": "100.00"}],
        },
    )
    assert refs({"PaidStatus": "PaidOnly"}) == ["B-7"]
    assert refs({"PaidStatus": "NotPaidOnly"}) == ["A-100", "A-101"]


def test_lines_linked_transactions_and_chosen_elements_only_when_asked(
    company: Any, qbd_session: Any
) -> None:
    made = invoice(company, "Echo", "2024-03-04", T0)
    company.add(
        "ReceivePayment",
        {
            "CustomerRef": {"FullName": "Echo"},
            "AppliedToTxnAdd": [{"TxnID": made["TxnID"], "PaymentAmount": "40.00"}],
        },
    )
    session = qbd_session(company)
    bare = session.query("Invoice").records()[0]
    assert "InvoiceLineRet" not in bare
    assert "LinkedTxn" not in bare
    assert bare["BalanceRemaining"] == Decimal("60.00")
    full = session.query("Invoice", {"IncludeLineItems": True, "IncludeLinkedTxns": True}).records()[0]
    assert [line["Amount"] for line in full["InvoiceLineRet"]] == [Decimal("100.00")]
    assert [link["TxnType"] for link in full["LinkedTxn"]] == ["ReceivePayment"]
    chosen = session.query("Invoice", {"IncludeRetElement": ["TxnID", "RefNumber", "InvoiceLineRet"]})
    record = chosen.records()[0]
    assert set(record) == {"TxnID", "RefNumber"}
    assert [local_name(c) for c in chosen.rets[0]] == ["TxnID", "RefNumber"]


def test_owner_id_zero_returns_custom_fields(company: Any, qbd_session: Any) -> None:
    session = qbd_session(company)
    echo = session.query("Customer", {"FullName": "Echo"}).records()[0]
    company.set_data_ext("Customer", echo["ListID"], "0", "Region", "West")
    assert "DataExtRet" not in session.query("Customer", {"FullName": "Echo"}).records()[0]
    custom = session.query("Customer", {"FullName": "Echo", "OwnerID": "0"}).records()[0]
    assert custom["DataExtRet"] == [
        {"OwnerID": "0", "DataExtName": "Region", "DataExtType": "STR255TYPE", "DataExtValue": "West"}
    ]


def test_metadata_only_counts_without_rows(company: Any, qbd_session: Any) -> None:
    answer = qbd_session(company).query("Customer", {"ActiveStatus": "All"}, metaData="MetaDataOnly")
    assert (answer.status_code, answer.ret_count, answer.rets) == (0, 6, [])


def test_iterator_pages_through_every_record_once_in_a_stable_order(company: Any, qbd_session: Any) -> None:
    session = qbd_session(company)
    start = session.query("Customer", {"MaxReturned": 4}, iterator="Start")
    assert (start.iterator_remaining, len(start.rets)) == (2, 4)
    assert start.iterator_id is not None
    assert start.iterator_id.startswith("{")
    rest = session.query("Customer", {"MaxReturned": 4}, iterator="Continue", iteratorID=start.iterator_id)
    assert (rest.iterator_remaining, rest.iterator_id) == (0, start.iterator_id)
    assert names(start) + names(rest) == names(session.query("Customer"))
    # The last page ended the iterator.
    after = session.query("Customer", {"MaxReturned": 4}, iterator="Continue", iteratorID=start.iterator_id)
    assert after.status_code == 3391


def test_iterator_dies_with_its_session(company: Any, qbd_session: Any) -> None:
    session = qbd_session(company, "ticket-A")
    start = session.query("Customer", {"MaxReturned": 2}, iterator="Start")
    other = qbd_session(company, "ticket-B")
    stolen = other.query("Customer", {"MaxReturned": 2}, iterator="Continue", iteratorID=start.iterator_id)
    assert (stolen.status_code, stolen.status_severity) == (3391, "Error")
    session.end()
    expired = session.query("Customer", {"MaxReturned": 2}, iterator="Continue", iteratorID=start.iterator_id)
    assert expired.status_code == 3391
    assert start.iterator_id in expired.status_message


def test_iterator_continue_must_repeat_the_start_filters(company: Any, qbd_session: Any) -> None:
    session = qbd_session(company)
    start = session.query("Customer", {"MaxReturned": 2, "ActiveStatus": "All"}, iterator="Start")
    other = session.query("Customer", {"MaxReturned": 2}, iterator="Continue", iteratorID=start.iterator_id)
    assert (other.status_code, other.status_severity) == (3210, "Error")
    same = session.query(
        "Customer",
        {"MaxReturned": 2, "ActiveStatus": "All"},
        iterator="Continue",
        iteratorID=start.iterator_id,
    )
    assert (same.status_code, same.iterator_remaining) == (0, 2)


def test_a_record_deleted_between_pages_is_skipped_and_one_added_is_not_seen(
    company: Any, qbd_session: Any
) -> None:
    session = qbd_session(company)
    start = session.query("Customer", {"MaxReturned": 2}, iterator="Start")
    assert names(start) == ["alpha", "Bravo"]
    charlie = session.query("Customer", {"FullName": "Charlie"}).records()[0]
    company.delete("Customer", charlie["ListID"])
    company.add("Customer", {"Name": "Aardvark"})
    page = session.query("Customer", {"MaxReturned": 2}, iterator="Continue", iteratorID=start.iterator_id)
    assert page.status_code == 0
    assert names(page) == ["Bravo:Site 1"]
    last = session.query("Customer", {"MaxReturned": 2}, iterator="Continue", iteratorID=start.iterator_id)
    assert (names(last), last.iterator_remaining) == (["Delta", "Echo"], 0)


def test_iterator_start_needs_max_returned(company: Any, qbd_session: Any) -> None:
    answer = qbd_session(company).query("Customer", iterator="Start")
    assert answer.status_code == 3150


def test_lists_without_an_iterator_refuse_one(company: Any) -> None:
    document = qbxml.message_set(
        [_raw('<AccountQueryRq iterator="Start"><MaxReturned>2</MaxReturned></AccountQueryRq>')]
    )
    with pytest.raises(Exception, match="parsing") as failure:
        company.process(document, "s")
    assert getattr(failure.value, "code", None) == "0x80040400"


def test_deleted_objects_are_listed_within_the_retention_window(
    make_qbd_company: Any, qbd_session: Any, qbd_clock: Any
) -> None:
    company = make_qbd_company(deleted_retention_days=90)
    qbd_clock.set(datetime(2024, 1, 1, 12, 0, tzinfo=timezone.utc))
    old = company.add("Class", {"Name": "Old"}, at=qbd_clock())
    recent = company.add("Class", {"Name": "Recent"}, at=qbd_clock())
    vendor = company.add("Vendor", {"Name": "Gone Vendor"}, at=qbd_clock())
    company.delete("Class", old["ListID"], at=datetime(2024, 1, 10, 12, 0, tzinfo=timezone.utc))
    company.delete("Class", recent["ListID"], at=datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc))
    company.delete("Vendor", vendor["ListID"], at=datetime(2024, 5, 2, 12, 0, tzinfo=timezone.utc))
    qbd_clock.set(datetime(2024, 5, 20, 12, 0, tzinfo=timezone.utc))
    session = qbd_session(company)
    answer = session.one(qbxml.build("ListDeletedQueryRq", {"ListDelType": ["Class", "Vendor"]}))
    rows = [
        {local_name(c): c.text for c in ret} for ret in answer.element if local_name(ret) == "ListDeletedRet"
    ]
    # The January deletion is older than 90 days: forgotten.
    assert [(r["ListDelType"], r["FullName"]) for r in rows] == [
        ("Class", "Recent"),
        ("Vendor", "Gone Vendor"),
    ]
    assert list(rows[0]) == ["ListDelType", "ListID", "TimeCreated", "TimeDeleted", "FullName"]
    assert rows[0]["TimeDeleted"] == "2024-05-01T05:00:00-07:00"
    ranged = session.one(
        qbxml.build(
            "ListDeletedQueryRq",
            {"ListDelType": "Class", "DeletedDateRangeFilter": {"FromDeletedDate": "2024-05-02"}},
        )
    )
    assert ranged.status_code == 1


def test_deleted_transactions_carry_their_ref_number(company: Any, qbd_session: Any) -> None:
    made = invoice(company, "Echo", "2024-03-04", T0, RefNumber="X-1")
    company.delete("Invoice", made["TxnID"])
    answer = qbd_session(company).one(qbxml.build("TxnDeletedQueryRq", {"TxnDelType": "Invoice"}))
    (ret,) = [c for c in answer.element if local_name(c) == "TxnDeletedRet"]
    assert [(local_name(c), c.text) for c in ret][0:2] == [
        ("TxnDelType", "Invoice"),
        ("TxnID", made["TxnID"]),
    ]
    assert ret[-1].text == "X-1"


def _raw(xml: str) -> Any:
    from qbd_client.xml import parse_text

    return parse_text(xml)


def test_references_show_the_current_name_of_what_they_name(company: Any, qbd_session: Any) -> None:
    made = invoice(company, "Bravo:Site 1", "2024-03-04", T0)
    session = qbd_session(company)
    bravo = session.query("Customer", {"FullName": "Bravo"}).records()[0]
    company.modify(
        "Customer", {"ListID": bravo["ListID"], "EditSequence": bravo["EditSequence"], "Name": "Bravo Inc"}
    )
    item = session.query("ItemService", {"FullName": "Consulting"}).records()[0]
    company.modify(
        "ItemService", {"ListID": item["ListID"], "EditSequence": item["EditSequence"], "Name": "Advice"}
    )
    shown = session.query("Invoice", {"TxnID": made["TxnID"], "IncludeLineItems": True}).records()[0]
    assert shown["CustomerRef"] == {"ListID": made["CustomerRef"]["ListID"], "FullName": "Bravo Inc:Site 1"}
    assert shown["InvoiceLineRet"][0]["ItemRef"]["FullName"] == "Advice"
    assert company.get("Invoice", made["TxnID"])["CustomerRef"]["FullName"] == "Bravo Inc:Site 1"  # type: ignore[index]


def test_an_iterator_belongs_to_the_quickbooks_process_that_started_it(
    company: Any, make_qbd_company: Any, qbd_session: Any
) -> None:
    start = qbd_session(company, "ticket").query("Customer", {"MaxReturned": 2}, iterator="Start")
    # The same company file opened again (QuickBooks restarted): the iterator is gone.
    reopened = make_qbd_company()
    after = qbd_session(reopened, "ticket").query(
        "Customer", {"MaxReturned": 2}, iterator="Continue", iteratorID=start.iterator_id
    )
    assert after.status_code == 3391
    still = qbd_session(company, "ticket").query(
        "Customer", {"MaxReturned": 2}, iterator="Continue", iteratorID=start.iterator_id
    )
    assert still.status_code == 0


def test_every_date_macro_of_the_spec_is_understood(company: Any, qbd_session: Any) -> None:
    session = qbd_session(company)
    invoice(company, "Echo", "2024-03-04", T0)
    macros = qbxml.spec()["objects"]["Invoice"]["Query"]["children"]
    values = _enum(macros, "DateMacro")
    assert "ThisCalendarQuarter" in values
    for macro in values:
        answer = session.query("Invoice", {"TxnDateRangeFilter": {"DateMacro": macro}})
        assert answer.status_code in (0, 1), (macro, answer.status_message)


def test_a_continue_may_change_the_page_size(company: Any, qbd_session: Any) -> None:
    session = qbd_session(company)
    start = session.query("Customer", {"MaxReturned": 1}, iterator="Start")
    page = session.query("Customer", {"MaxReturned": 3}, iterator="Continue", iteratorID=start.iterator_id)
    assert (len(page.rets), page.iterator_remaining) == (3, 2)


def _enum(nodes: list[Any], name: str) -> list[str]:
    for node in nodes:
        for alternative in node.get("choice", []):
            found = _enum(alternative, name)
            if found:
                return found
        if node.get("name") == name:
            return list(node["enum"])
        found = _enum(node.get("children", []), name)
        if found:
            return found
    return []


def test_a_summer_date_time_without_offset_is_read_as_daylight_time(
    make_qbd_company: Any, qbd_session: Any
) -> None:
    company = make_qbd_company("summer.qbw")
    company.add("Vendor", {"Name": "July"}, at=datetime(2024, 7, 15, 20, 0, 5, tzinfo=timezone.utc))
    session = qbd_session(company)
    # 20:00:05 UTC is 13:00:05 in Los Angeles in July (-07:00), not 12:00:05 (-08:00).
    assert names(session.query("Vendor", {"FromModifiedDate": "2024-07-15T13:00:05"}), "Name") == ["July"]
    assert session.query("Vendor", {"FromModifiedDate": "2024-07-15T13:00:06"}).status_code == 1
    assert names(session.query("Vendor", {"ToModifiedDate": "2024-07-15T13:00:05"}), "Name") == ["July"]
    record = session.query("Vendor").records()[0]
    assert record["TimeModified"] == "2024-07-15T13:00:05-07:00"
