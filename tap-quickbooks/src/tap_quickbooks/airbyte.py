"""tap-quickbooks over the Airbyte source protocol: ``spec``, ``check``, ``discover``, ``read``.

A thin layer over the Singer tap, not a second implementation: ``discover`` turns the tap's Singer
catalog into an Airbyte catalog; ``read`` runs :class:`~tap_quickbooks.tap.TapQuickBooks` in-process
with a message writer (:class:`AirbyteWriter`) that translates each Singer message as the tap writes
it. Every message is built with Airbyte's protocol models (``airbyte-protocol-models-pdv2``).

State: the tap's Singer state is ``{"bookmarks": {stream: bookmark}}``; each stream's bookmark is
that stream's Airbyte per-stream state, and the per-stream states Airbyte hands back make the
Singer state again.

Deletes: a record the tap marks ``_sdc_deleted_at`` also carries ``_ab_cdc_deleted_at`` (Airbyte's
CDC convention); object records carry ``_ab_cdc_updated_at`` (their ``LastUpdatedTime``).

Tokens: Airbyte runs a connector in a container thrown away after each command, so the token store
dies with it. When QuickBooks rotates the refresh token, the connector says so with a
``CONNECTOR_CONFIG`` control message holding the whole config with the new ``refresh_token``:
Airbyte saves it and passes it as ``--config`` next time. A config's refresh token that differs
from the one a store's tokens descend from wins over the store (:mod:`qbo_client.auth`), so the
handed-back token is used even where a store survived.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import sys
import threading
import time
import traceback
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from airbyte_protocol.models import (
    AirbyteCatalog,
    AirbyteConnectionStatus,
    AirbyteControlConnectorConfigMessage,
    AirbyteControlMessage,
    AirbyteErrorTraceMessage,
    AirbyteLogMessage,
    AirbyteMessage,
    AirbyteRecordMessage,
    AirbyteStateBlob,
    AirbyteStateMessage,
    AirbyteStateType,
    AirbyteStream,
    AirbyteStreamState,
    AirbyteTraceMessage,
    ConfiguredAirbyteCatalog,
    ConnectorSpecification,
    FailureType,
    Level,
    OrchestratorType,
    Status,
    StreamDescriptor,
    SyncMode,
    TraceType,
    Type,
)
from qbo_client import redact
from qbo_client.config_checks import SettingsError
from qbo_client.errors import QBOError
from singer_sdk.singerlib.encoding.base import GenericSingerWriter
from singer_sdk.singerlib.encoding.simple import Message, RecordMessage, StateMessage
from typing_extensions import override

from .online.edition import OnlineRun
from .tap import FAULTS as TAP_FAULTS
from .tap import TapQuickBooks

#: What a config error is: the user must change a setting or connect the company again.
CONFIG_ERRORS: tuple[type[Exception], ...] = (SettingsError,)
#: What stops a run with the tap's one-line reason: the tap's faults (QuickBooks Online's and
#: Desktop's, the bridge's) and settings it cannot use.
FAULTS: tuple[type[Exception], ...] = (*TAP_FAULTS, SettingsError)
DELETED_AT = "_ab_cdc_deleted_at"
UPDATED_AT = "_ab_cdc_updated_at"
#: The cursor of every object stream, from which ``_ab_cdc_updated_at`` is copied.
OBJECT_CURSOR = "LastUpdatedTime"
#: Records are held until this many bytes are pending (or another message comes).
CHUNK = 256 * 1024
CDC_COLUMN = {"type": ["null", "string"], "format": "date-time"}

log = logging.getLogger("tap_quickbooks.airbyte")


def _now_ms() -> int:
    return int(time.time() * 1000)


class Output:
    """stdout for Airbyte messages: records in chunks, anything else written and flushed at once.

    One lock, because the tap's page-fetching threads log while the main thread writes records.
    """

    def __init__(self) -> None:
        self._pending = bytearray()
        self._lock = threading.RLock()

    def emit(self, message: AirbyteMessage, *, buffered: bool = False) -> None:
        """Write one message as a line of JSON (a buffered one may wait for the next flush)."""
        line = message.model_dump_json(exclude_none=True, by_alias=True).encode() + b"\n"
        with self._lock:
            self._pending += line
            if not buffered or len(self._pending) >= CHUNK:
                self.flush()

    def flush(self) -> None:
        """Write what is pending and flush stdout."""
        with self._lock:
            if self._pending:
                sys.stdout.buffer.write(self._pending)
                self._pending = bytearray()
            sys.stdout.buffer.flush()


class AirbyteLogHandler(logging.Handler):
    """Python logging as Airbyte LOG messages (secrets masked by :mod:`qbo_client.redact`'s filter)."""

    LEVELS = {
        logging.CRITICAL: Level.FATAL,
        logging.ERROR: Level.ERROR,
        logging.WARNING: Level.WARN,
        logging.INFO: Level.INFO,
        logging.DEBUG: Level.DEBUG,
    }

    def __init__(self, out: Output) -> None:
        super().__init__(logging.INFO)
        self.out = out
        self.addFilter(redact.SECRETS)

    @override
    def emit(self, record: logging.LogRecord) -> None:
        """One LOG message (the record already went through the secrets filter)."""
        try:
            level = self.LEVELS.get(record.levelno, Level.INFO)
            text = redact.SECRETS.scrub(self.format(record))
            self.out.emit(AirbyteMessage(type=Type.LOG, log=AirbyteLogMessage(level=level, message=text)))
        except Exception:  # logging must never break the run
            self.handleError(record)


def install_logging(out: Output) -> None:
    """Route every log line to stdout as a LOG message: Airbyte reads stdout only."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = AirbyteLogHandler(out)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # The SDK's loggers may carry handlers of their own (stderr): the root's is enough.
    for name in ("singer_sdk", "tap-quickbooks", TapQuickBooks.name):
        logger = logging.getLogger(name)
        for own in list(logger.handlers):
            logger.removeHandler(own)
        logger.propagate = True


# -- spec and discover -------------------------------------------------------------------------


def _mark_secrets(schema: Any) -> Any:
    """The schema with ``airbyte_secret: true`` wherever the SDK marks a setting secret."""
    if isinstance(schema, dict):
        marked = {key: _mark_secrets(value) for key, value in schema.items()}
        if schema.get("secret") or schema.get("writeOnly"):
            marked["airbyte_secret"] = True
        return marked
    if isinstance(schema, list):
        return [_mark_secrets(item) for item in schema]
    return schema


def sdk_settings() -> set[str]:
    """The names of the settings singer-sdk adds to every tap (stream maps, flattening, batches)."""
    found: dict[str, Any] = {"properties": {}}
    TapQuickBooks.append_builtin_config(found)
    return set(found["properties"])


def specification() -> ConnectorSpecification:
    """The connector's settings: the tap's config schema, its secrets marked for Airbyte."""
    # The SDK adds its own Singer settings (stream_maps, batch_config, ...) to the class's schema
    # when a tap is first made in a process; they are left out, so the spec is the tap's settings
    # whatever ran before (their schemas are not all valid JSON Schema: Airbyte refuses them).
    settings = copy.deepcopy(TapQuickBooks.config_jsonschema)
    for name in sdk_settings():
        settings["properties"].pop(name, None)
    schema = _mark_secrets(settings)
    schema.setdefault("title", "QuickBooks")
    return ConnectorSpecification(
        documentationUrl=None,
        connectionSpecification=schema,
        supportsIncremental=True,
        supported_destination_sync_modes=None,
    )


def _cursor(entry: Mapping[str, Any]) -> str | None:
    found = entry.get("replication_key")
    return str(found) if found else None


def airbyte_stream(entry: Mapping[str, Any]) -> AirbyteStream:
    """One Singer catalog entry as an Airbyte stream (the CDC columns added to its schema)."""
    schema = copy.deepcopy(dict(entry["schema"]))
    properties = schema.setdefault("properties", {})
    properties[DELETED_AT] = dict(CDC_COLUMN)
    cursor = _cursor(entry)
    if cursor == OBJECT_CURSOR:
        properties[UPDATED_AT] = dict(CDC_COLUMN)
    modes = [SyncMode.full_refresh, SyncMode.incremental] if cursor else [SyncMode.full_refresh]
    return AirbyteStream(
        name=entry["tap_stream_id"],
        json_schema=schema,
        supported_sync_modes=modes,
        source_defined_cursor=bool(cursor),
        default_cursor_field=[cursor] if cursor else None,
        source_defined_primary_key=[[key] for key in entry.get("key_properties") or []] or None,
    )


def singer_catalog(config: Mapping[str, Any]) -> dict[str, Any]:
    """The tap's Singer catalog for a config (discovery reads no company, unless custom fields are
    columns: then it reads the company's Preferences)."""
    tap = TapQuickBooks(config=dict(config), setup_mapper=False, validate_config=True)
    try:
        return tap.catalog_dict
    finally:
        _close(tap)


def catalog(config: Mapping[str, Any]) -> AirbyteCatalog:
    """The Airbyte catalog: a stream per entry of the tap's catalog."""
    return AirbyteCatalog(streams=[airbyte_stream(entry) for entry in singer_catalog(config)["streams"]])


# -- state -------------------------------------------------------------------------------------


def singer_state(states: Iterable[Mapping[str, Any]] | Mapping[str, Any] | None) -> dict[str, Any]:
    """Singer state from the state Airbyte hands back: per-stream states (a list of STATE
    messages), or a legacy state blob (the Singer state itself)."""
    if not states:
        return {}
    if isinstance(states, Mapping):  # LEGACY: the blob we would have emitted as a whole
        return {"bookmarks": dict(states.get("bookmarks") or {})}
    bookmarks: dict[str, Any] = {}
    for raw in states:
        message = AirbyteStateMessage.model_validate(raw)
        if message.type == AirbyteStateType.STREAM and message.stream is not None:
            blob = message.stream.stream_state
            if blob is not None:
                bookmarks[message.stream.stream_descriptor.name] = blob.model_dump()
        elif message.type == AirbyteStateType.LEGACY and message.data:
            bookmarks.update(message.data.get("bookmarks") or {})
        else:
            raise SettingsError(f"state of type {message.type} is not one tap-quickbooks writes (STREAM)")
    return {"bookmarks": bookmarks}


def stream_state_message(name: str, bookmark: Mapping[str, Any]) -> AirbyteMessage:
    """One stream's bookmark as a per-stream STATE message."""
    return AirbyteMessage(
        type=Type.STATE,
        state=AirbyteStateMessage(
            type=AirbyteStateType.STREAM,
            stream=AirbyteStreamState(
                stream_descriptor=StreamDescriptor(name=name),
                stream_state=AirbyteStateBlob(**dict(bookmark)),
            ),
        ),
    )


# -- read ---------------------------------------------------------------------------------------


class AirbyteWriter(GenericSingerWriter[bytes, Message]):
    """The tap's message writer for Airbyte: RECORD as RECORD, STATE as per-stream STATE.

    SCHEMA and ACTIVATE_VERSION have no Airbyte counterpart (the catalog says the schemas) and are
    dropped. A STATE message emits the bookmark of each stream that changed since the last one (the
    state that came in counts as emitted), and first the rotated refresh token, if it rotated.
    """

    def __init__(
        self,
        out: Output,
        streams: Sequence[str],
        state: Mapping[str, Any],
        tokens: TokenWatch,
        cursors: Mapping[str, str | None],
    ) -> None:
        self.out = out
        self.streams = set(streams)
        self.cursors = cursors
        self.tokens = tokens
        self._emitted: dict[str, str] = {
            name: _canonical(value) for name, value in (state.get("bookmarks") or {}).items()
        }
        #: The last Singer state the tap wrote (what Airbyte's per-stream states add up to).
        self.last_state: dict[str, Any] = {}

    @override
    def serialize_message(self, message: Message) -> bytes:
        """Not used: messages are translated, not serialized (GenericSingerWriter asks for it)."""
        return json.dumps(message.to_dict()).encode()

    @override
    def write_message(self, message: Message) -> None:
        """Translate one Singer message (see the class)."""
        if isinstance(message, RecordMessage):
            self.out.emit(self.record(message.stream, message.record), buffered=True)
        elif isinstance(message, StateMessage):
            self.tokens.emit_if_rotated()
            self.state(message.value)

    def record(self, stream: str, row: dict[str, Any]) -> AirbyteMessage:
        """A Singer record as an Airbyte RECORD, with the CDC columns."""
        data = dict(row)
        data[DELETED_AT] = row.get("_sdc_deleted_at")
        if self.cursors.get(stream) == OBJECT_CURSOR:
            data[UPDATED_AT] = row.get(OBJECT_CURSOR)
        return AirbyteMessage(
            type=Type.RECORD, record=AirbyteRecordMessage(stream=stream, data=data, emitted_at=_now_ms())
        )

    def state(self, value: Mapping[str, Any]) -> None:
        """Per-stream STATE messages for the bookmarks that changed."""
        self.last_state = copy.deepcopy(dict(value))
        for name, bookmark in (value.get("bookmarks") or {}).items():
            if name not in self.streams:
                continue
            canonical = _canonical(bookmark)
            if self._emitted.get(name) == canonical:
                continue
            self.out.emit(stream_state_message(name, bookmark))
            self._emitted[name] = canonical


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


class TokenWatch:
    """Notices a rotated refresh token and emits the config Airbyte must keep from now on."""

    def __init__(self, out: Output, config: Mapping[str, Any]) -> None:
        self.out = out
        self.config = dict(config)
        self.tap: TapQuickBooks | None = None

    def current(self) -> str | None:
        """The refresh token the run's client holds now (None before its first refresh)."""
        if self.tap is None or self.tap._run is None:
            return None
        source = self.tap._run.source
        if not isinstance(source, OnlineRun) or source._client is None:
            return None
        tokens = source._client.tokens._tokens
        return tokens.refresh_token if tokens is not None else None

    def emit_if_rotated(self) -> None:
        """A CONNECTOR_CONFIG control message when the refresh token differs from the config's."""
        token = self.current()
        if not token or token == self.config.get("refresh_token"):
            return
        self.config["refresh_token"] = token
        self.out.emit(
            AirbyteMessage(
                type=Type.CONTROL,
                control=AirbyteControlMessage(
                    type=OrchestratorType.CONNECTOR_CONFIG,
                    emitted_at=float(_now_ms()),
                    connectorConfig=AirbyteControlConnectorConfigMessage(config=dict(self.config)),
                ),
            )
        )
        log.info("the refresh token rotated: the updated config went to Airbyte (CONNECTOR_CONFIG)")


def selected_catalog(singer: Mapping[str, Any], configured: ConfiguredAirbyteCatalog) -> dict[str, Any]:
    """The tap's Singer catalog with exactly the configured streams selected."""
    wanted = {c.stream.name for c in configured.streams}
    unknown = wanted - {entry["tap_stream_id"] for entry in singer["streams"]}
    if unknown:
        raise SettingsError(f"the configured catalog names streams the tap does not have: {sorted(unknown)}")
    found = copy.deepcopy(dict(singer))
    for entry in found["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = entry["tap_stream_id"] in wanted
    return found


def read(
    out: Output,
    config: Mapping[str, Any],
    configured: ConfiguredAirbyteCatalog,
    states: Iterable[Mapping[str, Any]] | Mapping[str, Any] | None,
) -> AirbyteWriter:
    """Run the tap on the configured streams, from the state Airbyte handed back."""
    state = singer_state(states)
    full = {c.stream.name for c in configured.streams if c.sync_mode == SyncMode.full_refresh}
    bookmarks = {k: v for k, v in state.get("bookmarks", {}).items() if k not in full}
    state = {"bookmarks": bookmarks} if state else {}
    singer = selected_catalog(singer_catalog(config), configured)
    tokens = TokenWatch(out, config)
    writer = AirbyteWriter(
        out,
        [c.stream.name for c in configured.streams],
        state,
        tokens,
        {entry["tap_stream_id"]: _cursor(entry) for entry in singer["streams"]},
    )
    tap = TapQuickBooks(
        config=dict(config), catalog=singer, state=copy.deepcopy(state), message_writer=writer
    )
    tokens.tap = tap
    try:
        tap.sync_all()
    finally:
        tokens.emit_if_rotated()
        out.flush()
        _close(tap)
    return writer


def check(out: Output, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
    """Refresh the token and read CompanyInfo (QuickBooks Online); the tap's reason when that fails."""
    tokens = TokenWatch(out, config)
    try:
        tap = TapQuickBooks(config=dict(config), setup_mapper=False)
        tokens.tap = tap
        try:
            info = tap.client.company_info()
        finally:
            tokens.emit_if_rotated()
            _close(tap)
    except FAULTS as exc:
        return AirbyteConnectionStatus(status=Status.FAILED, message=str(exc))
    except TypeError:  # a Desktop config: no QuickBooks Online client
        return AirbyteConnectionStatus(
            status=Status.FAILED,
            message="the Airbyte check reads QuickBooks Online (CompanyInfo): edition desktop is not served",
        )
    name = info.get("CompanyName") or config.get("realm_id")
    return AirbyteConnectionStatus(status=Status.SUCCEEDED, message=f"connected to {name}")


def _close(tap: TapQuickBooks) -> None:
    if tap._run is not None:
        tap._run.close()


# -- the command --------------------------------------------------------------------------------


def _load_json(path: str, what: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"cannot read the {what} file {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise SettingsError(f"the {what} file {path} is not valid JSON: {exc}") from exc


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tap-quickbooks-airbyte",
        description="tap-quickbooks as an Airbyte source (spec, check, discover, read).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("spec", help="the connector's settings as a JSON Schema")
    for name in ("check", "discover", "read"):
        command = commands.add_parser(name)
        command.add_argument("--config", required=True, help="settings file")
        if name == "read":
            command.add_argument("--catalog", required=True, help="configured catalog file")
            command.add_argument("--state", help="state file (per-stream STATE messages)")
    return parser


def _error(out: Output, exc: BaseException, stack: str | None = None) -> None:
    """An error TRACE message: what stopped the command (secrets masked)."""
    failure = FailureType.config_error if isinstance(exc, CONFIG_ERRORS) else FailureType.system_error
    if isinstance(exc, QBOError) and getattr(exc, "code", None) in ("invalid_grant", "invalid_client"):
        failure = FailureType.config_error
    message = redact.SECRETS.scrub(str(exc))
    out.emit(
        AirbyteMessage(
            type=Type.TRACE,
            trace=AirbyteTraceMessage(
                type=TraceType.ERROR,
                emitted_at=float(_now_ms()),
                error=AirbyteErrorTraceMessage(
                    message=message,
                    failure_type=failure,
                    stack_trace=redact.SECRETS.scrub(stack) if stack else None,
                ),
            ),
        )
    )


def run(argv: Sequence[str]) -> int:
    """One Airbyte command; the exit status (1 after an error, reported as a TRACE message)."""
    args = _parser().parse_args(argv)
    out = Output()
    install_logging(out)
    try:
        if args.command == "spec":
            out.emit(AirbyteMessage(type=Type.SPEC, spec=specification()))
            return 0
        config = _load_json(args.config, "config")
        if not isinstance(config, dict):
            raise SettingsError(f"the config file {args.config} does not hold a JSON object")
        redact.protect_settings(config)
        if args.command == "check":
            status = check(out, config)
            out.emit(AirbyteMessage(type=Type.CONNECTION_STATUS, connectionStatus=status))
        elif args.command == "discover":
            out.emit(AirbyteMessage(type=Type.CATALOG, catalog=catalog(config)))
        else:
            configured = ConfiguredAirbyteCatalog.model_validate(_load_json(args.catalog, "catalog"))
            states = _load_json(args.state, "state") if args.state else None
            read(out, config, configured, states)
    except FAULTS as exc:
        log.error("tap-quickbooks stopped: %s", exc)
        _error(out, exc)
        return 1
    except Exception as exc:  # a bug: Airbyte still gets a TRACE, with the stack for the report
        log.exception("tap-quickbooks-airbyte failed")
        _error(out, exc, traceback.format_exc())
        return 1
    finally:
        out.flush()
    return 0


def main() -> None:
    """``tap-quickbooks-airbyte``: the Airbyte source protocol's commands."""
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
