"""target-quickbooks: Singer records into a QuickBooks Online or QuickBooks Desktop company."""

from __future__ import annotations

import copy
import logging
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click
from qbd_client import settings as desktop_settings
from qbd_client.client import BridgeError
from qbd_client.errors import QBDError
from qbo_client import authorize, redact
from qbo_client import settings as client_settings
from qbo_client.config import ClientConfig
from qbo_client.config_checks import SettingsError, check_config_file
from qbo_client.errors import QBOError
from singer_sdk import typing as th
from singer_sdk.exceptions import RecordsWithoutSchemaException
from singer_sdk.mapper import RemoveRecordTransform
from singer_sdk.singerlib.exceptions import InvalidInputLine
from singer_sdk.sinks import Sink
from typing_extensions import override

from .deadletter import FailFast
from .desktop.sink import DesktopSink
from .desktop.sink import object_for_stream as desktop_object_for_stream
from .desktop.writer import DesktopSettings, DesktopWriter
from .edition import Edition, RunContext
from .mapping import StreamMappingError, check_explicit, is_deleted_objects, report_for_name, resolve_stream
from .online.edition import OnlineEdition
from .reader import QuickBooksReader
from .run import RunWriter
from .sdk_overrides import FatalConfigValidation, StateAfterWrites
from .sinks import DeletedObjectsSink, Ignored, IgnoredSink, QuickBooksSink, writes_nothing
from .writer import Settings, Writer

#: The exit status of a run that wrote records to the dead letter (``dead_letter_exit_code``): not 0,
#: so that a scheduler sees the run as failed; not 1 or 2, which say the run stopped.
DEAD_LETTER_EXIT_CODE = 3


