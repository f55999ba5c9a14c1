"""The developers' bits of the local cloud: the open.spotify.com stand-in at the end of a
listener's journey, and `python -m local.plays` (a local listener's plays, then --now)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from local.cloud import LocalCloud
from local.spotify_emulator.testing import EmulatorControl
from tests.integration.journey import approve, consent_cookie, drain, finish, new_campaign, start

pytestmark = [pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
EVIL_NAME = '<img src=x onerror="alert(1)"> Summer & Co'


@pytest.fixture(scope="module")
def owner(local_cloud: LocalCloud):
    return local_cloud.create_owner(f"devtools-{uuid.uuid4().hex[:8]}@example.com", "Devtools-owner-2026")


@pytest.fixture
def spotify(local_cloud: LocalCloud) -> EmulatorControl:
    return EmulatorControl(local_cloud.spotify_url)


@pytest.fixture
def playlist(spotify: EmulatorControl) -> dict:
    tag = uuid.uuid4().hex[:8]
    artist = spotify.create_user(f"artist-{tag}", "Artist")
    tracks = [track["id"] for track in spotify.tracks()[40:43]]
    return spotify.create_playlist(artist["id"], EVIL_NAME, tracks)


@pytest.fixture
def stand_in(local_cloud: LocalCloud) -> Iterator[str]:
    local_cloud.use_open_spotify_stand_in(True)
    try:
        yield f"{local_cloud.spotify_url}/open/"
    finally:
        local_cloud.use_open_spotify_stand_in(False)


def _head(cloud: LocalCloud, slug: str) -> requests.Response:
    return requests.head(f"{cloud.api_url}/c/{slug}", allow_redirects=False, timeout=30)


def test_deployed_answers_name_open_spotify_and_the_local_cloud_sends_people_to_its_stand_in(
    local_cloud: LocalCloud, owner, spotify: EmulatorControl, playlist: dict
) -> None:
    campaign = new_campaign(local_cloud, owner, playlist=f"https://open.spotify.com/playlist/{playlist['id']}")
    destination = campaign["destination_url"]
    assert destination == f"https://open.spotify.com/playlist/{playlist['id']}"
    # Unset (what tests and deployments see): the real link.
    assert _head(local_cloud, campaign["slug"]).headers["location"] == destination

    local_cloud.use_open_spotify_stand_in(True)
    try:
        stand_in = f"{local_cloud.spotify_url}/open/playlist/{playlist['id']}"
        bot = _head(local_cloud, campaign["slug"])
        assert bot.status_code == 302 and bot.headers["location"] == stand_in
        # The consent callback's last redirect goes there too.
        listener = spotify.create_user(f"listener-{uuid.uuid4().hex[:8]}", "Stand-in Listener")
        started = start(local_cloud, campaign["slug"])
        done = finish(approve(started, listener["id"]), consent_cookie(started))
        assert done.status_code == 303 and done.headers["location"] == stand_in
        page = requests.get(stand_in, timeout=30)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert "In production this opens Spotify: playlist" in page.text
        assert "<img" not in page.text and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; Summer &amp; Co" in page.text
        assert all(track_id in page.text for track_id in playlist["track_ids"])
    finally:
        local_cloud.use_open_spotify_stand_in(False)
    assert _head(local_cloud, campaign["slug"]).headers["location"] == destination
    drain(local_cloud)


def _plays_cli(cloud: LocalCloud, *args: str) -> subprocess.CompletedProcess[str]:
    ports = {"SOUNDLINK_SPOTIFY_PORT": cloud.spotify_url.rsplit(":", 1)[1]}
    ports["SOUNDLINK_WEB_PORT"] = cloud.web_url.rstrip("/").rsplit(":", 1)[1]
    return subprocess.run(
        [sys.executable, "-m", "local.plays", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **ports},
        check=False,
    )


def test_plays_cli_gives_a_connected_listener_plays_the_campaign_credits_at_once(
    local_cloud: LocalCloud, owner, spotify: EmulatorControl, playlist: dict
) -> None:
    campaign = new_campaign(local_cloud, owner, playlist=f"https://open.spotify.com/playlist/{playlist['id']}")
    name = f"Browser Listener {uuid.uuid4().hex[:6]}"
    listener = spotify.create_user(f"browser-{uuid.uuid4().hex[:8]}", name)
    started = start(local_cloud, campaign["slug"])
    assert finish(approve(started, listener["id"]), consent_cookie(started)).status_code == 303
    drain(local_cloud)  # the listener's first poll: nothing played yet

    result = _plays_cli(
        local_cloud, "--listener", name.upper(), "--tracks", f"playlist:{playlist['id']}", "--minutes-ago", "0", "--now"
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2 and f"{listener['id']} ({name}) played 3 track(s)" in lines[0]
    plays = spotify.call("GET", f"/_emulator/users/{listener['id']}/plays")["items"]
    assert sorted(play["track_id"] for play in plays) == sorted(playlist["track_ids"])
    assert {play["context_uri"] for play in plays} == {f"spotify:playlist:{playlist['id']}"}
    assert len({play["played_at_ms"] for play in plays}) == 3  # each its own moment

    analytics = f"{local_cloud.api_url}/campaigns/{campaign['id']}/analytics"
    answer = requests.get(analytics, headers=owner.headers, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()["totals"]["attributed_plays"] == 3


def test_plays_cli_says_what_is_wrong(local_cloud: LocalCloud, spotify: EmulatorControl) -> None:
    nobody = _plays_cli(local_cloud, "--listener", "nobody-such", "--tracks", "37i9dQZF1DXcBWIGoYBM5M")
    assert nobody.returncode == 1 and "No emulator user is 'nobody-such'" in nobody.stderr
    user = spotify.create_user(f"cli-{uuid.uuid4().hex[:8]}", "CLI user")
    for bad in ("not-an-id", "playlist:<script>", "https://open.spotify.com/artist/37i9dQZF1DXcBWIGoYBM5M"):
        answer = _plays_cli(local_cloud, "--listener", user["id"], "--tracks", bad)
        assert answer.returncode == 1 and "22-character" in answer.stderr, answer.stderr
    too_many = _plays_cli(local_cloud, "--listener", user["id"], "--tracks", *["37i9dQZF1DXcBWIGoYBM5M"] * 51)
    assert too_many.returncode == 1 and "newest 50" in too_many.stderr
    fifty = _plays_cli(local_cloud, "--listener", user["id"], "--tracks", *["37i9dQZF1DXcBWIGoYBM5M"] * 50)
    assert fifty.returncode == 0, fifty.stderr
    assert spotify.call("GET", f"/_emulator/users/{user['id']}/plays")["total"] == 50


def test_plays_cli_plays_a_local_campaigns_playlist_by_its_slug(
    local_cloud: LocalCloud, owner, spotify: EmulatorControl, playlist: dict
) -> None:
    campaign = new_campaign(local_cloud, owner, playlist=f"https://open.spotify.com/playlist/{playlist['id']}")
    user = spotify.create_user(f"slug-{uuid.uuid4().hex[:8]}", "Slug listener")
    result = _plays_cli(local_cloud, "--listener", user["id"], "--tracks", f"campaign:{campaign['slug']}")
    assert result.returncode == 0, result.stderr
    plays = spotify.call("GET", f"/_emulator/users/{user['id']}/plays")["items"]
    assert sorted(play["track_id"] for play in plays) == sorted(playlist["track_ids"])
    assert {play["context_uri"] for play in plays} == {f"spotify:playlist:{playlist['id']}"}
    for slug in ("zzzzzzzzzz", "../x"):
        unknown = _plays_cli(local_cloud, "--listener", user["id"], "--tracks", f"campaign:{slug}")
        assert unknown.returncode == 1 and "tracker link" in unknown.stderr, unknown.stderr
