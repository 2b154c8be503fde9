"""The ``.qwc`` file a user adds to the Web Connector for one company.

QBWC accepts an AppURL only over https with a real certificate, except for ``localhost``, and
refuses a bare IP address; AppSupport must be on the same host and answer 200. The file is built
with lxml, so a name with ``&`` or ``<`` in it is escaped, never pasted into a template.
"""

from __future__ import annotations

import ipaddress
import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from lxml import etree

from .store import Company


class QwcError(ValueError):
    """An AppURL the Web Connector would refuse; the message says what to use instead."""


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_url(url: str) -> str:
    """The AppURL, checked as QBWC checks it; raises :class:`QwcError` for one it would refuse."""
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise QwcError(
            f"--url {url!r} is not an http(s) URL: give the address QBWC will call, e.g. https://your.host/qbwc"
        )
    if _is_ip(host):
        raise QwcError(
            f"--url {url}: the Web Connector refuses a bare IP address; give the host's DNS name "
            "(localhost for this machine)"
        )
    if parts.scheme == "http" and host != "localhost":
        raise QwcError(
            f"--url {url}: the Web Connector refuses plain http except for localhost; put the bridge "
            "behind a TLS proxy (Caddy, nginx) with a real certificate and give https://your.host/qbwc"
        )
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/qbwc", parts.query, ""))


def support_url(app_url: str) -> str:
    """The AppSupport page on the same host as ``app_url``."""
    parts = urlsplit(app_url)
    return urlunsplit((parts.scheme, parts.netloc, "/support", "", ""))


def build(company: Company, app_url: str, *, run_every_minutes: int | None = None) -> bytes:
    """The ``.qwc`` XML of a company."""
    root = etree.Element("QBWCXML")

    def add(tag: str, text: str) -> etree._Element:
        child = etree.SubElement(root, tag)
        child.text = text
        return child

    add("AppName", f"qbd-bridge {company.name}")
    add("AppID", "")
    add("AppURL", app_url)
    add("AppDescription", f"Data pipelines for the QuickBooks company {company.name}, through qbd-bridge")
    add("AppSupport", support_url(app_url))
    add("UserName", company.username)
    add("OwnerID", company.owner_id)
    add("FileID", company.file_id)
    add("QBType", "QBFS")
    every = run_every_minutes if run_every_minutes is not None else company.run_every_minutes
    if every:
        scheduler = etree.SubElement(root, "Scheduler")
        etree.SubElement(scheduler, "RunEveryNMinutes").text = str(every)
    add("IsReadOnly", "false")
    body = etree.tostring(root, encoding="unicode", pretty_print=True)
    return f'<?xml version="1.0" encoding="utf-8"?>\n{body}'.encode()


def write_atomically(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write a file by a temporary file in the same folder and a rename (readers never see half of it)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
