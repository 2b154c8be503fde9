"""target-quickbooks as an Airbyte destination: ``spec``, ``check`` and ``write`` over the Singer target.

A thin layer, not a second target. ``write`` turns the Airbyte input into the Singer input the
target already reads (the configured catalog's streams into SCHEMA messages, each Airbyte RECORD
into a RECORD, ``_ab_cdc_deleted_at`` into ``_sdc_deleted_at``) and runs :class:`TargetQuickBooks`
in this process on it, so the writes, the dead letters and exactly-once are the target's own.

State is the part that needs care. The target confirms a STATE only once every record received
before it is written or dead-lettered (:class:`~target_quickbooks.sdk_overrides.StateAfterWrites`).
Each Airbyte state message is kept, in order, and the target is handed a Singer STATE that stands
for it (``{"airbyte_state_index": n}``); when the target confirms the Singer STATE ``n``, the
Airbyte states up to ``n`` not yet sent are sent, each once, in the order received. A Singer target
confirms only the latest state of a drain, but every earlier one is as safe (its records came
first), and an Airbyte per-stream state skipped would leave its stream's cursor behind.

Only QuickBooks Online: the Desktop settings are left out of the spec (Desktop needs a bridge and
the Web Connector on a Windows machine, which an Airbyte container is not).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, cast

from airbyte_protocol.models import (
    AirbyteConnectionStatus,
    AirbyteControlConnectorConfigMessage,
    AirbyteControlMessage,
    AirbyteErrorTraceMessage,
    AirbyteLogMessage,
    AirbyteMessage,
    AirbyteStateMessage,
    AirbyteStateStats,
    AirbyteTraceMessage,
    ConfiguredAirbyteCatalog,
    ConnectorSpecification,
    DestinationSyncMode,
    FailureType,
    Level,
    OrchestratorType,
    Status,
    TraceType,
    Type,
)
from pydantic import ValidationError
from qbd_client import settings as desktop_settings
from qbd_client.client import BridgeError
from qbd_client.errors import QBDError
from qbo_client import redact
from qbo_client import settings as client_settings
from qbo_client.client import QBOClient
from qbo_client.config import ClientConfig
from qbo_client.config_checks import SettingsError, check_config_file
from qbo_client.errors import QBOError
from qbo_client.tokens import TokenStoreError
from singer_sdk.exceptions import RecordsWithoutSchemaException
from singer_sdk.singerlib.exceptions import InvalidInputLine
from typing_extensions import override

from .deadletter import FailFast
from .mapping import StreamMappingError
from .reader import InputError
from .target import TargetQuickBooks

#: The destination sync modes the target really has: each record is an upsert (by Id, else by the
#: object's natural key), so a record sent again updates what the first one created (append_dedup),
#: and plain append is the same writes. ``overwrite`` would mean deleting every object of the
#: company that the sync did not send: not something a connector should do to a ledger.
SYNC_MODES = (DestinationSyncMode.append, DestinationSyncMode.append_dedup)
#: The Singer STATE that stands for the n-th Airbyte state message of the input.
STATE_KEY = "airbyte_state_index"
DESKTOP_REFUSED = (
    "target-quickbooks: the Airbyte destination writes to QuickBooks Online only (edition online): "
    "QuickBooks Desktop is reached through qbd-bridge and the Web Connector, with the Singer target"
)
#: Exit status of a run stopped before its end (the Singer command's).
STOPPED = 2
#: What stops a run (the same list as :meth:`TargetQuickBooks.invoke`).
STOPS: tuple[type[BaseException], ...] = (
    SettingsError,
    InvalidInputLine,
    RecordsWithoutSchemaException,
    StreamMappingError,
    FailFast,
    QBOError,
    QBDError,
    BridgeError,
    TokenStoreError,
)
#: Errors a user fixes (the config, the input, the mapping); the rest are the connection's.
CONFIG_ERRORS: tuple[type[BaseException], ...] = (
    SettingsError,
    InvalidInputLine,
    RecordsWithoutSchemaException,
    StreamMappingError,
)


def _desktop_names() -> set[str]:
    names = {p.name for p in desktop_settings.sdk_properties()}
    names.update(TargetQuickBooks.desktop_only_settings)
    props = TargetQuickBooks.config_jsonschema["properties"]
    return names | {name for name in props if name.startswith("desktop_")}


def spec() -> ConnectorSpecification:
    """The target's config JSON Schema (Online settings), secrets marked ``airbyte_secret``."""
    schema = copy.deepcopy(TargetQuickBooks.config_jsonschema)
    desktop = _desktop_names()
    properties = {k: v for k, v in schema["properties"].items() if k not in desktop}
    for prop in properties.values():
        if prop.get("secret"):
            prop["airbyte_secret"] = True
    # Airbyte keeps no token store between runs: the config carries the refresh token (see write).
    required = [*client_settings.REQUIRED, "refresh_token"]
    return ConnectorSpecification(
        documentationUrl="https://github.com/qbo-connectors/qbo-connectors/blob/main/target-quickbooks/README.md#airbyte-target-quickbooks-as-a-destination",
        connectionSpecification={
            "$schema": "http://json-schema.org/draft-07/schema#",
            "title": "QuickBooks Online destination",
            "type": "object",
            "required": required,
            "properties": properties,
            "additionalProperties": True,
        },
        supportsIncremental=True,
        supported_destination_sync_modes=list(SYNC_MODES),
    )


