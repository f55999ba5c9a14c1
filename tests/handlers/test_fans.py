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
