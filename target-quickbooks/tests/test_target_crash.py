"""A target killed between two batches, run again from its last state: everything once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from qbo_sandbox.config import SandboxConfig
from qbo_sandbox.testing import RunningSandbox
from tq_helpers import (
    lines,
    new_business,
    reader,
    rows,
    run_target,
    scaled_sandbox_config,
    state,
    target_config,
)


@pytest.fixture
def qbo_sandbox_config() -> SandboxConfig:
    # every request takes a while, so a killed run stops between two batches
    return scaled_sandbox_config(latency_per_request=0.2)


def test_crash_between_batches_then_rerun_writes_everything_once(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    config = target_config(qbo_sandbox, tmp_path, max_in_flight=1)
    company = reader(config)
    messages = [*new_business("Crash", 300, 0), state({"done": True})]
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "input.jsonl").write_text(lines(messages))
    command = [sys.executable, "-m", "target_quickbooks.target", "--config", str(tmp_path / "config.json")]
    with (tmp_path / "input.jsonl").open() as stdin, (tmp_path / "stdout").open("w") as stdout:
        process = subprocess.Popen(command, stdin=stdin, stdout=stdout, stderr=subprocess.DEVNULL)
        try:
            written = 0
            for _ in range(600):
                written = len(rows(company, "Customer", "DisplayName LIKE 'Crash%'"))
                if written >= 60:
                    break
                time.sleep(0.05)
            os.kill(process.pid, signal.SIGKILL)
        finally:
            process.wait()
    crashed_at = len(rows(company, "Customer", "DisplayName LIKE 'Crash%'"))
    assert 60 <= crashed_at < 300
    assert (tmp_path / "stdout").read_text() == ""  # no state: nothing was confirmed

    rerun = run_target(config, messages)  # from the last state: here, the start

    names = [r["DisplayName"] for r in rows(company, "Customer", "DisplayName LIKE 'Crash%'")]
    assert len(names) == len(set(names)) == 300
    assert rerun.counts["create"] + rerun.counts["unchanged"] == 300
    assert rerun.counts["unchanged"] >= crashed_at
    assert rerun.states == [{"done": True}]