class Out:
    """Airbyte messages on stdout, one per line; a rotated refresh token announced once."""

    def __init__(self, stream: IO[str], config: dict[str, Any]) -> None:
        self.stream = stream
        #: The config as given (the target adds its defaults to the one it is handed).
        self.config = copy.deepcopy(config)
        self._announced = str(config.get("refresh_token") or "")

    def send(self, message: AirbyteMessage) -> None:
        """Write one message and flush (the platform reads stdout as it comes)."""
        self.stream.write(message.model_dump_json(exclude_none=True) + "\n")
        self.stream.flush()

    def log(self, level: Level, text: str) -> None:
        """An Airbyte log message, its secrets masked."""
        self.send(AirbyteMessage(type=Type.LOG, log=AirbyteLogMessage(level=level, message=_scrub(text))))

    def error(self, exc: BaseException | str, failure: FailureType, internal: str | None = None) -> None:
        """An Airbyte error trace: the one-line reason the Singer target would log."""
        text = _scrub(str(exc))
        trace = AirbyteTraceMessage(
            type=TraceType.ERROR,
            emitted_at=_now_ms(),
            error=AirbyteErrorTraceMessage(
                message=text, internal_message=_scrub(internal) if internal else None, failure_type=failure
            ),
        )
        self.send(AirbyteMessage(type=Type.TRACE, trace=trace))

    def announce_rotation(self) -> None:
        """If the token store holds a refresh token newer than the config's, send the config with
        it (a CONNECTOR_CONFIG control message): Airbyte runs each sync in a new container, so the
        store is lost with it, and the platform keeps the config it is told of."""
        current = _stored_refresh_token(self.config)
        if not current or current == self._announced:
            return
        self._announced = current
        updated = {**self.config, "refresh_token": current}
        control = AirbyteControlMessage(
            type=OrchestratorType.CONNECTOR_CONFIG,
            emitted_at=_now_ms(),
            connectorConfig=AirbyteControlConnectorConfigMessage(config=updated),
        )
        self.send(AirbyteMessage(type=Type.CONTROL, control=control))


def _stored_refresh_token(config: dict[str, Any]) -> str:
    """The refresh token the store holds for this config's company, if it descends from the
    config's (a store seeded from another refresh token is another connection's)."""
    try:
        client = QBOClient(ClientConfig.from_mapping(_client_settings(config)))
    except ValueError:
        return ""
    try:
        tokens = client.tokens.store.read()
    except TokenStoreError:
        return ""
    finally:
        client.close()
    if tokens is None or tokens.realm_id != str(config.get("realm_id")):
        return ""
    if tokens.seeded_from != str(config.get("refresh_token") or ""):
        return ""
    return tokens.refresh_token


def _client_settings(config: dict[str, Any]) -> dict[str, Any]:
    return {k: config[k] for k in client_settings.NAMES if config.get(k) is not None}


def _scrub(text: str) -> str:
    return redact.SECRETS.scrub(text)


def _now_ms() -> float:
    return float(int(time.time() * 1000))


def check(config: dict[str, Any], out: Out) -> AirbyteConnectionStatus:
    """Refresh the token and read CompanyInfo; FAILED with the target's own one-line reason."""
    redact.protect_settings(config)
    if config.get("edition") == "desktop":
        return AirbyteConnectionStatus(status=Status.FAILED, message=DESKTOP_REFUSED)
    try:
        TargetQuickBooks(config=dict(config), validate_config=True)
        client = QBOClient(ClientConfig.from_mapping(_client_settings(config)))
        try:
            info = client.company_info()
        finally:
            client.close()
    except (SettingsError, QBOError, TokenStoreError, ValueError) as exc:
        return AirbyteConnectionStatus(status=Status.FAILED, message=_scrub(f"target-quickbooks: {exc}"))
    out.announce_rotation()
    name = info.get("CompanyName") or info.get("LegalName") or config.get("realm_id")
    return AirbyteConnectionStatus(status=Status.SUCCEEDED, message=f"connected to {name}")


