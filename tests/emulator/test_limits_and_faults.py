"""Development Mode allow-list, the rolling rate limit, injected faults, the request log."""

from __future__ import annotations

import time

import pytest

from .conftest import LISTENER_SCOPE, REDIRECT_URI


@pytest.fixture
def two_users(ctl, app):
    ctl.create_user(id="u1")
    ctl.create_user(id="u2")
    return {uid: ctl.connect(app, uid, scope=LISTENER_SCOPE) for uid in ("u1", "u2")}


# -- allow-list --------------------------------------------------------------------------------


def test_user_off_the_allowlist_can_log_in_but_gets_403(ctl, api, http, emu):
    ctl.create_user(id="listed")
    ctl.create_user(id="unlisted")
    dev_app = ctl.register_app([REDIRECT_URI], allowlist=["listed"])
    listed = ctl.connect(dev_app, "listed", scope=LISTENER_SCOPE)
    unlisted = ctl.connect(dev_app, "unlisted", scope=LISTENER_SCOPE)  # login and token exchange work
    assert api(listed["access_token"], "/me").status_code == 200
    for path in ("/me", "/me/player/recently-played"):
        resp = api(unlisted["access_token"], path)
        assert resp.status_code == 403
        assert resp.json()["error"]["status"] == 403
        assert "may not be registered" in resp.json()["error"]["message"]
    # adding the user to the allow-list lets the same token through
    resp = http.patch(
        f"{emu.url}/_emulator/apps/{dev_app['client_id']}", json={"allowlist": ["listed", "unlisted"]}, timeout=10
    )
    assert resp.status_code == 200
    assert api(unlisted["access_token"], "/me").status_code == 200


def test_allowlist_holds_at_most_five_users(http, emu):
    resp = http.post(
        f"{emu.url}/_emulator/apps",
        json={"redirect_uris": [REDIRECT_URI], "allowlist": [f"u{i}" for i in range(6)]},
        timeout=10,
    )
    assert resp.status_code == 400
    resp = http.post(
        f"{emu.url}/_emulator/apps",
        json={"redirect_uris": [REDIRECT_URI], "allowlist": [f"u{i}" for i in range(5)]},
        timeout=10,
    )
    assert resp.status_code == 201


def test_without_allowlist_every_user_is_allowed(ctl, app, api):
    for i in range(7):
        ctl.create_user(id=f"any{i}")
        assert api(ctl.connect(app, f"any{i}", scope=LISTENER_SCOPE)["access_token"], "/me").status_code == 200


# -- rate limit ------------------------------------------------------------------------------------


def test_rolling_rate_limit_answers_429_with_retry_after(ctl, api, two_users):
    ctl.config(rate_limit=5, rate_window_seconds=30)
    token = two_users["u1"]["access_token"]
    for _ in range(5):
        assert api(token, "/me").status_code == 200
    limited = api(token, "/me/player/recently-played")
    assert limited.status_code == 429
    assert limited.json() == {"error": {"status": 429, "message": "API rate limit exceeded"}}
    retry_after = int(limited.headers["Retry-After"])
    assert 1 <= retry_after <= 30
    # the limit is per app: every user of the app shares it
    assert api(two_users["u2"]["access_token"], "/me").status_code == 429
    ctl.advance_clock(retry_after)
    assert api(token, "/me").status_code == 200


def test_rate_limit_window_rolls(ctl, api, two_users):
    ctl.config(rate_limit=4, rate_window_seconds=30)
    token = two_users["u1"]["access_token"]
    assert api(token, "/me").status_code == 200
    assert api(token, "/me").status_code == 200
    ctl.advance_clock(20)
    assert api(token, "/me").status_code == 200
    assert api(token, "/me").status_code == 200
    assert api(token, "/me").status_code == 429
    ctl.advance_clock(10)  # the first two calls leave the window, the last two stay
    assert api(token, "/me").status_code == 200
    assert api(token, "/me").status_code == 200
    assert api(token, "/me").status_code == 429


def test_rate_limit_is_per_app(ctl, api, two_users):
    ctl.config(rate_limit=2)
    other_app = ctl.register_app([REDIRECT_URI])
    other = ctl.connect(other_app, "u1", scope=LISTENER_SCOPE)["access_token"]
    token = two_users["u1"]["access_token"]
    assert [api(token, "/me").status_code for _ in range(3)] == [200, 200, 429]
    assert api(other, "/me").status_code == 200


# -- faults ----------------------------------------------------------------------------------------


def test_fault_count_is_honoured(ctl, api, two_users):
    ctl.fault("me", 503, count=2)
    token = two_users["u1"]["access_token"]
    first, second, third = (api(token, "/me") for _ in range(3))
    assert first.status_code == 503 and second.status_code == 503
    assert first.json() == {"error": {"status": 503, "message": "Service unavailable"}}
    assert third.status_code == 200


