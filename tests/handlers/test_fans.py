"""Fans (attribution/fans.py) against moto: baseline once, new saves and follows once, inside the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from soundlink.attribution import fans

T1, T2 = "1" * 22, "2" * 22
A1 = "a" * 22
P = "p" * 22
TRACK, TRACK2, ARTIST, PLAYLIST = (
    f"spotify:track:{T1}",
    f"spotify:track:{T2}",
    f"spotify:artist:{A1}",
    f"spotify:playlist:{P}",
)
CONSENT = datetime(2026, 11, 2, 12, tzinfo=UTC)
WINDOW_END = CONSENT + timedelta(days=14)


def totals(aws, campaign_id: str) -> dict[str, int]:
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(aws["StatsTable"])
    items = table.query(KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": f"CAMPAIGN#{campaign_id}"})
    summed: dict[str, int] = {}
    for item in items["Items"]:
        if item["sk"].startswith("TOTAL#"):
            for name, value in item.items():
                if name not in ("pk", "sk"):
                    summed[name] = summed.get(name, 0) + int(value)
    return summed


@pytest.fixture
def baseline(tables):
    def make(account: str, saved: set[str] = frozenset()) -> None:
        uris = fans.campaign_uris([T1, T2], [A1], P)
        assert fans.record_baseline(account, "c1", {u: u in saved for u in uris}, CONSENT)

    return make


def test_uris_asked_at_consent_and_after_a_play():
    assert fans.campaign_uris([T1, T2, T1], [A1], P) == [TRACK, TRACK2, ARTIST, PLAYLIST]
    assert fans.play_uris(T1, [A1, A1], P) == [TRACK, ARTIST, PLAYLIST]
    assert len(fans.play_uris(T1, [f"{i:022d}" for i in range(60)], P)) == 40


def test_a_save_and_a_follow_after_the_click_count_one_each(aws, baseline):
    baseline("fan")
    at = CONSENT + timedelta(days=2)
    assert fans.due_for_recheck("fan", "c1", at)
    moved = fans.record_check("fan", "c1", {TRACK: True, ARTIST: True, PLAYLIST: False}, at, WINDOW_END)
    assert moved == {"new_saves": 1, "new_artist_followers": 1}
    assert not fans.due_for_recheck("fan", "c1", at + timedelta(hours=1))  # once a day
    assert fans.due_for_recheck("fan", "c1", at + timedelta(days=1))
    # a second track saved later: the person is already counted as a new saver
    later = at + timedelta(days=1)
    assert fans.record_check("fan", "c1", {TRACK2: True, PLAYLIST: True}, later, WINDOW_END) == {
        "new_playlist_followers": 1
    }
    assert totals(aws, "c1") == {
        "fans_measured": 1,
        "new_saves": 1,
        "new_artist_followers": 1,
        "new_playlist_followers": 1,
    }


def test_a_track_saved_before_the_click_is_not_new(aws, baseline):
    baseline("old-fan", saved={TRACK})
    moved = fans.record_check("old-fan", "c1", {TRACK: True, ARTIST: False}, CONSENT + timedelta(days=1), WINDOW_END)
    assert moved == {}
    assert totals(aws, "c1") == {"fans_measured": 1}


def test_a_save_after_the_window_counts_nothing(aws, baseline):
    baseline("late")
    assert fans.record_check("late", "c1", {TRACK: True}, WINDOW_END + timedelta(seconds=1), WINDOW_END) == {}
    assert "new_saves" not in totals(aws, "c1")


def test_a_redelivered_check_or_baseline_counts_nothing_twice(aws, baseline):
    baseline("fan")
    uris = fans.campaign_uris([T1, T2], [A1], P)
    assert not fans.record_baseline("fan", "c1", {u: True for u in uris}, CONSENT)  # the first baseline stays
    at = CONSENT + timedelta(days=3)
    check = {TRACK: True, ARTIST: True}
    assert fans.record_check("fan", "c1", check, at, WINDOW_END) == {"new_saves": 1, "new_artist_followers": 1}
    assert fans.record_check("fan", "c1", check, at, WINDOW_END) == {}
    assert totals(aws, "c1") == {"fans_measured": 1, "new_saves": 1, "new_artist_followers": 1}


def test_without_the_scopes_a_listener_is_not_measured_not_zero(aws, tables):
    assert fans.record_baseline("older-consent", "c1", None, CONSENT)
    assert not fans.due_for_recheck("older-consent", "c1", CONSENT + timedelta(days=1))
    assert fans.record_check("older-consent", "c1", {TRACK: True}, CONSENT + timedelta(days=1), WINDOW_END) == {}
    assert totals(aws, "c1") == {"fans_not_measured": 1}


def test_disconnect_deletes_the_booleans(aws, baseline):
    from soundlink.listeners.deletion import delete_listener_data

    baseline("leaver")
    client = boto3.client("dynamodb", region_name="us-east-1")
    delete_listener_data(client, aws["DataTable"], "leaver")
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(aws["DataTable"])
    assert "Item" not in table.get_item(Key={"pk": "LISTENER#leaver", "sk": "FANS#c1"})


def saved_people(campaign_id: str = "c1") -> dict[str, int]:
    from soundlink.attribution import saved_tracks

    return saved_tracks.people_per_track(campaign_id)


def test_a_person_counts_once_under_each_track_they_newly_saved(aws, baseline):
    baseline("fan")
    baseline("other", saved={TRACK})  # had T1 already: only T2 is new for them
    at = CONSENT + timedelta(days=1)
    assert fans.record_check("fan", "c1", {TRACK: True, TRACK2: True}, at, WINDOW_END) == {"new_saves": 1}
    assert fans.record_check("other", "c1", {TRACK: True, TRACK2: True}, at, WINDOW_END) == {"new_saves": 1}
    assert totals(aws, "c1")["new_saves"] == 2
    assert saved_people() == {T1: 1, T2: 2}
    # a redelivered check, and a later one that finds the same saves: nothing moves
    assert fans.record_check("fan", "c1", {TRACK: True, TRACK2: True}, at, WINDOW_END) == {}
    assert fans.record_check("fan", "c1", {TRACK: True, TRACK2: True}, at + timedelta(days=1), WINDOW_END) == {}
    assert saved_people() == {T1: 1, T2: 2}


def test_a_save_after_the_window_or_before_the_click_adds_to_no_track(aws, baseline):
    baseline("late")
    baseline("old-fan", saved={TRACK})
    assert fans.record_check("late", "c1", {TRACK: True}, WINDOW_END + timedelta(seconds=1), WINDOW_END) == {}
    assert fans.record_check("old-fan", "c1", {TRACK: True}, CONSENT + timedelta(days=1), WINDOW_END) == {}
    assert fans.record_check("late", "c1", {TRACK: True}, WINDOW_END, WINDOW_END) == {"new_saves": 1}  # equal: inside
    assert saved_people() == {T1: 1}


def test_a_check_that_lost_a_race_counts_what_is_still_new(aws, baseline):
    """Another check counted T1 between this one's read and its write: T2 still counts, T1 not twice."""
    baseline("fan")
    at = CONSENT + timedelta(days=1)
    assert fans.record_check("fan", "c1", {PLAYLIST: True}, at, WINDOW_END) == {"new_playlist_followers": 1}
    real_get = fans.FansItem.get
    raced = []

    def get_then_race(*args, **kwargs):
        item = real_get(*args, **kwargs)
        if not raced:
            raced.append(True)
            assert fans.record_check("fan", "c1", {TRACK: True}, at, WINDOW_END) == {"new_saves": 1}
        return item

    fans.FansItem.get = get_then_race
    try:
        assert fans.record_check("fan", "c1", {TRACK: True, TRACK2: True, ARTIST: True}, at, WINDOW_END) == {
            "new_artist_followers": 1
        }
    finally:
        fans.FansItem.get = real_get
    assert saved_people() == {T1: 1, T2: 1}
    assert totals(aws, "c1") == {
        "fans_measured": 1,
        "new_saves": 1,
        "new_artist_followers": 1,
        "new_playlist_followers": 1,
    }


