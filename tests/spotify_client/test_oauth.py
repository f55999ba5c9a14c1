"""Authorization Code with PKCE, end to end through the emulator's login_as."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from soundlink.spotify.accounts import SpotifyAccounts
from soundlink.spotify.api import SpotifyClient
from soundlink.spotify.config import SpotifyConfig
from soundlink.spotify.errors import InvalidAuthorizationCode, SpotifyRequestError
from soundlink.spotify.oauth import code_challenge, make_pkce

from .conftest import LISTENER_SCOPES, REDIRECT_URI, Emulator, authorize, make_config


def test_code_challenge_matches_rfc_7636_appendix_b() -> None:
    assert (
        code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_pkce_verifiers_are_fresh_and_within_rfc_limits() -> None:
    first, second = make_pkce(), make_pkce()
    assert first.verifier != second.verifier
    assert 43 <= len(first.verifier) <= 128
    assert set(first.verifier) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    assert first.challenge == code_challenge(first.verifier)
    assert first.verifier not in repr(first)


def test_authorize_url_carries_state_pkce_and_scopes(config: SpotifyConfig) -> None:
    url = SpotifyAccounts(config).authorize_url(
        REDIRECT_URI,
        "the-state",
        "the-challenge",
        ["user-read-recently-played", "playlist-read-private"],
        show_dialog=True,
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{config.accounts_url}/authorize"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {
        "client_id": config.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "state": "the-state",
        "scope": "user-read-recently-played playlist-read-private",
        "code_challenge_method": "S256",
        "code_challenge": "the-challenge",
        "show_dialog": "true",
    }
    assert "show_dialog" not in SpotifyAccounts(config).authorize_url(REDIRECT_URI, "s", "c", ["a"])


@pytest.mark.parametrize(
    "redirect_uri", ["http://localhost:3000/oauth/callback", "http://soundlink.example/oauth/callback"]
)
def test_authorize_url_refuses_redirect_uris_spotify_refuses(config: SpotifyConfig, redirect_uri: str) -> None:
    with pytest.raises(ValueError, match="redirect URI"):
        SpotifyAccounts(config).authorize_url(redirect_uri, "s", "c", LISTENER_SCOPES)


def test_full_flow_login_exchange_and_profile(emulator: Emulator, config: SpotifyConfig) -> None:
    user = emulator.create_user("alice", "Alice")
    accounts = SpotifyAccounts(config)
    query, state, verifier = authorize(emulator, accounts, "alice", scopes=LISTENER_SCOPES)
    assert query["state"] == state
    before = datetime.now(UTC)

    tokens = accounts.exchange_code(query["code"], REDIRECT_URI, verifier)

    assert tokens.access_token and tokens.refresh_token
    assert tokens.scopes == frozenset(LISTENER_SCOPES)
    assert before + timedelta(seconds=3590) <= tokens.expires_at <= datetime.now(UTC) + timedelta(seconds=3600)
    assert tokens.access_token not in repr(tokens) and tokens.refresh_token not in repr(tokens)
    (request,) = emulator.requests_to("token")
    assert request["status"] == 200 and request["client_id"] == config.client_id

    profile = SpotifyClient(config, tokens).me()
    assert profile.id == "alice"
    assert profile.display_name == "Alice"
    assert profile.account_id == user["account_id"]
    # Spotify says to link accounts by account_id since May 2026.
    assert profile.listener_id == user["account_id"] != "alice"


def test_denied_consent_reaches_the_callback_with_access_denied(emulator: Emulator, config: SpotifyConfig) -> None:
    emulator.create_user("bob")
    query, state, _ = authorize(emulator, SpotifyAccounts(config), "bob", scopes=LISTENER_SCOPES, decision="deny")
    assert query == {"error": "access_denied", "state": state}


def test_a_code_is_single_use(emulator: Emulator, config: SpotifyConfig) -> None:
    emulator.create_user("carol")
    accounts = SpotifyAccounts(config)
    query, _, verifier = authorize(emulator, accounts, "carol", scopes=LISTENER_SCOPES)
    accounts.exchange_code(query["code"], REDIRECT_URI, verifier)
    with pytest.raises(InvalidAuthorizationCode) as caught:
        accounts.exchange_code(query["code"], REDIRECT_URI, verifier)
    assert caught.value.status == 400 and caught.value.reason == "invalid_grant"
    # invalid_grant is final: exactly one request per exchange, no retry.
    assert emulator.count("token") == 2


def test_a_wrong_code_verifier_is_refused(emulator: Emulator, config: SpotifyConfig) -> None:
    emulator.create_user("dave")
    accounts = SpotifyAccounts(config)
    query, _, _ = authorize(emulator, accounts, "dave", scopes=LISTENER_SCOPES)
    with pytest.raises(InvalidAuthorizationCode):
        accounts.exchange_code(query["code"], REDIRECT_URI, make_pkce().verifier)


def test_a_wrong_client_secret_is_a_request_error_not_a_revocation(
    emulator: Emulator, app: dict, config: SpotifyConfig
) -> None:
    emulator.create_user("erin")
    query, _, verifier = authorize(emulator, SpotifyAccounts(config), "erin", scopes=LISTENER_SCOPES)
    wrong = SpotifyAccounts(make_config(emulator, {**app, "client_secret": "not-the-secret"}))
    with pytest.raises(SpotifyRequestError) as caught:
        wrong.exchange_code(query["code"], REDIRECT_URI, verifier)
    assert caught.value.status == 401 and caught.value.reason == "invalid_client"
    assert "not-the-secret" not in str(caught.value)
