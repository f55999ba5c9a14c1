"""Fans through the local cloud and the Spotify emulator: the consent queues the baseline,
a credited play its re-check, poll_user asks Spotify's library; the analytics' `fans` say
who saved or followed after clicking, counted once, and who was not measured (never zero)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

from local.cloud import LocalCloud
from local.spotify_emulator.testing import EmulatorControl
from tests.integration.journey import connect_owner_spotify, data_items, drain, new_campaign
from tests.integration.test_pipeline import join, poll_everyone

pytestmark = pytest.mark.slow
PYNAMO_UTC = "%Y-%m-%dT%H:%M:%S.%f+0000"  # how PynamoDB stores a UTC datetime


def fans(cloud: LocalCloud, owner, campaign: dict) -> dict | None:
    # Saved tracks are named from their streams in the range: one ending tomorrow holds the plays
    # (placed seconds ahead of "now") whatever the hour the test runs at.
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    answer = requests.get(
        f"{cloud.api_url}/campaigns/{campaign['id']}/analytics",
        params={"to": tomorrow.isoformat()},
        headers=owner.headers,
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["fans"]


def play_now(cloud: LocalCloud, spotify: EmulatorControl, plays: dict[str, list[dict]]) -> None:
    """The plays happen now (for Soundlink's windows), then everyone is polled and attributed."""
    soon = datetime.now(UTC) + timedelta(seconds=5)
    for user, added in plays.items():
        spotify.add_plays(user, [{**play, "played_at": soon.isoformat()} for play in added])
    spotify.advance_clock(60)  # the plays have ended, as Spotify reports them
    try:
        poll_everyone(cloud)
    finally:
        spotify.advance_clock(-60)


def fans_item(cloud: LocalCloud, account: str, campaign: dict) -> dict | None:
    items = [i for i in data_items(cloud, f"LISTENER#{account}") if i["sk"]["S"] == f"FANS#{campaign['id']}"]
    return items[0] if items else None


@pytest.fixture(scope="module")
def scenario(local_cloud: LocalCloud):
    spotify = EmulatorControl(local_cloud.spotify_url)
    tag = uuid.uuid4().hex[:6]
    catalogue = spotify.tracks()[200:206]
    t = [track["id"] for track in catalogue]
    artist_of_t0 = catalogue[0]["artists"][0]["id"]
    artist = spotify.create_user(f"fans-artist-{tag}", "Artist")
    pa = spotify.create_playlist(artist["id"], "Fans A", t[0:3])
    pb = spotify.create_playlist(artist["id"], "No fans B", t[3:5])
    pc = spotify.create_playlist(artist["id"], "Later fans C", [t[5]])
    owner = local_cloud.create_owner(f"fans-{tag}@example.com", "Fans-owner-2026")
    connect_owner_spotify(local_cloud, owner, artist["id"])
    a = new_campaign(local_cloud, owner, playlist=pa["uri"], measure_fans=True)
    b = new_campaign(local_cloud, owner, playlist=pb["uri"])
    c = new_campaign(local_cloud, owner, playlist=pc["uri"])
    fan, old_fan, early, late = (spotify.create_user(f"{n}-{tag}", n) for n in ("fan", "oldfan", "early", "late"))

    spotify.save(old_fan["id"], [f"spotify:track:{t[0]}"])  # saved before clicking: not new
    join(local_cloud, a, fan["id"])
    join(local_cloud, a, old_fan["id"])
    join(local_cloud, a, late["id"])
    join(local_cloud, c, early["id"])  # C did not measure fans yet
    drain(local_cloud)  # first polls and the baselines
    join(local_cloud, b, fan["id"])  # a campaign without fans: the library grant is kept
    drain(local_cloud)
    answer = requests.patch(
        f"{local_cloud.api_url}/campaigns/{c['id']}", json={"measure_fans": True}, headers=owner.headers, timeout=30
    )
    assert answer.status_code == 200, answer.text

    dynamodb, table = local_cloud.client("dynamodb"), local_cloud.physical_id("DataTable")
    # A day passes (the baseline is its day's check): the stored check day moves back a day.
    yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d")
    for listener in (fan, old_fan):
        dynamodb.update_item(
            TableName=table,
            Key={"pk": {"S": f"LISTENER#{listener['account_id']}"}, "sk": {"S": f"FANS#{a['id']}"}},
            UpdateExpression="SET checked_day = :d",
            ConditionExpression="attribute_exists(baseline)",
            ExpressionAttributeValues={":d": {"S": yesterday}},
        )
    # `late`'s window closes: a save after it must count nothing.
    dynamodb.update_item(
        TableName=table,
        Key={"pk": {"S": f"LISTENER#{late['account_id']}"}, "sk": {"S": f"LINK#{a['id']}"}},
        UpdateExpression="SET window_ends_at = :past",
        ExpressionAttributeValues={":past": {"S": (datetime.now(UTC) - timedelta(minutes=1)).strftime(PYNAMO_UTC)}},
    )

    spotify.save(fan["id"], [f"spotify:track:{t[0]}", f"spotify:artist:{artist_of_t0}"])
    spotify.save(late["id"], [f"spotify:track:{t[1]}", f"spotify:playlist:{pa['id']}"])
    spotify.call("DELETE", "/_emulator/requests")
    play_now(
        local_cloud,
        spotify,
        {
            fan["id"]: [{"track_id": t[0], "context_uri": pa["uri"]}],
            old_fan["id"]: [{"track_id": t[0], "context_uri": pa["uri"]}],
            late["id"]: [{"track_id": t[1], "context_uri": pa["uri"]}],
            early["id"]: [{"track_id": t[5], "context_uri": pc["uri"]}],
        },
    )
    return {
        "cloud": local_cloud,
        "spotify": spotify,
        "owner": owner,
        "campaigns": (a, b, c),
        "listeners": (fan, old_fan, early, late),
        "tracks": t,
        "artist": artist_of_t0,
        "playlist": pa["id"],
        "requests": spotify.requests(),
    }


def test_a_save_and_an_artist_follow_after_the_click_count_once_and_an_earlier_save_not_at_all(scenario) -> None:
    cloud, owner, (a, b, _c) = scenario["cloud"], scenario["owner"], scenario["campaigns"]
    figures = fans(cloud, owner, a)
    assert figures["new_saves"] == 1 and figures["new_artist_followers"] == 1
    assert figures["new_playlist_followers"] == 0  # `late` followed it after their window
    # which tracks: only `fan`'s t0 (old_fan had it before, late saved t1 after the window), named
    # from its counted stream; people, not saves
    (saved,) = figures["saved_tracks"]
    assert (saved["track_id"], saved["people"]) == (scenario["tracks"][0], 1)
    assert saved["track_name"]
    assert fans(cloud, owner, b) is None  # B does not measure fans


def test_the_baseline_asked_about_the_playlist_s_tracks_their_artists_and_the_playlist(scenario) -> None:
    cloud, (a, _b, _c), (fan, *_rest) = scenario["cloud"], scenario["campaigns"], scenario["listeners"]
    baseline = fans_item(cloud, fan["account_id"], a)["baseline"]["M"]
    t = scenario["tracks"]
    assert {f"spotify:track:{i}" for i in t[0:3]} <= set(baseline)
    assert f"spotify:artist:{scenario['artist']}" in baseline  # read from the owner's playlist snapshot
    assert f"spotify:playlist:{scenario['playlist']}" in baseline
    assert all(flag == {"BOOL": False} for flag in baseline.values())  # yes/no only, nothing else


def test_each_credited_play_cost_at_most_one_library_call(scenario) -> None:
    # fan and old_fan: one re-check each; late's play was outside its window; early has no scopes.
    assert scenario["requests"]["by_endpoint"].get("library-contains", 0) == 2


def test_joining_a_campaign_without_fans_kept_the_library_grant(scenario) -> None:
    cloud, (a, _b, _c), (fan, *_rest) = scenario["cloud"], scenario["campaigns"], scenario["listeners"]
    listener = next(i for i in data_items(cloud, f"LISTENER#{fan['account_id']}") if i["sk"]["S"] == "LISTENER")
    assert "user-library-read" not in listener["scopes"]["S"]
    assert "user-library-read" in listener["library_scopes"]["S"] and listener["library_tokens"]["S"]
    assert fans_item(cloud, fan["account_id"], a)["checked_day"]["S"]  # the re-check used it


def test_a_listener_who_connected_before_the_option_is_not_measured_never_zero(scenario) -> None:
    cloud, owner, (_a, _b, c) = scenario["cloud"], scenario["owner"], scenario["campaigns"]
    figures = fans(cloud, owner, c)
    assert figures["new_saves"] is None and figures["new_artist_followers"] is None
    assert figures["not_measured_listeners"] == 1 and figures["measured_listeners"] == 0


def test_a_redelivered_check_counts_nothing_twice(scenario) -> None:
    cloud, owner, (a, _b, _c), (fan, *_r) = (
        scenario["cloud"],
        scenario["owner"],
        scenario["campaigns"],
        scenario["listeners"],
    )
    sqs, queue = cloud.client("sqs"), cloud.physical_id("PollQueue")
    t0 = scenario["tracks"][0]
    for body in (
        {"kind": "fans", "check": "baseline", "account_id": fan["account_id"], "campaign_id": a["id"]},
        {"kind": "fans", "check": "play", "account_id": fan["account_id"], "campaign_id": a["id"], "track_id": t0},
        {"kind": "fans", "check": "end", "account_id": fan["account_id"], "campaign_id": a["id"]},
        {"kind": "fans", "check": "end", "account_id": fan["account_id"], "campaign_id": a["id"]},
    ):
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(body))
    drain(cloud)
    figures = fans(cloud, owner, a)
    assert (figures["new_saves"], figures["new_artist_followers"], figures["measured_listeners"]) == (1, 1, 3)
