"""Hostile requests over HTTP: garbage queries, malformed bodies and batches, bad ids and paths.

Every one answers a QuickBooks Fault envelope (a 4xx with a code; never a 500, never a hang) or,
where the request happens to be valid, a proper answer; none of them changes the company.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qbo_client import catalog
from qbo_sandbox.config import LimitsConfig, SandboxConfig
from qbo_sandbox.testing import RunningSandbox
from sandbox_harness import Api, company_digest


@pytest.fixture
def qbo_sandbox_config() -> SandboxConfig:
    """QBO's rate limits off: hundreds of requests a second are what these tests send."""
    return SandboxConfig(
        limits=LimitsConfig(requests_per_minute=None, concurrent=None, batch_per_minute=None)
    )


# One sandbox serves every example of a test: each example must leave the company as it was (see
# unchanged()), so the examples cannot see each other.
HOSTILE = settings(
    max_examples=35,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

ENTITIES = [s.name for s in catalog.OBJECTS]
WRITABLE = [s.name for s in catalog.OBJECTS if s.create and s.has_id and not s.create_endpoint]
PROPERTIES = ["Id", "DisplayName", "Name", "DocNumber", "TotalAmt", "Active", "TxnDate", "Balance", "Nope"]
OPERATORS = ["=", "<", ">", "<=", ">=", "IN", "LIKE", "!=", "<>", "==", ""]

# Text that has broken parsers and databases before: quotes, escapes, SQL, non-ASCII, controls.
NASTY = st.sampled_from(
    [
        "'",
        "\\",
        "\\'",
        "''",
        '"',
        "%",
        "_",
        "'; DROP TABLE entities; --",
        "' OR '1'='1",
        "1) OR (1=1",
        "\x00",
        "\u202eevil",
        "e\u0301\u0301",
        "\U0001f4a9",
        "\ud7ff",
        "٣",
        "²",
        "9" * 40,
        "-1",
        "1e999",
        "NaN",
        "*/",
        "/*",
    ]
)
WORDS = st.one_of(NASTY, st.text(max_size=20))


@contextmanager
def unchanged(running: RunningSandbox) -> Iterator[Api]:
    """An API client; the company must hold exactly what it held before, after."""
    before = company_digest(running)
    yield Api(running)
    assert company_digest(running) == before


def is_fault(answer: requests.Response, *codes: str) -> bool:
    """A QuickBooks Fault: a 4xx, a JSON envelope, a non-empty code (one of ``codes`` if given)."""
    if not 400 <= answer.status_code < 500:
        return False
    body = answer.json()
    fault = body.get("Fault") or body.get("fault") or {}
    errors = fault.get("Error") or fault.get("error") or []
    code = str(errors[0].get("code", "")) if errors else ""
    return bool(code) and (not codes or code in codes)


def check_answer(answer: requests.Response, *fault_codes: str) -> None:
    """A fault, or (the request was valid after all) an answer of the kind asked for."""
    assert answer.status_code not in (500, 501), answer.text[:500]
    if answer.status_code == 200:
        body = answer.json()
        assert "Fault" not in body, answer.text[:500]
        return
    assert is_fault(answer, *fault_codes), (answer.status_code, answer.text[:500])


# -- queries ---------------------------------------------------------------------------------------


@st.composite
def literal(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["quoted", "unbalanced", "number", "bare", "list"]))
    if kind == "quoted":
        return "'" + draw(WORDS).replace("'", "\\'") + "'"
    if kind == "unbalanced":
        return "'" + draw(WORDS)
    if kind == "number":
        return str(draw(st.one_of(st.integers(-(10**30), 10**30), st.floats(allow_nan=False))))
    if kind == "bare":
        return draw(WORDS)
    values = draw(st.lists(st.one_of(st.integers(-(10**20), 10**20), WORDS), max_size=8))
    return "(" + ", ".join(f"'{v}'" if isinstance(v, str) else str(v) for v in values) + ")"