def test_the_worst_end_check_400_new_saves_stays_in_dynamodbs_limits_and_counts_exactly(aws, tables):
    tracks = [f"{i:022d}" for i in range(400)]
    uris = fans.campaign_uris(tracks, [A1], P)
    requests: list[dict] = []
    from soundlink.platform.tables import CounterItem, shared_connection

    shared = shared_connection(CounterItem.Meta.region, CounterItem.Meta.host).client

    def capture(params, **_):
        requests.append(params)

    shared.meta.events.register("provide-client-params.dynamodb.TransactWriteItems", capture)
    try:
        for account in ("fan-a", "fan-b"):
            assert fans.record_baseline(account, "c1", {u: False for u in uris}, CONSENT)
            at = WINDOW_END - timedelta(minutes=1)
            everything = {u: True for u in uris}
            assert fans.record_check(account, "c1", everything, at, WINDOW_END) == {
                "new_saves": 1,
                "new_artist_followers": 1,
                "new_playlist_followers": 1,
            }
            assert fans.record_check(account, "c1", everything, at, WINDOW_END) == {}  # redelivered
    finally:
        shared.meta.events.unregister("provide-client-params.dynamodb.TransactWriteItems", capture)
    checks = [r for r in requests if any("counted" in str(i) for i in r["TransactItems"])]
    assert checks
    for request in checks:
        assert len(request["TransactItems"]) <= 100
        for part in request["TransactItems"]:
            update = part.get("Update") or {}
            for name in ("UpdateExpression", "ConditionExpression"):
                assert len(update.get(name, "")) < 4096
    assert max(len(r["TransactItems"]) for r in checks) == 2 + 4  # FansItem, TOTAL#, 4 SAVED# chunks
    assert saved_people() == {t: 2 for t in tracks}
    assert totals(aws, "c1")["new_saves"] == 2
