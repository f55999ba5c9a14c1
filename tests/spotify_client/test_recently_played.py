"""Recently played: the after cursor, the 50-play boundary and typed plays."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from soundlink.spotify.api import SpotifyClient
from soundlink.spotify.config import SpotifyConfig
from soundlink.spotify.models import TokenSet

from .conftest import Emulator

MINUTE_MS = 60_000


def add_plays(emulator: Emulator, user_id: str, start_ms: int, count: int, tracks: list[str]) -> list[int]:
    times = [start_ms + i * MINUTE_MS for i in range(count)]
    emulator.add_plays(user_id, [{"track_id": tracks[i % len(tracks)], "played_at": t} for i, t in enumerate(times)])
    return times


def test_plays_are_typed_oldest_first_with_context(
    emulator: Emulator, listener: dict, listener_client: SpotifyClient
) -> None:
    track = emulator.call("GET", "/_emulator/tracks?limit=2")["items"]
    start = emulator.now_ms() - 10 * MINUTE_MS
    playlist_uri = "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M"
    emulator.add_plays(
        listener["id"],
        [
            {"track_id": track[0]["id"], "played_at": start + 123, "context_uri": playlist_uri},
            {"track_id": track[1]["id"], "played_at": start + MINUTE_MS},
        ],
    )

    result = listener_client.recently_played(after_ms=start - MINUTE_MS)

    first, second = result.plays
    expected = track[0]
    assert first.track.id == expected["id"] and first.track.uri == expected["uri"]
    assert first.track.name == expected["name"]
    assert first.track.duration_ms == expected["duration_ms"]
    assert first.track.artist_ids == tuple(a["id"] for a in expected["artists"])
    assert first.track.artist_names == tuple(a["name"] for a in expected["artists"])
    assert first.track.album is not None
    assert (first.track.album.id, first.track.album.name) == (expected["album"]["id"], expected["album"]["name"])
    assert first.played_at == datetime.fromtimestamp((start + 123) / 1000, tz=UTC)
    assert first.played_at.tzinfo is not None and first.played_at_ms == start + 123
    assert (first.context_type, first.context_uri) == ("playlist", playlist_uri)
    # Spotify often sends no context (album plays, Liked Songs, API-started plays).
    assert second.context is None and second.context_type is None and second.context_uri is None
    assert second.track.id == track[1]["id"]
    assert result.cursor_ms == start + MINUTE_MS
    assert not result.possible_gap
    (request,) = emulator.requests_to("recently-played")
    assert request["status"] == 200


def test_after_cursor_returns_only_newer_plays(
    emulator: Emulator, listener: dict, listener_client: SpotifyClient
) -> None:
    tracks = emulator.track_ids(5)
    times = add_plays(emulator, listener["id"], emulator.now_ms() - 60 * MINUTE_MS, 5, tracks)

    result = listener_client.recently_played(after_ms=times[2])  # exclusive: the play at the cursor is old

    assert [p.played_at_ms for p in result.plays] == times[3:]
    assert [p.track.id for p in result.plays] == tracks[3:]
    assert result.cursor_ms == times[4]
    assert not result.possible_gap

    again = listener_client.recently_played(after_ms=result.cursor_ms)
    assert again.plays == () and again.cursor_ms == times[4] and not again.possible_gap


def test_without_a_cursor_every_kept_play_is_returned(
    emulator: Emulator, listener: dict, listener_client: SpotifyClient
) -> None:
    times = add_plays(emulator, listener["id"], emulator.now_ms() - 60 * MINUTE_MS, 3, emulator.track_ids(3))
    result = listener_client.recently_played()
    assert [p.played_at_ms for p in result.plays] == times
    assert result.cursor_ms == times[-1]
    assert not result.possible_gap


def test_no_plays_keeps_the_cursor(listener_client: SpotifyClient) -> None:
    result = listener_client.recently_played(after_ms=1_700_000_000_000)
    assert result.plays == () and result.cursor_ms == 1_700_000_000_000 and not result.possible_gap
    assert listener_client.recently_played().cursor_ms is None


def test_exactly_fifty_new_plays_is_a_possible_gap(
    emulator: Emulator, listener: dict, listener_client: SpotifyClient
) -> None:
    cursor = emulator.now_ms() - 120 * MINUTE_MS
    times = add_plays(emulator, listener["id"], cursor + MINUTE_MS, 50, emulator.track_ids(7))

    result = listener_client.recently_played(after_ms=cursor)

    assert len(result.plays) == 50
    assert [p.played_at_ms for p in result.plays] == times
    assert result.cursor_ms == times[-1]
    assert result.possible_gap
    assert emulator.count("recently-played") == 1


def test_forty_nine_new_plays_is_not_a_gap(emulator: Emulator, listener: dict, listener_client: SpotifyClient) -> None:
    cursor = emulator.now_ms() - 120 * MINUTE_MS
    add_plays(emulator, listener["id"], cursor - 5 * MINUTE_MS, 5, emulator.track_ids(5))  # already seen
    times = add_plays(emulator, listener["id"], cursor + MINUTE_MS, 49, emulator.track_ids(7))

    result = listener_client.recently_played(after_ms=cursor)

    assert len(result.plays) == 49
    assert result.cursor_ms == times[-1]
    assert not result.possible_gap
    # A page that is not full is the whole answer: one request per poll.
    assert emulator.count("recently-played") == 1


def test_more_than_fifty_new_plays_returns_the_fifty_spotify_kept(
    emulator: Emulator, listener: dict, listener_client: SpotifyClient
) -> None:
    cursor = emulator.now_ms() - 200 * MINUTE_MS
    times = add_plays(emulator, listener["id"], cursor + MINUTE_MS, 70, emulator.track_ids(9))

    result = listener_client.recently_played(after_ms=cursor)

    assert [p.played_at_ms for p in result.plays] == times[-50:]
    assert result.possible_gap
    assert result.cursor_ms == times[-1]


def test_polling_with_the_returned_cursor_sees_each_play_once(
    emulator: Emulator, listener: dict, listener_client: SpotifyClient
) -> None:
    tracks = emulator.track_ids(4)
    start = emulator.now_ms() - 90 * MINUTE_MS
    first_batch = add_plays(emulator, listener["id"], start, 3, tracks)
    first = listener_client.recently_played(after_ms=start - 1)
    second_batch = add_plays(emulator, listener["id"], start + 10 * MINUTE_MS, 2, tracks)
    second = listener_client.recently_played(after_ms=first.cursor_ms)
    assert [p.played_at_ms for p in first.plays] == first_batch
    assert [p.played_at_ms for p in second.plays] == second_batch


LOOKBACK_MS = 30 * MINUTE_MS


def test_a_late_play_is_missed_by_the_cursor_but_found_with_a_lookback(
    emulator: Emulator, listener: dict, listener_client: SpotifyClient
) -> None:
    tracks = emulator.track_ids(4)
    start = emulator.now_ms() - 60 * MINUTE_MS
    seen = add_plays(emulator, listener["id"], start, 3, tracks)
    cursor = listener_client.recently_played(after_ms=start - 1).cursor_ms
    assert cursor == seen[-1]
    # An offline play reported after that poll, ending before the cursor.
    late = cursor - 5 * MINUTE_MS + 17
    emulator.add_plays(listener["id"], [{"track_id": tracks[3], "played_at": late}])

    assert listener_client.recently_played(after_ms=cursor).plays == ()
    result = listener_client.recently_played(after_ms=cursor - LOOKBACK_MS)

    # The lookback returns plays already seen as well: the caller deduplicates by played_at.
    assert sorted(p.played_at_ms for p in result.plays) == sorted([*seen, late])
    assert [p.track.id for p in result.plays if p.played_at_ms == late] == [tracks[3]]
    assert result.cursor_ms == cursor
    assert not result.possible_gap


def test_a_gap_is_judged_against_the_after_ms_passed_with_a_lookback(
    emulator: Emulator, listener: dict, listener_client: SpotifyClient
) -> None:
    cursor = emulator.now_ms() - 100 * MINUTE_MS
    after_ms = cursor - LOOKBACK_MS
    # 50 plays newer than after_ms, 10 of them already seen (at or before the cursor).
    times = add_plays(emulator, listener["id"], cursor - 9 * MINUTE_MS, 50, emulator.track_ids(7))
    assert sum(t <= cursor for t in times) == 10 and min(times) > after_ms

    result = listener_client.recently_played(after_ms=after_ms)

    assert [p.played_at_ms for p in result.plays] == times
    assert result.cursor_ms == times[-1]
    # Plays between after_ms and the oldest kept play may have been lost.
    assert result.possible_gap
    assert emulator.count("recently-played") == 1


def test_a_lookback_reaching_an_older_play_is_not_a_gap(
    emulator: Emulator, listener: dict, listener_client: SpotifyClient
) -> None:
    cursor = emulator.now_ms() - 100 * MINUTE_MS
    after_ms = cursor - LOOKBACK_MS
    add_plays(emulator, listener["id"], after_ms - 2 * MINUTE_MS, 1, emulator.track_ids(1))  # older than after_ms
    times = add_plays(emulator, listener["id"], cursor - 9 * MINUTE_MS, 49, emulator.track_ids(7))

    result = listener_client.recently_played(after_ms=after_ms)

    assert [p.played_at_ms for p in result.plays] == times
    assert not result.possible_gap


class _SpotifyStyleNext(requests.Session):
    """Adds the ``next`` link Spotify sends with a full page (a ``before`` cursor
    walking back in time), which the emulator leaves out when nothing is older."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        response = super().request(method, url, *args, **kwargs)
        if "/recently-played" in str(url) and response.status_code == 200:
            body = response.json()
            if len(body["items"]) == body["limit"] and not body.get("next"):
                base = str(url).split("?")[0]
                body["next"] = f"{base}?before={body['cursors']['before']}&limit={body['limit']}"
                response._content = json.dumps(body).encode()
        return response


