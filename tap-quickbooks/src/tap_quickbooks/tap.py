"""The tap: its settings, its streams, and the run context it hands them.

The tap is the Singer side; what it reads comes from its edition (:mod:`tap_quickbooks.edition`;
QuickBooks Online: :mod:`tap_quickbooks.online`; QuickBooks Desktop through qbd-bridge:
:mod:`tap_quickbooks.desktop`), picked per tap by the ``edition`` setting
(:attr:`TapQuickBooks.active_edition`). The config schema declares both editions' settings, none
of them required: :mod:`tap_quickbooks.sdk_overrides` checks that a config gives its edition's
settings and none of the other's. The streams of a run share a
:class:`~tap_quickbooks.run.RunContext`: the run's upper bound (the moment it started), the order
the streams sync in, and the edition's run (for QuickBooks Online: its client, page scheduler and
change feed).

Tokens: QuickBooks rotates refresh tokens. The tap never writes one back into its config (under
Meltano that file is a temporary copy); the client keeps the current tokens in its token store,
which is the source of truth once it exists.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import click
from qbd_client import settings as desktop_settings
from qbd_client.client import BridgeError
from qbd_client.errors import QBDError
from qbo_client import authorize, catalog, redact
from qbo_client import settings as client_settings
from qbo_client.config_checks import SettingsError, check_config_file
from qbo_client.errors import QBOError
from singer_sdk import typing as th
from singer_sdk.helpers._catalog import get_selected_schema
from singer_sdk.mapper import PluginMapper
from typing_extensions import override

from .desktop.edition import DESKTOP_ONLY, DESKTOP_SETTINGS, DesktopEdition
from .messages import SingerWriter
from .online.edition import OnlineEdition, OnlineRun
from .online.lookups import describe_missing, parse_ids, read_by_ids
from .online.queries import MAX_PAGE
from .online.reports import REPORT_SETTINGS
from .realm_column import with_realm_column
from .reports import report_streams
from .run import RunContext
from .sdk_overrides import FatalConfigValidation
from .streams import object_streams

if TYPE_CHECKING:
    from qbo_client.client import QBOClient
    from singer_sdk import Stream

    from .edition import Edition


#: The errors a run stops on with one line and exit status 2: QuickBooks Online's faults, QuickBooks
#: Desktop's statuses, and the bridge's (unreachable, token refused, the Web Connector not calling).
FAULTS: tuple[type[Exception], ...] = (QBOError, QBDError, BridgeError)


class _HandledFaults(logging.Filter):
    """Drops the SDK's "An unhandled error occurred while syncing '<stream>'" when the error is a
    QuickBooks fault: :meth:`TapQuickBooks.invoke` reports it as one line that says what to do.

    A log filter on the streams' loggers because the line comes from ``Stream.sync``, which the SDK
    marks final; it is logged inside the ``except`` that caught the error, so ``sys.exc_info()``
    tells which error it is about. Any other error keeps the SDK's line.
    """

    SDK_LINE = "An unhandled error occurred while syncing"

    @override
    def filter(self, record: logging.LogRecord) -> bool:
        """False for the SDK's line about an error that is a QuickBooks fault."""
        if not str(record.msg).startswith(self.SDK_LINE):
            return True
        return not isinstance(sys.exc_info()[1], FAULTS)


HANDLED_FAULTS = _HandledFaults()


