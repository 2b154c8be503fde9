"""The SDK internals the tap overrides (tap_quickbooks.sdk_overrides) are still there, unchanged.

When a singer-sdk release renames one of them or changes its signature, the tap's override would
silently stop being called (or be called wrongly): these tests fail first, naming the method.
"""

from __future__ import annotations

import inspect
from importlib.metadata import version
from typing import Any

import pytest
import singer_sdk
from singer_sdk import Stream
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.helpers import _catalog, _util
from tap_quickbooks import sdk_overrides
from tap_quickbooks.messages import SingerWriter
from tap_quickbooks.reports import ReportStream
from tap_quickbooks.sdk_overrides import OVERRIDES
from tap_quickbooks.streams import ObjectStream
from tap_quickbooks.tap import TapQuickBooks

SDK = f"singer-sdk {version('singer-sdk')}"
OVERRIDDEN = [(ours, base, name) for ours, (base, names) in OVERRIDES.items() for name in names]


def test_every_override_of_an_sdk_internal_is_listed_and_lives_in_one_module() -> None:
    listed = {(ours, name) for ours, _base, name in OVERRIDDEN}
    for cls in {
        *TapQuickBooks.__mro__,
        *ObjectStream.__mro__,
        *ReportStream.__mro__,
        *SingerWriter.__mro__,
    }:
        if cls.__module__.startswith("singer_sdk") or cls is object:
            continue
        for name, value in vars(cls).items():
            private = name.startswith("_") and not name.startswith("__")
            if (
                private
                and callable(value)
                and any(hasattr(b, name) for b in (singer_sdk.Tap, Stream, MsgSpecWriter))
            ):
                assert cls.__module__ == sdk_overrides.__name__, (
                    f"{cls.__name__}.{name} outside sdk_overrides"
                )
                assert (cls, name) in listed, f"{cls.__name__}.{name} is not listed in OVERRIDES"


def shape(method: Any) -> list[tuple[str, Any, Any]]:
    """A signature's parameters (name, kind, default), without annotations (written differently)."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(method).parameters.values()]


@pytest.mark.parametrize(
    ("ours", "base", "name"), OVERRIDDEN, ids=[f"{b.__name__}.{n}" for _o, b, n in OVERRIDDEN]
)
def test_overridden_sdk_internal_still_exists_with_the_same_signature(
    ours: type, base: type, name: str
) -> None:
    sdk = getattr(base, name, None)
    assert sdk is not None, f"{SDK} has no {base.__name__}.{name}: see sdk_overrides"
    assert shape(getattr(ours, name)) == shape(sdk), (
        f"{SDK} changed the signature of {base.__name__}.{name}: check the override in sdk_overrides"
    )
    assert getattr(getattr(ours, name), "__override__", False), f"{ours.__name__}.{name} lacks @override"


def test_the_sdk_internals_the_tap_calls_are_still_there() -> None:
    assert list(inspect.signature(_catalog.pop_deselected_record_properties).parameters)[:3] == [
        "record",
        "schema",
        "mask",
    ]
    # TapQuickBooks.setup_mapper selects a schema the way the SDK's does
    assert list(inspect.signature(_catalog.get_selected_schema).parameters) == [
        "stream_name",
        "schema",
        "mask",
    ]
    assert callable(_util.utc_now)
    stream_init = inspect.getsource(Stream.__init__)
    assert "self._stream_version" in stream_init, "LeanRecordMessages reads Stream._stream_version"
    validate = inspect.signature(singer_sdk.Tap._validate_config)
    assert "raise_errors" in validate.parameters


def test_the_mapper_registers_the_schemas_and_keys_the_sdks_own_would() -> None:
    config = {"client_id": "id", "client_secret": "secret", "realm_id": "1"}
    found = TapQuickBooks(config=config).catalog_dict
    for entry in found["streams"]:
        for meta in entry["metadata"]:
            if entry["tap_stream_id"] == "Account" and meta["breadcrumb"] == ["properties", "Description"]:
                meta["metadata"]["selected"] = False  # one property left out of one stream
            if entry["tap_stream_id"] == "Bill" and meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = False  # one stream left out
    tap = TapQuickBooks(config=config, catalog=found)
    ours = {name: maps[0] for name, maps in tap.mapper.stream_maps.items()}
    singer_sdk.Tap.setup_mapper(tap)
    sdks = {name: maps[0] for name, maps in tap.mapper.stream_maps.items()}
    assert set(ours) == set(sdks)
    assert "Description" not in ours["Account"].transformed_schema["properties"]
    for name, mapped in sdks.items():
        assert ours[name].transformed_schema == mapped.transformed_schema, name
        assert list(ours[name].transformed_key_properties or []) == list(
            mapped.transformed_key_properties or []
        )
