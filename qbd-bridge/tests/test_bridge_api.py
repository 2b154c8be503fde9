"""The JSON API and its client: tokens, submitting, following, streaming, status, QBWCNotCalling."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time

import pytest
import requests
from bridge_harness import Company, customer_add, customer_query, make_company
from qbd_bridge.testing import RunningBridge
from qbd_client import qbxml
from qbd_client.client import BridgeAuthError, BridgeClient, BridgeError, QBWCNotCalling, ago


def test_api_answers_401_without_a_valid_token(running: RunningBridge, acme: Company) -> None:
    url = f"{running.url}/api/v1/companies/{acme.name}/status"
    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer qbdb_nope"},
    ):
        answer = requests.get(url, headers=headers, timeout=10)
        assert answer.status_code == 401
        assert answer.json()["error"] == "unauthorized"
        assert answer.headers["www-authenticate"].startswith("Bearer")
    # Even an unknown path says nothing before the token is checked.
    assert requests.get(f"{running.url}/api/v1/nothing", timeout=10).status_code == 401
    good = requests.get(url, headers={"Authorization": f"Bearer {running.token()}"}, timeout=10)
    assert good.status_code == 200
    assert good.json()["company"] == acme.name
    with pytest.raises(BridgeAuthError, match="token create"):
        BridgeClient(running.url, "qbdb_wrong", acme.name).status()


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"message_sets": "<QBXML/>"}, 400, "must be a list"),
        ({"message_sets": [7]}, 400, "message_sets[0] must be a string"),
        ({"message_sets": ["<QBXML><QBXMLMsgsRq>"]}, 400, "message_sets[0]: not a qbXML request document"),
        ({"message_sets": ['<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><QBXML/>']}, 400, "DOCTYPE"),
        ({"message_sets": ["<QBXML><QBXMLMsgsRq/></QBXML>"]}, 400, "holds no request"),
        ({"message_sets": []}, 400, "at least one message set"),
        (
            {
                "message_sets": [
                    '<?qbxml version="16.0"?><QBXML><QBXMLMsgsRq><HostQueryRq/></QBXMLMsgsRq></QBXML>'
                ]
            },
            400,
            "newer than 13.0",
        ),
        (
            {
                "message_sets": [
                    customer_query(10).decode(),
                    '<QBXML><QBXMLMsgsRq><CustomerQueryRq iterator="Continue" iteratorID="x"/>'
                    "</QBXMLMsgsRq></QBXML>",
                ]
            },
            400,
            'message_sets[1]: CustomerQueryRq has iterator="Continue"',
        ),
    ],
)
def test_submit_refuses_what_is_not_a_message_set(
    running: RunningBridge, acme: Company, body: dict[str, object], status: int, says: str
) -> None:
    answer = requests.post(
        f"{running.url}/api/v1/companies/{acme.name}/jobs",
        json=body,
        headers={"Authorization": f"Bearer {running.token()}"},
        timeout=10,
    )
    assert answer.status_code == status
    assert says in answer.json()["message"]
    assert acme.client.status().jobs_active == 0


def test_unknown_company_or_job_and_bad_json_are_named(running: RunningBridge) -> None:
    auth = {"Authorization": f"Bearer {running.token()}"}
    answer = requests.post(
        f"{running.url}/api/v1/companies/ghost/jobs", json={"message_sets": []}, headers=auth, timeout=10
    )
    assert (answer.status_code, answer.json()["error"]) == (404, "unknown_company")
    assert "unknown company ghost" in answer.json()["message"]
    for method in ("GET", "DELETE"):
        answer = requests.request(method, f"{running.url}/api/v1/jobs/nope", headers=auth, timeout=10)
        assert (answer.status_code, answer.json()["error"]) == (404, "unknown_job")
    answer = requests.get(f"{running.url}/api/v1/jobs/nope/responses", headers=auth, timeout=10)
    assert answer.status_code == 404
    answer = requests.post(
        f"{running.url}/api/v1/companies/ghost/jobs", data=b"{not json", headers=auth, timeout=10
    )
    assert (answer.status_code, answer.json()["error"]) == (400, "bad_json")
    with pytest.raises(BridgeError, match="unknown company ghost"):
        BridgeClient(running.url, running.token(), "ghost").status()


def test_job_status_and_company_status_follow_the_work(running: RunningBridge, acme: Company) -> None:
    status = acme.client.status()
    assert (status.last_call_at, status.seconds_since_last_call, status.raw["last_call"]) == (
        None,
        None,
        "never",
    )
    assert (status.queue_depth, status.session_open, status.last_error) == (0, False, None)
    job = acme.client.submit([customer_query(10), customer_query(request_id="x")], label="two")
    queued = acme.client.job(job)
    assert (queued.status, queued.message_sets, queued.counts["queued"], queued.label) == (
        "queued",
        2,
        2,
        "two",
    )
    assert acme.client.status().queue_depth == 2

    log = acme.connector.session()
    assert log.percents[-1] == 100
    done = acme.client.job(job)
    assert (done.status, done.responses, done.progress, done.counts["answered"]) == ("done", 4, 100.0, 2)
    status = acme.client.status()
    assert status.seconds_since_last_call is not None
    assert status.seconds_since_last_call < 5
    assert status.raw["last_call"].endswith("seconds ago")
    assert (status.queue_depth, status.session_open, status.qbxml_version) == (0, False, "13.0")
    listing = requests.get(
        f"{running.url}/api/v1/companies", headers={"Authorization": f"Bearer {running.token()}"}, timeout=10
    ).json()["companies"]
    assert acme.name in [c["company"] for c in listing]


def test_responses_stream_as_they_are_recorded_and_end_with_the_job(
    running: RunningBridge, acme: Company
) -> None:
    job = acme.client.submit([customer_query(10)])
    url = f"{running.url}/api/v1/jobs/{job}/responses"
    auth = {"Authorization": f"Bearer {running.token()}"}
    # Nothing yet: wait=0 answers at once, with no line.
    started = time.monotonic()
    empty = requests.get(url, params={"wait": 0}, headers=auth, timeout=10)
    assert (empty.status_code, empty.text, empty.headers["content-type"]) == (200, "", "application/x-ndjson")
    assert time.monotonic() - started < 1

    arrived: list[tuple[float, dict[str, object]]] = []

    def follow() -> None:
        with requests.get(url, params={"wait": 20}, headers=auth, stream=True, timeout=30) as answer:
            for raw in answer.iter_lines():
                arrived.append((time.monotonic(), json.loads(raw)))

    reader = threading.Thread(target=follow)
    reader.start()
    time.sleep(0.3)
    assert arrived == []  # long-polling
    session_started = time.monotonic()
    acme.connector.session()
    reader.join(timeout=10)
    assert not reader.is_alive()  # the stream ended with the job, long before its wait
    assert [line["seq"] for _, line in arrived] == [1, 2, 3]
    assert [line["part"] for _, line in arrived] == [0, 1, 2]
    assert all(at >= session_started for at, _ in arrived)
    first = arrived[0][1]
    assert set(first) == {"seq", "message_set", "part", "response", "hresult", "message", "error"}
    assert (first["message_set"], first["hresult"], first["message"], first["error"]) == (0, None, None, None)
    assert qbxml.parse_response(str(first["response"])).responses[0].iterator_remaining == 15

    later = requests.get(url, params={"after": 2, "wait": 5}, headers=auth, timeout=10)
    assert [json.loads(raw)["seq"] for raw in later.text.splitlines()] == [3]


def test_an_open_job_takes_more_message_sets_until_closed(running: RunningBridge, acme: Company) -> None:
    job = acme.client.submit([], open=True)
    assert acme.client.job(job).status == "queued"
    acme.client.append(job, [customer_query(request_id="one")])
    closed = acme.client.close(job)
    assert (closed.open, closed.message_sets) == (False, 1)
    with pytest.raises(BridgeError, match="closed: submit a new job"):
        acme.client.append(job, [customer_query()])
    log = acme.connector.session()
    assert log.percents == [100]
    assert acme.client.job(job).status == "done"


def test_client_raises_qbwc_not_calling_saying_when_it_last_called(running: RunningBridge) -> None:
    acme = make_company(running, customers=1)
    job = acme.client.submit([customer_query()])
    started = time.monotonic()
    with pytest.raises(QBWCNotCalling) as never:
        list(acme.client.responses(job, wait_for_qbwc=0.3))
    assert 0.3 <= time.monotonic() - started < 3
    assert str(never.value).startswith(
        f"QBWC for company {acme.name} has never called: is QuickBooks open and the Web Connector scheduled?"
    )
    # QBWC called three days ago (the clock of the file moved back, as if time had passed).
    conn = sqlite3.connect(running.database)
    with conn:
        conn.execute(
            "UPDATE companies SET last_call_at = ? WHERE name = ?", (time.time() - 3 * 86400 - 60, acme.name)
        )
    conn.close()
    with pytest.raises(
        QBWCNotCalling, match=f"QBWC for company {acme.name} last called 3 days ago: is QuickBooks"
    ):
        list(acme.client.responses(job, wait_for_qbwc=0.2))

    # QBWC calling in the meantime is not "not calling": the wait starts again, and the answers come.
    lines: list[object] = []
    reader = threading.Thread(target=lambda: lines.extend(acme.client.responses(job, wait_for_qbwc=1.5)))
    reader.start()
    time.sleep(0.2)
    acme.connector.session()
    reader.join(timeout=10)
    assert len(lines) == 1


def test_no_secret_reaches_a_log_or_a_message(
    running: RunningBridge, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    acme = make_company(running, customers=2)
    token = running.token()
    user = acme.connector.user
    acme.soap.authenticate(user, "a wrong password of some length")
    job = acme.client.submit([customer_query()])
    log = acme.connector.session()
    list(acme.client.responses(job, wait_for_qbwc=1))
    with pytest.raises(BridgeAuthError) as refused:
        BridgeClient(running.url, "qbdb_a-token-that-was-never-made", acme.name).status()
    ticket = log.auth[0]
    text = caplog.text + repr(acme.client) + str(refused.value)
    for secret in (
        acme.password,
        token,
        ticket,
        "a wrong password of some length",
        "qbdb_a-token-that-was-never-made",
    ):
        assert secret not in text
    assert ticket[:8] in caplog.text  # tickets appear truncated, which is enough to follow a session


def test_message_sets_as_bytes_keep_their_declared_encoding(running: RunningBridge) -> None:
    acme = make_company(running)
    latin = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n<?qbxml version="13.0"?>\n'
        '<QBXML><QBXMLMsgsRq onError="stopOnError"><CustomerAddRq><CustomerAdd><Name>Café Müller</Name>'
        "</CustomerAdd></CustomerAddRq></QBXMLMsgsRq></QBXML>"
    ).encode("iso-8859-1")
    utf8 = customer_add("Smørrebrød ApS")
    job = acme.client.submit([latin, utf8])
    acme.connector.session()
    assert [c["Name"] for c in acme.qb.customers] == ["Café Müller", "Smørrebrød ApS"]
    names = [line.responses[0].records()[0]["Name"] for line in acme.client.responses(job, wait_for_qbwc=1)]
    assert names == ["Café Müller", "Smørrebrød ApS"]


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (None, "never"),
        (0.4, "0 seconds ago"),
        (1, "1 second ago"),
        (59.9, "59 seconds ago"),
        (60, "1 minute ago"),
        (7200, "2 hours ago"),
        (3 * 86400 + 5, "3 days ago"),
    ],
)
def test_how_long_ago_reads(seconds: float | None, said: str) -> None:
    assert ago(seconds) == said
