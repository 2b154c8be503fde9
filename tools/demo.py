"""The main job, as ``make demo`` runs it: QuickBooks into DuckDB with Meltano, full then incremental.

Against the local sandbox (the default, Meltano environment ``dev``):

1. start ``qbo-sandbox serve`` with the sample company (seed 1) on a free loopback port;
2. ``meltano run --full-refresh tap-quickbooks target-duckdb``: every object and the TrialBalance
   report into ``output/quickbooks.duckdb``;
3. change the company through the API: update an invoice and a customer, delete an expense;
4. ``meltano run tap-quickbooks target-duckdb`` again: it resumes from the state Meltano saved, so
   only the changes move (the deleted expense arrives marked with ``_sdc_deleted_at``);
5. print rows per table, what the second run brought, the trial balance with its totals, the
   latest invoices (the README's first query) and the balance of the account the deleted expense
   was paid from, as the account table has it and as the trial balance does;
6. stop the sandbox and leave the DuckDB file to explore.

With a real company's credentials in the environment (TAP_QUICKBOOKS_CLIENT_ID,
TAP_QUICKBOOKS_CLIENT_SECRET, TAP_QUICKBOOKS_REALM_ID, and TAP_QUICKBOOKS_REFRESH_TOKEN the first
time), it runs ``meltano --environment prod run tap-quickbooks target-duckdb`` instead: no sandbox,
nothing written to QuickBooks, incremental from the last prod run, into
``output/quickbooks-prod.duckdb``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
from pipeline import REPO_ROOT, MeltanoMissing, log_tail, meltano_env, meltano_executable, run_meltano
from qbo_client.client import QBOClient

OUTPUT = REPO_ROOT / "output"
SANDBOX = [sys.executable, "-m", "qbo_sandbox.cli", "serve", "--port", "0", "--seed", "1"]
PLUGINS = ["tap-quickbooks", "target-duckdb"]


def main() -> int:
    started = time.monotonic()
    try:
        meltano_executable()
    except MeltanoMissing as exc:
        print(exc, file=sys.stderr)
        return 1
    code = prod() if os.environ.get("TAP_QUICKBOOKS_CLIENT_ID") else dev()
    if code == 0:
        print(f"\ndone in {time.monotonic() - started:.0f} s")
    return code


# -- the real company -----------------------------------------------------------------------------


def prod() -> int:
    missing = [
        name
        for name in ("TAP_QUICKBOOKS_CLIENT_ID", "TAP_QUICKBOOKS_CLIENT_SECRET", "TAP_QUICKBOOKS_REALM_ID")
        if not os.environ.get(name)
    ]
    if missing:
        print(f"TAP_QUICKBOOKS_CLIENT_ID is set, so this is a prod run, but {', '.join(missing)} is not")
        return 1
    db = OUTPUT / "quickbooks-prod.duckdb"
    print(f"meltano --environment prod: company {os.environ['TAP_QUICKBOOKS_REALM_ID']} into {rel(db)}")
    env = meltano_env({"TARGET_DUCKDB_PATH": str(db)})
    before = None
    if db.exists():
        with duckdb.connect(str(db), read_only=True) as con:
            before = last_batch(con)
    if not meltano_step(
        "prod", "incremental from the last prod run", ["--environment", "prod", "run", *PLUGINS], env
    ):
        return 1
    with duckdb.connect(str(db), read_only=True) as con:
        print_tables(con, since=before)
        code = print_trial_balance(con)
        print_invoices(con)
    print_explore(db)
    return code


# -- the sandbox ----------------------------------------------------------------------------------


def dev() -> int:
    db = OUTPUT / "quickbooks.duckdb"
    with tempfile.TemporaryDirectory(prefix="qbo-demo-") as tmp:
        creds_file = Path(tmp) / "credentials.json"
        OUTPUT.mkdir(exist_ok=True)
        sandbox_log = (OUTPUT / "qbo-sandbox.log").open("w", encoding="utf-8")
        server = subprocess.Popen(
            [*SANDBOX, "--credentials-file", str(creds_file)],
            stdout=subprocess.PIPE,
            stderr=sandbox_log,
            text=True,
        )
        try:
            assert server.stdout is not None
            url = server.stdout.readline().strip()
            if not url.startswith("http://"):
                print("the sandbox did not start", file=sys.stderr)
                return 1
            for _ in range(400):
                if creds_file.exists():
                    break
                time.sleep(0.05)
            creds = json.loads(creds_file.read_text())
            print(f"qbo-sandbox serving {url}, sample company {creds['realm_id']}")
            return dev_pipeline(url, creds, db)
        finally:
            server.terminate()
            server.wait(timeout=15)
            if server.stdout is not None:
                server.stdout.close()
            sandbox_log.close()
            print("sandbox stopped")


def dev_pipeline(url: str, creds: dict[str, str], db: Path) -> int:
    env = meltano_env(
        {
            "QBO_SANDBOX_URL": url,
            "QBO_SANDBOX_CLIENT_ID": creds["client_id"],
            "QBO_SANDBOX_CLIENT_SECRET": creds["client_secret"],
            "QBO_SANDBOX_REFRESH_TOKEN": creds["refresh_token"],
            "QBO_SANDBOX_REALM_ID": creds["realm_id"],
            "TARGET_DUCKDB_PATH": str(db),
        },
        keep_credentials=False,
    )
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)  # a new sandbox company each time: start the file afresh

    if not meltano_step("run-1", "full", ["--environment", "dev", "run", "--full-refresh", *PLUGINS], env):
        return 1
    with duckdb.connect(str(db), read_only=True) as con:
        first = last_batch(con)
        total = sum(count for _, count, _ in table_counts(con))
    print(f"  {total} rows in {rel(db)}")

    changes, paid_from = change_company(url, creds)
    print("changed the company through the API:")
    for line in changes:
        print(f"  {line}")

    if not meltano_step(
        "run-2", "incremental, from the saved state", ["--environment", "dev", "run", *PLUGINS], env
    ):
        return 1
    with duckdb.connect(str(db), read_only=True) as con:
        print_tables(con, since=first)
        code = print_trial_balance(con)
        print_invoices(con)
        print_balance(con, paid_from)
    print_explore(db)
    return code


def change_company(url: str, creds: dict[str, str]) -> tuple[list[str], str]:
    """Update an invoice and a customer, delete the latest expense (a Purchase).

    Returns what was done and the Id of the account the expense was paid from.
    """
    sys_dir = Path(os.environ.get("MELTANO_SYS_DIR_ROOT") or REPO_ROOT / ".meltano")
    client = QBOClient.from_config(
        {
            **{k: creds[k] for k in ("client_id", "client_secret", "refresh_token", "realm_id")},
            "base_url": url,
            # the tap's token store: the refresh token has rotated since the credentials were issued
            "token_store_path": str(sys_dir / "qbo-tokens" / "dev-tap.json"),
        }
    )
    try:
        done = []
        invoice = client.query_rows("SELECT * FROM Invoice ORDERBY TxnDate DESC, Id DESC MAXRESULTS 1")[0]
        note = f"Reviewed {date.today().isoformat()}: due date confirmed with the customer"
        client.update(
            "Invoice", {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"], "PrivateNote": note}
        )
        done.append(f"Invoice {invoice['Id']} (#{invoice.get('DocNumber')}): PrivateNote = {note!r}")

        customer = client.query_rows("SELECT * FROM Customer WHERE Active = true ORDERBY Id MAXRESULTS 1")[0]
        phone = "(415) 555-0199"
        client.update(
            "Customer",
            {
                "Id": customer["Id"],
                "SyncToken": customer["SyncToken"],
                "PrimaryPhone": {"FreeFormNumber": phone},
            },
        )
        done.append(f"Customer {customer['Id']} ({customer['DisplayName']}): PrimaryPhone = {phone}")

        # dated in the open month or the one before: periods the next run reads again
        since = (date.today().replace(day=1) - timedelta(days=1)).replace(day=1).isoformat()
        purchases = client.query_rows(
            f"SELECT * FROM Purchase WHERE TxnDate >= '{since}' ORDERBY TxnDate DESC, Id DESC MAXRESULTS 1"
        ) or client.query_rows("SELECT * FROM Purchase ORDERBY TxnDate DESC, Id DESC MAXRESULTS 1")
        purchase = purchases[0]
        client.delete("Purchase", purchase["Id"], purchase["SyncToken"])
        done.append(f"Purchase {purchase['Id']} ({purchase['TxnDate']}, {purchase['TotalAmt']:.2f}): deleted")
        return done, str(purchase["AccountRef"]["value"])
    finally:
        client.close()


# -- meltano and DuckDB ---------------------------------------------------------------------------


def meltano_step(name: str, title: str, args: list[str], env: dict[str, str]) -> bool:
    log = OUTPUT / f"meltano-{name}.log"
    print(f"\n$ meltano {' '.join(args)}")
    begun = time.monotonic()
    result = run_meltano(args, env, log)
    if result.returncode != 0:
        print(
            f"meltano failed ({result.returncode}); the end of {rel(log)}:\n{log_tail(log)}", file=sys.stderr
        )
        return False
    print(f"{name}, {title}: {time.monotonic() - begun:.0f} s (log: {rel(log)})")
    return True


def table_counts(con: Any) -> list[tuple[str, int, int]]:
    """(table, rows, rows marked deleted) for every table target-duckdb made."""
    out = []
    for (table,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1"
    ).fetchall():
        rows, deleted = con.execute(
            f'SELECT count(*), count("_sdc_deleted_at") FROM main."{table}"'
        ).fetchone()
        out.append((table, int(rows), int(deleted)))
    return out


def last_batch(con: Any) -> Any:
    """The latest ``_sdc_batched_at`` in the file: rows batched after it came with a later run."""
    latest = None
    for table, _, _ in table_counts(con):
        (value,) = con.execute(f'SELECT max("_sdc_batched_at") FROM main."{table}"').fetchone()
        if value is not None and (latest is None or value > latest):
            latest = value
    return latest


def print_tables(con: Any, since: Any) -> None:
    counts = table_counts(con)
    header = f"\n{'table':<18}{'rows':>7}{'deleted':>9}"
    if since is not None:
        header += f"{'this run':>10}"
    print(header)
    moved = 0
    for table, rows, deleted in counts:
        line = f"{table:<18}{rows:>7}{deleted or '':>9}"
        if since is not None:
            (new,) = con.execute(
                f'SELECT count(*) FROM main."{table}" WHERE "_sdc_batched_at" > ?', [since]
            ).fetchone()
            moved += new
            line += f"{new or '':>10}"
        print(line)
    print(f"{'total':<18}{sum(c[1] for c in counts):>7}{sum(c[2] for c in counts) or '':>9}", end="")
    print(f"{moved:>10}" if since is not None else "")
    if since is not None:
        print(
            "this run received only what changed since the last, plus the TrialBalance periods the "
            "tap reads again (the open month and report_lookback_periods before it)"
        )


def print_trial_balance(con: Any) -> int:
    """The trial balance per period from DuckDB: debit and credit totals, which must be equal."""
    rows = con.execute(
        """
        SELECT period_start, period_end, accounting_method, count(*),
               round(sum(debit), 2), round(sum(credit), 2)
        FROM main.trialbalance GROUP BY ALL ORDER BY period_start, accounting_method
        """
    ).fetchall()
    print(f"\nTrialBalance from DuckDB{'':<4}{'accounts':>9}{'debit':>14}{'credit':>14}")
    unbalanced = []
    for start, end, method, accounts, debit, credit in rows:
        mark = "" if debit == credit else "  UNBALANCED"
        print(f"{start}..{end} {method:<7}{accounts:>5}{debit:>14,.2f}{credit:>14,.2f}{mark}")
        if mark:
            unbalanced.append(start)
    if unbalanced:
        print(f"the trial balance does not balance for {', '.join(unbalanced)}", file=sys.stderr)
        return 1
    print(f"debit = credit in all {len(rows)} periods")
    return 0


#: The first query of the README: the latest invoices, the columns a reader looks for first.
INVOICES = """
SELECT docnumber AS number, txndate AS date, customerref->>'name' AS customer,
       totalamt AS total, balance, duedate AS due
