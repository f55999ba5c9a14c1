"""Fans checks (polling/fans_checks.py, attribution/fans_jobs.py) against moto and the Spotify emulator.

A listener is stored as the callback stores it, with the scopes their consent granted;
the campaign's playlist catalogue comes from a fake (the real one reads the owner's
connection: tests/integration/test_fans_pipeline.py); queued jobs are captured.
"""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest

from soundlink.attribution import fans
from soundlink.attribution.fans_jobs import Credited, FansJob, is_fans_message, rechecks_due
from soundlink.attribution.playlists import Catalog
from soundlink.listeners import links as listeners
from soundlink.listeners.deletion import delete_listener_data
from soundlink.platform.tables import BackoffItem, CampaignItem, FansItem, ListenerItem, ListenerLinkItem
from soundlink.platform.transactions import transaction
from soundlink.polling.fans_checks import BASELINE_GRACE, MAX_CHECK_URIS, FansChecker
from soundlink.polling.poller import Poller
from soundlink.spotify.models import TokenSet
from soundlink.tokens.cipher import TokenCipher, listener_context
from soundlink.tokens.sealed import seal
from tests.handlers.test_fans import totals
from tests.handlers.test_poller import BASE, OWNER, World

CAMPAIGN = "fans-1"
PLAYLIST = "p" * 22
ARTIST = "a" * 22
T_EARLY, T_LATE, T_X, T_Y, A_1, A_2 = (c * 22 for c in "EFGHIJ")
RECENT = "user-read-recently-played"
LIBRARY = f"{RECENT} user-library-read user-follow-read playlist-read-private"


class FakePlaylists:
    def __init__(self, tracks: list[str], artists: list[str]) -> None:
        self.answer: Catalog | None = Catalog(frozenset(tracks), frozenset(artists))

    def catalog(self, playlist_id: str, owner_id: str) -> Catalog | None:
        return self.answer


def campaign(world: World, *, measure_fans: bool = True) -> None:
    now = world.clock.now
    CampaignItem(
        *CampaignItem.key(CAMPAIGN),
        gsi1pk=CampaignItem.owner_key(OWNER),
        gsi1sk=now.isoformat(),
        campaign_id=CAMPAIGN,
        owner_id=OWNER,
        name="Fans",
        slug="fans",
        playlist_id=PLAYLIST,
        destination_url=f"https://open.spotify.com/playlist/{PLAYLIST}",
        attribution_window_days=14,
        attribution_model="last_touch",
        status="active",
        created_at=now,
        updated_at=now,
        measure_fans=measure_fans,
    ).save()


def consent(world: World, scope: str, *, window: timedelta = timedelta(days=14), library_grant=None) -> dict:
    """A listener consents to CAMPAIGN with `scope`, as the callback stores it."""
    user = world.ctl.create_user(display_name="Fan")
    answer = world.ctl.connect(world.app, user["id"], scope=scope)
    tokens = TokenSet(
        answer["access_token"], answer["refresh_token"], answer["scope"], world.clock.now + timedelta(hours=1)
    )
    account = user["account_id"]
    with transaction() as writes:
        listeners.connect(
            writes,
            account_id=account,
            spotify_user_id=user["id"],
            display_name="Fan",
            sealed_tokens=seal(world.writer, tokens, listener_context(account)),
            scopes=tokens.scope,
            now=world.clock.now,
            campaign_id=CAMPAIGN,
            owner_id=OWNER,
            clicked_at=world.clock.now,
            window_ends_at=world.clock.now + window,
            click={},
            library_grant=library_grant,
        )
    world.ctl.call("DELETE", "/_emulator/requests")
    return {"account": account, "user": user["id"], "tokens": tokens}


