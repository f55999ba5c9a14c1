"""Response shapes the emulator never sends, answered by a scripted session:
paging links, local files, episodes, null items, malformed bodies."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from soundlink.spotify.api import SpotifyClient
from soundlink.spotify.config import SpotifyConfig
from soundlink.spotify.errors import UnexpectedResponse
from soundlink.spotify.models import TokenSet

API = "https://api.spotify.test"
CONFIG = SpotifyConfig("client", "secret", accounts_url=API, api_url=API, backoff_base_seconds=0.001)
TOKENS = TokenSet("access", "refresh", "user-read-recently-played", datetime.now(UTC) + timedelta(hours=1))


class ScriptedSession:
    def __init__(self, *answers: tuple[int, Any]) -> None:
        self.answers = list(answers)
        self.calls: list[dict[str, Any]] = []

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        self.calls.append({"method": method, "url": url, **kwargs})
        status, body = self.answers.pop(0)
        response = requests.Response()
        response.status_code = status
        response._content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        response._content_consumed = True
        response.url = url
        return response


def track(n: int, **extra: Any) -> dict:
    return {
        "type": "track",
        "id": f"track{n:018d}",
        "uri": f"spotify:track:track{n:018d}",
        "name": f"Song {n}",
        "duration_ms": 1000 * n,
        "artists": [{"id": "artist1", "name": "Ann"}],
        "album": {"id": "album1", "name": "LP", "uri": "spotify:album:album1"},
        **extra,
    }


def play(n: int, ms: int) -> dict:
    played_at = datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat().replace("+00:00", "Z")
    return {"track": track(n), "played_at": played_at, "context": None}


def test_a_next_link_is_followed_on_the_configured_host_only() -> None:
    cursor = 1_000_000
    first = [play(i, cursor + 100_000 - i) for i in range(50)]  # newest first, all new
    second = [play(99, cursor + 10), play(98, cursor)]  # reaches back to the cursor
    session = ScriptedSession(
        (200, {"items": first, "next": "https://elsewhere.test/v1/me/player/recently-played?before=1&limit=50"}),
        (200, {"items": second, "next": None}),
    )
    result = SpotifyClient(CONFIG, TOKENS, session=session).recently_played(after_ms=cursor)  # type: ignore[arg-type]
    assert session.calls[1]["url"] == f"{API}/v1/me/player/recently-played?before=1&limit=50"
    assert session.calls[1]["headers"]["Authorization"] == "Bearer access"
    assert len(result.plays) == 51
    # The second page reached the cursor: nothing between can be missing.
    assert not result.possible_gap
    assert result.cursor_ms == cursor + 100_000


def test_plays_without_a_usable_track_still_move_the_cursor() -> None:
    session = ScriptedSession(
        (
            200,
            {
                "items": [
                    {"track": None, "played_at": "2026-03-01T10:00:02.000Z", "context": None},
                    {"track": track(1, is_local=True, id=None), "played_at": "2026-03-01T10:00:01Z", "context": None},
                    play(2, 1_772_359_200_000),
                ],
                "next": None,
            },
        )
    )
    result = SpotifyClient(CONFIG, TOKENS, session=session).recently_played(after_ms=0)  # type: ignore[arg-type]
    assert [p.track.id for p in result.plays] == [track(2)["id"]]
    assert result.cursor_ms == 1_772_359_202_000


def test_playlist_items_skip_local_files_episodes_and_null_items() -> None:
    page = {
        "items": [
            {"added_at": "2026-02-01T00:00:00Z", "is_local": False, "item": track(1)},
            {"added_at": "2026-02-01T00:00:00Z", "is_local": True, "item": track(2, is_local=True, id=None)},
            {"added_at": "2026-02-01T00:00:00Z", "is_local": False, "item": {"type": "episode", "id": "ep1"}},
            {"added_at": None, "is_local": False, "item": None, "track": track(3)},
            {"added_at": None, "is_local": False, "item": track(4)},
        ],
        "next": None,
        "total": 5,
        "offset": 0,
        "limit": 50,
    }
    session = ScriptedSession((200, page))
    items = SpotifyClient(CONFIG, TOKENS, session=session).playlist_items("p" * 22)  # type: ignore[arg-type]
    assert [i.track.id for i in items] == [track(1)["id"], track(4)["id"]]
    assert items[1].added_at is None
    assert session.calls[0]["params"] == {"limit": 50, "offset": 0}


def test_a_malformed_body_is_an_unexpected_response() -> None:
    session = ScriptedSession((200, {"not": "a profile"}))
    with pytest.raises(UnexpectedResponse):
        SpotifyClient(CONFIG, TOKENS, session=session).me()  # type: ignore[arg-type]


def test_a_gateway_page_is_retried_like_any_5xx() -> None:
    session = ScriptedSession((502, "<html>Bad gateway</html>"), (200, {"id": "u1", "display_name": None}))
    profile = SpotifyClient(CONFIG, TOKENS, session=session).me()  # type: ignore[arg-type]
    assert profile.listener_id == "u1" and profile.account_id is None
    assert len(session.calls) == 2
    assert all(call["timeout"] == CONFIG.timeout_seconds for call in session.calls)
