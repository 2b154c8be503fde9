"""OAuth 2.0 for QuickBooks: access tokens from a rotating refresh token, kept in the token store."""

from __future__ import annotations

import base64
import functools
import logging
import secrets
import threading
import time
import urllib.parse
from typing import Any

import requests

from . import redact, retry
from .config import INTUIT_AUTHORIZE_URL, ClientConfig
from .errors import (
    UNREACHABLE_ATTEMPTS,
    AuthenticationError,
    QBOError,
    RefreshTokenInvalid,
    TransientError,
    UnreachableError,
    unreachable_reason,
)
from .retry import Retry, RetryPolicy
from .tokens import TokenBackend, Tokens, open_store

log = logging.getLogger("qbo_client.auth")
SCOPE = "com.intuit.quickbooks.accounting"
#: Seconds to wait for the token endpoint's answer (at least; ``timeout`` when that is longer).
TOKEN_READ_TIMEOUT = 60.0
#: Requests to the token endpoint before a refresh fails (429, 5xx, timeouts, dropped connections).
TOKEN_ATTEMPTS = 5
#: Waits between them: 0.5, 1, 2 and 4 seconds (no jitter: one process refreshes at a time, under
#: the token store's lock).
TOKEN_RETRY_POLICY = RetryPolicy(first_wait=0.5, max_wait=30.0, jitter=False)


