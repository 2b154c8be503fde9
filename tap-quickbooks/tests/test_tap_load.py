"""The tap against a larger company under QuickBooks' limits: it keeps under them and reads everything.

The sandbox enforces the real limits (500 requests a minute, 10 in flight, 40 batches a minute per
company) on a clock 20 times faster, so a QuickBooks minute lasts 3 s, and the tap is told the
window's length (``rate_limit_window_seconds``). Small pages make the run need well over a minute's
worth of requests, so the per-minute limit binds (the tap's limiter has to wait) while 10 requests
are in flight. "Near zero" 429s: at most 1% of the requests. A limiter that counts admissions on
the client's clock cannot be exact: a request admitted just inside the client's window can reach
the server a moment later, in the server's next one.

How much memory the tap uses on a large company is measured by ``bench/soak.py``, not asserted.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from qbo_client import catalog
from qbo_sandbox.config import LimitsConfig, RealismConfig, SandboxConfig
from qbo_sandbox.testing import start_sandbox
from tap_harness import run_tap, sandbox_rows, tap_config

TIME_SCALE = 20.0
SIZE = 5000


def test_full_sync_of_a_larger_company_at_the_limits_is_hardly_ever_throttled_and_complete(
    tmp_path: Path,
) -> None:
    config = SandboxConfig(
        limits=LimitsConfig(time_scale=TIME_SCALE), realism=RealismConfig(latency_per_request=0.02)
    )
    with start_sandbox(config, size=SIZE) as running:
        settings = tap_config(
            running, tmp_path, page_size=10, max_in_flight=10, rate_limit_window_seconds=60 / TIME_SCALE
        )
        run = run_tap(running, settings)
        stats = running.sandbox.limits.stats.snapshot()

        assert stats["requests"] > 500, "more than a QuickBooks minute's worth of requests"
        assert run.tap.client.limiter.waited > 0, "the per-minute limit was reached"
        assert stats["in_flight_max"] == 10
        assert stats["throttled"] <= 0.01 * stats["requests"], stats
        for name in catalog.names():
            counts = Counter(run.ids(name))
            assert all(n == 1 for n in counts.values()), f"{name}: a record came twice"
            expected = sandbox_rows(running, name, before=run.upper_bound)
            assert set(expected) <= set(counts), f"{name}: {len(set(expected) - set(counts))} missing"
        assert sum(len(rows) for rows in run.records.values()) > SIZE
