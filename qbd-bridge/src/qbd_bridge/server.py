"""Run the bridge under uvicorn: in the foreground (the CLI) or in a thread (tests, benchmarks)."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from types import TracebackType

import uvicorn

from .app import Bridge


class NotLoopback(ValueError):
    """Binding to a non-loopback address was asked for without saying so explicitly."""


def check_host(host: str, allow_remote: bool) -> None:
    """The bridge is meant to sit behind a TLS proxy on the same machine: loopback unless told."""
    if allow_remote:
        return
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise NotLoopback(
            f"refusing to bind {host}: the bridge binds loopback only (put a TLS proxy in front of it) "
            "unless --allow-remote is given"
        )


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 picks a free port. Raises OSError when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets that say they are TCP, and
    # without it every answer on a kept-alive connection waits ~40 ms for Nagle's algorithm.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class BridgeServer:
    """A bridge served over HTTP; ``start()`` runs it on a background thread."""

    def __init__(
        self,
        bridge: Bridge,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        allow_remote: bool = False,
        log_level: str = "warning",
    ) -> None:
        check_host(host, allow_remote)
        self.bridge = bridge
        self.host = host
        self._socket = bind(host, port)
        self.port = int(self._socket.getsockname()[1])
        config = uvicorn.Config(
            bridge.asgi(),
            log_level=log_level,
            access_log=False,
            lifespan="off",
            timeout_keep_alive=30,
            # Behind a TLS proxy on the same machine; the bridge needs no client address from it.
            proxy_headers=False,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> BridgeServer:
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="qbd-bridge", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the bridge server did not start")
            time.sleep(0.01)
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted."""
        self._server.run(sockets=[self._socket])

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> BridgeServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