@pytest.mark.parametrize("after_ms", ["cursor", "lookback", None])
def test_a_full_answer_with_a_spotify_style_next_link(
    emulator: Emulator,
    config: SpotifyConfig,
    listener: dict,
    listener_tokens: TokenSet,
    after_ms: str | None,
) -> None:
    cursor = emulator.now_ms() - 200 * MINUTE_MS
    times = add_plays(emulator, listener["id"], cursor + MINUTE_MS, 70, emulator.track_ids(9))
    client = SpotifyClient(config, listener_tokens, session=_SpotifyStyleNext())
    emulator.clear_requests()
    after = {"cursor": cursor, "lookback": cursor - LOOKBACK_MS, None: None}[after_ms]

    result = client.recently_played(after_ms=after)

    # Following `next` walks back past the 50 plays Spotify kept: it finds nothing
    # more, and the full answer stays a possible gap whenever a cursor was given.
    assert [p.played_at_ms for p in result.plays] == times[-50:]
    assert result.cursor_ms == times[-1]
    assert result.possible_gap is (after is not None)
    assert all(r["status"] == 200 for r in emulator.requests_to("recently-played"))


def test_with_the_cursor_given_a_lookback_full_of_plays_already_seen_is_not_a_gap(
    emulator: Emulator, listener: dict, listener_client: SpotifyClient
) -> None:
    cursor = emulator.now_ms() - 100 * MINUTE_MS
    # 50 plays newer than the lookback point, 10 of them at or before the cursor (seen by the last poll).
    times = add_plays(emulator, listener["id"], cursor - 9 * MINUTE_MS, 50, emulator.track_ids(7))

    result = listener_client.recently_played(after_ms=cursor - LOOKBACK_MS, cursor_ms=cursor)

    assert [p.played_at_ms for p in result.plays] == times
    assert not result.possible_gap


