"""The playlist check at creation: POST /campaigns/playlist-check and POST /campaigns read the
playlist (the owner's connection, else the app's own token) against the Spotify emulator; a
playlist Spotify hides, a busy Spotify or a missing connection never stops a campaign being saved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from soundlink.attribution.playlist_check import PlaylistChecker
from soundlink.platform.tables import OwnerSpotifyItem
from soundlink.spotify.config import SpotifyConfig
from soundlink.spotify.models import TokenSet
from soundlink.tokens.cipher import TokenCipher, owner_context
from soundlink.tokens.sealed import seal
from tests.handlers.test_campaigns_api import ALICE, api, one  # noqa: F401 (the api fixture)

REDIRECT = "http://127.0.0.1:3000/oauth/callback"
PUBLIC_ID = "1111111111111111111111"
PRIVATE_ID = "2222222222222222222222"


@pytest.fixture
def spotify(api, emu, ctl, monkeypatch):  # noqa: F811
    """The campaigns function's checker pointed at the emulator, with moto KMS for owner tokens."""
    import campaigns.playlist_check as module

    kms = boto3.client("kms", region_name="us-east-1")
    key_arn = kms.create_key(Description="soundlink tokens")["KeyMetadata"]["Arn"]
    cipher = TokenCipher(kms, key_arn)
    app = ctl.register_app([REDIRECT])
    config = SpotifyConfig(
        app["client_id"],
        app["client_secret"],
        accounts_url=emu.url,
        api_url=emu.url,
        backoff_base_seconds=0.01,
        backoff_max_seconds=0.02,
    )
    checker = PlaylistChecker(cipher=lambda: cipher, spotify_config=lambda: config)
    monkeypatch.setattr(module, "checker", lambda: checker)
    ctl.create_user(id="artist", display_name="The Artist")
    tracks = [track["id"] for track in ctl.tracks()[:3]]
    ctl.create_playlist("artist", "Spring Songs", tracks, id=PUBLIC_ID)
    ctl.create_playlist("artist", "Demos (private)", tracks[:2], id=PRIVATE_ID, public=False)

    class Spotify:
        def connect_owner(self, owner_sub: str = "alice-sub") -> None:
            """Alice connected the artist's Spotify account (as the owner connection flow stores it)."""
            answer = ctl.connect(app, "artist", scope="playlist-read-private playlist-read-collaborative")
            tokens = TokenSet(
                access_token=answer["access_token"],
                refresh_token=answer["refresh_token"],
                scope=answer["scope"],
                expires_at=datetime.now(UTC) + timedelta(hours=1),
            )
            OwnerSpotifyItem(
                *OwnerSpotifyItem.key(owner_sub),
                owner_id=owner_sub,
                spotify_user_id="artist",
                account_id="artist",
                display_name="The Artist",
                scopes=answer["scope"],
                tokens=seal(cipher, tokens, owner_context(owner_sub)),
                connected_at=datetime.now(UTC),
                gsi2pk="LISTENER#artist",
                gsi2sk=f"OWNER#{owner_sub}",
            ).save()

    return Spotify()


def check(api, playlist):  # noqa: F811
    return api("POST", "/campaigns/playlist-check", body={"playlist": playlist})


def test_a_public_playlist_shows_its_name_with_the_apps_own_token(api, spotify):  # noqa: F811
    status, body, _ = check(api, f"https://open.spotify.com/playlist/{PUBLIC_ID}?si=abc")
    assert status == 200, body
    assert body["readable"] is True
    assert body["name"] == "Spring Songs"
    assert body["image_url"].startswith("https://")
    assert body["read_with"] == "app"
    # Since 2026 Spotify shows a playlist's tracks only to its owner or collaborators.
    assert body["track_count"] is None
    assert "connect the Spotify account that owns it" in body["warning"]


def test_with_the_owners_connection_it_shows_name_cover_and_track_count(api, spotify):  # noqa: F811
    spotify.connect_owner()
    status, body, _ = check(api, PRIVATE_ID)
    assert status == 200, body
    assert (body["readable"], body["name"], body["track_count"], body["read_with"]) == (
        True,
        "Demos (private)",
        2,
        "owner",
    )
    assert body["warning"] is None


