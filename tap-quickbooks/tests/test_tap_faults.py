"""Faults and throttling injected by the sandbox change nothing in what the tap emits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from qbo_sandbox.config import RealismConfig, SandboxConfig
from qbo_sandbox.testing import RunningSandbox
from tap_harness import Run, run_tap, selected_catalog, tap_config

NAMES = ["Account", "CompanyInfo", "Customer", "Invoice", "Payment", "TimeActivity"]


@pytest.fixture
def qbo_sandbox_config() -> SandboxConfig:
    return SandboxConfig(
        realism=RealismConfig(
            fault_rate=0.1, seed=5, fault_kinds=("500", "503", "429", "drop", "slow"), slow_seconds=1.0
        )
    )


def settled(run: Run) -> dict[str, Any]:
    """A final state with the run's own start written as a placeholder (two runs start apart)."""
    bookmarks = run.state["bookmarks"]
    return {
        name: {k: ("<run start>" if v == run.upper_bound else v) for k, v in bookmark.items()}
        for name, bookmark in bookmarks.items()
    }


def test_records_and_final_state_under_faults_equal_a_clean_run(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    # A client timeout shorter than the sandbox's "slow" answers: those are retried too.
    config = tap_config(qbo_sandbox, tmp_path, page_size=5, timeout=0.5)
    selection = selected_catalog(config, NAMES)
    faulty = run_tap(qbo_sandbox, config, catalog_dict=selection)
    injected = dict(qbo_sandbox.sandbox.limits.stats.faults)
    assert sum(injected.values()) >= 3, injected
    qbo_sandbox.sandbox.config.realism.fault_rate = 0.0
    clean = run_tap(qbo_sandbox, config, catalog_dict=selection)
    assert faulty.tap.client.stats.retries >= 3
    assert faulty.versions() == clean.versions()
    assert settled(faulty) == settled(clean)
