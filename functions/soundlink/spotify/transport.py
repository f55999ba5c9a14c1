"""Sending one logical request to Spotify: bounded retries on 5xx and network
failures, never past the caller's deadline; grants (not idempotent) retry less."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from aws_lambda_powertools import Logger
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

from soundlink.platform.observability import tracer
from soundlink.spotify.config import SpotifyConfig
from soundlink.spotify.errors import SpotifyUnavailable
from soundlink.spotify.responses import retry_after_seconds

logger = Logger(child=True)

# One session per container: Lambda reuses it across invocations, which keeps
# TLS connections to Spotify warm. requests' own retries stay off (the
# default): retrying is decided below, within the caller's deadline.
SESSION = requests.Session()
SESSION.headers["User-Agent"] = "soundlink/0.1 (+spotify-web-api)"
tracer.patch(modules=("requests",))  # X-Ray segments for Spotify calls (the tracer patches botocore only)

# No attempt is started with less time than this left before the deadline.
_MIN_ATTEMPT_SECONDS = 0.1
_RETRYABLE_EXCEPTIONS = (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError)


def _never_sent(exc: Exception) -> bool:
    """Whether a failure certainly happened before the request reached the server:
    the connection could not be made (refused, unresolvable, connect timeout)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    cause = exc.args[0] if isinstance(exc, requests.ConnectionError) and exc.args else None
    return isinstance(cause, MaxRetryError) and isinstance(cause.reason, ConnectTimeoutError | NewConnectionError)


@dataclass(frozen=True)
class Sent:
    response: requests.Response
    attempts: int
    # An earlier attempt of a grant failed after Spotify may have processed it (a 5xx).
    earlier_attempt_may_have_succeeded: bool


class Transport:
    """Sends one logical request: bounded retries on 5xx and network failures,
    never past the caller's deadline. Every other status is returned as is.

    Grants (``send_grant``) are not idempotent and retry less: see there.
    """

    def __init__(
        self, config: SpotifyConfig, session: requests.Session | None, remaining_ms: Callable[[], int] | None
    ) -> None:
        self.config = config
        self.session = session or SESSION
        self.remaining_ms = remaining_ms

    def _seconds_left(self) -> float | None:
        if self.remaining_ms is None:
            return None
        return (self.remaining_ms() - self.config.deadline_margin_ms) / 1000

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.config.backoff_max_seconds, self.config.backoff_base_seconds * 2 ** (attempt - 1))
        # Equal jitter: never zero, so retries from many pollers spread out.
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not a secret

    def send(self, method: str, url: str, *, what: str, **kwargs: Any) -> requests.Response:
        """An idempotent request (the Web API GETs)."""
        return self._send(method, url, what=what, grant=False, kwargs=kwargs).response

    def send_grant(self, url: str, *, what: str, **kwargs: Any) -> Sent:
        """A token request (code exchange or refresh), which is not idempotent.

        A code is single use, and a refresh may rotate the refresh token (the old
        one dies at once). If Spotify processed an attempt whose answer was lost,
        a retry can only get ``invalid_grant``, and the new tokens are gone: that
        is an unknown outcome, not a revoked token or a bad code. So:

        - failures before the request reached Spotify (no connection) are retried;
        - a read timeout or a broken answer is not retried: the attempt may still
          be running at Spotify, and a retry would race it; the outcome is unknown;
        - a 5xx ends the attempt, so it is retried, but ``earlier_attempt_may_have_succeeded``
          tells the caller to read a retry's ``invalid_grant`` as unknown too.
        """
        return self._send("POST", url, what=what, grant=True, kwargs=kwargs)

    def _send(self, method: str, url: str, *, what: str, grant: bool, kwargs: Mapping[str, Any]) -> Sent:
        attempts = 0
        status: int | None = None
        retry_after: float | None = None
        problem = "no attempt made"
        may_have_succeeded = False  # only ever set for grants
        while True:
            left = self._seconds_left()
            if left is not None and left < _MIN_ATTEMPT_SECONDS:
                problem = f"{problem}; deadline reached"
                break
            timeout = self.config.timeout_seconds if left is None else min(self.config.timeout_seconds, left)
            attempts += 1
            try:
                response = self.session.request(method, url, timeout=timeout, allow_redirects=False, **kwargs)
            except _RETRYABLE_EXCEPTIONS as exc:
                status, retry_after = None, None
                problem = type(exc).__name__
                if grant and not _never_sent(exc):
                    # Spotify may have processed it (and rotated the refresh token): not retried.
                    may_have_succeeded = True
                    problem = f"{problem}; Spotify may have processed the request, so it was not repeated"
                    break
            else:
                if response.status_code < 500:
                    return Sent(response, attempts, may_have_succeeded)
                status = response.status_code
                retry_after = retry_after_seconds(response)
                problem = f"HTTP {status}"
                may_have_succeeded = grant
                response.close()
            if attempts >= self.config.max_attempts:
                break
            delay = self._backoff(attempts)
            if retry_after is not None:
                # A 503 may say how long the outage lasts; waiting less is pointless.
                if retry_after > self.config.backoff_max_seconds:
                    break
                delay = max(delay, retry_after)
            left = self._seconds_left()
            if left is not None and left - delay < _MIN_ATTEMPT_SECONDS:
                problem = f"{problem}; no time left for another attempt"
                break
            logger.warning(
                "Spotify call failed, retrying",
                extra={"spotify_call": what, "attempt": attempts, "problem": problem, "delay_seconds": round(delay, 3)},
            )
            time.sleep(delay)
        logger.warning("Spotify unavailable", extra={"spotify_call": what, "attempts": attempts, "problem": problem})
        raise SpotifyUnavailable(
            f"Spotify did not answer {what} ({problem}, {attempts} attempt(s))",
            attempts=attempts,
            status=status,
            retry_after_seconds=retry_after,
            request_may_have_succeeded=may_have_succeeded,
        )
