"""``qbd-bridge``: serve the Web Connector's SOAP service and the plugins' API; add companies and tokens."""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .config import BridgeConfig

if TYPE_CHECKING:
    from .store import Database

DB_ENV = "QBD_BRIDGE_DB"
URL_ENV = "QBD_BRIDGE_URL"
TOKEN_ENV = "QBD_BRIDGE_TOKEN"  # noqa: S105 (the name of a variable, not a secret)


class UserError(Exception):
    """A mistake of the user: one line on stderr, exit status 2."""


def _add_database(p: argparse.ArgumentParser) -> None:
    default = os.environ.get(DB_ENV)
    p.add_argument(
        "--db",
        default=default,
        required=default is None,
        type=Path,
        help=f"the bridge's SQLite file (default: ${DB_ENV})",
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} must be 1 or more")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qbd-bridge", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the QBWC SOAP endpoint, the AppSupport page and the JSON API")
    _add_database(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument(
        "--port", type=int, default=8080, help="0 picks a free port (the URL is stdout's first line)"
    )
    serve.add_argument("--allow-remote", action="store_true", help="allow binding a non-loopback address")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    serve.add_argument(
        "--session-timeout", type=float, default=BridgeConfig.session_idle_timeout, help="seconds"
    )
    serve.add_argument(
        "--producer-timeout", type=float, default=BridgeConfig.producer_timeout, help="seconds"
    )
    serve.add_argument(
        "--retention-days",
        type=float,
        default=BridgeConfig.retention_days,
        help="finished jobs and their responses are deleted after this many days",
    )
    serve.add_argument(
        "--max-body-mb", type=float, default=BridgeConfig.max_body_bytes / 2**20, help="largest request body"
    )

    company = sub.add_parser("company", help="companies (one per QuickBooks company file)")
    company_sub = company.add_subparsers(dest="action", required=True)
    add = company_sub.add_parser(
        "add", help="add a company; prints its QBWC password once and writes its .qwc"
    )
    add.add_argument("name")
    add.add_argument("--url", required=True, help="the AppURL QBWC calls, e.g. https://your.host/qbwc")
    add.add_argument("--qwc-out", type=Path, help="where to write the .qwc (default: ./NAME.qwc)")
    add.add_argument("--run-every-minutes", type=_positive_int, help="QBWC's schedule for this company")
    _add_database(add)
    listing = company_sub.add_parser("list", help="list the companies")
    _add_database(listing)
    qwc = company_sub.add_parser("qwc", help="write a company's .qwc again")
    qwc.add_argument("name")
    qwc.add_argument("--url", help="the AppURL (default: the one given to `company add`)")
    qwc.add_argument("--qwc-out", type=Path)
    qwc.add_argument("--run-every-minutes", type=_positive_int)
    _add_database(qwc)
    reset = company_sub.add_parser("reset-password", help="give a company a new QBWC password (printed once)")
    reset.add_argument("name")
    _add_database(reset)

    token = sub.add_parser("token", help="API tokens for the tap and the target")
    token_sub = token.add_subparsers(dest="action", required=True)
    create = token_sub.add_parser("create", help="create an API token (printed once)")
    create.add_argument("--label", default="", help="a note saying who uses it")
    _add_database(create)

    status = sub.add_parser("status", help="when QBWC last called, open sessions, queue depth, last error")
    status.add_argument("name", nargs="?")
    status.add_argument("--json", action="store_true", help="print JSON")
    _add_database(status)

    request = sub.add_parser(
        "request",
        help="queue a qbXML request document (stdin) for a company through the API and print "
        "QuickBooks' answers as the Web Connector brings them",
    )
    request.add_argument("name", help="the company")
    request.add_argument(
        "--url",
        default=os.environ.get(URL_ENV, "http://127.0.0.1:8080"),
        help=f"the bridge's address (default: ${URL_ENV} or http://127.0.0.1:8080)",
    )
    request.add_argument(
        "--token-file", type=Path, help=f"a file holding an API token (default: ${TOKEN_ENV})"
    )
    request.add_argument(
        "--wait",
        type=float,
        default=300.0,
        help="seconds to wait for the Web Connector to call before giving up (the job stays queued)",
    )
    return parser


def _open(path: Path, *, create: bool) -> Database:
    from .store import Database

    return Database(path, create=create)


def _write_qwc(
    company_name: str, db_path: Path, url: str | None, out: Path | None, every: int | None
) -> Path:
    from . import qwc
    from .store import Companies

    db = _open(db_path, create=False)
    try:
        company = Companies(db).get(company_name)
        app_url = qwc.check_url(url) if url else company.app_url
        if not app_url:
            raise UserError(f"company {company_name} has no AppURL: give --url https://your.host/qbwc")
        target = out or Path(f"{company.name}.qwc")
        if not target.parent.is_dir():
            raise UserError(f"the folder of --qwc-out {target} does not exist: create it first")
        qwc.write_atomically(target, qwc.build(company, app_url, run_every_minutes=every))
        return target
    finally:
        db.close()


def _serve(args: argparse.Namespace) -> int:
    from .app import Bridge
    from .server import BridgeServer, NotLoopback
    from .store import StoreError

    config = BridgeConfig(
        database=args.db,
        session_idle_timeout=args.session_timeout,
        producer_timeout=args.producer_timeout,
        retention_days=args.retention_days,
        max_body_bytes=int(args.max_body_mb * 2**20),
    )
    try:
        bridge = Bridge(config)
    except StoreError as exc:
        raise UserError(str(exc)) from None
    try:
        server = BridgeServer(
            bridge, host=args.host, port=args.port, allow_remote=args.allow_remote, log_level="warning"
        )
    except NotLoopback as exc:
        bridge.close()
        raise UserError(str(exc)) from None
    except OSError as exc:
        bridge.close()
        reason = (
            "the address is already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        )
        raise UserError(f"cannot listen on {args.host}:{args.port}: {reason}") from None
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # The first line of stdout is the URL, so a parent process can read it and go on.
    print(server.url, flush=True)
    print(f"qbd-bridge: QBWC endpoint {server.url}/qbwc, database {args.db}", file=sys.stderr, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    finally:
        bridge.close()
    return 0


def _status_line(status: dict[str, object]) -> str:
    parts = [f"{status['company']}: QBWC last called {status['last_call']}"]
    session = status.get("session")
    if isinstance(session, dict):
        parts.append(f"session open since {session['opened_at']} (qbXML {session['qbxml_version'] or '?'})")
    parts.append(f"{status['queue_depth']} message sets queued in {status['jobs_active']} jobs")
    if status.get("product"):
        parts.append(f"{status['product']}")
    if status.get("last_error"):
        parts.append(f"last error {status['last_error_at']}: {status['last_error']}")
    return "; ".join(parts)


def _run(args: argparse.Namespace) -> int:
    from . import qwc
    from .store import Companies, StoreError, Tokens

    if args.command == "serve":
        return _serve(args)
    if args.command == "request":
        return _request(args)
    try:
        if args.command == "company" and args.action == "add":
            app_url = qwc.check_url(args.url)
            out = args.qwc_out or Path(f"{args.name}.qwc")
            if not out.parent.is_dir():
                raise UserError(f"the folder of --qwc-out {out} does not exist: create it first")
            db = _open(args.db, create=True)
            try:
                company, password = Companies(db).add(
                    args.name, app_url=app_url, run_every_minutes=args.run_every_minutes
                )
            finally:
                db.close()
            path = _write_qwc(company.name, args.db, None, out, args.run_every_minutes)
            print(password, flush=True)
            print(
                f"qbd-bridge: company {company.name} added; .qwc written to {path}. The line above is its "
                "QBWC password, shown this once: the Web Connector asks for it when you add the .qwc file.",
                file=sys.stderr,
            )
            return 0
        if args.command == "company" and args.action == "qwc":
            path = _write_qwc(args.name, args.db, args.url, args.qwc_out, args.run_every_minutes)
            print(f"qbd-bridge: .qwc of {args.name} written to {path}", file=sys.stderr)
            return 0
        db = _open(args.db, create=args.command == "token")
        try:
            if args.command == "company" and args.action == "list":
                for company in Companies(db).all():
                    print(
                        "\t".join(
                            (
                                company.name,
                                f"user {company.username}",
                                f"FileID {company.file_id}",
                                company.app_url,
                            )
                        )
                    )
            elif args.command == "company" and args.action == "reset-password":
                print(Companies(db).reset_password(args.name), flush=True)
                print(
                    f"qbd-bridge: the line above is the new QBWC password of {args.name}, shown this once: "
                    "enter it in the Web Connector",
                    file=sys.stderr,
                )
            elif args.command == "token":
                print(Tokens(db).create(args.label), flush=True)
                print("qbd-bridge: the line above is a new API token, shown this once", file=sys.stderr)
            elif args.command == "status":
                return _print_status(db, args)
        finally:
            db.close()
    except (StoreError, qwc.QwcError) as exc:
        raise UserError(str(exc)) from None
    return 0


def _token(args: argparse.Namespace) -> str:
    if args.token_file is not None:
        try:
            token = args.token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UserError(f"cannot read --token-file {args.token_file}: {exc.strerror or exc}") from None
    else:
        token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise UserError(f"no API token: give --token-file or set ${TOKEN_ENV} (`qbd-bridge token create`)")
    return token


def _request(args: argparse.Namespace) -> int:
    """Queue stdin's qbXML for a company and print each answer document as it comes back."""
    from qbd_client.client import BridgeAuthError, BridgeClient, BridgeError, QBWCNotCalling
    from qbd_client.errors import QBDError

    document = sys.stdin.buffer.read()
    if not document.strip():
        raise UserError("no qbXML request on standard input")
    client = BridgeClient(args.url, _token(args), args.name)
    try:
        job = client.submit([document], label="qbd-bridge request")
        print(f"qbd-bridge: job {job} queued for {args.name}; waiting for the Web Connector", file=sys.stderr)
        for item in client.responses(job, wait_for_qbwc=args.wait, raise_errors=False):
            if item.error is not None:
                print(f"qbd-bridge: {item.error}", file=sys.stderr)
                return 1
            sys.stdout.write((item.raw or "").rstrip() + "\n")
            sys.stdout.flush()
    except QBWCNotCalling as exc:
        print(f"qbd-bridge: {exc} (the job stays queued)", file=sys.stderr)
        return 1
    except BridgeAuthError as exc:
        raise UserError(f"{exc}: check the API token") from None
    except (BridgeError, QBDError) as exc:
        raise UserError(str(exc)) from None
    return 0


def _print_status(db: Database, args: argparse.Namespace) -> int:
    from .jobs import ApiError, Signals
    from .passwords import LoginThrottle
    from .qbwc import Conversation
    from .store import Companies

    config = BridgeConfig(database=args.db)
    talk = Conversation(db, config, Signals(), LoginThrottle(1, 1.0, 1.0))
    names = [args.name] if args.name else [c.name for c in Companies(db).all()]
    try:
        # Read only: the running service decides when its sessions have gone idle.
        statuses = [talk.company_status(name, expire=False) for name in names]
    except ApiError as exc:
        raise UserError(exc.message) from None
    if args.json:
        print(json.dumps(statuses if not args.name else statuses[0], indent=2))
    elif not statuses:
        print("no companies: add one with `qbd-bridge company add NAME --url https://your.host/qbwc`")
    else:
        for status in statuses:
            print(_status_line(status))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except UserError as exc:
        print(f"qbd-bridge: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
