"""Each failure Spotify can answer becomes the typed error its caller acts on."""

from __future__ import annotations

import socket
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests

from soundlink.spotify.accounts import SpotifyAccounts
from soundlink.spotify.api import SpotifyClient
from soundlink.spotify.config import SpotifyConfig
from soundlink.spotify.errors import (
    NotAllowListed,
    PlaylistNotFound,
    PlaylistNotReadable,
    RateLimited,
    SpotifyError,
    SpotifyRequestError,
    SpotifyUnavailable,
    TokenRevoked,
    UnexpectedResponse,
)
from soundlink.spotify.models import TokenSet
from soundlink.spotify.responses import retry_after_seconds as _retry_after

from .conftest import OWNER_SCOPES, Emulator, connect, make_config


def test_every_error_is_a_spotify_error() -> None:
    for error in (
        RateLimited,
        TokenRevoked,
        NotAllowListed,
        PlaylistNotReadable,
        PlaylistNotFound,
        SpotifyUnavailable,
        SpotifyRequestError,
        UnexpectedResponse,
    ):
        assert issubclass(error, SpotifyError)


def test_429_raises_rate_limited_with_retry_after_and_is_not_retried(
    emulator: Emulator, listener_client: SpotifyClient
) -> None:
    fault = emulator.fault("recently-played", 429, count=3, retry_after=17)
    with pytest.raises(RateLimited) as caught:
        listener_client.recently_played(after_ms=0)
    assert caught.value.retry_after_seconds == 17
    assert caught.value.status == 429 and not caught.value.quota_exceeded
    assert emulator.consumed(fault) == 1


def test_long_retry_after_is_passed_through(emulator: Emulator, listener_client: SpotifyClient) -> None:
    emulator.fault("me", 429, retry_after=20 * 3600)
    with pytest.raises(RateLimited) as caught:
        listener_client.me()
    assert caught.value.retry_after_seconds == 72000


def test_retry_after_given_as_an_http_date_is_the_seconds_until_then() -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    for offset, low, high in ((90, 85, 90), (-30, 0, 0)):
        response = requests.Response()
        response.status_code = 429
        response.headers["Retry-After"] = format_datetime(now + timedelta(seconds=offset), usegmt=True)
        assert low <= _retry_after(response) <= high, response.headers["Retry-After"]


def test_quota_exceeded_reason_is_rate_limited(emulator: Emulator, listener_client: SpotifyClient) -> None:
    emulator.fault("me", 429, retry_after=60, reason="QUOTA_EXCEEDED", message="Quota exceeded")
    with pytest.raises(RateLimited) as caught:
        listener_client.me()
    assert caught.value.quota_exceeded and caught.value.retry_after_seconds == 60


def test_the_rolling_window_rate_limit_is_rate_limited(emulator: Emulator, listener_client: SpotifyClient) -> None:
    emulator.configure(rate_limit=2, rate_window_seconds=30)
    listener_client.me()
    listener_client.me()
    with pytest.raises(RateLimited) as caught:
        listener_client.me()
    assert 1 <= caught.value.retry_after_seconds <= 30
    assert emulator.count("me") == 3


def test_429_on_the_token_endpoint_is_rate_limited(
    emulator: Emulator, config: SpotifyConfig, listener_tokens: TokenSet
) -> None:
    emulator.fault("token", 429, retry_after=5)
    with pytest.raises(RateLimited) as caught:
        SpotifyAccounts(config).refresh(listener_tokens)
    assert caught.value.retry_after_seconds == 5