@st.composite
def garbage_query(draw: st.DrawFn) -> str:
    """Query text that is usually wrong somewhere: entity, property, operator, value, paging."""
    if draw(st.booleans()):
        return draw(st.one_of(st.text(max_size=120), NASTY))
    parts = [draw(st.sampled_from(["SELECT", "select", "SELECT DISTINCT", "DELETE", "UPDATE", ""]))]
    parts.append(draw(st.sampled_from(["*", "COUNT(*)", "Id, Name", "", "**"])))
    parts.append(draw(st.sampled_from(["FROM", "from", "INTO", ""])))
    parts.append(draw(st.one_of(st.sampled_from([*ENTITIES, "Customers", "sqlite_master"]), WORDS)))
    for _ in range(draw(st.integers(0, 3))):
        parts.append(draw(st.sampled_from(["WHERE", "AND", "OR", "where"])))
        parts += [draw(st.sampled_from(PROPERTIES)), draw(st.sampled_from(OPERATORS)), draw(literal())]
    if draw(st.booleans()):
        parts += [draw(st.sampled_from(["ORDERBY", "ORDER BY"])), draw(st.sampled_from(PROPERTIES))]
    for word in ("STARTPOSITION", "MAXRESULTS"):
        if draw(st.booleans()):
            parts += [word, str(draw(st.one_of(st.integers(-(10**30), 10**30), WORDS)))]
    return " ".join(parts)


@HOSTILE
@given(text=garbage_query(), minorversion=st.one_of(st.none(), WORDS, st.integers(-(10**9), 10**9)))
def test_garbage_queries_answer_a_query_fault(
    qbo_sandbox: RunningSandbox, text: str, minorversion: Any
) -> None:
    with unchanged(qbo_sandbox) as api:
        params = {} if minorversion is None else {"minorversion": minorversion}
        by_get = api.get("query", query=text, **params)
        by_post = api.http.post(
            f"{api.base}/query",
            data=text.encode("utf-8", "surrogatepass"),
            params=params or None,
            headers={"Content-Type": "application/text"},
            timeout=30,
        )
        for answer in (by_get, by_post):
            check_answer(answer, "4000", "4001", "4002", "2030")
            if answer.status_code == 200:
                assert "QueryResponse" in answer.json()
        assert by_get.status_code == by_post.status_code


@settings(HOSTILE, max_examples=8)
@given(
    seeds=st.lists(st.one_of(WORDS, st.integers(-(10**25), 10**25).map(str)), min_size=1, max_size=10),
    size=st.integers(1000, 5000),
    prop=st.sampled_from(["Id", "DisplayName", "Balance"]),
)
def test_huge_in_lists_are_answered(
    qbo_sandbox: RunningSandbox, seeds: list[str], size: int, prop: str
) -> None:
    values = [seeds[n % len(seeds)] + (str(n) if n >= len(seeds) else "") for n in range(size)]
    with unchanged(qbo_sandbox) as api:
        listed = ", ".join("'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'" for v in values)
        answer = api.http.post(
            f"{api.base}/query",
            data=f"SELECT * FROM Customer WHERE {prop} IN ({listed}) MAXRESULTS 1000".encode(
                "utf-8", "surrogatepass"
            ),
            headers={"Content-Type": "application/text"},
            timeout=60,
        )
        check_answer(answer, "4000", "4001", "2030")


def test_queries_that_once_crashed_the_server_answer_faults(api: Api) -> None:
    huge_id = "9" * 40
    assert is_fault(api.get("query", query=f"SELECT * FROM Customer WHERE Id = '{huge_id}'"), "2030")
    assert is_fault(api.get("query", query="SELECT * FROM Customer WHERE Id IN ('1', '²')"), "2030")
    assert is_fault(api.get(f"customer/{huge_id}"), "2030")
    assert is_fault(api.get("customer/²"), "2030")
    assert is_fault(api.get("query", query=f"SELECT * FROM Invoice WHERE TotalAmt > {huge_id}"), "4001")
    # a quoted number beyond 64 bits is still a number
    assert api.query(f"SELECT * FROM Invoice WHERE TotalAmt > '{huge_id}'") == {}
    assert api.query(f"SELECT COUNT(*) FROM Invoice WHERE TotalAmt < '{huge_id}'")["totalCount"] > 0


# -- writes ----------------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | WORDS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(WORDS, inner, max_size=4),
    max_leaves=12,
)