def test_fault_429_with_retry_after_and_reason(ctl, api, two_users):
    ctl.fault("recently-played", 429, retry_after=72000, reason="QUOTA_EXCEEDED")
    resp = api(two_users["u1"]["access_token"], "/me/player/recently-played")
    assert resp.status_code == 429
    assert resp.headers["Retry-After"] == "72000"
    assert resp.json()["error"] == {"status": 429, "message": "API rate limit exceeded", "reason": "QUOTA_EXCEEDED"}
    assert api(two_users["u1"]["access_token"], "/me/player/recently-played").status_code == 200


def test_fault_only_for_one_user(ctl, api, two_users):
    ctl.fault("recently-played", 500, user="u2", count=1)
    assert api(two_users["u1"]["access_token"], "/me/player/recently-played").status_code == 200
    assert api(two_users["u2"]["access_token"], "/me/player/recently-played").status_code == 500
    assert api(two_users["u2"]["access_token"], "/me/player/recently-played").status_code == 200


def test_fault_only_for_its_endpoint(ctl, api, two_users):
    ctl.fault("playlist-items", 502)
    token = two_users["u1"]["access_token"]
    assert api(token, "/me").status_code == 200
    assert api(token, "/me/player/recently-played").status_code == 200
    assert ctl.call("GET", "/_emulator/faults")["total"] == 1


def test_wildcard_fault_hits_any_endpoint(ctl, api, two_users, http, emu, app):
    ctl.fault("*", 503, count=3)
    token = two_users["u1"]["access_token"]
    assert api(token, "/me").status_code == 503
    assert api(token, "/me/player/recently-played").status_code == 503
    resp = http.post(
        f"{emu.url}/api/token",
        auth=(app["client_id"], app["client_secret"]),
        timeout=10,
        data={"grant_type": "refresh_token", "refresh_token": two_users["u1"]["refresh_token"]},
    )
    assert resp.status_code == 503
    assert resp.json()["error"] == "server_error"
    assert api(token, "/me").status_code == 200


def test_token_fault_400_is_invalid_grant(ctl, http, emu, app, two_users):
    ctl.fault("token", 400, user="u1")
    form = {"grant_type": "refresh_token", "refresh_token": two_users["u2"]["refresh_token"]}
    assert (
        http.post(
            f"{emu.url}/api/token", data=form, auth=(app["client_id"], app["client_secret"]), timeout=10
        ).status_code
        == 200
    )
    form["refresh_token"] = two_users["u1"]["refresh_token"]
    resp = http.post(f"{emu.url}/api/token", data=form, auth=(app["client_id"], app["client_secret"]), timeout=10)
    assert resp.status_code == 400
    assert resp.json() == {"error": "invalid_grant", "error_description": "Refresh token revoked"}
    # an injected answer does not change state: the token still works afterwards
    assert (
        http.post(
            f"{emu.url}/api/token", data=form, auth=(app["client_id"], app["client_secret"]), timeout=10
        ).status_code
        == 200
    )


def test_fault_delay(ctl, api, two_users):
    ctl.fault("me", None, delay_ms=300)
    token = two_users["u1"]["access_token"]
    started = time.monotonic()
    resp = api(token, "/me")
    assert resp.status_code == 200
    assert time.monotonic() - started >= 0.3  # a lower bound: a delay never takes less
    assert ctl.call("GET", "/_emulator/faults")["total"] == 0  # a count of 1: the next call is not slowed


@pytest.mark.parametrize(
    "payload",
    [
        {"endpoint": "nope", "status": 500},
        {"endpoint": "me", "status": 200},
        {"endpoint": "me", "status": 500, "count": 0},
        {"endpoint": "me"},
        {"endpoint": "me", "status": 500, "delay_ms": 10**6},
    ],
)
def test_fault_validation(http, emu, payload):
    assert http.post(f"{emu.url}/_emulator/faults", json=payload, timeout=10).status_code == 400


def test_faults_can_be_listed_and_cleared(ctl, http, emu, api, two_users):
    ctl.fault("me", 500, count=5)
    assert ctl.call("GET", "/_emulator/faults")["items"][0]["count"] == 5
    assert http.delete(f"{emu.url}/_emulator/faults", timeout=10).json()["total"] == 0
    assert api(two_users["u1"]["access_token"], "/me").status_code == 200


# -- request log --------------------------------------------------------------------------------


def test_request_log_counts_spotify_calls_by_endpoint(ctl, api, two_users, http, emu):
    http.delete(f"{emu.url}/_emulator/requests", timeout=10)
    token = two_users["u1"]["access_token"]
    api(token, "/me")
    api(token, "/me/player/recently-played")
    api(token, "/me/player/recently-played")
    api("bad-token", "/me")
    ctl.tracks()  # control calls are not counted
    log = ctl.requests()
    assert log["total"] == 4
    assert log["by_endpoint"] == {"me": 2, "recently-played": 2}
    assert [r["status"] for r in log["recent"]] == [200, 200, 200, 401]
    assert log["recent"][0]["user"] == "u1"
