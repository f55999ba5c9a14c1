"""Control API, catalogue, reset, and the standalone CLI."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from local.spotify_emulator import start_emulator
from local.spotify_emulator.testing import EmulatorControl

from .conftest import REDIRECT_URI

REPO = Path(__file__).resolve().parents[2]


def test_register_app_generates_credentials(http, emu):
    resp = http.post(f"{emu.url}/_emulator/apps", json={"redirect_uris": [REDIRECT_URI]}, timeout=10)
    assert resp.status_code == 201
    body = resp.json()
    assert body["client_id"] and body["client_secret"]
    assert body["redirect_uris"] == [REDIRECT_URI]
    assert body["allowlist"] is None
    assert http.post(f"{emu.url}/_emulator/apps", json={}, timeout=10).status_code == 400


def test_users_have_distinct_stable_account_ids(http, emu, ctl):
    alice = ctl.create_user(id="alice", display_name="Alice")
    generated = ctl.create_user()
    assert alice == {"id": "alice", "account_id": alice["account_id"], "display_name": "Alice"}
    assert alice["account_id"] != "alice"
    assert generated["id"] != alice["id"] and generated["account_id"] != alice["account_id"]
    assert generated["display_name"] == generated["id"]
    assert http.post(f"{emu.url}/_emulator/users", json={"id": "alice"}, timeout=10).status_code == 409
    ctl.reset()
    assert ctl.create_user(id="alice")["account_id"] == alice["account_id"]  # stable across resets
    listing = http.get(f"{emu.url}/_emulator/users", timeout=10).json()
    assert [u["id"] for u in listing["items"]] == ["alice"]


def test_catalogue_is_deterministic_and_well_formed(ctl):
    items = ctl.tracks()
    assert len(items) >= 200
    assert len({t["id"] for t in items}) == len(items)
    with start_emulator(port=0) as other:
        assert [t["id"] for t in EmulatorControl(other.url).tracks()] == [t["id"] for t in items]
    t = items[0]
    assert t["type"] == "track" and t["uri"] == f"spotify:track:{t['id']}"
    assert t["artists"][0]["type"] == "artist"
    assert t["album"]["images"][0] == {"url": t["album"]["images"][0]["url"], "height": 640, "width": 640}
    assert t["duration_ms"] > 0
    assert len({t["album"]["id"] for t in items}) > 50


def test_catalogue_paging(http, emu):
    page = http.get(f"{emu.url}/_emulator/tracks", params={"limit": 5, "offset": 10}, timeout=10).json()
    full = http.get(f"{emu.url}/_emulator/tracks", timeout=10).json()
    assert [t["id"] for t in page["items"]] == [t["id"] for t in full["items"][10:15]]
    assert page["total"] == full["total"]


def test_reset_forgets_everything(ctl, app, http, emu):
    ctl.create_user(id="alice")
    tokens = ctl.connect(app, "alice", scope="user-read-recently-played")
    ctl.fault("me", 500, count=10)
    ctl.advance_clock(1000)
    ctl.config(rate_limit=1)
    ctl.reset()
    assert http.get(f"{emu.url}/_emulator/apps", timeout=10).json()["total"] == 0
    assert http.get(f"{emu.url}/_emulator/faults", timeout=10).json()["total"] == 0
    assert ctl.call("GET", "/_emulator/clock")["offset_seconds"] == 0
    assert ctl.call("GET", "/_emulator/config")["rate_limit"] == 180
    assert ctl.requests()["total"] == 0
    resp = http.get(f"{emu.url}/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=10)
    assert resp.status_code == 401


def test_clock_moves_forward_and_reports_now(ctl):
    before = ctl.call("GET", "/_emulator/clock")
    after = ctl.advance_clock(86400)
    assert after["offset_seconds"] == 86400
    assert 86400_000 <= after["now_ms"] - before["now_ms"] < 86400_000 + 5000


def test_bad_control_input(http, emu):
    assert http.post(f"{emu.url}/_emulator/clock", json={"advance_seconds": "x"}, timeout=10).status_code == 400
    assert http.post(f"{emu.url}/_emulator/config", json={"nope": 1}, timeout=10).status_code == 400
    assert (
        http.post(
            f"{emu.url}/_emulator/apps", data="not json", timeout=10, headers={"Content-Type": "application/json"}
        ).status_code
        == 400
    )
    assert http.get(f"{emu.url}/_emulator/nothing", timeout=10).status_code == 404


def test_unknown_web_api_path_is_service_not_found(http, emu):
    resp = http.get(f"{emu.url}/v1/me/top/tracks", timeout=10)
    assert resp.status_code == 404
    assert resp.json() == {"error": {"status": 404, "message": "Service not found"}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cli_runs_standalone():
    port = _free_port()
    env = {**os.environ, "SPOTIFY_EMULATOR_PORT": str(port), "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "local.spotify_emulator", "--expires-in", "77", "--quiet"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while True:  # bounded by the deadline
            try:
                if requests.get(f"{url}/_emulator/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "emulator CLI did not start"
            time.sleep(0.05)
        assert requests.get(f"{url}/_emulator/config", timeout=5).json()["expires_in"] == 77
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert f"listening on http://127.0.0.1:{port}" in out.decode()


def test_dead_tokens_are_purged_in_long_runs():
    from local.spotify_emulator import EmulatorState

    state = EmulatorState(expires_in=60)
    app = state.register_app({"redirect_uris": [REDIRECT_URI], "client_id": "c", "client_secret": "s"})
    state.create_user({"id": "u"})
    grant = state.exchange_code(app, True, state.issue_code(app, "u", REDIRECT_URI, "", None), REDIRECT_URI, None)
    for _ in range(1200):
        state.refresh(app, True, grant["refresh_token"])
    assert len(state.access_tokens) == 1201
    state.advance_clock(2 * 3600)
    last = None
    for _ in range(800):
        last = state.refresh(app, True, grant["refresh_token"])
    assert len(state.access_tokens) < 1000
    assert state.access_token(last["access_token"]).user_id == "u"
