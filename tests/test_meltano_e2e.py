"""The Meltano project end to end: ``meltano run tap-quickbooks target-duckdb`` against a sandbox.

A full run, then changes through the API (two updates and a delete), then an incremental run that
resumes from the state Meltano saved; every check reads the rows that arrived in DuckDB and compares
them with what the sandbox holds over HTTP.

Meltano is the one the Makefile installs (``$QBO_MELTANO_BIN``, else .venv-meltano); the test fails
when it is missing. The plugins are installed once per session into a Meltano system directory of
the test's own (MELTANO_SYS_DIR_ROOT), and each test has its own system database, token store and
DuckDB file, so nothing of the repository's .meltano or output/ is read or written.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from pipeline import REPO_ROOT, meltano_env, meltano_executable, run_meltano
from qbo_client import catalog, schemas
from qbo_sandbox.config import LimitsConfig, SandboxConfig
from qbo_sandbox.testing import RunningSandbox, issue_credentials

PLUGINS = ["tap-quickbooks", "target-duckdb"]


@pytest.fixture
def qbo_sandbox_config() -> SandboxConfig:
    """No per-minute limits: the copy writes as fast as it can (the plugins' own tests cover limits)."""
    return SandboxConfig(limits=LimitsConfig(requests_per_minute=None, batch_per_minute=None))


@pytest.fixture(scope="session")
def meltano_sys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Meltano system directory with tap-quickbooks and target-duckdb installed (once per session)."""
    meltano_executable()  # raises, with what to do, when meltano is not installed
    sys_dir = tmp_path_factory.mktemp("meltano-sys")
    env = meltano_env({"MELTANO_SYS_DIR_ROOT": str(sys_dir)}, keep_credentials=False)
    log = sys_dir / "install.log"
    result = run_meltano(["install", *PLUGINS, "target-quickbooks"], env, log)
    assert result.returncode == 0, log.read_text()
    return sys_dir


class Pipeline:
    """One test's Meltano runs against one sandbox company, and what they left in DuckDB."""

    def __init__(self, sys_dir: Path, work: Path, sandbox: RunningSandbox) -> None:
        creds = sandbox.credentials
        self.secrets = (creds.client_secret, creds.refresh_token)
        self.db = work / "quickbooks.duckdb"
        self.work = work
        self.env = meltano_env(
            {
                "MELTANO_SYS_DIR_ROOT": str(sys_dir),
                "MELTANO_DATABASE_URI": f"sqlite:///{work / 'meltano.db'}",
                "QBO_SANDBOX_URL": sandbox.url,
                "QBO_SANDBOX_CLIENT_ID": creds.client_id,
                "QBO_SANDBOX_CLIENT_SECRET": creds.client_secret,
                "QBO_SANDBOX_REFRESH_TOKEN": creds.refresh_token,
                "QBO_SANDBOX_REALM_ID": creds.realm_id,
                "TARGET_DUCKDB_PATH": str(self.db),
            },
            keep_credentials=False,
        )
        self.runs = 0

    def run(self, *args: str) -> str:
        self.runs += 1
        log = self.work / f"meltano-{self.runs}.log"
        result = run_meltano(["--environment", "dev", *args], self.env, log, timeout=900)
        text = log.read_text()
        assert result.returncode == 0, text[-5000:]
        for secret in self.secrets:
            assert secret not in text
        return text

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.db), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()


@pytest.fixture
def pipeline(meltano_sys_dir: Path, tmp_path: Path, qbo_sandbox: RunningSandbox) -> Pipeline:
    return Pipeline(meltano_sys_dir, tmp_path, qbo_sandbox)