class TapQuickBooks(FatalConfigValidation):
    """Singer tap for QuickBooks Online and QuickBooks Desktop: every object of the catalog, and reports."""

    name = "tap-quickbooks"
    message_writer_class = SingerWriter
    #: The edition of ``edition: online`` (the default): the objects, the reports, how a run reads
    #: them. A tap's own edition is :attr:`active_edition`, picked by its config.
    edition: ClassVar[Edition] = OnlineEdition()
    #: The edition of ``edition: desktop``.
    desktop_edition: ClassVar[Edition] = DesktopEdition()
    #: The tap's own settings that only QuickBooks Online reads, and only Desktop reads.
    online_only_settings = (
        "page_size",
        "stream_filters",
        "cdc_max_per_entity",
        "ids",
        "custom_fields_as_columns",
        "attachments_path",
    )
    desktop_only_settings = DESKTOP_ONLY

    config_jsonschema = th.PropertiesList(
        *client_settings.sdk_properties(required=False),
        *desktop_settings.sdk_properties(),
        th.Property(
            "start_date", th.DateTimeType, description="Read objects updated at or after this (default: all)"
        ),
        th.Property(
            "page_size",
            th.IntegerType(minimum=1, maximum=MAX_PAGE),
            default=MAX_PAGE,
            description="Rows per query page (QBO allows at most 1000)",
        ),
        th.Property(
            "stream_filters",
            th.ObjectType(additional_properties=th.StringType),
            description=(
                "Per object, a QBO query condition ANDed to the tap's own, e.g. "
                '{"Invoice": "TotalAmt > \'100.00\'"} (conditions only: no ORDERBY or paging). '
                "A filtered object is read by query on every run, never from the change feed; its deletes "
                "come out only with reconcile_deletes (the tap then knows which Ids it emitted)"
            ),
        ),
        th.Property(
            "custom_fields_as_columns",
            th.BooleanType,
            default=False,
            description=(
                "Each custom field of the company's sales forms and purchase orders as a column of its own "
                "(custom_crew for 'Crew #'), besides the CustomField array; discovery then reads the "
                "company's Preferences. QuickBooks Online only"
            ),
        ),
        th.Property(
            "ids",
            th.ObjectType(additional_properties=th.ArrayType(th.StringType)),
            description=(
                'Read only these objects by Id, e.g. {"Invoice": ["22", "25"]}: a lookup run reads '
                "nothing else and moves no bookmark. Up to 6,000 Ids per request; an Id not found is "
                "named in a warning. QuickBooks Online only"
            ),
        ),
        th.Property(
            "include_deletes",
            th.BooleanType,
            default=True,
            description="Emit deleted objects as records with _sdc_deleted_at (Id and LastUpdatedTime only)",
        ),
        th.Property(
            "reconcile_deletes",
            th.BooleanType,
            default=False,
            description=(
                "Find deletes CDC cannot report (bookmark older than 30 days, objects CDC does not cover) "
                "by comparing the Ids in QuickBooks with the Ids remembered in state; costs a full read"
            ),
        ),
        th.Property(
            "cdc_max_per_entity",
            th.IntegerType(minimum=1),
            default=1000,
            description="Objects of one type a CDC answer holds at most (QBO: 1000); at it, the tap queries",
        ),
        th.Property(
            "attachments_path",
            th.StringType,
            description=(
                "Download each Attachable's file while its record is read, into this directory or fsspec URL "
                "(s3://, gs://, memory://...), stored by SHA-256, not downloaded again when unchanged; the "
                "record gets _qbo_file_path and _qbo_file_sha256. QuickBooks Online only"
            ),
        ),
        th.Property(
            "add_realm_id",
            th.BooleanType,
            default=False,
            description=(
                "Add _qbo_realm_id (the company's realm id; QuickBooks Desktop: the company's name) to "
                "every record and schema, first in every key, so many companies can share a table"
            ),
        ),
        *REPORT_SETTINGS,
        *DESKTOP_SETTINGS,
    ).to_dict()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Set before the SDK's constructor: it may discover streams, which are handed the run.
        self._run: RunContext | None = None
        super().__init__(*args, **kwargs)
        # After the SDK set up logging (under the CLI, before the tap is built): the filter must
        # sit on the handlers that exist, and registering the values is what makes them masked.
        redact.protect_settings(self.config)

    @classmethod
    @override
    def invoke(cls, *args: Any, **kwargs: Any) -> None:
        """Run; a fault QuickBooks keeps answering after the retries (a dead refresh token, a
        refused query), a QuickBooks Desktop status error or a bridge that cannot serve the run (not
        reachable, the token refused, the Web Connector not calling) stops the run with one clear
        line on stderr and exit status 2, not a traceback: the message already says what to do."""
        try:
            super().invoke(*args, **kwargs)
        except FAULTS as exc:
            cls.logger.error("tap-quickbooks stopped: %s", exc)
            sys.exit(2)

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
            f"Execute the Singer tap: read a {cls.edition.product} company, or with `edition: desktop` a "
            f"{cls.desktop_edition.product} company through qbd-bridge. "
            f"`{cls.name} auth --config FILE` connects a company first (OAuth consent in a browser; the "
            f"tokens go to the token store): see `{cls.name} auth --help`."
        )
        return command

    @override
    def discover_streams(self) -> list[Stream]:
        """A stream for every object of the edition, then its report streams, all sharing the run."""
        run = self.run
        edition = self.active_edition
        streams = [
            *object_streams(self, run, with_realm_column(edition.objects(self.config), self.config)),
            *report_streams(self, run, with_realm_column(edition.reports(self.config), self.config)),
        ]
        for stream in streams:
            stream.logger.addFilter(HANDLED_FAULTS)
        return streams

    @override
    def setup_mapper(self) -> None:
        """The SDK's mapper, registered from the streams rather than from a catalog built for it.

        What the SDK's registers, for less than half the CPU of an idle run's start: the SDK builds
        the tap's catalog (every schema turned into ``Schema`` objects and back into dicts) only to
        register each stream's selected schema, which it copies whole first. A stream's schema here
        is already what its catalog entry says (``Stream.apply_catalog`` set it), and when every
        property is selected, as usual, it is also the selected schema.
        """
        self.mapper = PluginMapper(plugin_config=dict(self.config), logger=self.logger)
        for stream in self.streams.values():
            mask = stream.mask
            schema = (
                stream.schema if all(mask.values()) else get_selected_schema(stream.name, stream.schema, mask)
            )
            self.mapper.register_raw_stream_schema(stream.name, schema, stream.primary_keys)

    @property
    def active_edition(self) -> Edition:
        """The edition this tap's config picks (``edition``: online, the default, or desktop)."""
        if desktop_settings.edition_of(self.config) == "desktop":
            return self.desktop_edition
        return self.edition

    @property
    def run(self) -> RunContext:
        """What the streams of this run share (made with the streams, handed to each)."""
        if self._run is None:
            self._run = RunContext(
                self.active_edition, self.config, self.initialized_at, lambda: self.streams
            )
        return self._run

    @property
    def client(self) -> QBOClient:
        """The run's QuickBooks Online client (created on first use: discovery needs no network)."""
        source = self.run.source
        if not isinstance(source, OnlineRun):
            raise TypeError(f"{self.active_edition.product} has no QuickBooks Online client")
        return source.client

    @property
    def run_upper_bound(self) -> str:
        """The run's start, whole seconds, UTC: every object stream's bookmark once it completes."""
        return self.run.upper_bound


