"""Several threads at once: state stays consistent."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from .conftest import LISTENER_SCOPE, REDIRECT_URI

THREADS = 8


def test_parallel_listeners_keep_their_own_consistent_history(emu, ctl, app, tracks):
    def worker(n: int) -> tuple[str, list[str], list[str]]:
        uid = f"listener{n}"
        ctl.create_user(id=uid)
        token = ctl.connect(app, uid, scope=LISTENER_SCOPE)["access_token"]
        mine = tracks[n * 10 : n * 10 + 10]
        with requests.Session() as s:
            for i, tid in enumerate(mine):  # one request per play, interleaved with the other threads
                r = s.post(
                    f"{emu.url}/_emulator/users/{uid}/plays",
                    json=[{"track_id": tid, "played_at": 1_780_000_000_000 + i * 1000}],
                    timeout=10,
                )
                assert r.status_code == 201
                r = s.get(
                    f"{emu.url}/v1/me/player/recently-played",
                    params={"limit": 50},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=10,
                )
                assert r.status_code == 200
            body = r.json()
        return uid, mine, [item["track"]["id"] for item in body["items"]]

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(worker, range(THREADS)))
    for _uid, mine, seen in results:
        assert seen == list(reversed(mine))
    log = ctl.requests()
    assert log["by_endpoint"]["recently-played"] == THREADS * 10
    assert log["by_endpoint"]["token"] == THREADS
    assert len(ctl.call("GET", "/_emulator/users")["items"]) == THREADS


def test_a_code_is_redeemed_once_even_under_a_race(emu, ctl, app):
    ctl.create_user(id="racer")
    code = ctl.authorize(app, "racer", scope=LISTENER_SCOPE)["code"]

    def redeem(_):
        return requests.post(
            f"{emu.url}/api/token",
            auth=(app["client_id"], app["client_secret"]),
            timeout=10,
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI},
        ).status_code

    with ThreadPoolExecutor(THREADS) as pool:
        statuses = list(pool.map(redeem, range(THREADS * 2)))
    assert sorted(statuses) == [200] + [400] * (THREADS * 2 - 1)


def test_rate_limit_counts_exactly_under_concurrency(emu, ctl, app):
    ctl.config(rate_limit=25)
    ctl.create_user(id="burst")
    token = ctl.connect(app, "burst", scope=LISTENER_SCOPE)["access_token"]

    def call(_):
        return requests.get(f"{emu.url}/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code

    with ThreadPoolExecutor(THREADS) as pool:
        statuses = list(pool.map(call, range(40)))
    assert statuses.count(200) == 25
    assert statuses.count(429) == 15


def test_fault_count_is_exact_under_concurrency(emu, ctl, app):
    ctl.create_user(id="f")
    token = ctl.connect(app, "f", scope=LISTENER_SCOPE)["access_token"]
    ctl.fault("me", 503, count=7)

    def call(_):
        return requests.get(f"{emu.url}/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code

    with ThreadPoolExecutor(THREADS) as pool:
        statuses = list(pool.map(call, range(20)))
    assert statuses.count(503) == 7
    assert statuses.count(200) == 13