class AirbyteInput:
    """The Airbyte input as the Singer lines the target reads, and the Airbyte states behind them."""

    def __init__(self, catalog: ConfiguredAirbyteCatalog, source: IO[str]) -> None:
        self.catalog = catalog
        self.source = source
        #: Every Airbyte state received, in order, with the records received since the one before.
        self.states: list[tuple[AirbyteStateMessage, int]] = []
        self._records = 0

    def streams(self) -> set[str]:
        """The configured streams' names."""
        return {c.stream.name for c in self.catalog.streams}

    def singer_lines(self) -> Iterator[str]:
        """SCHEMA messages for the configured streams, then a RECORD or STATE per Airbyte message."""
        for configured in self.catalog.streams:
            keys = [path[0] for path in configured.primary_key or [] if len(path) == 1]
            schema = {
                "type": "SCHEMA",
                "stream": configured.stream.name,
                "schema": configured.stream.json_schema,
                "key_properties": keys,
            }
            yield json.dumps(schema) + "\n"
        streams = self.streams()
        for number, line in enumerate(self.source, start=1):
            if not line.strip():
                continue
            message = _airbyte_message(number, line)
            if message.type == Type.RECORD and message.record is not None:
                stream = message.record.stream
                if stream not in streams:
                    raise InputError(
                        f"line {number} of the input: a record of stream {stream!r}, which the configured "
                        f"catalog does not hold ({', '.join(sorted(streams)) or 'no stream'})"
                    )
                self._records += 1
                record = {"type": "RECORD", "stream": stream, "record": singer_record(message.record.data)}
                yield json.dumps(record) + "\n"
            elif message.type == Type.STATE and message.state is not None:
                self.states.append((message.state, self._records))
                self._records = 0
                yield json.dumps({"type": "STATE", "value": {STATE_KEY: len(self.states) - 1}}) + "\n"
            # a destination receives records and states only; anything else carries nothing to write


def _airbyte_message(number: int, line: str) -> AirbyteMessage:
    try:
        return AirbyteMessage.model_validate_json(line)
    except ValidationError as exc:
        first = exc.errors()[0] if exc.errors() else {"msg": str(exc)}
        raise InputError(
            f"line {number} of the input is not an Airbyte message ({first.get('msg')}"
            f"{' at ' + '.'.join(map(str, first['loc'])) if first.get('loc') else ''})"
        ) from None


def singer_record(data: dict[str, Any]) -> dict[str, Any]:
    """An Airbyte record's data as the target takes it: Airbyte's CDC delete marker as Singer's
    ``_sdc_deleted_at``; Airbyte's other ``_ab_`` columns left out (they are no QuickBooks field)."""
    out = {k: v for k, v in data.items() if not k.startswith("_ab_")}
    if data.get("_ab_cdc_deleted_at") not in (None, ""):
        out["_sdc_deleted_at"] = data["_ab_cdc_deleted_at"]
    return out


class _LineStream:
    """Lines from a generator, as the target's reader takes a file: it only iterates over it."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines

    def __iter__(self) -> Iterator[str]:
        return self._lines


class AirbyteTarget(TargetQuickBooks):
    """The Singer target, its confirmed states sent out as the Airbyte states they stand for."""

    #: Set by :func:`write` before the run: what a confirmed Singer STATE turns into.
    on_state: Callable[[dict], None] = staticmethod(lambda state: None)

    @override
    def emit_state(self, state: dict) -> None:
        self.on_state(state)


class StateEcho:
    """Sends each Airbyte state once, in order, when the target confirms it (or a later one)."""

    def __init__(self, source: AirbyteInput, out: Out) -> None:
        self.source = source
        self.out = out
        self.sent = 0

    def __call__(self, state: dict) -> None:
        """The target confirmed ``state``: every record before it is written or dead-lettered."""
        index = state.get(STATE_KEY)
        if not isinstance(index, int):
            return
        while self.sent <= index:
            message, records = self.source.states[self.sent]
            echoed = message.model_copy(deep=True)
            echoed.destinationStats = AirbyteStateStats(recordCount=float(records))
            self.out.send(AirbyteMessage(type=Type.STATE, state=echoed))
            self.sent += 1
        self.out.announce_rotation()


class _AirbyteLogHandler(logging.Handler):
    """The target's log lines as Airbyte log messages (what the platform shows of a sync)."""

    LEVELS = {logging.DEBUG: Level.DEBUG, logging.INFO: Level.INFO, logging.WARNING: Level.WARN}

    def __init__(self, out: Out) -> None:
        super().__init__(logging.INFO)
        self.out = out
        self.addFilter(redact.SECRETS)

    @override
    def emit(self, record: logging.LogRecord) -> None:
        level = self.LEVELS.get(
            record.levelno, Level.ERROR if record.levelno >= logging.ERROR else Level.INFO
        )
        self.out.log(level, record.getMessage())


