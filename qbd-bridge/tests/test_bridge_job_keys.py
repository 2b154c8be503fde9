"""Idempotent job submission: a job submitted again with the same key is the job already queued."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import requests
from bridge_harness import FAST, Company, customer_add, make_company
from qbd_bridge.testing import RunningBridge


def _submit(running: RunningBridge, company: str, body: dict[str, object]) -> requests.Response:
    return requests.post(
        f"{running.url}/api/v1/companies/{company}/jobs",
        json=body,
        headers={"Authorization": f"Bearer {running.token()}"},
        timeout=10,
    )


def test_a_job_submitted_again_with_its_key_is_the_same_job_and_writes_once(
    running: RunningBridge, acme: Company
) -> None:
    body = {"message_sets": [customer_add("Keyed Co").decode()], "key": "batch-1"}
    first = _submit(running, acme.name, body)
    assert first.status_code == 201
    assert "existing" not in first.json()
    again = _submit(running, acme.name, body)
    assert again.status_code == 200
    assert (again.json()["job"], again.json()["existing"]) == (first.json()["job"], True)

    acme.connector.session()
    assert [c["Name"] for c in acme.qb.customers].count("Keyed Co") == 1
    # After the answer: the same key still names the done job and its responses.
    later = _submit(running, acme.name, body)
    assert (later.json()["job"], later.json()["status"]) == (first.json()["job"], "done")
    answers = list(acme.client.responses(later.json()["job"], wait_for_qbwc=5))
    assert len(answers) == 1
    assert answers[0].responses[0].status_code == 0
    acme.connector.session()
    assert [c["Name"] for c in acme.qb.customers].count("Keyed Co") == 1


def test_keys_are_per_company_and_checked(running: RunningBridge, acme: Company) -> None:
    other = make_company(running)
    body = {"message_sets": [customer_add("Same Key").decode()], "key": "k"}
    one, two = _submit(running, acme.name, body), _submit(running, other.name, body)
    assert (one.status_code, two.status_code) == (201, 201)
    assert one.json()["job"] != two.json()["job"]
    for bad in ("", 7, "x" * 201):
        refused = _submit(running, acme.name, {**body, "key": bad})
        assert (refused.status_code, refused.json()["error"]) == (400, "bad_request")
        assert "key must be a string" in refused.json()["message"]
    unkeyed = [_submit(running, acme.name, {"message_sets": body["message_sets"]}) for _ in range(2)]
    assert unkeyed[0].json()["job"] != unkeyed[1].json()["job"]


def test_a_database_made_before_keys_gets_the_column(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with RunningBridge(path, **FAST):
        pass
    conn = sqlite3.connect(path)
    conn.execute("DROP INDEX jobs_key")
    conn.execute("ALTER TABLE jobs DROP COLUMN key")
    conn.commit()
    conn.close()
    with RunningBridge(path, **FAST) as bridge:
        company = make_company(bridge)
        body = {"message_sets": [customer_add("Old File").decode()], "key": "k"}
        first, again = _submit(bridge, company.name, body), _submit(bridge, company.name, body)
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json()["job"] == again.json()["job"]


def test_the_client_submits_under_a_key_and_is_told_when_the_job_existed(
    running: RunningBridge, acme: Company
) -> None:
    batch = [customer_add("Client Keyed Co")]
    first, existed = acme.client.submit_keyed(batch, "customers", "client-batch")
    assert existed is False
    again, existed = acme.client.submit_keyed(batch, "customers", "client-batch")
    assert (again, existed) == (first, True)
    acme.connector.session()
    assert [c["Name"] for c in acme.qb.customers].count("Client Keyed Co") == 1
