"""Every override of a singer-sdk internal in the target, in one place, each saying why no public
hook does it.

The rest of the target overrides only public SDK hooks (``process_endofpipe``, ``invoke``,
``cb_config``, the sink's ``process_record`` and ``process_batch``, the reader's
``process_lines``). What is here is private to the SDK and may change in any release:
``tests/test_target_sdk_overrides.py`` checks that each method still exists on the SDK's base
class with the signature overridden here, and that the SDK still keeps the last STATE where
:attr:`StateAfterWrites.latest_state` reads it, so that moving the ``singer-sdk`` pin shows at
once which of them to look at again.
"""

from __future__ import annotations

import copy

from qbd_client import settings as desktop_settings
from qbo_client import redact
from qbo_client import settings as online_settings
from qbo_client.config_checks import SettingsError, invalid_settings
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.sinks import Sink
from singer_sdk.target_base import Target
from typing_extensions import override


class FatalConfigValidation(Target):
    """A target whose invalid config ends in one line naming each setting, not a log line per error."""

    #: A plugin's own settings that only one edition reads (see :func:`qbd_client.settings.check_edition`).
    desktop_only_settings: tuple[str, ...] = ()
    online_only_settings: tuple[str, ...] = ()

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The SDK's validation; an invalid config raises :class:`SettingsError`, one line naming
        each setting (``main`` prints it, exit status 2).

        No public hook sits between the SDK's validator and what the SDK does with its errors: its
        command logs one line per error and exits 1. The secrets are masked first: the errors quote
        the values they refuse (``98765 is not of type 'string' in config['client_secret']``), and
        the SDK runs this inside ``Target.__init__``, before any masking in a subclass's
        ``__init__`` could.
        """
        redact.protect_settings(self._config)
        try:
            found = super()._validate_config(raise_errors=raise_errors)
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


class StateAfterWrites(Target):
    """A target that emits a STATE only once every record received before it is written (or
    dead-lettered), and never the same state twice."""

    _emitted_state: dict | None = None

    def state_must_wait(self) -> bool:
        """Whether records received before the latest state still wait to be written."""
        return False

    @property
    def latest_state(self) -> dict | None:
        """The last STATE value received.

        The SDK keeps it in a private attribute and has no public accessor; a target that emits
        state between drains (see ``TargetQuickBooks.checkpoint``) needs it.
        """
        return self._latest_state

    @override
    def _write_state_message(self, state: dict) -> None:
        """Hold a state back while :meth:`state_must_wait`; a state already emitted is not emitted again.

        No public hook decides when a state is emitted: the SDK's ``drain_all`` (final) calls this
        after every drain, whether or not the sinks wrote what they hold. This target's sinks keep
        records in a spool across drains (to write parents before children), so a state the SDK
        emits after a drain could confirm records not yet written, and a run killed then would lose
        them.
        """
        if self.state_must_wait():
            self.logger.info("state held back: records received before it are still waiting to be written")
            return
        if state == self._emitted_state:
            return
        self._emitted_state = copy.deepcopy(state)
        self.emit_state(copy.deepcopy(state))

    def emit_state(self, state: dict) -> None:
        """Send out a confirmed state: a line on stdout, as Singer has it (the Airbyte destination,
        :mod:`target_quickbooks.airbyte`, sends the Airbyte state message it stands for instead)."""
        super()._write_state_message(state)


class KeyPropertiesOptional(Sink):
    """A sink that takes records without the stream's key properties (a new object has no ``Id``)."""

    @override
    def _singer_validate_message(self, record: dict) -> None:
        """Accept every record, whatever key properties its SCHEMA declared.

        The SDK refuses a record that lacks one of ``key_properties`` with
        ``MissingKeyPropertiesError``, which ends the run with a traceback before anything is
        written. This target never uses the key properties: a record with an ``Id`` updates that
        object, one without is matched by its natural key or created (a user's own file of new
        customers declares ``key_properties: ["Id"]`` and has no Ids yet), and a record that is
        really wrong goes to the dead letter with its reason. The SDK calls this between its public
        ``preprocess_record`` and ``process_record`` hooks, and neither can keep the check from
        running.
        """


#: Each class here: the SDK class whose internals it overrides, and their names.
OVERRIDES: dict[type, tuple[type, tuple[str, ...]]] = {
    FatalConfigValidation: (Target, ("_validate_config",)),
    StateAfterWrites: (Target, ("_write_state_message",)),
    KeyPropertiesOptional: (Sink, ("_singer_validate_message",)),
}
