"""The first refresh token: ``tap-quickbooks auth`` and ``target-quickbooks auth``.

The OAuth 2.0 authorization-code flow as a command: a listener on 127.0.0.1 for the redirect, the
consent URL (printed, and opened in a browser when there is one), a random ``state`` checked on the
way back, then the code traded for tokens that go straight into the token store the tap and the
target read (the same file for the same client id and company), so their next run needs no
``refresh_token`` in its config. Nothing here prints or logs a token or a code.

With a redirect URI that is not on this machine (Intuit's production keys accept only https
addresses) there is no listener: the command asks for the address the browser was sent to.
"""

from __future__ import annotations

import argparse
import contextlib
import hmac
import http.server
import json
import os
import secrets
import sys
import time
import urllib.parse
import webbrowser
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import requests

from . import redact
from .auth import TokenManager
from .config import INTUIT_AUTHORIZE_URL, ClientConfig
from .errors import AuthenticationError, RefreshTokenInvalid, TransientError
from .tokens import TokenStoreError

DEFAULT_PORT = 8765
CALLBACK_PATH = "/callback"
DEFAULT_TIMEOUT = 300.0
#: Settings the command reads (from --config files, then from the plugin's environment variables).
SETTINGS = (
    "client_id",
    "client_secret",
    "refresh_token",
    "realm_id",
    "environment",
    "base_url",
    "token_url",
    "token_store_path",
    "token_store_url",
    "redirect_uri",
    "user_agent",
    "timeout",
)
#: Options of the Singer command that take a value: skipped when finding ``auth`` in the arguments.
_SDK_VALUE_OPTIONS = ("--catalog", "--properties", "--state", "--input")


class AuthorizationError(Exception):
    """The flow did not end with tokens in the store; the message says why and what to do."""


@dataclass
class Authorized:
    """Where the tokens went."""

    realm_id: str
    #: The token store: its file, or its database (password masked) and row.
    store: str
    refresh_expires_at: float


@dataclass
class _Redirect:
    """What came back to the redirect URI."""

    params: dict[str, str]


def consent_base(config: Mapping[str, Any]) -> str:
    """Intuit's consent page, or the one of the API at ``base_url`` (a local qbo-sandbox)."""
    base = str(config.get("base_url") or "")
    return f"{base.rstrip('/')}/connect/oauth2" if base else INTUIT_AUTHORIZE_URL


def _is_loopback(host: str | None) -> bool:
    return (host or "").lower() in ("localhost", "127.0.0.1", "::1", "[::1]")


class _Listener(http.server.HTTPServer):
    """One-shot HTTP server on 127.0.0.1 that keeps the first redirect to the callback path."""

    def __init__(self, port: int, path: str) -> None:
        self.callback_path = path
        self.state = ""  # set once the consent URL is made
        self.redirect: _Redirect | None = None
        super().__init__(("127.0.0.1", port), _Handler)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Listener

    def do_GET(self) -> None:
        parts = urllib.parse.urlsplit(self.path)
        if parts.path != self.server.callback_path or self.server.redirect is not None:
            self._answer(404, "Not found.")
            return
        params = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
        self.server.redirect = _Redirect(params)
        state_ok = hmac.compare_digest(params.get("state", "").encode(), self.server.state.encode())
        if state_ok and params.get("code") and not params.get("error"):
            self._answer(200, "QuickBooks answered. You can close this tab; the terminal shows the result.")
        else:
            self._answer(400, "The connection was not made. The terminal shows why.")

    def _answer(self, status: int, text: str) -> None:
        body = f"<!doctype html><title>QuickBooks connection</title><p>{text}</p>\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the request line carries the authorization code."""


def _browser_available() -> bool:
    """A graphical browser is plausible (on Linux: a display); console browsers would take the terminal."""
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def _check_redirect(params: Mapping[str, str], state: str) -> tuple[str, str]:
    """The code and realm id of a redirect, after checking its state; raises AuthorizationError."""
    if not hmac.compare_digest(params.get("state", "").encode(), state.encode()):
        raise AuthorizationError(
            "the redirect's state does not match the one this command sent: it did not come from the "
            "consent page opened here. Nothing was written; run the command again."
        )
    error = params.get("error")
    if error == "access_denied":
        raise AuthorizationError(
            "access was denied on the consent page (error=access_denied): nothing was written. Run the "
            "command again and choose Connect to allow the app to read and write the company."
        )
    if error:
        detail = params.get("error_description")
        raise AuthorizationError(
            f"QuickBooks answered the consent with error={error}"
            + (f" ({detail})" if detail else "")
            + ": nothing was written."
        )
    code, realm = params.get("code", ""), params.get("realmId", "")
    if not code or not realm:
        raise AuthorizationError(
            "the redirect carried no code or no realmId: nothing was written. Connect a QuickBooks "
            "company (not only sign in) on the consent page."
        )
    redact.protect(code)
    return code, realm


