"""A stream whose SCHEMA declares ``key_properties: ["Id"]`` and whose records have no ``Id``.

A user's own file of customers declares the key as the API names it, and new customers have no
Id yet. The SDK would refuse each such record (``MissingKeyPropertiesError``, a traceback, nothing
written); the target matches it by its natural key or creates it, as the README says, and sends
to the dead letter only what is really wrong.
"""

from __future__ import annotations

import inspect
from types import SimpleNamespace
from typing import Any

import pytest
from qbo_client.client import QBOClient
from singer_sdk.exceptions import MissingKeyPropertiesError
from singer_sdk.sinks import Sink
from singer_sdk.target_base import Target
from target_quickbooks.desktop.sink import DesktopSink
from target_quickbooks.sdk_overrides import KeyPropertiesOptional
from target_quickbooks.sinks import DeletedObjectsSink, IgnoredSink, QuickBooksSink
from tq_helpers import count, dead_letters, record, rows, run_target, schema


def test_records_without_the_declared_id_are_matched_by_natural_key_or_created(
    config: dict[str, Any], company: QBOClient
) -> None:
    existing = rows(company, "Customer", "Active = true")[0]
    messages = [
        schema("customers", "Customer", key_properties=["Id"]),
        record(
            "customers", {"DisplayName": "Brand New Co", "PrimaryEmailAddr": {"Address": "new@example.com"}}
        ),
        record("customers", {"DisplayName": existing["DisplayName"], "Notes": "matched by name"}),
        record("customers", {"Notes": "a customer with no name at all"}),
        schema("invoices", "Invoice", key_properties=["Id"]),
        record(
            "invoices",
            {
                "DocNumber": "NO-ID-1",
                "CustomerRef": {"name": "Brand New Co"},
                "Line": [
                    {
                        "Amount": 40.0,
                        "DetailType": "SalesItemLineDetail",
                        "SalesItemLineDetail": {"ItemRef": {"name": "Services"}, "Qty": 2, "UnitPrice": 20.0},
                    }
                ],
            },
        ),
    ]
    customers = count(company, "Customer")

    run = run_target(config, messages)

    (created,) = rows(company, "Customer", "DisplayName = 'Brand New Co'")
    assert created["PrimaryEmailAddr"]["Address"] == "new@example.com"
    (matched,) = rows(company, "Customer", f"Id = '{existing['Id']}'")
    assert matched["Notes"] == "matched by name"
    assert count(company, "Customer") == customers + 1
    (invoice,) = rows(company, "Invoice", "DocNumber = 'NO-ID-1'")
    assert invoice["CustomerRef"]["value"] == created["Id"]
    (dead,) = dead_letters(config)
    assert (dead["code"], dead["record"]) == ("2020", {"Notes": "a customer with no name at all"})
    assert "DisplayName" in dead["reason"]
    assert (run.counts["create"], run.counts["update"], run.counts["dead_lettered"]) == (2, 1, 1)


def test_the_override_that_takes_records_without_key_properties_still_holds() -> None:
    # the SDK still refuses such a record itself, and still asks the sink from the record path...
    sdk_sink = SimpleNamespace(_key_properties=["Id"])
    with pytest.raises(MissingKeyPropertiesError):
        Sink._singer_validate_message(sdk_sink, {"DisplayName": "No Id"})  # type: ignore[arg-type]
    assert "._singer_validate_message(" in inspect.getsource(Target._process_record_message)
    # ...and every sink of the target takes it
    for sink in (QuickBooksSink, DesktopSink, IgnoredSink, DeletedObjectsSink):
        assert sink._singer_validate_message is KeyPropertiesOptional._singer_validate_message
        assert sink._singer_validate_message(sdk_sink, {"DisplayName": "No Id"}) is None  # type: ignore[arg-type]
