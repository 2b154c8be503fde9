"""The README's stream-maps example, run as written there: CRM contacts become customers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from qbo_client.client import QBOClient
from tq_helpers import dead_letters, rows, run_target

README = Path(__file__).parent.parent / "README.md"


def _example(part: str) -> str:
    text = README.read_text(encoding="utf-8")
    found = re.search(rf"<!-- stream-maps-example: {part} -->\s*```json\n(.*?)```", text, re.S)
    assert found, f"the README has no stream-maps example {part}"
    return found.group(1)


def test_readme_example_turns_crm_contacts_into_customers(config: dict[str, Any], company: QBOClient) -> None:
    settings = {**config, **json.loads(_example("config"))}
    messages = [json.loads(line) for line in _example("input").splitlines() if line.strip()]

    first = run_target(settings, messages)
    second = run_target(settings, messages)

    assert dead_letters(config) == []
    ada, grace = (
        rows(company, "Customer", f"DisplayName = '{name}'")[0]
        for name in ("Analytical Engines Ltd", "Grace Hopper")
    )
    assert ada["PrimaryEmailAddr"] == {"Address": "ada@example.com"}
    assert ada["CompanyName"] == "Analytical Engines Ltd"
    assert ada["BillAddr"]["Line1"] == "12 St James's Square"
    assert ada["BillAddr"]["PostalCode"] == "SW1Y 4JH"
    assert (grace["GivenName"], grace["FamilyName"]) == ("Grace", "Hopper")
    assert grace["BillAddr"]["City"] == "Arlington"
    assert "CompanyName" not in grace
    assert first.counts["create"] == 2
    assert second.counts["unchanged"] == 2  # the natural key finds them: no duplicates
