"""The Spotify accounts service and Web API, as Soundlink uses them.

Everything here follows shared/spotify/NOTES.md (Spotify as it behaves in
2026) and the response shapes of shared/spotify/fixed-spotify-open-api.yml.
Configuration is passed in: this module never reads the environment, so the
same code talks to Spotify or to the local emulator (one base URL for both
the accounts and the API paths).

Errors are typed so callers can act on them: every failure is a
``SpotifyError``; ``RateLimited``, ``TokenRevoked``, ``NotAllowListed``,
``PlaylistNotReadable`` and ``SpotifyUnavailable`` each call for a different
reaction. Tokens and secrets are never logged and never part of a repr.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from aws_lambda_powertools import Logger
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

from soundlink.spotify_oauth import Pkce, authorize_url, code_challenge, make_pkce, make_state

__all__ = ["Pkce", "code_challenge", "make_pkce", "make_state"]  # re-exported: callers import them from here

logger = Logger(child=True)

# One session per container: Lambda reuses it across invocations, which keeps
# TLS connections to Spotify warm. requests' own retries stay off (the
# default): retrying is decided below, within the caller's deadline.
SESSION = requests.Session()
SESSION.headers["User-Agent"] = "soundlink/0.1 (+spotify-web-api)"

PAGE_LIMIT = 50  # the most Spotify returns per page, for plays and for playlist items
# Spotify keeps only the last 50 plays, so more than a few pages can never be useful.
_MAX_PLAY_PAGES = 4
# A playlist holds at most 10,000 items: 200 pages of 50.
_MAX_PLAYLIST_PAGES = 200
# Refresh a little before expiry so a token does not lapse between check and use.
_EXPIRY_SKEW = timedelta(seconds=60)
# A 429 without Retry-After: wait one full window of Spotify's rolling 30 s limit.
_DEFAULT_RETRY_AFTER_SECONDS = 30.0
# No attempt is started with less time than this left before the deadline.
_MIN_ATTEMPT_SECONDS = 0.1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RETRYABLE_EXCEPTIONS = (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError)


# ---------------------------------------------------------------- configuration


@dataclass(frozen=True)
class SpotifyConfig:
    client_id: str
    client_secret: str = field(repr=False)
    accounts_url: str = "https://accounts.spotify.com"
    api_url: str = "https://api.spotify.com"
    timeout_seconds: float = 5.0
    max_attempts: int = 3
    backoff_base_seconds: float = 0.2
    backoff_max_seconds: float = 2.0
    # Time kept back from the caller's deadline (e.g. for the DynamoDB writes
    # that follow a Spotify call in the same Lambda invocation).
    deadline_margin_ms: int = 1000

    def __post_init__(self) -> None:
        if not self.client_id or not self.client_secret:
            raise ValueError("SpotifyConfig needs a client_id and a client_secret")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        object.__setattr__(self, "accounts_url", self.accounts_url.rstrip("/"))
        object.__setattr__(self, "api_url", self.api_url.rstrip("/"))


# ----------------------------------------------------------------------- errors


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


class PlaylistNotFound(SpotifyRequestError):
    """404 on a playlist: a wrong id, or another user's private playlist, which
    Spotify hides rather than forbids."""


class UnexpectedResponse(SpotifyError):
    """A successful status with a body that is not the documented shape."""


# ----------------------------------------------------------------- typed values


@dataclass(frozen=True)
class TokenSet:
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    scope: str
    expires_at: datetime

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())

    def expires_within(self, delta: timedelta, *, now: datetime | None = None) -> bool:
        return self.expires_at <= (now or datetime.now(UTC)) + delta


@dataclass(frozen=True)
class Profile:
    id: str
    account_id: str | None
    display_name: str | None
    uri: str | None

    @property
    def listener_id(self) -> str:
        # Since May 2026 Spotify says to link accounts by account_id (immutable);
        # id is the fallback for responses that predate it.
        return self.account_id or self.id


@dataclass(frozen=True)
class Artist:
    id: str | None
    name: str


@dataclass(frozen=True)
class Album:
    id: str | None
    name: str
    uri: str | None


@dataclass(frozen=True)
class Track:
    id: str
    uri: str
    name: str
    artists: tuple[Artist, ...]
    album: Album | None
    duration_ms: int

    @property
    def artist_ids(self) -> tuple[str, ...]:
        return tuple(a.id for a in self.artists if a.id)

    @property
    def artist_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.artists)


@dataclass(frozen=True)
class PlayContext:
    type: str | None
    uri: str | None


@dataclass(frozen=True)
class Play:
    track: Track
    played_at: datetime  # aware, UTC: when the play ended
    context: PlayContext | None  # often None: album plays, Liked Songs, API-started plays

    @property
    def played_at_ms(self) -> int:
        return _to_ms(self.played_at)

    @property
    def context_type(self) -> str | None:
        return self.context.type if self.context else None

    @property
    def context_uri(self) -> str | None:
        return self.context.uri if self.context else None


@dataclass(frozen=True)
class RecentlyPlayed:
    plays: tuple[Play, ...]  # newer than the cursor asked for, oldest first
    cursor_ms: int | None  # pass as after_ms on the next poll
    # Spotify keeps only 50 plays: when 50 or more are new, some may have been lost.
    possible_gap: bool


@dataclass(frozen=True)
class Playlist:
    id: str
    name: str
    owner_id: str | None
    snapshot_id: str
    uri: str
    collaborative: bool = False


@dataclass(frozen=True)
class PlaylistTrack:
    track: Track
    added_at: datetime | None


# ------------------------------------------------------------------- transport


def _never_sent(exc: Exception) -> bool:
    """Whether a failure certainly happened before the request reached the server:
    the connection could not be made (refused, unresolvable, connect timeout)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    cause = exc.args[0] if isinstance(exc, requests.ConnectionError) and exc.args else None
    return isinstance(cause, MaxRetryError) and isinstance(cause.reason, ConnectTimeoutError | NewConnectionError)