FROM invoice
WHERE _sdc_deleted_at IS NULL
ORDER BY txndate DESC, docnumber DESC
LIMIT 5
"""

#: The README's "Account balances after a delete": balance sheet accounts as of the latest
#: TrialBalance period (the open month, which every incremental run reads again).
BALANCES = """
SELECT a.id, a.name, a.currentbalance,
       round(CASE a.classification WHEN 'Asset' THEN coalesce(tb.debit, 0) - coalesce(tb.credit, 0)
                                   ELSE coalesce(tb.credit, 0) - coalesce(tb.debit, 0) END, 2) AS balance
FROM account a
LEFT JOIN trialbalance tb ON tb.account_id = a.id AND tb.accounting_method = 'Accrual'
     AND tb.period_start = (SELECT max(period_start) FROM trialbalance)
WHERE a._sdc_deleted_at IS NULL AND a.classification IN ('Asset', 'Liability', 'Equity')
"""


def print_invoices(con: Any) -> None:
    """The README's first query, and how many invoices are open for how much."""
    rows = con.execute(INVOICES).fetchall()
    print(
        f"\nthe latest invoices (the README's first query)\n{'number':<8}{'date':<12}{'customer':<28}", end=""
    )
    print(f"{'total':>10}{'balance':>10}  due")
    for number, day, customer, total, balance, due in rows:
        who = (customer or "")[:27]
        print(f"{number or '':<8}{day!s:<12}{who:<28}{total or 0:>10,.2f}{balance or 0:>10,.2f}  {due or ''}")
    (count, owed) = con.execute(
        "SELECT count(*), coalesce(sum(balance), 0) FROM invoice "
        "WHERE _sdc_deleted_at IS NULL AND balance > 0"
    ).fetchone()
    print(f"{count} invoices open, {owed:,.2f} to collect")


def print_balance(con: Any, account_id: str) -> None:
    """The account the deleted expense was paid from: its balance in the account table and the report's."""
    found = [row for row in con.execute(BALANCES).fetchall() if row[0] == account_id]
    if not found:
        return
    _, name, in_table, from_report = found[0]
    print(f"\n{name}, the account that paid the deleted expense (README: account balances after a delete)")
    print(f"  {in_table:>12,.2f}  in the account table: the balance of the account's last change")
    print(f"  {from_report:>12,.2f}  from the trial balance of the open month: the balance now")


def print_explore(db: Path) -> None:
    print(
        f"\nthe data stays in {rel(db)} (DuckDB 1.4, schema main, a table per stream); in .venv/bin/python:"
    )
    print(f"  import duckdb; con = duckdb.connect('{rel(db)}', read_only=True)")
    query = " ".join(INVOICES.split())
    print(f'  con.sql("{query}").show()')


def rel(path: Path) -> str:
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    raise SystemExit(main())
