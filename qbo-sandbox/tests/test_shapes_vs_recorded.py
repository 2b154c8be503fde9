"""The sandbox answers in the shapes of real QuickBooks traffic (../shared/fixtures/qbo).

Each recorded exchange is replayed against the sandbox (references pointed at objects of the
sample company) and the answers are compared in shape: the envelope's keys exactly, and for
every property both sides have, the same JSON type and nesting, recursively.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest
from qbo_client import catalog
from qbo_client.references import reference_target
from sandbox_harness import Api
from shared import fixtures_dir

ENTITY_CORE = ("domain", "sparse", "Id", "SyncToken", "MetaData")


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def same_shape(ours: Any, theirs: Any, path: str = "$") -> list[str]:
    """Differences in type and nesting on the properties both sides have."""
    if json_type(ours) != json_type(theirs):
        return [f"{path}: {json_type(ours)} here, {json_type(theirs)} in QBO"]
    problems: list[str] = []
    if isinstance(ours, dict):
        for key in ours.keys() & theirs.keys():
            problems += same_shape(ours[key], theirs[key], f"{path}.{key}")
    elif isinstance(ours, list) and ours and theirs:
        problems += same_shape(ours[0], theirs[0], f"{path}[0]")
    return problems


def _recorded() -> list[tuple[str, dict[str, Any]]]:
    """The recorded data-API exchanges. Left out, by rule: attachment uploads (multipart ``upload``,
    which the sandbox does not serve) and the 401 exchange (its envelope is compared in
    ``test_fault_bodies_match_the_real_envelopes``)."""
    out = []
    for path in sorted((fixtures_dir() / "recorded").glob("*.json")):
        for n, exchange in enumerate(json.loads(path.read_text())):
            body = exchange["response"].get("body_json")
            if body is None or "/upload" in exchange["request"]["uri"] or "fault" in body:
                continue
            out.append((f"{path.stem}#{n}", exchange))
    return out


def _point_refs(api: Api, value: Any, holder: str) -> Any:
    """Aim every reference of a recorded request at an object of the sample company."""
    if isinstance(value, list):
        return [_point_refs(api, v, holder) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        target = reference_target(key, holder) if key.endswith("Ref") else None
        if target and isinstance(item, dict) and "value" in item and catalog.get(target).has_id:
            where = "WHERE Type = 'Service'" if target == "Item" else ""
            out[key] = {"value": api.one(target, where)["Id"]}
        else:
            out[key] = _point_refs(api, item, holder)
    return out


def _relative(uri: str) -> tuple[str, dict[str, str]]:
    parsed = urllib.parse.urlsplit(uri)
    path = parsed.path.split("/v3/", 1)[1]
    if path.startswith("company/"):
        path = path.split("/", 2)[2]
    params = dict(urllib.parse.parse_qsl(parsed.query))
    params.pop("requestid", None)
    params.pop("minorversion", None)
    return path, params


def _entity_of(body: dict[str, Any]) -> str | None:
    return next((k for k in body if catalog.find(k) is not None and k[0].isupper()), None)


@pytest.mark.parametrize(("name", "exchange"), _recorded(), ids=[n for n, _ in _recorded()])
def test_recorded_exchange_answers_in_the_same_shape(api: Api, name: str, exchange: dict[str, Any]) -> None:
    request, response = exchange["request"], exchange["response"]
    theirs = response["body_json"]
    path, params = _relative(request["uri"])
    segment = path.split("/")[0]
    if request["method"] == "get":
        if segment != "query" and path.count("/") == 1:
            spec = catalog.find(segment)
            if spec is not None and path.split("/")[1].isdigit():
                path = f"{segment}/{api.one(spec.name)['Id']}"
        answer = api.get(path, **params)
    else:
        body = request.get("body") or {}
        spec = catalog.find(segment)
        if spec is not None and isinstance(body, dict):
            body = _point_refs(api, body, spec.name)
            if "Id" in body:
                current = api.one(spec.name, "WHERE Active IN (true, false)" if spec.is_name_list else "")
                body = {**body, "Id": current["Id"], "SyncToken": current["SyncToken"]}
                for key in ("Name", "DisplayName", "FullyQualifiedName"):
                    if key in body and key in current:
                        body[key] = current[key]  # an update of another object keeps that object's name
            if "DisplayName" in body and response["status"]["code"] == 200:
                body["DisplayName"] = f"{body['DisplayName']} {name}"
        answer = api.post(path, body, **params)
    ours = answer.json()
    assert answer.status_code == response["status"]["code"], (name, answer.text)
    assert set(ours) == set(theirs), name
    problems = same_shape(ours, theirs)
    assert not problems, (name, problems)
    entity = _entity_of(theirs)
    if entity and theirs[entity].get("status") != "Deleted":
        for key in ENTITY_CORE:
            assert key in ours[entity], (name, key)
    if "QueryResponse" in theirs:
        assert set(ours["QueryResponse"]) == set(theirs["QueryResponse"]), name


def _docs_sample_entities() -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for path in sorted((fixtures_dir() / "docs-samples").glob("*.json")):
        body = json.loads(path.read_text())
        if not isinstance(body, dict):
            continue
        for key, value in body.items():
            spec = catalog.find(key)
            if spec is not None and key[0].isupper() and isinstance(value, dict) and "Id" in value:
                out.append((path.stem, spec.name, value))
    return out


@pytest.mark.parametrize(
    ("name", "entity", "sample"), _docs_sample_entities(), ids=[n for n, _, _ in _docs_sample_entities()]
)
def test_sample_company_objects_have_the_shapes_of_intuits_samples(
    api: Api, name: str, entity: str, sample: dict[str, Any]
) -> None:
    spec = catalog.get(entity)
    if spec.is_singleton:
        path = f"companyinfo/{api.running.realm}" if entity == "CompanyInfo" else entity.lower()
        ours = api.get(path).json()[entity]
    else:
        ours = api.one(entity)
    problems = same_shape(ours, sample)
    assert not problems, (name, problems)
    for key in ENTITY_CORE:
        if key in sample:
            assert key in ours, (name, key)


def test_fault_bodies_match_the_real_envelopes(api: Api) -> None:
    real = json.loads((fixtures_dir() / "fault_400_invalid_id_2030.json").read_text())
    ours = api.get("customer/1.5").json()
    assert set(ours["Fault"]) == set(real["Fault"])
    assert set(ours["Fault"]["Error"][0]) == set(real["Fault"]["Error"][0])
    assert not same_shape(ours["Fault"], real["Fault"])
    unauthorized = json.loads((fixtures_dir() / "fault_401_token_expired_lowercase.json").read_text())
    import requests

    answer = requests.get(f"{api.base}/customer/1", headers={"Authorization": "Bearer nope"}, timeout=10)
    assert answer.status_code == 401
    assert set(answer.json()) == set(unauthorized)
    assert set(answer.json()["fault"]["error"][0]) == set(unauthorized["fault"]["error"][0])
    assert "invalid_token" in answer.headers["Www-Authenticate"]