@dataclass(frozen=True)
class _Sent:
    response: requests.Response
    attempts: int
    # An earlier attempt of a grant failed after Spotify may have processed it (a 5xx).
    earlier_attempt_may_have_succeeded: bool


class _Transport:
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

    def send_grant(self, url: str, *, what: str, **kwargs: Any) -> _Sent:
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

    def _send(self, method: str, url: str, *, what: str, grant: bool, kwargs: Mapping[str, Any]) -> _Sent:
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
                    return _Sent(response, attempts, may_have_succeeded)
                status = response.status_code
                retry_after = _retry_after(response)
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


# --------------------------------------------------------------------- accounts


class SpotifyAccounts:
    """The accounts service: the authorize URL, code exchange and token refresh."""

    def __init__(
        self,
        config: SpotifyConfig,
        *,
        remaining_ms: Callable[[], int] | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.config = config
        self._transport = _Transport(config, session, remaining_ms)

    def authorize_url(
        self, redirect_uri: str, state: str, code_challenge: str, scopes: Iterable[str], show_dialog: bool = False
    ) -> str:
        return authorize_url(
            self.config.accounts_url, self.config.client_id, redirect_uri, state, code_challenge, scopes, show_dialog
        )

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> TokenSet:
        return self._grant(
            "authorization code exchange",
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
            },
            invalid_grant=InvalidAuthorizationCode,
            previous=None,
        )

    def refresh(self, tokens: TokenSet) -> TokenSet:
        """New tokens; the refresh token is kept unless Spotify rotated it."""
        if not tokens.refresh_token:
            raise TokenRevoked("there is no refresh token to use; the user must connect again")
        return self._grant(
            "token refresh",
            {
                "grant_type": "refresh_token",
                "refresh_token": tokens.refresh_token,
            },
            invalid_grant=TokenRevoked,
            previous=tokens,
        )

    def _grant(
        self,
        what: str,
        form: Mapping[str, str],
        *,
        invalid_grant: type[TokenRevoked | InvalidAuthorizationCode],
        previous: TokenSet | None,
    ) -> TokenSet:
        sent = self._transport.send_grant(
            f"{self.config.accounts_url}/api/token",
            what=what,
            data=dict(form),
            auth=(self.config.client_id, self.config.client_secret),
            headers={"Accept": "application/json"},
        )
        response = sent.response
        if response.status_code == 200:
            return _parse_token_set(_json(response), previous=previous)
        error = _token_error(response, invalid_grant)
        if isinstance(error, invalid_grant) and sent.earlier_attempt_may_have_succeeded:
            # The attempt that failed with a 5xx may have spent the code or rotated the
            # refresh token, which alone would make this retry's invalid_grant: unknown.
            logger.warning("Spotify refused a repeated grant", extra={"spotify_call": what, "attempts": sent.attempts})
            raise SpotifyUnavailable(
                f"Spotify refused a repeat of the {what} ({error.message}) after an attempt it may have "
                f"processed: the outcome is unknown ({sent.attempts} attempt(s))",
                attempts=sent.attempts,
                status=response.status_code,
                request_may_have_succeeded=True,
            )
        raise error