def main() -> None:
    """``tap-quickbooks``: ``tap-quickbooks auth`` connects a company, ``tap-quickbooks get`` prints
    objects by Id, anything else runs the tap."""
    if sys.argv[1:2] == ["get"]:
        sys.exit(get_command(sys.argv[2:]))
    # Why a dispatch in front of the SDK's command and not a click subcommand: singer_sdk builds the
    # CLI as one click.Command whose callback *is* the plugin run (PluginBase.get_singer_command,
    # served by the `cli` class property). A click.Group around it would invoke that callback before
    # any subcommand and change how the options Meltano passes are parsed; overriding
    # get_singer_command would copy the SDK's option list. A Singer command takes no positional
    # argument, so an `auth` among the arguments can only mean the subcommand: it is picked out
    # before click sees them, and the SDK's command stays exactly as the SDK builds it.
    authorize.dispatch(TapQuickBooks.name, _singer_command)


def get_command(argv: list[str]) -> int:
    """``tap-quickbooks get OBJECT ID [ID ...] --config FILE``: each object as one line of JSON, as
    QuickBooks Online answers it. Exit status 0 when every Id was found, 1 when some were not (named
    on stderr), 2 when the settings or QuickBooks refused the read (one line saying why)."""
    parser = argparse.ArgumentParser(
        prog=f"{TapQuickBooks.name} get",
        description="Print QuickBooks Online objects by Id, one JSON object per line (no state).",
    )
    parser.add_argument("object", help="the object, e.g. Invoice")
    parser.add_argument("ids", nargs="+", metavar="ID", help="one or more Ids")
    parser.add_argument("--config", action="append", required=True, help="settings file (repeatable)")
    args = parser.parse_args(argv)
    try:
        for path in args.config:
            check_config_file(path)
        settings: dict[str, Any] = {}
        for path in args.config:
            settings.update(json.loads(Path(path).read_text(encoding="utf-8")))
        settings.pop("ids", None)
        tap = TapQuickBooks(config=settings, setup_mapper=False)
        if not isinstance(tap.run.source, OnlineRun):
            raise SettingsError("get reads QuickBooks Online (edition online); this config is for Desktop")
        spec = catalog.find(args.object)
        if spec is None:
            raise SettingsError(
                f"{args.object!r} is not a QuickBooks Online object; use one of: {', '.join(catalog.names())}"
            )
        ids = parse_ids({"ids": {spec.name: args.ids}})[spec.name]
        try:
            rows, missing = read_by_ids(tap.client, spec, ids)
        finally:
            tap.run.close()
    except (SettingsError, QBOError, QBDError, BridgeError) as exc:
        print(f"{TapQuickBooks.name} get: {exc}", file=sys.stderr)
        return 2
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))
    if missing:
        print(
            f"{TapQuickBooks.name} get: {describe_missing(spec.name, missing, tap.client.config.realm_id)}",
            file=sys.stderr,
        )
        return 1
    return 0


def _singer_command() -> None:
    """The SDK's command; a config it cannot use stops it with one line and exit status 2.

    Caught here, around the whole command, because the SDK reads ``--config`` and runs discovery in
    click callbacks, before (and outside) :meth:`TapQuickBooks.invoke`.
    """
    try:
        TapQuickBooks.cli()
    except SettingsError as exc:
        TapQuickBooks.logger.error("tap-quickbooks stopped: %s", exc)
        sys.exit(2)


if __name__ == "__main__":
    main()