@st.composite
def broken_entity(draw: st.DrawFn, entity: str) -> dict[str, Any]:
    """A body for ``entity`` that looks plausible and carries at least one defect QBO refuses."""
    body: dict[str, Any] = {}
    for key in draw(st.lists(st.sampled_from(["DisplayName", "Name", "DocNumber", "Notes"]), max_size=2)):
        body[key] = draw(st.text(max_size=20))
    defect = draw(
        st.sampled_from(
            [
                "unknown",
                "wrong-type",
                "too-long",
                "nul",
                "bad-id",
                "bad-ref",
                "huge-amount",
                "bad-line",
                "deep",
            ]
        )
    )
    if defect == "unknown":
        body[draw(st.sampled_from(["Nope", "DROP TABLE", "display_name", "__proto__", "\x00"]))] = draw(
            JSON_VALUES
        )
    elif defect == "wrong-type":
        body[draw(st.sampled_from(["Line", "Active", "MetaData", "CurrencyRef", "TxnDate"]))] = draw(
            st.sampled_from([{"x": [1]}, [[[]]], 12, "yes?", [None, 1]])
        )
        body["Nope"] = 1  # not every property has a type that refuses every wrong value
    elif defect == "too-long":
        body[draw(st.sampled_from(["DisplayName", "Name", "DocNumber"]))] = "x" * draw(
            st.sampled_from([501, 5000, 100_001])
        )
        body["Nope"] = 1  # a property the object does not have fails it all the same
    elif defect == "nul":
        body["DisplayName" if entity in ("Customer", "Vendor", "Employee") else "Name"] = "a\x00b"
        body["Nope"] = 1
    elif defect == "bad-id":
        body.update(Id=draw(st.one_of(NASTY, st.just("9" * 30))), SyncToken=draw(WORDS))
    elif defect == "bad-ref":
        body["CustomerRef"] = {"value": draw(st.sampled_from(["999999", "9" * 40, "²", "-1", "x"]))}
        body["Line"] = [
            {
                "Amount": 1,
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
            }
        ]
    elif defect == "huge-amount":
        body["Line"] = [
            {
                "Amount": draw(st.sampled_from([1e308, 1e20, -1e19, "1e400", 10**30])),
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
            }
        ]
        body["CustomerRef"] = {"value": "999999"}  # refused if the amount is not
    elif defect == "bad-line":
        body["Line"] = draw(st.lists(JSON_VALUES.filter(lambda v: not isinstance(v, dict)), min_size=1))
    else:
        nested: Any = {"Nope": 1}
        for _ in range(draw(st.integers(50, 400))):
            nested = {"Line": [nested]}
        body.update(nested)
    return body


@HOSTILE
@given(data=st.data())
def test_malformed_write_bodies_answer_a_fault(qbo_sandbox: RunningSandbox, data: st.DataObject) -> None:
    with unchanged(qbo_sandbox) as api:
        entity = data.draw(st.sampled_from(WRITABLE))
        kind = data.draw(st.sampled_from(["entity", "bytes", "json", "constant", "content-type"]))
        content_type = "application/json"
        if kind == "entity":
            raw = json.dumps(data.draw(broken_entity(entity))).encode()
        elif kind == "bytes":
            raw = data.draw(st.binary(min_size=1, max_size=200))
        elif kind == "json":
            raw = json.dumps(data.draw(JSON_VALUES.filter(lambda v: not isinstance(v, dict)))).encode()
        elif kind == "constant":
            raw = data.draw(
                st.sampled_from([b'{"DisplayName": NaN}', b'{"Name": Infinity}', b'{"Id": -Infinity}'])
            )
        else:  # a valid body declared as something else
            raw = json.dumps({"DisplayName": "Declared Wrong", "Name": "Declared Wrong"}).encode()
            content_type = data.draw(
                st.sampled_from(
                    ["text/xml", "application/xml", "text/plain", "application/x-www-form-urlencoded"]
                )
            )
        operation = data.draw(
            st.sampled_from([None, "create", "update", "delete", "void", "explode", "\x00"])
        )
        params = {"operation": operation} if operation else {}
        if data.draw(st.booleans()):
            params["minorversion"] = data.draw(WORDS)
        answer = api.http.post(
            f"{api.base}/{entity.lower()}",
            data=raw,
            params=params or None,
            headers={"Content-Type": content_type},
            timeout=30,
        )
        assert is_fault(answer), (entity, raw[:300], answer.status_code, answer.text[:500])


