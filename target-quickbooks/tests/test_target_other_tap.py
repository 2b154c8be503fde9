"""The target fed by another QuickBooks tap (singer-io's tap-quickbooks, shaped by ``other_tap_fixture``).

That tap names its streams in snake_case plurals, adds a report stream (``profit_loss_report``)
and a ``deleted_objects`` stream, and types every date as a date-time. Its whole output of the
sample company copies into an empty company with equal trial balances; streams the target cannot
write stop the run at their SCHEMA unless stream maps or ``unmapped_streams: skip`` leave them out.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from other_tap_fixture import (
    STREAMS,
    change_feed_start,
    deleted_objects_stream,
    deleted_since,
    tap_schema,
    transform,
    whole_output,
)
from qbo_client import catalog, schemas
from qbo_client.client import QBOClient
from qbo_sandbox.testing import RunningSandbox
from target_quickbooks.mapping import StreamMappingError
from test_target_roundtrip import trial_balance
from tq_helpers import (
    Message,
    count,
    dead_letters,
    loose_schema,
    reader,
    record,
    rows,
    run_target,
    schema,
    target_config,
)

#: Transactions of the sample company that singer-io's tap does not read, deleted from the source
#: first (what posts of them would be missing from any copy made from that tap's output).
UNREAD_POSTINGS = [
    s.name for s in catalog.OBJECTS if s.is_transaction and s.can_delete and s.name not in STREAMS.values()
]

#: What the API lets no client create (or, for an unused TaxRate, creates only with its TaxCode).
NOT_CREATABLE = {"Budget"}


def _invoice_line(amount: float, service_date: str | None = None) -> dict[str, Any]:
    detail: dict[str, Any] = {"ItemRef": {"name": "Services"}, "Qty": 1, "UnitPrice": amount}
    if service_date:
        detail["ServiceDate"] = service_date
    return {"Amount": amount, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail}


def test_the_other_taps_output_of_the_sample_company_copies_with_equal_books(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    source = reader(target_config(qbo_sandbox, tmp_path))
    for obj in UNREAD_POSTINGS:  # the tap reads none of them: the books compared are the ones it reads
        for row in rows(source, obj):
            source.delete(obj, row["Id"], row["SyncToken"])
    customer = rows(source, "Customer", "Active = true")[0]
    line = _invoice_line(5.0)
    line["SalesItemLineDetail"]["ItemRef"] = {"value": rows(source, "Item", "Type = 'Service'")[0]["Id"]}
    gone = source.create(
        "Invoice", {"CustomerRef": {"value": customer["Id"]}, "TxnDate": "2025-12-08", "Line": [line]}
    )
    source.delete("Invoice", gone["Id"], gone["SyncToken"])  # so the change feed holds a deletion
    messages = whole_output(source)
    per_stream = Counter(m["stream"] for m in messages if m["type"] == "RECORD")
    assert set(per_stream) >= {*STREAMS, "profit_loss_report", "deleted_objects"} - {"budgets"}
    invoice = next(m["record"] for m in messages if m.get("stream") == "invoices" and m["type"] == "RECORD")
    assert invoice["TxnDate"].endswith("T00:00:00.000000Z")
    empty = qbo_sandbox.sandbox.store.create_realm()
    config = target_config(qbo_sandbox, tmp_path, realm=empty, source_realm_id=qbo_sandbox.realm)
    copy = reader(config)

    run = run_target(config, messages)

    dead = dead_letters(config)
    assert {d["object"] for d in dead} <= NOT_CREATABLE | {"TaxRate"}, [d["reason"] for d in dead]
    assert not [d for d in dead if "YYYY-MM-DD" in d["reason"]]
    assert trial_balance(copy) == trial_balance(source)
    for stream, obj in STREAMS.items():
        if obj in NOT_CREATABLE:
            continue
        unused_rates = sum(1 for d in dead if d["object"] == "TaxRate")
        expected = count(source, obj) - (unused_rates if obj == "TaxRate" else 0)
        assert count(copy, obj) == expected, stream
    # the deleted invoice was never copied: its deletion finds nothing and changes nothing
    assert run.counts["skip"] == per_stream["deleted_objects"]
    assert run.counts["report_rows_ignored"] == per_stream["profit_loss_report"]
    assert run.states[-1] == messages[-1]["value"]
    print(
        "other tap's copy:",
        json.dumps(dict(sorted(per_stream.items()))),
        json.dumps(dict(sorted(run.counts.items()))),
        json.dumps(run.stats),
    )

    # the same output again (its dates as date-times, its amounts as text) changes nothing
    replay = run_target(config, messages)
    assert (replay.counts.get("create", 0), replay.counts.get("update", 0)) == (0, 0)

    # the next run of the tap brings the deletions made since in the source: the copy follows
    bill = rows(source, "Bill")[0]
    since = change_feed_start()
    source.delete("Bill", bill["Id"], bill["SyncToken"])
    later = deleted_objects_stream(
        [s for s in deleted_since(source, since) if s["Type"] == "Bill" and s["Id"] == bill["Id"]], since
    )
    bills = count(copy, "Bill")

    again = run_target(config, later)

    assert again.counts["delete"] == 1
    assert count(copy, "Bill") == bills - 1
    assert trial_balance(copy) == trial_balance(source)


def test_a_stream_the_stream_maps_send_to_null_never_reaches_the_mapping_check(
    config: dict[str, Any], company: QBOClient
) -> None:
    messages = [
        loose_schema("marketing_campaigns"),
        record("marketing_campaigns", {"Id": "1", "Name": "Retail"}),
        schema("customers", "Customer", ["Id"]),
        record("customers", {"DisplayName": "Null Map Co"}),
    ]

    run_target({**config, "stream_maps": {"marketing_campaigns": "__NULL__"}}, messages)
    run_target({**config, "stream_maps": {"__else__": "__NULL__", "customers": {}}}, messages)

    assert count(company, "Customer", "DisplayName = 'Null Map Co'") == 1
    assert not dead_letters(config)


def test_a_stream_that_maps_to_nothing_is_skipped_with_one_warning_under_unmapped_streams_skip(
    config: dict[str, Any], company: QBOClient, caplog: pytest.LogCaptureFixture
) -> None:
    messages: list[Message] = [
        loose_schema("marketing_campaigns"),
        *[record("marketing_campaigns", {"Id": str(n), "Name": f"Campaign {n}"}) for n in range(3)],
        loose_schema("marketing_campaigns"),  # the same SCHEMA again: still one warning
        schema("customers", "Customer", ["Id"]),
        record("customers", {"DisplayName": "Skip Co"}),
    ]
    with pytest.raises(StreamMappingError, match="unmapped_streams: skip"):
        run_target(config, messages)
    assert count(company, "Customer", "DisplayName = 'Skip Co'") == 0  # stopped before writing

    with caplog.at_level("WARNING"):
        run = run_target({**config, "unmapped_streams": "skip"}, messages)

    warned = [r for r in caplog.records if "'marketing_campaigns'" in r.getMessage()]
    assert [r.levelname for r in warned] == ["WARNING"]
    assert "unmapped_streams is skip" in warned[0].getMessage()
    assert run.counts["stream_records_skipped"] == 3
    assert count(company, "Customer", "DisplayName = 'Skip Co'") == 1
    assert not dead_letters(config)


def test_a_stream_of_a_read_only_object_is_skipped_under_unmapped_streams_skip(
    config: dict[str, Any], company: QBOClient
) -> None:
    budget = rows(company, "Budget")[0]
    messages = [schema("budgets", "Budget", ["Id"]), record("budgets", {**budget, "Name": "Changed"})]

    run_target(config, messages)
    (dead,) = dead_letters(config)
    assert "read-only" in dead["reason"]

    Path(config["dead_letter_path"]).unlink()
    run = run_target({**config, "unmapped_streams": "skip"}, messages)

    assert run.counts["stream_records_skipped"] == 1
    assert not dead_letters(config)
    assert rows(company, "Budget", f"Id = '{budget['Id']}'")[0]["Name"] == budget["Name"]


def test_report_streams_of_other_taps_are_read_and_not_written(config: dict[str, Any]) -> None:
    messages: list[Message] = []
    for stream in ("profit_loss_report", "ProfitAndLossReport", "balance_sheet", "general_ledger_report"):
        messages += [loose_schema(stream), record(stream, {"ReportDate": "2025-12-08T00:00:00.000000Z"})]

    run = run_target(config, messages)

    assert run.counts["report_rows_ignored"] == 4
    assert not dead_letters(config)


def test_deleted_objects_delete_what_the_catalog_allows_and_say_why_not_otherwise(
    config: dict[str, Any], company: QBOClient
) -> None:
    invoice = next(i for i in rows(company, "Invoice") if not i.get("LinkedTxn"))
    customer = next(
        c
        for c in rows(company, "Customer", "Active = true")
        if not rows(company, "Invoice", f"CustomerRef = '{c['Id']}'")
    )
    budget = rows(company, "Budget")[0]
    stubs = [
        {"Id": invoice["Id"], "Type": "Invoice", "status": "Deleted", "domain": "QBO"},
        {"Id": customer["Id"], "Type": "Customer", "status": "Deleted"},
        {"Id": budget["Id"], "Type": "Budget", "status": "Deleted"},
        {"Id": "1", "Type": "Gizmo", "status": "Deleted"},
        {"Id": invoice["Id"], "Type": "Invoice", "status": "Voided"},
    ]
    for stub in stubs:
        stub["MetaData"] = {"LastUpdatedTime": "2025-12-08T10:00:00-08:00"}

    run = run_target(config, deleted_objects_stream(stubs, "2025-12-01T00:00:00Z"))

    assert not rows(company, "Invoice", f"Id = '{invoice['Id']}'")
    (made_inactive,) = rows(company, "Customer", f"Id = '{customer['Id']}'")
    assert made_inactive["Active"] is False
    assert len(rows(company, "Budget", f"Id = '{budget['Id']}'")) == 1
    assert run.counts["delete"] == 1
    assert run.counts["inactivate"] == 1
    reasons = {
        d["record"]["Type"] + " " + str(d["record"].get("status")): d["reason"] for d in dead_letters(config)
    }
    assert set(reasons) == {"Budget Deleted", "Gizmo Deleted", "Invoice Voided"}
    assert "Budget cannot be deleted" in reasons["Budget Deleted"]
    assert "needs Type" in reasons["Gizmo Deleted"]
    assert "only status Deleted" in reasons["Invoice Voided"]
    assert all("\n" not in r for r in reasons.values())


def _dated(stream: str, obj: str, body: dict[str, Any]) -> list[Message]:
    """A stream as the other tap types it, and one record through its transformer."""
    tap = tap_schema(schemas.load(obj))
    return [
        {"type": "SCHEMA", "stream": stream, "schema": tap, "key_properties": ["Id"]},
        record(stream, transform(body, tap)),
    ]


def test_a_date_time_at_midnight_utc_is_that_date_and_any_other_time_is_refused(
    config: dict[str, Any], company: QBOClient
) -> None:
    customer = rows(company, "Customer", "Active = true")[0]
    good = {
        "DocNumber": "OT-MIDNIGHT",
        "CustomerRef": {"value": customer["Id"]},
        "TxnDate": "2025-12-08",
        "DueDate": "2026-01-07",
        "Line": [_invoice_line(12.5, "2025-12-01")],
    }
    messages = _dated("invoices", "Invoice", good)
    assert messages[1]["record"]["TxnDate"] == "2025-12-08T00:00:00.000000Z"
    late = {**messages[1]["record"], "DocNumber": "OT-AFTERNOON", "TxnDate": "2025-12-08T15:30:00Z"}
    shifted = {**messages[1]["record"], "DocNumber": "OT-SHIFTED", "TxnDate": "2025-12-08T00:00:00-08:00"}
    messages += [record("invoices", late), record("invoices", shifted)]
    messages += _dated(
        "employees", "Employee", {"GivenName": "Ada", "FamilyName": "Date", "HiredDate": "2024-02-29"}
    )
    accounts = {a["AccountType"]: a["Id"] for a in rows(company, "Account", "Active = true")}
    widget_body = {
        "Name": "Dated Widget",
        "Type": "Inventory",
        "TrackQtyOnHand": True,
        "QtyOnHand": 3,
        "InvStartDate": "2025-01-01",
        "IncomeAccountRef": {"value": accounts["Income"]},
        "ExpenseAccountRef": {"value": accounts["Cost of Goods Sold"]},
        "AssetAccountRef": {"value": accounts["Other Current Asset"]},
    }
    messages += _dated("items", "Item", widget_body)

    run_target(config, messages)

    (written,) = rows(company, "Invoice", "DocNumber = 'OT-MIDNIGHT'")
    assert (written["TxnDate"], written["DueDate"]) == ("2025-12-08", "2026-01-07")
    assert written["Line"][0]["SalesItemLineDetail"]["ServiceDate"] == "2025-12-01"
    (hired,) = rows(company, "Employee", "DisplayName = 'Ada Date'")
    assert hired["HiredDate"] == "2024-02-29"
    (widget,) = rows(company, "Item", "Name = 'Dated Widget'")
    assert widget["InvStartDate"] == "2025-01-01"
    dead = {d["record"]["DocNumber"]: d for d in dead_letters(config)}
    assert set(dead) == {"OT-AFTERNOON", "OT-SHIFTED"}
    assert "'2025-12-08T15:30:00+00:00'" in dead["OT-AFTERNOON"]["reason"]
    assert "only midnight UTC names a date" in dead["OT-SHIFTED"]["reason"]
    assert dead["OT-AFTERNOON"]["element"] == "TxnDate"
    assert not rows(company, "Invoice", "DocNumber IN ('OT-AFTERNOON', 'OT-SHIFTED')")
