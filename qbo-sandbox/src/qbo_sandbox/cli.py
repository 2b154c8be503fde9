"""``qbo-sandbox``: serve a local QuickBooks Online API, seed and load companies, issue credentials."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from .config import LimitsConfig, RealismConfig, SandboxConfig, TokenConfig


def _positive_or_off(text: str) -> int | None:
    return None if text.lower() in ("0", "off", "none") else int(text)


def _add_database(p: argparse.ArgumentParser, default: str = "qbo-sandbox.db") -> None:
    p.add_argument("--db", default=default, help=f"SQLite file, or :memory: (default {default})")


def _add_company(p: argparse.ArgumentParser) -> None:
    p.add_argument("--realm", help="realm id of the company (default: a new one, or the first one)")
    p.add_argument("--seed", type=int, help="generate the sample company from this seed number")
    p.add_argument("--size", type=int, help="number of transactions of the sample company (default ~500)")
    p.add_argument("--now", help="the moment the sample company is generated at (ISO-8601; default now)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qbo-sandbox", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the API over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    serve.add_argument("--allow-remote", action="store_true", help="allow binding a non-loopback address")
    _add_database(serve, ":memory:")
    _add_company(serve)
    serve.add_argument(
        "--credentials-file", type=Path, help="write credentials for the company here (mode 0600)"
    )
    serve.add_argument("--requests-per-minute", type=_positive_or_off, default=500)
    serve.add_argument("--concurrent", type=_positive_or_off, default=10)
    serve.add_argument("--batch-per-minute", type=_positive_or_off, default=40)
    serve.add_argument("--batch-items", type=int, default=30)
    serve.add_argument("--time-scale", type=float, default=1.0, help="sandbox seconds per real second")
    serve.add_argument("--latency-per-request", type=float, default=0.0, help="seconds")
    serve.add_argument("--latency-per-row", type=float, default=0.0, help="seconds per entity answered")
    serve.add_argument("--fault-rate", type=float, default=0.0, help="share of requests answered by a fault")
    serve.add_argument("--fault-kinds", default="500,503,429,429-no-retry-after,drop,slow")
    serve.add_argument("--realism-seed", type=int, default=0)
    serve.add_argument("--access-token-ttl", type=float, default=3600.0)
    serve.add_argument("--refresh-token-ttl", type=float, default=100 * 24 * 3600.0)
    serve.add_argument("--no-auth", action="store_true", help="accept API calls without a bearer token")
    serve.add_argument("--log-level", default="warning")

    seed = sub.add_parser("seed", help="generate the sample company into a database")
    _add_database(seed)
    _add_company(seed)

    load = sub.add_parser("load", help="load entity payloads (JSON or JSONL) into a company, keeping Ids")
    _add_database(load)
    load.add_argument("--realm", required=True)
    load.add_argument("--entity", help="the object of bare payloads (Customer, Invoice, ...)")
    load.add_argument("files", nargs="+", type=Path)

    creds = sub.add_parser("credentials", help="create a client app and a company; print credentials as JSON")
    _add_database(creds)
    _add_company(creds)

    return parser


def _config(args: argparse.Namespace) -> SandboxConfig:
    if args.command != "serve":
        return SandboxConfig(database=args.db)
    return SandboxConfig(
        database=args.db,
        limits=LimitsConfig(
            requests_per_minute=args.requests_per_minute,
            concurrent=args.concurrent,
            batch_per_minute=args.batch_per_minute,
            batch_items=args.batch_items,
            time_scale=args.time_scale,
        ),
        realism=RealismConfig(
            latency_per_request=args.latency_per_request,
            latency_per_row=args.latency_per_row,
            fault_rate=args.fault_rate,
            fault_kinds=tuple(k.strip() for k in args.fault_kinds.split(",") if k.strip()),
            seed=args.realism_seed,
        ),
        tokens=TokenConfig(
            access_token_ttl=args.access_token_ttl,
            refresh_token_ttl=args.refresh_token_ttl,
            require_auth=not args.no_auth,
        ),
    )


def _company(sandbox: Any, args: argparse.Namespace) -> tuple[str, dict[str, int]]:
    """The realm to work on: seeded when --seed is given, else the named, first or a new one."""
    from .testing import seed_company

    if args.seed is not None:
        now = datetime.fromisoformat(args.now) if args.now else None
        return seed_company(sandbox, args.realm, seed=args.seed, size=args.size, now=now)
    if args.realm:
        return sandbox.store.create_realm(args.realm), {}
    existing = sandbox.store.realms()
    return (existing[0] if existing else sandbox.store.create_realm()), {}


def write_secret_file(path: Path, data: dict[str, Any]) -> None:
    """Write JSON atomically with mode 0600 (a temporary file in the same folder, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .app import Sandbox
    from .faults import QBOFault
    from .loading import LoadError, read_file
    from .server import NotLoopback, SandboxServer
    from .testing import issue_credentials

    config = _config(args)
    if args.command == "serve":
        try:
            sandbox = Sandbox(config)
            realm, counts = _company(sandbox, args)
            server = SandboxServer(
                sandbox,
                host=args.host,
                port=args.port,
                allow_remote=args.allow_remote,
                log_level=args.log_level,
            )
        except NotLoopback as exc:
            print(f"qbo-sandbox: {exc}", file=sys.stderr)
            return 2
        # The first line of stdout is the URL, so a parent process can read it and go on.
        print(server.url, flush=True)
        if args.credentials_file:
            write_secret_file(
                args.credentials_file, {**issue_credentials(sandbox, realm).as_dict(), "base_url": server.url}
            )
        total = sum(counts.values())
        print(
            f"company {realm}: {total} objects" if total else f"company {realm}", file=sys.stderr, flush=True
        )
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
        return 0

    sandbox = Sandbox(config)
    try:
        if args.command == "seed":
            realm, counts = _company(sandbox, args)
            print(json.dumps({"realm_id": realm, "objects": counts}, indent=2))
        elif args.command == "load":
            realm = sandbox.store.create_realm(args.realm)
            counts = {}
            for path in args.files:
                for name, n in sandbox.service.load(realm, read_file(path, args.entity)).items():
                    counts[name] = counts.get(name, 0) + n
            print(json.dumps({"realm_id": realm, "loaded": counts}, indent=2))
        elif args.command == "credentials":
            realm, _ = _company(sandbox, args)
            print(json.dumps(issue_credentials(sandbox, realm).as_dict(), indent=2))
    except (LoadError, KeyError) as exc:
        print(f"qbo-sandbox: {exc}", file=sys.stderr)
        return 1
    except QBOFault as fault:
        print(f"qbo-sandbox: {fault.code} {fault.message}: {fault.detail}", file=sys.stderr)
        return 1
    finally:
        sandbox.db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