@HOSTILE
@given(
    items=st.lists(
        st.one_of(
            JSON_VALUES,
            st.builds(
                lambda op, entity, body, bid: {"bId": bid, "operation": op, entity: body},
                st.sampled_from(["create", "update", "delete", "CREATE", "merge", "", None]),
                st.sampled_from(WRITABLE),
                st.one_of(JSON_VALUES, st.sampled_from(WRITABLE).flatmap(broken_entity)),
                st.one_of(st.none(), WORDS, st.integers()),
            ),
            st.builds(lambda q: {"bId": "q", "Query": q}, garbage_query()),
            # an update without an Id must not create the object
            st.builds(
                lambda e: {"bId": "u", "operation": "update", e: {"DisplayName": "No Id", "Name": "No Id"}},
                st.sampled_from(["Customer", "Vendor", "Class", "Department"]),
            ),
        ),
        max_size=35,
    )
)
def test_batches_of_malformed_items_answer_a_fault_per_item(
    qbo_sandbox: RunningSandbox, items: list[Any]
) -> None:
    with unchanged(qbo_sandbox) as api:
        answer = api.post("batch", {"BatchItemRequest": items})
        if len(items) > 30:
            assert is_fault(answer, "1002")
            return
        assert answer.status_code == 200, answer.text[:500]
        answers = answer.json()["BatchItemResponse"]
        assert len(answers) == len(items)
        for item, one in zip(items, answers, strict=True):
            if isinstance(item, dict) and "Query" in item and "Fault" not in one:
                assert "QueryResponse" in one
                continue
            codes = [e.get("code") for e in one["Fault"]["Error"]]
            assert all(codes), one


@HOSTILE
@given(
    body=st.one_of(
        JSON_VALUES,
        st.dictionaries(st.sampled_from(["BatchItemRequest", "batchItemRequest", "Query"]), JSON_VALUES),
    )
)
def test_malformed_batch_envelopes_answer_a_fault(qbo_sandbox: RunningSandbox, body: Any) -> None:
    with unchanged(qbo_sandbox) as api:
        answer = api.post("batch", body)
        if isinstance(body, dict) and isinstance(body.get("BatchItemRequest"), list):
            assert answer.status_code in (200, 400)
            if answer.status_code == 200:
                assert all("Fault" in a or "QueryResponse" in a for a in answer.json()["BatchItemResponse"])
                return
        assert is_fault(answer), answer.text[:500]


# -- ids, paths, parameters --------------------------------------------------------------------------


@HOSTILE
@given(
    entity=st.one_of(st.sampled_from(ENTITIES), WORDS),
    id_=st.one_of(NASTY, st.text(min_size=1, max_size=30), st.integers(-(10**30), 10**30).map(str)),
    minorversion=st.one_of(st.none(), WORDS),
)
def test_bad_ids_and_unknown_entities_answer_a_fault(
    qbo_sandbox: RunningSandbox, entity: str, id_: str, minorversion: str | None
) -> None:
    with unchanged(qbo_sandbox) as api:
        params = {} if minorversion is None else {"minorversion": minorversion}
        path = f"{quote(entity.lower(), safe='')}/{quote(id_, safe='')}"
        answer = api.http.get(f"{api.base}/{path}", params=params or None, timeout=30)
        if answer.status_code == 200:  # an id that exists, or a singleton: the object, as asked
            spec = catalog.find(entity)
            assert spec is not None
            found = answer.json()[spec.name]
            assert spec.is_singleton or found["Id"] == id_.strip()
            return
        assert is_fault(answer, "2030", "610", "500"), (path, answer.status_code, answer.text[:500])


