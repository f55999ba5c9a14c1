"""GET /v1/me/library/contains (2026 semantics) and the library control routes."""

from __future__ import annotations

import pytest

from .conftest import LISTENER_SCOPE, REDIRECT_URI

FANS_SCOPE = f"{LISTENER_SCOPE} user-library-read user-follow-read playlist-read-private"


@pytest.fixture
def fan(ctl, app):
    ctl.create_user(id="fan")
    return ctl.connect(app, "fan", scope=FANS_SCOPE)["access_token"]


def _uris(ctl) -> tuple[str, str, str]:
    track = ctl.tracks()[0]
    return track["uri"], track["artists"][0]["uri"], "spotify:playlist:" + "P" * 22


def test_contains_answers_booleans_in_order_for_tracks_artists_and_playlists(ctl, api, fan):
    track, artist, playlist = _uris(ctl)
    assert api(fan, "/me/library/contains", uris=f"{track},{artist},{playlist}").json() == [False, False, False]
    ctl.save("fan", [track, playlist])
    resp = api(fan, "/me/library/contains", uris=f"{track},{artist},{playlist}")
    assert resp.status_code == 200
    assert resp.json() == [True, False, True]
    ctl.save("fan", [artist])
    ctl.unsave("fan", [track])
    assert api(fan, "/me/library/contains", uris=f"{track},{artist},{playlist}").json() == [False, True, True]


def test_forty_uris_pass_and_forty_one_are_a_400(ctl, api, fan):
    uris = [t["uri"] for t in ctl.tracks()[:41]]
    assert api(fan, "/me/library/contains", uris=",".join(uris[:40])).json() == [False] * 40
    resp = api(fan, "/me/library/contains", uris=",".join(uris))
    assert resp.status_code == 400
    assert resp.json()["error"]["status"] == 400


@pytest.mark.parametrize(
    "uris", ["", "spotify:track:short", "spotify:genre:" + "a" * 22, "https://open.spotify.com/track/x", "a,,b"]
)
def test_bad_uris_are_a_400(api, fan, uris):
    resp = api(fan, "/me/library/contains", uris=uris)
    assert resp.status_code == 400
    assert resp.json()["error"]["message"]


def test_missing_scope_for_a_uri_type_is_a_403(ctl, app, api):
    track, artist, playlist = _uris(ctl)
    ctl.create_user(id="old")
    old = ctl.connect(app, "old", scope=LISTENER_SCOPE)["access_token"]
    assert api(old, "/me/library/contains", uris=track).status_code == 403
    ctl.create_user(id="saves-only")
    saves = ctl.connect(app, "saves-only", scope=f"{LISTENER_SCOPE} user-library-read")["access_token"]
    assert api(saves, "/me/library/contains", uris=track).status_code == 200
    resp = api(saves, "/me/library/contains", uris=f"{track},{artist}")
    assert resp.status_code == 403
    assert resp.json()["error"]["message"] == "Insufficient client scope"
    assert api(saves, "/me/library/contains", uris=playlist).status_code == 403


def test_development_mode_allowlist_applies(ctl, api):
    ctl.create_user(id="unlisted")
    dev_app = ctl.register_app([REDIRECT_URI], allowlist=["someone-else"])
    token = ctl.connect(dev_app, "unlisted", scope=FANS_SCOPE)["access_token"]
    track, _, _ = _uris(ctl)
    resp = api(token, "/me/library/contains", uris=track)
    assert resp.status_code == 403
    assert "may not be registered" in resp.json()["error"]["message"]


def test_faults_and_request_log_know_the_endpoint(ctl, api, fan):
    track, _, _ = _uris(ctl)
    ctl.fault("library-contains", 429, retry_after=7)
    resp = api(fan, "/me/library/contains", uris=track)
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "7"
    assert api(fan, "/me/library/contains", uris=track).status_code == 200
    assert ctl.requests()["by_endpoint"]["library-contains"] == 2


def test_control_routes_validate_and_reset_clears(ctl, http, emu):
    ctl.create_user(id="fan")
    base = f"{emu.url}/_emulator/users/fan/library"
    for body in ({}, {"uris": []}, {"uris": "spotify:track:x"}, {"uris": ["spotify:track:bad"]}):
        assert http.post(base, json=body, timeout=10).status_code == 400
    assert (
        http.post(
            f"{emu.url}/_emulator/users/nobody/library", json={"uris": ["spotify:user:x"]}, timeout=10
        ).status_code
        == 404
    )
    track = ctl.tracks()[0]["uri"]
    assert ctl.save("fan", [track, track]) == {"uris": [track], "total": 1}
    assert http.get(base, timeout=10).json()["uris"] == [track]
    ctl.reset()
    ctl.create_user(id="fan")
    assert http.get(base, timeout=10).json() == {"uris": [], "total": 0}
