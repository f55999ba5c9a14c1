"""What measuring fans adds per listener-day, counted on the real code path (not estimated).

One listener of a campaign with `measure_fans` (a 10-track playlist, its artists,
the playlist: 21 URIs) lives through the campaign's 14-day window: the baseline
at consent, then each day the attribution step's re-check decision for the day's
attributed plays (`rechecks_due`, as attribute runs it) and the checks poll_user
runs (`FansChecker`, as poll_user runs it), and the end check on the last day.
Spotify requests are the emulator's own count; AWS calls are counted by
bench.pipeline's botocore counter (moto in-process). The Soundlink clock moves a
day at a time; a redelivered play re-check is included once a day (SQS delivers
at least once) to show it costs no Spotify call.

    PYTHONPATH=functions:. .venv/bin/python -m bench.fans           # print the figures
    PYTHONPATH=functions:. .venv/bin/python -m bench.fans --save    # and merge them into results.json

`make bench` runs it with the others; `--save` adds only these figures to
bench/results.json (and its README table) without the full run.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import costs
from bench.pipeline import ENV, MOTO_CONFIG, Calls, World, build_world, install_counter, spotify_requests
from bench.results import record

WINDOW_DAYS = 14
TRACKS = 10
LIBRARY = "user-read-recently-played user-library-read user-follow-read playlist-read-private"


class Catalogue:
    def __init__(self, catalog: Any) -> None:
        self._catalog = catalog

    def catalog(self, playlist_id: str, owner_id: str) -> Any:
        return self._catalog


def fans_listener(world: World, account: str, campaign: Any, now: datetime) -> None:
    """A listener who consented with the library scopes, stored as the callback stores them."""
    from bench.pipeline import store_listener
    from soundlink.spotify.models import TokenSet
    from soundlink.tokens.cipher import TokenCipher, listener_context
    from soundlink.tokens.sealed import seal

    world.control.create_user(account)
    answer = world.control.connect(world.app, account, scope=LIBRARY)
    # Expiry in real time (the client checks it against the wall clock): the poll's own hourly
    # refresh is not a fans cost.
    expires = datetime.now(UTC) + timedelta(seconds=answer["expires_in"])
    tokens = TokenSet(answer["access_token"], answer["refresh_token"], answer["scope"], expires)
    sealed = seal(TokenCipher(world.kms, world.key_arn), tokens, listener_context(account))
    # The campaign's window is the bench's (14 days); no click dimensions.
    store_listener(account, sealed, [(campaign, now)], now, scopes=LIBRARY, click={})


def listener_days(world: World) -> None:
    from soundlink.attribution.fans_jobs import Credited, FansJob, rechecks_due
    from soundlink.attribution.playlists import Catalog
    from soundlink.platform.settings import get_settings
    from soundlink.platform.tables import CampaignItem
    from soundlink.polling.fans_checks import FansChecker
    from soundlink.spotify.credentials import spotify_config
    from soundlink.tokens.cipher import TokenCipher

    campaign = world.campaigns["A1"]
    with world.calls.uncounted():
        item = CampaignItem.get(*CampaignItem.key(campaign.id))
        item.update(actions=[CampaignItem.measure_fans.set(True)])
    tracks = world.tracks[:TRACKS]
    artists = {a["id"] for t in world.control.tracks()[:TRACKS] for a in t["artists"]}
    clock = [datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)]
    account = "bench-fan"
    with world.calls.uncounted():
        fans_listener(world, account, campaign, clock[0])
    queued: list[dict] = []
    checker = FansChecker(
        cipher=lambda: TokenCipher(world.kms, world.key_arn),
        spotify_config=lambda: spotify_config(get_settings()),
        playlists=Catalogue(Catalog(frozenset(tracks), frozenset(artists))),  # type: ignore[arg-type]
        send_job=lambda body, delay: queued.append(body),
        now=lambda: clock[0],
    )
    world.calls.reset()
    before = spotify_requests(world.control)
    outcomes: dict[str, int] = {}

    def run(job: FansJob) -> None:
        outcome = checker.check(job)
        outcomes[f"{job.check}:{outcome.result}"] = outcomes.get(f"{job.check}:{outcome.result}", 0) + 1

    run(FansJob(account, campaign.id, "baseline"))
    for day in range(WINDOW_DAYS):
        clock[0] = clock[0] + timedelta(days=1) if day else clock[0] + timedelta(hours=1)
        plays = [
            Credited(account, campaign.id, clock[0] + timedelta(minutes=i), tracks[i % TRACKS], ())
            for i in range(costs.ATTRIBUTED_PER_DAY)
        ]
        for job in rechecks_due(plays, lambda _id: True, clock[0]):
            run(job)
            run(job)  # redelivered by SQS: a read, no Spotify call
    clock[0] = clock[0].replace(hour=8)  # the last poll before the window closes queues it
    run(FansJob(account, campaign.id, "end"))
    spotify = spotify_requests(world.control) - before
    calls = world.calls
    extra_calls = spotify / WINDOW_DAYS
    writes = calls.dynamodb_writes() / WINDOW_DAYS
    record("spotify_calls_per_listener_day_fans_extra", round(extra_calls, 3))
    record("dynamodb_writes_per_listener_day_fans", round(writes, 3))
    record("dynamodb_reads_per_listener_day_fans", round(calls.dynamodb_reads() / WINDOW_DAYS, 3))
    print(
        f"Fans (one listener, {WINDOW_DAYS}-day window, {TRACKS}-track playlist: "
        f"{TRACKS + len(artists) + 1} URIs; {costs.ATTRIBUTED_PER_DAY} attributed plays a day)"
    )
    print(f"   checks: {dict(sorted(outcomes.items()))}")
    print(f"   extra Spotify calls per listener-day   {extra_calls:.2f}   (target <= 1)")
    print(f"   DynamoDB writes per listener-day       {writes:.2f}")
    print(f"   DynamoDB reads per listener-day        {calls.dynamodb_reads() / WINDOW_DAYS:.2f}")
    print(f"   AWS calls: {dict(sorted(calls.ops.items()))}")


def main(*, smoke: bool = False) -> None:
    os.environ.update(ENV)
    from moto import mock_aws

    from local.spotify_emulator import start_emulator

    calls = Calls()
    with start_emulator(port=0, rate_limit=1_000_000) as emulator, mock_aws(config=MOTO_CONFIG):
        world = build_world(emulator, calls)
        uninstall = install_counter(calls)
        try:
            with contextlib.redirect_stdout(io.StringIO()) as out:
                listener_days(world)
        finally:
            uninstall()
    print(out.getvalue().rstrip("\n"))


def save() -> None:
    """Merge this module's figures into bench/results.json and the README table (a short run)."""
    import json

    from bench import results

    stored = json.loads(results.RESULTS.read_text())
    stored.update(results.FIGURES)
    results.RESULTS.write_text(json.dumps(stored, indent=1) + "\n")
    results.README.write_text(results.readme_with_table(results.README.read_text(), stored))


if __name__ == "__main__":
    main(smoke="--smoke" in sys.argv)
    if "--save" in sys.argv:
        save()
