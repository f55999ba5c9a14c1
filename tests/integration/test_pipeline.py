"""Polling and attribution through the local cloud and the Spotify emulator: three
listeners across two campaigns of one owner and one campaign of another owner,
with plays from the playlist, outside it, with no context, before the click and
after the window, give exactly the expected streams, listeners and credit."""

from __future__ import annotations

import csv
import io
import json
import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

from local.cloud import LocalCloud
from local.spotify_emulator.testing import EmulatorControl
from tests.integration.journey import (
    BROWSER,
    approve,
    click,
    connect_owner_spotify,
    consent_cookie,
    data_items,
    drain,
    finish,
    new_campaign,
    start,
)

# Every log line of the module is scanned for tokens, codes, secrets, cookies and client addresses.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("scanned_logs")]

WINDOW_DAYS = 14


def join(cloud: LocalCloud, campaign: dict, user_id: str) -> datetime:
    """The listener clicks the campaign's link and approves; returns the click time (roughly)."""
    before = datetime.now(UTC)
    started = start(cloud, campaign["slug"])
    assert finish(approve(started, user_id), consent_cookie(started)).status_code == 303
    return before


def analytics(cloud: LocalCloud, owner, campaign: dict, **params) -> dict:
    # The plays happen minutes after "now" (the emulator's clock runs ahead) and the default range ends
    # at the current hour: a range ending tomorrow holds them whatever the hour the test runs at.
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    params.setdefault("to", tomorrow.isoformat())
    answer = requests.get(
        f"{cloud.api_url}/campaigns/{campaign['id']}/analytics", params=params, headers=owner.headers, timeout=30
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["totals"]


def poll_everyone(cloud: LocalCloud) -> dict:
    requests.post(
        f"{cloud.api_url}/_local/schedules/run", headers={"X-Soundlink-Local": "1"}, timeout=60
    ).raise_for_status()
    return drain(cloud)


@pytest.fixture(scope="module")
def scenario(local_cloud: LocalCloud):
    spotify = EmulatorControl(local_cloud.spotify_url)
    tag = uuid.uuid4().hex[:6]
    t = [track["id"] for track in spotify.tracks()[100:112]]
    artist = spotify.create_user(f"artist-{tag}", "Artist")
    label = spotify.create_user(f"label-{tag}", "Label")
    pa = spotify.create_playlist(artist["id"], "A", t[0:5])  # t0..t4
    pb = spotify.create_playlist(artist["id"], "B", t[3:8])  # t3..t7: t3 and t4 are in both
    pc = spotify.create_playlist(label["id"], "C", [t[0]])
    owner1 = local_cloud.create_owner(f"o1-{tag}@example.com", "Pipeline-owner-2026")
    owner2 = local_cloud.create_owner(f"o2-{tag}@example.com", "Pipeline-owner-2026")
    connect_owner_spotify(local_cloud, owner1, artist["id"])  # owner 2 never connects: C is read by context only
    window = {"attribution_window_days": WINDOW_DAYS}
    a = new_campaign(local_cloud, owner1, playlist=pa["uri"], **window)
    b = new_campaign(local_cloud, owner1, playlist=pb["uri"], **window)
    c = new_campaign(local_cloud, owner2, playlist=pc["uri"], **window)
    l1, l2, l3 = (spotify.create_user(f"{name}-{tag}", name) for name in ("l1", "l2", "l3"))

    now = datetime.now(UTC)
    # Before the click: l1 played t1 (its baseline).
    spotify.add_plays(l1["id"], [{"track_id": t[1], "played_at": (now - timedelta(hours=1)).isoformat()}])
    join(local_cloud, a, l1["id"])
    join(local_cloud, b, l1["id"])  # l1 clicked B after A: last touch is B
    join(local_cloud, a, l2["id"])
    join(local_cloud, a, l3["id"])
    join(local_cloud, c, l3["id"])
    drain(local_cloud)  # the callback's first polls: baselines, nothing to attribute yet

    soon = datetime.now(UTC) + timedelta(seconds=30)

    def at(minutes: float) -> str:
        return (soon + timedelta(minutes=minutes)).isoformat()

    plays = {
        l1["id"]: [
            {"track_id": t[0], "played_at": at(1), "context_uri": pa["uri"]},  # A 1.0
            {"track_id": t[4], "played_at": at(2)},  # A and B 0.7, credit shared
            {"track_id": t[1], "played_at": at(3), "context_uri": pa["uri"]},  # A 1.0 x 0.5 (baseline)
            {"track_id": t[10], "played_at": at(4)},  # in no playlist: nothing
        ],
        l2["id"]: [
            {"track_id": t[1], "played_at": at(1), "context_uri": "spotify:album:0sNOF9WDwhWunNAHPD3Baj"},  # A 0.4
            {"track_id": t[2], "played_at": at(2), "context_uri": pa["uri"]},  # A 1.0
            {"track_id": t[0], "played_at": (soon + timedelta(days=WINDOW_DAYS + 1)).isoformat()},  # after the window
        ],
        l3["id"]: [
            {"track_id": t[0], "played_at": at(1)},  # A 0.7; C not readable: no context, no match
            {"track_id": t[0], "played_at": at(2), "context_uri": pc["uri"]},  # A 0.4, C 1.0 (context only)
        ],
    }
    for user, added in plays.items():
        spotify.add_plays(user, added)
    spotify.advance_clock((WINDOW_DAYS + 2) * 86400)  # every play has happened, access tokens expired
    try:
        result = poll_everyone(local_cloud)
    finally:
        spotify.advance_clock(-(WINDOW_DAYS + 2) * 86400)
    return {
        "cloud": local_cloud,
        "spotify": spotify,
        "owners": (owner1, owner2),
        "campaigns": (a, b, c),
        "listeners": (l1, l2, l3),
        "plays": plays,
        "drained": result,
    }


def test_streams_listeners_and_credit_per_model_are_exact(scenario) -> None:
    cloud, (owner1, owner2), (a, b, c) = scenario["cloud"], scenario["owners"], scenario["campaigns"]
    linear = analytics(cloud, owner1, a, model="linear")
    assert linear["attributed_plays"] == 7 and linear["listeners"] == 3
    assert linear["streams"] == pytest.approx(6.5)
    assert linear["weighted_streams"] == pytest.approx(1.0 + 0.35 + 0.5 + 0.4 + 1.0 + 0.7 + 0.4, abs=0.01)
    assert linear["authorizations"] == 3 and linear["clicks"] == 3
    assert analytics(cloud, owner1, a, model="last_touch")["streams"] == pytest.approx(6)
    assert analytics(cloud, owner1, a, model="first_touch")["streams"] == pytest.approx(7)
    assert analytics(cloud, owner1, a, model="time_decay")["streams"] == pytest.approx(6.5, abs=0.01)
    assert analytics(cloud, owner1, a, model="linear", min_confidence=0.5)["streams"] == pytest.approx(4.5)
    assert analytics(cloud, owner1, a, model="linear", min_confidence=0.9)["streams"] == pytest.approx(2)

    in_b = {m: analytics(cloud, owner1, b, model=m)["streams"] for m in ("linear", "last_touch", "first_touch")}
    assert in_b == pytest.approx({"linear": 0.5, "last_touch": 1.0, "first_touch": 0.0})
    assert analytics(cloud, owner1, b)["listeners"] == 1
    # Another owner's campaign never shares credit: C gets the whole play it matched.
    in_c = analytics(cloud, owner2, c, model="linear")
    assert in_c["attributed_plays"] == 1 and in_c["streams"] == pytest.approx(1.0) and in_c["listeners"] == 1
    # ... and another owner's analytics are a 404.
    other = requests.get(f"{cloud.api_url}/campaigns/{a['id']}/analytics", headers=owner2.headers, timeout=30)
    assert other.status_code == 404


def test_each_attribution_says_why(scenario) -> None:
    cloud, (a, _b, c), (l1, _l2, l3) = scenario["cloud"], scenario["campaigns"], scenario["listeners"]
    stored = [item for item in data_items(cloud, f"CAMPAIGN#{a['id']}") if item["sk"]["S"].startswith("ATTR#")]
    by_track = {}
    for item in stored:
        by_track.setdefault(item["track_id"]["S"], []).append(
            (float(item["confidence"]["N"]), item["reasons"]["S"].split())
        )
    t = [play["track_id"] for play in scenario["plays"][l1["id"]]]
    assert (1.0, ["played_from_campaign_playlist", "clicked_within_1h"]) in by_track[t[0]]
    assert any(conf == 0.5 and "track_in_listener_baseline" in reasons for conf, reasons in by_track[t[2]])
    assert any(conf == 0.7 and "playlist_track_no_context" in reasons for conf, reasons in by_track[t[1]])
    from_c = [item for item in data_items(cloud, f"CAMPAIGN#{c['id']}") if item["sk"]["S"].startswith("ATTR#")]
    assert len(from_c) == 1 and "playlist_unreadable_context_only" in from_c[0]["reasons"]["S"]
    # Stored with a pseudonymous key, never the account id, but reachable by the listener's deletion.
    assert all(l3["account_id"] not in item["listener_key"]["S"] for item in from_c)
    assert from_c[0]["gsi2pk"]["S"] == f"LISTENER#{l3['account_id']}"


def test_the_full_analytics_explain_the_numbers(scenario) -> None:
    cloud, (owner1, owner2), (a, b, c) = scenario["cloud"], scenario["owners"], scenario["campaigns"]
    t = [play["track_id"] for play in scenario["plays"][scenario["listeners"][0]["id"]]]
    url = f"{cloud.api_url}/campaigns/{a['id']}/analytics"
    # The plays happened minutes after "now": a range ending tomorrow holds them whatever the hour.
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    params = {"compare": b["id"], "to": tomorrow.isoformat()}
    answer = requests.get(url, params=params, headers=owner1.headers, timeout=30)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["model"] == "last_touch" and body["totals"]["streams"] == pytest.approx(6)
    assert body["totals"]["streams_per_listener"] == pytest.approx(2.0)
    assert {m: f["streams"] for m, f in body["models"].items()} == pytest.approx(
        {"last_touch": 6, "first_touch": 7, "linear": 6.5, "time_decay": 6.5}, abs=0.01
    )
    assert [bucket["streams"] for bucket in body["confidence_histogram"]] == [0, 0, 0, 0, 2, 1, 0, 2, 0, 2]
    tracks = {track["track_id"]: track for track in body["top_tracks"]}
    assert (tracks[t[0]]["streams"], tracks[t[0]]["listeners"]) == (3, 2)
    assert (tracks[t[2]]["streams"], tracks[t[2]]["listeners"]) == (2, 2)
    assert tracks[t[0]]["url"] == f"https://open.spotify.com/track/{t[0]}"
    referrers = {row["value"]: row for row in body["breakdowns"]["referrer"]}
    assert referrers["news.example.org"]["clicks"] == 3 and referrers["news.example.org"]["authorizations"] == 3
    assert referrers["news.example.org"]["streams"] == pytest.approx(6)
    assert body["listener_states"] == {"active": 3, "idle": 0, "reauth_required": 0, "not_allowlisted": 0}
    assert body["data_quality"]["playlist_readable"] is True and body["data_quality"]["last_successful_poll"]
    assert sum(point["streams"] for point in body["series"]) == pytest.approx(6)
    assert sum(point["clicks"] for point in body["series"]) == 3
    assert [other["campaign_id"] for other in body["compare"]] == [b["id"]]
    assert body["compare"][0]["totals"]["streams"] == pytest.approx(1)
    # The dashboard's refresh is cheap: the same numbers answer 304.
    again = requests.get(
        url,
        params=params,
        headers={**owner1.headers, "If-None-Match": answer.headers["etag"]},
        timeout=30,
    )
    assert again.status_code == 304 and not again.content
    # C's playlist could not be read (its owner never connected Spotify): the analytics say so.
    quality = requests.get(f"{cloud.api_url}/campaigns/{c['id']}/analytics", headers=owner2.headers, timeout=30)
    assert quality.json()["data_quality"]["playlist_readable"] is False
    assert "not connected" in quality.json()["data_quality"]["playlist_reason"]
    # The campaigns list carries each campaign's headline numbers.
    listed = requests.get(f"{cloud.api_url}/campaigns", headers=owner1.headers, timeout=30).json()["campaigns"]
    headline = next(item["headline"] for item in listed if item["id"] == a["id"])
    shown = {name: headline[name] for name in ("clicks", "listeners", "streams", "fans")}
    assert shown == {"clicks": 3, "listeners": 3, "streams": pytest.approx(6), "fans": None}  # A: no fans option
    # Who came back: A's three listeners all streamed in their first week after the click.
    assert sum(row["listeners"] for row in body["cohorts"]) == 3
    assert sum(row["returned"][0] for row in body["cohorts"]) == 3
    # Comparing with another owner's campaign is a 404, like reading it.
    foreign = requests.get(url, params={"compare": c["id"]}, headers=owner1.headers, timeout=30)
    assert foreign.status_code == 404


def test_the_export_has_one_row_per_attributed_play(scenario) -> None:
    cloud, (owner1, _owner2), (a, _b, _c) = scenario["cloud"], scenario["owners"], scenario["campaigns"]
    answer = requests.get(f"{cloud.api_url}/campaigns/{a['id']}/export.csv", headers=owner1.headers, timeout=30)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"] and "x-next-cursor" not in answer.headers
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert len(rows) == 7 and answer.text.count("\r\n") == 8
    assert {row["credit_linear"] for row in rows} >= {"1.0", "0.5"}
    accounts = {user["account_id"] for user in scenario["listeners"]}
    assert not [row for row in rows if row["listener"] in accounts] and len({row["listener"] for row in rows}) == 3


def test_every_play_delivered_three_times_in_any_order_changes_nothing(scenario) -> None:
    cloud, (owner1, owner2), campaigns = scenario["cloud"], scenario["owners"], scenario["campaigns"]
    owners = (owner1, owner1, owner2)
    before = [analytics(cloud, o, campaign, model="linear") for o, campaign in zip(owners, campaigns, strict=True)]
    spotify = scenario["spotify"]
    # Every play as the poller queues it (what Spotify reports), three times over.
    messages = [
        {
            "account_id": user["account_id"],
            "played_at": datetime.fromtimestamp(play["played_at_ms"] / 1000, UTC).isoformat(),
            "track_id": play["track_id"],
            "track_name": "x",
            "artists": [],
            "context_uri": play.get("context_uri"),
        }
        for user in scenario["listeners"]
        for play in spotify.call("GET", f"/_emulator/users/{user['id']}/plays")["items"]
    ] * 3
    random.Random(7).shuffle(messages)  # noqa: S311 - a repeatable order, not a secret
    for first in range(0, len(messages), 10):
        records = [
            {"messageId": str(uuid.uuid4()), "body": json.dumps(body), "eventSource": "aws:sqs"}
            for body in messages[first : first + 10]
        ]
        invocation = cloud.invoke("AttributeFunction", {"Records": records})
        assert invocation.ok and invocation.payload == {"batchItemFailures": []}, invocation
    # Polling everyone again reads the same plays again: nothing moves either.
    poll_everyone(cloud)
    after = [analytics(cloud, o, campaign, model="linear") for o, campaign in zip(owners, campaigns, strict=True)]
    assert after == before


def test_a_revoked_token_stops_polling_and_shows_as_reauth_required(scenario) -> None:
    cloud, spotify, (_l1, l2, _l3) = scenario["cloud"], scenario["spotify"], scenario["listeners"]
    spotify.revoke(l2["id"])
    poll_everyone(cloud)
    profile = next(item for item in data_items(cloud, f"LISTENER#{l2['account_id']}") if item["sk"]["S"] == "LISTENER")
    assert profile["status"]["S"] == "reauth_required" and "gsi1pk" not in profile

    def reads_of_l2() -> int:
        recent = spotify.requests()["recent"]
        return sum(1 for r in recent if r.get("user") == l2["id"] and r["endpoint"] == "recently-played")

    reads = reads_of_l2()
    poll_everyone(cloud)
    assert reads_of_l2() == reads  # no longer polled: a listener who must reconnect costs nothing


def test_a_rate_limited_poll_waits_without_reaching_the_dead_letter_queue(scenario) -> None:
    cloud, spotify, (l1, _l2, _l3) = scenario["cloud"], scenario["spotify"], scenario["listeners"]
    spotify.fault("recently-played", status=429, count=1, retry_after=120, user=l1["id"])
    before = datetime.now(UTC)
    result = poll_everyone(cloud)
    assert not result.get("failed")
    listener = data_items(cloud, f"LISTENER#{l1['account_id']}")
    profile = next(item for item in listener if item["sk"]["S"] == "LISTENER")
    assert profile["status"]["S"] == "active"
    assert datetime.fromisoformat(profile["next_poll_at"]["S"]) >= before + timedelta(seconds=110)
    backoff = data_items(cloud, "SPOTIFY")
    assert backoff and datetime.fromisoformat(backoff[0]["until"]["S"]) >= before + timedelta(seconds=110)
    sqs = cloud.client("sqs")
    for queue in ("PollDeadLetters", "PlayDeadLetters", "PollFanoutDeadLetters"):
        attributes = sqs.get_queue_attributes(
            QueueUrl=cloud.physical_id(queue), AttributeNames=["ApproximateNumberOfMessages"]
        )
        assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0", queue
    # The marker is fleet-wide (this test runs last in the module): clear it for other tests.
    cloud.client("dynamodb").delete_item(
        TableName=cloud.physical_id("DataTable"), Key={"pk": {"S": "SPOTIFY"}, "sk": {"S": "BACKOFF"}}
    )


def test_disconnect_after_attribution_leaves_no_item_naming_the_listener(scenario) -> None:
    cloud, (owner1, _owner2), (a, _b, _c), (l1, _l2, _l3) = (
        scenario["cloud"],
        scenario["owners"],
        scenario["campaigns"],
        scenario["listeners"],
    )
    before = analytics(cloud, owner1, a, model="linear")
    # A person's browser (since issue 13 a crawler's user agent, like python-requests', starts nothing).
    started = requests.get(
        f"{cloud.api_url}/privacy/disconnect?confirm=yes",
        headers={"User-Agent": BROWSER},
        allow_redirects=False,
        timeout=30,
    )
    done = finish(approve(started, l1["id"]), consent_cookie(started))
    assert done.status_code == 200 and "disconnected" in done.text
    everything = cloud.client("dynamodb").scan(TableName=cloud.physical_id("DataTable"))["Items"]
    assert not [item for item in everything if l1["account_id"] in json.dumps(item) or l1["id"] in json.dumps(item)]
    # Campaign aggregates hold no personal data and stay.
    assert analytics(cloud, owner1, a, model="linear") == before


def test_the_landing_page_shows_the_playlist_as_spotify_names_it(scenario) -> None:
    """Attribution read playlist A with its owner's connection: its name and cover reach the landing page."""
    cloud, (owner1, _owner2), (a, _b, c) = scenario["cloud"], scenario["owners"], scenario["campaigns"]
    # A new campaign of the same playlist: a tracker container caches a campaign for a minute.
    again = new_campaign(cloud, owner1, playlist=a["playlist_uri"])
    page = click(cloud, again["slug"])
    assert page.status_code == 200
    assert "Playlist: A" in page.text
    assert '<img class="cover" src="https://mosaic.scdn.co/' in page.text
    assert "img-src https://mosaic.scdn.co" in page.headers["content-security-policy"]
    # C's owner never connected Spotify: nothing is known of it, and nothing is shown.
    other = click(cloud, c["slug"])
    assert "Playlist:" not in other.text and "<img" not in other.text
