"""Every override of a singer-sdk internal, in one place, each saying why no public hook does it.

The rest of the tap overrides only public SDK hooks. These three methods are private to the SDK
and may change in any release: ``tests/test_tap_sdk_overrides.py`` checks that each still exists on
the SDK's base class with the signature overridden here, so moving the ``singer-sdk`` pin shows at
once which of them to look at again.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any, ClassVar

from qbd_client import settings as desktop_settings
from qbo_client import redact
from qbo_client import settings as online_settings
from qbo_client.config_checks import SettingsError, invalid_settings
from singer_sdk import Stream, Tap
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers._catalog import pop_deselected_record_properties
from singer_sdk.helpers._util import utc_now
from singer_sdk.singerlib import RecordMessage, SelectionMask
from typing_extensions import override

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context, Record


class FatalConfigValidation(Tap):
    """A tap whose config validation is fatal in every mode, discovery included."""

    #: The plugin's own settings that only one edition reads (the other edition refuses them).
    online_only_settings: ClassVar[tuple[str, ...]] = ()
    desktop_only_settings: ClassVar[tuple[str, ...]] = ()

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The SDK's validation, fatal in every mode: an invalid config raises :class:`SettingsError`.

        No public hook sits between the SDK's validator and what the SDK does with its errors:
        discovery passes ``raise_errors=False`` and only warns "Config validation failed", naming
        no setting, then exits 0; a run gets one log line per error and exit status 1. Here both get
        one line naming each setting (``main`` prints it, exit status 2); discovery needs a valid
        config too, since settings shape the catalog (``include_deletes``, ``reports``). The secrets
        are masked first: the errors quote the values they refuse (``98765 is not of type 'string'
        in config['client_secret']``).
        """
        redact.protect_settings(self._config)
        try:
            found = super()._validate_config(raise_errors=True)
        except ConfigValidationError as exc:
            raise SettingsError(invalid_settings(exc.errors)) from None
        # Which settings are required depends on the edition: the schema marks none of them.
        # Meltano passes every default along: a value equal to its default is not "given".
        problem = desktop_settings.check_edition(
            self._config,
            online_names=online_settings.NAMES,
            online_required=online_settings.REQUIRED,
            desktop_only=self.desktop_only_settings,
            online_only=self.online_only_settings,
            defaults=desktop_settings.schema_defaults(self.config_jsonschema),
        )
        if problem:
            raise SettingsError(problem)
        return found


class BookmarkOnCompletion(Stream):
    """A stream whose bookmark moves only when it completes (:meth:`complete`).

    Its records come out of time order, so no record's replication key is a place to resume from:
    while the stream syncs, its bookmark stays where the previous run left it; when it completes,
    the bookmark becomes the value given to :meth:`complete` (the run's start). A run interrupted
    anywhere resumes without losing a record.
    """

    @override
    def _increment_stream_state(self, latest_record: Record, *, context: Context | None = None) -> None:
        """Nothing per record: the bookmark moves in :meth:`complete`.

        No public hook decides what a record does to the state. The SDK's own bookkeeping for a
        stream that says ``is_sorted = False`` keeps the largest value seen in
        ``progress_markers``, which it never resumes from, and logs "Stream is assumed to be
        unsorted, progress is not resumable if interrupted" once per stream and run.
        ``tests/test_tap_cli.py::test_a_run_logs_no_unsorted_warning_and_keeps_no_progress_markers``
        notices when the SDK stops calling it.
        """

    def complete(self, value: str, context: Context | None = None) -> None:
        """Every change before ``value`` has been read: the bookmark becomes ``value``."""
        state = self.get_context_state(context)
        state["replication_key"] = self.replication_key
        state["replication_key_value"] = value


class LeanRecordMessages(Stream):
    """A stream whose RECORD messages skip two walks over every record that change nothing here."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._checked_mask: SelectionMask | None = None
        self._all_selected = True
        super().__init__(*args, **kwargs)

    @override
    def _generate_record_messages(self, record: Record) -> Generator[RecordMessage, None, None]:
        """The SDK's own, less ``pop_deselected_record_properties`` when every property is selected
        and less ``conform_record_data_types``.

        For speed (measured: about half the SDK's time per record). No public hook leaves these out:
        the SDK calls ``pop_deselected_record_properties``, which copies and walks every nested
        object of every record even when every property is selected (the usual catalog), and
        ``conform_record_data_types``, which does nothing at ``TypeConformanceLevel.NONE`` (the
        level of these streams).
        """
        mask = self.mask
        if mask is not self._checked_mask:
            self._checked_mask, self._all_selected = mask, all(mask.values())
        if not self._all_selected:
            pop_deselected_record_properties(record, self.schema, mask)
        for stream_map in self.stream_maps:
            mapped = stream_map.transform(record)
            if mapped is not None:
                yield RecordMessage(
                    stream=stream_map.stream_alias,
                    record=mapped,
                    version=self._stream_version,
                    time_extracted=utc_now(),
                )


#: What each class here overrides, by SDK base class: what the guard test checks.
OVERRIDES: dict[type, tuple[type, tuple[str, ...]]] = {
    FatalConfigValidation: (Tap, ("_validate_config",)),
    BookmarkOnCompletion: (Stream, ("_increment_stream_state",)),
    LeanRecordMessages: (Stream, ("_generate_record_messages",)),
}

__all__ = ["OVERRIDES", "BookmarkOnCompletion", "FatalConfigValidation", "LeanRecordMessages"]
