"""Client credentials: the app's own token reads public playlists' metadata, nothing of a user."""

from __future__ import annotations

import pytest

from .conftest import OWNER_SCOPE


@pytest.fixture
def app_token(ctl, app) -> str:
    answer = ctl.token({"grant_type": "client_credentials"}, app["client_id"], app["client_secret"])
    assert answer["token_type"] == "Bearer" and answer["expires_in"] > 0
    assert "refresh_token" not in answer
    return answer["access_token"]


def test_reads_a_public_playlist_without_its_items(ctl, app, api, app_token, tracks):
    ctl.create_user(id="owner")
    playlist = ctl.create_playlist("owner", "Public", tracks[:3])
    response = api(app_token, f"/playlists/{playlist['id']}")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Public"
    assert "items" not in body and "tracks" not in body  # only owners and collaborators see them
    assert api(app_token, f"/playlists/{playlist['id']}/items").status_code == 403


def test_a_private_playlist_is_hidden_as_404(ctl, app, api, app_token, tracks):
    ctl.create_user(id="owner")
    playlist = ctl.create_playlist("owner", "Private", tracks[:3], public=False)
    assert api(app_token, f"/playlists/{playlist['id']}").status_code == 404
    owner = ctl.connect(app, "owner", scope=OWNER_SCOPE)["access_token"]
    assert api(owner, f"/playlists/{playlist['id']}").status_code == 200


def test_user_endpoints_need_a_user(api, app_token):
    assert api(app_token, "/me").status_code == 401
    assert api(app_token, "/me/player/recently-played").status_code == 401


def test_an_allow_list_does_not_apply_to_the_apps_own_token(ctl, api, tracks):
    app = ctl.register_app(["http://127.0.0.1:3000/oauth/callback"], allowlist=["someone-else"])
    token = ctl.token({"grant_type": "client_credentials"}, app["client_id"], app["client_secret"])["access_token"]
    ctl.create_user(id="owner")
    playlist = ctl.create_playlist("owner", "Public", tracks[:3])
    assert api(token, f"/playlists/{playlist['id']}").status_code == 200


def test_needs_the_client_secret(ctl, app):
    with pytest.raises(RuntimeError, match="401"):
        ctl.token({"grant_type": "client_credentials"}, app["client_id"], "wrong")
    with pytest.raises(RuntimeError, match="400"):
        ctl.token({"grant_type": "client_credentials", "client_id": app["client_id"]})
