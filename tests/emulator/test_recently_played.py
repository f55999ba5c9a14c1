"""GET /v1/me/player/recently-played: Spotify's cursor rules."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from .conftest import LISTENER_SCOPE

T0 = 1_780_000_000_000  # Unix ms
MINUTE = 60_000


@pytest.fixture
def listener(ctl, app):
    user = ctl.create_user(id="listener", display_name="Listener")
    tokens = ctl.connect(app, user["id"], scope=LISTENER_SCOPE)
    return tokens["access_token"]


def add(ctl, n, start=T0, step=MINUTE, **extra):
    tracks = [t["id"] for t in ctl.tracks()]
    plays = [{"track_id": tracks[i % len(tracks)], "played_at": start + i * step, **extra} for i in range(n)]
    return ctl.add_plays("listener", plays)


def played_ms(items):
    from datetime import datetime

    return [round(datetime.fromisoformat(i["played_at"].replace("Z", "+00:00")).timestamp() * 1000) for i in items]


def test_empty_history(api, listener):
    resp = api(listener, "/me/player/recently-played")
    assert resp.status_code == 200
    body = resp.json()
    assert body["items"] == []
    assert body["next"] is None
    assert body["cursors"] is None
    assert body["limit"] == 20
    assert body["href"].endswith("/v1/me/player/recently-played")


def test_default_limit_newest_first_and_format(api, ctl, listener):
    add(ctl, 30, context_uri="spotify:playlist:37i9dQZF1DXcBWIGoYBM5M")
    body = api(listener, "/me/player/recently-played").json()
    assert len(body["items"]) == 20
    times = played_ms(body["items"])
    assert times == sorted(times, reverse=True)
    assert times[0] == T0 + 29 * MINUTE
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", i["played_at"]) for i in body["items"])
    assert body["cursors"] == {"after": str(times[0]), "before": str(times[-1])}
    q = parse_qs(urlparse(body["next"]).query)
    assert q == {"before": [str(times[-1])], "limit": ["20"]}
    ctx = body["items"][0]["context"]
    assert ctx["type"] == "playlist"
    assert ctx["uri"] == "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M"
    assert ctx["external_urls"]["spotify"] == "https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M"
    assert body["items"][0]["track"]["type"] == "track"


def test_context_is_null_without_context_uri(api, ctl, listener):
    add(ctl, 1)
    item = api(listener, "/me/player/recently-played").json()["items"][0]
    assert item["context"] is None


def test_following_next_walks_back_through_all_plays(api, ctl, listener, http):
    add(ctl, 45)
    seen = []
    url = None
    for _ in range(10):  # bounded
        resp = (
            api(listener, "/me/player/recently-played", limit=7)
            if url is None
            else http.get(url, headers={"Authorization": f"Bearer {listener}"}, timeout=10)
        )
        body = resp.json()
        seen += played_ms(body["items"])
        url = body["next"]
        if url is None:
            break
    assert url is None
    assert seen == [T0 + i * MINUTE for i in reversed(range(45))]


def test_after_is_exclusive_and_returns_only_newer(api, ctl, listener):
    add(ctl, 10)
    body = api(listener, "/me/player/recently-played", after=T0 + 6 * MINUTE).json()
    assert played_ms(body["items"]) == [T0 + 9 * MINUTE, T0 + 8 * MINUTE, T0 + 7 * MINUTE]
    assert body["next"] is None
    assert api(listener, "/me/player/recently-played", after=T0 + 9 * MINUTE).json()["items"] == []


def test_after_with_small_limit_pages_forward(api, ctl, listener, http):
    add(ctl, 10)
    body = api(listener, "/me/player/recently-played", after=T0, limit=4).json()
    assert played_ms(body["items"]) == [T0 + 4 * MINUTE, T0 + 3 * MINUTE, T0 + 2 * MINUTE, T0 + 1 * MINUTE]
    assert parse_qs(urlparse(body["next"]).query)["after"] == [body["cursors"]["after"]]
    nxt = http.get(body["next"], headers={"Authorization": f"Bearer {listener}"}, timeout=10).json()
    assert played_ms(nxt["items"]) == [T0 + 8 * MINUTE, T0 + 7 * MINUTE, T0 + 6 * MINUTE, T0 + 5 * MINUTE]


def test_before_is_exclusive(api, ctl, listener):
    add(ctl, 10)
    body = api(listener, "/me/player/recently-played", before=T0 + 3 * MINUTE).json()
    assert played_ms(body["items"]) == [T0 + 2 * MINUTE, T0 + MINUTE, T0]
    assert body["next"] is None


def test_after_and_before_together_is_400(api, ctl, listener):
    add(ctl, 3)
    resp = api(listener, "/me/player/recently-played", after=T0, before=T0 + 10 * MINUTE)
    assert resp.status_code == 400
    assert resp.json()["error"]["status"] == 400


@pytest.mark.parametrize("limit", ["0", "51", "-1", "ten", "1.5"])
def test_limit_out_of_bounds_is_400(api, listener, limit):
    resp = api(listener, "/me/player/recently-played", limit=limit)
    assert resp.status_code == 400
    assert resp.json() == {"error": {"status": 400, "message": "Invalid limit"}}


@pytest.mark.parametrize("limit", [1, 50])
def test_limit_bounds_accepted(api, ctl, listener, limit):
    add(ctl, 60)
    body = api(listener, "/me/player/recently-played", limit=limit).json()
    assert len(body["items"]) == limit
    assert body["limit"] == limit


def test_only_the_newest_fifty_plays_exist(api, ctl, listener):
    add(ctl, 80)
    body = api(listener, "/me/player/recently-played", limit=50).json()
    times = played_ms(body["items"])
    assert times == [T0 + i * MINUTE for i in reversed(range(30, 80))]
    assert body["next"] is None
    assert api(listener, "/me/player/recently-played", before=T0 + 30 * MINUTE).json()["items"] == []
    # an old play arriving late cannot enter the window
    ctl.add_plays("listener", [{"track_id": ctl.tracks()[0]["id"], "played_at": T0}])
    assert played_ms(api(listener, "/me/player/recently-played", limit=50).json()["items"]) == times


def test_plays_are_kept_sorted_whatever_the_insertion_order(api, ctl, listener):
    tracks = [t["id"] for t in ctl.tracks()]
    ctl.add_plays(
        "listener",
        [
            {"track_id": tracks[0], "played_at": T0 + 5 * MINUTE},
            {"track_id": tracks[1], "played_at": "2026-05-28T20:27:40.000Z"},
            {"track_id": tracks[2], "played_at": T0 + 2 * MINUTE},
        ],
    )
    body = api(listener, "/me/player/recently-played").json()
    assert [i["track"]["id"] for i in body["items"]] == [tracks[0], tracks[2], tracks[1]]


def test_played_at_defaults_to_emulator_now(api, ctl, listener):
    clock = ctl.advance_clock(0)
    add_result = ctl.add_plays("listener", [{"track_id": ctl.tracks()[0]["id"]}])
    assert abs(add_result["added"][0]["played_at_ms"] - clock["now_ms"]) < 5_000


def test_scope_required(api, ctl, app):
    user = ctl.create_user(id="noscope")
    tokens = ctl.connect(app, user["id"], scope="playlist-read-private")
    resp = api(tokens["access_token"], "/me/player/recently-played")
    assert resp.status_code == 403
    assert resp.json() == {"error": {"status": 403, "message": "Insufficient client scope"}}


def test_plays_are_per_user(api, ctl, app, listener):
    add(ctl, 3)
    other = ctl.create_user(id="other")
    tokens = ctl.connect(app, other["id"], scope=LISTENER_SCOPE)
    assert api(tokens["access_token"], "/me/player/recently-played").json()["items"] == []


def test_unknown_synthetic_track_ids_become_tracks(api, ctl, listener):
    ctl.add_plays("listener", [{"track_id": "4uLU6hMCjMI75M1A2tKUQC", "played_at": T0}])
    track = api(listener, "/me/player/recently-played").json()["items"][0]["track"]
    assert track["id"] == "4uLU6hMCjMI75M1A2tKUQC"
    assert track["uri"] == "spotify:track:4uLU6hMCjMI75M1A2tKUQC"
    assert track["artists"] and track["album"]["images"]
    again = api(listener, "/tracks/4uLU6hMCjMI75M1A2tKUQC").json()
    assert again == track


def test_invalid_plays_are_rejected(http, emu, ctl, listener):
    resp = http.post(f"{emu.url}/_emulator/users/listener/plays", json=[{"track_id": "short"}], timeout=10)
    assert resp.status_code == 400
    resp = http.post(
        f"{emu.url}/_emulator/users/listener/plays",
        json=[{"track_id": "4uLU6hMCjMI75M1A2tKUQC", "played_at": "yesterday"}],
        timeout=10,
    )
    assert resp.status_code == 400
    resp = http.post(f"{emu.url}/_emulator/users/nobody/plays", json=[], timeout=10)
    assert resp.status_code == 404


def test_played_at_and_cursors_agree_to_the_millisecond(api, ctl, listener):
    tid = ctl.tracks()[0]["id"]
    ctl.add_plays("listener", [{"track_id": tid, "played_at": T0 + 123}, {"track_id": tid, "played_at": T0 + 999}])
    body = api(listener, "/me/player/recently-played").json()
    assert [i["played_at"] for i in body["items"]] == ["2026-05-28T20:26:40.999Z", "2026-05-28T20:26:40.123Z"]
    assert body["cursors"] == {"after": str(T0 + 999), "before": str(T0 + 123)}
    assert played_ms(body["items"]) == [T0 + 999, T0 + 123]
