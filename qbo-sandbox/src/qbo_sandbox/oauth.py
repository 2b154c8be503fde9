"""OAuth 2.0 as Intuit runs it: client apps, authorization codes, rotating refresh tokens, bearer tokens.

Only sha256 hashes of secrets, codes and tokens are stored, and nothing here logs any of them.
Times are the injectable ``clock`` (wall seconds, so a file database outlives a restart); lifetimes
are the sandbox's seconds of :class:`TokenConfig`, divided by ``time_scale`` to get real seconds,
while the answers report them unscaled (``expires_in`` is 3600 however fast the sandbox runs).

All tokens of one authorization belong to a *grant*: rotation makes a new refresh token of the same
grant, and revoking any token of a grant revokes all of them.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import ipaddress
import json
import re
import secrets
import string
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from .config import SandboxConfig, TokenConfig
from .db import Database
from .faults import auth_body

ACCOUNTING_SCOPE = "com.intuit.quickbooks.accounting"
TOKEN_PATH = "/oauth2/v1/tokens/bearer"  # noqa: S105 (a path, not a password)
AUTHORIZE_PATH = "/connect/oauth2"
REVOKE_PATH = "/oauth2/v1/tokens/revoke"
WWW_AUTHENTICATE = 'Bearer realm="Intuit", error="invalid_token"'
HARD_EXPIRY_HEADER = "x-include-refresh-token-hard-expires-in"

_ALNUM = string.ascii_letters + string.digits
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# The protected header of Intuit's access tokens (a JWE with direct encryption).
_JWE_HEADER = base64.urlsafe_b64encode(b'{"enc":"A128CBC-HS256","alg":"dir"}').rstrip(b"=").decode()
_REALM_RE = re.compile(r"^[0-9A-Za-z_-]{1,64}$")

SCHEMA = """
CREATE TABLE IF NOT EXISTS oauth_clients (
    client_id TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL,
    redirect_uris TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS oauth_codes (
    code_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    realm_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    expires_at REAL NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS oauth_grants (
    grant_id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    realm_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    created_at REAL NOT NULL,
    hard_expires_at REAL NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS oauth_refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL REFERENCES oauth_grants (grant_id),
    expires_at REAL NOT NULL,
    active INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS oauth_refresh_tokens_grant ON oauth_refresh_tokens (grant_id);
CREATE TABLE IF NOT EXISTS oauth_access_tokens (
    token_hash TEXT PRIMARY KEY,
    grant_id TEXT NOT NULL REFERENCES oauth_grants (grant_id),
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS oauth_access_tokens_expiry ON oauth_access_tokens (expires_at);
"""


class AuthError(Exception):
    """An API request without a usable bearer token: 401 (authentication) or 403 (authorisation)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status} {detail}")
        self.status = status
        self.detail = detail


class OAuthError(Exception):
    """An OAuth endpoint error: the RFC 6749 ``error`` code and the HTTP status it is answered with."""

    def __init__(self, error: str, status: int = 400, description: str | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.description = description

    def response(self) -> JSONResponse:
        # Intuit answers the bare {"error": ...} on the token endpoint; a description only helps
        # where a person reads the answer (the authorize page).
        body: dict[str, str] = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        headers = dict(_NO_STORE)
        if self.error == "invalid_client":
            headers["WWW-Authenticate"] = 'Basic realm="Intuit"'
        return JSONResponse(body, status_code=self.status, headers=headers)


def auth_error_response(err: AuthError) -> Response:
    """The lowercase 401/403 envelope with the ``Www-Authenticate`` header real QBO sends."""
    body = auth_body(err.status, err.detail)
    body["time"] = int(time.time() * 1000)  # real bodies carry epoch milliseconds here
    return JSONResponse(body, status_code=err.status, headers={"Www-Authenticate": WWW_AUTHENTICATE})


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _random(n: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(n))


def _b64(n: int) -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(n)).rstrip(b"=").decode()


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class OAuthService:
    """Intuit's OAuth 2.0 server over the sandbox database.

    ``consent_realm(requested)`` picks the company an authorize request connects to (``requested``
    is the ``realm_id`` query parameter or ``None``); the default takes the requested one, else the
    first company of the ``realms`` table if there is one, else a new realm id. The app passes a
    function that registers the company in its store.
    """

    def __init__(
        self,
        db: Database,
        tokens: TokenConfig | None = None,
        *,
        time_scale: float = 1.0,
        clock: Callable[[], float] = time.time,
        consent_realm: Callable[[str | None], str] | None = None,
    ) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.db = db
        self.tokens = tokens or TokenConfig()
        self.time_scale = time_scale
        self.clock = clock
        self._consent_realm = consent_realm or self._default_realm
        db.executescript(SCHEMA)

    @classmethod
    def from_config(cls, db: Database, config: SandboxConfig, **kwargs: Any) -> OAuthService:
        return cls(db, config.tokens, time_scale=config.limits.time_scale, **kwargs)

    # -- lifetimes: sandbox seconds in the config and answers, real seconds in the database ---------

    def _real(self, sandbox_seconds: float) -> float:
        return sandbox_seconds / self.time_scale

    def _sandbox(self, real_seconds: float) -> int:
        return max(0, int(real_seconds * self.time_scale))

    # -- clients -----------------------------------------------------------------------------------

    def create_client(self, redirect_uris: list[str] | None = None) -> tuple[str, str]:
        """Register an app; returns ``(client_id, client_secret)``. The secret is not kept."""
        client_id = "AB" + _random(48)
        client_secret = _random(40)
        with self.db.tx() as conn:
            conn.execute(
                "INSERT INTO oauth_clients (client_id, secret_hash, redirect_uris, created_at) "
                "VALUES (?, ?, ?, ?)",
                (client_id, _hash(client_secret), json.dumps(list(redirect_uris or [])), self.clock()),
            )
        return client_id, client_secret

    def _client(self, client_id: str) -> tuple[str, list[str]] | None:
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT secret_hash, redirect_uris FROM oauth_clients WHERE client_id = ?", (client_id,)
            ).fetchone()
        return None if row is None else (row[0], json.loads(row[1]))

    def check_client(self, client_id: str, client_secret: str) -> bool:
        """Whether the pair is a registered app (compared by hash, in constant time)."""
        found = self._client(client_id)
        return found is not None and hmac.compare_digest(found[0], _hash(client_secret))

    # -- grants and tokens -------------------------------------------------------------------------

    def grant(self, client_id: str, realm_id: str, scope: str = ACCOUNTING_SCOPE) -> dict[str, Any]:
        """Connect ``client_id`` to a company without the browser flow.

        Returns the token endpoint's answer plus ``realm_id``.
        """
        if self._client(client_id) is None:
            raise OAuthError("invalid_client", 401)
        with self.db.tx() as conn:
            body = self._new_grant(conn, client_id, realm_id, scope)
        body["realm_id"] = realm_id
        return body

    def _new_grant(self, conn: Any, client_id: str, realm_id: str, scope: str) -> dict[str, Any]:
        now = self.clock()
        grant_id = secrets.token_hex(16)
        hard = now + self._real(self.tokens.refresh_token_hard_ttl)
        conn.execute(
            "INSERT INTO oauth_grants (grant_id, client_id, realm_id, scope, created_at, hard_expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (grant_id, client_id, realm_id, scope, now, hard),
        )
        refresh = self._new_refresh_token(conn, grant_id, now, hard)
        return self._token_body(conn, grant_id, refresh, now, hard)

    def _new_refresh_token(self, conn: Any, grant_id: str, now: float, hard: float) -> str:
        expires = min(now + self._real(self.tokens.refresh_token_ttl), hard)
        # Intuit's refresh tokens: "AB11", the expiry as epoch seconds, random letters: 50 in all.
        token = f"AB11{int(expires)}"
        token += _random(50 - len(token))
        conn.execute(
            "INSERT INTO oauth_refresh_tokens (token_hash, grant_id, expires_at) VALUES (?, ?, ?)",
            (_hash(token), grant_id, expires),
        )
        return token

    def _token_body(self, conn: Any, grant_id: str, refresh: str, now: float, hard: float) -> dict[str, Any]:
        access = f"{_JWE_HEADER}..{_b64(16)}.{_b64(480)}.{_b64(16)}"
        access_ttl = self._real(self.tokens.access_token_ttl)
        conn.execute(
            "INSERT INTO oauth_access_tokens (token_hash, grant_id, expires_at) VALUES (?, ?, ?)",
            (_hash(access), grant_id, now + access_ttl),
        )
        # Expired access tokens are kept one more lifetime so that they answer "Token expired".
        conn.execute("DELETE FROM oauth_access_tokens WHERE expires_at < ?", (now - access_ttl,))
        refresh_expires = min(now + self._real(self.tokens.refresh_token_ttl), hard)
        return {
            "token_type": "bearer",
            "expires_in": int(self.tokens.access_token_ttl),
            "refresh_token": refresh,
            "x_refresh_token_expires_in": self._sandbox(refresh_expires - now),
            "access_token": access,
        }

    def refresh(
        self, client_id: str, refresh_token: str, *, include_hard_expiry: bool = False
    ) -> dict[str, Any]:
        """The refresh_token grant: a new access token, and a new refresh token when rotating.

        ``include_hard_expiry`` adds ``x_refresh_token_hard_expires_in`` (Intuit's opt-in header).
        """
        with self.db.tx() as conn:
            now = self.clock()
            row = conn.execute(
                "SELECT r.expires_at, r.active, g.grant_id, g.client_id, g.revoked, g.hard_expires_at "
                "FROM oauth_refresh_tokens r JOIN oauth_grants g USING (grant_id) WHERE r.token_hash = ?",
                (_hash(refresh_token),),
            ).fetchone()
            if (
                row is None
                or not row["active"]
                or row["revoked"]
                or row["client_id"] != client_id
                or row["expires_at"] <= now
                or row["hard_expires_at"] <= now
            ):
                raise OAuthError("invalid_grant")
            grant_id, hard = row["grant_id"], row["hard_expires_at"]
            if self.tokens.rotate_refresh_token:
                conn.execute(
                    "UPDATE oauth_refresh_tokens SET active = 0 WHERE token_hash = ?", (_hash(refresh_token),)
                )
                refresh_token = self._new_refresh_token(conn, grant_id, now, hard)
            else:
                # The lifetime restarts at each use.
                conn.execute(
                    "UPDATE oauth_refresh_tokens SET expires_at = ? WHERE token_hash = ?",
                    (min(now + self._real(self.tokens.refresh_token_ttl), hard), _hash(refresh_token)),
                )
            body = self._token_body(conn, grant_id, refresh_token, now, hard)
        if include_hard_expiry:
            body["x_refresh_token_hard_expires_in"] = self._sandbox(hard - now)
        return body

    def exchange_code(self, client_id: str, code: str, redirect_uri: str) -> dict[str, Any]:
        """The authorization_code grant: a one-time code for the first tokens of a new grant."""
        with self.db.tx() as conn:
            row = conn.execute(
                "SELECT client_id, realm_id, redirect_uri, scope, expires_at, used FROM oauth_codes "
                "WHERE code_hash = ?",
                (_hash(code),),
            ).fetchone()
            if row is None or row["used"] or row["client_id"] != client_id:
                raise OAuthError("invalid_grant")
            # A code is spent by any attempt, so a leaked one cannot be tried twice.
            conn.execute("UPDATE oauth_codes SET used = 1 WHERE code_hash = ?", (_hash(code),))
            usable = row["expires_at"] > self.clock() and row["redirect_uri"] == redirect_uri
            body = self._new_grant(conn, client_id, row["realm_id"], row["scope"]) if usable else None
        if body is None:
            raise OAuthError("invalid_grant")
        return body

    def revoke(self, client_id: str, token: str) -> bool:
        """Revoke the grant of a refresh or access token of ``client_id``; False if it is unknown."""
        digest = _hash(token)
        with self.db.tx() as conn:
            row = conn.execute(
                "SELECT g.grant_id, g.client_id FROM oauth_refresh_tokens r JOIN oauth_grants g "
                "USING (grant_id) WHERE r.token_hash = ? "
                "UNION ALL SELECT g.grant_id, g.client_id FROM oauth_access_tokens a JOIN oauth_grants g "
                "USING (grant_id) WHERE a.token_hash = ?",
                (digest, digest),
            ).fetchone()
            if row is None:
                return False
            if row["client_id"] != client_id:
                raise OAuthError("invalid_request", description="the token belongs to another client")
            conn.execute("UPDATE oauth_grants SET revoked = 1 WHERE grant_id = ?", (row["grant_id"],))
        return True

    def authenticate(self, authorization_header: str | None, realm_id: str) -> None:
        """Check an API request's ``Authorization`` header for ``realm_id``; raises :class:`AuthError`.

        Does nothing when the sandbox is configured without auth (``TokenConfig.require_auth``).
        """
        if not self.tokens.require_auth:
            return
        if not authorization_header or not authorization_header.strip():
            raise AuthError(401, "Authorization header is missing")
        scheme, _, token = authorization_header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or " " in token or len(token) > 8192:
            raise AuthError(401, "Malformed bearer token: too short or too long")
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT a.expires_at, g.realm_id, g.revoked FROM oauth_access_tokens a "
                "JOIN oauth_grants g USING (grant_id) WHERE a.token_hash = ?",
                (_hash(token),),
            ).fetchone()
        if row is None:
            raise AuthError(401, "Token invalid")
        if row["revoked"]:
            raise AuthError(401, "Token revoked")
        if row["expires_at"] <= self.clock():
            raise AuthError(401, "Token expired")
        if row["realm_id"] != realm_id:
            raise AuthError(403, f"The token does not authorize access to company {realm_id}")

    # -- authorize ---------------------------------------------------------------------------------

    def _default_realm(self, requested: str | None) -> str:
        if requested:
            return requested
        with self.db.read() as conn:
            has_realms = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'realms'"
            ).fetchone()
            if has_realms:
                row = conn.execute(
                    "SELECT realm_id FROM realms ORDER BY created_at, realm_id LIMIT 1"
                ).fetchone()
                if row is not None:
                    return str(row[0])
        return str(9130350000000000000 + secrets.randbelow(10**15))

    def authorize(self, params: dict[str, str]) -> str:
        """Consent at once to an authorize request: the URL to redirect to (with a code or an error).

        Raises :class:`OAuthError` when there is no trustworthy place to redirect to.
        """
        client_id = params.get("client_id", "")
        client = self._client(client_id) if client_id else None
        if client is None:
            raise OAuthError("invalid_client", 400, "unknown client_id")
        redirect_uri = params.get("redirect_uri", "")
        parts = urlsplit(redirect_uri)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
            raise OAuthError("invalid_request", 400, "redirect_uri must be an absolute http(s) URL")
        registered = client[1]
        if registered and redirect_uri not in registered and not _is_loopback(parts.hostname):
            raise OAuthError("invalid_request", 400, "redirect_uri is not registered for this client")

        state = params.get("state")
        if params.get("response_type") != "code":
            return _redirect(redirect_uri, error="unsupported_response_type", state=state)
        scope = " ".join(params.get("scope", "").split())
        if ACCOUNTING_SCOPE not in scope.split():
            return _redirect(redirect_uri, error="invalid_scope", state=state)
        requested = params.get("realm_id") or params.get("realmId") or None
        if requested is not None and not _REALM_RE.match(requested):
            return _redirect(redirect_uri, error="invalid_request", state=state)
        realm_id = self._consent_realm(requested)

        code = f"AB11{int(self.clock())}"
        code += _random(50 - len(code))
        with self.db.tx() as conn:
            conn.execute(
                "INSERT INTO oauth_codes (code_hash, client_id, realm_id, redirect_uri, scope, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    _hash(code),
                    client_id,
                    realm_id,
                    redirect_uri,
                    scope,
                    self.clock() + self._real(self.tokens.authorization_code_ttl),
                ),
            )
        return _redirect(redirect_uri, code=code, state=state, realmId=realm_id)

    # -- HTTP --------------------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        return [
            Route(TOKEN_PATH, self._token_endpoint, methods=["POST"]),
            Route(AUTHORIZE_PATH, self._authorize_endpoint, methods=["GET"]),
            Route(REVOKE_PATH, self._revoke_endpoint, methods=["POST"]),
        ]

    async def _token_endpoint(self, request: Request) -> Response:
        try:
            params = await _params(request, allow_json=False)
            client_id = await run_in_threadpool(self._authenticate_client, request, params)
            grant_type = params.get("grant_type")
            if not grant_type:
                raise OAuthError("invalid_request")
            if grant_type == "refresh_token":
                token = params.get("refresh_token")
                if not token:
                    raise OAuthError("invalid_request")
                hard = request.headers.get(HARD_EXPIRY_HEADER, "").strip().lower() == "true"
                body = await run_in_threadpool(
                    functools.partial(self.refresh, client_id, token, include_hard_expiry=hard)
                )
            elif grant_type == "authorization_code":
                code, redirect_uri = params.get("code"), params.get("redirect_uri")
                if not code or not redirect_uri:
                    raise OAuthError("invalid_request")
                body = await run_in_threadpool(self.exchange_code, client_id, code, redirect_uri)
            else:
                raise OAuthError("unsupported_grant_type")
        except OAuthError as err:
            return err.response()
        return JSONResponse(body, headers=_NO_STORE)

    async def _authorize_endpoint(self, request: Request) -> Response:
        params = dict(request.query_params)
        try:
            url = await run_in_threadpool(self.authorize, params)
        except OAuthError as err:
            return err.response()
        return RedirectResponse(url, status_code=302, headers=_NO_STORE)

    async def _revoke_endpoint(self, request: Request) -> Response:
        try:
            params = await _params(request, allow_json=True)
            client_id = await run_in_threadpool(self._authenticate_client, request, params)
            token = params.get("token")
            if not token:
                raise OAuthError("invalid_request")
            # An unknown token is not an error (RFC 7009): the client wanted it gone, and it is.
            await run_in_threadpool(self.revoke, client_id, token)
        except OAuthError as err:
            return err.response()
        return Response(status_code=200, headers=_NO_STORE)

    def _authenticate_client(self, request: Request, params: dict[str, str]) -> str:
        """The client of a token or revoke request, by HTTP Basic or by form fields."""
        header = request.headers.get("authorization", "")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                raise OAuthError("invalid_client", 401) from None
            client_id, sep, client_secret = decoded.partition(":")
            if not sep:
                raise OAuthError("invalid_client", 401)
            client_id, client_secret = unquote(client_id), unquote(client_secret)
            if params.get("client_id") not in (None, client_id):
                raise OAuthError("invalid_client", 401)
        else:
            client_id = params.get("client_id", "")
            client_secret = params.get("client_secret", "")
        if not client_id or not self.check_client(client_id, client_secret):
            raise OAuthError("invalid_client", 401)
        return client_id


def _redirect(redirect_uri: str, **params: str | None) -> str:
    parts = urlsplit(redirect_uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


async def _params(request: Request, *, allow_json: bool) -> dict[str, str]:
    """The parameters of a form body (or a JSON object where allowed); a repeated one is an error."""
    raw = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if allow_json and content_type == "application/json":
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            raise OAuthError("invalid_request") from None
        if not isinstance(data, dict):
            raise OAuthError("invalid_request")
        return {str(k): str(v) for k, v in data.items() if isinstance(v, str)}
    pairs = parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True)
    params: dict[str, str] = {}
    for key, value in pairs:
        if key in params:  # RFC 6749 3.2: parameters must not be repeated
            raise OAuthError("invalid_request")
        params[key] = value
    return params