@pytest.fixture
def checks(world):
    campaign(world)
    tracks = world.track_ids[:3]
    playlists = FakePlaylists(tracks, [ARTIST])
    queued: list[tuple[dict, int]] = []
    checker = FansChecker(
        cipher=lambda: TokenCipher(boto3.client("kms", region_name="us-east-1"), world.key_arn),
        spotify_config=lambda: world.config,
        playlists=playlists,
        send_job=lambda body, delay: queued.append((body, delay)),
        now=world.clock,
    )
    return {"checker": checker, "tracks": tracks, "playlists": playlists, "queued": queued}


def track_uri(track_id: str) -> str:
    return f"spotify:track:{track_id}"


def run(checks, fan: dict, check: str, track: str | None = None):
    job = FansJob(fan["account"], CAMPAIGN, check, track, (ARTIST,) if track else ())
    return checks["checker"].check(FansJob.parse(job.message()))


def test_a_save_and_an_artist_follow_after_consent_count_one_each_and_a_second_check_that_day_is_not_made(
    world, checks
):
    fan = consent(world, LIBRARY)
    assert run(checks, fan, "baseline").result == "checked"
    item = FansItem.get(*FansItem.key(fan["account"], CAMPAIGN))
    assert set(item.baseline.as_dict()) == {
        *map(track_uri, checks["tracks"]),
        f"spotify:artist:{ARTIST}",
        f"spotify:playlist:{PLAYLIST}",
    }
    assert ListenerLinkItem.get(*ListenerLinkItem.key(fan["account"], CAMPAIGN)).fans_end_due is True
    world.ctl.save(fan["user"], [track_uri(checks["tracks"][0]), f"spotify:artist:{ARTIST}"])
    world.ctl.call("DELETE", "/_emulator/requests")
    world.clock.advance(timedelta(hours=2))
    assert run(checks, fan, "play", checks["tracks"][0]).result == "not_due"  # the baseline was today's check
    world.clock.advance(timedelta(days=1))
    outcome = run(checks, fan, "play", checks["tracks"][0])
    assert (outcome.result, outcome.spotify_calls, outcome.counted) == ("counted", 1, 2)
    assert world.spotify_calls() == 1  # one call: the track, its artist, the playlist
    assert run(checks, fan, "play", checks["tracks"][0]).result == "not_due"
    assert world.spotify_calls() == 1
    assert totals(world.aws, CAMPAIGN) == {"fans_measured": 1, "new_saves": 1, "new_artist_followers": 1}


def test_a_track_saved_before_consent_is_not_a_new_save(world, checks):
    fan = consent(world, LIBRARY)
    world.ctl.save(fan["user"], [track_uri(checks["tracks"][1])])
    run(checks, fan, "baseline")
    world.clock.advance(timedelta(days=1))
    assert run(checks, fan, "play", checks["tracks"][1]).counted == 0
    assert totals(world.aws, CAMPAIGN) == {"fans_measured": 1}


def test_a_consent_without_the_library_scopes_is_not_measured_and_spotify_is_not_asked(world, checks):
    fan = consent(world, RECENT)
    assert run(checks, fan, "baseline").result == "not_measured"
    assert world.spotify_calls() == 0
    assert FansItem.get(*FansItem.key(fan["account"], CAMPAIGN)).not_measured is True
    assert run(checks, fan, "play", checks["tracks"][0]).result == "not_measured"
    assert totals(world.aws, CAMPAIGN) == {"fans_not_measured": 1}


def test_a_redelivered_baseline_costs_a_read_not_a_call_and_counts_once(world, checks):
    fan = consent(world, LIBRARY)
    run(checks, fan, "baseline")
    calls = world.spotify_calls()
    assert run(checks, fan, "baseline").result == "not_due"
    assert world.spotify_calls() == calls
    assert totals(world.aws, CAMPAIGN) == {"fans_measured": 1}


