"""Message sets: refusal of the whole set, onError, error recovery, and the host's own queries."""

from __future__ import annotations

import time
from typing import Any

import pytest
from qbd_client import qbxml
from qbd_client.errors import RequestRefused
from qbd_client.xml import local_name, parse_bytes

HEAD = '<?xml version="1.0"?><?qbxml version="13.0"?>'
OWNER = "{57F3B9B1-86F1-4FCC-B1EE-566DE1813D20}"


def document(body: str, on_error: str = "stopOnError", **attrs: str) -> bytes:
    extra = "".join(f' {k}="{v}"' for k, v in attrs.items())
    return f'{HEAD}<QBXML><QBXMLMsgsRq onError="{on_error}"{extra}>{body}</QBXMLMsgsRq></QBXML>'.encode()


CUSTOMER_ADD = (
    '<CustomerAddRq requestID="{id}"><CustomerAdd><Name>{name}</Name></CustomerAdd></CustomerAddRq>'
)


def adds(*names: str) -> str:
    return "".join(CUSTOMER_ADD.format(id=i, name=n) for i, n in enumerate(names, start=1))


def answers(response: bytes) -> list[tuple[str, str | None, int]]:
    parsed = qbxml.parse_response(response)
    return [(r.tag, r.request_id, r.status_code) for r in parsed.responses]


