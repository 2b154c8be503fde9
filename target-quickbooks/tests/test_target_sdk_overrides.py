"""The SDK internals the target overrides (target_quickbooks.sdk_overrides) are still there, unchanged.

When a singer-sdk release renames one of them or changes its signature, the target's override would
silently stop being called (or be called wrongly): these tests fail first, naming the method.
"""

from __future__ import annotations

import inspect
from importlib.metadata import version
from typing import Any

import pytest
from singer_sdk.io_base import SingerReader
from singer_sdk.sinks import Sink
from singer_sdk.target_base import Target
from target_quickbooks import sdk_overrides
from target_quickbooks.reader import QuickBooksReader
from target_quickbooks.sdk_overrides import OVERRIDES
from target_quickbooks.sinks import QuickBooksSink
from target_quickbooks.target import TargetQuickBooks

SDK = f"singer-sdk {version('singer-sdk')}"
OVERRIDDEN = [(ours, base, name) for ours, (base, names) in OVERRIDES.items() for name in names]


def test_every_override_of_an_sdk_internal_is_listed_and_lives_in_one_module() -> None:
    listed = {(ours, name) for ours, _base, name in OVERRIDDEN}
    for cls in {*TargetQuickBooks.__mro__, *QuickBooksSink.__mro__, *QuickBooksReader.__mro__}:
        if cls.__module__.startswith("singer_sdk") or cls.__module__ in ("abc", "typing", "builtins"):
            continue
        for name, value in vars(cls).items():
            private = name.startswith("_") and not name.startswith("__")
            if private and callable(value) and any(hasattr(b, name) for b in (Target, Sink, SingerReader)):
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
    assert sdk is not None, f"{SDK} has no {base.__name__}.{name}: see target_quickbooks.sdk_overrides"
    assert shape(getattr(ours, name)) == shape(sdk), (
        f"{SDK} changed the signature of {base.__name__}.{name}: check the override in sdk_overrides"
    )


def test_the_sdk_still_keeps_the_latest_state_where_the_target_reads_it() -> None:
    target = TargetQuickBooks(
        config={"client_id": "id", "client_secret": "secret", "realm_id": "1"}, validate_config=True
    )
    try:
        assert target.latest_state is None
        target._process_state_message({"type": "STATE", "value": {"bookmarks": {"Customer": 1}}})
        assert target.latest_state == {"bookmarks": {"Customer": 1}}, (
            f"{SDK} no longer keeps the last STATE in Target._latest_state: see StateAfterWrites.latest_state"
        )
    finally:
        target.close()


def test_the_sdk_still_emits_state_through_the_overridden_method() -> None:
    """``drain_all`` (final in the SDK) is what calls ``_write_state_message``: the held-back rule
    depends on it."""
    assert "_write_state_message" in inspect.getsource(Target.drain_all), (
        f"{SDK}'s Target.drain_all no longer emits state through _write_state_message: see "
        "StateAfterWrites in sdk_overrides"
    )
