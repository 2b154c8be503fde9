"""A whole emulated Desktop installation for tests, benchmarks and the demo: the bridge, company
files and a Web Connector for each, calling on a schedule in the background.

    with DesktopStack() as stack:
        acme = stack.add_company("acme", seed=1)          # a sample company file, its .qwc, its QBWC
        config = stack.tap_config("acme")                 # edition desktop settings for the plugins
        ...                                               # run tap-quickbooks / target-quickbooks
        acme.company.modify("Customer", {...})            # change the company as a user would

Everything is real: the bridge serves SOAP and its JSON API over HTTP on 127.0.0.1 with its queue
in a SQLite file, each company is a SQLite file answering qbXML, and each Web Connector runs QBWC's
sessions against the bridge on its own thread, every ``interval`` seconds (QBWC's scheduler with
``RunEveryNSeconds``), until the stack stops or the company is paused (a Web Connector that does
not call: QuickBooks closed, the PC asleep).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from qbd_bridge.testing import RunningBridge

from .company import Company, CompanyConfig
from .faults import ConnectorFaults
from .sample import seed_company
from .webconnector import SessionReport, WebConnector

#: Fast bridge settings: cheap password hashing, short refusal delay, sessions that idle out late.
FAST_BRIDGE: dict[str, Any] = {
    "password_cost": 2**10,
    "failure_delay": 0.05,
    "session_idle_timeout": 30.0,
    "producer_timeout": 30.0,
}


@dataclass
class EmulatedCompany:
    """One company of the stack: its file, its Web Connector, and the thread that runs it."""

    name: str
    company: Company
    connector: WebConnector
    interval: float
    reports: list[SessionReport] = field(default_factory=list)
    _paused: threading.Event = field(default_factory=threading.Event)
    _stopped: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        """Start calling the bridge every ``interval`` seconds (in a daemon thread)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopped.clear()
        self._thread = threading.Thread(target=self._loop, name=f"qbwc-{self.name}", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stopped.is_set():
            if not self._paused.is_set():
                with self._lock:
                    report = self.connector.run_session()
                self.reports.append(report)
            self._stopped.wait(self.interval)

    def pause(self) -> None:
        """The Web Connector stops calling (after the session it is in, if any)."""
        self._paused.set()
        with self._lock:  # wait for a session in progress to end
            pass

    def resume(self) -> None:
        """The Web Connector calls again on its schedule."""
        self._paused.clear()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
            self._thread = None

    @property
    def faults(self) -> ConnectorFaults:
        """The faults this Web Connector plays (assign fields to change them between sessions)."""
        return self.connector.faults

    def set_faults(self, faults: ConnectorFaults) -> None:
        """Play these faults from the next session on."""
        with self._lock:
            self.connector.faults = faults

    def close(self) -> None:
        self.stop()
        self.connector.close()
        self.company.close()


class DesktopStack:
    """A bridge on loopback and emulated companies that call it; a context manager."""

    def __init__(
        self,
        folder: str | Path | None = None,
        *,
        interval: float = 0.2,
        noop_wait: float = 0.05,
        bridge: RunningBridge | None = None,
        **bridge_settings: Any,
    ) -> None:
        """``folder``: where the bridge's and the companies' SQLite files go (default: a temporary
        folder). ``interval``: seconds between a Web Connector's updates. ``bridge_settings``
        override :data:`FAST_BRIDGE` (fields of :class:`qbd_bridge.config.BridgeConfig`)."""
        self.interval = interval
        self.noop_wait = noop_wait
        settings = {**FAST_BRIDGE, **bridge_settings}
        database = Path(folder) / "bridge.db" if folder is not None else None
        if database is not None:
            database.parent.mkdir(parents=True, exist_ok=True)
        self.bridge = bridge or RunningBridge(database, **settings)
        self.folder = self.bridge.folder if folder is None else Path(folder)
        self.companies: dict[str, EmulatedCompany] = {}

    def __enter__(self) -> DesktopStack:
        self.bridge.start()
        self.folder = Path(self.bridge.folder)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop every Web Connector, close the company files, stop the bridge."""
        for emulated in self.companies.values():
            emulated.close()
        self.bridge.__exit__(None, None, None)

    def add_company(
        self,
        name: str,
        *,
        seed: int | None = None,
        size: int | None = None,
        now: datetime | None = None,
        config: CompanyConfig | None = None,
        faults: ConnectorFaults | None = None,
        start: bool = True,
        path: str | Path | None = None,
    ) -> EmulatedCompany:
        """A company on the bridge, its company file (the sample company when ``seed`` is given,
        else empty, or the file at ``path`` when it exists) and its Web Connector, calling unless
        ``start`` is False."""
        password, qwc = self.bridge.add_company(name, run_every_minutes=1)
        company = Company(path or self.folder / f"{name}.qbw", config)
        if seed is not None and company.count("Account") == 0:
            seed_company(company, seed=seed, size=size, now=now)
        connector = WebConnector(
            qwc, password, company, faults, noop_wait=self.noop_wait, timeout=60.0, check_support=False
        )
        emulated = EmulatedCompany(name, company, connector, self.interval)
        self.companies[name] = emulated
        if start:
            emulated.start()
        return emulated

    def token(self) -> str:
        """An API token of the bridge."""
        return self.bridge.token()

    @property
    def url(self) -> str:
        """The bridge's base URL (``http://127.0.0.1:PORT``): the plugins' ``bridge_url``."""
        return self.bridge.url

    def tap_config(self, name: str, **extra: Any) -> dict[str, Any]:
        """The settings of tap-quickbooks / target-quickbooks for the company ``name``."""
        return {
            "edition": "desktop",
            "bridge_url": self.url,
            "bridge_token": self.token(),
            "company": name,
            "company_timezone": self.companies[name].company.config.tz,
            "wait_for_qbwc": 30,
            **extra,
        }

    def restart_bridge(self) -> None:
        """Stop the bridge and start it again on the same file and port (as a service restart)."""
        self.bridge.restart()

    def until(self, condition: Callable[[], bool], timeout: float = 30.0) -> bool:
        """Wait until ``condition()`` holds (True) or ``timeout`` seconds pass (False)."""
        done = threading.Event()
        deadline = timeout
        step = 0.05
        waited = 0.0
        while waited < deadline:
            if condition():
                return True
            done.wait(step)
            waited += step
        return bool(condition())


__all__ = ["FAST_BRIDGE", "DesktopStack", "EmulatedCompany"]
