"""One emulator per test session, reset before every test."""

from __future__ import annotations

import pytest

REDIRECT_URI = "http://127.0.0.1:3000/oauth/callback"
LISTENER_SCOPE = "user-read-recently-played"
OWNER_SCOPE = "user-read-recently-played playlist-read-private playlist-read-collaborative"


@pytest.fixture
def app(ctl) -> dict:
    return ctl.register_app([REDIRECT_URI], client_id="soundlink-app", client_secret="s3cret")


@pytest.fixture
def api(emu, http):
    """GET a Web API path with a bearer token: api(token, "/me", params=...)."""

    def get(token: str, path: str, **params):
        return http.get(f"{emu.url}/v1{path}", headers={"Authorization": f"Bearer {token}"}, params=params, timeout=10)

    return get


@pytest.fixture
def tracks(ctl) -> list[str]:
    return [t["id"] for t in ctl.tracks()]
