"""Many QuickBooks companies on Dagster: each company a dynamic partition, each sync its own process.

A realm list (a text file, one realm id per line) becomes the partitions of
``DynamicPartitionsDefinition(name="quickbooks_companies")``: :func:`add_companies` adds the new
ones (a job or a script calls it), and :data:`realm_list_sensor` does the same every few minutes and
asks for a first run of each new company. The asset :func:`quickbooks_company` syncs one company:
``tap-quickbooks`` in a process of its own (so each company has its own QuickBooks limits: 500
requests a minute and 10 at once are per company), with

- its own state: ``<work_dir>/state/<realm>.json``, read as ``--state`` and replaced (atomically)
  at every STATE message the tap emits, after the records before it are written;
- its own token-store entry: a row of the shared database of ``token_store_url`` (every worker
  sees it; rotated refresh tokens are never lost between workers), or a file per company under
  ``<work_dir>/tokens`` when the base config names no database;
- its records, each carrying ``_qbo_realm_id`` (``add_realm_id`` is forced on), appended to
  ``<work_dir>/records/<realm>/<stream>.jsonl``: the landing files a warehouse load reads.

Partitions run in parallel as Dagster runs them (one run per partition; ``dagster dev`` launches
each in a process of its own, up to the run coordinator's ``max_concurrent_runs``).
See README.md beside this file, and why Dagster rather than Airflow.
"""

import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import dagster as dg

COMPANIES = dg.DynamicPartitionsDefinition(name="quickbooks_companies")
#: The tap's column that names the company in every record.
REALM_COLUMN = "_qbo_realm_id"


def read_realm_list(path: str | Path) -> list[str]:
    """The realm ids of a realm list: one a line, blank lines and ``#`` comments left out, in order."""
    realms: list[str] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        realm = line.split("#", 1)[0].strip()
        if realm and realm not in realms:
            realms.append(realm)
    return realms


def add_companies(instance: dg.DagsterInstance, realm_list: str | Path) -> list[str]:
    """Add the realm list's companies that are not partitions yet; returns those added."""
    known = set(instance.get_dynamic_partitions(COMPANIES.name or ""))
    new = [realm for realm in read_realm_list(realm_list) if realm not in known]
    if new:
        instance.add_dynamic_partitions(COMPANIES.name or "", new)
    return new


class QuickBooksCompanies(dg.ConfigurableResource):
    """Where the companies' syncs read their settings and keep their files."""

    #: JSON settings every company shares: client_id, client_secret, token_store_url (the shared
    #: token store), base_url or environment, limits... (no realm_id: the partition is the company).
    base_config_path: str
    #: The realm list: one realm id per line.
    realm_list_path: str
    #: State, records, logs and (without token_store_url) token files, one directory per kind.
    work_dir: str
    #: The tap's executable (default: tap-quickbooks beside this Python).
    tap_executable: str = ""

    def tap(self) -> str:
        return self.tap_executable or str(Path(sys.executable).with_name("tap-quickbooks"))

    def company_config(self, realm: str) -> dict[str, Any]:
        """The base settings for one company: its realm id, the column on, its token-store entry."""
        base: dict[str, Any] = json.loads(Path(self.base_config_path).read_text(encoding="utf-8"))
        config = {**base, "realm_id": realm, "add_realm_id": True}
        if not config.get("token_store_url") and not config.get("token_store_path"):
            config["token_store_path"] = str(Path(self.work_dir) / "tokens" / f"{realm}.json")
        return config


