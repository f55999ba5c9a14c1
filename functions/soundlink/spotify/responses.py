"""What Spotify's error answers mean: the two error shapes, Retry-After, and the
typed error each status calls for."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from aws_lambda_powertools import Logger

from soundlink.spotify.errors import (
    MissingScope,
    NotAllowListed,
    PlaylistNotFound,
    PlaylistNotReadable,
    RateLimited,
    SpotifyError,
    SpotifyRequestError,
    UnexpectedResponse,
)
from soundlink.spotify.parsing import str_or_none

logger = Logger(child=True)

# A 429 without Retry-After: wait one full window of Spotify's rolling 30 s limit.
_DEFAULT_RETRY_AFTER_SECONDS = 30.0


def json_body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise UnexpectedResponse(
            f"Spotify answered {response.status_code} without JSON", status=response.status_code
        ) from None


def _error_body(response: requests.Response) -> tuple[str | None, str | None]:
    """(error code or reason, message) from either error shape Spotify uses."""
    try:
        body = response.json()
    except ValueError:
        return None, (response.text or "")[:200] or None
    if not isinstance(body, dict):
        return None, None
    error = body.get("error")
    if isinstance(error, dict):  # Web API: {"error": {"status", "message", "reason"?}}
        return str_or_none(error.get("reason")), str_or_none(error.get("message"))
    # Accounts service (RFC 6749): {"error": "invalid_grant", "error_description": "..."}
    return str_or_none(error), str_or_none(body.get("error_description"))


def retry_after_seconds(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:  # RFC 9110 also allows an HTTP date
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def _rate_limited(response: requests.Response, reason: str | None, message: str | None) -> RateLimited:
    seconds = retry_after_seconds(response)
    if seconds is None:
        seconds = _DEFAULT_RETRY_AFTER_SECONDS
    logger.warning("Spotify rate limit", extra={"retry_after_seconds": seconds, "reason": reason})
    return RateLimited(
        f"Spotify rate limit: retry after {seconds:g} s ({message or reason or 'no detail'})",
        retry_after_seconds=seconds,
        status=response.status_code,
        reason=reason,
    )


def token_error(response: requests.Response, invalid_grant: type[SpotifyError]) -> SpotifyError:
    code, description = _error_body(response)
    status = response.status_code
    if status == 429 or code == "QUOTA_EXCEEDED":
        return _rate_limited(response, code, description)
    if code == "invalid_grant":
        return invalid_grant(f"Spotify refused the grant: {description or 'invalid_grant'}", status=status, reason=code)
    return SpotifyRequestError(
        f"Spotify token endpoint answered {status}: {code or ''} {description or ''}".strip(),
        status=status,
        reason=code,
    )


def api_error(response: requests.Response, *, playlist: bool) -> SpotifyError:
    reason, message = _error_body(response)
    status = response.status_code
    detail = message or reason or f"HTTP {status}"
    if status == 429 or reason == "QUOTA_EXCEEDED":
        return _rate_limited(response, reason, message)
    if status == 403:
        text = (message or "").lower()
        if "registered" in text or "developer dashboard" in text or "allow" in text:
            return NotAllowListed(
                f"The Spotify user is not on this app's allow-list: {detail}", status=status, reason=reason
            )
        if "scope" in text:
            return MissingScope(f"Spotify refused a missing scope: {detail}", status=status, reason=reason)
        if playlist:
            return PlaylistNotReadable(
                f"This Spotify account may not read the playlist: {detail}", status=status, reason=reason
            )
        # Outside playlists, Development Mode answers 403 to users off the allow-list.
        return NotAllowListed(
            f"The Spotify user is not on this app's allow-list: {detail}", status=status, reason=reason
        )
    if status == 404 and playlist:
        return PlaylistNotFound(
            f"Spotify has no playlist by that id for this account: {detail}", status=status, reason=reason
        )
    return SpotifyRequestError(f"Spotify answered {status}: {detail}", status=status, reason=reason)
