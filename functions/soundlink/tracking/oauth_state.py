"""OAuth states: one per consent in progress, single use, expiring in minutes.

A state is created by the tracker (listener consent), by the owner API
(owner's Spotify connection) or by the privacy page (disconnect), and
finished by the callback. It holds the PKCE verifier, what the consent is
for, and the hash of a `__Host-` cookie set in the same response: only the
browser that started a consent can finish it (no login CSRF, no state
replayed from a leaked URL). Every purpose is bound so: a state without a
cookie hash is refused. One state allows one code exchange: the callback
claims it (a conditional update) before it asks Spotify, so a second code,
bogus or not, costs Spotify nothing; a failed exchange deletes it. The
callback deletes the state in the same DynamoDB transaction that stores the
result, on condition that it still exists and has not expired, so a state
is used once even under races.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from pynamodb.exceptions import UpdateError

from soundlink.platform.settings import Settings
from soundlink.platform.tables import OAuthStateItem
from soundlink.spotify.oauth import authorize_url, make_pkce, make_state

STATE_TTL = timedelta(minutes=10)
COOKIE_NAME = "__Host-soundlink_consent"
# make_state() gives 43 base64url characters; anything else was never issued.
_STATE_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")


class Purpose(StrEnum):
    LISTEN = "listen"  # a listener connects Spotify through a campaign's tracker
    OWNER = "owner"  # an owner connects their own account to read their playlists
    DISCONNECT = "disconnect"  # a listener proves who they are to have their data deleted


SCOPES: dict[Purpose, tuple[str, ...]] = {
    Purpose.LISTEN: ("user-read-recently-played",),
    Purpose.OWNER: ("playlist-read-private", "playlist-read-collaborative"),
    Purpose.DISCONNECT: (),  # /v1/me needs no scope: identity is all we ask for
}
# What GET /v1/me/library/contains needs for tracks, artists and playlists: asked only by the
# consents of campaigns that measure fans (saves, follows).
FANS_SCOPES: tuple[str, ...] = ("user-library-read", "user-follow-read", "playlist-read-private")


def grants_library(scopes: str | None) -> bool:
    """Whether a grant (the token answer's space-separated `scope`) lets fans be measured."""
    return set((scopes or "").split()) >= set(FANS_SCOPES)


def listener_scopes(measure_fans: bool) -> tuple[str, ...]:
    """The scopes a listener's consent asks for: recently played, plus the library's for fans."""
    return SCOPES[Purpose.LISTEN] + (FANS_SCOPES if measure_fans else ())


class StateRefused(Exception):
    """The callback's state cannot be used; `reason` says why (for logs and metrics)."""

    def __init__(self, reason: str, item: OAuthStateItem | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.item = item


@dataclass(frozen=True)
class StartedConsent:
    state: str
    authorize_url: str
    cookie: str | None  # a Set-Cookie value, when the state is bound to this browser
    expires_at: datetime


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def set_cookie(value: str, max_age: int) -> str:
    # __Host-: Secure, Path=/ and no Domain, so no other host can set or read it.
    return f"{COOKIE_NAME}={value}; Max-Age={max_age}; Path=/; Secure; HttpOnly; SameSite=Lax"


def clear_cookie() -> str:
    return set_cookie("", 0)


def cookie_from(cookies: list[str] | None) -> str | None:
    """The consent cookie among payload 2.0's `cookies` ("name=value" strings)."""
    for cookie in cookies or ():
        for part in cookie.split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE_NAME and value:
                return value
    return None


def callback_url(api_url: str) -> str:
    """The one redirect URI Soundlink registers with Spotify."""
    return f"{api_url}/oauth/callback"


def start(
    purpose: Purpose,
    *,
    now: datetime,
    settings: Settings,
    api_url: str,
    bind_cookie: bool = True,
    campaign_id: str | None = None,
    owner_id: str | None = None,
    slug: str | None = None,
    destination_url: str | None = None,
    click: dict[str, Any] | None = None,
    show_dialog: bool = False,
    scopes: tuple[str, ...] | None = None,
) -> StartedConsent:
    """Store a new state (one DynamoDB write) and build Spotify's authorize URL.

    ValueError when the deployment cannot start a consent (no Spotify client id,
    a redirect URI Spotify would refuse)."""
    if not settings.spotify_client_id:
        raise ValueError("SpotifyClientId is not set: no consent can start")
    redirect_uri = callback_url(api_url)
    pkce = make_pkce()
    state = make_state()
    nonce = secrets.token_urlsafe(32) if bind_cookie else None
    expires_at = now + STATE_TTL
    url = authorize_url(
        settings.spotify_accounts_url,
        settings.spotify_client_id,
        redirect_uri,
        state,
        pkce.challenge,
        SCOPES[purpose] if scopes is None else scopes,
        show_dialog=show_dialog,
    )
    item = OAuthStateItem(
        *OAuthStateItem.key(state),
        purpose=purpose.value,
        code_verifier=pkce.verifier,
        cookie_hash=_hash(nonce) if nonce else None,
        redirect_uri=redirect_uri,
        campaign_id=campaign_id,
        owner_id=owner_id,
        slug=slug,
        destination_url=destination_url,
        click=click,
        created_at=now,
        expires_at=int(expires_at.timestamp()),
    )
    item.save(condition=OAuthStateItem.pk.does_not_exist())
    cookie = set_cookie(nonce, int(STATE_TTL.total_seconds())) if nonce else None
    return StartedConsent(state=state, authorize_url=url, cookie=cookie, expires_at=expires_at)


def load(state: str | None, cookie: str | None, now: datetime) -> OAuthStateItem:
    """The stored state if it may be used now by this browser; StateRefused otherwise.

    Reads only: the state is deleted by the transaction that stores the result
    (`consume_condition`), never here.
    """
    if not state or not _STATE_RE.match(state):
        raise StateRefused("malformed")
    try:
        item = OAuthStateItem.get(*OAuthStateItem.key(state), consistent_read=True)
    except OAuthStateItem.DoesNotExist:
        raise StateRefused("unknown_or_used") from None
    if item.expires_at <= now.timestamp():
        raise StateRefused("expired", item)
    if item.cookie_hash is None or not (cookie and hmac.compare_digest(_hash(cookie), item.cookie_hash)):
        raise StateRefused("cookie_mismatch", item)
    if item.claimed:
        raise StateRefused("unknown_or_used", item)
    return item


def claim(item: OAuthStateItem, now: datetime) -> None:
    """Take the state's one code exchange; StateRefused when another callback took it first."""
    try:
        item.update(
            actions=[OAuthStateItem.claimed.set(True)],
            condition=consume_condition(now) & OAuthStateItem.claimed.does_not_exist(),
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise StateRefused("unknown_or_used", item) from error
        raise


def consume_condition(now: datetime, *, claimed: bool = False) -> Any:
    """Condition of the transaction's delete: the state is still there and unexpired (and,
    unless its exchange is what is being finished, not claimed by an exchange)."""
    condition = OAuthStateItem.pk.exists() & (OAuthStateItem.expires_at > int(now.timestamp()))
    return condition if claimed else condition & OAuthStateItem.claimed.does_not_exist()


def utcnow() -> datetime:
    return datetime.now(UTC)