def _exchange(settings: Mapping[str, Any], code: str, realm: str, redirect_uri: str) -> Authorized:
    config = ClientConfig.from_mapping({**settings, "realm_id": realm})
    with requests.Session() as session:
        manager = TokenManager(config, session)
        try:
            tokens = manager.exchange_code(code, redirect_uri)
        except RefreshTokenInvalid as exc:
            raise AuthorizationError(
                "QuickBooks refused the authorization code (invalid_grant): a code works once and for a "
                "few minutes, and redirect_uri must be the one of the consent URL. Nothing was written; "
                "run the command again."
            ) from exc
        except AuthenticationError as exc:
            raise AuthorizationError(f"{exc}. Nothing was written.") from exc
        except TransientError as exc:
            raise AuthorizationError(f"{exc}; nothing was written. Try again in a moment.") from exc
        except TokenStoreError as exc:
            raise AuthorizationError(str(exc)) from exc
    return Authorized(realm, manager.store.location, tokens.refresh_expires_at)


def authorize(
    settings: Mapping[str, Any],
    *,
    port: int = DEFAULT_PORT,
    redirect_uri: str | None = None,
    open_browser: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    out: TextIO | None = None,
    read_line: Callable[[], str] = input,
) -> Authorized:
    """Run the consent and save the tokens; raises :class:`AuthorizationError` with what went wrong.

    ``redirect_uri`` (else the setting, else ``http://localhost:{port}/callback``) must be one of the
    app's redirect URIs. On this machine, the command listens on its port (``port`` 0: a free one,
    only for a server that accepts any loopback redirect, such as qbo-sandbox).
    """
    out = out or sys.stdout
    missing = [key for key in ("client_id", "client_secret") if not settings.get(key)]
    if missing:
        raise AuthorizationError(
            f"missing {' and '.join(missing)}: give them in --config FILE or as environment variables"
        )
    redact.protect(str(settings["client_secret"]))
    redirect_uri = redirect_uri or str(settings.get("redirect_uri") or "") or None
    listener: _Listener | None = None
    if redirect_uri is None or _is_loopback(urllib.parse.urlsplit(redirect_uri).hostname):
        wanted = urllib.parse.urlsplit(redirect_uri) if redirect_uri else None
        try:
            listener = (
                _Listener(wanted.port or 80, wanted.path or "/") if wanted else _Listener(port, CALLBACK_PATH)
            )
        except OSError as exc:
            raise AuthorizationError(
                f"cannot listen on 127.0.0.1 port {wanted.port if wanted else port} for the redirect: "
                f"{exc.strerror}. Choose another with --port (and add it to the app's redirect URIs)."
            ) from exc
        if redirect_uri is None:
            redirect_uri = f"http://localhost:{listener.server_address[1]}{CALLBACK_PATH}"
    state = secrets.token_urlsafe(24)
    if listener is not None:
        listener.state = state
    base_config = ClientConfig(
        client_id=str(settings["client_id"]),
        client_secret=str(settings["client_secret"]),
        refresh_token="",
        realm_id=str(settings.get("realm_id") or ""),
    )
    with requests.Session() as session:
        url, _ = TokenManager(base_config, session).authorize_url(
            redirect_uri, state=state, base=consent_base(settings)
        )
    try:
        print(
            f"Open this address in a browser, sign in to QuickBooks and connect the company:\n\n  {url}\n",
            file=out,
            flush=True,
        )
        if open_browser and _browser_available():
            with contextlib.suppress(webbrowser.Error):
                webbrowser.open(url)
        if listener is None:
            params = _pasted(read_line, out)
        else:
            print(f"Waiting for the redirect to {redirect_uri} ...", file=out, flush=True)
            params = _wait(listener, timeout, redirect_uri)
    finally:
        if listener is not None:
            listener.server_close()
    code, realm = _check_redirect(params, state)
    return _exchange(settings, code, realm, redirect_uri)


def _wait(listener: _Listener, timeout: float, redirect_uri: str) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    listener.timeout = 0.25
    while listener.redirect is None:
        if time.monotonic() >= deadline:
            raise AuthorizationError(
                f"no redirect came back to {redirect_uri} within {timeout:g} seconds: nothing was written. "
                "Run the command again (--timeout gives more time), and check that this address is one "
                "of the app's redirect URIs."
            )
        listener.handle_request()
    return listener.redirect.params


def _pasted(read_line: Callable[[], str], out: TextIO) -> dict[str, str]:
    print(
        "After connecting, the browser goes to the app's redirect URI. Paste that whole address here:",
        file=out,
        flush=True,
    )
    try:
        line = read_line().strip()
    except EOFError:
        line = ""
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(line).query, keep_blank_values=True))


# -- the command ------------------------------------------------------------------------------------


