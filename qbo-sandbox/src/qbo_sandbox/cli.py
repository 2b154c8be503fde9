"""``qbo-sandbox``: serve a local QuickBooks Online API, seed and load companies, issue credentials."""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import signal
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from .config import LimitsConfig, RealismConfig, SandboxConfig, TokenConfig

if TYPE_CHECKING:
    from .app import Sandbox
    from .server import SandboxServer

#: The sample company ``seed`` generates when no ``--seed`` is given.
DEFAULT_SEED = 1


class Parser(argparse.ArgumentParser):
    """An argument parser whose mistakes are one line on stderr, exit status 2 (not usage plus error)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _positive_or_off(text: str) -> int | None:
    if text.lower() in ("0", "off", "none"):
        return None
    return _at_least(1)(text)


def _at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {value}")
        return value

    parse.__name__ = "number"  # what argparse names the type in its own messages
    return parse


def _size(text: str) -> int:
    from .sample_company import MIN_SIZE

    value = _at_least(-sys.maxsize)(text)
    if value < MIN_SIZE:
        raise argparse.ArgumentTypeError(
            f"must be at least {MIN_SIZE} (one transaction of each type), not {value}"
        )
    return value


def _port(text: str) -> int:
    value = _at_least(0)(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"must be at most 65535, not {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value >= 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text}")
    return value


def _positive(text: str) -> float:
    value = _seconds(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def _share(text: str) -> float:
    value = _seconds(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"is a share of requests, between 0 and 1, not {text}")
    return value


def _moment(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO-8601 moment (2026-03-31T12:00:00)"
        ) from None


def _fault_kinds(text: str) -> tuple[str, ...]:
    from .limits import FAULT_KINDS

    kinds = tuple(k.strip() for k in text.split(",") if k.strip())
    unknown = [k for k in kinds if k not in FAULT_KINDS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown fault kind(s) {', '.join(unknown)}: choose among {', '.join(sorted(FAULT_KINDS))}"
        )
    return kinds


def _add_database(p: argparse.ArgumentParser, default: str = "qbo-sandbox.db") -> None:
    p.add_argument(
        "--db", metavar="FILE", default=default, help=f"SQLite file, or :memory: (default {default})"
    )


def _add_company(p: argparse.ArgumentParser, seed_help: str) -> None:
    p.add_argument(
        "--realm", metavar="ID", help="realm id of the company (default: a new one, or the first one)"
    )
    p.add_argument("--seed", metavar="N", type=int, help=seed_help)
    p.add_argument(
        "--size",
        metavar="N",
        type=_size,
        help="transactions of the sample company (default about 500; at least one of each type)",
    )
    p.add_argument(
        "--now",
        metavar="TIME",
        type=_moment,
        help="the moment the sample company is generated at (ISO-8601; default now)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="qbo-sandbox", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    serve = sub.add_parser("serve", help="serve the API over HTTP", description="Serve the API over HTTP.")
    serve.add_argument(
        "--host", metavar="ADDRESS", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument(
        "--port",
        metavar="N",
        type=_port,
        default=8080,
        help="port to listen on (default 8080; 0: a free one)",
    )
    serve.add_argument(
        "--allow-remote", action="store_true", help="allow binding an address other than loopback"
    )
    _add_database(serve, ":memory:")
    _add_company(serve, "generate the sample company from this seed number (default: an empty company)")
    serve.add_argument(
        "--credentials-file",
        metavar="FILE",
        type=Path,
        help="write credentials for the company here (mode 0600)",
    )
    limits = serve.add_argument_group("QuickBooks' limits, per company ('off' disables one)")
    limits.add_argument(
        "--requests-per-minute",
        metavar="N",
        type=_positive_or_off,
        default=500,
        help="API requests a minute; over it: HTTP 429, fault 3001 (default 500)",
    )
    limits.add_argument(
        "--concurrent",
        metavar="N",
        type=_positive_or_off,
        default=10,
        help="requests in flight at once (default 10)",
    )
    limits.add_argument(
        "--batch-per-minute",
        metavar="N",
        type=_positive_or_off,
        default=40,
        help="batch requests a minute (default 40)",
    )
    limits.add_argument(
        "--batch-items",
        metavar="N",
        type=_at_least(1),
        default=30,
        help="items per batch request (default 30)",
    )
    limits.add_argument(
        "--time-scale",
        metavar="X",
        type=_positive,
        default=1.0,
        help="sandbox seconds per real second, for limit windows and token lifetimes (default 1)",
    )
    realism = serve.add_argument_group("realism (all off by default, deterministic under --realism-seed)")
    realism.add_argument(
        "--latency-per-request",
        metavar="SECONDS",
        type=_seconds,
        default=0.0,
        help="seconds added to each answer (default 0)",
    )
    realism.add_argument(
        "--latency-per-row",
        metavar="SECONDS",
        type=_seconds,
        default=0.0,
        help="seconds added per entity answered (default 0)",
    )
    realism.add_argument(
        "--fault-rate",
        metavar="X",
        type=_share,
        default=0.0,
        help="share of API requests answered by an injected fault, 0 to 1 (default 0)",
    )
    realism.add_argument(
        "--fault-kinds",
        metavar="KINDS",
        type=_fault_kinds,
        default="500,503,429,429-no-retry-after,drop,slow",
        help="comma-separated faults to draw from: 500, 503, 429, 429-no-retry-after, drop, slow, 401 "
        "(default all but 401)",
    )
    realism.add_argument(
        "--realism-seed",
        metavar="N",
        type=int,
        default=0,
        help="seed of the latency and fault draws (default 0)",
    )
    tokens = serve.add_argument_group("OAuth")
    tokens.add_argument(
        "--access-token-ttl",
        metavar="SECONDS",
        type=_positive,
        default=3600.0,
        help="access token lifetime, seconds (default 3600)",
    )
    tokens.add_argument(
        "--refresh-token-ttl",
        metavar="SECONDS",
        type=_positive,
        default=100 * 24 * 3600.0,
        help="refresh token lifetime, seconds (default 8640000: 100 days); refresh tokens rotate on use",
    )
    tokens.add_argument("--no-auth", action="store_true", help="accept API calls without a bearer token")
    serve.add_argument(
        "--log-level",
        default="warning",
        type=str.lower,
        choices=["critical", "error", "warning", "info", "debug", "trace"],
        help="uvicorn's log level (default warning)",
    )

    seed = sub.add_parser(
        "seed",
        help="generate the sample company into a database",
        description="Generate the sample company into a database file.",
    )
    _add_database(seed)
    _add_company(seed, f"seed number of the sample company (default {DEFAULT_SEED})")

    load = sub.add_parser(
        "load",
        help="load entity payloads (JSON or JSONL) into a company, keeping Ids",
        description=(
            "Load entity payloads (JSON or JSONL) into a company, keeping them as given: their Ids, "
            "SyncTokens, MetaData, balances and references to objects that are not loaded. The ledger "
            "posts what it can (a line whose item or account is not in the company is not posted, said "
            "on stderr); loaded balances are opening figures that later API writes move."
        ),
    )
    _add_database(load)
    load.add_argument(
        "--realm", metavar="ID", required=True, help="realm id of the company (created when new)"
    )
    load.add_argument(
        "--entity", metavar="OBJECT", help="the object of bare payloads (Customer, Invoice, ...)"
    )
    load.add_argument(
        "--recompute-balances",
        action="store_true",
        help="answer balances from the loaded records instead of as loaded: Account.CurrentBalance from "
        "the ledger's postings, Invoice and Bill Balance less the payments applied, Customer and Vendor "
        "Balance from their open documents",
    )
    load.add_argument("files", metavar="FILE", nargs="+", type=Path, help="JSON or JSONL files")

    creds = sub.add_parser(
        "credentials",
        help="create a client app and a company; print credentials as JSON",
        description="Create a client app (and a company) and print its credentials as JSON.",
    )
    _add_database(creds)
    _add_company(creds, "generate the sample company from this seed number (default: an empty company)")

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
            fault_kinds=args.fault_kinds,
            seed=args.realism_seed,
        ),
        tokens=TokenConfig(
            access_token_ttl=args.access_token_ttl,
            refresh_token_ttl=args.refresh_token_ttl,
            require_auth=not args.no_auth,
        ),
    )


def _company(sandbox: Sandbox, args: argparse.Namespace) -> tuple[str, dict[str, int]]:
    """The realm to work on: seeded when --seed is given, else the named, first or a new one."""
    from .testing import seed_company

    if args.seed is not None:
        return seed_company(sandbox, args.realm, seed=args.seed, size=args.size, now=args.now)
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


class Stop(Exception):
    """Bad input found while running a command: one line on stderr, exit status 2."""


def _open(config: SandboxConfig) -> Sandbox:
    import sqlite3

    from .app import Sandbox

    try:
        return Sandbox(config)
    except sqlite3.Error as exc:
        raise Stop(f"cannot open the database {config.database} ({exc}): check --db") from None


def _bind(sandbox: Sandbox, args: argparse.Namespace) -> SandboxServer:
    from .server import NotLoopback, SandboxServer

    try:
        return SandboxServer(
            sandbox, host=args.host, port=args.port, allow_remote=args.allow_remote, log_level=args.log_level
        )
    except NotLoopback as exc:
        raise Stop(str(exc)) from None
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise Stop(
                f"port {args.port} on {args.host} is already in use: stop what listens there, or choose "
                "another --port (0 picks a free one)"
            ) from None
        raise Stop(
            f"cannot listen on {args.host} port {args.port} ({exc.strerror}): check --host and --port"
        ) from None


def _serve(args: argparse.Namespace) -> int:
    from .testing import issue_credentials

    sandbox = _open(_config(args))
    # Listen first: a busy port is reported before the sample company is generated, not after.
    server = _bind(sandbox, args)
    realm, counts = _company(sandbox, args)
    if args.credentials_file:
        try:
            write_secret_file(
                args.credentials_file, {**issue_credentials(sandbox, realm).as_dict(), "base_url": server.url}
            )
        except OSError as exc:
            raise Stop(
                f"cannot write the credentials file {args.credentials_file} ({exc.strerror}): "
                "check --credentials-file"
            ) from None
    # The first line of stdout is the URL, so a parent process can read it and go on.
    print(server.url, flush=True)
    total = sum(counts.values())
    print(f"company {realm}: {total} objects" if total else f"company {realm}", file=sys.stderr, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


#: How many of a load's "not posted" notes stderr shows (the rest are counted).
_NOTES_SHOWN = 20


def _readable(paths: Sequence[Path]) -> None:
    """Every file to load can be read, checked before anything is loaded."""
    for path in paths:
        if not path.is_file():
            why = "is a folder" if path.is_dir() else "does not exist"
            raise Stop(f"the file {path} {why}: give JSON or JSONL files to load")
        if not os.access(path, os.R_OK):
            raise Stop(f"the file {path} cannot be read (permission denied)")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(args)
        return _run(args)
    except Stop as exc:
        print(f"qbo-sandbox {args.command}: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    """``seed``, ``load`` and ``credentials``: work on a database file, print JSON."""
    from .faults import QBOFault
    from .loading import LoadError, read_file
    from .testing import issue_credentials

    if args.command == "load":
        _readable(args.files)
    sandbox = _open(_config(args))
    if args.command == "seed" and args.seed is None:
        args.seed = DEFAULT_SEED
        print(
            f"qbo-sandbox seed: no --seed given: generating the sample company from seed {DEFAULT_SEED}",
            file=sys.stderr,
        )
    try:
        if args.command == "seed":
            realm, counts = _company(sandbox, args)
            print(json.dumps({"realm_id": realm, "objects": counts}, indent=2))
        elif args.command == "load":
            realm = sandbox.store.create_realm(args.realm)
            skipped: list[str] = []
            # One load of every file: all or nothing, and balances kept as of the whole load.
            items = (item for path in args.files for item in read_file(path, args.entity))
            counts = sandbox.service.loader.load(
                realm, items, balances="recompute" if args.recompute_balances else "loaded", skipped=skipped
            )
            print(json.dumps({"realm_id": realm, "loaded": counts}, indent=2))
            for note in skipped[:_NOTES_SHOWN]:
                print(f"qbo-sandbox load: {note} (the record is kept as given)", file=sys.stderr)
            if len(skipped) > _NOTES_SHOWN:
                print(
                    f"qbo-sandbox load: {len(skipped) - _NOTES_SHOWN} more lines not posted", file=sys.stderr
                )
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
