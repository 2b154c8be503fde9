"""Fixtures of the target's tests: a sandbox with QBO's limits on a fast clock, the target's config
for its sample company, and a client reading that company back.

The plain helpers (Singer messages, a target run, reading a company) are functions in
``tq_helpers``: tests call them with arguments of their own, which a fixture would hide.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from qbo_client.client import QBOClient
from qbo_sandbox.config import SandboxConfig
from qbo_sandbox.testing import RunningSandbox
from tq_helpers import reader, scaled_sandbox_config, target_config


@pytest.fixture
def qbo_sandbox_config() -> SandboxConfig:
    """QBO's limits on, on a clock where a minute lasts a second (see ``tq_helpers.TIME_SCALE``).

    Overrides qbo-sandbox's plugin fixture for every test here; a module that needs other knobs
    (the crash and kill tests) overrides it again.
    """
    return scaled_sandbox_config()


@pytest.fixture
def config(qbo_sandbox: RunningSandbox, tmp_path: Path) -> dict[str, Any]:
    """The target's config for the sample company of a fresh sandbox."""
    return target_config(qbo_sandbox, tmp_path)


@pytest.fixture
def company(config: dict[str, Any]) -> Iterator[QBOClient]:
    """A client reading the same company back (same token store as the target)."""
    client = reader(config)
    yield client
    client.close()
