"""What the owners' analytics show, compared figure by figure with the ground truth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from local.cloud import LocalCloud
from tests.integration.truth import MODELS, Truth


def _expect(report: Any, where: str, expected: Any, actual: Any, tolerance: float = 0.0) -> None:
    report.compared += 1
    if isinstance(expected, float) or isinstance(actual, float):
        if abs(float(expected) - float(actual or 0)) <= tolerance:
            return
    elif expected == actual:
        return
    report.mismatches.append(f"{where}: expected {expected!r}, got {actual!r}")


def compare(cloud: LocalCloud, campaigns: dict[str, dict], owners: dict[str, Any], truth: Truth, report: Any) -> None:
    """Every campaign's analytics against the truth; mismatches go to `report`."""
    figures = truth.figures()
    for name, campaign in campaigns.items():
        owner = owners[truth.campaigns[name].owner]
        # The run places plays up to hours ahead of the real clock (the emulator's simulated time), and
        # the default range ends at the current hour: ask for a range that holds all of them.
        now = datetime.now(UTC)
        window = {"from": (now - timedelta(days=7)).isoformat(), "to": (now + timedelta(days=2)).isoformat()}
        answer = requests.get(
            f"{cloud.api_url}/campaigns/{campaign['id']}/analytics", params=window, headers=owner.headers, timeout=30
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        want = figures[name]
        totals = body["totals"]
        for key in ("clicks", "unique_clicks", "bot_clicks", "authorizations", "declined", "attributed_plays"):
            _expect(report, f"{name}.{key}", want[key], totals[key])
        for key in ("listeners", "new_listeners", "possible_gaps"):
            _expect(report, f"{name}.{key}", want[key], totals[key])
        for model in MODELS:
            got = body["models"][model]
            _expect(report, f"{name}.{model}.streams", want["streams"][model], got["streams"], 0.002)
            _expect(report, f"{name}.{model}.weighted_streams", want["weighted"][model], got["weighted_streams"], 0.004)
        tracks = {t["track_id"]: (t["streams"], t["listeners"]) for t in body["top_tracks"]}
        _expect(report, f"{name}.track_ids", sorted(want["tracks"]), sorted(tracks))
        for track, expected in want["tracks"].items():
            _expect(report, f"{name}.track.{track}", expected, tracks.get(track))
        states = {state: n for state, n in body["listener_states"].items() if n}
        _expect(report, f"{name}.states", want["states"], states)