def load_settings(
    paths: Sequence[str], env_prefix: str, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Settings from JSON files (later files win), then ``{env_prefix}{NAME}`` variables for the rest.

    A path ``ENV`` is accepted (and ignored) as the Singer command accepts it: the environment is
    always read. Meltano sets these variables when it runs a plugin command.
    """
    environ = os.environ if environ is None else environ
    settings: dict[str, Any] = {}
    for path in paths:
        if path == "ENV":
            continue
        try:
            loaded = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise AuthorizationError(f"cannot read the config file {path}: {exc.strerror}") from exc
        except ValueError as exc:
            raise AuthorizationError(f"the config file {path} is not valid JSON") from exc
        if not isinstance(loaded, dict):
            raise AuthorizationError(f"the config file {path} does not hold a JSON object")
        settings.update({k: v for k, v in loaded.items() if v not in (None, "")})
    for key in SETTINGS:
        value = environ.get(f"{env_prefix}{key.upper()}")
        if key not in settings and value:
            settings[key] = value
    return settings


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Connect a QuickBooks Online company: run the OAuth consent and save the first tokens in the "
            "token store the tap and the target read."
        ),
    )
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="FILE",
        help="JSON settings: client_id, client_secret, optional base_url, environment, token_store_path, "
        "redirect_uri (repeatable; 'ENV' or no file: environment variables)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port of the redirect listener on 127.0.0.1 (default {DEFAULT_PORT}; 0: a free port)",
    )
    parser.add_argument(
        "--redirect-uri",
        help="the redirect URI registered in the app (default http://localhost:PORT/callback); "
        "not on this machine: paste the address the browser lands on",
    )
    parser.add_argument("--no-browser", action="store_true", help="print the consent address only")
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"seconds to wait for the redirect (default {DEFAULT_TIMEOUT:g})",
    )
    return parser


def main(argv: Sequence[str], plugin: str, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """``{plugin} auth``: the exit status (0: tokens saved; 1: not; 2: bad arguments)."""
    out, err = out or sys.stdout, err or sys.stderr
    args = _parser(f"{plugin} auth").parse_args(list(argv))
    prefix = plugin.upper().replace("-", "_") + "_"
    try:
        settings = load_settings(args.config, prefix)
        result = authorize(
            settings,
            port=args.port,
            redirect_uri=args.redirect_uri,
            open_browser=not args.no_browser,
            timeout=args.timeout,
            out=out,
        )
    except AuthorizationError as exc:
        print(f"{plugin} auth: {exc}", file=err, flush=True)
        return 1
    except KeyboardInterrupt:
        print(f"{plugin} auth: cancelled; nothing was written.", file=err, flush=True)
        return 130
    days = max(0.0, result.refresh_expires_at - time.time()) / 86400
    print(f"Connected company (realm_id) {result.realm_id}.", file=out)
    mode = "" if settings.get("token_store_url") else " (mode 0600)"
    print(f"Tokens saved to {result.store}{mode}.", file=out)
    if days:
        print(f"The refresh token is good for {days:.0f} days from its last use.", file=out)
    configured = str(settings.get("realm_id") or "")
    if configured and configured != result.realm_id:
        print(
            f"Note: the config's realm_id is {configured}; set it to {result.realm_id} to use this company.",
            file=out,
        )
    print(
        f"tap-quickbooks and target-quickbooks use these tokens when their config has this client_id and "
        f"realm_id {result.realm_id}"
        + (" and the same token_store_path" if settings.get("token_store_path") else "")
        + "; no refresh_token is needed in the config.",
        file=out,
        flush=True,
    )
    return 0


def auth_arguments(argv: Sequence[str]) -> list[str] | None:
    """The ``auth`` command's arguments if ``argv`` asks for it, else None (the Singer command runs).

    ``auth`` is the first argument, or follows the options Meltano puts first when it invokes a tap
    (``meltano invoke tap-quickbooks auth`` runs ``tap-quickbooks --config F --catalog C auth``);
    the ``--config`` files are kept for the auth command.
    """
    configs: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "auth":
            return [*configs, *argv[i + 1 :]]
        if arg == "--config" and i + 1 < len(argv):
            configs += ["--config", argv[i + 1]]
            i += 2
        elif arg.startswith("--config="):
            configs.append(arg)
            i += 1
        elif arg in _SDK_VALUE_OPTIONS and i + 1 < len(argv):
            i += 2
        elif arg.startswith(tuple(f"{o}=" for o in _SDK_VALUE_OPTIONS)):
            i += 1
        else:
            return None
    return None


def dispatch(plugin: str, singer_command: Callable[[], Any], argv: Sequence[str] | None = None) -> None:
    """Run ``{plugin} auth`` when asked for, else the plugin's Singer command (which exits itself)."""
    args = auth_arguments(list(sys.argv[1:] if argv is None else argv))
    if args is None:
        singer_command()
        return
    sys.exit(main(args, plugin))


__all__ = ["AuthorizationError", "Authorized", "auth_arguments", "authorize", "dispatch", "main"]
