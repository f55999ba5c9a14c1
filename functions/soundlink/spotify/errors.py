"""Spotify failures, typed so callers can act on them.

Every failure is a ``SpotifyError``; ``RateLimited``, ``TokenRevoked``,
``NotAllowListed``, ``PlaylistNotReadable`` and ``SpotifyUnavailable`` each
call for a different reaction.
"""

from __future__ import annotations


class SpotifyError(Exception):
    """Any failure talking to Spotify. ``status`` is Spotify's HTTP status, when there was one."""

    def __init__(self, message: str, *, status: int | None = None, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.reason = reason


class RateLimited(SpotifyError):
    """429 (or a QUOTA_EXCEEDED reason): wait ``retry_after_seconds`` before calling again.

    Spotify has sent values from seconds to about 20 hours; the caller should
    record a back-off rather than retry.
    """

    def __init__(
        self, message: str, *, retry_after_seconds: float, status: int | None = 429, reason: str | None = None
    ) -> None:
        super().__init__(message, status=status, reason=reason)
        self.retry_after_seconds = retry_after_seconds

    @property
    def quota_exceeded(self) -> bool:
        return self.reason == "QUOTA_EXCEEDED"


class TokenRevoked(SpotifyError):
    """The refresh token was refused (``invalid_grant``): it expired (6 months after
    consent) or the user removed the app. Retrying cannot help: discard the tokens
    and ask the listener to connect again."""


class InvalidAuthorizationCode(SpotifyError):
    """The authorization code was refused (``invalid_grant``): expired, already
    used, or issued for another redirect URI or code verifier. Start the
    authorization again."""


class NotAllowListed(SpotifyError):
    """403 in Development Mode: the user may log in but is not on the app's
    allow-list (at most 5 users per client id), so every Web API call fails.
    The owner must be told; re-consent does not help."""


class PlaylistNotReadable(SpotifyError):
    """403 on a playlist: since Feb 2026 only its owner or a collaborator may read
    its items (and Spotify's editorial playlists are closed to new apps)."""


class SpotifyUnavailable(SpotifyError):
    """5xx, timeouts or connection failures that outlasted the retries, or no time
    left before the caller's deadline. Worth trying again later.

    For a code exchange or a refresh, ``request_may_have_succeeded`` says the
    outcome is unknown: Spotify may have spent the code or rotated the refresh
    token without the answer reaching us. Keep the tokens held and try again
    later; only a later, first-hand ``invalid_grant`` means they are dead.
    """

    def __init__(
        self,
        message: str,
        *,
        attempts: int,
        status: int | None = None,
        retry_after_seconds: float | None = None,
        request_may_have_succeeded: bool = False,
    ) -> None:
        super().__init__(message, status=status)
        self.attempts = attempts
        self.retry_after_seconds = retry_after_seconds
        self.request_may_have_succeeded = request_may_have_succeeded


class SpotifyRequestError(SpotifyError):
    """Any other refusal (4xx): a bug, a missing scope or a misconfiguration, not
    something a retry fixes."""


class MissingScope(SpotifyRequestError):
    """403 for a scope the token was not granted (an older consent): the data is
    not measured for this user, which is not the same as zero."""


class PlaylistNotFound(SpotifyRequestError):
    """404 on a playlist: a wrong id, or another user's private playlist, which
    Spotify hides rather than forbids."""


class UnexpectedResponse(SpotifyError):
    """A successful status with a body that is not the documented shape."""
