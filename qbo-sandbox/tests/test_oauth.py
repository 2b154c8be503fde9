"""OAuth 2.0 as Intuit runs it, over real HTTP on a loopback port."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from qbo_sandbox.config import TokenConfig
from qbo_sandbox.db import Database
from qbo_sandbox.oauth import AuthError, OAuthService, auth_error_response
from sandbox_harness import serve
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ACCOUNTING = "com.intuit.quickbooks.accounting"
REALM = "9130350000000000001"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Sandbox:
    url: str
    oauth: OAuthService
    clock: FakeClock
    client_id: str
    client_secret: str
    http: requests.Session

    def token(self, data: dict[str, str], *, basic: bool = True, **kwargs: Any) -> requests.Response:
        auth = (self.client_id, self.client_secret) if basic else None
        if not basic:
            data = {**data, "client_id": self.client_id, "client_secret": self.client_secret}
        return self.http.post(
            f"{self.url}/oauth2/v1/tokens/bearer",
            data=data,
            auth=auth,
            headers={"Accept": "application/json", **kwargs.pop("headers", {})},
            **kwargs,
        )

    def refresh(self, refresh_token: str, **kwargs: Any) -> requests.Response:
        return self.token({"grant_type": "refresh_token", "refresh_token": refresh_token}, **kwargs)

    def api(self, access_token: str | None, realm: str = REALM) -> requests.Response:
        headers = {"Authorization": f"Bearer {access_token}"} if access_token is not None else {}
        return self.http.get(f"{self.url}/v3/company/{realm}/echo", headers=headers)


def build_app(oauth: OAuthService) -> Starlette:
    async def echo(request: Request) -> Response:
        try:
            oauth.authenticate(request.headers.get("authorization"), request.path_params["realm"])
        except AuthError as err:
            return auth_error_response(err)
        return JSONResponse({"realm": request.path_params["realm"]})

    async def callback(request: Request) -> Response:
        return JSONResponse(dict(request.query_params))

    return Starlette(
        routes=[
            *oauth.routes(),
            Route("/v3/company/{realm}/echo", echo),
            Route("/callback", callback),
        ]
    )


@contextmanager
def make_sandbox(tokens: TokenConfig | None = None, *, time_scale: float = 1.0) -> Iterator[Sandbox]:
    db = Database()
    clock = FakeClock()
    oauth = OAuthService(db, tokens or TokenConfig(), time_scale=time_scale, clock=clock)
    client_id, client_secret = oauth.create_client(["https://app.example.com/qbo/callback"])
    try:
        with serve(build_app(oauth)) as url, requests.Session() as http:
            yield Sandbox(url, oauth, clock, client_id, client_secret, http)
    finally:
        db.close()


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with make_sandbox() as box:
        yield box


def test_client_credentials_look_like_intuits() -> None:
    oauth = OAuthService(Database(), TokenConfig())
    client_id, secret = oauth.create_client()
    assert client_id.startswith("AB")
    assert len(client_id) == 50
    assert client_id.isalnum()
    assert len(secret) == 40
    assert secret.isalnum()
    assert oauth.check_client(client_id, secret)
    assert not oauth.check_client(client_id, secret[:-1] + ("x" if secret[-1] != "x" else "y"))
    assert oauth.create_client()[0] != client_id


def test_only_hashes_are_stored(sandbox: Sandbox) -> None:
    tokens = sandbox.oauth.grant(sandbox.client_id, REALM)
    with sandbox.oauth.db.read() as conn:
        dump = "\n".join(conn.iterdump())
    for secret in (sandbox.client_secret, tokens["refresh_token"], tokens["access_token"]):
        assert secret not in dump


def test_grant_answers_like_the_token_endpoint(sandbox: Sandbox) -> None:
    tokens = sandbox.oauth.grant(sandbox.client_id, REALM)
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["x_refresh_token_expires_in"] == 100 * 24 * 3600
    assert tokens["realm_id"] == REALM
    assert len(tokens["refresh_token"]) == 50
    assert tokens["refresh_token"].startswith("AB11")
    assert tokens["access_token"].startswith("eyJ")
    assert tokens["access_token"].count(".") == 4
    assert sandbox.api(tokens["access_token"]).json() == {"realm": REALM}


def test_refresh_rotates_and_the_old_token_is_refused(sandbox: Sandbox) -> None:
    first = sandbox.oauth.grant(sandbox.client_id, REALM)
    answer = sandbox.refresh(first["refresh_token"])
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    body = answer.json()
    assert list(body) == [
        "token_type",
        "expires_in",
        "refresh_token",
        "x_refresh_token_expires_in",
        "access_token",
    ]
    assert body["refresh_token"] != first["refresh_token"]
    assert body["access_token"] != first["access_token"]
    assert sandbox.api(body["access_token"]).status_code == 200
    # The access token of before stays valid for its hour.
    assert sandbox.api(first["access_token"]).status_code == 200

    old = sandbox.refresh(first["refresh_token"])
    assert old.status_code == 400
    assert old.json() == {"error": "invalid_grant"}
    assert old.headers["Cache-Control"] == "no-store"
    assert sandbox.refresh(body["refresh_token"]).status_code == 200


def test_without_rotation_the_refresh_token_stays_and_its_lifetime_restarts() -> None:
    with make_sandbox(TokenConfig(rotate_refresh_token=False, refresh_token_ttl=1000)) as sandbox:
        first = sandbox.oauth.grant(sandbox.client_id, REALM)
        for _ in range(3):
            sandbox.clock.advance(900)  # more than 1000 in all, less than 1000 since the last use
            body = sandbox.refresh(first["refresh_token"]).json()
            assert body["refresh_token"] == first["refresh_token"]
            assert body["x_refresh_token_expires_in"] == 1000
        sandbox.clock.advance(1001)
        assert sandbox.refresh(first["refresh_token"]).json() == {"error": "invalid_grant"}


def test_refresh_token_expires_with_the_sandbox_time_scale() -> None:
    # A day of sandbox time per real second: a 100-day refresh token lives 100 real seconds.
    with make_sandbox(time_scale=86400) as sandbox:
        first = sandbox.oauth.grant(sandbox.client_id, REALM)
        assert first["x_refresh_token_expires_in"] == 100 * 86400  # answers stay in sandbox seconds
        sandbox.clock.advance(99)
        second = sandbox.refresh(first["refresh_token"])
        assert second.status_code == 200
        assert second.json()["expires_in"] == 3600
        sandbox.clock.advance(101)
        assert sandbox.refresh(second.json()["refresh_token"]).json() == {"error": "invalid_grant"}


def test_hard_expiry_is_reported_on_request_and_enforced() -> None:
    tokens = TokenConfig(refresh_token_ttl=600, refresh_token_hard_ttl=1000)
    with make_sandbox(tokens) as sandbox:
        first = sandbox.oauth.grant(sandbox.client_id, REALM)
        sandbox.clock.advance(500)
        plain = sandbox.refresh(first["refresh_token"]).json()
        assert "x_refresh_token_hard_expires_in" not in plain
        sandbox.clock.advance(100)
        body = sandbox.refresh(
            plain["refresh_token"], headers={"x-include-refresh-token-hard-expires-in": "true"}
        ).json()
        assert body["x_refresh_token_hard_expires_in"] == 400
        assert body["x_refresh_token_expires_in"] == 400  # capped by the hard limit
        sandbox.clock.advance(401)
        assert sandbox.refresh(body["refresh_token"]).json() == {"error": "invalid_grant"}

    with make_sandbox() as sandbox:
        first = sandbox.oauth.grant(sandbox.client_id, REALM)
        body = sandbox.refresh(
            first["refresh_token"], headers={"x-include-refresh-token-hard-expires-in": "true"}
        ).json()
        assert body["x_refresh_token_hard_expires_in"] == 5 * 365 * 24 * 3600


def test_client_auth_by_form_fields_and_bad_clients(sandbox: Sandbox) -> None:
    first = sandbox.oauth.grant(sandbox.client_id, REALM)
    by_form = sandbox.refresh(first["refresh_token"], basic=False)
    assert by_form.status_code == 200
    token = by_form.json()["refresh_token"]
    url = f"{sandbox.url}/oauth2/v1/tokens/bearer"
    data = {"grant_type": "refresh_token", "refresh_token": token}

    wrong_secret = sandbox.http.post(url, data=data, auth=(sandbox.client_id, "x" * 40))
    assert wrong_secret.status_code == 401
    assert wrong_secret.json() == {"error": "invalid_client"}
    unknown = sandbox.http.post(url, data={**data, "client_id": "AB" + "0" * 48, "client_secret": "x"})
    assert unknown.status_code == 401
    assert unknown.json() == {"error": "invalid_client"}
    anonymous = sandbox.http.post(url, data=data)
    assert anonymous.status_code == 401
    garbled = sandbox.http.post(url, data=data, headers={"Authorization": "Basic not-base64!"})
    assert garbled.status_code == 401
    # None of these spent the refresh token.
    assert sandbox.refresh(token).status_code == 200


def test_a_refresh_token_of_another_client_is_an_invalid_grant(sandbox: Sandbox) -> None:
    other_id, _other_secret = sandbox.oauth.create_client()
    theirs = sandbox.oauth.grant(other_id, REALM)
    answer = sandbox.refresh(theirs["refresh_token"])
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_grant"}


def test_grant_type_and_parameter_errors(sandbox: Sandbox) -> None:
    unsupported = sandbox.token({"grant_type": "client_credentials"})
    assert unsupported.status_code == 400
    assert unsupported.json() == {"error": "unsupported_grant_type"}
    for data in ({}, {"grant_type": "refresh_token"}, {"grant_type": "authorization_code", "code": "x"}):
        answer = sandbox.token(data)
        assert answer.status_code == 400, data
        assert answer.json() == {"error": "invalid_request"}
    assert sandbox.refresh("AB11" + "0" * 46).json() == {"error": "invalid_grant"}
    repeated = sandbox.http.post(
        f"{sandbox.url}/oauth2/v1/tokens/bearer",
        data="grant_type=refresh_token&refresh_token=a&refresh_token=b",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=(sandbox.client_id, sandbox.client_secret),
    )
    assert repeated.json() == {"error": "invalid_request"}


def authorize(sandbox: Sandbox, **params: str) -> requests.Response:
    query = {
        "client_id": sandbox.client_id,
        "response_type": "code",
        "scope": f"{ACCOUNTING} openid",
        "redirect_uri": f"{sandbox.url}/callback",
        "state": "st-42",
        **params,
    }
    return sandbox.http.get(f"{sandbox.url}/connect/oauth2", params=query, allow_redirects=False)


def test_authorization_code_flow_follows_the_redirect(sandbox: Sandbox) -> None:
    redirect_uri = f"{sandbox.url}/callback"  # a loopback URI, accepted though not registered
    answer = sandbox.http.get(
        f"{sandbox.url}/connect/oauth2",
        params={
            "client_id": sandbox.client_id,
            "response_type": "code",
            "scope": ACCOUNTING,
            "redirect_uri": redirect_uri,
            "state": "xyz 123",
            "realm_id": REALM,
        },
    )
    assert answer.status_code == 200
    assert answer.history[0].status_code == 302
    assert answer.history[0].headers["Cache-Control"] == "no-store"
    callback = answer.json()
    assert callback["state"] == "xyz 123"
    assert callback["realmId"] == REALM
    code = callback["code"]

    exchange = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    tokens = sandbox.token(exchange)
    assert tokens.status_code == 200
    assert tokens.headers["Cache-Control"] == "no-store"
    body = tokens.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert sandbox.api(body["access_token"], REALM).status_code == 200
    assert sandbox.refresh(body["refresh_token"]).status_code == 200

    reused = sandbox.token(exchange)
    assert reused.status_code == 400
    assert reused.json() == {"error": "invalid_grant"}


def test_code_exchange_checks_redirect_uri_expiry_and_client(sandbox: Sandbox) -> None:
    def code() -> str:
        location = authorize(sandbox, realm_id=REALM).headers["Location"]
        return parse_qs(urlsplit(location).query)["code"][0]

    redirect_uri = f"{sandbox.url}/callback"
    mismatch = sandbox.token(
        {"grant_type": "authorization_code", "code": code(), "redirect_uri": redirect_uri + "x"}
    )
    assert mismatch.json() == {"error": "invalid_grant"}

    expiring = code()
    sandbox.clock.advance(301)
    expired = sandbox.token(
        {"grant_type": "authorization_code", "code": expiring, "redirect_uri": redirect_uri}
    )
    assert expired.json() == {"error": "invalid_grant"}

    other_id, other_secret = sandbox.oauth.create_client()
    stolen = sandbox.http.post(
        f"{sandbox.url}/oauth2/v1/tokens/bearer",
        data={"grant_type": "authorization_code", "code": code(), "redirect_uri": redirect_uri},
        auth=(other_id, other_secret),
    )
    assert stolen.json() == {"error": "invalid_grant"}


def test_authorize_refuses_unknown_clients_and_unregistered_redirects(sandbox: Sandbox) -> None:
    unknown = authorize(sandbox, client_id="AB" + "1" * 48)
    assert unknown.status_code == 400
    assert unknown.json()["error"] == "invalid_client"
    foreign = authorize(sandbox, redirect_uri="https://evil.example.com/cb")
    assert foreign.status_code == 400
    assert "Location" not in foreign.headers
    assert foreign.json()["error"] == "invalid_request"
    relative = authorize(sandbox, redirect_uri="/callback")
    assert relative.status_code == 400

    registered = authorize(sandbox, redirect_uri="https://app.example.com/qbo/callback")
    assert registered.status_code == 302
    assert registered.headers["Location"].startswith("https://app.example.com/qbo/callback?code=")


def test_authorize_errors_after_a_valid_redirect_are_redirected(sandbox: Sandbox) -> None:
    for params, error in (
        ({"scope": "openid email"}, "invalid_scope"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"realm_id": "not a realm!"}, "invalid_request"),
    ):
        answer = authorize(sandbox, **params)
        assert answer.status_code == 302
        query = parse_qs(urlsplit(answer.headers["Location"]).query)
        assert query["error"] == [error]
        assert query["state"] == ["st-42"]
        assert "code" not in query


def test_authorize_picks_the_first_company_else_a_new_one(sandbox: Sandbox) -> None:
    new = parse_qs(urlsplit(authorize(sandbox).headers["Location"]).query)["realmId"][0]
    assert new.isdigit()
    assert len(new) == 19
    with sandbox.oauth.db.tx() as conn:
        conn.execute("CREATE TABLE realms (realm_id TEXT PRIMARY KEY, created_at TEXT NOT NULL)")
        conn.execute("INSERT INTO realms VALUES ('222', '2024-01-02'), ('111', '2024-01-01')")
    first = parse_qs(urlsplit(authorize(sandbox).headers["Location"]).query)["realmId"][0]
    assert first == "111"


def test_consent_realm_hook() -> None:
    seen: list[str | None] = []

    def consent(requested: str | None) -> str:
        seen.append(requested)
        return requested or "555"

    oauth = OAuthService(Database(), TokenConfig(), consent_realm=consent)
    client_id, _ = oauth.create_client()
    location = oauth.authorize(
        {
            "client_id": client_id,
            "response_type": "code",
            "scope": ACCOUNTING,
            "redirect_uri": "http://localhost:8080/cb?keep=1",
            "state": "s",
        }
    )
    query = parse_qs(urlsplit(location).query)
    assert query["realmId"] == ["555"]
    assert query["keep"] == ["1"]
    assert query["state"] == ["s"]
    assert seen == [None]


def test_revoke_refresh_token_revokes_its_access_tokens(sandbox: Sandbox) -> None:
    tokens = sandbox.oauth.grant(sandbox.client_id, REALM)
    answer = sandbox.http.post(
        f"{sandbox.url}/oauth2/v1/tokens/revoke",
        json={"token": tokens["refresh_token"]},
        auth=(sandbox.client_id, sandbox.client_secret),
    )
    assert answer.status_code == 200
    assert sandbox.refresh(tokens["refresh_token"]).json() == {"error": "invalid_grant"}
    denied = sandbox.api(tokens["access_token"])
    assert denied.status_code == 401
    assert denied.json()["fault"]["error"][0]["detail"] == "Token revoked"


def test_revoke_by_form_with_an_access_token_and_its_errors(sandbox: Sandbox) -> None:
    tokens = sandbox.oauth.grant(sandbox.client_id, REALM)
    url = f"{sandbox.url}/oauth2/v1/tokens/revoke"
    creds = {"client_id": sandbox.client_id, "client_secret": sandbox.client_secret}
    assert sandbox.http.post(url, data={"token": tokens["access_token"]}).status_code == 401
    assert sandbox.http.post(url, data=creds).json() == {"error": "invalid_request"}
    assert sandbox.http.post(url, data={**creds, "token": "unknown"}).status_code == 200
    assert sandbox.http.post(url, data={**creds, "token": tokens["access_token"]}).status_code == 200
    assert sandbox.refresh(tokens["refresh_token"]).json() == {"error": "invalid_grant"}


def test_access_token_expires_after_its_scaled_hour() -> None:
    with make_sandbox(time_scale=60) as sandbox:  # the hour lasts one real minute
        tokens = sandbox.oauth.grant(sandbox.client_id, REALM)
        sandbox.clock.advance(59)
        assert sandbox.api(tokens["access_token"]).status_code == 200
        sandbox.clock.advance(2)
        expired = sandbox.api(tokens["access_token"])
        assert expired.status_code == 401
        assert expired.headers["Www-Authenticate"] == 'Bearer realm="Intuit", error="invalid_token"'
        error = expired.json()["fault"]["error"][0]
        assert error["code"] == "3200"
        assert error["detail"].startswith("Token expired")
        # The refresh token still works and brings a fresh hour.
        fresh = sandbox.refresh(tokens["refresh_token"]).json()
        assert sandbox.api(fresh["access_token"]).status_code == 200


def test_401_and_403_bodies(sandbox: Sandbox) -> None:
    tokens = sandbox.oauth.grant(sandbox.client_id, REALM)
    for header in (None, "Basic abc", "Bearer", "Bearer not-a-token"):
        answer = sandbox.http.get(
            f"{sandbox.url}/v3/company/{REALM}/echo",
            headers={"Authorization": header} if header else {},
        )
        assert answer.status_code == 401, header
        assert answer.headers["Www-Authenticate"] == 'Bearer realm="Intuit", error="invalid_token"'
        body = answer.json()
        assert "Fault" not in body
        assert body["fault"]["type"] == "AUTHENTICATION"
        assert body["fault"]["error"][0]["message"] == (
            "message=AuthenticationFailed; errorCode=003200; statusCode=401"
        )
        assert isinstance(body["time"], int)

    other_realm = sandbox.api(tokens["access_token"], realm="123")
    assert other_realm.status_code == 403
    assert other_realm.headers["Www-Authenticate"] == 'Bearer realm="Intuit", error="invalid_token"'
    error = other_realm.json()["fault"]["error"][0]
    assert error["code"] == "3100"
    assert error["message"] == "message=AuthorizationFailed; errorCode=003100; statusCode=403"


def test_require_auth_off_lets_everything_through() -> None:
    oauth = OAuthService(Database(), TokenConfig(require_auth=False))
    oauth.authenticate(None, REALM)
    oauth.authenticate("Bearer whatever", REALM)


def test_auth_error_carries_no_token() -> None:
    oauth = OAuthService(Database(), TokenConfig())
    client_id, _ = oauth.create_client()
    token = oauth.grant(client_id, REALM)["access_token"]
    with pytest.raises(AuthError) as caught:
        oauth.authenticate(f"Bearer {token}", "other")
    assert token not in str(caught.value)
    assert token not in caught.value.detail


def test_concurrent_refreshes_with_one_token_let_exactly_one_win(sandbox: Sandbox) -> None:
    tokens = sandbox.oauth.grant(sandbox.client_id, REALM)
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def one() -> None:
        barrier.wait()
        statuses.append(
            requests.post(
                f"{sandbox.url}/oauth2/v1/tokens/bearer",
                data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                auth=(sandbox.client_id, sandbox.client_secret),
                timeout=10,
            ).status_code
        )

    threads = [threading.Thread(target=one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 400, 400, 400, 400, 400]


def test_basic_auth_header_is_standard(sandbox: Sandbox) -> None:
    tokens = sandbox.oauth.grant(sandbox.client_id, REALM)
    raw = base64.b64encode(f"{sandbox.client_id}:{sandbox.client_secret}".encode()).decode()
    answer = sandbox.http.post(
        f"{sandbox.url}/oauth2/v1/tokens/bearer",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers={"Authorization": f"Basic {raw}", "Accept": "application/json"},
    )
    assert answer.status_code == 200
