"""The checks that turn a config file or setting the tap or the target cannot use into one line that
says what to do (each plugin then exits 2 with it)."""

from __future__ import annotations

import json
from pathlib import Path


class SettingsError(ValueError):
    """A config file or a setting a plugin cannot use; the message names it and what to do."""


def check_config_file(path: str) -> None:
    """Refuse a ``--config`` file that is missing, unreadable or not a JSON object, naming it."""
    if path == "ENV":  # the SDK's word for "read the environment"
        return
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SettingsError(f"the config file {path} does not exist: check the --config path") from None
    except OSError as exc:
        raise SettingsError(
            f"cannot read the config file {path} ({exc.strerror}): check the --config path"
        ) from None
    except UnicodeDecodeError:
        raise SettingsError(f"the config file {path} is not UTF-8 text: save it as UTF-8 JSON") from None
    try:
        settings = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SettingsError(
            f"the config file {path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}): "
            "fix the file"
        ) from None
    if not isinstance(settings, dict):
        raise SettingsError(
            f"the config file {path} holds {_JSON_KINDS.get(type(settings), 'null')}, not an object of "
            'settings: fix the file ({"client_id": ..., ...})'
        )


_JSON_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}


def invalid_settings(errors: list[str]) -> str:
    """The SDK's validation errors (each names its setting) as one line with what to do."""
    said = "; ".join(" ".join(error.split())[:300] for error in errors)
    return f"invalid config: {said}: fix the setting(s) in the --config file or the environment"


__all__ = ["SettingsError", "check_config_file", "invalid_settings"]