@HOSTILE
@given(
    segments=st.lists(
        st.one_of(WORDS, st.sampled_from(["batch", "query", "cdc", "reports", "taxservice"])),
        min_size=1,
        max_size=4,
    ),
    method=st.sampled_from(["GET", "POST"]),
)
def test_unknown_paths_answer_unsupported_operation(
    qbo_sandbox: RunningSandbox, segments: list[str], method: str
) -> None:
    with unchanged(qbo_sandbox) as api:
        path = "/".join(quote(s, safe="") for s in segments)
        answer = api.http.request(method, f"{api.base}/{path}", json={"x": 1}, timeout=30)
        if answer.status_code == 200:  # a path that happens to be valid: not a fault
            assert "Fault" not in answer.json()
            return
        assert 400 <= answer.status_code < 500, answer.text[:300]
        if answer.headers.get("content-type", "").startswith("application/json"):
            assert is_fault(answer)


@settings(HOSTILE, max_examples=15)
@given(minorversion=st.one_of(WORDS, st.integers(-(10**12), 10**12).map(str)))
def test_a_bad_minorversion_is_ignored_as_qbo_ignores_old_ones(
    qbo_sandbox: RunningSandbox, minorversion: str
) -> None:
    with unchanged(qbo_sandbox) as api:
        customer = api.get("customer/1", minorversion=minorversion)
        assert customer.status_code == 200, customer.text[:300]
        assert customer.json()["Customer"] == api.get("customer/1").json()["Customer"]


def test_hostile_requests_leave_the_company_unchanged(api: Api, qbo_sandbox: RunningSandbox) -> None:
    before = company_digest(qbo_sandbox)
    for entity in ("Customer", "Vendor", "Item", "Invoice", "Bill"):
        for raw, content_type in (
            (b'{"DisplayName": NaN, "Name": NaN}', "application/json"),
            (json.dumps({"DisplayName": "x" * 501, "Name": "x" * 101}).encode(), "application/json"),
            (json.dumps({"DisplayName": "Declared Wrong", "Name": "Declared Wrong"}).encode(), "text/xml"),
            (json.dumps({"Id": "9" * 40, "SyncToken": "0", "sparse": True}).encode(), "application/json"),
        ):
            answer = api.http.post(
                f"{api.base}/{entity.lower()}", data=raw, headers={"Content-Type": content_type}, timeout=30
            )
            assert is_fault(answer), (entity, raw[:100], answer.text[:300])
    batch = api.post(
        "batch",
        {
            "BatchItemRequest": [
                {"bId": "1", "operation": "update", "Customer": {"DisplayName": "Update Without Id"}},
                {
                    "bId": "2",
                    "operation": "create",
                    "Invoice": {
                        "CustomerRef": {"value": "1"},
                        "Line": [
                            {
                                "Amount": 1e308,
                                "DetailType": "SalesItemLineDetail",
                                "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
                            }
                        ],
                    },
                },
                {"bId": "3", "Query": "SELECT * FROM Customer WHERE Id = '" + "9" * 40 + "'"},
            ]
        },
    )
    codes = [a["Fault"]["Error"][0]["code"] for a in batch.json()["BatchItemResponse"]]
    assert codes == ["2020", "6000", "2030"]
    assert company_digest(qbo_sandbox) == before


def test_batch_per_row_latency_counts_the_rows_of_every_item(qbo_sandbox: RunningSandbox) -> None:
    service = qbo_sandbox.sandbox.service
    with unchanged(qbo_sandbox) as api:
        customers = len(api.rows("SELECT * FROM Customer MAXRESULTS 1000"))
        vendors = len(api.rows("SELECT * FROM Vendor MAXRESULTS 1000"))
        answer = service.batch(
            qbo_sandbox.realm,
            {
                "BatchItemRequest": [
                    {"bId": "1", "Query": "SELECT * FROM Customer MAXRESULTS 1000"},
                    {"bId": "2", "Query": "SELECT * FROM Vendor MAXRESULTS 1000"},
                    {"bId": "3", "Query": "SELECT * FROM Customer WHERE Id = '0'"},
                ]
            },
        )
        assert [a["QueryResponse"].get("maxResults", 0) for a in answer["BatchItemResponse"]] == [
            customers,
            vendors,
            0,
        ]
        assert customers > 0
        assert vendors > 0
        assert service.rows_returned == customers + vendors
