"""Playlists: metadata, /items for owners and collaborators only, the removed /tracks path."""

from __future__ import annotations

import re

import pytest

from .conftest import LISTENER_SCOPE, OWNER_SCOPE


@pytest.fixture
def people(ctl, app):
    tokens = {}
    for uid, scope in [
        ("owner", OWNER_SCOPE),
        ("collab", OWNER_SCOPE),
        ("stranger", OWNER_SCOPE),
        ("noscope", LISTENER_SCOPE),
    ]:
        ctl.create_user(id=uid, display_name=uid.title())
        tokens[uid] = ctl.connect(app, uid, scope=scope)["access_token"]
    return tokens


@pytest.fixture
def playlist(ctl, people, tracks):
    return ctl.create_playlist("owner", "Campaign <Summer>", tracks[:60], collaborators=["collab"])


def test_created_playlist_ids(playlist):
    assert re.fullmatch(r"[0-9A-Za-z]{22}", playlist["id"])
    assert playlist["uri"] == f"spotify:playlist:{playlist['id']}"
    assert playlist["snapshot_id"]


def test_owner_gets_metadata_with_items(api, people, playlist, tracks):
    body = api(people["owner"], f"/playlists/{playlist['id']}").json()
    assert body["id"] == playlist["id"]
    assert body["name"] == "Campaign <Summer>"
    assert body["snapshot_id"] == playlist["snapshot_id"]
    assert body["owner"]["id"] == "owner"
    assert body["owner"]["display_name"] == "Owner"
    assert body["collaborative"] is True
    assert body["type"] == "playlist"
    assert body["items"]["total"] == 60
    assert [i["item"]["id"] for i in body["items"]["items"]] == tracks[:60]
    assert body["tracks"] == body["items"]  # deprecated alias


def test_collaborator_reads_items(api, people, playlist):
    resp = api(people["collab"], f"/playlists/{playlist['id']}/items")
    assert resp.status_code == 200
    assert resp.json()["total"] == 60
    assert "items" in api(people["collab"], f"/playlists/{playlist['id']}").json()


def test_stranger_gets_public_metadata_without_items_and_403_on_items(api, people, playlist):
    body = api(people["stranger"], f"/playlists/{playlist['id']}").json()
    assert body["snapshot_id"] == playlist["snapshot_id"]
    assert "items" not in body
    assert "tracks" not in body
    resp = api(people["stranger"], f"/playlists/{playlist['id']}/items")
    assert resp.status_code == 403
    assert resp.json()["error"]["status"] == 403


def test_items_paging(api, people, playlist, tracks, http, emu):
    body = api(people["owner"], f"/playlists/{playlist['id']}/items").json()
    assert body["limit"] == 20 and body["offset"] == 0 and body["total"] == 60
    assert body["previous"] is None
    collected = []
    url = f"{emu.url}/v1/playlists/{playlist['id']}/items?limit=50"
    for _ in range(10):  # bounded
        page = http.get(url, headers={"Authorization": f"Bearer {people['owner']}"}, timeout=10).json()
        collected += [i["item"]["id"] for i in page["items"]]
        url = page["next"]
        if url is None:
            break
    assert url is None
    assert collected == tracks[:60]
    last = api(people["owner"], f"/playlists/{playlist['id']}/items", limit=50, offset=50).json()
    assert len(last["items"]) == 10 and last["next"] is None and last["previous"] is not None
    beyond = api(people["owner"], f"/playlists/{playlist['id']}/items", offset=100).json()
    assert beyond["items"] == []


@pytest.mark.parametrize("params", [{"limit": 51}, {"limit": 0}, {"offset": -1}, {"limit": "x"}])
def test_items_paging_bounds(api, people, playlist, params):
    resp = api(people["owner"], f"/playlists/{playlist['id']}/items", **params)
    assert resp.status_code == 400


