"""Playlist metadata and items (GET /v1/playlists/{id}/items, paged by 50)."""

from __future__ import annotations

import pytest

from soundlink.spotify.api import SpotifyClient
from soundlink.spotify.config import SpotifyConfig
from soundlink.spotify.errors import SpotifyRequestError

from .conftest import OWNER_SCOPES, Emulator, connect


def test_playlist_metadata(emulator: Emulator, config: SpotifyConfig) -> None:
    emulator.create_user("owner", "Olive Owner")
    created = emulator.create_playlist("owner", "Summer Campaign", emulator.track_ids(3))
    client = SpotifyClient(config, connect(emulator, config, "owner", scopes=OWNER_SCOPES))

    playlist = client.playlist(created["id"])

    assert playlist.id == created["id"]
    assert playlist.name == "Summer Campaign"
    assert playlist.owner_id == "owner"
    assert playlist.snapshot_id == created["snapshot_id"]
    assert playlist.uri == created["uri"] == f"spotify:playlist:{created['id']}"
    assert not playlist.collaborative


def test_items_are_paged_by_fifty_across_120_tracks(emulator: Emulator, config: SpotifyConfig) -> None:
    emulator.create_user("owner")
    track_ids = emulator.track_ids(120)
    created = emulator.create_playlist("owner", "Big", track_ids)
    client = SpotifyClient(config, connect(emulator, config, "owner", scopes=OWNER_SCOPES))
    emulator.clear_requests()

    items = client.playlist_items(created["id"])

    assert [i.track.id for i in items] == track_ids
    assert all(i.track.uri == f"spotify:track:{i.track.id}" for i in items)
    assert all(i.added_at is not None and i.added_at.tzinfo is not None for i in items)
    assert all(i.track.name and i.track.artists and i.track.duration_ms > 0 for i in items)
    # 50 + 50 + 20, and nothing from the removed /tracks path.
    assert [r["status"] for r in emulator.requests_to("playlist-items")] == [200, 200, 200]
    assert all(r["path"] == f"/v1/playlists/{created['id']}/items" for r in emulator.requests_to("playlist-items"))


def test_exactly_fifty_items_take_one_page(emulator: Emulator, config: SpotifyConfig) -> None:
    emulator.create_user("owner")
    track_ids = emulator.track_ids(50)
    created = emulator.create_playlist("owner", "Fifty", track_ids)
    client = SpotifyClient(config, connect(emulator, config, "owner", scopes=OWNER_SCOPES))
    assert [i.track.id for i in client.playlist_items(created["id"])] == track_ids
    assert emulator.count("playlist-items") == 1


def test_an_empty_playlist_has_no_items(emulator: Emulator, config: SpotifyConfig) -> None:
    emulator.create_user("owner")
    created = emulator.create_playlist("owner", "Empty", [])
    client = SpotifyClient(config, connect(emulator, config, "owner", scopes=OWNER_SCOPES))
    assert client.playlist_items(created["id"]) == []


def test_a_collaborator_can_read_the_items(emulator: Emulator, config: SpotifyConfig) -> None:
    emulator.create_user("owner")
    emulator.create_user("helper")
    track_ids = emulator.track_ids(4)
    created = emulator.create_playlist("owner", "Shared", track_ids, collaborators=["helper"], public=False)
    client = SpotifyClient(config, connect(emulator, config, "helper", scopes=OWNER_SCOPES))
    assert client.playlist(created["id"]).collaborative
    assert [i.track.id for i in client.playlist_items(created["id"])] == track_ids


def test_a_401_mid_paging_refreshes_once_for_the_whole_call(emulator: Emulator, config: SpotifyConfig) -> None:
    emulator.create_user("owner")
    track_ids = emulator.track_ids(120)
    created = emulator.create_playlist("owner", "Big", track_ids)
    tokens = connect(emulator, config, "owner", scopes=OWNER_SCOPES)
    client = SpotifyClient(config, tokens)
    emulator.clear_requests()
    emulator.fault("playlist-items", 401)

    assert [i.track.id for i in client.playlist_items(created["id"])] == track_ids
    assert [r["status"] for r in emulator.requests_to("playlist-items")] == [401, 200, 200, 200]
    assert emulator.count("token") == 1

    emulator.clear_requests()
    emulator.fault("playlist-items", 401, count=2)
    with pytest.raises(SpotifyRequestError) as caught:
        client.playlist_items(created["id"])
    assert caught.value.status == 401
    assert [r["status"] for r in emulator.requests_to("playlist-items")] == [401, 401]
    assert emulator.count("token") == 1
