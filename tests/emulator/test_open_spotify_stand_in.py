"""The local stand-in for open.spotify.com: the rewrite (local/destinations.py) and the
emulator's pages (local/spotify_emulator/open_pages.py). No local cloud needed."""

from __future__ import annotations

import pytest

from local.destinations import rewrite_html, rewrite_location, rewrite_response
from local.spotify_emulator.app import create_app
from local.spotify_emulator.state import EmulatorState

BASE = "http://127.0.0.1:4000/open/"
PLAYLIST_ID = "37i9dQZF1DXcBWIGoYBM5M"


def test_without_a_base_the_answer_is_the_deployed_one() -> None:
    headers = [("location", f"https://open.spotify.com/playlist/{PLAYLIST_ID}"), ("content-type", "text/html")]
    body = b'<a href="https://open.spotify.com/playlist/x">Listen</a>'
    assert rewrite_response(headers, body, None) == (headers, body)
    assert rewrite_response(headers, body, "") == (headers, body)


def test_location_moves_under_the_base_and_other_hosts_do_not() -> None:
    assert rewrite_location(f"https://open.spotify.com/playlist/{PLAYLIST_ID}", BASE) == f"{BASE}playlist/{PLAYLIST_ID}"
    assert rewrite_location("https://open.spotify.com/", BASE) == BASE
    for other in (
        "https://open.spotify.com.evil.example/playlist/x",  # a look-alike host
        "http://open.spotify.com/playlist/x",  # not what the functions send
        "https://example.org/?next=https://open.spotify.com/playlist/x",
        "https://accounts.spotify.com/authorize?x=1",
        "",
    ):
        assert rewrite_location(other, BASE) == other


def test_only_html_bodies_are_rewritten_and_only_in_link_attributes() -> None:
    headers = [
        ("Location", "https://open.spotify.com/track/abc"),
        ("Content-Type", "text/html; charset=utf-8"),
        ("set-cookie", "a=https://open.spotify.com/"),
    ]
    body = (
        b'<a id="listen" href="https://open.spotify.com/playlist/x?si=1&amp;a=2">Listen</a>'
        b"<form action='https://open.spotify.com/track/y'></form>"
        b"<p>Your playlist https://open.spotify.com/playlist/x</p>"
    )
    new_headers, new_body = rewrite_response(headers, body, BASE)
    assert new_headers[0] == ("Location", f"{BASE}track/abc")
    assert new_headers[1:] == headers[1:]
    text = new_body.decode()
    assert f'href="{BASE}playlist/x?si=1&amp;a=2"' in text
    assert f"action='{BASE}track/y'" in text
    assert "<p>Your playlist https://open.spotify.com/playlist/x</p>" in text  # prose is left alone
    json_headers = [("content-type", "application/json")]
    json_body = (
        b'{"destination_url": "https://open.spotify.com/playlist/x", "html": "<a href=\'https://open.spotify.com/x\'>"}'
    )
    assert rewrite_response(json_headers, json_body, BASE) == (json_headers, json_body)
    assert rewrite_html(b"\xff<a href='x'>", BASE) == b"\xff<a href='x'>"  # no link: the bytes as they were


@pytest.fixture
def emulator():
    state = EmulatorState()
    return state, create_app(state).test_client()


def test_a_known_playlist_says_what_would_open_with_its_tracks_escaped(emulator) -> None:
    _state, client = emulator
    tracks = [track["id"] for track in client.get("/_emulator/tracks?limit=3").get_json()["items"]]
    name = '<script>alert("x")</script> & "Friends"'
    assert client.post("/_emulator/users", json={"id": "artist"}).status_code == 201
    created = client.post("/_emulator/playlists", json={"owner": "artist", "name": name, "track_ids": tracks})
    assert created.status_code == 201, created.get_data(as_text=True)
    playlist_id = created.get_json()["id"]
    for path in (f"/open/playlist/{playlist_id}", f"/open/intl-de/playlist/{playlist_id}"):
        page = client.get(path)
        assert page.status_code == 200 and page.mimetype == "text/html"
        text = page.get_data(as_text=True)
        assert "<script>" not in text
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;Friends&quot;" in text
        assert "In production this opens Spotify: playlist <strong>" in text and playlist_id in text
        assert text.count("<li>") == 3 and all(track_id in text for track_id in tracks)
        # The test client's emulator is not at the default port: the command names it.
        assert f"python -m local.plays --listener 'Your Name' --tracks playlist:{playlist_id}" in text
        assert "--now --spotify-url http://localhost</code>" in text


def test_unknown_playlists_tracks_and_odd_paths_still_get_a_page(emulator) -> None:
    _, client = emulator
    unknown = client.get(f"/open/playlist/{PLAYLIST_ID}")
    assert unknown.status_code == 200 and "does not know" in unknown.get_data(as_text=True)
    track_id = client.get("/_emulator/tracks?limit=1").get_json()["items"][0]["id"]
    track = client.get(f"/open/track/{track_id}").get_data(as_text=True)
    assert "In production this opens Spotify: track" in track and track_id in track
    assert "album" in client.get(f"/open/album/{PLAYLIST_ID}").get_data(as_text=True)
    for odd in ("/open/", "/open/playlist/%3Cimg%20src=x%3E", "/open/<b>hi</b>/x"):
        page = client.get(odd)
        assert page.status_code == 200
        assert "<img" not in page.get_data(as_text=True) and "<b>hi" not in page.get_data(as_text=True)
