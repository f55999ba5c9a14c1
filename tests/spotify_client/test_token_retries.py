"""Token requests are not idempotent: a code is single use and a refresh may rotate
the refresh token. A retry after an attempt Spotify may have processed can only be
refused, so the outcome is reported as unknown (SpotifyUnavailable), never as a
revoked token or a bad code."""

from __future__ import annotations

import socket
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from soundlink.spotify.accounts import SpotifyAccounts
from soundlink.spotify.api import SpotifyClient
from soundlink.spotify.config import SpotifyConfig
from soundlink.spotify.errors import InvalidAuthorizationCode, SpotifyUnavailable, TokenRevoked
from soundlink.spotify.models import TokenSet

from .conftest import LISTENER_SCOPES, REDIRECT_URI, Emulator, authorize, make_config

# The client gives up on an answer after 0.4 s. The first attempt's answer is lost
# (Spotify processes it at 0.5 s, after the client stopped waiting); a second
# attempt would be held until 1.9 s; a third, at about 0.8 s, would be answered at
# once, after the first had been processed: exactly the retry that gets invalid_grant.
TIMEOUT_SECONDS = 0.4
LOST_ANSWER_DELAY_MS = 500
SLOW_RETRY_DELAY_MS = 1500


def lose_the_first_answer(emulator: Emulator) -> tuple[dict, dict]:
    lost = emulator.fault("token", delay_ms=LOST_ANSWER_DELAY_MS)
    slow = emulator.fault("token", delay_ms=SLOW_RETRY_DELAY_MS)
    return lost, slow


def wait_for_token_requests(emulator: Emulator, count: int) -> list[dict]:
    """The delayed attempt is still being processed after the client gave up: wait for it."""
    deadline = time.monotonic() + 5
    while True:
        logged = emulator.requests_to("token")
        if len(logged) >= count or time.monotonic() > deadline:
            return logged
        time.sleep(0.05)


def test_a_refresh_whose_answer_is_lost_is_unavailable_not_revoked(
    emulator: Emulator, app: dict, listener_tokens: TokenSet
) -> None:
    emulator.configure(rotate_refresh_tokens=True)
    lost, slow = lose_the_first_answer(emulator)
    emulator.clear_requests()
    accounts = SpotifyAccounts(make_config(emulator, app, timeout_seconds=TIMEOUT_SECONDS))

    with pytest.raises(SpotifyUnavailable) as caught:
        accounts.refresh(listener_tokens)

    assert not isinstance(caught.value, TokenRevoked)
    assert caught.value.attempts == 1 and caught.value.request_may_have_succeeded
    assert "may have" in caught.value.message and listener_tokens.refresh_token not in caught.value.message
    # Exactly one token request: no retry races the one Spotify is still processing.
    assert (emulator.consumed(lost), emulator.consumed(slow)) == (1, 0)
    assert [r["status"] for r in wait_for_token_requests(emulator, 1)] == [200]
    emulator.call("DELETE", "/_emulator/faults")
    # Spotify did rotate: the refresh token we hold is dead and its successor was lost.
    # That is why the answer was "unknown" and not a refresh made blindly again.
    with pytest.raises(TokenRevoked):
        accounts.refresh(listener_tokens)


def test_a_refresh_timing_out_without_rotation_leaves_the_refresh_token_usable(
    emulator: Emulator, app: dict, listener_tokens: TokenSet
) -> None:
    lost = emulator.fault("token", delay_ms=LOST_ANSWER_DELAY_MS, count=3)
    emulator.clear_requests()
    accounts = SpotifyAccounts(make_config(emulator, app, timeout_seconds=TIMEOUT_SECONDS))

    with pytest.raises(SpotifyUnavailable, match="Timeout"):
        accounts.refresh(listener_tokens)

    assert emulator.consumed(lost) == 1
    assert len(wait_for_token_requests(emulator, 1)) == 1
    emulator.call("DELETE", "/_emulator/faults")
    # The caller keeps its tokens and tries later; the refresh token still works.
    assert accounts.refresh(listener_tokens).refresh_token == listener_tokens.refresh_token


