"""A client of the bridge rides through a restart of the service: connections refused while it is
down are tried again for a while; past that, one clear error."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from bridge_harness import FAST
from qbd_bridge.testing import RunningBridge
from qbd_client.client import BridgeClient, BridgeUnavailable


def test_a_request_made_while_the_bridge_restarts_is_answered_once_it_is_back(tmp_path: Path) -> None:
    with RunningBridge(tmp_path / "bridge.db", **FAST) as bridge:
        bridge.add_company("acme")
        client = BridgeClient(bridge.url, bridge.token(), "acme", timeout=5, unavailable_for=30)
        bridge.stop()
        restarted = threading.Timer(1.0, bridge.start)
        restarted.start()
        try:
            status = client.status()  # refused at first: the bridge is down for a second
        finally:
            restarted.join()
        assert status.company == "acme"
        assert status.queue_depth == 0


def test_a_bridge_that_stays_down_is_one_error_after_the_wait(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with RunningBridge(tmp_path / "bridge.db", **FAST) as bridge:
        client = BridgeClient(bridge.url, bridge.token(), "acme", timeout=5, unavailable_for=1.0)
    caplog.set_level(logging.INFO, logger="qbd_client")
    with pytest.raises(BridgeUnavailable, match=r"did not answer .*is `qbd-bridge serve` running there"):
        client.status()
    tries = [r.getMessage() for r in caplog.records if "refused the connection" in r.getMessage()]
    assert len(tries) >= 2  # tried again, with a growing pause, before giving up
    assert tries[0].endswith("again in 0.25 s")
