"""SpotifyClient.library_contains against the emulator's 2026 endpoint."""

from __future__ import annotations

import pytest

from soundlink.spotify.api import SpotifyClient
from soundlink.spotify.config import SpotifyConfig
from soundlink.spotify.errors import MissingScope, NotAllowListed, UnexpectedResponse
from soundlink.spotify.parsing import parse, parse_library_contains

from .conftest import LISTENER_SCOPES, Emulator, connect

FANS_SCOPES = (*LISTENER_SCOPES, "user-library-read", "user-follow-read", "playlist-read-private")


def test_answers_per_uri_in_calls_of_forty(emulator: Emulator, config: SpotifyConfig) -> None:
    emulator.create_user("fan")
    client = SpotifyClient(config, connect(emulator, config, "fan", scopes=FANS_SCOPES))
    tracks = [f"spotify:track:{t}" for t in emulator.track_ids(85)]
    artist = "spotify:artist:" + "A" * 22
    emulator.save("fan", [tracks[0], tracks[84], artist])
    emulator.clear_requests()
    answers = client.library_contains([*tracks, artist, tracks[0]])
    assert len(answers) == 86
    assert {u for u, saved in answers.items() if saved} == {tracks[0], tracks[84], artist}
    assert emulator.count("library-contains") == 3  # 86 distinct URIs: 40 + 40 + 6
    emulator.clear_requests()
    assert client.library_contains([]) == {}
    assert emulator.count("library-contains") == 0


def test_an_older_consent_without_the_scopes_is_missing_scope(emulator: Emulator, config: SpotifyConfig) -> None:
    emulator.create_user("old")
    client = SpotifyClient(config, connect(emulator, config, "old"))
    with pytest.raises(MissingScope) as caught:
        client.library_contains(["spotify:track:" + "T" * 22])
    assert caught.value.status == 403
    assert not isinstance(caught.value, NotAllowListed)


def test_a_body_of_another_shape_is_unexpected() -> None:
    assert parse(lambda d: parse_library_contains(d, 2), [True, False], "x") == (True, False)
    for body in ([True], {"items": [True, False]}, [1, 0], None):
        with pytest.raises(UnexpectedResponse):
            parse(lambda d: parse_library_contains(d, 2), body, "library contains answer")
