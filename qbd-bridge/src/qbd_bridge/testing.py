"""A bridge serving over real HTTP on loopback, for tests and benchmarks of anything that talks to it.

    with RunningBridge() as bridge:
        password, qwc_path = bridge.add_company("acme")
        client = BridgeClient(bridge.url, bridge.token(), "acme")
        ...

The server runs on a thread of the calling process, on a free 127.0.0.1 port, with its SQLite file
in a temporary folder (or the file given). :meth:`RunningBridge.restart` stops it and starts a new
server on the same file, as a restart of the service would.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

from .app import Bridge
from .config import BridgeConfig
from .qwc import build, write_atomically
from .server import BridgeServer


class RunningBridge:
    """A real bridge server on a free loopback port, with a SQLite file; a context manager."""

    def __init__(
        self, database: str | Path | None = None, *, config: BridgeConfig | None = None, **settings: Any
    ) -> None:
        """``settings`` override fields of :class:`BridgeConfig` (e.g. ``session_idle_timeout=2``).

        The service's settings are production's, but for a refused login's delay (0.1 s, not 1 s),
        so that a test of a wrong password does not wait.
        """
        self._tmp: str | None = None
        if database is None:
            self._tmp = tempfile.mkdtemp(prefix="qbd-bridge-")
            database = Path(self._tmp) / "bridge.db"
        base = config or BridgeConfig(failure_delay=0.1)
        self.config = dataclasses.replace(base, database=database, **settings)
        self.folder = Path(database).parent
        self.bridge: Bridge | None = None
        self.server: BridgeServer | None = None
        self._token: str | None = None
        self._port = 0

    # -- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> RunningBridge:
        self.bridge = Bridge(self.config)
        try:
            self.server = BridgeServer(self.bridge, port=self._port).start()
            self._port = self.server.port
        except BaseException:
            self.bridge.close()
            raise
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
        if self.bridge is not None:
            self.bridge.close()
            self.bridge = None

    def restart(self) -> RunningBridge:
        """Stop the server and start a new one on the same database and port (the .qwc stays right)."""
        self.stop()
        return self.start()

    def __enter__(self) -> RunningBridge:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)

    # -- what tests need -----------------------------------------------------------------------------

    def _running(self) -> tuple[Bridge, BridgeServer]:
        if self.bridge is None or self.server is None:
            raise RuntimeError("the bridge is not running: use it as a context manager, or call start()")
        return self.bridge, self.server

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:41234``."""
        return self._running()[1].url

    @property
    def qbwc_url(self) -> str:
        """The SOAP endpoint QBWC calls (the .qwc's AppURL)."""
        return f"{self.url}/qbwc"

    @property
    def app_url(self) -> str:
        """The AppURL of the .qwc files: QBWC refuses a bare IP address, even 127.0.0.1."""
        return f"http://localhost:{self._running()[1].port}/qbwc"

    @property
    def database(self) -> Path:
        return Path(self.config.database)

    def add_company(
        self, name: str, *, run_every_minutes: int | None = 1, qwc_dir: str | Path | None = None
    ) -> tuple[str, Path]:
        """Add a company; returns its QBWC password and the path of its .qwc (AppURL = this server)."""
        bridge, _ = self._running()
        company, password = bridge.companies.add(
            name, app_url=self.app_url, run_every_minutes=run_every_minutes
        )
        path = Path(qwc_dir or self.folder) / f"{name}.qwc"
        write_atomically(path, build(company, self.app_url, run_every_minutes=run_every_minutes))
        return password, path

    def token(self) -> str:
        """An API token (the same one on every call)."""
        if self._token is None:
            self._token = self._running()[0].tokens.create("tests")
        return self._token

    def client(self, company: str, **kwargs: Any) -> Any:
        """A :class:`qbd_client.client.BridgeClient` for a company of this bridge."""
        from qbd_client.client import BridgeClient

        return BridgeClient(self.url, self.token(), company, **kwargs)
