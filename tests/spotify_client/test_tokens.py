"""Refresh, rotation, revocation and the 401 → refresh → retry path."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from soundlink.spotify import (
    SpotifyAccounts,
    SpotifyClient,
    SpotifyConfig,
    SpotifyRequestError,
    TokenRevoked,
    TokenSet,
)

from .conftest import Emulator

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
