"""The Meltano SDK's built-in target tests that apply to a target with a fixed data model.

Run (against a live sandbox):
- cli_prints, record_before_schema, invalid_schema: the Singer protocol handling every target
  owes, independent of where records go;
- encoded_string_data and duplicate_records, with their streams reshaped into customers by stream
  maps (as a user would): non-ASCII names reach QuickBooks (the one string with a NUL character,
  which QuickBooks refuses, goes to the dead letter), and a record repeated with new values
  updates the same customer instead of making a second.

Not run, because they do not apply: array_data, camelcase, camelcase_complex_schema,
no_primary_keys, optional_attributes, pk_updates, schema_no_properties, schema_updates,
special_chars_in_attributes, record_missing_fields, record_missing_required_property. They test a
database target's handling of arbitrary tables (new columns, changed keys, nested objects stored
as-is); their streams correspond to no QuickBooks object, and this target refuses such a stream at
its SCHEMA message by design. multiple_state_messages is left out of the SDK's own suite (the SDK
emits state only when it drains); this target's state rule has its own test in test_target_errors.
record_missing_key_property expects the run to stop at a record without its stream's key
properties; this target takes it on purpose (a new object has no Id yet: it is matched by its
natural key or created), see test_target_missing_ids.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from qbo_sandbox.testing import RunningSandbox
from singer_sdk.testing import get_target_test_class
from singer_sdk.testing.runners import TargetTestRunner
from singer_sdk.testing.suites import SingerTestSuite
from singer_sdk.testing.target_tests import (
    TargetCliPrintsTest,
    TargetDuplicateRecords,
    TargetEncodedStringData,
    TargetInvalidSchemaTest,
    TargetRecordBeforeSchemaTest,
)
from target_quickbooks.target import TargetQuickBooks
from tq_helpers import target_config

_AS_CUSTOMER = {"__alias__": "Customer", "__else__": "__NULL__", "__key_properties__": []}
STREAM_MAPS = {
    "test_strings": {**_AS_CUSTOMER, "DisplayName": "'SDK string ' + str(id) + ': ' + info"},
    "test_strings_in_objects": {
        **_AS_CUSTOMER,
        "DisplayName": "'SDK object ' + str(id) + ': ' + info['name']",
        "Notes": "info['value']",
    },
    "test_strings_in_arrays": {
        **_AS_CUSTOMER,
        "DisplayName": "'SDK array ' + str(id)",
        "Notes": "' | '.join(strings)",
    },
    "test_duplicate_records": {**_AS_CUSTOMER, "DisplayName": "'SDK dup ' + str(id)", "Notes": "str(metric)"},
}

_SDKTests = get_target_test_class(
    TargetQuickBooks,
    config={},
    include_target_tests=False,
    custom_suites=[
        SingerTestSuite(
            kind="target",
            tests=[
                TargetCliPrintsTest,
                TargetRecordBeforeSchemaTest,
                TargetInvalidSchemaTest,
                TargetEncodedStringData,
                TargetDuplicateRecords,
            ],
        )
    ],
)


class TestTargetQuickBooksSDK(_SDKTests):  # type: ignore[misc, valid-type]
    """The SDK's tests, each with a fresh sandbox company."""

    @pytest.fixture
    def runner(self, qbo_sandbox: RunningSandbox, tmp_path: Path) -> TargetTestRunner:
        config = target_config(
            qbo_sandbox,
            tmp_path,
            stream_maps=STREAM_MAPS,
            stream_maps_to_objects={"test_record_missing_key_property": "Customer"},
        )
        return TargetTestRunner(target_class=TargetQuickBooks, config=config)