class TokenManager:
    """Hands out a valid access token; refreshes (and rotates) under the store's lock."""

    def __init__(
        self, config: ClientConfig, session: requests.Session, store: TokenBackend | None = None
    ) -> None:
        self.config = config
        self.session = session
        self.store = store or open_store(config)
        self._lock = threading.Lock()
        self._tokens: Tokens | None = None
        self.refreshes = 0
        #: Whether the token endpoint has answered this process (a refusal then is an outage).
        self._answered = False
        redact.protect(*config.secrets())

    def access_token(self) -> str:
        with self._lock:
            if self._tokens is not None and self._tokens.access_valid():
                return self._tokens.access_token
            return self._refresh(failed=None)

    def refresh(self, failed: str) -> str:
        """A new access token after ``failed`` was refused (401); shared by threads that saw the same 401."""
        with self._lock:
            if (
                self._tokens is not None
                and self._tokens.access_token != failed
                and self._tokens.access_valid()
            ):
                return self._tokens.access_token
            return self._refresh(failed=failed)

    def _current(self) -> Tokens:
        """The tokens to refresh from: the store's, unless the config brings a new refresh token."""
        stored = self.store.read()
        cfg = self.config.refresh_token
        if (
            stored is not None
            and stored.realm_id == self.config.realm_id
            and (not cfg or stored.seeded_from == cfg)
        ):
            return stored
        if not cfg:
            raise RefreshTokenInvalid(
                f"no refresh token for company {self.config.realm_id}: the config has none and the token "
                f"store {self.store.location} holds none",
                code="invalid_grant",
            )
        return Tokens(realm_id=self.config.realm_id, refresh_token=cfg, seeded_from=cfg)

    def _refresh(self, failed: str | None) -> str:
        with self.store.locked():
            current = self._current()
            if current.access_valid() and current.access_token != failed:
                # another process (the target beside this tap) refreshed a moment ago
                redact.protect(current.access_token, current.refresh_token)
                self._tokens = current
                return current.access_token
            try:
                answer = self._token_request(
                    {"grant_type": "refresh_token", "refresh_token": current.refresh_token}
                )
            except RefreshTokenInvalid:
                recovered = self._refresh_from_orphans(current)
                if recovered is None:
                    raise
                current, answer = recovered
            fresh = self._tokens_from(answer, seeded_from=current.seeded_from, previous=current.refresh_token)
            # Saved before it is used: the old refresh token may be dead from this moment on.
            self.store.write(fresh)
            self.store.discard_orphans()
        self._tokens = fresh
        self.refreshes += 1
        log.info(
            "access token refreshed for company %s (refresh token %s)",
            self.config.realm_id,
            "rotated" if fresh.refresh_token != current.refresh_token else "unchanged",
        )
        return fresh.access_token

    def _refresh_from_orphans(self, current: Tokens) -> tuple[Tokens, dict[str, Any]] | None:
        """Refresh with tokens a process saved but was killed before installing, if any still work.

        A process killed between writing the store's temporary file and renaming it leaves the
        rotated refresh token there, while the store still holds the one QuickBooks has retired.
        """
        for orphan in self.store.orphans():
            if (
                orphan.realm_id != current.realm_id
                or orphan.seeded_from != current.seeded_from
                or orphan.refresh_token == current.refresh_token
            ):
                continue
            redact.protect(orphan.access_token, orphan.refresh_token)
            try:
                answer = self._token_request(
                    {"grant_type": "refresh_token", "refresh_token": orphan.refresh_token}
                )
            except RefreshTokenInvalid:
                continue
            log.warning(
                "company %s: used the refresh token that an interrupted process saved in a temporary "
                "file of the token store %s",
                self.config.realm_id,
                self.store.location,
            )
            return orphan, answer
        return None

    def _tokens_from(self, answer: dict[str, Any], *, seeded_from: str, previous: str) -> Tokens:
        now = time.time()
        access = str(answer.get("access_token") or "")
        if not access:
            raise AuthenticationError("the token endpoint answered without an access_token")
        refresh = str(answer.get("refresh_token") or previous)
        redact.protect(access, refresh)
        return Tokens(
            realm_id=self.config.realm_id,
            refresh_token=refresh,
            access_token=access,
            access_expires_at=now + float(answer.get("expires_in") or 3600),
            refresh_expires_at=now + float(answer.get("x_refresh_token_expires_in") or 0),
            seeded_from=seeded_from,
            updated_at=now,
        )

    def _token_request(self, form: dict[str, str]) -> dict[str, Any]:
        basic = base64.b64encode(f"{self.config.client_id}:{self.config.client_secret}".encode()).decode()
        headers = {
            "Authorization": f"Basic {basic}",
            "Accept": "application/json",
            "User-Agent": self.config.user_agent,
        }
        url = self.config.oauth_token_url
        unanswered = [0]  # requests that may have reached the endpoint without an answer read

        def attempt(n: int) -> dict[str, Any]:
            return self._token_attempt(n, url, form, headers, unanswered)

        return retry.call(attempt, TOKEN_RETRY_POLICY, logger=log)

    def _token_attempt(
        self, n: int, url: str, form: dict[str, str], headers: dict[str, str], unanswered: list[int]
    ) -> dict[str, Any]:
        """Attempt ``n`` at the token endpoint: its answer, or a :class:`~qbo_client.retry.Retry`
        (429, 5xx, timeouts, dropped connections), or the refusal as a typed error."""
        try:
            resp = self.session.post(
                url,
                data=form,
                headers=headers,
                # A refresh the server did but whose answer is lost has rotated the refresh
                # token for nothing: wait for the answer longer than for an API call.
                timeout=(self.config.timeout, max(self.config.timeout, TOKEN_READ_TIMEOUT)),
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            refused = unreachable_reason(exc)  # no connection opened: the request never left
            failure = refused or type(exc).__name__
            what = f"the token endpoint {url}: {failure}"
            if refused is not None and not self._answered:
                # Nothing has answered there yet: a wrong address, not an outage.
                raise Retry(
                    what,
                    retries=UNREACHABLE_ATTEMPTS - 1,
                    error=functools.partial(
                        UnreachableError,
                        f"nothing answers at {url} ({refused}, {n} attempts): "
                        f"{self.config.unreachable_hint(url)}",
                        code="unreachable",
                    ),
                ) from exc
            if refused is None and not isinstance(exc, requests.ConnectTimeout):
                unanswered[0] += 1
            raise Retry(
                what,
                retries=TOKEN_ATTEMPTS - 1,
                error=functools.partial(
                    TransientError,
                    f"{n} attempts at the token endpoint {url} failed (the last: {failure})",
                ),
            ) from exc
        self._answered = True
        if resp.status_code >= 500 or resp.status_code == 429:
            raise Retry(
                f"the token endpoint {url}: HTTP {resp.status_code}",
                retries=TOKEN_ATTEMPTS - 1,
                error=functools.partial(
                    TransientError,
                    f"{n} attempts at the token endpoint {url} failed (the last: HTTP {resp.status_code})",
                    status=resp.status_code,
                ),
                status=resp.status_code,
            )
        try:
            body: dict[str, Any] = resp.json()
        except ValueError:
            body = {}
        if resp.status_code == 200:
            return body
        error = str(body.get("error") or f"HTTP {resp.status_code}")
        if error == "invalid_grant":
            lost = (
                f" after {unanswered[0]} earlier attempt(s) got no answer (QuickBooks may have rotated "
                "the token then)"
                if unanswered[0] and form.get("grant_type") == "refresh_token"
                else ""
            )
            raise RefreshTokenInvalid(
                f"QuickBooks refused the refresh token of company {self.config.realm_id} "
                f"(invalid_grant){lost}",
                code="invalid_grant",
                status=resp.status_code,
            )
        if error == "invalid_client" or resp.status_code == 401:
            raise AuthenticationError(
                "QuickBooks refused the client_id/client_secret (invalid_client): check the app's keys",
                code="invalid_client",
                status=resp.status_code,
            )
        raise AuthenticationError(
            f"the token endpoint refused the request ({error})", code=error, status=resp.status_code
        )

    # -- the first refresh token: the authorization-code flow -----------------------------------

    def authorize_url(
        self, redirect_uri: str, state: str | None = None, base: str | None = None
    ) -> tuple[str, str]:
        """The consent URL and the random ``state`` it carries."""
        state = state or secrets.token_urlsafe(24)
        query = urllib.parse.urlencode(
            {
                "client_id": self.config.client_id,
                "response_type": "code",
                "scope": SCOPE,
                "redirect_uri": redirect_uri,
                "state": state,
            }
        )
        return f"{base or INTUIT_AUTHORIZE_URL}?{query}", state

    def exchange_code(self, code: str, redirect_uri: str) -> Tokens:
        """Trade an authorization code for tokens and save them in the store."""
        with self.store.locked():
            answer = self._token_request(
                {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
            )
            if not answer.get("refresh_token"):
                raise AuthenticationError("the token endpoint answered the code without a refresh_token")
            # seeded_from: the config's refresh token (if any) is older than these tokens, so the
            # store wins over it from now on; a refresh token pasted into the config later still wins.
            fresh = self._tokens_from(answer, seeded_from=self.config.refresh_token, previous="")
            self.store.write(fresh)
        self._tokens = fresh
        return fresh


__all__ = ["SCOPE", "QBOError", "TokenManager"]
