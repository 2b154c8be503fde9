"""The input: Singer messages read line by line, each checked before the target acts on it."""

from __future__ import annotations

import json
import typing as t
from collections import Counter
from collections.abc import Callable
from typing import Any

from singer_sdk.exceptions import RecordsWithoutSchemaException
from singer_sdk.io_base import SingerReader
from singer_sdk.singerlib.encoding import SingerMessageType
from singer_sdk.singerlib.exceptions import InvalidInputLine
from singer_sdk.singerlib.json import deserialize_json
from typing_extensions import override

from .mapping import StreamMappingError


class InputError(InvalidInputLine):
    """A line of the input that is not a Singer message the target can use: the run stops there,
    before writing anything received after the last state (a re-run from that state loses nothing)."""


#: What each Singer message must carry, and what it must be.
_REQUIRED: dict[str, dict[str, type | tuple[type, ...]]] = {
    "SCHEMA": {"stream": str, "schema": dict},
    "RECORD": {"stream": str, "record": dict},
    "STATE": {"value": (dict, type(None))},
    "ACTIVATE_VERSION": {"stream": str},
    "BATCH": {"stream": str},
}
_KINDS = {dict: "a JSON object", str: "a string", type(None): "null"}


class QuickBooksReader(SingerReader):
    """Reads Singer messages line by line; a line that is not one stops the run with its number,
    what is wrong with it and what to do (never a stack trace). Blank lines are skipped."""

    @override
    def process_lines(
        self,
        file_input: t.IO[str] | None,
        callbacks: dict[str, Callable[[dict], None]],
    ) -> t.Counter[str]:
        stats: Counter[str] = Counter()
        source = file_input or self.default_input
        for number, line in enumerate(source, start=1):
            if not line.strip():
                continue
            message = _message(number, line)
            kind = message["type"]
            try:
                callbacks[kind](message)
            except InvalidInputLine as exc:
                raise InputError(f"line {number} of the input: {exc}") from None
            except RecordsWithoutSchemaException:
                raise RecordsWithoutSchemaException(
                    f"line {number} of the input: a RECORD of stream {message['stream']!r} came before its "
                    "SCHEMA message: the tap must send the stream's SCHEMA first (Singer spec)"
                ) from None
            except StreamMappingError as exc:
                raise StreamMappingError(f"line {number} of the input: {exc}") from None
            stats[kind] += 1
        return stats


def _message(number: int, line: str) -> dict[str, Any]:
    """The Singer message on a line, checked: its type known, its keys there and of the right kind."""
    where = f"line {number} of the input"
    try:
        message = deserialize_json(line)
    except (ValueError, RecursionError) as exc:
        shown = line.strip()
        shown = shown if len(shown) <= 200 else shown[:200] + f"... ({len(shown)} characters)"
        raise InputError(
            f"{where} is not valid JSON ({str(exc)[:200]}): {shown!r}; a Singer tap writes one JSON "
            "message per line: fix the tap or the file"
        ) from None
    if not isinstance(message, dict):
        raise InputError(
            f"{where} is a JSON {type(message).__name__}, not a Singer message (a JSON object with a "
            "type): fix the tap or the file"
        )
    kind = message.get("type")
    if kind not in _REQUIRED:
        known = ", ".join(m.value for m in SingerMessageType)
        said = "no type" if kind is None else f"the unknown type {json.dumps(kind)[:100]}"
        raise InputError(f"{where} has {said}: a Singer message is one of {known}: fix the tap or the file")
    for key, wanted in _REQUIRED[kind].items():
        if key not in message:
            raise InputError(f"{where}: a {kind} message needs {key!r}, and this one has none: fix the tap")
        if not isinstance(message[key], wanted):
            kinds = wanted if isinstance(wanted, tuple) else (wanted,)
            expected = " or ".join(_KINDS.get(k, k.__name__) for k in kinds)
            raise InputError(
                f"{where}: {key!r} of a {kind} message must be {expected}, not "
                f"{json.dumps(message[key], default=str)[:100]}: fix the tap"
            )
    if kind == "SCHEMA" and not isinstance(message["schema"].setdefault("properties", {}), dict):
        raise InputError(
            f"{where}: the schema of stream {message['stream']!r} has a properties that is not an object: "
            "fix the tap"
        )
    return message
