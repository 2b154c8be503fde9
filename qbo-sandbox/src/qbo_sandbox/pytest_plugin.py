"""pytest fixtures: a qbo-sandbox serving real HTTP on a free loopback port, torn down after use.

Installed as a pytest plugin with the package. ``qbo_sandbox`` gives each test its own server and
its own copy of the sample company (copied from a database seeded once per session, so tests
cannot see each other's writes); override ``qbo_sandbox_config`` to turn knobs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .config import SandboxConfig


@pytest.fixture(scope="session")
def qbo_sample_company_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file holding the default sample company, seeded once per test session."""
    from .app import Sandbox
    from .testing import seed_company

    path = tmp_path_factory.mktemp("qbo-sandbox") / "sample.db"
    sandbox = Sandbox(SandboxConfig(database=str(path)))
    seed_company(sandbox)
    sandbox.db.close()
    return path


@pytest.fixture
def qbo_sandbox_config() -> SandboxConfig:
    """The config of the ``qbo_sandbox`` fixture's server; override it in a test module to change knobs."""
    return SandboxConfig()


@pytest.fixture
def qbo_sandbox(qbo_sandbox_config: SandboxConfig, qbo_sample_company_db: Path) -> Iterator[object]:
    """A running sandbox with its own copy of the sample company and credentials for it."""
    from .testing import start_sandbox

    with start_sandbox(qbo_sandbox_config, template=qbo_sample_company_db) as running:
        yield running
