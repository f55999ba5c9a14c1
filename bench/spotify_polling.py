"""How many Spotify calls does polling cost, and how long does a poll take?

Runs the real client against the Spotify emulator on loopback and prints,
for listeners with different numbers of new plays since the last poll and
playlists of different sizes, the Spotify requests made and the time per
operation as a ratio to a baseline measured in the same run (one bare
GET /v1/me with requests). No thresholds: the figures are for reading.

    PYTHONPATH=functions .venv/bin/python -m bench.spotify_polling
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta

import requests

from local.spotify_emulator import start_emulator
from local.spotify_emulator.testing import EmulatorControl
from soundlink.spotify.api import SpotifyClient
from soundlink.spotify.config import SpotifyConfig
from soundlink.spotify.models import TokenSet

REPEATS = 15
SCOPE = "user-read-recently-played playlist-read-private"


def timed(operation, repeats: int = REPEATS) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        operation()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def request_total(control: EmulatorControl) -> int:
    return control.call("GET", "/_emulator/requests")["total"]


def client_for(control: EmulatorControl, app: dict, config: SpotifyConfig, user: str) -> SpotifyClient:
    tokens = control.connect(app, user, scope=SCOPE)
    return SpotifyClient(
        config,
        TokenSet(
            access_token=tokens["access_token"],
            refresh_token=tokens["refresh_token"],
            scope=tokens["scope"],
            expires_at=datetime.now(UTC) + timedelta(seconds=tokens["expires_in"]),
        ),
    )


def main() -> None:
    with start_emulator(port=0, rate_limit=1_000_000) as emulator:
        control = EmulatorControl(emulator.url)
        app = control.register_app(["http://127.0.0.1:9/cb"])
        config = SpotifyConfig(app["client_id"], app["client_secret"], emulator.url, emulator.url)
        tracks = [t["id"] for t in control.tracks()]

        control.create_user("baseline")
        token = control.connect(app, "baseline", scope=SCOPE)["access_token"]
        session = requests.Session()
        baseline = timed(
            lambda: session.get(
                f"{emulator.url}/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=5
            ).raise_for_status()
        )
        print(f"baseline: one bare GET /v1/me = {baseline * 1000:.2f} ms (ratio 1.00)")
        print()
        print(f"{'new plays':>10} {'requests/poll':>14} {'possible_gap':>13} {'time ratio':>11}")
        for new_plays in (0, 1, 20, 49, 50, 120):
            user = f"listener-{new_plays}"
            control.create_user(user)
            client = client_for(control, app, config, user)
            cursor = client.recently_played().cursor_ms or 0
            start = datetime.now(UTC) - timedelta(hours=3)
            plays = [
                {"track_id": tracks[i % len(tracks)], "played_at": (start + timedelta(minutes=i)).isoformat()}
                for i in range(new_plays)
            ]
            if plays:
                control.add_plays(user, plays)
            before = request_total(control)
            result = client.recently_played(after_ms=cursor)
            calls = request_total(control) - before
            ratio = timed(lambda client=client, cursor=cursor: client.recently_played(after_ms=cursor)) / baseline
            print(f"{new_plays:>10} {calls:>14} {result.possible_gap!s:>13} {ratio:>11.2f}")

        print()
        print(f"{'playlist items':>15} {'requests':>9} {'time ratio':>11}")
        owner = client_for(control, app, config, "baseline")
        for size in (10, 50, 51, 200):
            playlist = control.create_playlist("baseline", f"p{size}", [tracks[i % len(tracks)] for i in range(size)])
            before = request_total(control)
            items = owner.playlist_items(playlist["id"])
            calls = request_total(control) - before
            assert len(items) == size
            ratio = timed(lambda playlist=playlist: owner.playlist_items(playlist["id"]), repeats=5) / baseline
            print(f"{size:>15} {calls:>9} {ratio:>11.2f}")


if __name__ == "__main__":
    main()
