"""Every knob of the sandbox in one place. Realism knobs are off by default and seeded."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LimitsConfig:
    """The service limits QBO enforces, each configurable. ``None`` turns a limit off."""

    requests_per_minute: int | None = 500
    concurrent: int | None = 10
    batch_per_minute: int | None = 40
    batch_items: int = 30
    #: Seconds of the sandbox's clock per real second for the limit windows and token lifetimes:
    #: 60 makes "a minute" last one real second.
    time_scale: float = 1.0


@dataclass
class RealismConfig:
    """Latency and injected faults, deterministic under ``seed``. All off by default."""

    latency_per_request: float = 0.0  # seconds
    latency_per_row: float = 0.0  # seconds per entity returned
    fault_rate: float = 0.0  # share of API requests that get a fault
    #: Which faults to draw from, equally likely: 500, 503, 429, 429-no-retry-after, drop, slow, 401.
    fault_kinds: tuple[str, ...] = ("500", "503", "429", "429-no-retry-after", "drop", "slow")
    slow_seconds: float = 5.0  # how long a "slow" fault stalls (beyond a client timeout)
    seed: int = 0


@dataclass
class TokenConfig:
    """OAuth token lifetimes in seconds (real: 3600 and 100 days), and rotation."""

    access_token_ttl: float = 3600.0
    refresh_token_ttl: float = 100 * 24 * 3600.0
    #: The hard limit of a refresh token chain since its first grant (real: 5 years since 2025-11).
    refresh_token_hard_ttl: float = 5 * 365 * 24 * 3600.0
    #: How long an authorization code from /connect/oauth2 can be exchanged.
    authorization_code_ttl: float = 300.0
    #: Rotate the refresh token on every refresh (QBO rotates about daily; every time is stricter).
    rotate_refresh_token: bool = True
    #: Answer 401 to API calls without a valid bearer token.
    require_auth: bool = True


@dataclass
class SandboxConfig:
    """How a sandbox server behaves."""

    database: str = ":memory:"
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    realism: RealismConfig = field(default_factory=RealismConfig)
    tokens: TokenConfig = field(default_factory=TokenConfig)
    #: CDC answers at most this many objects per entity (real: 1000).
    cdc_max_per_entity: int = 1000
    #: How far back CDC looks (real: 30 days).
    cdc_window_days: int = 30
    #: Cells a report may hold before it is cut short with "Unable to display more data" (real:
    #: 400,000; ``None``: no limit). Detail reports (GeneralLedger, ...) enforce it.
    report_cell_limit: int | None = 400_000
    #: The company's time zone for MetaData times and "today".
    timezone: str = "America/Los_Angeles"
    #: Seconds an Attachable's TempDownloadUri stays valid (real: 900).
    attachment_url_ttl: float = 900.0
    #: Largest upload request in bytes (real: 100 MB, fault 6030).
    attachment_max_bytes: int = 100 * 1024 * 1024