# ---------------------------------------------------------------------- Web API


@dataclass
class _Call:
    """The state of one public ``SpotifyClient`` call, across all its pages. It is
    made per call, never kept on the client, so no method can forget to reset it
    and calls on one client (even from several threads) never share it."""

    refreshed: bool = False  # the call's one refresh (on expiry or on a 401) is spent


class SpotifyClient:
    """The Web API on behalf of one user (a listener, or an owner reading a playlist).

    An access token that has expired, or that Spotify answers with 401, is
    refreshed once per call; the new tokens are in ``tokens`` and are passed
    to ``on_tokens_refreshed`` so the caller can persist them (Spotify may
    rotate the refresh token).
    """

    def __init__(
        self,
        config: SpotifyConfig,
        tokens: TokenSet,
        *,
        on_tokens_refreshed: Callable[[TokenSet], None] | None = None,
        remaining_ms: Callable[[], int] | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.config = config
        self.tokens = tokens
        self.tokens_refreshed = False
        self._on_tokens_refreshed = on_tokens_refreshed
        self._accounts = SpotifyAccounts(config, remaining_ms=remaining_ms, session=session)
        self._transport = self._accounts._transport

    # -- calls

    def me(self) -> Profile:
        body = self._get(_Call(), "/v1/me", what="GET /v1/me")
        return _parse(_parse_profile, body, "user profile")

    def recently_played(self, after_ms: int | None = None) -> RecentlyPlayed:
        """Plays newer than ``after_ms`` (Unix ms, exclusive), oldest first.

        Pass the previous ``cursor_ms`` as ``after_ms``; for a listener's first
        poll pass the consent time, so plays lost before it count as a gap.

        Late plays: Spotify reports some plays minutes to hours late (offline
        listening), with a ``played_at`` older than the cursor, and ``after``
        filters them out for good. To catch them, pass ``after_ms = cursor_ms -
        lookback`` and deduplicate by (listener, played_at): plays between
        ``after_ms`` and the cursor come back again.

        ``possible_gap`` is judged against the ``after_ms`` passed, lookback
        included: it is true when 50 plays (all Spotify keeps) are newer than
        ``after_ms`` and nothing reached back to it, so plays after ``after_ms``
        may be lost. A longer lookback makes a full answer, and so a possible
        gap, likelier.
        """
        params: dict[str, Any] = {"limit": PAGE_LIMIT}
        if after_ms is not None:
            params["after"] = int(after_ms)
        path: str = "/v1/me/player/recently-played"
        seen: dict[tuple[int, str], Play] = {}
        new_items = 0
        newest_ms = after_ms
        reached_cursor = False
        call = _Call()
        for _ in range(_MAX_PLAY_PAGES):
            body = self._get(call, path, params=params, what="GET recently-played")
            items, next_url = _parse(_parse_play_page, body, "recently played page")
            page_new = 0
            for played_at, play in items:
                ms = _to_ms(played_at)
                if after_ms is not None and ms <= after_ms:
                    # Following `next` walks back in time, into plays already seen.
                    reached_cursor = True
                    continue
                page_new += 1
                # Plays that cannot be attributed (no track id) still move the cursor past them.
                newest_ms = ms if newest_ms is None else max(newest_ms, ms)
                if play is not None:
                    seen.setdefault((ms, play.track.id), play)
            new_items += page_new
            if not next_url or len(items) < PAGE_LIMIT or page_new < len(items):
                break
            path, params = _api_path(next_url, self.config.api_url), None
        plays = tuple(sorted(seen.values(), key=lambda p: p.played_at))
        possible_gap = after_ms is not None and new_items >= PAGE_LIMIT and not reached_cursor
        if possible_gap:
            logger.info(
                "Recently played was full of new plays: older plays may be lost", extra={"new_plays": new_items}
            )
        return RecentlyPlayed(plays=plays, cursor_ms=newest_ms, possible_gap=possible_gap)

    def playlist(self, playlist_id: str) -> Playlist:
        body = self._get(_Call(), f"/v1/playlists/{quote(playlist_id, safe='')}", what="GET playlist", playlist=True)
        return _parse(_parse_playlist, body, "playlist")

    def playlist_items(self, playlist_id: str) -> list[PlaylistTrack]:
        """Every track of the playlist, in playlist order.

        Local files, episodes and unavailable (null) items are skipped: none of
        them can be matched to a play.
        """
        path = f"/v1/playlists/{quote(playlist_id, safe='')}/items"
        tracks: list[PlaylistTrack] = []
        offset = 0
        call = _Call()
        for _ in range(_MAX_PLAYLIST_PAGES):
            body = self._get(
                call, path, params={"limit": PAGE_LIMIT, "offset": offset}, what="GET playlist items", playlist=True
            )
            page, count, has_next = _parse(_parse_playlist_items_page, body, "playlist items page")
            tracks.extend(page)
            offset += count
            if not has_next or count == 0:
                break
        return tracks

    # -- plumbing

    def refresh(self) -> TokenSet:
        self.tokens = self._accounts.refresh(self.tokens)
        self.tokens_refreshed = True
        if self._on_tokens_refreshed is not None:
            self._on_tokens_refreshed(self.tokens)
        return self.tokens

    def _get(
        self, call: _Call, path: str, *, what: str, params: Mapping[str, Any] | None = None, playlist: bool = False
    ) -> Any:
        """One GET of ``call``: a public method makes one ``_Call`` and passes it to every page."""
        if not call.refreshed and self.tokens.refresh_token and self.tokens.expires_within(_EXPIRY_SKEW):
            call.refreshed = True
            self.refresh()
        while True:
            response = self._transport.send(
                "GET",
                f"{self.config.api_url}{path}",
                what=what,
                params=params,
                headers={"Authorization": f"Bearer {self.tokens.access_token}", "Accept": "application/json"},
            )
            # An access token can die before its expires_in (revocation, clock
            # skew): one refresh and one retry per call (all its pages), never a loop.
            if response.status_code == 401 and not call.refreshed and self.tokens.refresh_token:
                response.close()
                call.refreshed = True
                self.refresh()
                continue
            if response.status_code == 200:
                return _json(response)
            raise _api_error(response, playlist=playlist)


# ------------------------------------------------------------------- responses


def _json(response: requests.Response) -> Any:
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
        return _str_or_none(error.get("reason")), _str_or_none(error.get("message"))
    # Accounts service (RFC 6749): {"error": "invalid_grant", "error_description": "..."}
    return _str_or_none(error), _str_or_none(body.get("error_description"))


def _retry_after(response: requests.Response) -> float | None:
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
    seconds = _retry_after(response)
    if seconds is None:
        seconds = _DEFAULT_RETRY_AFTER_SECONDS
    logger.warning("Spotify rate limit", extra={"retry_after_seconds": seconds, "reason": reason})
    return RateLimited(
        f"Spotify rate limit: retry after {seconds:g} s ({message or reason or 'no detail'})",
        retry_after_seconds=seconds,
        status=response.status_code,
        reason=reason,
    )


def _token_error(response: requests.Response, invalid_grant: type[SpotifyError]) -> SpotifyError:
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


def _api_error(response: requests.Response, *, playlist: bool) -> SpotifyError:
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
            return SpotifyRequestError(f"Spotify refused a missing scope: {detail}", status=status, reason=reason)
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


def _parse(parser: Callable[[Any], Any], body: Any, what: str) -> Any:
    try:
        return parser(body)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UnexpectedResponse(
            f"Spotify sent a {what} of an unexpected shape ({type(exc).__name__}: {exc})", status=200
        ) from None


def _parse_token_set(body: Any, *, previous: TokenSet | None) -> TokenSet:
    def parse(data: Any) -> TokenSet:
        access_token = data["access_token"]
        if not isinstance(access_token, str) or not access_token:
            raise ValueError("access_token is missing")
        expires_in = int(data.get("expires_in") or 3600)
        refresh_token = data.get("refresh_token") or (previous.refresh_token if previous else None)
        scope = data.get("scope")
        if scope is None:
            scope = previous.scope if previous else ""
        return TokenSet(
            access_token=access_token,
            refresh_token=refresh_token,
            scope=str(scope),
            expires_at=datetime.now(UTC) + timedelta(seconds=expires_in),
        )

    return _parse(parse, body, "token response")


def _parse_profile(data: Any) -> Profile:
    return Profile(
        id=str(data["id"]),
        account_id=_str_or_none(data.get("account_id")),
        display_name=_str_or_none(data.get("display_name")),
        uri=_str_or_none(data.get("uri")),
    )


def _parse_track(data: Any) -> Track | None:
    """A TrackObject, or None for what cannot be attributed (episodes, local files, no id)."""
    if not isinstance(data, dict) or data.get("type", "track") != "track" or data.get("is_local"):
        return None
    if not data.get("id"):
        return None
    album_data = data.get("album")
    album = None
    if isinstance(album_data, dict):
        album = Album(
            id=_str_or_none(album_data.get("id")),
            name=str(album_data.get("name") or ""),
            uri=_str_or_none(album_data.get("uri")),
        )
    artists = tuple(
        Artist(id=_str_or_none(a.get("id")), name=str(a.get("name") or ""))
        for a in data.get("artists") or ()
        if isinstance(a, dict)
    )
    return Track(
        id=str(data["id"]),
        uri=str(data.get("uri") or f"spotify:track:{data['id']}"),
        name=str(data.get("name") or ""),
        artists=artists,
        album=album,
        duration_ms=int(data.get("duration_ms") or 0),
    )


def _parse_play_page(data: Any) -> tuple[list[tuple[datetime, Play | None]], str | None]:
    items: list[tuple[datetime, Play | None]] = []
    for item in data["items"]:
        played_at = _parse_time(item["played_at"])
        track = _parse_track(item.get("track"))
        context_data = item.get("context")
        context = None
        if isinstance(context_data, dict):
            context = PlayContext(
                type=_str_or_none(context_data.get("type")), uri=_str_or_none(context_data.get("uri"))
            )
        items.append((played_at, Play(track=track, played_at=played_at, context=context) if track else None))
    return items, _str_or_none(data.get("next"))


def _parse_playlist(data: Any) -> Playlist:
    owner = data.get("owner")
    return Playlist(
        id=str(data["id"]),
        name=str(data.get("name") or ""),
        owner_id=_str_or_none(owner.get("id")) if isinstance(owner, dict) else None,
        snapshot_id=str(data["snapshot_id"]),
        uri=str(data.get("uri") or f"spotify:playlist:{data['id']}"),
        collaborative=bool(data.get("collaborative")),
    )


def _parse_playlist_items_page(data: Any) -> tuple[list[PlaylistTrack], int, bool]:
    raw = data["items"]
    tracks: list[PlaylistTrack] = []
    for entry in raw:
        if not isinstance(entry, dict) or entry.get("is_local"):
            continue
        # Since 2026 the track is in `item`; `track` is deprecated and not read.
        track = _parse_track(entry.get("item"))
        if track is None:
            continue
        added_at = entry.get("added_at")
        tracks.append(PlaylistTrack(track=track, added_at=_parse_time(added_at) if added_at else None))
    return tracks, len(raw), bool(data.get("next"))


# ---------------------------------------------------------------------- helpers


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _to_ms(moment: datetime) -> int:
    # Integer arithmetic: float timestamps can turn .123 s into 122.99999 ms.
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _api_path(url: str, api_url: str) -> str:
    """The path and query of a paging link, to be sent to the configured API URL.

    The bearer token must only ever go to the API we were configured with, not
    to whatever host a response names.
    """
    if url.startswith(api_url + "/"):
        return url[len(api_url) :]
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