HOSTILE: dict[str, bytes] = {
    "not well-formed": document("<CustomerQueryRq>"),
    "out of order": document(
        "<CustomerQueryRq><ActiveStatus>All</ActiveStatus><MaxReturned>5</MaxReturned></CustomerQueryRq>"
    ),
    "unknown request": document("<FrobnicateRq/>"),
    "unknown element": document("<CustomerQueryRq><Colour>red</Colour></CustomerQueryRq>"),
    "bad enumeration": document("<CustomerQueryRq><ActiveStatus>Sometimes</ActiveStatus></CustomerQueryRq>"),
    "bad delete type": document("<ListDelRq><ListDelType>Planet</ListDelType><ListID>1</ListID></ListDelRq>"),
    "bad number": document("<CustomerQueryRq><MaxReturned>many</MaxReturned></CustomerQueryRq>"),
    "bad attribute": document(
        '<CustomerQueryRq iterator="Sideways"><MaxReturned>5</MaxReturned></CustomerQueryRq>'
    ),
    "missing required element": document(
        "<CustomerAddRq><CustomerAdd><Phone>1</Phone></CustomerAdd></CustomerAddRq>"
    ),
    "no onError": f"{HEAD}<QBXML><QBXMLMsgsRq>{adds('Nope')}</QBXMLMsgsRq></QBXML>".encode(),
    "wrong root": f"{HEAD}<QBXMLX><QBXMLMsgsRq onError='stopOnError'/></QBXMLX>".encode(),
    "doctype with entity expansion": (
        b'<?xml version="1.0"?><!DOCTYPE QBXML [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        b'<QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerAddRq><CustomerAdd><Name>&b;</Name>'
        b"</CustomerAdd></CustomerAddRq></QBXMLMsgsRq></QBXML>"
    ),
    "external entity": (
        b'<?xml version="1.0"?><!DOCTYPE QBXML [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerAddRq><CustomerAdd><Name>&x;</Name>'
        b"</CustomerAdd></CustomerAddRq></QBXMLMsgsRq></QBXML>"
    ),
    "deep nesting": document(
        adds("Fine") + "<CustomerQueryRq>" + "<a>" * 100_000 + "</a>" * 100_000 + "</CustomerQueryRq>"
    ),
    "huge body": document(adds("Fine") + "<!--" + "x" * (65 * 1024 * 1024) + "-->"),
    "text between requests": document(adds("Fine") + "stray text"),
    "continue without id": document(
        '<CustomerQueryRq iterator="Continue"><MaxReturned>5</MaxReturned></CustomerQueryRq>'
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_or_malformed_documents_are_refused_whole_and_change_nothing(
    make_qbd_company: Any, name: str
) -> None:
    company = make_qbd_company()
    company.add("Customer", {"Name": "Existing"})
    before = company.digest()
    with pytest.raises(RequestRefused) as refused:
        company.process(HOSTILE[name], "session")
    assert refused.value.code == "0x80040400"
    assert refused.value.message == "QuickBooks found an error when parsing the provided XML text stream."
    assert company.digest() == before
    assert company.count("Customer") == 1


def test_a_valid_request_before_a_bad_one_is_not_applied(make_qbd_company: Any) -> None:
    company = make_qbd_company()
    before = company.digest()
    body = (
        adds("Applied Too Soon")
        + "<CustomerQueryRq><ActiveStatus>All</ActiveStatus><MaxReturned>1</MaxReturned></CustomerQueryRq>"
    )
    with pytest.raises(RequestRefused):
        company.process(document(body), "s")
    assert company.digest() == before


def test_stop_on_error_leaves_later_requests_unanswered(make_qbd_company: Any) -> None:
    company = make_qbd_company()
    response = company.process(document(adds("One", "One", "Three"), "stopOnError"), "s")
    assert answers(response) == [("CustomerAddRs", "1", 0), ("CustomerAddRs", "2", 3100)]
    assert company.count("Customer") == 1


def test_continue_on_error_answers_every_request(make_qbd_company: Any) -> None:
    company = make_qbd_company()
    response = company.process(document(adds("One", "One", "Three"), "continueOnError"), "s")
    assert answers(response) == [
        ("CustomerAddRs", "1", 0),
        ("CustomerAddRs", "2", 3100),
        ("CustomerAddRs", "3", 0),
    ]
    assert company.count("Customer") == 2


def test_rollback_on_error_undoes_the_earlier_writes_of_the_set(make_qbd_company: Any) -> None:
    company = make_qbd_company()
    company.add("Customer", {"Name": "Existing"})
    before = company.digest()
    response = company.process(document(adds("New One", "Existing", "Never"), "rollbackOnError"), "s")
    assert answers(response) == [("CustomerAddRs", "1", 0), ("CustomerAddRs", "2", 3100)]
    assert company.digest() == before
    assert company.count("Customer") == 1


def test_warnings_do_not_stop_a_set(make_qbd_company: Any) -> None:
    company = make_qbd_company()
    body = '<CustomerQueryRq requestID="q"><FullName>Nobody</FullName></CustomerQueryRq>' + adds("After")
    response = company.process(document(body, "stopOnError"), "s")
    assert answers(response) == [("CustomerQueryRs", "q", 500), ("CustomerAddRs", "1", 0)]


def test_a_message_set_sent_again_gets_its_stored_answer_instead_of_a_second_write(
    make_qbd_company: Any,
) -> None:
    company = make_qbd_company()
    first = company.process(document(adds("Once"), newMessageSetID="set-1"), "session-1")
    parsed = qbxml.parse_response(first)
    assert (parsed.new_message_set_id, parsed.message_set_status_code) == ("set-1", "0")
    after_first = company.digest()
    # The connection dropped before the answer arrived: the next session sends it again.
    again = company.process(
        document(adds("Once"), newMessageSetID="set-2", oldMessageSetID="set-1"), "session-2"
    )
    assert again == first
    assert company.count("Customer") == 1
    assert company.digest() == after_first
    # The same newMessageSetID again is the same set.
    assert company.process(document(adds("Once"), newMessageSetID="set-1"), "session-3") == first
    # An oldMessageSetID never processed: the set is new, and is kept under its newMessageSetID.
    fresh = company.process(document(adds("Twice"), newMessageSetID="set-3", oldMessageSetID="lost"), "s")
    assert answers(fresh) == [("CustomerAddRs", "1", 0)]
    assert company.count("Customer") == 2
    assert company.process(document(adds("Twice"), oldMessageSetID="set-3"), "s") == fresh


def test_a_write_sent_again_with_its_id_as_old_and_new_gets_its_stored_outcome(make_qbd_company: Any) -> None:
    # The bridge keeps one UUID per write and sends it again as oldMessageSetID = newMessageSetID.
    company = make_qbd_company()
    first = company.process(document(adds("Only Once"), newMessageSetID="u-1"), "session-1")
    again = company.process(document(adds("Only Once"), newMessageSetID="u-1", oldMessageSetID="u-1"), "s2")
    assert again == first
    assert company.count("Customer") == 1
    # Never processed before: applied once, and kept from then on.
    new = company.process(document(adds("Recovered"), newMessageSetID="u-2", oldMessageSetID="u-2"), "s3")
    parsed = qbxml.parse_response(new)
    assert (parsed.new_message_set_id, parsed.message_set_status_code) == ("u-2", "0")
    assert answers(new) == [("CustomerAddRs", "1", 0)]
    assert company.process(document(adds("Recovered"), oldMessageSetID="u-2"), "s4") == new
    assert company.count("Customer") == 2


def test_query_sets_are_not_kept_so_reading_leaves_the_company_file_as_it_was(make_qbd_company: Any) -> None:
    company = make_qbd_company()
    company.add("Customer", {"Name": "First"})
    before = company.digest()
    query = '<CustomerQueryRq requestID="q"><ActiveStatus>All</ActiveStatus></CustomerQueryRq>'
    for number in range(20):
        answer = company.process(document(query, newMessageSetID=f"read-{number}"), "s")
        parsed = qbxml.parse_response(answer)
        assert (parsed.new_message_set_id, parsed.message_set_status_code) == (f"read-{number}", "0")
        assert [r["Name"] for r in parsed.responses[0].records()] == ["First"]
    assert company.digest() == before
    # Sent again with its id as oldMessageSetID, a query that was not kept runs again, on today's data.
    company.add("Customer", {"Name": "Second"})
    again = company.process(document(query, newMessageSetID="read-0", oldMessageSetID="read-0"), "s")
    parsed = qbxml.parse_response(again)
    assert parsed.message_set_status_code == "0"
    assert [r["Name"] for r in parsed.responses[0].records()] == ["First", "Second"]
    # A set that holds a write beside its queries is kept whole.
    mixed = company.process(document(query + adds("Third"), newMessageSetID="mixed"), "s")
    assert company.process(document(query + adds("Third"), oldMessageSetID="mixed"), "s") == mixed
    assert company.count("Customer") == 3


def test_deletes_and_voids_are_kept_for_recovery(make_qbd_company: Any) -> None:
    company = make_qbd_company()
    list_id = company.add("Customer", {"Name": "Going"})["ListID"]
    body = f"<ListDelRq><ListDelType>Customer</ListDelType><ListID>{list_id}</ListID></ListDelRq>"
    first = company.process(document(body, newMessageSetID="del-1"), "s")
    assert answers(first) == [("ListDelRs", None, 0)]
    # Applied again it would answer "not found"; recovered, it answers the stored success.
    assert company.process(document(body, oldMessageSetID="del-1", newMessageSetID="del-1"), "s") == first


def test_an_error_answer_is_kept_for_recovery_too(make_qbd_company: Any) -> None:
    company = make_qbd_company()
    company.add("Customer", {"Name": "Taken"})
    first = company.process(document(adds("Taken"), newMessageSetID="err-1"), "s")
    assert answers(first) == [("CustomerAddRs", "1", 3100)]
    assert company.process(document(adds("Taken"), oldMessageSetID="err-1"), "s") == first


def test_clear_all_message_sets_forgets_stored_answers(make_qbd_company: Any) -> None:
    company = make_qbd_company()
    company.process(document(adds("A"), newMessageSetID="m-1"), "s")
    company.process(document("", oldMessageSetID="ClearAllMessageSets"), "s")
    replay = company.process(document(adds("A"), oldMessageSetID="m-1"), "s")
    assert answers(replay) == [("CustomerAddRs", "1", 3100)]


def test_the_response_document_echoes_request_ids_in_order(make_qbd_company: Any) -> None:
    company = make_qbd_company()
    body = (
        '<HostQueryRq requestID="h"/><CompanyQueryRq requestID="c"/>'
        '<PreferencesQueryRq requestID="p"/><CustomerQueryRq/>'
    )
    response = company.process(document(body, "continueOnError"), "s")
    root = parse_bytes(response)
    assert local_name(root) == "QBXML"
    assert [(r.tag, r.request_id) for r in qbxml.parse_response(response).responses] == [
        ("HostQueryRs", "h"),
        ("CompanyQueryRs", "c"),
        ("PreferencesQueryRs", "p"),
        ("CustomerQueryRs", None),
    ]
    assert response.startswith(b"<?xml")


def test_requests_as_text_and_in_windows_1252_bytes_are_read(make_qbd_company: Any) -> None:
    company = make_qbd_company()
    text = document(adds("Café Crème")).decode()
    assert answers(company.process(text, "s")) == [("CustomerAddRs", "1", 0)]
    legacy = (
        '<?xml version="1.0" encoding="windows-1252"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
        + CUSTOMER_ADD.format(id=1, name="Müller €")
        + "</QBXMLMsgsRq></QBXML>"
    ).encode("cp1252")
    assert answers(company.process(legacy, "s")) == [("CustomerAddRs", "1", 0)]
    names = {
        c["Name"]
        for c in qbxml.parse_response(company.process(document("<CustomerQueryRq/>"), "s"))
        .responses[0]
        .records()
    }
    assert names == {"Café Crème", "Müller ?"}


def test_host_response_stores_the_first_file_id_of_an_application(make_qbd_company: Any) -> None:
    company = make_qbd_company(company_name="Larkspur Supply", product="QuickBooks Enterprise Solutions 24.0")
    first = company.host_response(OWNER, "{11111111-2222-3333-4444-555555555555}")
    later = company.host_response(OWNER, "{99999999-9999-9999-9999-999999999999}")
    for text in (first, later):
        parsed = qbxml.parse_response(text)
        assert [(r.tag, r.request_id, r.status_code) for r in parsed.responses] == [
            ("HostQueryRs", "0", 0),
            ("CompanyQueryRs", "1", 0),
            ("PreferencesQueryRs", "2", 0),
        ]
        host, company_rs, _ = parsed.responses
        host_ret = host.rets[0]
        versions = [c.text for c in host_ret if local_name(c) == "SupportedQBXMLVersion"]
        assert versions[0] == "1.0"
        assert versions[-1] == "13.0"
        assert host_ret.findtext("MajorVersion") == "34"
        company_ret = company_rs.rets[0]
        assert company_ret.findtext("CompanyName") == "Larkspur Supply"
        (ext,) = company_ret.findall("DataExtRet")
        assert (ext.findtext("OwnerID"), ext.findtext("DataExtName")) == (OWNER, "FileID")
        assert ext.findtext("DataExtValue") == "{11111111-2222-3333-4444-555555555555}"
    assert first.startswith('<?xml version="1.0" ?><QBXML>')
    # A CompanyQuery naming the OwnerID sees the same data extension.
    response = company.process(document(f"<CompanyQueryRq><OwnerID>{OWNER}</OwnerID></CompanyQueryRq>"), "s")
    company_ret = qbxml.parse_response(response).responses[0].rets[0]
    assert company_ret.find("DataExtRet/DataExtValue").text == "{11111111-2222-3333-4444-555555555555}"  # type: ignore[union-attr]


def test_report_types_the_emulator_does_not_keep_are_answered_not_supported(make_qbd_company: Any) -> None:
    company = make_qbd_company()
    body = (
        "<GeneralSummaryReportQueryRq><GeneralSummaryReportType>SalesByRepSummary</GeneralSummaryReportType>"
        "</GeneralSummaryReportQueryRq>"
    )
    (answer,) = qbxml.parse_response(company.process(document(body), "s")).responses
    assert (answer.status_code, answer.status_severity) == (1030, "Error")


def test_an_internal_fault_fails_its_request_alone_with_status_1000(
    make_qbd_company: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from qbd_sandbox.reports import Reports

    def broken(self: Reports, request: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Reports, "general_summary", broken)
    company = make_qbd_company()
    body = (
        "<GeneralSummaryReportQueryRq><GeneralSummaryReportType>TrialBalance</GeneralSummaryReportType>"
        "</GeneralSummaryReportQueryRq>" + adds("Still Added")
    )
    response = company.process(document(body, "continueOnError"), "s")
    first, second = qbxml.parse_response(response).responses
    assert (first.status_code, first.status_severity) == (1000, "Error")
    assert first.status_message == "There has been an internal error when processing the request."
    assert "disk on fire" not in response.decode()
    assert second.status_code == 0
    assert any("internal error" in record.message for record in caplog.records)


def test_a_slow_company_spends_its_time_per_record_returned(make_qbd_company: Any) -> None:

    company = make_qbd_company(time_per_record=0.02)
    for name in ("A", "B", "C", "D"):
        company.add("Customer", {"Name": name})
    started = time.monotonic()
    company.process(document("<CustomerQueryRq/>"), "s")
    assert time.monotonic() - started >= 0.08
    started = time.monotonic()
    company.process(document("<VendorQueryRq/>"), "s")  # nothing returned: no wait
    assert time.monotonic() - started < 0.08


def test_a_configured_file_id_is_the_one_an_application_first_gets(make_qbd_company: Any) -> None:
    company = make_qbd_company(file_id="{AAAAAAAA-0000-0000-0000-000000000001}")
    answer = qbxml.parse_response(company.host_response(OWNER, "{BBBBBBBB-0000-0000-0000-000000000002}"))
    ext = answer.responses[1].rets[0].find("DataExtRet")
    assert ext is not None
    assert ext.findtext("DataExtValue") == "{AAAAAAAA-0000-0000-0000-000000000001}"


def test_the_qbd_company_fixture_is_an_empty_company_on_real_time(qbd_company: Any) -> None:
    assert qbd_company.count("Customer") == 0
    added = qbd_company.add("Customer", {"Name": "Now"})
    assert abs(int(added["EditSequence"]) - int(time.time())) < 120
