"""The ``.qwc`` file a user adds to the QuickBooks Web Connector, read and checked as QBWC does.

A ``.qwc`` names the service QBWC calls (``AppURL``), the user it logs in as, the ``OwnerID`` and
``FileID`` it stores in the company file, and how often it runs. QBWC refuses a file whose required
elements are missing, whose URLs are not https (``localhost`` may use http), that names a host by a
bare IP address (``127.0.0.1`` included: QBWC wants a host name), or whose support page is on
another host than the service. The emulator refuses the same files, with messages in QBWC's words,
so a ``.qwc`` the bridge writes is known to be one the real program accepts.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from qbd_client.xml import Element, XMLError, child_text, local_name, parse_bytes

#: Elements QBWC requires, in the order of Intuit's examples (AppID may be empty but must be there).
REQUIRED = (
    "AppName",
    "AppID",
    "AppURL",
    "AppDescription",
    "AppSupport",
    "UserName",
    "OwnerID",
    "FileID",
    "QBType",
)
#: Elements QBWC knows besides the required ones; anything else is refused as QBWC refuses it.
OPTIONAL = (
    "Scheduler",
    "IsReadOnly",
    "AuthFlags",
    "Style",
    "UnattendedModePref",
    "PersonalDataPref",
    "CertURL",
    "Notify",
    "AppDisplayName",
    "AppUniqueName",
    "CertHash",
)
QB_TYPES = ("QBFS", "QBPOS")
_GUID = re.compile(r"^\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?$")
#: The prefix QBWC puts on every refusal of an application file.
REFUSED = "QBWC1039: There was a problem adding the application"


class QwcError(ValueError):
    """A ``.qwc`` file the Web Connector would refuse; the message says why and what to fix."""


@dataclass(frozen=True)
class QwcFile:
    """What a ``.qwc`` file tells the Web Connector."""

    app_name: str
    app_id: str
    app_url: str
    app_description: str
    app_support: str
    user_name: str
    owner_id: str
    file_id: str
    qb_type: str
    #: The Scheduler's interval in seconds (RunEveryNMinutes converted), or None without a Scheduler.
    run_every_seconds: float | None = None
    is_read_only: bool = False
    path: Path | None = None

    @property
    def host(self) -> str:
        """The host name of ``AppURL``."""
        return (urlsplit(self.app_url).hostname or "").lower()


def _refuse(source: str, detail: str) -> QwcError:
    return QwcError(f"{REFUSED} {source}: {detail}")


def check_url(url: str, element: str) -> str:
    """The lower-cased host of ``url``; raises ValueError saying why the Web Connector refuses it.

    https is required, except for ``localhost`` which may use http; the host must be a name, not an
    IP address.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        host = (parts.hostname or "").lower()
    except ValueError:
        host = ""
    if scheme not in ("http", "https") or not host:
        raise ValueError(f"{element} {url!r} is not an http(s) URL with a host name")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        raise ValueError(
            f"{element} {url} names the host by its IP address; the Web Connector needs a host name "
            "(use localhost for this machine, or a name the certificate covers)"
        )
    if scheme == "http" and host != "localhost":
        raise ValueError(
            f"{element} {url} does not use https; the Web Connector allows http only for localhost "
            "(serve the bridge behind https with a real certificate)"
        )
    return host


def _scheduler(element: Element, source: str) -> float | None:
    values: list[float] = []
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = local_name(child)
        if name not in ("RunEveryNMinutes", "RunEveryNSeconds"):
            raise _refuse(source, f"Scheduler has no element {name} (RunEveryNMinutes or RunEveryNSeconds)")
        text = (child.text or "").strip()
        if not text.isdigit() or int(text) <= 0:
            raise _refuse(source, f"Scheduler/{name} must be a whole number above 0, not {text!r}")
        values.append(int(text) * (60.0 if name == "RunEveryNMinutes" else 1.0))
    if len(values) > 1:
        raise _refuse(source, "Scheduler holds both RunEveryNMinutes and RunEveryNSeconds: keep one")
    return values[0] if values else None


def parse_qwc(data: bytes, source: str = "the .qwc file") -> QwcFile:
    """The application described by the ``.qwc`` document ``data``.

    Raises :class:`QwcError` for a file the Web Connector refuses, naming the element and the fix.
    """
    try:
        root = parse_bytes(data)
    except XMLError as exc:
        raise _refuse(source, f"it is not a readable XML file ({exc})") from None
    if local_name(root) != "QBWCXML":
        raise _refuse(source, f"its root element is {local_name(root)}, not QBWCXML")
    names = [local_name(c) for c in root if isinstance(c.tag, str)]
    unknown = [n for n in names if n not in REQUIRED and n not in OPTIONAL]
    if unknown:
        raise _refuse(source, f"unknown element {unknown[0]}")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise _refuse(source, f"element {repeated[0]} appears more than once")
    values: dict[str, str] = {}
    for name in REQUIRED:
        text = child_text(root, name)
        if text is None:
            raise _refuse(source, f"the required element {name} is missing")
        values[name] = text.strip()
        if not values[name] and name != "AppID":
            raise _refuse(source, f"the required element {name} is empty")
    for name in ("OwnerID", "FileID"):
        if not _GUID.match(values[name]):
            raise _refuse(
                source,
                f"{name} {values[name]!r} is not a GUID like {{57F3B9B1-86F1-4fcc-B1EE-566DE1813D20}}",
            )
    if values["QBType"] not in QB_TYPES:
        raise _refuse(source, f"QBType {values['QBType']!r} is not one of {', '.join(QB_TYPES)}")
    try:
        url_host = check_url(values["AppURL"], "AppURL")
        support_host = check_url(values["AppSupport"], "AppSupport")
    except ValueError as exc:
        raise _refuse(source, str(exc)) from None
    if support_host != url_host:
        raise _refuse(
            source,
            f"AppSupport {values['AppSupport']} is not on the host of AppURL ({url_host}); "
            "the support page must be served by the same host",
        )
    run_every: float | None = None
    scheduler = next((c for c in root if isinstance(c.tag, str) and local_name(c) == "Scheduler"), None)
    if scheduler is not None:
        run_every = _scheduler(scheduler, source)
    read_only = (child_text(root, "IsReadOnly") or "false").strip().lower()
    if read_only not in ("true", "false"):
        raise _refuse(source, f"IsReadOnly must be true or false, not {read_only!r}")
    return QwcFile(
        app_name=values["AppName"],
        app_id=values["AppID"],
        app_url=values["AppURL"],
        app_description=values["AppDescription"],
        app_support=values["AppSupport"],
        user_name=values["UserName"],
        owner_id=values["OwnerID"],
        file_id=values["FileID"],
        qb_type=values["QBType"],
        run_every_seconds=run_every,
        is_read_only=read_only == "true",
    )


def read_qwc(path: str | Path) -> QwcFile:
    """The ``.qwc`` file at ``path``; raises :class:`QwcError` when it cannot be read or is refused."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise QwcError(f"cannot read the .qwc file {path}: {exc.strerror or exc}") from None
    return replace(parse_qwc(data, str(path)), path=path)
