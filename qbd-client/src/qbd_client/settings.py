"""The settings of a QuickBooks Desktop company on a qbd-bridge: declared once here, read by both
plugins' config schemas, and the one check that a config names one edition's settings only.

tap-quickbooks and target-quickbooks serve QuickBooks Online (the default) and QuickBooks Desktop;
the ``edition`` setting picks one. Their config schemas declare both editions' settings (Online's
from :mod:`qbo_client.settings`, Desktop's from here) without marking any of them required, and
:func:`check_edition` then says, in one line, what the chosen edition is missing and which given
settings belong to the other edition.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from singer_sdk import typing as th

EDITIONS = ("online", "desktop")
DEFAULT_EDITION = "online"
#: Seconds a plugin waits for the Web Connector to call before it stops (exit status 2).
DEFAULT_WAIT_FOR_QBWC = 600.0


@dataclass(frozen=True)
class Setting:
    """One Desktop setting as a plugin declares it."""

    name: str
    type: type[str] | type[float]
    description: str
    required: bool = False
    secret: bool = False
    default: str | float | None = None
    exclusive_minimum: int | None = None


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "bridge_url",
        str,
        "Desktop: the qbd-bridge service's base URL (its JSON API), e.g. http://127.0.0.1:8080",
        required=True,
    ),
    Setting(
        "bridge_token",
        str,
        "Desktop: an API token of the bridge (`qbd-bridge token create`)",
        required=True,
        secret=True,
    ),
    Setting(
        "company",
        str,
        "Desktop: the company's name on the bridge (`qbd-bridge company add NAME`)",
        required=True,
    ),
    Setting(
        "wait_for_qbwc",
        float,
        "Desktop: seconds to wait for the Web Connector to call before stopping with exit status 2 "
        "(it calls only while QuickBooks' PC is on and on the .qwc's schedule)",
        default=DEFAULT_WAIT_FOR_QBWC,
        exclusive_minimum=0,
    ),
    Setting(
        "company_timezone",
        str,
        "Desktop: the time zone of the PC QuickBooks runs on (IANA name, e.g. America/Chicago): "
        "QuickBooks reads the date-times of a query in it. Without it the plugins use the UTC offset "
        "the company's own records carry and read a wider overlap",
    ),
)

#: The names of :data:`SETTINGS`, in order.
NAMES: tuple[str, ...] = tuple(s.name for s in SETTINGS)
REQUIRED: tuple[str, ...] = tuple(s.name for s in SETTINGS if s.required)


def sdk_properties() -> list[th.Property[Any]]:
    """``edition`` and the Desktop settings as singer-sdk properties (none marked required: which
    are depends on ``edition``, see :func:`check_edition`)."""
    from singer_sdk import typing as th  # only the plugins, which have the SDK, call this

    out: list[th.Property[Any]] = [
        th.Property(
            "edition",
            th.StringType,
            default=DEFAULT_EDITION,
            allowed_values=list(EDITIONS),
            description="Which QuickBooks: online (QuickBooks Online, the default) or desktop "
            "(QuickBooks Desktop Pro, Premier or Enterprise through qbd-bridge and the Web Connector)",
        )
    ]
    for setting in SETTINGS:
        wrapped: Any = (
            th.NumberType(exclusive_minimum=setting.exclusive_minimum)
            if setting.type is float
            else th.StringType
        )
        out.append(
            th.Property(
                setting.name,
                wrapped,
                default=setting.default,
                description=setting.description,
                secret=setting.secret,
            )
        )
    return out


def schema_defaults(config_schema: Mapping[str, Any]) -> dict[str, Any]:
    """The defaults a plugin's config JSON Schema declares, by setting (``check_edition``'s ``defaults``)."""
    return {
        name: prop["default"]
        for name, prop in config_schema.get("properties", {}).items()
        if isinstance(prop, Mapping) and "default" in prop
    }


def edition_of(config: Mapping[str, Any]) -> str:
    """The edition a config asks for (``online`` when it does not say)."""
    value = config.get("edition") or DEFAULT_EDITION
    return str(value).strip().lower()


def check_edition(
    config: Mapping[str, Any],
    *,
    online_names: Iterable[str],
    online_required: Iterable[str],
    desktop_only: Iterable[str] = (),
    online_only: Iterable[str] = (),
    defaults: Mapping[str, Any] | None = None,
) -> str | None:
    """What is wrong with a config's edition settings, as one line, or None.

    ``online_names``/``online_required``: QuickBooks Online's connection settings (given with a
    Desktop edition, they are refused by name); ``desktop_only``/``online_only``: a plugin's own
    settings that only one edition reads. A setting whose value is None, "" or its declared default
    is not "given": Meltano passes every setting's default along. ``defaults``: the plugin's
    declared defaults (name -> value, e.g. from its config schema's ``default`` keys); the
    Desktop settings' own are known here.
    """
    edition = edition_of(config)
    if edition not in EDITIONS:
        return f"edition must be one of {', '.join(EDITIONS)}, not {config.get('edition')!r}"
    desktop = {*NAMES, *desktop_only}
    online = {*online_names, *online_only}
    known = {**(defaults or {}), **{s.name: s.default for s in SETTINGS if s.default is not None}}

    def given(name: str) -> bool:
        value = config.get(name)
        return value not in (None, "") and (name not in known or value != known[name])

    if edition == "desktop":
        wrong = [name for name in sorted(online) if given(name)]
        missing = [name for name in REQUIRED if not given(name)]
        other, mine = "QuickBooks Online", "desktop"
    else:
        wrong = [name for name in sorted(desktop) if given(name)]
        missing = [name for name in online_required if not given(name)]
        other, mine = "QuickBooks Desktop", "online"
    problems = []
    if missing:
        problems.append(f"edition {mine} needs {', '.join(missing)}")
    if wrong:
        problems.append(
            f"{', '.join(wrong)} {'is a' if len(wrong) == 1 else 'are'} {other} setting"
            f"{'' if len(wrong) == 1 else 's'} and edition is {mine}: remove "
            f"{'it' if len(wrong) == 1 else 'them'} or set edition"
        )
    zone = config.get("company_timezone")
    if edition == "desktop" and zone:
        try:
            ZoneInfo(str(zone))
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"company_timezone {zone!r} is not an IANA time zone name (e.g. America/Chicago)")
    return "; ".join(problems) or None


__all__ = [
    "DEFAULT_EDITION",
    "DEFAULT_WAIT_FOR_QBWC",
    "EDITIONS",
    "NAMES",
    "REQUIRED",
    "SETTINGS",
    "Setting",
    "check_edition",
    "edition_of",
    "schema_defaults",
    "sdk_properties",
]
