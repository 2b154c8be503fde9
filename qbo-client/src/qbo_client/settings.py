"""The client settings: declared once here, read by both plugins' config schemas and by the client.

tap-quickbooks and target-quickbooks each build their config schema from :func:`sdk_properties`
and add their own settings after these; :meth:`~qbo_client.config.ClientConfig.from_mapping`
reads a plugin's config through the same list. The list is plain data, not singer-sdk types, so
that the client (and the sandbox, the ``auth`` command) work without the Singer SDK; only
:func:`sdk_properties`, which the plugins call, imports it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import ClientConfig

if TYPE_CHECKING:
    from singer_sdk import typing as th


@dataclass(frozen=True)
class Setting:
    """One client setting as a plugin declares it."""

    name: str
    #: The Python type the client reads it as: ``str``, ``Path`` (a string in the config), ``int``, ``float``.
    type: type[str] | type[Path] | type[int] | type[float]
    description: str
    required: bool = False
    #: A credential: hidden by ``--about`` and Meltano, masked in the Hub's forms.
    secret: bool = False
    allowed: tuple[str, ...] = ()
    minimum: int | None = None
    exclusive_minimum: int | None = None
    #: The :class:`~qbo_client.config.ClientConfig` field it sets, where its name differs.
    field: str = ""

    @property
    def config_field(self) -> str:
        return self.field or self.name

    @property
    def default(self) -> str | int | float | None:
        """The client's own default (:class:`~qbo_client.config.ClientConfig`'s), or None."""
        value = _CONFIG_DEFAULTS.get(self.config_field)
        return value if isinstance(value, (str, int, float)) else None


_CONFIG_DEFAULTS = {f.name: f.default for f in dataclasses.fields(ClientConfig)}


SETTINGS: tuple[Setting, ...] = (
    Setting("client_id", str, "The Intuit app's client id", required=True, secret=True),
    Setting("client_secret", str, "The Intuit app's client secret", required=True, secret=True),
    Setting(
        "refresh_token",
        str,
        "The first refresh token. QuickBooks rotates it; the plugins keep the current one in their "
        "token store (never in this config), which wins until this value changes",
        secret=True,
    ),
    Setting("realm_id", str, "The company (realmId)", required=True),
    Setting(
        "environment",
        str,
        "Intuit's production or sandbox API (ignored when base_url is set)",
        allowed=("production", "sandbox"),
    ),
    Setting("base_url", str, "API base URL, e.g. a local qbo-sandbox (overrides environment)"),
    Setting(
        "token_url",
        str,
        "The OAuth token endpoint (default: Intuit's, or {base_url}/oauth2/v1/tokens/bearer with a base_url)",
    ),
    Setting(
        "token_store_path",
        Path,
        "The token store file (default: one per app and company under ~/.local/state)",
    ),
    Setting(
        "token_store_url",
        str,
        "A database for the token store instead of the file, shared by every worker (SQLAlchemy URL: "
        "postgresql://user:password@host/db, sqlite:////path/tokens.db); a row per app and company, "
        "locked during a refresh",
        secret=True,
    ),
    Setting(
        "minor_version",
        int,
        "The API minor version sent with every request",
        minimum=1,
    ),
    Setting(
        "requests_per_minute",
        int,
        "Requests per minute the client allows itself (QuickBooks' limit per company is 500)",
        minimum=1,
    ),
    Setting(
        "max_in_flight",
        int,
        "Requests at the same time (QuickBooks allows 10 per company)",
        minimum=1,
    ),
    Setting(
        "batch_per_minute",
        int,
        "Batch requests per minute the client allows itself (QuickBooks allows 40 per company)",
        minimum=1,
    ),
    Setting(
        "rate_limit_window_seconds",
        float,
        "The length of QuickBooks' limit window (60); only a test sandbox with a time_scale changes it",
        exclusive_minimum=0,
        field="rate_limit_window",
    ),
    Setting("user_agent", str, "User-Agent header sent with every request"),
    Setting(
        "timeout",
        float,
        "Seconds before a request is abandoned (and retried)",
        exclusive_minimum=0,
    ),
    Setting(
        "max_retries",
        int,
        "Retries of a request answered 429, 5xx or not at all, before the run stops",
        minimum=0,
    ),
    Setting(
        "max_backoff",
        float,
        "Longest wait between two retries, seconds (a Retry-After longer than this is cut to it)",
        minimum=0,
    ),
)

#: The names of :data:`SETTINGS`, in order: what a plugin hands to the client.
NAMES: tuple[str, ...] = tuple(s.name for s in SETTINGS)
#: The settings a QuickBooks Online config must give.
REQUIRED: tuple[str, ...] = tuple(s.name for s in SETTINGS if s.required)


def sdk_properties(*, required: bool = True) -> list[th.Property[Any]]:
    """The settings as singer-sdk properties, for a plugin's ``config_jsonschema``.

    ``required=False``: none is marked required in the schema (a plugin that serves QuickBooks
    Desktop too checks them per edition: :func:`qbd_client.settings.check_edition`)."""
    from singer_sdk import typing as th  # only the plugins, which have the SDK, call this

    out: list[th.Property[Any]] = []
    for setting in SETTINGS:
        wrapped: th.JSONTypeHelper[Any] | type[th.JSONTypeHelper[Any]]
        if setting.type is int:
            wrapped = th.IntegerType(minimum=setting.minimum, exclusive_minimum=setting.exclusive_minimum)
        elif setting.type is float:
            wrapped = th.NumberType(minimum=setting.minimum, exclusive_minimum=setting.exclusive_minimum)
        else:
            wrapped = th.StringType
        out.append(
            th.Property(
                setting.name,
                wrapped,
                required=setting.required and required,
                default=setting.default,
                description=setting.description,
                secret=setting.secret,
                allowed_values=list(setting.allowed) or None,
            )
        )
    return out
