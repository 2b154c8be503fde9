"""How to reach one QuickBooks Online company: credentials, endpoints and limits."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

API_BASES = {
    "production": "https://quickbooks.api.intuit.com",
    "sandbox": "https://sandbox-quickbooks.api.intuit.com",
}
INTUIT_TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"  # noqa: S105 - a URL
INTUIT_AUTHORIZE_URL = "https://appcenter.intuit.com/connect/oauth2"
INTUIT_REVOKE_URL = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"
DEFAULT_MINOR_VERSION = 75


def state_dir() -> Path:
    """Where the connectors keep state of their own (the token store): XDG_STATE_HOME or ~/.local/state."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "qbo-connectors"


@dataclass
class ClientConfig:
    """Everything :class:`~qbo_client.client.QBOClient` needs. Secrets never appear in ``repr``."""

    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    realm_id: str
    environment: str = "production"
    #: The API's base URL; overrides ``environment`` (a local qbo-sandbox: ``http://127.0.0.1:8080``).
    base_url: str | None = None
    #: The OAuth token endpoint; default Intuit's, or ``{base_url}/oauth2/v1/tokens/bearer`` with a base_url.
    token_url: str | None = None
    token_store_path: Path | None = None
    #: A database for the token store instead of the file (``sqlite:///...``, ``postgresql://...``).
    token_store_url: str | None = field(default=None, repr=False)
    minor_version: int = DEFAULT_MINOR_VERSION
    requests_per_minute: int = 500
    max_in_flight: int = 10
    batch_per_minute: int = 40
    user_agent: str = "qbo-connectors/0.1 (+singer)"
    timeout: float = 120.0
    max_retries: int = 8
    #: Upper bound of one backoff sleep, seconds (429 without Retry-After waits up to this).
    max_backoff: float = 60.0
    #: The length of QuickBooks' limit windows, seconds: a minute (only a sandbox that runs its
    #: clock faster, with a ``time_scale``, has shorter ones).
    rate_limit_window: float = 60.0

    @property
    def api_base(self) -> str:
        if self.base_url:
            return self.base_url.rstrip("/")
        try:
            return API_BASES[self.environment]
        except KeyError:
            raise ValueError(
                f"environment must be one of {sorted(API_BASES)} (or set base_url), not {self.environment!r}"
            ) from None

    @property
    def company_url(self) -> str:
        return f"{self.api_base}/v3/company/{self.realm_id}"

    @property
    def oauth_token_url(self) -> str:
        if self.token_url:
            return self.token_url
        if self.base_url:
            return f"{self.base_url.rstrip('/')}/oauth2/v1/tokens/bearer"
        return INTUIT_TOKEN_URL

    @property
    def store_path(self) -> Path:
        """The token store file of this app and company (one per pair, so companies never mix)."""
        if self.token_store_path:
            return Path(self.token_store_path).expanduser()
        return state_dir() / "tokens" / f"{self.realm_id}-{self.app_key}.json"

    @property
    def app_key(self) -> str:
        """The app as the token store names it: a hash of the client id (itself a credential)."""
        return hashlib.sha256(self.client_id.encode()).hexdigest()[:10]

    def unreachable_hint(self, url: str) -> str:
        """What to check when nothing answers at ``url``, one of this config's addresses."""
        if self.token_url and url == self.token_url:
            return "check token_url"
        if self.base_url:
            return "check base_url"
        return "check this machine's network connection (DNS, proxy, firewall)"

    def secrets(self) -> tuple[str, ...]:
        """Values that must never be logged."""
        return tuple(s for s in (self.client_secret, self.refresh_token) if s)

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> ClientConfig:
        """Build from a tap's or target's config (the settings of :data:`qbo_client.settings.SETTINGS`).

        A text setting that is empty counts as not set; ``refresh_token`` may be absent (the token
        store holds one).
        """
        from .settings import SETTINGS  # the settings module reads this one's defaults

        missing = [s.name for s in SETTINGS if s.required and not config.get(s.name)]
        if missing:
            raise ValueError(f"missing required setting(s): {', '.join(missing)}")
        kwargs: dict[str, Any] = {"refresh_token": ""}
        for setting in SETTINGS:
            value = config.get(setting.name)
            if value is None or (value == "" and setting.type in (str, Path)):
                continue
            kwargs[setting.config_field] = setting.type(value)
        return cls(**kwargs)