def test_the_baseline_asks_in_calls_of_40_and_stops_at_the_cap(world, checks):
    fan = consent(world, LIBRARY)
    checks["playlists"].answer = Catalog(frozenset(f"{i:022d}" for i in range(79)), frozenset({ARTIST}))
    assert run(checks, fan, "baseline").spotify_calls == 3  # 79 tracks + 1 artist + 1 playlist = 81 URIs
    assert world.spotify_calls() == 3
    big = consent(world, LIBRARY)
    checks["playlists"].answer = Catalog(frozenset(f"{i:022d}" for i in range(1000)), frozenset())
    assert run(checks, big, "baseline").spotify_calls == MAX_CHECK_URIS // 40
    baseline = FansItem.get(*FansItem.key(big["account"], CAMPAIGN)).baseline.as_dict()
    assert len(baseline) == MAX_CHECK_URIS and f"spotify:playlist:{PLAYLIST}" in baseline


def test_an_unreadable_playlist_still_asks_about_the_playlist_itself(world, checks):
    fan = consent(world, LIBRARY)
    checks["playlists"].answer = None
    run(checks, fan, "baseline")
    assert set(FansItem.get(*FansItem.key(fan["account"], CAMPAIGN)).baseline.as_dict()) == {
        f"spotify:playlist:{PLAYLIST}"
    }


def test_a_429_puts_everyone_in_back_off_and_the_check_back_on_the_queue_delayed(world, checks):
    fan = consent(world, LIBRARY)
    world.ctl.fault("library-contains", 429, retry_after=120)
    assert run(checks, fan, "baseline").result == "requeued"
    body, delay = checks["queued"][-1]
    assert is_fans_message(body) and FansJob.parse(body) == FansJob(fan["account"], CAMPAIGN, "baseline")
    assert 120 <= delay <= 122
    assert BackoffItem.get(*BackoffItem.key()).until >= world.clock.now + timedelta(seconds=120)
    with pytest.raises(FansItem.DoesNotExist):
        FansItem.get(*FansItem.key(fan["account"], CAMPAIGN))
    # While the back-off lasts, a check goes back on the queue without asking Spotify.
    calls = world.spotify_calls()
    assert run(checks, fan, "baseline").result == "requeued" and world.spotify_calls() == calls
    world.clock.advance(timedelta(seconds=121))
    assert run(checks, fan, "baseline").result == "checked"


def test_a_long_retry_after_is_requeued_at_the_longest_sqs_delay(world, checks):
    fan = consent(world, LIBRARY)
    world.ctl.fault("library-contains", 429, retry_after=7200)
    run(checks, fan, "baseline")
    assert checks["queued"][-1][1] == 900


def test_spotify_unavailable_is_requeued_never_dropped(world, checks):
    fan = consent(world, LIBRARY)
    world.ctl.fault("library-contains", 503, count=10)
    assert run(checks, fan, "baseline").result == "requeued"
    assert checks["queued"][-1][1] == 61


def test_the_end_check_runs_once_and_a_save_after_the_window_counts_nothing(world, checks):
    fan = consent(world, LIBRARY, window=timedelta(days=1))
    run(checks, fan, "baseline")
    world.clock.advance(timedelta(hours=23))
    assert run(checks, fan, "end").result == "checked"
    assert FansItem.get(*FansItem.key(fan["account"], CAMPAIGN)).end_checked_at == world.clock.now
    assert run(checks, fan, "end").result == "not_due"
    world.ctl.save(fan["user"], [track_uri(checks["tracks"][2])])
    world.clock.advance(timedelta(hours=2))  # past the window
    assert run(checks, fan, "play", checks["tracks"][2]).counted == 0
    assert totals(world.aws, CAMPAIGN) == {"fans_measured": 1}


def test_a_save_found_by_the_end_check_inside_the_window_counts(world, checks):
    fan = consent(world, LIBRARY, window=timedelta(days=1))
    run(checks, fan, "baseline")
    world.ctl.save(fan["user"], [f"spotify:playlist:{PLAYLIST}"])
    world.clock.advance(timedelta(days=1))  # the window's last instant is still inside
    assert run(checks, fan, "end").counted == 1
    assert totals(world.aws, CAMPAIGN) == {"fans_measured": 1, "new_playlist_followers": 1}


