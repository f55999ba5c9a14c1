"""Refresh, rotation, revocation and the 401 → refresh → retry path."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from soundlink.spotify.accounts import SpotifyAccounts
from soundlink.spotify.api import SpotifyClient
from soundlink.spotify.config import SpotifyConfig
from soundlink.spotify.errors import SpotifyRequestError, TokenRevoked
from soundlink.spotify.models import TokenSet

from .conftest import OWNER_SCOPES, Emulator, connect

SEVEN_MONTHS = 214 * 24 * 3600


def test_refresh_without_rotation_keeps_the_old_refresh_token(
    emulator: Emulator, config: SpotifyConfig, listener_tokens: TokenSet
) -> None:
    refreshed = SpotifyAccounts(config).refresh(listener_tokens)
    assert refreshed.access_token != listener_tokens.access_token
    assert refreshed.refresh_token == listener_tokens.refresh_token
    assert refreshed.scope == listener_tokens.scope
    # The kept token still works.
    assert SpotifyAccounts(config).refresh(refreshed).refresh_token == listener_tokens.refresh_token


def test_rotated_refresh_token_replaces_the_old_one(
    emulator: Emulator, config: SpotifyConfig, listener_tokens: TokenSet
) -> None:
    emulator.configure(rotate_refresh_tokens=True)
    accounts = SpotifyAccounts(config)
    rotated = accounts.refresh(listener_tokens)
    assert rotated.refresh_token and rotated.refresh_token != listener_tokens.refresh_token
    # The emulator retires the old token on rotation, as Spotify may: only the new one works.
    assert accounts.refresh(rotated).refresh_token not in (None, rotated.refresh_token)
    with pytest.raises(TokenRevoked):
        accounts.refresh(listener_tokens)


def test_revoked_refresh_token_raises_token_revoked_without_retry(
    emulator: Emulator, config: SpotifyConfig, listener: dict, listener_tokens: TokenSet
) -> None:
    emulator.revoke(listener["id"])
    emulator.clear_requests()
    with pytest.raises(TokenRevoked) as caught:
        SpotifyAccounts(config).refresh(listener_tokens)
    assert caught.value.reason == "invalid_grant" and caught.value.status == 400
    assert listener_tokens.refresh_token not in str(caught.value)
    assert emulator.count("token") == 1


def test_refresh_token_expires_six_months_after_consent(
    emulator: Emulator, config: SpotifyConfig, listener_tokens: TokenSet
) -> None:
    emulator.advance_clock(SEVEN_MONTHS)
    with pytest.raises(TokenRevoked, match="expired"):
        SpotifyAccounts(config).refresh(listener_tokens)


def test_injected_invalid_grant_is_not_retried(
    emulator: Emulator, config: SpotifyConfig, listener_tokens: TokenSet
) -> None:
    fault = emulator.fault("token", 400, count=5, error="invalid_grant")
    with pytest.raises(TokenRevoked):
        SpotifyAccounts(config).refresh(listener_tokens)
    assert emulator.consumed(fault) == 1


def test_token_without_refresh_token_cannot_be_refreshed(config: SpotifyConfig, listener_tokens: TokenSet) -> None:
    with pytest.raises(TokenRevoked):
        SpotifyAccounts(config).refresh(replace(listener_tokens, refresh_token=None))


def test_expired_access_token_is_refreshed_once_and_the_call_retried_once(
    emulator: Emulator, config: SpotifyConfig, listener_tokens: TokenSet
) -> None:
    emulator.configure(rotate_refresh_tokens=True)
    # Spotify's clock moves past the token's hour; ours still thinks it is valid.
    emulator.advance_clock(3601)
    emulator.clear_requests()
    persisted: list[TokenSet] = []
    client = SpotifyClient(config, listener_tokens, on_tokens_refreshed=persisted.append)

    profile = client.me()

    assert profile.id == "listener-1"
    assert [r["status"] for r in emulator.requests_to("me")] == [401, 200]
    assert [r["status"] for r in emulator.requests_to("token")] == [200]
    assert client.tokens_refreshed
    assert persisted == [client.tokens]
    assert client.tokens.access_token != listener_tokens.access_token
    # Rotation must reach the caller, or the listener is lost at the next refresh.
    assert client.tokens.refresh_token != listener_tokens.refresh_token


def test_a_second_401_after_refreshing_is_raised_not_looped(
    emulator: Emulator, config: SpotifyConfig, listener_tokens: TokenSet
) -> None:
    fault = emulator.fault("me", 401, count=5)
    client = SpotifyClient(config, listener_tokens)
    with pytest.raises(SpotifyRequestError) as caught:
        client.me()
    assert caught.value.status == 401
    assert emulator.consumed(fault) == 2
    assert emulator.count("token") == 1 + 1  # the code exchange, then exactly one refresh


def test_401_without_refresh_token_is_raised(
    emulator: Emulator, config: SpotifyConfig, listener_tokens: TokenSet
) -> None:
    emulator.advance_clock(3601)
    client = SpotifyClient(config, replace(listener_tokens, refresh_token=None))
    with pytest.raises(SpotifyRequestError) as caught:
        client.me()
    assert caught.value.status == 401
    assert emulator.count("token") == 1


def test_revoked_access_surfaces_as_token_revoked_through_a_web_api_call(
    emulator: Emulator, config: SpotifyConfig, listener: dict, listener_tokens: TokenSet
) -> None:
    emulator.revoke(listener["id"])
    with pytest.raises(TokenRevoked):
        SpotifyClient(config, listener_tokens).recently_played(after_ms=0)
    assert [r["status"] for r in emulator.requests_to("recently-played")] == [401]


def test_locally_expired_token_is_refreshed_before_the_call(
    emulator: Emulator, config: SpotifyConfig, listener_tokens: TokenSet
) -> None:
    stale = replace(listener_tokens, expires_at=datetime.now(UTC) - timedelta(minutes=5))
    emulator.clear_requests()
    persisted: list[TokenSet] = []
    client = SpotifyClient(config, stale, on_tokens_refreshed=persisted.append)
    client.me()
    # No wasted 401: one refresh, one call.
    assert [r["status"] for r in emulator.requests_to("me")] == [200]
    assert emulator.count("token") == 1
    assert persisted == [client.tokens]
    assert client.tokens.expires_at > datetime.now(UTC) + timedelta(minutes=55)


class _BeforeRequest(requests.Session):
    """Runs ``hook`` just before the n-th request to one endpoint: a stand-in for
    another call on the same client (another thread) landing between two pages."""

    def __init__(self, path_part: str, nth: int, hook: Callable[[], None]) -> None:
        super().__init__()
        self.path_part, self.nth, self.hook, self.seen = path_part, nth, hook, 0

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if self.path_part in str(url):
            self.seen += 1
            if self.seen == self.nth:
                self.hook()
        return super().request(method, url, *args, **kwargs)


def test_the_refresh_budget_belongs_to_the_call_not_the_client(emulator: Emulator, config: SpotifyConfig) -> None:
    """A 401 gets one refresh and one retry per public call, across all its pages,
    whatever other calls on the same client do in between."""
    emulator.create_user("owner")
    created = emulator.create_playlist("owner", "Two pages", emulator.track_ids(60))
    tokens = connect(emulator, config, "owner", scopes=OWNER_SCOPES)
    nested: list[str] = []

    def another_call() -> None:
        # Another call on the same client, which needs no refresh...
        nested.append(client.me().id)
        # ...then the second page of the first call gets a 401 too.
        emulator.fault("playlist-items", 401)

    # Requests to /items: page 1 (401), page 1 again after the refresh, then page 2.
    session = _BeforeRequest("/items", 3, another_call)
    client = SpotifyClient(config, tokens, session=session)
    emulator.fault("playlist-items", 401)
    emulator.clear_requests()

    with pytest.raises(SpotifyRequestError) as caught:
        client.playlist_items(created["id"])

    assert caught.value.status == 401
    assert nested == ["owner"]
    assert [r["status"] for r in emulator.requests_to("playlist-items")] == [401, 200, 401]
    assert [r["status"] for r in emulator.requests_to("me")] == [200]
    # The call's one refresh was spent on its first page: never a second one.
    assert [r["status"] for r in emulator.requests_to("token")] == [200]


def test_a_call_made_between_pages_has_its_own_refresh(emulator: Emulator, config: SpotifyConfig) -> None:
    emulator.create_user("owner")
    track_ids = emulator.track_ids(60)
    created = emulator.create_playlist("owner", "Two pages", track_ids)
    tokens = connect(emulator, config, "owner", scopes=OWNER_SCOPES)
    nested: list[str] = []

    def another_call() -> None:
        emulator.fault("me", 401)
        nested.append(client.me().id)

    client = SpotifyClient(config, tokens, session=_BeforeRequest("/items", 2, another_call))
    emulator.clear_requests()

    assert [i.track.id for i in client.playlist_items(created["id"])] == track_ids
    assert nested == ["owner"]
    assert [r["status"] for r in emulator.requests_to("me")] == [401, 200]
    assert [r["status"] for r in emulator.requests_to("playlist-items")] == [200, 200]
    assert [r["status"] for r in emulator.requests_to("token")] == [200]


def test_each_call_gets_its_own_refresh(emulator: Emulator, listener_client: SpotifyClient) -> None:
    for _ in range(3):
        emulator.fault("me", 401)
        assert listener_client.me().id == "listener-1"
    emulator.fault("recently-played", 401)
    listener_client.recently_played(after_ms=0)
    assert [r["status"] for r in emulator.requests_to("token")].count(200) == 1 + 4
