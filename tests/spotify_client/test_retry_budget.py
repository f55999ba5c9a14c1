"""Retries are bounded by max_attempts and by the caller's deadline."""

from __future__ import annotations

import time

import pytest

from soundlink.spotify.api import SpotifyClient
from soundlink.spotify.errors import SpotifyUnavailable
from soundlink.spotify.models import TokenSet

from .conftest import Emulator, make_config


@pytest.mark.parametrize("max_attempts", [1, 2, 5])
def test_attempts_are_bounded_by_max_attempts(
    emulator: Emulator, app: dict, listener_tokens: TokenSet, max_attempts: int
) -> None:
    fault = emulator.fault("me", 503, count=10)
    client = SpotifyClient(make_config(emulator, app, max_attempts=max_attempts), listener_tokens)
    with pytest.raises(SpotifyUnavailable) as caught:
        client.me()
    assert caught.value.attempts == max_attempts
    assert emulator.consumed(fault) == max_attempts


def test_a_timeout_is_retried(emulator: Emulator, app: dict, listener_tokens: TokenSet) -> None:
    fault = emulator.fault("me", delay_ms=1500)
    client = SpotifyClient(make_config(emulator, app, timeout_seconds=0.3), listener_tokens)
    started = time.monotonic()
    assert client.me().id == "listener-1"
    assert emulator.consumed(fault) == 1
    assert time.monotonic() - started < 1.2


def test_timeouts_every_time_end_unavailable(emulator: Emulator, app: dict, listener_tokens: TokenSet) -> None:
    fault = emulator.fault("me", delay_ms=800, count=5)
    client = SpotifyClient(make_config(emulator, app, timeout_seconds=0.2, max_attempts=2), listener_tokens)
    with pytest.raises(SpotifyUnavailable, match="Timeout") as caught:
        client.me()
    assert caught.value.attempts == 2 and caught.value.status is None
    assert emulator.consumed(fault) == 2


def test_no_attempt_is_made_without_time_left(emulator: Emulator, app: dict, listener_tokens: TokenSet) -> None:
    config = make_config(emulator, app, deadline_margin_ms=1000)
    emulator.clear_requests()
    client = SpotifyClient(config, listener_tokens, remaining_ms=lambda: 1050)
    with pytest.raises(SpotifyUnavailable, match="deadline") as caught:
        client.me()
    assert caught.value.attempts == 0
    assert emulator.count("me") == 0


def test_retries_stop_at_the_deadline(emulator: Emulator, app: dict, listener_tokens: TokenSet) -> None:
    # Each failing attempt takes 300 ms; the caller has 500 ms beyond the margin.
    fault = emulator.fault("me", 500, count=10, delay_ms=300)
    config = make_config(emulator, app, max_attempts=10, deadline_margin_ms=200)
    deadline = time.monotonic() + 0.7
    client = SpotifyClient(config, listener_tokens, remaining_ms=lambda: int((deadline - time.monotonic()) * 1000))
    with pytest.raises(SpotifyUnavailable) as caught:
        client.me()
    finished = time.monotonic()
    # One full attempt, then a second cut short by a timeout that ends at the deadline less the margin.
    assert caught.value.attempts == 2
    assert emulator.consumed(fault) == 2
    assert finished <= deadline - 0.2 + 0.1


def test_the_deadline_covers_the_refresh_too(emulator: Emulator, app: dict, listener_tokens: TokenSet) -> None:
    emulator.advance_clock(3601)
    token_fault = emulator.fault("token", 503, count=10, delay_ms=200)
    config = make_config(emulator, app, max_attempts=10, deadline_margin_ms=0)
    deadline = time.monotonic() + 0.5
    client = SpotifyClient(config, listener_tokens, remaining_ms=lambda: int((deadline - time.monotonic()) * 1000))
    with pytest.raises(SpotifyUnavailable):
        client.me()
    assert time.monotonic() <= deadline + 0.1
    assert 1 <= emulator.consumed(token_fault) <= 3


def test_a_long_retry_after_on_503_is_not_waited_for(emulator: Emulator, app: dict, listener_tokens: TokenSet) -> None:
    fault = emulator.fault("me", 503, count=5, retry_after=120)
    client = SpotifyClient(make_config(emulator, app, max_attempts=5), listener_tokens)
    started = time.monotonic()
    with pytest.raises(SpotifyUnavailable) as caught:
        client.me()
    assert time.monotonic() - started < 1
    assert caught.value.retry_after_seconds == 120
    assert emulator.consumed(fault) == 1