def test_a_campaign_without_fans_or_a_deleted_listener_is_not_checked(world, checks):
    fan = consent(world, LIBRARY)
    item = CampaignItem.get(*CampaignItem.key(CAMPAIGN))
    item.update(actions=[CampaignItem.measure_fans.set(False)])
    assert run(checks, fan, "baseline").result == "skipped"
    delete_listener_data(boto3.client("dynamodb", region_name="us-east-1"), world.aws["DataTable"], fan["account"])
    assert run(checks, fan, "baseline").result == "gone"
    assert world.spotify_calls() == 0


def test_an_earlier_grant_with_the_library_is_used_when_a_later_consent_lacked_it(world, checks):
    earlier = world.ctl.create_user(display_name="Fan")
    answer = world.ctl.connect(world.app, earlier["id"], scope=LIBRARY)
    # The listener's own earlier grant: same account (the emulator issues a token per consent).
    fan = consent(world, RECENT)
    tokens = TokenSet(
        answer["access_token"], answer["refresh_token"], answer["scope"], world.clock.now + timedelta(hours=1)
    )
    sealed = seal(world.writer, tokens, listener_context(fan["account"]))
    ListenerItem(*ListenerItem.key(fan["account"])).update(
        actions=[ListenerItem.library_tokens.set(sealed), ListenerItem.library_scopes.set(LIBRARY)]
    )
    assert run(checks, fan, "baseline").result == "checked"
    # That earlier grant revoked: forgotten, and checks are "not measured" from then on.
    world.ctl.revoke(earlier["id"])
    world.clock.advance(timedelta(days=1))
    expired = TokenSet("expired", answer["refresh_token"], LIBRARY, world.clock.now - timedelta(hours=1))
    sealed = seal(world.writer, expired, listener_context(fan["account"]))
    ListenerItem(*ListenerItem.key(fan["account"])).update(actions=[ListenerItem.library_tokens.set(sealed)])
    assert run(checks, fan, "play", checks["tracks"][0]).result == "not_measured"
    assert ListenerItem.get(*ListenerItem.key(fan["account"])).library_tokens is None


def test_a_later_consent_without_the_library_keeps_the_earlier_grant_for_fans(world):
    from soundlink.consent.listener import earlier_library_grant

    fan = consent(world, LIBRARY)
    stored = ListenerItem.get(*ListenerItem.key(fan["account"]))
    without = TokenSet("a", "r", RECENT, world.clock.now)
    assert earlier_library_grant(fan["account"], without) == (stored.tokens, LIBRARY)
    assert earlier_library_grant(fan["account"], TokenSet("a", "r", LIBRARY, world.clock.now)) is None
    assert earlier_library_grant("nobody", without) is None
    # Kept across a second consent without it, too.
    with transaction() as writes:
        listeners.connect(
            writes,
            account_id=fan["account"],
            spotify_user_id=fan["user"],
            display_name=None,
            sealed_tokens="new-sealed",
            scopes=RECENT,
            now=world.clock.now,
            campaign_id="other",
            owner_id=OWNER,
            clicked_at=world.clock.now,
            window_ends_at=world.clock.now + timedelta(days=14),
            click={},
            library_grant=earlier_library_grant(fan["account"], without),
        )
    assert earlier_library_grant(fan["account"], without) == (stored.tokens, LIBRARY)
    after = ListenerItem.get(*ListenerItem.key(fan["account"]))
    assert (after.tokens, after.scopes, after.library_tokens) == ("new-sealed", RECENT, stored.tokens)


