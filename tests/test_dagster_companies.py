"""Many companies on Dagster: the realm list as dynamic partitions, each company synced by its own
tap process, in parallel, with its own state and token-store row (Dagster's in-process execution,
a temporary instance, three companies of one sandbox over HTTP, the token store a real SQLite file)."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from dagster_quickbooks import (
    COMPANIES,
    QuickBooksCompanies,
    add_companies,
    landed,
    materialize_company,
    quickbooks_company,
    realm_list_sensor,
)
from qbo_client.config import ClientConfig
from qbo_client.tokens import Tokens, open_store
from qbo_sandbox.testing import RunningSandbox, seed_company, start_sandbox


@pytest.fixture
def companies(tmp_path: Path) -> Any:
    """One sandbox, three companies (other seeds: other rows, the same Ids), one app connected to each."""
    with start_sandbox(seed=1) as running:
        realms = [running.realm]
        for seed in (2, 3):
            realm, _ = seed_company(running.sandbox, seed=seed)
            realms.append(realm)
        yield running, realms


def _connect(running: RunningSandbox, realms: list[str], tmp_path: Path) -> QuickBooksCompanies:
    """The app, its base settings, the realm list; each company's first refresh token in the shared
    store, as `tap-quickbooks auth` leaves it."""
    client_id, client_secret = running.sandbox.oauth.create_client()
    store_url = f"sqlite:///{tmp_path / 'tokens.db'}"
    base = {
        "client_id": client_id,
        "client_secret": client_secret,
        "base_url": running.url,
        "token_store_url": store_url,
        "reports": [],
        "max_backoff": 0.5,
    }
    for realm in realms:
        refresh = running.sandbox.oauth.grant(client_id, realm)["refresh_token"]
        config = ClientConfig.from_mapping({**base, "realm_id": realm})
        open_store(config).write(Tokens(realm_id=realm, refresh_token=refresh))
    (tmp_path / "base.json").write_text(json.dumps(base))
    (tmp_path / "realms.txt").write_text("# the firm's clients\n" + "\n".join(realms) + "\n")
    return QuickBooksCompanies(
        base_config_path=str(tmp_path / "base.json"),
        realm_list_path=str(tmp_path / "realms.txt"),
        work_dir=str(tmp_path / "work"),
    )


def _live_ids(running: RunningSandbox, realm: str, entity: str) -> set[str]:
    with running.sandbox.db.read() as conn:
        rows = conn.execute(
            "SELECT id FROM entities WHERE realm_id = ? AND type = ? AND deleted = 0", (realm, entity)
        ).fetchall()
    return {str(r[0]) for r in rows}


def test_each_company_of_the_realm_list_syncs_in_its_own_partition_with_its_own_state(
    companies: tuple[RunningSandbox, list[str]], tmp_path: Path
) -> None:
    running, realms = companies
    resource = _connect(running, realms, tmp_path)
    (tmp_path / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        assert add_companies(instance, resource.realm_list_path) == realms
        assert add_companies(instance, resource.realm_list_path) == []  # idempotent
        assert instance.get_dynamic_partitions(COMPANIES.name or "") == realms

        # The partitions at once, each run in a process of its own (as Dagster's run launcher does).
        settings = resource.model_dump()
        with ProcessPoolExecutor(len(realms), mp_context=multiprocessing.get_context("spawn")) as pool:
            outcomes = list(pool.map(materialize_company, [instance.get_ref()] * 3, [settings] * 3, realms))
        assert outcomes == [True] * len(realms)
        work = Path(resource.work_dir)
        states = {}
        for realm in realms:
            # Every company's records land with its realm id, and all of them.
            customers = list(landed(work, realm, "Customer"))
            assert {c["_qbo_realm_id"] for c in customers} == {realm}
            assert {c["Id"] for c in customers} == _live_ids(running, realm, "Customer")
            invoices = list(landed(work, realm, "Invoice"))
            assert {i["Id"] for i in invoices} == _live_ids(running, realm, "Invoice")
            found = instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=dg.AssetKey("quickbooks_company"), asset_partitions=[realm]),
                limit=1,
            ).records
            materialization = found[0].asset_materialization
            assert materialization is not None
            landed_count = sum(
                len(list(landed(work, realm, f.stem))) for f in (work / "records" / realm).glob("*.jsonl")
            )
            assert materialization.metadata["records"].value == landed_count > 0
            states[realm] = json.loads((work / "state" / f"{realm}.json").read_text())
            assert states[realm]["bookmarks"]["Customer"]["replication_key_value"]
        # The companies' Ids overlap (one generator): only the realm id tells their rows apart.
        assert _live_ids(running, realms[0], "Customer") & _live_ids(running, realms[1], "Customer")
        # Each company refreshed its own token-store row, once (one rotation each).
        with sqlite3.connect(tmp_path / "tokens.db") as conn:
            rows = dict(conn.execute("SELECT realm_id, refresh_token FROM qbo_tokens").fetchall())
        assert set(rows) == set(realms)

        # A second run of one company starts from its own state: nothing changed, no Customer again.
        before = len(list(landed(work, realms[0], "Customer")))
        again = dg.materialize(
            [quickbooks_company],
            partition_key=realms[0],
            instance=instance,
            resources={"quickbooks": resource},
        )
        assert again.success
        assert len(list(landed(work, realms[0], "Customer"))) == before
        for realm in realms[1:]:  # the others' state is untouched
            assert json.loads((work / "state" / f"{realm}.json").read_text()) == states[realm]


def test_the_sensor_adds_new_companies_of_the_realm_list_and_asks_for_their_first_run(
    companies: tuple[RunningSandbox, list[str]], tmp_path: Path
) -> None:
    running, realms = companies
    resource = _connect(running, realms, tmp_path)
    (tmp_path / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        instance.add_dynamic_partitions(COMPANIES.name or "", realms[:1])
        context = dg.build_sensor_context(instance=instance, resources={"quickbooks": resource})
        result = realm_list_sensor(context)
        assert isinstance(result, dg.SensorResult)
        assert [r.partition_key for r in result.run_requests or []] == realms[1:]
        (request,) = result.dynamic_partitions_requests or []
        assert list(request.partition_keys or []) == realms[1:]
