"""One emulator per test session, reset before every test."""

from __future__ import annotations

import pytest
import requests

from local.spotify_emulator import start_emulator
from local.spotify_emulator.testing import EmulatorControl

REDIRECT_URI = "http://127.0.0.1:3000/oauth/callback"
LISTENER_SCOPE = "user-read-recently-played"
OWNER_SCOPE = "user-read-recently-played playlist-read-private playlist-read-collaborative"


@pytest.fixture(scope="session")
def emulator():
    handle = start_emulator(port=0)
    yield handle
    handle.stop()


@pytest.fixture
def emu(emulator):
    EmulatorControl(emulator.url).reset()
    return emulator


@pytest.fixture
def ctl(emu) -> EmulatorControl:
    return EmulatorControl(emu.url)


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session


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
