"""The demo `make dev` starts (local/demo.py): its numbers come through the real pipeline,
its rounds run in the background and stop when asked."""

from __future__ import annotations

import random
import time
from types import SimpleNamespace

import pytest
import requests

from local.demo import Demo, start_demo

pytestmark = pytest.mark.slow


def analytics(dashboard, demo) -> dict:
    answer = requests.get(
        f"{dashboard.api_url}/campaigns/{demo.campaign['id']}/analytics", headers=demo.owner.headers, timeout=30
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_demo_moves_every_number_through_the_pipeline(dashboard, demo) -> None:
    body = analytics(dashboard, demo)
    totals, rounds = body["totals"], demo.rounds
    assert len(rounds) == 2 and not any(summary.failed for summary in rounds)
    assert totals["clicks"] == sum(summary.clicks for summary in rounds)
    assert totals["bot_clicks"] == len(rounds)  # one link preview a round, never counted as a click
    assert totals["authorizations"] == sum(summary.approved for summary in rounds) >= 2
    assert totals["declined"] == sum(summary.declined for summary in rounds)
    assert totals["streams"] > 0 and totals["listeners"] >= 1
    assert totals["attributed_plays"] <= sum(summary.plays for summary in rounds)
    assert body["listener_states"]["active"] == len(demo.listeners)
    assert body["data_quality"]["playlist_readable"] is True  # the owner's Spotify is connected
    sources = {row["value"] for row in body["breakdowns"]["utm_source"]}
    assert sources & {"instagram", "tiktok", "newsletter"}
    spotify = requests.get(f"{dashboard.api_url}/owner/spotify", headers=demo.owner.headers, timeout=30).json()
    assert spotify["connected"] is True and spotify["display_name"] == "Demo Artist"
    assert demo.owner.email in demo.banner() and demo.password in demo.banner()


def test_the_demo_campaign_measures_fans_and_its_listeners_save_and_follow(dashboard, demo) -> None:
    body = analytics(dashboard, demo)
    assert demo.campaign["measure_fans"] is True
    assert body["fans"] is not None  # its figures move once the library checks run for the demo's listeners
    assert body["fans"]["cohorts"] == body["cohorts"]
    [row] = body["cohorts"]  # every demo listener clicked within minutes: one week of first click
    assert row["listeners"] == body["totals"]["listeners"] >= 1
    assert row["returned"][0] == row["listeners"] and row["returned"][1:] == [0]  # all within the first week
    spotify = dashboard.cloud.spotify_url
    saved = [
        requests.get(f"{spotify}/_emulator/users/{user_id}/library", timeout=30).json()["total"]
        for user_id in demo.listeners
    ]
    assert sum(saved) >= 1, saved  # the emulator holds saves or follows for the checks to find


def test_demo_rounds_run_in_the_background_and_stop_when_asked(local_cloud) -> None:
    demo = Demo(local_cloud, rng=random.Random(7), email="demo-background@example.com").setup()  # noqa: S311
    demo.start(max_rounds=2, interval=(0.05, 0.1))
    demo._thread.join(120)
    assert not demo._thread.is_alive() and len(demo.rounds) == 2, demo.rounds

    waiting = Demo(local_cloud, rng=random.Random(8), email="demo-background@example.com")  # noqa: S311
    waiting.campaign = demo.campaign
    waiting.start(max_rounds=5, interval=(60, 60))
    started = time.monotonic()
    waiting.stop()
    assert time.monotonic() - started < 2 and not waiting._thread.is_alive() and waiting.rounds == []


def test_the_demo_needs_the_spotify_emulator() -> None:
    without = SimpleNamespace(spotify_url=None, api_url="http://127.0.0.1:1")
    assert start_demo(without) is None
