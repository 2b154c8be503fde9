"""Find the project's shared material (``../shared``): the QuickBooks reference, XSDs and fixtures.

It lives beside the repository and is never copied into it. ``QBO_SHARED_DIR`` overrides the
location. When it is missing, tests and scripts fail loudly instead of skipping, so CI cannot go
green without the fixtures.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


class SharedMaterialMissing(RuntimeError):
    """The ``shared`` folder beside the repository cannot be found."""


def shared_dir() -> Path:
    """The path of ``shared/``; raises SharedMaterialMissing when it is not there."""
    override = os.environ.get("QBO_SHARED_DIR")
    candidates = [Path(override)] if override else [REPO_ROOT.parent / "shared"]
    for candidate in candidates:
        if (candidate / "reference" / "qbo-api.md").is_file():
            return candidate
    raise SharedMaterialMissing(
        f"shared material not found at {candidates[0]}: clone the project beside its 'shared' "
        "folder (or set QBO_SHARED_DIR); the tests read the QuickBooks fixtures and XSDs from there"
    )


def fixtures_dir() -> Path:
    return shared_dir() / "fixtures" / "qbo"


def xsd_dir() -> Path:
    return shared_dir() / "reference" / "qbo-xsd"


def qbd_fixtures_dir() -> Path:
    """Recorded QuickBooks Desktop traffic (``recorded/`` responses, ``requests/``)."""
    return shared_dir() / "fixtures" / "qbd"


def qbxml_fields_path() -> Path:
    """The facts extracted from Intuit's qbXML 13.0 schema: element names, types, order."""
    return shared_dir() / "reference" / "qbxml-fields.json"