def test_user_off_the_allow_list_is_not_allow_listed(emulator: Emulator) -> None:
    emulator.create_user("insider")
    emulator.create_user("outsider")
    app = emulator.register_app(allowlist=["insider"])
    config = make_config(emulator, app)
    # Development Mode lets anyone log in; only the API calls fail.
    tokens = connect(emulator, config, "outsider", scopes=("user-read-recently-played", *OWNER_SCOPES))
    client = SpotifyClient(config, tokens)
    with pytest.raises(NotAllowListed) as caught:
        client.me()
    assert caught.value.status == 403
    with pytest.raises(NotAllowListed):
        client.recently_played(after_ms=0)
    playlist = emulator.create_playlist("outsider", "Mine", emulator.track_ids(2))
    # Even on a playlist endpoint, the allow-list message wins over "not readable".
    with pytest.raises(NotAllowListed):
        client.playlist_items(playlist["id"])
    insider = SpotifyClient(config, connect(emulator, config, "insider"))
    assert insider.me().id == "insider"


def test_another_users_playlist_items_are_not_readable(emulator: Emulator, config: SpotifyConfig) -> None:
    emulator.create_user("owner")
    emulator.create_user("stranger")
    playlist = emulator.create_playlist("owner", "Campaign", emulator.track_ids(3))
    client = SpotifyClient(config, connect(emulator, config, "stranger", scopes=OWNER_SCOPES))
    # The metadata of a public playlist is visible; its items are not (Feb 2026).
    assert client.playlist(playlist["id"]).owner_id == "owner"
    with pytest.raises(PlaylistNotReadable) as caught:
        client.playlist_items(playlist["id"])
    assert caught.value.status == 403
    assert emulator.count("playlist-items") == 1


def test_a_private_playlist_of_another_user_is_not_found(emulator: Emulator, config: SpotifyConfig) -> None:
    emulator.create_user("owner")
    emulator.create_user("stranger")
    playlist = emulator.create_playlist("owner", "Secret", emulator.track_ids(1), public=False)
    client = SpotifyClient(config, connect(emulator, config, "stranger", scopes=OWNER_SCOPES))
    with pytest.raises(PlaylistNotFound) as caught:
        client.playlist(playlist["id"])
    assert caught.value.status == 404
    assert isinstance(caught.value, SpotifyRequestError)


def test_a_missing_scope_is_a_request_error_not_an_allow_list_problem(
    emulator: Emulator, config: SpotifyConfig
) -> None:
    emulator.create_user("owner")
    client = SpotifyClient(config, connect(emulator, config, "owner", scopes=OWNER_SCOPES))
    with pytest.raises(SpotifyRequestError) as caught:
        client.recently_played(after_ms=0)
    assert caught.value.status == 403
    assert not isinstance(caught.value, NotAllowListed)


def test_a_503_once_then_success_succeeds(emulator: Emulator, listener_client: SpotifyClient) -> None:
    fault = emulator.fault("me", 503)
    assert listener_client.me().id == "listener-1"
    assert emulator.consumed(fault) == 1
    assert [r["status"] for r in emulator.requests_to("me")] == [503, 200]


def test_persistent_5xx_is_retried_then_unavailable(emulator: Emulator, listener_client: SpotifyClient) -> None:
    fault = emulator.fault("recently-played", 500, count=10)
    with pytest.raises(SpotifyUnavailable) as caught:
        listener_client.recently_played(after_ms=0)
    assert caught.value.attempts == 3 and caught.value.status == 500
    assert emulator.consumed(fault) == 3
    assert [r["status"] for r in emulator.requests_to("recently-played")] == [500, 500, 500]


def test_a_5xx_on_the_token_endpoint_is_retried(
    emulator: Emulator, config: SpotifyConfig, listener_tokens: TokenSet
) -> None:
    fault = emulator.fault("token", 502)
    refreshed = SpotifyAccounts(config).refresh(listener_tokens)
    assert refreshed.access_token != listener_tokens.access_token
    assert emulator.consumed(fault) == 1


def test_a_dead_server_is_unavailable(config: SpotifyConfig, listener_tokens: TokenSet) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    dead = replace(config, api_url=f"http://127.0.0.1:{closed_port}")
    with pytest.raises(SpotifyUnavailable) as caught:
        SpotifyClient(dead, listener_tokens).me()
    assert caught.value.attempts == 3 and caught.value.status is None
