"""``qbd-sandbox``: answer qbXML from an emulated QuickBooks Desktop company file, or seed one.

    qbd-sandbox qbxml --company books.db < request.xml > response.xml
    qbd-sandbox seed --company books.db --seed 7 --size 2000
    QBD_CONNECTOR_PASSWORD=... qbd-sandbox connector --qwc acme.qwc --company books.db --once

A user mistake (a missing company file, a bad date) is one line on stderr and exit status 2; a qbXML
document QuickBooks would refuse prints its HRESULT and message on stderr and exits 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from qbd_client.errors import RequestRefused

DEFAULT_TZ = "America/Los_Angeles"


class UserError(Exception):
    """A mistake in the command line: reported in one line, exit status 2."""


def _company(path: str, tz: str, *, must_exist: bool) -> Any:
    from .company import Company, CompanyConfig

    if must_exist and not Path(path).is_file():
        raise UserError(
            f"company file {path} does not exist: create it with `qbd-sandbox seed --company {path}`"
        )
    if not Path(path).parent.is_dir():
        raise UserError(f"the directory of {path} does not exist: create it first")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"--tz {tz!r} is not a time zone name (e.g. {DEFAULT_TZ})") from None
    try:
        return Company(path, CompanyConfig(tz=tz))
    except sqlite3.DatabaseError as exc:
        raise UserError(f"{path} is not a company file ({exc}): give the SQLite file of a company") from None


def cmd_qbxml(args: argparse.Namespace) -> int:
    company = _company(args.company, args.tz, must_exist=True)
    try:
        request = sys.stdin.buffer.read()
        try:
            response = company.process(request, args.session)
        except RequestRefused as refused:
            print(f"{refused.code}: {refused.message}", file=sys.stderr)
            return 1
        sys.stdout.buffer.write(response)
        if not response.endswith(b"\n"):
            sys.stdout.buffer.write(b"\n")
        sys.stdout.buffer.flush()
    finally:
        company.end_session(args.session)
        company.close()
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    now = None
    if args.now:
        try:
            now = datetime.fromisoformat(args.now)
        except ValueError:
            raise UserError(
                f"--now {args.now!r} is not an ISO date-time (e.g. 2024-06-30T17:00:00-07:00)"
            ) from None
        if now.tzinfo is None:
            now = now.replace(tzinfo=ZoneInfo(args.tz))
    if args.size is not None and args.size < 0:
        raise UserError("--size must be a positive number of transactions")
    try:
        from .sample import seed_company
    except ImportError as exc:
        raise UserError(f"the sample company generator is not available: {exc}") from None
    company = _company(args.company, args.tz, must_exist=False)
    try:
        if company.count("Account") or company.count("Customer"):
            raise UserError(f"company file {args.company} already has records: seed a new file")
        counts = seed_company(company, seed=args.seed, size=args.size, now=now)
    finally:
        company.close()
    print(json.dumps(counts, sort_keys=True))
    return 0


def cmd_connector(args: argparse.Namespace) -> int:
    """Play the Web Connector for one .qwc against the bridge, with a company file as QuickBooks."""
    from .faults import ConnectorFaults, FaultSpecError
    from .qwc import QwcError
    from .webconnector import PASSWORD_ENV, WebConnector, read_password

    if args.every is not None and args.every <= 0:
        raise UserError(f"--every {args.every:g}: give a number of seconds above 0")
    try:
        password = read_password(args.password_file)
        faults = ConnectorFaults.parse(args.faults)
    except (ValueError, FaultSpecError) as exc:
        raise UserError(str(exc)) from None
    if password is None:
        raise UserError(
            f"no QBWC password: give --password-file FILE or set {PASSWORD_ENV} "
            "(the password `qbd-bridge company add` printed)"
        )
    company = _company(args.company, args.tz, must_exist=True)
    try:
        try:
            connector = WebConnector(args.qwc, password, company, faults, noop_wait=args.noop_wait)
        except (QwcError, ValueError) as exc:
            raise UserError(str(exc)) from None
        with connector:

            def show(report: Any) -> None:
                print(
                    f"{datetime.now().astimezone().isoformat(timespec='seconds')} {report.summary()}",
                    flush=True,
                )

            if args.once or (args.every is None and connector.qwc.run_every_seconds is None):
                report = connector.run_session()
                show(report)
                return 0 if report.ok else 1
            connector.run(schedule=args.every, on_session=show)
    finally:
        company.close()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qbd-sandbox",
        description="An emulated QuickBooks Desktop company file (qbXML over SQLite) and its tools.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    qbxml = commands.add_parser(
        "qbxml",
        help="answer one qbXML request document (stdin) with its response document (stdout)",
        description="Read a qbXML request document on stdin and print QuickBooks' response document.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    qbxml.add_argument("--company", required=True, help="the company's SQLite file (must exist)")
    qbxml.add_argument("--tz", default=DEFAULT_TZ, help="the company machine's time zone")
    qbxml.add_argument("--session", default="cli", help="the session (iterators live as long as it)")
    qbxml.set_defaults(func=cmd_qbxml)

    seed = commands.add_parser(
        "seed",
        help="fill a new company file with the sample company",
        description="Create a company file and fill it with a believable year of sample books.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    seed.add_argument("--company", required=True, help="the company's SQLite file (created)")
    seed.add_argument("--seed", type=int, default=1, help="random seed: the same seed gives the same company")
    seed.add_argument(
        "--size", type=int, default=None, help="about this many transactions (default: about a thousand)"
    )
    seed.add_argument("--now", default=None, help="ISO date-time the history ends at (default: now)")
    seed.add_argument("--tz", default=DEFAULT_TZ, help="the company machine's time zone")
    seed.set_defaults(func=cmd_seed)

    connector = commands.add_parser(
        "connector",
        help="play the QuickBooks Web Connector of a .qwc against the bridge, with a company file",
        description="Run Web Connector updates (SOAP over HTTP) against the service the .qwc names, "
        "relaying its qbXML to the company file; one line per update.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    connector.add_argument(
        "--qwc", required=True, help="the application's .qwc file (`qbd-bridge company add`)"
    )
    connector.add_argument(
        "--password-file", help="a file holding the QBWC password; without it, $QBD_CONNECTOR_PASSWORD"
    )
    connector.add_argument("--company", required=True, help="the company's SQLite file (must exist)")
    when = connector.add_mutually_exclusive_group()
    when.add_argument("--once", action="store_true", help="one update, then exit (exit 1 if it failed)")
    when.add_argument(
        "--every",
        type=float,
        metavar="SECONDS",
        help="an update every SECONDS; without it, the .qwc's Scheduler (or one update)",
    )
    connector.add_argument("--faults", default="", help="faults to play, e.g. seed=1,drop=0.1,busy=0.05")
    connector.add_argument("--noop-wait", type=float, default=5.0, help="seconds QBWC waits after NoOp")
    connector.add_argument("--tz", default=DEFAULT_TZ, help="the company machine's time zone")
    connector.set_defaults(func=cmd_connector)
    return parser


def _fail(message: str) -> NoReturn:
    print(f"qbd-sandbox: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``qbd-sandbox`` command."""
    args = build_parser().parse_args(argv)
    try:
        result: int = args.func(args)
    except UserError as error:
        _fail(str(error))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``| head``): say nothing more, like other command-line tools.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return result


if __name__ == "__main__":
    raise SystemExit(main())