def test_item_shape(api, people, playlist, tracks):
    item = api(people["owner"], f"/playlists/{playlist['id']}/items", limit=1).json()["items"][0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", item["added_at"])
    assert item["added_by"]["id"] == "owner"
    assert item["is_local"] is False
    assert item["item"]["id"] == tracks[0]
    assert item["track"] == item["item"]


def test_tracks_path_was_removed(api, people, playlist):
    resp = api(people["owner"], f"/playlists/{playlist['id']}/tracks")
    assert resp.status_code == 404
    assert resp.json() == {"error": {"status": 404, "message": "Service not found"}}


def test_snapshot_changes_only_when_items_change(api, ctl, people, playlist, tracks, http, emu):
    pid = playlist["id"]
    assert api(people["owner"], f"/playlists/{pid}").json()["snapshot_id"] == playlist["snapshot_id"]
    appended = http.post(
        f"{emu.url}/_emulator/playlists/{pid}/tracks", json={"track_ids": [tracks[99]]}, timeout=10
    ).json()
    assert appended["snapshot_id"] != playlist["snapshot_id"]
    body = api(people["owner"], f"/playlists/{pid}").json()
    assert body["snapshot_id"] == appended["snapshot_id"]
    assert body["items"]["total"] == 61
    replaced = http.put(
        f"{emu.url}/_emulator/playlists/{pid}/tracks", json={"track_ids": tracks[:2]}, timeout=10
    ).json()
    assert replaced["snapshot_id"] not in (playlist["snapshot_id"], appended["snapshot_id"])
    assert api(people["owner"], f"/playlists/{pid}/items").json()["total"] == 2
    removed = http.delete(
        f"{emu.url}/_emulator/playlists/{pid}/tracks", json={"track_ids": [tracks[0]]}, timeout=10
    ).json()
    assert removed["track_ids"] == [tracks[1]]
    assert removed["snapshot_id"] != replaced["snapshot_id"]


def test_private_playlist_hidden_from_strangers_and_needs_scope(api, ctl, people, tracks, app):
    private = ctl.create_playlist("owner", "Secret", tracks[:3], public=False)
    assert api(people["stranger"], f"/playlists/{private['id']}").status_code == 404
    assert api(people["owner"], f"/playlists/{private['id']}").status_code == 200
    no_scope = ctl.connect(app, "owner", scope=LISTENER_SCOPE)["access_token"]
    resp = api(no_scope, f"/playlists/{private['id']}/items")
    assert resp.status_code == 403
    assert resp.json()["error"]["message"] == "Insufficient client scope"
    assert api(no_scope, f"/playlists/{private['id']}").status_code == 403


def test_collaborative_scope_is_enough_for_collaborative_playlists(api, ctl, people, tracks, app):
    private = ctl.create_playlist("owner", "Collab", tracks[:3], public=False, collaborators=["collab"])
    token = ctl.connect(app, "collab", scope="playlist-read-collaborative")["access_token"]
    assert api(token, f"/playlists/{private['id']}/items").status_code == 200


def test_unknown_and_invalid_playlist_ids(api, people):
    resp = api(people["owner"], "/playlists/0000000000000000000000")
    assert resp.status_code == 404
    assert resp.json() == {"error": {"status": 404, "message": "Resource not found"}}
    resp = api(people["owner"], "/playlists/not-an-id")
    assert resp.status_code == 400
    assert resp.json()["error"]["message"] == "Invalid base62 id"


def test_control_validation(http, emu, people, tracks):
    bad = [
        {"owner": "nobody", "name": "x", "track_ids": []},
        {"owner": "owner", "name": "x", "track_ids": ["short"]},
        {"owner": "owner", "name": "x", "track_ids": [], "collaborators": ["nobody"]},
        {"name": "x", "track_ids": []},
    ]
    for payload in bad:
        assert http.post(f"{emu.url}/_emulator/playlists", json=payload, timeout=10).status_code in (400, 404)