def test_rechecks_due_one_per_listener_and_campaign_for_the_latest_play_and_only_for_fans(world, checks):
    fan = consent(world, LIBRARY)
    run(checks, fan, "baseline")
    world.clock.advance(timedelta(days=1))
    t0 = world.clock.now + timedelta(minutes=1)
    credited = [
        Credited(fan["account"], CAMPAIGN, t0, T_EARLY, (A_1,)),
        Credited(fan["account"], CAMPAIGN, t0 + timedelta(minutes=3), T_LATE, (A_2,)),
        Credited(fan["account"], "no-fans", t0, T_X, ()),
        Credited("never-baselined", CAMPAIGN, t0, T_Y, ()),
    ]
    jobs = rechecks_due(credited, lambda cid: cid == CAMPAIGN, world.clock.now)
    # A listener without any fans record gets a job too: the check decides, without Spotify. (Jobs come
    # sorted by account id, and the fan's id is random: the order is not what is asserted.)
    expected = [
        FansJob(fan["account"], CAMPAIGN, "play", T_LATE, (A_2,)),
        FansJob("never-baselined", CAMPAIGN, "play", T_Y, ()),
    ]
    assert sorted(jobs, key=lambda job: job.account_id) == sorted(expected, key=lambda job: job.account_id)
    world.clock.advance(timedelta(hours=1))
    run(checks, fan, "play", T_LATE)
    fans.record_baseline("never-baselined", CAMPAIGN, None, world.clock.now)
    assert rechecks_due(credited, lambda cid: cid == CAMPAIGN, world.clock.now) == []  # checked today


def test_within_the_last_day_the_owed_end_check_covers_a_play(world, checks):
    fan = consent(world, LIBRARY, window=timedelta(days=3))
    run(checks, fan, "baseline")
    world.clock.advance(timedelta(days=2) - timedelta(seconds=1))
    assert run(checks, fan, "play", checks["tracks"][0]).result == "checked"
    world.clock.advance(timedelta(seconds=1))  # exactly a day before the window closes
    FansItem(*FansItem.key(fan["account"], CAMPAIGN)).update(actions=[FansItem.checked_day.remove()])
    assert run(checks, fan, "play", checks["tracks"][0]).result == "not_due"
    # Once the end check is no longer owed (queued and cleared), a play is checked again.
    link = ListenerLinkItem.get(*ListenerLinkItem.key(fan["account"], CAMPAIGN))
    link.update(actions=[ListenerLinkItem.fans_end_due.remove()])
    assert run(checks, fan, "play", checks["tracks"][0]).result == "checked"


def test_a_listener_who_connected_before_the_option_is_not_measured_never_zero(world, checks):
    fan = consent(world, RECENT)  # no baseline job was ever queued for them
    calls = world.spotify_calls()
    assert run(checks, fan, "play", checks["tracks"][0]).result == "not_measured"
    assert world.spotify_calls() == calls
    assert totals(world.aws, CAMPAIGN) == {"fans_not_measured": 1}
    assert run(checks, fan, "play", checks["tracks"][0]).result == "not_measured"
    assert totals(world.aws, CAMPAIGN) == {"fans_not_measured": 1}  # counted once


def test_a_listener_with_the_scopes_but_no_baseline_waits_for_it_then_is_not_measured(world, checks):
    fan = consent(world, LIBRARY)
    assert run(checks, fan, "play", checks["tracks"][0]).result == "skipped"  # the baseline may be on its way
    assert world.spotify_calls() == 0 and totals(world.aws, CAMPAIGN) == {}
    world.clock.advance(BASELINE_GRACE - timedelta(seconds=1))
    assert run(checks, fan, "play", checks["tracks"][0]).result == "skipped"
    world.clock.advance(timedelta(seconds=1))
    assert run(checks, fan, "play", checks["tracks"][0]).result == "not_measured"
    assert run(checks, fan, "baseline").result == "not_due"  # a late baseline changes nothing
    assert totals(world.aws, CAMPAIGN) == {"fans_not_measured": 1}


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "fans", "check": "nap", "account_id": "a", "campaign_id": "c"},
        {"kind": "fans", "check": "play", "account_id": "a", "campaign_id": "c"},
        {"kind": "fans", "check": "end", "account_id": "", "campaign_id": "c"},
        {"kind": "fans", "check": "end", "account_id": "a", "campaign_id": "c", "artist_ids": "x"},
    ],
)
def test_a_malformed_check_is_refused(body):
    with pytest.raises((ValueError, KeyError)):
        FansJob.parse(body)


