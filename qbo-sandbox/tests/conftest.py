"""Fixtures for the sandbox's own tests: a client of the running sandbox (helpers: sandbox_harness.py)."""

from __future__ import annotations

import pytest
from qbo_sandbox.testing import RunningSandbox
from sandbox_harness import Api


@pytest.fixture
def api(qbo_sandbox: RunningSandbox) -> Api:
    return Api(qbo_sandbox)