def test_with_the_cursor_given_fifty_plays_newer_than_it_are_a_gap(
    emulator: Emulator, listener: dict, listener_client: SpotifyClient
) -> None:
    cursor = emulator.now_ms() - 100 * MINUTE_MS
    add_plays(emulator, listener["id"], cursor + MINUTE_MS, 50, emulator.track_ids(7))
    assert listener_client.recently_played(after_ms=cursor - LOOKBACK_MS, cursor_ms=cursor).possible_gap
    # Without `after` (a new campaign's baseline reads all Spotify keeps) the cursor still judges it.
    assert listener_client.recently_played(cursor_ms=cursor).possible_gap
    assert not listener_client.recently_played().possible_gap


def test_with_the_cursor_given_forty_nine_plays_newer_than_it_are_not_a_gap(
    emulator: Emulator, listener: dict, listener_client: SpotifyClient
) -> None:
    cursor = emulator.now_ms() - 100 * MINUTE_MS
    add_plays(emulator, listener["id"], cursor - 2 * MINUTE_MS, 1, emulator.track_ids(1))
    add_plays(emulator, listener["id"], cursor + MINUTE_MS, 49, emulator.track_ids(7))
    assert not listener_client.recently_played(cursor_ms=cursor).possible_gap
    assert not listener_client.recently_played(after_ms=cursor - LOOKBACK_MS, cursor_ms=cursor).possible_gap