def test_disconnect_deletes_the_fans_booleans_with_the_rest(world, checks):
    fan = consent(world, LIBRARY)
    run(checks, fan, "baseline")
    delete_listener_data(boto3.client("dynamodb", region_name="us-east-1"), world.aws["DataTable"], fan["account"])
    with pytest.raises(FansItem.DoesNotExist):
        FansItem.get(*FansItem.key(fan["account"], CAMPAIGN))
    assert fans.due_for_recheck(fan["account"], CAMPAIGN, world.clock.now) is False


# --------------------------------------------------------------- the poller queues the end check


def poller_with_jobs(world: World, jobs: list[dict]) -> Poller:
    return Poller(
        cipher=lambda: TokenCipher(boto3.client("kms", region_name="us-east-1"), world.key_arn),
        spotify_config=lambda: world.config,
        send_plays=world.sent.append,
        base_interval=BASE,
        now=world.clock,
        send_jobs=jobs.extend,
    )


def test_the_last_poll_before_the_window_closes_queues_the_end_check_once(world, checks):
    fan = consent(world, LIBRARY, window=timedelta(minutes=4))  # closes before the next poll (5 min)
    run(checks, fan, "baseline")
    jobs: list[dict] = []
    poller = poller_with_jobs(world, jobs)
    assert poller.poll(fan["account"]).result == "polled"
    assert jobs == [FansJob(fan["account"], CAMPAIGN, "end").message()]
    assert ListenerLinkItem.get(*ListenerLinkItem.key(fan["account"], CAMPAIGN)).fans_end_due is None
    poller.poll(fan["account"])
    assert len(jobs) == 1


def test_a_poll_long_before_the_window_closes_queues_nothing(world, checks):
    fan = consent(world, LIBRARY, window=timedelta(days=3))
    run(checks, fan, "baseline")
    jobs: list[dict] = []
    poller = poller_with_jobs(world, jobs)
    poller.poll(fan["account"])
    assert jobs == []
    assert ListenerLinkItem.get(*ListenerLinkItem.key(fan["account"], CAMPAIGN)).fans_end_due is True


def test_a_window_found_closed_clears_the_end_check_without_asking_spotify(world, checks):
    fan = consent(world, LIBRARY, window=timedelta(hours=1))
    run(checks, fan, "baseline")
    world.clock.advance(timedelta(hours=2))
    jobs: list[dict] = []
    poller = poller_with_jobs(world, jobs)
    assert poller.poll(fan["account"]).result == "idle"
    assert jobs == []
    assert ListenerLinkItem.get(*ListenerLinkItem.key(fan["account"], CAMPAIGN)).fans_end_due is None


def test_the_callback_queues_the_baseline_and_if_sqs_fails_the_listener_is_not_measured(world):
    from botocore.exceptions import ClientError

    from soundlink.consent.listener import queue_baseline

    sent: list[dict] = []
    assert queue_baseline("queued", CAMPAIGN, world.clock.now, sent.append)
    assert sent == [FansJob("queued", CAMPAIGN, "baseline").message()]

    def down(body: dict) -> None:
        raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, "SendMessage")

    assert not queue_baseline("unqueued", CAMPAIGN, world.clock.now, down)
    assert FansItem.get(*FansItem.key("unqueued", CAMPAIGN)).not_measured is True
    assert totals(world.aws, CAMPAIGN) == {"fans_not_measured": 1}