def sandbox_counts(sandbox: RunningSandbox) -> dict[str, int]:
    """Objects of each type the company holds, as the query language counts them (inactive too)."""
    api = sandbox.session()
    counts = {}
    for spec in catalog.OBJECTS:
        where = " WHERE Active IN (true, false)" if spec.is_name_list else ""
        answer = api.get(
            f"{sandbox.company_url}/query",
            params={"query": f"SELECT COUNT(*) FROM {spec.name}{where}"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        counts[spec.name.lower()] = int(answer.json()["QueryResponse"].get("totalCount", 0))
    return counts


def duckdb_counts(p: Pipeline) -> dict[str, int]:
    """Rows per table of the catalog's objects, deleted rows left out."""
    return {
        spec.name.lower(): p.query(
            f'SELECT count(*) FROM main."{spec.name.lower()}" WHERE _sdc_deleted_at IS NULL'
        )[0][0]
        for spec in catalog.OBJECTS
    }


def tables(p: Pipeline) -> list[str]:
    rows = p.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")
    return sorted(r[0] for r in rows)


def batched_after(p: Pipeline, moment: Any) -> dict[str, int]:
    """Rows per table that a run after ``moment`` (an ``_sdc_batched_at``) wrote or rewrote."""
    out = {}
    for table in tables(p):
        n = p.query(f'SELECT count(*) FROM main."{table}" WHERE _sdc_batched_at > ?', [moment])[0][0]
        if n:
            out[table] = n
    return out


def sandbox_trial_balance(sandbox: RunningSandbox, start: str, end: str) -> tuple[str, str]:
    """The GrandTotal debit and credit of the sandbox's TrialBalance for one period."""
    answer = sandbox.session().get(
        f"{sandbox.company_url}/reports/TrialBalance",
        params={"start_date": start, "end_date": end, "accounting_method": "Accrual"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    total = answer.json()["Rows"]["Row"][-1]["Summary"]["ColData"]
    return total[1]["value"], total[2]["value"]


def check_trial_balance(p: Pipeline, sandbox: RunningSandbox) -> None:
    periods = p.query(
        """SELECT period_start, period_end, round(sum(debit), 2), round(sum(credit), 2)
           FROM main.trialbalance GROUP BY ALL ORDER BY 1"""
    )
    assert len(periods) >= 2
    for start, end, debit, credit in periods:
        assert debit == credit, (start, debit, credit)
        assert (f"{debit:.2f}", f"{credit:.2f}") == sandbox_trial_balance(sandbox, start, end), start


def write(sandbox: RunningSandbox, entity: str, body: dict[str, Any], **params: str) -> dict[str, Any]:
    answer = sandbox.session().post(
        f"{sandbox.company_url}/{entity.lower()}", params=params, json=body, timeout=30
    )
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()[entity]
    return found


def one(sandbox: RunningSandbox, query: str) -> dict[str, Any]:
    answer = sandbox.session().get(f"{sandbox.company_url}/query", params={"query": query}, timeout=30)
    assert answer.status_code == 200, answer.text
    rows = next(v for v in answer.json()["QueryResponse"].values() if isinstance(v, list))
    return dict(rows[0])


def recent_transaction(sandbox: RunningSandbox, since: str) -> tuple[str, dict[str, Any]]:
    """The latest expense (else journal entry, bill, deposit) dated on or after ``since``."""
    api = sandbox.session()
    for kind in ("Purchase", "JournalEntry", "Bill", "Deposit"):
        answer = api.get(
            f"{sandbox.company_url}/query",
            params={
                "query": f"SELECT * FROM {kind} WHERE TxnDate >= '{since}' ORDERBY TxnDate DESC MAXRESULTS 1"
            },
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        rows = answer.json()["QueryResponse"].get(kind)
        if rows:
            return kind, dict(rows[0])
    raise AssertionError(f"the sample company has no transaction dated {since} or later")


def utc(text: str) -> datetime:
    """An ISO date-time with an offset as the naive UTC value a TIMESTAMP column holds."""
    return datetime.fromisoformat(text).astimezone(timezone.utc).replace(tzinfo=None)


def check_column_types(p: Pipeline) -> None:
    """Every top-level ``format: date`` property is a DATE column, every ``date-time`` a TIMESTAMP."""
    found = {
        (table, column): kind
        for table, column, kind in p.query(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main'"
        )
    }
    expected = {
        ("trialbalance", "period_start"): "DATE",
        ("trialbalance", "period_end"): "DATE",
        ("trialbalance", "fetched_at"): "TIMESTAMP",
    }
    for spec in catalog.OBJECTS:
        table = spec.name.lower()
        expected[(table, "lastupdatedtime")] = "TIMESTAMP"
        expected[(table, "_sdc_deleted_at")] = "TIMESTAMP"
        for name, prop in schemas.load(spec.name)["properties"].items():
            if prop.get("format") in ("date", "date-time"):
                expected[(table, name.lower())] = "DATE" if prop["format"] == "date" else "TIMESTAMP"
    assert {key: found.get(key) for key in expected} == expected
    assert len([k for k in expected if k[1] not in ("lastupdatedtime", "_sdc_deleted_at")]) > 50


def account_refs(value: Any) -> set[str]:
    """The Ids of every ``...AccountRef`` anywhere in an object."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key.endswith("AccountRef") and isinstance(inner, dict) and "value" in inner:
                found.add(str(inner["value"]))
            else:
                found |= account_refs(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= account_refs(inner)
    return found


def sandbox_balances(sandbox: RunningSandbox) -> dict[str, dict[str, Any]]:
    """Every account of the sandbox by Id (CurrentBalance, Classification, AccountSubType)."""
    answer = sandbox.session().get(
        f"{sandbox.company_url}/query",
        params={"query": "SELECT * FROM Account WHERE Active IN (true, false) MAXRESULTS 1000"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return {a["Id"]: a for a in answer.json()["QueryResponse"]["Account"]}


#: The README's query ("Account balances after a delete"): balance sheet accounts as of the latest
#: TrialBalance period, which every incremental run reads again.
BALANCES_FROM_TRIAL_BALANCE = """
SELECT a.id, a.name, a.classification,
       round(CASE a.classification WHEN 'Asset' THEN coalesce(tb.debit, 0) - coalesce(tb.credit, 0)
                                   ELSE coalesce(tb.credit, 0) - coalesce(tb.debit, 0) END, 2) AS balance
FROM account a
LEFT JOIN trialbalance tb ON tb.account_id = a.id AND tb.accounting_method = 'Accrual'
     AND tb.period_start = (SELECT max(period_start) FROM trialbalance)
WHERE a._sdc_deleted_at IS NULL AND a.classification IN ('Asset', 'Liability', 'Equity')
ORDER BY a.classification, a.name
"""


def test_full_then_incremental_run_into_duckdb(pipeline: Pipeline, qbo_sandbox: RunningSandbox) -> None:
    p, sandbox = pipeline, qbo_sandbox

    # run 1: no state yet, every object and the TrialBalance report
    log = p.run("run", *PLUGINS)
    assert "No state was found, complete import" in log
    expected = sandbox_counts(sandbox)
    assert tables(p) == sorted([*expected, "trialbalance"])
    assert duckdb_counts(p) == expected
    assert sum(expected.values()) > 500
    assert p.query("SELECT count(*) FROM main.purchase WHERE _sdc_deleted_at IS NOT NULL") == [(0,)]
    check_trial_balance(p, sandbox)
    check_column_types(p)
    latest = one(sandbox, "SELECT * FROM Invoice ORDERBY TxnDate DESC, Id DESC MAXRESULTS 1")
    assert p.query(
        "SELECT txndate, duedate, lastupdatedtime FROM main.invoice WHERE id = ?", [latest["Id"]]
    ) == [
        (
            date.fromisoformat(latest["TxnDate"]),
            date.fromisoformat(latest["DueDate"]),
            utc(latest["MetaData"]["LastUpdatedTime"]),
        )
    ]
    (first_batch,) = p.query(
        "SELECT max(m) FROM ("
        + " UNION ALL ".join(f'SELECT max(_sdc_batched_at) m FROM main."{t}"' for t in tables(p))
        + ")"
    )[0]

    # changes in the company: two updates and a delete
    invoice = one(sandbox, "SELECT * FROM Invoice ORDERBY TxnDate DESC, Id DESC MAXRESULTS 1")
    note = "checked by the end-to-end test"
    write(
        sandbox,
        "Invoice",
        {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"], "sparse": True, "PrivateNote": note},
    )
    customer = one(sandbox, "SELECT * FROM Customer WHERE Active = true ORDERBY Id MAXRESULTS 1")
    write(
        sandbox,
        "Customer",
        {
            "Id": customer["Id"],
            "SyncToken": customer["SyncToken"],
            "sparse": True,
            "PrimaryPhone": {"FreeFormNumber": "(415) 555-0199"},
        },
    )
    # dated in a period the next run reads again, so the trial balance in DuckDB follows the delete
    (since,) = p.query(
        "SELECT DISTINCT period_start FROM main.trialbalance ORDER BY 1 DESC LIMIT 1 OFFSET 1"
    )[0]
    kind, txn = recent_transaction(sandbox, since)
    write(sandbox, kind, {"Id": txn["Id"], "SyncToken": txn["SyncToken"]}, operation="delete")

    # run 2: resumes from the saved state, so only the changes move
    log = p.run("run", *PLUGINS)
    assert "No state was found" not in log
    moved = batched_after(p, first_batch)
    report_rows = moved.pop("trialbalance")
    assert moved == {"invoice": 1, "customer": 1, kind.lower(): 1}
    # the report: the open period and the one before it are read again (report_lookback_periods: 1)
    last_two = p.query(
        "SELECT count(*) FROM main.trialbalance WHERE period_start IN "
        "(SELECT DISTINCT period_start FROM main.trialbalance ORDER BY 1 DESC LIMIT 2)"
    )[0][0]
    assert report_rows == last_two

    after = sandbox_counts(sandbox)
    assert after[kind.lower()] == expected[kind.lower()] - 1
    assert duckdb_counts(p) == after
    assert p.query("SELECT privatenote FROM main.invoice WHERE id = ?", [invoice["Id"]]) == [(note,)]
    (phone,) = p.query("SELECT primaryphone FROM main.customer WHERE id = ?", [customer["Id"]])[0]
    assert json.loads(phone) == {"FreeFormNumber": "(415) 555-0199"}
    deleted = p.query(
        f"SELECT id, _sdc_deleted_at FROM main.{kind.lower()} WHERE _sdc_deleted_at IS NOT NULL"
    )
    assert [row[0] for row in deleted] == [txn["Id"]]
    assert deleted[0][1] >= utc(txn["MetaData"]["LastUpdatedTime"])
    assert sum(p.query(f"SELECT count(_sdc_deleted_at) FROM main.{t}")[0][0] for t in tables(p)) == 1
    check_trial_balance(p, sandbox)
    check_column_types(p)

    # The delete moved account balances, but no Account changed in QuickBooks' eyes (its
    # LastUpdatedTime stays), so the account table keeps the balances of before for the accounts
    # of the deleted transaction (the README says so); the latest TrialBalance period has them.
    accounts = sandbox_balances(sandbox)
    in_table = dict(p.query("SELECT id, currentbalance FROM main.account WHERE _sdc_deleted_at IS NULL"))
    stale = {
        i for i, balance in in_table.items() if round(balance, 2) != round(accounts[i]["CurrentBalance"], 2)
    }
    assert stale
    assert stale <= account_refs(txn)
    from_report = {row[0]: row[3] for row in p.query(BALANCES_FROM_TRIAL_BALANCE)}
    # Retained Earnings: the report carries last years' profit into it, CurrentBalance does not
    checked = {i for i in from_report if accounts[i].get("AccountSubType") != "RetainedEarnings"}
    assert stale & checked
    assert {i: from_report[i] for i in checked} == {
        i: round(accounts[i]["CurrentBalance"], 2) for i in checked
    }

    # the README's refresh of the account table alone: every Account read again, under a state ID
    # of its own, so the next `meltano run` still resumes from the bookmarks of run 2
    log = p.run("el", "tap-quickbooks", "target-duckdb", "--select", "Account")
    assert "ephemeral state ID" in log
    in_table = dict(p.query("SELECT id, currentbalance FROM main.account WHERE _sdc_deleted_at IS NULL"))
    assert in_table == {i: a["CurrentBalance"] for i, a in accounts.items()}


def test_copy_company_job(meltano_sys_dir: Path, tmp_path: Path, qbo_sandbox: RunningSandbox) -> None:
    """``meltano run copy-company``: tap-quickbooks into target-quickbooks writing another company."""
    sandbox = qbo_sandbox
    target_realm = sandbox.sandbox.store.create_realm()
    target = issue_credentials(sandbox.sandbox, target_realm)
    p = Pipeline(meltano_sys_dir, tmp_path, sandbox)
    p.secrets = (*p.secrets, target.client_secret, target.refresh_token)
    p.env.update(
        {
            "QBO_SANDBOX_TARGET_CLIENT_ID": target.client_id,
            "QBO_SANDBOX_TARGET_CLIENT_SECRET": target.client_secret,
            "QBO_SANDBOX_TARGET_REFRESH_TOKEN": target.refresh_token,
            "QBO_SANDBOX_TARGET_REALM_ID": target.realm_id,
            "TARGET_QUICKBOOKS_DEAD_LETTER_PATH": str(tmp_path / "dead-letter.jsonl"),
            "TARGET_QUICKBOOKS_BATCH_PER_MINUTE": "6000",
            "TARGET_QUICKBOOKS_REQUESTS_PER_MINUTE": "6000",
        }
    )
    log = p.run("run", "copy-company")

    source, copy = sandbox_counts(sandbox), sandbox_counts(RunningSandbox(sandbox.server, target))
    # what the API cannot create stays behind (target-quickbooks/README.md), with a dead letter each
    # What the API lets no client create: the singletons, Budget, TaxReturn and the read-only lists
    # and documents (CustomerType, ReimburseCharge; the US sample company holds no TaxPayment).
    read_only = {"CustomerType", "ReimburseCharge", "TaxPayment"}
    not_copied = {"budget", "company", "companyinfo", "preferences", "taxreturn"} | {
        o.lower() for o in read_only
    }
    assert {k: v for k, v in copy.items() if k not in not_copied | {"taxrate"}} == {
        k: v for k, v in source.items() if k not in not_copied | {"taxrate"}
    }
    assert all(copy[k] == 0 for k in not_copied)
    unused_rates = source["taxrate"] - copy["taxrate"]  # rates no tax code uses cannot be created
    dead = [json.loads(line) for line in (tmp_path / "dead-letter.jsonl").read_text().splitlines()]
    assert len(dead) == sum(source[k] for k in not_copied) + unused_rates
    assert {d["object"] for d in dead} == {"Budget", "Company", "CompanyInfo", "Preferences", "TaxReturn"} | (
        {"TaxRate"} if unused_rates else set()
    ) | {o for o in read_only if source[o.lower()]}
    assert f"{sum(source.values())} records, {sum(copy.values())} created" in log


KINDS = {"string": "string", "integer": "integer", "number": "decimal", "boolean": "boolean"}
KINDS.update(object="object", array="array")


@pytest.mark.parametrize("plugin", ["tap-quickbooks", "target-quickbooks"])
def test_meltano_yml_declares_the_plugins_settings(plugin: str) -> None:
    """meltano.yml declares every setting ``--about`` lists, of the same kind, default and secrecy."""
    about = json.loads(
        subprocess.run(
            [str(Path(sys.executable).parent / plugin), "--about", "--format=json"],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
    )
    project = yaml.safe_load((REPO_ROOT / "meltano.yml").read_text())
    declared = next(p for kind in project["plugins"].values() for p in kind if p["name"] == plugin)
    assert sorted(declared["capabilities"]) == sorted(about["capabilities"])
    settings = {s["name"]: s for s in declared["settings"]}
    properties = about["settings"]["properties"]
    assert list(settings) == list(properties)
    for name, prop in properties.items():
        setting = settings[name]
        types = [t for t in prop["type"] if t != "null"]
        if "enum" in prop:
            kind = "options"
            assert [o["value"] for o in setting["options"]] == prop["enum"], name
        elif prop.get("format") in ("date", "date-time"):
            kind = "date_iso8601"
        else:
            kind = KINDS[types[0]]
        assert setting["kind"] == kind, name
        assert setting.get("value") == prop.get("default"), name
        # secrets are sensitive; so is the app's client id (a credential) in both plugins
        assert setting.get("sensitive", False) == (bool(prop.get("secret")) or name == "client_id"), name


def test_a_desktop_company_into_duckdb_through_meltano_full_then_incremental(
    meltano_sys_dir: Path, tmp_path: Path
) -> None:
    """`meltano --environment desktop run tap-quickbooks target-duckdb` against the bridge and an emulated
    Desktop company whose Web Connector calls on a schedule: every object, then only the changes."""
    from qbd_client import catalog as qbd_catalog
    from qbd_sandbox.stack import DesktopStack

    with DesktopStack(tmp_path / "desktop", interval=0.2) as stack:
        emulated = stack.add_company("books", seed=3, size=150)
        company = emulated.company
        db = tmp_path / "desktop.duckdb"
        env = meltano_env(
            {
                "MELTANO_SYS_DIR_ROOT": str(meltano_sys_dir),
                "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
                "QBD_BRIDGE_URL": stack.url,
                "QBD_BRIDGE_TOKEN": stack.token(),
                "QBD_COMPANY": "books",
                "QBD_COMPANY_TIMEZONE": company.config.tz,
                "TARGET_DUCKDB_PATH": str(db),
            },
            keep_credentials=False,
        )

        def run(n: int) -> str:
            log = tmp_path / f"desktop-{n}.log"
            result = run_meltano(
                ["--environment", "desktop", "run", "tap-quickbooks", "target-duckdb"], env, log
            )
            text = log.read_text()
            assert result.returncode == 0, text[-5000:]
            assert stack.token() not in text
            return text

        def rows(sql: str) -> list[tuple[Any, ...]]:
            with duckdb.connect(str(db), read_only=True) as con:
                return con.execute(sql).fetchall()

        run(1)
        objects = [spec for spec in qbd_catalog.OBJECTS if not spec.is_report]
        held = {spec.name.lower(): company.count(spec.name) for spec in objects}
        loaded = {
            name: rows(f'SELECT count(*) FROM main."{name}" WHERE _sdc_deleted_at IS NULL')[0][0]
            if count
            else 0
            for name, count in held.items()
        }
        assert loaded == held
        periods = rows(
            "SELECT period_start, round(sum(debit), 2), round(sum(credit), 2) "
            "FROM main.trialbalance GROUP BY 1"
        )
        assert periods
        assert all(debit == credit for _, debit, credit in periods)
        (txn_date_type,) = rows(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_name = 'invoice' AND column_name = 'txndate'"
        )[0]
        assert txn_date_type == "DATE"

        customer_id = rows("SELECT listid FROM main.customer ORDER BY listid LIMIT 1")[0][0]
        customer = company.get("Customer", customer_id)
        assert customer is not None
        company.modify(
            "Customer", {"ListID": customer_id, "EditSequence": customer["EditSequence"], "Phone": "555-0142"}
        )
        # an unpaid bill: deleting a paid one changes its payment too
        bill_id = next(
            txn
            for (txn,) in rows("SELECT txnid FROM main.bill ORDER BY txnid")
            if not company.get("Bill", txn).get("LinkedTxn")
        )
        company.delete("Bill", bill_id)
        # the latest batch of the first run, in any table (target-duckdb batches each stream apart)
        before = max(
            rows(f'SELECT max(_sdc_batched_at) FROM main."{name}"')[0][0]
            for name, count in held.items()
            if count
        )

        run(2)
        assert rows(
            f"SELECT phone FROM main.customer WHERE listid = '{customer_id}' ORDER BY _sdc_batched_at"
        )[-1] == ("555-0142",)
        assert rows(
            f"SELECT count(*) FROM main.bill WHERE txnid = '{bill_id}' AND _sdc_deleted_at IS NOT NULL"
        ) == [(1,)]
        # only the changes moved: nothing else of the lists and transactions came again
        moved = {
            name: rows(f"SELECT count(*) FROM main.\"{name}\" WHERE _sdc_batched_at > '{before}'")[0][0]
            for name, count in held.items()
            if count
        }
        assert {name: n for name, n in moved.items() if n} == {"customer": 1, "bill": 1}
