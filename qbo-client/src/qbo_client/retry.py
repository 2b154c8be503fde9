"""The one retry policy of the client: API calls and the token endpoint retry the same way.

An attempt that failed in a way worth trying again raises :class:`Retry`, saying what failed,
how many retries that kind of failure gets, and the error to raise when none is left. :func:`call`
runs the attempts with ``backoff`` (its ``runtime`` wait: a server's ``Retry-After`` when it sent
one, else the policy's exponential wait), logs every retry at WARNING with its number and its wait,
and raises that error once the retries are spent.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import backoff

T = TypeVar("T")


class Retry(Exception):
    """An attempt failed and may be tried again (raised inside an attempt, caught by :func:`call`)."""

    def __init__(
        self,
        what: str,
        *,
        retries: int,
        error: Callable[[], BaseException],
        retry_after: float | None = None,
        min_wait: float = 0.0,
        status: int = 0,
    ) -> None:
        super().__init__(what)
        #: What failed, for the log line (``POST https://...: HTTP 503``).
        self.what = what
        #: Retries this kind of failure gets after the first attempt.
        self.retries = retries
        #: Makes the error raised when no retry is left.
        self.error = error
        #: Seconds the server asked for (``Retry-After``), if it did.
        self.retry_after = retry_after
        #: The shortest wait without ``Retry-After`` (a 429: a second).
        self.min_wait = min_wait
        #: The HTTP status of the answer, 0 when there was none.
        self.status = status
        #: The attempt that failed, counted from 1 (set by :func:`call`).
        self.attempt = 0


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait before each retry: exponential from ``first_wait``, at most ``max_wait``,
    with full jitter (a random wait between 0 and that) when ``jitter``; a ``Retry-After`` is obeyed
    up to ``max_wait``."""

    first_wait: float = 0.5
    max_wait: float = 60.0
    jitter: bool = True

    def waits(self) -> Iterator[float]:
        """The wait before each retry when the server asked for none."""
        expo = backoff.expo(factor=self.first_wait, max_value=self.max_wait)
        next(expo)  # backoff's generators yield a 0 first, before any wait
        for value in expo:
            yield backoff.full_jitter(value) if self.jitter else value

    def wait(self, failure: Retry, planned: float) -> float:
        """The wait before retrying ``failure``: its ``Retry-After``, else ``planned``."""
        if failure.retry_after is not None:
            return min(failure.retry_after, self.max_wait)
        return max(planned, failure.min_wait)


def call(
    attempt: Callable[[int], T],
    policy: RetryPolicy,
    *,
    logger: logging.Logger,
    on_retry: Callable[[Retry, float], None] | None = None,
) -> T:
    """``attempt(n)`` for n = 1, 2, ... until one returns; its answer.

    A :class:`Retry` is retried after the policy's wait while ``n`` is within its ``retries``
    (``on_retry`` is told first); after that its error is raised, caused by what the last attempt
    raised. Any other exception ends the call at once.
    """
    tries = itertools.count(1)
    planned = policy.waits()
    failed: list[Retry] = []

    def once() -> T:
        n = next(tries)
        try:
            return attempt(n)
        except Retry as exc:
            exc.attempt = n
            failed.append(exc)
            raise

    def wait(failure: Retry) -> float:
        return policy.wait(failure, next(planned))

    def announce(details: Any) -> None:
        failure, seconds = failed[-1], float(details["wait"])
        logger.warning("%s; retry %d/%d in %.1f s", failure.what, failure.attempt, failure.retries, seconds)
        if on_retry is not None:
            on_retry(failure, seconds)

    retrying = backoff.on_exception(
        backoff.runtime,
        Retry,
        value=wait,
        jitter=None,  # the policy jitters its own waits; a Retry-After is obeyed as given
        giveup=lambda exc: isinstance(exc, Retry) and exc.attempt > exc.retries,
        on_backoff=announce,
        logger=None,  # the retries are logged by ``announce``, in the connectors' words
    )(once)
    try:
        return retrying()
    except Retry as exc:
        raise exc.error() from exc.__cause__
