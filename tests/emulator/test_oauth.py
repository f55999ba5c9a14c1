"""Accounts behaviour: /authorize and /api/token as Spotify does them."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from local.spotify_emulator import start_emulator
from local.spotify_emulator.testing import EmulatorControl, pkce_pair

from .conftest import LISTENER_SCOPE, REDIRECT_URI

SIX_MONTHS = 183 * 24 * 3600


def authorize(http, emu, app, **overrides):
    params = {
        "client_id": app["client_id"],
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "state": "state-123",
        "scope": LISTENER_SCOPE,
        "login_as": overrides.pop("user", None),
        "decision": "approve",
    }
    params.update(overrides)
    return http.get(
        f"{emu.url}/authorize",
        params={k: v for k, v in params.items() if v is not None},
        allow_redirects=False,
        timeout=10,
    )


def callback_params(resp) -> dict:
    assert resp.status_code == 302, resp.text
    location = resp.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}


def token(http, emu, form, auth=None):
    return http.post(f"{emu.url}/api/token", data=form, auth=auth, timeout=10)


@pytest.fixture
def alice(ctl):
    return ctl.create_user(id="alice", display_name="Alice")


def exchange(http, emu, app, code, **extra):
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, **extra}
    return token(http, emu, form, auth=(app["client_id"], app["client_secret"]))


def test_approve_redirects_with_code_and_state(http, emu, app, alice):
    params = callback_params(authorize(http, emu, app, user="alice"))
    assert params["state"] == "state-123"
    assert params["code"]
    resp = exchange(http, emu, app, params["code"])
    assert resp.status_code == 200
    body = resp.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == LISTENER_SCOPE
    assert body["expires_in"] == 3600
    assert body["access_token"] and body["refresh_token"]
    assert resp.headers["Cache-Control"] == "no-store"


def test_deny_redirects_with_access_denied(http, emu, app, alice):
    params = callback_params(authorize(http, emu, app, user="alice", decision="deny"))
    assert params == {"error": "access_denied", "state": "state-123"}


def test_unknown_client_is_an_error_page_not_a_redirect(http, emu, app, alice):
    resp = authorize(http, emu, app, user="alice", client_id="nope")
    assert resp.status_code == 400
    assert "Location" not in resp.headers
    assert resp.headers["Content-Type"].startswith("text/html")
    assert "INVALID_CLIENT: Invalid client" in resp.text


@pytest.mark.parametrize(
    "redirect_uri",
    [
        REDIRECT_URI + "/",
        "http://localhost:3000/oauth/callback",
        "http://127.0.0.1:3001/oauth/callback",
        REDIRECT_URI + "?x=1",
        "",
    ],
)
def test_redirect_uri_must_match_exactly(http, emu, app, alice, redirect_uri):
    resp = authorize(http, emu, app, user="alice", redirect_uri=redirect_uri)
    assert resp.status_code == 400
    assert "Location" not in resp.headers
    assert "INVALID_CLIENT: Invalid redirect URI" in resp.text


def test_bad_response_type_and_scope_redirect_with_error(http, emu, app, alice):
    params = callback_params(authorize(http, emu, app, user="alice", response_type="token"))
    assert params["error"] == "unsupported_response_type"
    params = callback_params(authorize(http, emu, app, user="alice", scope="user-read-recently-played bogus"))
    assert params["error"] == "invalid_scope"
    assert params["state"] == "state-123"
    params = callback_params(
        authorize(http, emu, app, user="alice", code_challenge="abc", code_challenge_method="plain")
    )
    assert params["error"] == "invalid_request"


def test_unknown_login_as_user_is_an_error_page(http, emu, app, alice):
    resp = authorize(http, emu, app, user="mallory")
    assert resp.status_code == 400
    assert "Unknown user" in resp.text


def test_pkce_public_client_exchanges_and_refreshes_without_secret(http, emu, app, alice):
    verifier, challenge = pkce_pair()
    params = callback_params(
        authorize(http, emu, app, user="alice", code_challenge=challenge, code_challenge_method="S256")
    )
    form = {
        "grant_type": "authorization_code",
        "code": params["code"],
        "redirect_uri": REDIRECT_URI,
        "client_id": app["client_id"],
        "code_verifier": verifier,
    }
    resp = token(http, emu, form)
    assert resp.status_code == 200, resp.text
    refreshed = token(
        http,
        emu,
        {"grant_type": "refresh_token", "client_id": app["client_id"], "refresh_token": resp.json()["refresh_token"]},
    )
    assert refreshed.status_code == 200, refreshed.text


def test_pkce_verifier_mismatch_is_invalid_grant(http, emu, app, alice):
    _verifier, challenge = pkce_pair()
    other_verifier, _ = pkce_pair()
    params = callback_params(
        authorize(http, emu, app, user="alice", code_challenge=challenge, code_challenge_method="S256")
    )
    form = {
        "grant_type": "authorization_code",
        "code": params["code"],
        "redirect_uri": REDIRECT_URI,
        "client_id": app["client_id"],
        "code_verifier": other_verifier,
    }
    resp = token(http, emu, form)
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_grant"
    form.pop("code_verifier")
    resp = token(http, emu, form)
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_request"


def test_confidential_exchange_without_secret_is_invalid_client(http, emu, app, alice):
    params = callback_params(authorize(http, emu, app, user="alice"))
    form = {
        "grant_type": "authorization_code",
        "code": params["code"],
        "redirect_uri": REDIRECT_URI,
        "client_id": app["client_id"],
    }
    resp = token(http, emu, form)
    assert resp.status_code == 401
    assert resp.json()["error"] == "invalid_client"


def test_client_credentials_checked_in_header_and_body(http, emu, app, alice):
    params = callback_params(authorize(http, emu, app, user="alice"))
    form = {"grant_type": "authorization_code", "code": params["code"], "redirect_uri": REDIRECT_URI}
    wrong = token(http, emu, form, auth=(app["client_id"], "wrong"))
    assert wrong.status_code == 401
    assert wrong.json() == {"error": "invalid_client", "error_description": "Invalid client secret"}
    unknown = token(http, emu, form, auth=("someone-else", "x"))
    assert unknown.status_code == 401
    assert unknown.json()["error"] == "invalid_client"
    garbage = http.post(f"{emu.url}/api/token", data=form, headers={"Authorization": "Basic !!!"}, timeout=10)
    assert garbage.status_code == 401
    # a failed client authentication does not burn the code; body credentials work
    ok = token(http, emu, {**form, "client_id": app["client_id"], "client_secret": app["client_secret"]})
    assert ok.status_code == 200, ok.text


def test_token_redirect_uri_must_match_the_authorize_one(http, emu, ctl, app, alice):
    ctl.register_app(
        [REDIRECT_URI, "https://soundlink.example/oauth/callback"],
        client_id=app["client_id"],
        client_secret=app["client_secret"],
    )
    params = callback_params(authorize(http, emu, app, user="alice"))
    resp = token(
        http,
        emu,
        {
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": "https://soundlink.example/oauth/callback",
        },
        auth=(app["client_id"], app["client_secret"]),
    )
    assert resp.status_code == 400
    assert resp.json() == {"error": "invalid_grant", "error_description": "Invalid redirect URI"}


def test_codes_are_single_use(http, emu, app, alice):
    params = callback_params(authorize(http, emu, app, user="alice"))
    assert exchange(http, emu, app, params["code"]).status_code == 200
    again = exchange(http, emu, app, params["code"])
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_codes_expire_after_ten_minutes(http, emu, ctl, app, alice):
    fresh = callback_params(authorize(http, emu, app, user="alice"))["code"]
    stale = callback_params(authorize(http, emu, app, user="alice"))["code"]
    ctl.advance_clock(9 * 60)
    assert exchange(http, emu, app, fresh).status_code == 200
    ctl.advance_clock(61 + 1)
    resp = exchange(http, emu, app, stale)
    assert resp.status_code == 400
    assert resp.json() == {"error": "invalid_grant", "error_description": "Authorization code expired"}


def test_unsupported_grant_type(http, emu, app):
    # client_credentials is supported, as on Spotify (tests/emulator/test_app_token.py); password is not.
    resp = token(http, emu, {"grant_type": "password"}, auth=(app["client_id"], app["client_secret"]))
    assert resp.status_code == 400
    assert resp.json()["error"] == "unsupported_grant_type"
    resp = token(http, emu, {}, auth=(app["client_id"], app["client_secret"]))
    assert resp.status_code == 400
    assert resp.json()["error"] == "unsupported_grant_type"


def refresh(http, emu, app, refresh_token):
    return token(
        http,
        emu,
        {"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(app["client_id"], app["client_secret"]),
    )


def test_access_token_expires_and_refresh_issues_a_new_one(http, emu, ctl, app, alice, api):
    tokens = ctl.connect(app, "alice", scope=LISTENER_SCOPE)
    assert api(tokens["access_token"], "/me").status_code == 200
    ctl.advance_clock(3599)
    assert api(tokens["access_token"], "/me").status_code == 200
    ctl.advance_clock(2)
    expired = api(tokens["access_token"], "/me")
    assert expired.status_code == 401
    assert expired.json() == {"error": {"status": 401, "message": "The access token expired"}}
    resp = refresh(http, emu, app, tokens["refresh_token"])
    assert resp.status_code == 200
    body = resp.json()
    assert "refresh_token" not in body  # rotation is off by default
    assert body["scope"] == LISTENER_SCOPE
    assert api(body["access_token"], "/me").status_code == 200
    # without rotation the same refresh token keeps working
    assert refresh(http, emu, app, tokens["refresh_token"]).status_code == 200


def test_unknown_or_missing_bearer_token_is_401(api, http, emu):
    resp = api("not-a-token", "/me")
    assert resp.status_code == 401
    assert resp.json()["error"]["status"] == 401
    resp = http.get(f"{emu.url}/v1/me", timeout=10)
    assert resp.status_code == 401


def test_expires_in_is_configurable(http, emu, ctl, app, alice, api):
    ctl.config(expires_in=60)
    tokens = ctl.connect(app, "alice", scope=LISTENER_SCOPE)
    assert tokens["expires_in"] == 60
    ctl.advance_clock(61)
    assert api(tokens["access_token"], "/me").status_code == 401


def test_start_option_expires_in_and_rotation():
    with start_emulator(port=0, expires_in=120, rotate_refresh_tokens=True) as other:
        ctl = EmulatorControl(other.url)
        app = ctl.register_app([REDIRECT_URI])
        user = ctl.create_user()
        tokens = ctl.connect(app, user["id"], scope=LISTENER_SCOPE)
        assert tokens["expires_in"] == 120
        refreshed = ctl.token(
            {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            app["client_id"],
            app["client_secret"],
        )
        assert refreshed["refresh_token"] != tokens["refresh_token"]


def test_rotation_issues_new_refresh_token_and_retires_the_old(http, emu, ctl, app, alice):
    ctl.config(rotate_refresh_tokens=True)
    tokens = ctl.connect(app, "alice", scope=LISTENER_SCOPE)
    first = refresh(http, emu, app, tokens["refresh_token"])
    assert first.status_code == 200
    new_refresh = first.json()["refresh_token"]
    assert new_refresh != tokens["refresh_token"]
    old = refresh(http, emu, app, tokens["refresh_token"])
    assert old.status_code == 400
    assert old.json()["error"] == "invalid_grant"
    assert refresh(http, emu, app, new_refresh).status_code == 200


def test_refresh_tokens_expire_six_months_after_authorization(http, emu, ctl, app, alice):
    ctl.config(rotate_refresh_tokens=True)
    tokens = ctl.connect(app, "alice", scope=LISTENER_SCOPE)
    current = tokens["refresh_token"]
    # refresh every ~2 months: each refresh works but never extends the deadline
    for _ in range(3):
        ctl.advance_clock(60 * 24 * 3600)
        resp = refresh(http, emu, app, current)
        assert resp.status_code == 200, resp.text
        current = resp.json()["refresh_token"]
    ctl.advance_clock(SIX_MONTHS - 180 * 24 * 3600 + 1)  # one second past six months
    resp = refresh(http, emu, app, current)
    assert resp.status_code == 400
    assert resp.json() == {"error": "invalid_grant", "error_description": "Refresh token expired"}


def test_reauthorizing_starts_a_new_six_month_period(http, emu, ctl, app, alice):
    old = ctl.connect(app, "alice", scope=LISTENER_SCOPE)
    ctl.advance_clock(SIX_MONTHS - 10)
    new = ctl.connect(app, "alice", scope=LISTENER_SCOPE)
    ctl.advance_clock(20)
    assert refresh(http, emu, app, old["refresh_token"]).status_code == 400
    assert refresh(http, emu, app, new["refresh_token"]).status_code == 200


def test_revoke_kills_refresh_and_access_tokens(http, emu, ctl, app, alice, api):
    bob = ctl.create_user(id="bob")
    alice_tokens = ctl.connect(app, "alice", scope=LISTENER_SCOPE)
    bob_tokens = ctl.connect(app, bob["id"], scope=LISTENER_SCOPE)
    result = ctl.revoke("alice")
    assert result == {"revoked_refresh_tokens": 1, "revoked_access_tokens": 1}
    resp = refresh(http, emu, app, alice_tokens["refresh_token"])
    assert resp.status_code == 400
    assert resp.json() == {"error": "invalid_grant", "error_description": "Refresh token revoked"}
    assert api(alice_tokens["access_token"], "/me").status_code == 401
    assert api(bob_tokens["access_token"], "/me").status_code == 200
    assert refresh(http, emu, app, bob_tokens["refresh_token"]).status_code == 200


def test_refresh_token_of_another_app_is_invalid(http, emu, ctl, app, alice):
    other = ctl.register_app([REDIRECT_URI])
    tokens = ctl.connect(other, "alice", scope=LISTENER_SCOPE)
    resp = refresh(http, emu, app, tokens["refresh_token"])
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_grant"