def test_a_playlist_spotify_hides_is_saved_with_a_warning_before_any_listener(api, spotify):  # noqa: F811
    status, body, _ = check(api, PRIVATE_ID)
    assert status == 200
    assert body["readable"] is False
    assert "may not exist" in body["warning"] and "private" in body["warning"] and "editorial" in body["warning"]
    status, created, _ = api("POST", "/campaigns", body={"name": "Launch", "playlist": PRIVATE_ID})
    assert status == 201, created
    assert created["playlist_warning"] == body["warning"]
    assert "connect the Spotify account that owns it" in created["playlist_warning"]
    # Kept on the campaign: the page shows it on first load, before any listener was polled.
    _, again, _ = one(api, created["id"])
    assert again["playlist_warning"] == created["playlist_warning"]


def test_a_readable_playlist_is_saved_with_its_name_and_cover(api, spotify):  # noqa: F811
    spotify.connect_owner()
    status, created, _ = api("POST", "/campaigns", body={"name": "Launch", "playlist": PUBLIC_ID})
    assert status == 201
    assert (created["playlist_name"], created["playlist_warning"]) == ("Spring Songs", None)
    assert created["playlist_image_url"].startswith("https://")


@pytest.mark.parametrize("status_code", [429, 500, 503])
def test_a_busy_spotify_saves_the_campaign_saying_the_check_will_be_retried(api, spotify, ctl, status_code):  # noqa: F811
    spotify.connect_owner()
    ctl.fault("playlist", status_code, count=10, retry_after=30)
    status, created, _ = api("POST", "/campaigns", body={"name": "Launch", "playlist": PUBLIC_ID})
    assert status == 201, created
    assert "did not answer the playlist check" in created["playlist_warning"]
    assert "when it first polls a listener" in created["playlist_warning"]
    assert created["playlist_name"] is None


def test_the_check_says_when_it_will_be_retried(api, spotify, ctl):  # noqa: F811
    ctl.fault("token", 503, count=10)  # the app's own token cannot be had
    status, body, _ = check(api, PUBLIC_ID)
    assert status == 200
    assert (body["readable"], body["retry"]) == (False, True)


def test_an_expired_owner_connection_says_to_connect_again(api, spotify, ctl):  # noqa: F811
    spotify.connect_owner()
    ctl.revoke("artist")
    status, body, _ = check(api, PUBLIC_ID)
    assert status == 200
    assert body["readable"] is False
    assert "connect Spotify again" in body["warning"]


@pytest.mark.parametrize(
    ("pasted", "sentence"),
    [
        (f"https://open.spotify.com/album/{PUBLIC_ID}", "That is an album link;"),
        (f"https://open.spotify.com/track/{PUBLIC_ID}?si=x", "That is a track link;"),
    ],
)
def test_an_album_or_track_link_gets_a_sentence_naming_it(api, spotify, pasted, sentence):  # noqa: F811
    for path, sent in (("/campaigns/playlist-check", {}), ("/campaigns", {"name": "Launch"})):
        status, body, _ = api("POST", path, body={**sent, "playlist": pasted})
        assert status == 400, body
        text = str(body)
        assert sentence in text
        assert "paste a link that contains /playlist/" in text
        assert "{id}" not in text


def test_without_spotify_configured_the_campaign_is_still_saved(api):  # noqa: F811
    status, created, _ = api("POST", "/campaigns", body={"name": "Launch", "playlist": PUBLIC_ID})
    assert status == 201
    assert "no Spotify app configured" in created["playlist_warning"]


def test_the_check_needs_a_signed_in_owner(api, spotify):  # noqa: F811
    status, _, _ = api("POST", "/campaigns/playlist-check", claims=None, body={"playlist": PUBLIC_ID})
    assert status == 401


def test_a_name_read_without_the_owners_connection_is_shown_but_not_kept(api, spotify):  # noqa: F811
    """The landing page shows a playlist's name and cover only as its owner's connection read them."""
    status, body, _ = check(api, PUBLIC_ID)
    assert (status, body["name"], body["read_with"]) == (200, "Spring Songs", "app")
    status, created, _ = api("POST", "/campaigns", body={"name": "Launch", "playlist": PUBLIC_ID})
    assert status == 201
    assert (created["playlist_name"], created["playlist_image_url"]) == (None, None)
    assert "connect the Spotify account that owns it" in created["playlist_warning"]
