"""The Spotify client against the Spotify emulator, started once per session.

Each test gets a reset emulator with one registered app, and a client
configured for it with tiny back-off delays so retries cost milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from local.spotify_emulator import start_emulator
from local.spotify_emulator.testing import EmulatorControl
from soundlink.spotify.accounts import SpotifyAccounts
from soundlink.spotify.api import SpotifyClient
from soundlink.spotify.config import SpotifyConfig
from soundlink.spotify.models import TokenSet
from soundlink.spotify.oauth import make_pkce, make_state

REDIRECT_URI = "http://127.0.0.1:3000/oauth/callback"
LISTENER_SCOPES = ("user-read-recently-played",)
OWNER_SCOPES = ("playlist-read-private", "playlist-read-collaborative")


class Emulator(EmulatorControl):
    """The shared control client, with the defaults and counters these tests use."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.http = requests.Session()

    def register_app(self, redirect_uris: list[str] | None = None, **fields: Any) -> dict:
        return super().register_app(redirect_uris or [REDIRECT_URI], **fields)

    def create_user(self, user_id: str, display_name: str | None = None) -> dict:
        return super().create_user(user_id, display_name or user_id)

    def configure(self, **changes: Any) -> dict:
        return self.config(**changes)

    def track_ids(self, count: int) -> list[str]:
        items = self.call("GET", f"/_emulator/tracks?limit={count}")["items"]
        assert len(items) == count
        return [t["id"] for t in items]

    def faults_left(self) -> dict[int, int]:
        return {f["id"]: f["count"] for f in self.call("GET", "/_emulator/faults")["items"]}

    def consumed(self, fault: dict) -> int:
        """How many requests a fault has answered (it disappears once used up)."""
        return fault["count"] - self.faults_left().get(fault["id"], 0)

    def now_ms(self) -> int:
        return self.call("GET", "/_emulator/clock")["now_ms"]

    def clear_requests(self) -> None:
        self.call("DELETE", "/_emulator/requests")

    def requests_to(self, endpoint: str) -> list[dict]:
        """Logged requests to one endpoint (token, me, recently-played, playlist, playlist-items)."""
        return [r for r in self.requests()["recent"] if r["endpoint"] == endpoint]

    def count(self, endpoint: str) -> int:
        return self.requests()["by_endpoint"].get(endpoint, 0)


@pytest.fixture(scope="session")
def emulator_handle() -> Iterator[Any]:
    handle = start_emulator(port=0)
    yield handle
    handle.stop()


@pytest.fixture
def emulator(emulator_handle: Any) -> Iterator[Emulator]:
    emu = Emulator(emulator_handle.url)
    emu.reset()
    yield emu
    emu.http.close()


@pytest.fixture
def app(emulator: Emulator) -> dict:
    return emulator.register_app()


def make_config(emulator: Emulator, app: dict, **overrides: Any) -> SpotifyConfig:
    options: dict[str, Any] = {
        "timeout_seconds": 2.0,
        "max_attempts": 3,
        "backoff_base_seconds": 0.005,
        "backoff_max_seconds": 0.05,
        "deadline_margin_ms": 0,
    }
    options.update(overrides)
    # One base URL serves accounts and API, as Spotify's two hosts do.
    return SpotifyConfig(
        client_id=app["client_id"],
        client_secret=app["client_secret"],
        accounts_url=emulator.url,
        api_url=emulator.url,
        **options,
    )


@pytest.fixture
def config(emulator: Emulator, app: dict) -> SpotifyConfig:
    return make_config(emulator, app)


def authorize(
    emulator: Emulator, accounts: SpotifyAccounts, user_id: str, *, scopes: tuple[str, ...], decision: str = "approve"
) -> tuple[dict[str, str], str, str]:
    """Follow the authorize URL as a browser would, choosing the user headlessly.

    Returns the callback's query parameters, the state sent and the PKCE verifier.
    """
    pkce = make_pkce()
    state = make_state()
    url = accounts.authorize_url(REDIRECT_URI, state, pkce.challenge, scopes)
    response = emulator.http.get(url, params={"login_as": user_id, "decision": decision}, allow_redirects=False)
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    return query, state, pkce.verifier


def connect(
    emulator: Emulator, config: SpotifyConfig, user_id: str, *, scopes: tuple[str, ...] = LISTENER_SCOPES
) -> TokenSet:
    accounts = SpotifyAccounts(config)
    query, state, verifier = authorize(emulator, accounts, user_id, scopes=scopes)
    assert query["state"] == state
    return accounts.exchange_code(query["code"], REDIRECT_URI, verifier)


@pytest.fixture
def listener(emulator: Emulator) -> dict:
    return emulator.create_user("listener-1", "Lee Listener")


@pytest.fixture
def listener_tokens(emulator: Emulator, config: SpotifyConfig, listener: dict) -> TokenSet:
    return connect(emulator, config, listener["id"])


@pytest.fixture
def listener_client(config: SpotifyConfig, listener_tokens: TokenSet) -> SpotifyClient:
    return SpotifyClient(config, listener_tokens)