def test_a_code_exchange_whose_answer_is_lost_is_unavailable_not_an_invalid_code(
    emulator: Emulator, app: dict, listener: dict
) -> None:
    accounts = SpotifyAccounts(make_config(emulator, app, timeout_seconds=TIMEOUT_SECONDS))
    query, _, verifier = authorize(emulator, accounts, listener["id"], scopes=LISTENER_SCOPES)
    lost, slow = lose_the_first_answer(emulator)
    emulator.clear_requests()

    with pytest.raises(SpotifyUnavailable) as caught:
        accounts.exchange_code(query["code"], REDIRECT_URI, verifier)

    assert not isinstance(caught.value, InvalidAuthorizationCode)
    assert caught.value.attempts == 1 and caught.value.request_may_have_succeeded
    assert (emulator.consumed(lost), emulator.consumed(slow)) == (1, 0)
    assert [r["status"] for r in wait_for_token_requests(emulator, 1)] == [200]
    emulator.call("DELETE", "/_emulator/faults")


@pytest.mark.parametrize("status", [500, 503])
@pytest.mark.parametrize("grant", ["refresh", "code"])
def test_invalid_grant_on_a_retry_after_a_5xx_is_unavailable(
    emulator: Emulator, config: SpotifyConfig, listener: dict, listener_tokens: TokenSet, status: int, grant: str
) -> None:
    accounts = SpotifyAccounts(config)
    query, _, verifier = authorize(emulator, accounts, listener["id"], scopes=LISTENER_SCOPES)
    # The 5xx may have come after Spotify processed the grant: the retry's refusal
    # then says nothing about the code or the refresh token.
    failed = emulator.fault("token", status)
    refused = emulator.fault("token", 400, error="invalid_grant")
    emulator.clear_requests()

    with pytest.raises(SpotifyUnavailable) as caught:
        if grant == "refresh":
            accounts.refresh(listener_tokens)
        else:
            accounts.exchange_code(query["code"], REDIRECT_URI, verifier)

    assert not isinstance(caught.value, TokenRevoked | InvalidAuthorizationCode)
    assert caught.value.attempts == 2 and caught.value.request_may_have_succeeded
    assert (emulator.consumed(failed), emulator.consumed(refused)) == (1, 1)
    assert [r["status"] for r in emulator.requests_to("token")] == [status, 400]


def test_invalid_grant_on_the_first_attempt_is_still_revoked(
    emulator: Emulator, config: SpotifyConfig, listener: dict, listener_tokens: TokenSet
) -> None:
    emulator.revoke(listener["id"])
    with pytest.raises(TokenRevoked) as caught:
        SpotifyAccounts(config).refresh(listener_tokens)
    assert not isinstance(caught.value, SpotifyUnavailable)


def test_a_refresh_that_never_reached_spotify_is_retried(config: SpotifyConfig, listener_tokens: TokenSet) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    accounts = SpotifyAccounts(replace(config, accounts_url=f"http://127.0.0.1:{closed_port}"))
    with pytest.raises(SpotifyUnavailable) as caught:
        accounts.refresh(listener_tokens)
    # A refused connection sent nothing: retrying is safe, and all attempts were made.
    assert caught.value.attempts == config.max_attempts
    assert not caught.value.request_may_have_succeeded


def test_a_client_whose_refresh_answer_is_lost_keeps_its_tokens(
    emulator: Emulator, app: dict, listener_tokens: TokenSet
) -> None:
    stale = replace(listener_tokens, expires_at=datetime.now(UTC) - timedelta(minutes=5))
    emulator.fault("token", delay_ms=LOST_ANSWER_DELAY_MS, count=3)
    emulator.clear_requests()
    persisted: list[TokenSet] = []
    config = make_config(emulator, app, timeout_seconds=TIMEOUT_SECONDS)
    client = SpotifyClient(config, stale, on_tokens_refreshed=persisted.append)

    with pytest.raises(SpotifyUnavailable):
        client.me()

    assert client.tokens == stale and not client.tokens_refreshed and persisted == []
    assert emulator.count("me") == 0
    assert len(wait_for_token_requests(emulator, 1)) == 1
    emulator.call("DELETE", "/_emulator/faults")
