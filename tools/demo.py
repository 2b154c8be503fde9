"""The main job, as ``make demo`` runs it: start the sandbox with the sample company and use it.

It starts ``qbo-sandbox serve`` as a separate process on a free loopback port, takes the
credentials it writes, gets an access token over OAuth, counts every object of the catalog with
the query language, reads the trial balance and checks that it balances, then stops the server.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from qbo_client import catalog


def main() -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="qbo-demo-") as tmp:
        creds_file = Path(tmp) / "credentials.json"
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "qbo_sandbox.cli",
                "serve",
                "--port",
                "0",
                "--seed",
                "1",
                "--credentials-file",
                str(creds_file),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None
            url = server.stdout.readline().strip()
            if not url.startswith("http://"):
                print("the sandbox did not start", file=sys.stderr)
                return 1
            for _ in range(200):
                if creds_file.exists():
                    break
                time.sleep(0.05)
            creds = json.loads(creds_file.read_text())
            print(f"qbo-sandbox serving {url}, company {creds['realm_id']}")
            token = requests.post(
                f"{url}/oauth2/v1/tokens/bearer",
                data={"grant_type": "refresh_token", "refresh_token": creds["refresh_token"]},
                auth=(creds["client_id"], creds["client_secret"]),
                timeout=10,
            ).json()["access_token"]
            api = requests.Session()
            api.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json"})
            base = f"{url}/v3/company/{creds['realm_id']}"

            print(f"\n{'object':<18}{'rows':>8}")
            for spec in catalog.OBJECTS:
                where = " WHERE Active IN (true, false)" if spec.is_name_list else ""
                answer = api.get(
                    f"{base}/query", params={"query": f"SELECT COUNT(*) FROM {spec.name}{where}"}, timeout=30
                ).json()
                print(f"{spec.name:<18}{answer['QueryResponse'].get('totalCount', 0):>8}")

            report = api.get(
                f"{base}/reports/TrialBalance", params={"date_macro": "This Fiscal Year"}, timeout=30
            ).json()
            total = report["Rows"]["Row"][-1]["Summary"]["ColData"]
            header = report["Header"]
            print(
                f"\nTrialBalance {header['StartPeriod']}..{header['EndPeriod']} ({header['ReportBasis']}): "
                f"debit {total[1]['value']}, credit {total[2]['value']}"
            )
            if total[1]["value"] != total[2]["value"]:
                print("the trial balance does not balance", file=sys.stderr)
                return 1
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"\ndone in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
