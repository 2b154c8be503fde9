"""The main job on QuickBooks Desktop, as ``make demo-desktop`` runs it: a Desktop company into DuckDB.

QuickBooks Desktop is reached only through its Web Connector, which calls a service we host
(qbd-bridge). Here everything runs on this machine, emulated:

1. start qbd-bridge on a free loopback port, an emulated company file (the Desktop sample company,
   seed 1) and an emulated Web Connector that calls the bridge every second, as QBWC's scheduler does;
2. ``meltano --environment desktop run --full-refresh tap-quickbooks target-duckdb``: every Desktop
   object and the TrialBalance into ``output/quickbooks-desktop.duckdb``;
3. change the company as a QuickBooks user would: edit a customer's phone, add an invoice, void a
   check, delete a bill;
4. ``meltano --environment desktop run tap-quickbooks target-duckdb`` again: only the changes move
   (the deleted bill arrives marked with ``_sdc_deleted_at``);
5. print rows per table, what the second run brought, and the trial balance with its totals;
6. stop the bridge and the emulator and leave the DuckDB file to explore.

For a real company the same Meltano environment reads QBD_BRIDGE_URL, QBD_BRIDGE_TOKEN and
QBD_COMPANY (the README's "QuickBooks Desktop" section says how to set the bridge up).
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
from demo import OUTPUT, last_batch, meltano_step, print_tables, print_trial_balance, rel, table_counts
from pipeline import MeltanoMissing, meltano_env, meltano_executable
from qbd_client import qbxml
from qbd_sandbox.company import Company
from qbd_sandbox.stack import DesktopStack

PLUGINS = ["tap-quickbooks", "target-duckdb"]
#: The latest invoices: Desktop names things its own way (RefNumber, CustomerRef's FullName).
INVOICES = """
SELECT refnumber AS number, txndate AS date, customerref->>'FullName' AS customer,
       subtotal, balanceremaining AS balance, duedate AS due
FROM invoice
WHERE _sdc_deleted_at IS NULL
ORDER BY txndate DESC, refnumber DESC
LIMIT 5
"""
COMPANY = "sample"


def main() -> int:
    started = time.monotonic()
    try:
        meltano_executable()
    except MeltanoMissing as exc:
        print(exc, file=sys.stderr)
        return 1
    db = OUTPUT / "quickbooks-desktop.duckdb"
    OUTPUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="qbd-demo-") as tmp, DesktopStack(tmp, interval=1.0) as stack:
        emulated = stack.add_company(COMPANY, seed=1)
        company = emulated.company
        lists = sum(company.count(n) for n in ("Account", "Customer", "Vendor", "ItemService"))
        print(
            f"qbd-bridge serving {stack.url}; emulated company file {COMPANY!r} ({company.count('Invoice')} "
            f"invoices, {lists} accounts, customers, vendors, services) with its Web Connector calling"
        )
        code = pipeline(stack, company, db)
    print("bridge and emulator stopped")
    if code == 0:
        print(f"\ndone in {time.monotonic() - started:.0f} s")
    return code


def pipeline(stack: DesktopStack, company: Company, db: Path) -> int:
    env = meltano_env(
        {
            "QBD_BRIDGE_URL": stack.url,
            "QBD_BRIDGE_TOKEN": stack.token(),
            "QBD_COMPANY": COMPANY,
            "QBD_COMPANY_TIMEZONE": company.config.tz,
            "TARGET_DUCKDB_PATH": str(db),
        },
        keep_credentials=False,
    )
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)  # a new emulated company each time: start the file afresh
    desktop = ["--environment", "desktop"]
    if not meltano_step("desktop-1", "full", [*desktop, "run", "--full-refresh", *PLUGINS], env):
        return 1
    with duckdb.connect(str(db), read_only=True) as con:
        first = last_batch(con)
        total = sum(count for _, count, _ in table_counts(con))
    print(f"  {total} rows in {rel(db)}")

    print("changed the company as a QuickBooks user would:")
    for line in change_company(company):
        print(f"  {line}")

    if not meltano_step("desktop-2", "incremental, from the saved state", [*desktop, "run", *PLUGINS], env):
        return 1
    with duckdb.connect(str(db), read_only=True) as con:
        print_tables(con, since=first)
        print("\nthe latest invoices")
        con.sql(INVOICES).show()
        code = print_trial_balance(con)
    print(f"\nthe data stays in {rel(db)} (DuckDB, schema main, a table per stream); in .venv/bin/python:")
    print(f"  import duckdb; con = duckdb.connect('{rel(db)}', read_only=True)")
    print(f'  con.sql("{" ".join(INVOICES.split())}").show()')
    return code


def _latest(company: Company, obj: str) -> dict[str, Any]:
    """The most recently modified record of ``obj``, asked of the company file in qbXML."""
    fields: dict[str, Any] = {"MaxReturned": 500}
    if obj not in ("Customer", "Vendor"):
        fields["IncludeLineItems"] = True
    request = qbxml.build(f"{obj}QueryRq", fields)
    answer = qbxml.parse_response(company.process(qbxml.message_set([request]), "demo"))
    company.end_session("demo")
    records = answer.responses[0].records()
    return max(records, key=lambda r: str(r.get("TimeModified")))


def change_company(company: Company) -> list[str]:
    """Edit a customer, add an invoice, void a check, delete a bill."""
    done = []
    customer = _latest(company, "Customer")
    phone = "(415) 555-0199"
    company.modify(
        "Customer", {"ListID": customer["ListID"], "EditSequence": customer["EditSequence"], "Phone": phone}
    )
    done.append(f"Customer {customer['FullName']}: Phone = {phone}")

    invoice = _latest(company, "Invoice")
    line = next(x for x in invoice.get("InvoiceLineRet", []) if x.get("ItemRef"))
    added = company.add(
        "Invoice",
        {
            "CustomerRef": {"ListID": invoice["CustomerRef"]["ListID"]},
            "TxnDate": date.today().isoformat(),
            "RefNumber": f"D-{date.today():%m%d}",
            "InvoiceLineAdd": [
                {"ItemRef": {"ListID": line["ItemRef"]["ListID"]}, "Quantity": 2, "Rate": 125}
            ],
        },
    )
    done.append(f"Invoice {added['RefNumber']} added for {invoice['CustomerRef']['FullName']}: 250.00")

    check = _latest(company, "Check")
    company.void("Check", check["TxnID"])
    done.append(f"Check {check.get('RefNumber') or check['TxnID']} ({check.get('Amount', 0):.2f}): voided")

    bill = _latest(company, "Bill")
    company.delete("Bill", bill["TxnID"])
    done.append(f"Bill {bill.get('RefNumber') or bill['TxnID']} ({bill.get('AmountDue', 0):.2f}): deleted")
    return done


if __name__ == "__main__":
    raise SystemExit(main())