def _write_json_atomically(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.part")
    with part.open("w", encoding="utf-8") as fh:
        json.dump(value, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(part, path)


class _Landing:
    """The records of one company's run in files per stream; the state saved at each STATE message."""

    def __init__(self, records_dir: Path, state_path: Path) -> None:
        self.records_dir = records_dir
        self.state_path = state_path
        self.counts: Counter[str] = Counter()
        self._files: dict[str, Any] = {}
        records_dir.mkdir(parents=True, exist_ok=True)

    def take(self, line: str) -> None:
        if not line.strip():
            return
        message = json.loads(line)
        kind = message.get("type")
        if kind == "RECORD":
            stream = str(message["stream"])
            fh = self._files.get(stream)
            if fh is None:
                fh = self._files[stream] = (self.records_dir / f"{stream}.jsonl").open("a", encoding="utf-8")
            fh.write(json.dumps(message["record"]) + "\n")
            self.counts[stream] += 1
        elif kind == "STATE":
            # The records before a STATE are written before the state that says they were read.
            self.flush()
            _write_json_atomically(self.state_path, message["value"])

    def flush(self) -> None:
        for fh in self._files.values():
            fh.flush()
            os.fsync(fh.fileno())

    def close(self) -> None:
        self.flush()
        for fh in self._files.values():
            fh.close()


def sync_company(settings: QuickBooksCompanies, realm: str, log: Any = None) -> dict[str, int]:
    """One company's sync: the tap in a process of its own; returns the records per stream."""
    work = Path(settings.work_dir)
    run_dir = work / "runs" / realm
    run_dir.mkdir(parents=True, exist_ok=True)
    config_path = run_dir / "config.json"
    # Mode 0600: the file holds the app's secret (deleted after the run, as Meltano does).
    fd = os.open(config_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(settings.company_config(realm), fh)
    state_path = work / "state" / f"{realm}.json"
    command = [settings.tap(), "--config", str(config_path)]
    if state_path.exists():
        command += ["--state", str(state_path)]
    landing = _Landing(work / "records" / realm, state_path)
    log_path = run_dir / "tap.log"
    started = time.monotonic()
    try:
        with (
            log_path.open("w", encoding="utf-8") as err,
            subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=err, text=True, encoding="utf-8"
            ) as proc,
        ):
            assert proc.stdout is not None
            try:
                for line in proc.stdout:
                    landing.take(line)
            finally:
                code = proc.wait()
                landing.close()
    finally:
        config_path.unlink(missing_ok=True)
    if code != 0:
        tail = "\n".join(log_path.read_text(encoding="utf-8").splitlines()[-15:])
        raise dg.Failure(
            description=f"tap-quickbooks failed for company {realm} (exit status {code})",
            metadata={"log": dg.MetadataValue.path(str(log_path)), "log_tail": dg.MetadataValue.text(tail)},
        )
    if log is not None:
        log.info(
            "company %s: %d records in %.1f s",
            realm,
            sum(landing.counts.values()),
            time.monotonic() - started,
        )
    return dict(landing.counts)


@dg.asset(partitions_def=COMPANIES, group_name="quickbooks")
def quickbooks_company(
    context: dg.AssetExecutionContext, quickbooks: QuickBooksCompanies
) -> dg.MaterializeResult:
    """One company's objects, read by tap-quickbooks into its landing files, with its own state."""
    realm = context.partition_key
    counts = sync_company(quickbooks, realm, context.log)
    return dg.MaterializeResult(
        metadata={
            "realm_id": realm,
            "records": sum(counts.values()),
            "streams": dg.MetadataValue.json(counts),
            "state": dg.MetadataValue.path(str(Path(quickbooks.work_dir) / "state" / f"{realm}.json")),
        }
    )


@dg.sensor(asset_selection=[quickbooks_company], minimum_interval_seconds=300)
def realm_list_sensor(
    context: dg.SensorEvaluationContext, quickbooks: QuickBooksCompanies
) -> dg.SensorResult:
    """New companies in the realm list become partitions, each with a first run."""
    known = set(context.instance.get_dynamic_partitions(COMPANIES.name or ""))
    new = [realm for realm in read_realm_list(quickbooks.realm_list_path) if realm not in known]
    return dg.SensorResult(
        run_requests=[dg.RunRequest(partition_key=realm) for realm in new],
        dynamic_partitions_requests=[COMPANIES.build_add_request(new)] if new else [],
    )


def definitions(resource: QuickBooksCompanies | None = None) -> dg.Definitions:
    """The Dagster definitions; without a resource, its settings come from QBO_DAGSTER_* variables."""
    quickbooks = resource or QuickBooksCompanies(
        base_config_path=dg.EnvVar("QBO_DAGSTER_BASE_CONFIG"),
        realm_list_path=dg.EnvVar("QBO_DAGSTER_REALM_LIST"),
        work_dir=dg.EnvVar("QBO_DAGSTER_WORK_DIR"),
    )
    return dg.Definitions(
        assets=[quickbooks_company], sensors=[realm_list_sensor], resources={"quickbooks": quickbooks}
    )


def materialize_company(instance_ref: Any, settings: dict[str, str], realm: str) -> bool:
    """One partition materialized in this process against a persistent instance (``instance_ref``:
    its ``get_ref()``; what each of
    Dagster's run processes does); for running partitions in parallel from a process pool (an
    in-process run is not thread-safe: Dagster reconfigures logging per run)."""
    with dg.DagsterInstance.from_ref(instance_ref) as instance:
        result = dg.materialize(
            [quickbooks_company],
            partition_key=realm,
            instance=instance,
            resources={"quickbooks": QuickBooksCompanies(**settings)},
            raise_on_error=False,
        )
        return bool(result.success)


def landed(work_dir: str | Path, realm: str, stream: str) -> Iterable[dict[str, Any]]:
    """The records a company's runs landed for a stream (what a warehouse load would read)."""
    path = Path(work_dir) / "records" / realm / f"{stream}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


__all__ = [
    "COMPANIES",
    "REALM_COLUMN",
    "QuickBooksCompanies",
    "add_companies",
    "definitions",
    "defs",
    "landed",
    "materialize_company",
    "quickbooks_company",
    "read_realm_list",
    "realm_list_sensor",
    "sync_company",
]

#: For ``dagster dev -m dagster_quickbooks`` (settings from the QBO_DAGSTER_* variables).
defs = definitions()