class TargetQuickBooks(FatalConfigValidation, StateAfterWrites):
    """Writes QuickBooks-shaped records (as tap-quickbooks emits them, or reshaped with stream maps)."""

    name = "target-quickbooks"
    default_sink_class = QuickBooksSink
    message_reader_class = QuickBooksReader
    #: The exit status the command ends with after a complete run: ``dead_letter_exit_code`` when
    #: records went to the dead letter, else 0. Kept on the class because the SDK's command builds
    #: and runs the target inside ``invoke`` and hands no instance back.
    exit_status = 0

    #: Settings only one edition reads (given with the other edition, they are refused by name).
    desktop_only_settings: tuple[str, ...] = ("desktop_source_company",)
    online_only_settings: tuple[str, ...] = ("source_realm_id",)

    config_jsonschema = th.PropertiesList(
        *client_settings.sdk_properties(required=False),
        *desktop_settings.sdk_properties(),
        # -- what to write and how --
        th.Property(
            "stream_maps_to_objects",
            th.ObjectType(additional_properties=True),
            description='Stream -> object: {"contacts": "Customer"} or {"contacts": {"object": "Customer", '
            '"natural_key": ["DisplayName"]}}. Streams named after an object need no entry.',
        ),
        th.Property(
            "unmapped_streams",
            th.StringType,
            default="fail",
            allowed_values=["fail", "skip"],
            description="A stream that maps to no object QuickBooks lets a client write: fail (stop the "
            "run at its SCHEMA, before anything is written) or skip (read its records, write none; "
            "a warning per stream). Reports and streams stream_maps sends to __NULL__ are always skipped.",
        ),
        th.Property(
            "create_only", th.BooleanType, default=False, description="Never update existing objects."
        ),
        th.Property("update_only", th.BooleanType, default=False, description="Never create objects."),
        th.Property(
            "dry_run",
            th.BooleanType,
            default=False,
            description="Print the plan (create/update/delete/void per record) to stderr; write nothing.",
        ),
        th.Property(
            "dead_letter_path",
            th.StringType,
            default="target-quickbooks-dead-letter.jsonl",
            description="JSONL file of the records that could not be written, with the reason.",
        ),
        th.Property(
            "dead_letter_exit_code",
            th.IntegerType(minimum=0, maximum=255),
            default=DEAD_LETTER_EXIT_CODE,
            description="Exit status of a run that put records in the dead letter, so that a scheduler "
            "sees it (0: such a run succeeds).",
        ),
        th.Property(
            "fail_fast", th.BooleanType, default=False, description="Stop at the first failed record."
        ),
        th.Property(
            "copy_mode",
            th.BooleanType,
            default=False,
            description="The records come from another company: map their Ids through the id map.",
        ),
        th.Property(
            "source_realm_id",
            th.StringType,
            description="The company the records come from; a value other than realm_id turns copy_mode on.",
        ),
        th.Property(
            "id_map_path",
            th.StringType,
            description="The source Id -> target Id map (SQLite); default next to the token store.",
        ),
        th.Property(
            "batch_size", th.IntegerType, default=30, description="Items per batch request (at most 30)."
        ),
        th.Property("spool_dir", th.StringType, description="Where records wait on disk before a drain."),
        # -- QuickBooks Desktop (edition desktop) --
        th.Property(
            "desktop_records_per_message_set",
            th.IntegerType(minimum=1, maximum=500),
            default=100,
            description="Desktop: write requests per qbXML message set. Many per set keeps the round trips "
            "through the Web Connector few; each answer holds the whole object written, and an answer "
            "too large makes the Web Connector time out",
        ),
        th.Property(
            "desktop_list_deletes",
            th.StringType,
            default="delete",
            allowed_values=["delete", "inactivate"],
            description="Desktop: what a deleted list record (Customer, Account, ...) does: delete the "
            "object (ListDel; QuickBooks refuses it for an object in use) or make it inactive",
        ),
        th.Property(
            "desktop_source_company",
            th.StringType,
            description="Desktop: the company the records come from (its name on the bridge); a name other "
            "than company turns copy_mode on",
        ),
        th.Property(
            "desktop_busy_wait",
            th.NumberType(minimum=0),
            default=2.0,
            description="Desktop: seconds before sending again what QuickBooks answered busy (3170-3180), "
            "times the attempt",
        ),
    ).to_dict()

    @classmethod
    @override
    def cb_config(cls, ctx: click.Context, param: click.Option, value: tuple[str, ...]) -> Any:
        """Each ``--config`` file checked first: a missing or malformed one is named, not a traceback."""
        for path in value:
            check_config_file(path)
        return super().cb_config(ctx, param, value)

    @classmethod
    @override
    def get_singer_command(cls) -> click.Command:
        """The SDK's command, with a help that tells of the ``auth`` command beside it."""
        command = super().get_singer_command()
        command.help = (
            "Execute the Singer target: write records into a QuickBooks Online company. "
            f"`{cls.name} auth --config FILE` connects a company first (OAuth consent in a browser; the "
            f"tokens go to the token store): see `{cls.name} auth --help`."
        )
        return command

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        redact.protect_settings(self.config)
        check_explicit(self.config.get("stream_maps_to_objects"))
        batch_size = int(self.config.get("batch_size") or 30)
        if not 1 <= batch_size <= 30:
            raise SettingsError(
                f"batch_size must be between 1 and 30 (QuickBooks' batch limit), not {batch_size}"
            )
        if self.config.get("create_only") and self.config.get("update_only"):
            raise SettingsError("create_only and update_only exclude each other: set one of them")
        self.finishing = False
        self.edition = desktop_settings.edition_of(self.config)
        self._writer: RunWriter | None = None
        #: What the last run did (kept after the writer is closed, for callers and tests).
        self.counts: dict[str, int] = {}
        self.client_stats: dict[str, int] = {}
        #: Streams whose records are read and not written, and why (see :class:`IgnoredSink`).
        self.ignored_streams: dict[str, Ignored] = {}
        self._said: set[str] = set()

    @property
    def writer(self) -> RunWriter:
        """The run's writer (:mod:`target_quickbooks.run`): Online's, or Desktop's for edition desktop."""
        if self._writer is None:
            if self.edition == "desktop":
                self._writer = DesktopWriter(self._desktop_settings())
            else:
                self._writer = Writer(self._settings(), self.open_edition)
        return self._writer

    @override
    def get_sink_class(self, stream_name: str) -> type[Sink]:
        """The sink of a stream, chosen when its SCHEMA arrives: a stream the stream maps send to
        ``__NULL__`` or that carries a report is read and not written; a stream that maps to no
        object fails the run here (``unmapped_streams: fail``) or is skipped."""
        explicit = self.config.get("stream_maps_to_objects") or {}
        if self._maps_to_null(stream_name):
            return self._ignore(
                stream_name,
                Ignored(
                    f"stream {stream_name!r} is sent to __NULL__ by stream_maps: nothing of it is written",
                    logging.INFO,
                ),
            )
        report = report_for_name(stream_name) if stream_name not in explicit else None
        if self.edition == "desktop" and (report is None or _desktop_knows(stream_name, explicit)):
            # Desktop's catalog holds the reports it reads itself
            return self._checked(
                stream_name, lambda: desktop_object_for_stream(stream_name, explicit), DesktopSink
            )
        if report is not None:
            message = (
                f"stream {stream_name!r} is the {report} report, which QuickBooks computes from the "
                "transactions: its records are read and not written"
            )
            return self._ignore(stream_name, Ignored(message, counter="report_rows_ignored"))
        if is_deleted_objects(stream_name, explicit):
            return DeletedObjectsSink
        return self._checked(stream_name, lambda: self._writable(stream_name, explicit), QuickBooksSink)

    def _checked(self, stream_name: str, check: Callable[[], object], sink: type[Sink]) -> type[Sink]:
        try:
            check()
        except StreamMappingError as exc:
            if self.config.get("unmapped_streams") != "skip":
                raise
            return self._ignore(
                stream_name,
                Ignored(
                    f"{exc.what}; unmapped_streams is skip: its records are read and not written (map it in "
                    "stream_maps_to_objects to write it, or send it to __NULL__ with stream_maps to "
                    "silence this warning)"
                ),
            )
        return sink

    def _writable(self, stream_name: str, explicit: Mapping[str, Any]) -> None:
        """Raise StreamMappingError for a stream that maps to no object, or (under ``skip``) to
        one the API lets a client write in no way; without ``skip`` each record of such a stream
        goes to the dead letter saying so, as a copy of a whole company expects."""
        spec = resolve_stream(stream_name, explicit).spec
        if writes_nothing(spec) and self.config.get("unmapped_streams") == "skip":
            raise StreamMappingError(
                f"stream {stream_name!r} maps to {spec.name}, which the QuickBooks API lets a client "
                "read only (neither create, update nor delete)"
            )

    def _maps_to_null(self, stream_name: str) -> bool:
        """Whether every stream map that feeds this stream name drops its records (``__NULL__``,
        or an ``__else__: __NULL__`` that covers it)."""
        maps = [
            m for found in self.mapper.stream_maps.values() for m in found if m.stream_alias == stream_name
        ]
        return bool(maps) and all(isinstance(m, RemoveRecordTransform) for m in maps)

    def _ignore(self, stream_name: str, why: Ignored) -> type[Sink]:
        self.ignored_streams[stream_name] = why
        return IgnoredSink

    def say_once(self, stream_name: str, level: int, message: str) -> None:
        """Log a stream's message once per run (a stream's sink is made again when its schema changes)."""
        if stream_name not in self._said:
            self._said.add(stream_name)
            self.logger.log(level, "%s", message)

    def _desktop_settings(self) -> DesktopSettings:
        config = self.config
        company = str(config["company"])
        source = str(config.get("desktop_source_company") or "")
        copy_mode = bool(config.get("copy_mode")) or bool(source and source != company)
        id_map = config.get("id_map_path")
        if id_map:
            id_map_path = Path(str(id_map)).expanduser()
        else:
            id_map_path = (
                Path.home() / ".target-quickbooks" / f"idmap-desktop-{source or 'source'}-to-{company}.sqlite"
            )
        return DesktopSettings(
            bridge_url=str(config["bridge_url"]),
            bridge_token=str(config["bridge_token"]),
            company=company,
            wait_for_qbwc=float(config.get("wait_for_qbwc") or desktop_settings.DEFAULT_WAIT_FOR_QBWC),
            copy_mode=copy_mode,
            create_only=bool(config.get("create_only")),
            update_only=bool(config.get("update_only")),
            dry_run=bool(config.get("dry_run")),
            fail_fast=bool(config.get("fail_fast")),
            dead_letter_path=Path(
                str(config.get("dead_letter_path") or "target-quickbooks-dead-letter.jsonl")
            ),
            id_map_path=id_map_path,
            spool_dir=Path(str(config["spool_dir"])) if config.get("spool_dir") else None,
            records_per_message_set=int(config.get("desktop_records_per_message_set") or 100),
            list_deletes=str(config.get("desktop_list_deletes") or "delete"),
            busy_wait=float(config.get("desktop_busy_wait", 2.0)),
        )

    def open_edition(self, run: RunContext) -> Edition:
        """The QuickBooks edition the records are written to (:mod:`target_quickbooks.edition`);
        everything else in the target is the same for every edition."""
        return OnlineEdition(run)

    def _settings(self) -> Settings:
        config = self.config
        client = {k: config[k] for k in client_settings.NAMES if config.get(k) is not None}
        source = str(config.get("source_realm_id") or "")
        copy_mode = bool(config.get("copy_mode")) or bool(source and source != str(config.get("realm_id")))
        id_map = config.get("id_map_path")
        if id_map:
            id_map_path = Path(str(id_map)).expanduser()
        else:
            store = ClientConfig.from_mapping(client).store_path
            id_map_path = store.parent / f"idmap-{source or 'source'}-to-{config['realm_id']}.sqlite"
        return Settings(
            client=client,
            copy_mode=copy_mode,
            source_realm_id=source,
            create_only=bool(config.get("create_only")),
            update_only=bool(config.get("update_only")),
            dry_run=bool(config.get("dry_run")),
            fail_fast=bool(config.get("fail_fast")),
            dead_letter_path=Path(
                str(config.get("dead_letter_path") or "target-quickbooks-dead-letter.jsonl")
            ),
            id_map_path=id_map_path,
            batch_size=int(config.get("batch_size") or 30),
            spool_dir=Path(str(config["spool_dir"])) if config.get("spool_dir") else None,
        )

    @override
    def process_endofpipe(self) -> None:
        """Write (or dead-letter) everything, then let the SDK drain and emit the last state."""
        self.finishing = True
        try:
            if self._writer is not None:
                self._writer.drain(final=True)
            super().process_endofpipe()
            if self._writer is not None:
                summary = self._writer.summary()
                dead = self._writer.dead
                code = self.config.get("dead_letter_exit_code")
                code = DEAD_LETTER_EXIT_CODE if code is None else int(code)
                TargetQuickBooks.exit_status = code if dead.count else 0
                if dead.count:
                    self.logger.warning(
                        "target-quickbooks finished with %d record(s) in the dead letter %s (each with "
                        "the reason): %s",
                        dead.count,
                        dead.path,
                        summary,
                    )
                else:
                    self.logger.info("target-quickbooks finished: %s", summary)
        finally:
            if self._writer is not None:
                self.counts = dict(self._writer.counts)
                self.client_stats = self._writer.client_stats()
                self._writer.close()
                self._writer = None

    def close(self) -> None:
        """Let go of the connections and files of a run that stopped early (a bad input line)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def checkpoint(self) -> None:
        """After a drain: if every record received so far is written (or dead-lettered), the last
        state received is confirmed at once, not only at the end of the input, so that a run
        killed midway resumes from there rather than from the start."""
        if self.latest_state and not self.finishing:
            self._write_state_message(copy.deepcopy(self.latest_state))

    @override
    def state_must_wait(self) -> bool:
        return self._writer is not None and self._writer.holds_records

    @classmethod
    @override
    def invoke(cls, *args: Any, **kwargs: Any) -> None:
        """Run; an input that cannot be used, a failed record under ``fail_fast`` or a company that
        cannot be reached stops the run with one clear line on stderr and exit status 2. A run that
        put records in the dead letter ends with ``dead_letter_exit_code`` (3; 0 for a success)."""
        TargetQuickBooks.exit_status = 0
        try:
            super().invoke(*args, **kwargs)
        except (
            InvalidInputLine,
            RecordsWithoutSchemaException,
            StreamMappingError,
            FailFast,
            QBOError,
            QBDError,
            BridgeError,
        ) as exc:
            cls.logger.error("target-quickbooks stopped: %s", exc)
            sys.exit(2)
        if TargetQuickBooks.exit_status:
            sys.exit(TargetQuickBooks.exit_status)


def _desktop_knows(stream_name: str, explicit: Mapping[str, Any]) -> bool:
    try:
        desktop_object_for_stream(stream_name, explicit)
    except StreamMappingError:
        return False
    return True


def main() -> None:
    """``target-quickbooks``: ``target-quickbooks auth`` connects a company, anything else runs the target."""
    # The same dispatch as tap-quickbooks' (see tap_quickbooks.tap.main for why not a click subcommand).
    authorize.dispatch(TargetQuickBooks.name, _singer_command)


def _singer_command() -> None:
    """The SDK's command; a config it cannot use stops it with one line and exit status 2.

    Caught here, around the whole command, because the SDK reads ``--config`` in a click callback,
    before (and outside) :meth:`TargetQuickBooks.invoke`.
    """
    try:
        TargetQuickBooks.cli()
    except SettingsError as exc:
        TargetQuickBooks.logger.error("target-quickbooks stopped: %s", exc)
        sys.exit(2)


if __name__ == "__main__":
    main()