def write(config: dict[str, Any], catalog: ConfiguredAirbyteCatalog, source: IO[str], out: Out) -> int:
    """Write the Airbyte input through the target; the exit status (the target's rules: 0, 2 for a
    run stopped, ``dead_letter_exit_code`` for a run that dead-lettered records)."""
    redact.protect_settings(config)
    refused = [c for c in catalog.streams if c.destination_sync_mode not in SYNC_MODES]
    if refused:
        modes = sorted({c.destination_sync_mode.value for c in refused})
        out.error(
            f"target-quickbooks: destination sync mode {', '.join(modes)} is not supported (streams "
            f"{', '.join(c.stream.name for c in refused)}): QuickBooks objects are upserted, never "
            "dropped and rewritten; choose append or append_dedup",
            FailureType.config_error,
        )
        return STOPPED
    if config.get("edition") == "desktop":
        out.error(DESKTOP_REFUSED, FailureType.config_error)
        return STOPPED
    airbyte_input = AirbyteInput(catalog, source)
    echo = StateEcho(airbyte_input, out)
    handler = _AirbyteLogHandler(out)
    target: AirbyteTarget | None = None
    TargetQuickBooks.exit_status = 0
    # stdout is the protocol's: anything else the target would print goes to stderr
    with contextlib.redirect_stdout(sys.stderr):
        try:
            target = AirbyteTarget(config=dict(config), validate_config=True)
            target.on_state = echo
            # the SDK's command sets the level; this is not the SDK's command
            if target.logger.level == logging.NOTSET:
                target.logger.setLevel(logging.INFO)
            target.logger.addHandler(handler)
            target.process_lines(cast(IO[str], _LineStream(airbyte_input.singer_lines())))
            target.process_endofpipe()
        except STOPS as exc:
            failure = FailureType.config_error if isinstance(exc, CONFIG_ERRORS) else FailureType.system_error
            out.error(f"target-quickbooks stopped: {exc}", failure)
            return STOPPED
        finally:
            if target is not None:
                target.logger.removeHandler(handler)
                target.close()
            out.announce_rotation()
    status = TargetQuickBooks.exit_status
    dead = target.counts.get("dead_lettered", 0) if target is not None else 0
    if dead:
        where = config.get("dead_letter_path") or "target-quickbooks-dead-letter.jsonl"
        said = (
            f"target-quickbooks: {dead} record(s) could not be written and are in the dead letter {where}, "
            "each with the reason: fix them and send them again"
        )
        if status:
            out.error(said, FailureType.config_error)
        else:  # dead_letter_exit_code 0: such a run succeeds, and says so as a warning
            out.log(Level.WARN, said)
    return status


def _read_config(path: str) -> dict[str, Any]:
    check_config_file(path)
    loaded: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return loaded


def main(argv: list[str] | None = None) -> None:
    """``target-quickbooks-airbyte spec | check --config F | write --config F --catalog F``."""
    parser = argparse.ArgumentParser(
        prog="target-quickbooks-airbyte", description="target-quickbooks as an Airbyte destination"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("spec", help="the config's JSON Schema and the supported sync modes")
    check_parser = commands.add_parser("check", help="connect: refresh the token and read CompanyInfo")
    check_parser.add_argument("--config", required=True)
    write_parser = commands.add_parser("write", help="write the AirbyteMessages on stdin")
    write_parser.add_argument("--config", required=True)
    write_parser.add_argument("--catalog", required=True)
    args = parser.parse_args(argv)
    stdout = sys.stdout
    if args.command == "spec":
        Out(stdout, {}).send(AirbyteMessage(type=Type.SPEC, spec=spec()))
        return
    try:
        config = _read_config(args.config)
    except SettingsError as exc:
        failed = AirbyteConnectionStatus(status=Status.FAILED, message=f"target-quickbooks: {exc}")
        if args.command == "check":
            Out(stdout, {}).send(AirbyteMessage(type=Type.CONNECTION_STATUS, connectionStatus=failed))
            return
        Out(stdout, {}).error(f"target-quickbooks stopped: {exc}", FailureType.config_error)
        sys.exit(STOPPED)
    out = Out(stdout, config)
    if args.command == "check":
        status = check(config, out)
        out.send(AirbyteMessage(type=Type.CONNECTION_STATUS, connectionStatus=status))
        return
    try:
        catalog = ConfiguredAirbyteCatalog.model_validate_json(Path(args.catalog).read_text(encoding="utf-8"))
    except (OSError, ValidationError) as exc:
        out.error(
            f"target-quickbooks stopped: the catalog {args.catalog} cannot be used: {exc}",
            FailureType.config_error,
        )
        sys.exit(STOPPED)
    status = write(config, catalog, sys.stdin, out)
    if status:
        sys.exit(status)


if __name__ == "__main__":
    main()
