"""Keep secrets out of logs, at every level: a filter that masks known secret values."""

from __future__ import annotations

import logging
import threading
import urllib.parse
from collections.abc import Mapping
from typing import Any

MASK = "****"
LOGGERS = ("qbo_client", "tap_quickbooks", "target_quickbooks", "urllib3", "singer_sdk")


class SecretFilter(logging.Filter):
    """Replaces every registered secret in a record's message and arguments by ``****``."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, *values: str | None) -> None:
        with self._lock:
            self._secrets.update(v for v in values if v and len(v) >= 6)

    def scrub(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to logging to report
            return True
        scrubbed = self.scrub(message)
        if scrubbed != message or record.args:
            record.msg, record.args = scrubbed, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


SECRETS = SecretFilter()

#: The settings of the tap and the target that hold secrets.
SECRET_SETTINGS = ("client_secret", "refresh_token", "bridge_token", "token_store_url")


def url_secrets(url: str) -> tuple[str, ...]:
    """The password of a URL (``scheme://user:password@host/...``), as written and decoded."""
    try:
        password = urllib.parse.urlsplit(url).password
    except ValueError:
        return ()
    if not password:
        return ()
    return (password, urllib.parse.unquote(password))


def mask_url(url: str) -> str:
    """The URL with its password replaced by ``****`` (for messages that name a database)."""
    for secret in url_secrets(url):
        url = url.replace(f":{secret}@", f":{MASK}@")
    return url


def protect(*values: str | None) -> None:
    """Register secret values and make sure every relevant logger and handler filters them."""
    SECRETS.add(*values)
    for name in ("", *LOGGERS):
        logger = logging.getLogger(name)
        if SECRETS not in logger.filters:
            logger.addFilter(SECRETS)
        for handler in logger.handlers:
            if SECRETS not in handler.filters:
                handler.addFilter(SECRETS)


def protect_settings(settings: Mapping[str, Any]) -> None:
    """Mask the secrets among a plugin's settings (whatever their type: a bad config is logged too)."""
    protect(*(str(settings.get(key) or "") for key in SECRET_SETTINGS))
    protect(*url_secrets(str(settings.get("token_store_url") or "")))
