"""How many requests the target makes: every write and lookup a batch can carry rides in one.

Counted twice, both deterministic: by the sandbox (every API request that reached it, whatever
the client) and by the target (each answer by kind: batch, query, post, get, cdc, token). Copying
the sample company into an empty one takes at most one request per 10 objects written, a bulk
load of one object one per 25; exchange rates go in batches, and no lookup is a plain query
when others could share its batch.
"""

from __future__ import annotations

from pathlib import Path

from qbo_sandbox.testing import RunningSandbox
from test_target_roundtrip import export_company
from tq_helpers import count, reader, record, rows, run_target, schema, target_config

WRITES = ("create", "update", "delete", "inactivate", "void")


def sandbox_requests(running: RunningSandbox) -> int:
    return running.sandbox.limits.stats.requests


def test_copy_of_the_sample_company_takes_one_request_per_ten_objects(
    qbo_sandbox: RunningSandbox, tmp_path: Path
) -> None:
    source = reader(target_config(qbo_sandbox, tmp_path))
    messages = export_company(source)
    empty = qbo_sandbox.sandbox.store.create_realm()
    config = target_config(qbo_sandbox, tmp_path, realm=empty, source_realm_id=qbo_sandbox.realm)

    before = sandbox_requests(qbo_sandbox)
    run = run_target(config, messages)
    seen = sandbox_requests(qbo_sandbox) - before

    written = sum(run.counts.get(k, 0) for k in WRITES)
    kinds = {k.removeprefix("requests_"): v for k, v in run.stats.items() if k.startswith("requests_")}
    assert written > 700
    assert seen == sum(v for k, v in kinds.items() if k != "token")  # both counts agree
    assert seen * 10 <= written, kinds
    # what cannot ride in a batch: the OAuth token, and the two tax codes (TaxService endpoint)
    assert kinds.get("token") == 1
    assert kinds.get("post") == 2
    assert kinds.get("query", 0) == 0
    assert kinds.get("get", 0) == 0
    assert kinds.get("cdc", 0) == 0
    # the exchange rates were written, in batches
    copy = reader(config)
    rates = {(r["SourceCurrencyCode"], r["AsOfDate"], float(r["Rate"])) for r in rows(source, "ExchangeRate")}
    assert len(rates) > 50
    assert {
        (r["SourceCurrencyCode"], r["AsOfDate"], float(r["Rate"])) for r in rows(copy, "ExchangeRate")
    } >= rates

    # a second run writes nothing; its lookups still ride in batches
    before = sandbox_requests(qbo_sandbox)
    second = run_target(config, messages)
    assert sum(second.counts.get(k, 0) for k in WRITES if k != "update") == 0
    assert second.stats.get("requests_query", 0) == 0
    assert sandbox_requests(qbo_sandbox) - before <= 30


def test_bulk_load_of_one_object_takes_one_request_per_25(
    qbo_sandbox: RunningSandbox, tmp_path: Path, config: dict[str, object]
) -> None:
    customers = [{"DisplayName": f"Bulk customer {n:04d}", "CompanyName": "Bulk"} for n in range(600)]
    messages = [schema("Customer"), *(record("Customer", c) for c in customers)]

    before = sandbox_requests(qbo_sandbox)
    run = run_target(config, messages)
    seen = sandbox_requests(qbo_sandbox) - before

    assert run.counts.get("create") == 600
    assert count(reader(config), "Customer", "DisplayName LIKE 'Bulk customer %'") == 600
    assert seen * 25 <= 600, run.stats
    # 20 batches of writes, and one of lookups: 1,200 names (both spellings) in two queries
    assert run.stats["requests_batch"] == 600 // 30 + 1
    assert run.stats.get("requests_query", 0) == 0


def test_sandbox_batch_sets_exchange_rates_and_refuses_what_qbo_refuses(qbo_sandbox: RunningSandbox) -> None:
    session = qbo_sandbox.session()
    url = qbo_sandbox.company_url
    items = [
        {
            "bId": "1",
            "operation": "update",
            "ExchangeRate": {"SourceCurrencyCode": "EUR", "AsOfDate": "2031-02-03", "Rate": 1.25},
        },
        {
            "bId": "2",
            "operation": "create",
            "ExchangeRate": {"SourceCurrencyCode": "EUR", "AsOfDate": "2031-02-04", "Rate": 2},
        },
        {
            "bId": "3",
            "operation": "delete",
            "ExchangeRate": {"SourceCurrencyCode": "EUR", "AsOfDate": "2031-02-03"},
        },
        {"bId": "4", "Query": "SELECT * FROM ExchangeRate WHERE SourceCurrencyCode = 'EUR'"},
        {
            "bId": "5",
            "operation": "update",
            "ExchangeRate": {"SourceCurrencyCode": "EUR", "AsOfDate": "2031-02-05"},
        },
    ]
    answer = session.post(f"{url}/batch", json={"BatchItemRequest": items}, timeout=10)
    assert answer.status_code == 200
    by_id = {a["bId"]: a for a in answer.json()["BatchItemResponse"]}

    assert by_id["1"]["ExchangeRate"]["Rate"] == 1.25
    assert "Id" not in by_id["1"]["ExchangeRate"]
    for refused in ("2", "3"):
        (error,) = by_id[refused]["Fault"]["Error"]
        assert error["code"] == "500"
        assert error["Message"] == "Unsupported Operation"
    assert by_id["4"]["QueryResponse"]["ExchangeRate"]
    (missing,) = by_id["5"]["Fault"]["Error"]
    assert missing["code"] == "2020"
    assert "Rate" in missing["Detail"]

    read = session.get(
        f"{url}/exchangerate", params={"sourcecurrencycode": "EUR", "asofdate": "2031-02-03"}, timeout=10
    )
    assert read.json()["ExchangeRate"]["Rate"] == 1.25
    never = session.get(
        f"{url}/exchangerate", params={"sourcecurrencycode": "EUR", "asofdate": "2031-02-04"}, timeout=10
    )
    assert never.json()["ExchangeRate"].get("Rate") != 2
