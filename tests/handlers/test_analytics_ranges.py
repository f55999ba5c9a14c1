"""GET /campaigns/{id}/analytics: from/to bound every figure (issue 15), the previous period, and
day points in the owner's time zone. Against moto, counters written as the pipeline writes them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.handlers import test_analytics_api as base
from tests.handlers.test_analytics_api import TRACK_A, TRACK_B, click, iso, new_campaign, play, window

api = base.api  # the fixture (dynamodb_calls is in conftest)

DAY1 = datetime(2026, 3, 10, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)


def two_days(campaign_id: str) -> None:
    """Day 1: a click that connected, a first play of track A at confidence 1. Day 2: two clicks,
    a first play of track B at 0.45 and a play of track A."""
    click(campaign_id, DAY1 + timedelta(hours=9), authorized=True)
    play(campaign_id, DAY1 + timedelta(hours=10), track=TRACK_A, first=True)
    click(campaign_id, DAY2 + timedelta(hours=9))
    click(campaign_id, DAY2 + timedelta(hours=9, minutes=5))
    play(campaign_id, DAY2 + timedelta(hours=10), track=TRACK_B, confidence=0.45, first=True)
    play(campaign_id, DAY2 + timedelta(hours=11), track=TRACK_A)


def figures(body: dict) -> dict:
    return {
        "clicks": body["totals"]["clicks"],
        "authorizations": body["totals"]["authorizations"],
        "streams": body["totals"]["streams"],
        "weighted_streams": body["totals"]["weighted_streams"],
        "listeners": body["totals"]["listeners"],
        "tracks": [(t["track_id"], t["streams"], t["listeners"]) for t in body["top_tracks"]],
        "referrers": [(r["value"], r["clicks"], r["streams"]) for r in body["breakdowns"]["referrer"]],
        "histogram": sum(b["streams"] for b in body["confidence_histogram"]),
        "linear": body["models"]["linear"]["streams"],
    }


def test_a_range_of_one_day_of_two_counts_that_day_in_every_figure(api):
    mine = new_campaign()
    two_days(mine.id)
    _, first, _ = api(mine.id, query=window(DAY1, DAY2))
    _, second, _ = api(mine.id, query=window(DAY2, DAY2 + timedelta(days=1)))
    _, both, _ = api(mine.id, query=window(DAY1, DAY2 + timedelta(days=1)))
    assert figures(first) == {
        "clicks": 1,
        "authorizations": 1,
        "streams": 1.0,
        "weighted_streams": 1.0,
        "listeners": 1,
        "tracks": [(TRACK_A, 1, 1)],
        "referrers": [("t.co", 1, 1.0)],
        "histogram": 1,
        "linear": 1.0,
    }
    assert figures(second) == {
        "clicks": 2,
        "authorizations": 0,
        "streams": 2.0,
        "weighted_streams": 1.45,
        "listeners": 1,
        "tracks": [(TRACK_B, 1, 1), (TRACK_A, 1, 0)],
        "referrers": [("t.co", 2, 2.0)],
        "histogram": 2,
        "linear": 2.0,
    }
    # the days add up to the two days together (people too: each counts on the day of their first play)
    assert figures(both)["clicks"] == 3 and figures(both)["listeners"] == 2
    assert figures(both)["tracks"] == [(TRACK_A, 2, 1), (TRACK_B, 1, 1)]
    assert figures(both)["weighted_streams"] == 2.45
    assert second["counted_days"] == {"from": "2026-03-11", "to": "2026-03-11"}


def test_hour_bounds_cut_the_counts_and_tracks_count_the_whole_days_touched(api):
    mine = new_campaign()
    two_days(mine.id)
    status, body, _ = api(mine.id, query=window(DAY2 + timedelta(hours=9, minutes=30), DAY2 + timedelta(hours=11)))
    assert status == 200, body
    assert body["totals"]["clicks"] == 2  # hours are the finest counters: from 09:30 counts the hour 09:00
    assert body["totals"]["attributed_plays"] == 1  # 10:00 in, 11:00 out (`to` is exclusive)
    assert body["counted_days"] == {"from": "2026-03-11", "to": "2026-03-11"}
    assert len(body["top_tracks"]) == 2  # per-day counters: the whole day


def test_whole_days_and_a_partial_last_day_count_each_hour_once(api):
    mine = new_campaign()
    two_days(mine.id)
    status, body, _ = api(mine.id, query=window(DAY1, DAY2 + timedelta(hours=10, minutes=30)))
    assert status == 200, body
    assert body["totals"]["clicks"] == 3
    assert body["totals"]["attributed_plays"] == 2  # DAY1 10:00 and DAY2 10:00; DAY2 11:00 is after `to`
    assert [p["streams"] for p in body["series"]] == [1.0, 1.0]


def test_a_range_outside_the_campaign_is_zeros_not_an_error(api):
    mine = new_campaign()
    two_days(mine.id)
    for start in (DAY1 - timedelta(days=40), DAY2 + timedelta(days=30)):
        status, body, _ = api(mine.id, query=window(start, start + timedelta(days=7)))
        assert status == 200, body
        assert body["totals"]["clicks"] == 0 and body["totals"]["streams"] == 0
        assert body["top_tracks"] == []
        assert all(rows == [] for rows in body["breakdowns"].values())
        assert {b["streams"] for b in body["confidence_histogram"]} == {0}
        assert [p["clicks"] for p in body["series"]] == [0] * 7


def test_equal_bounds_are_400_saying_from_must_be_earlier(api):
    mine = new_campaign()
    status, body, _ = api(mine.id, query=window(DAY1, DAY1))
    assert status == 400
    assert "from must be earlier than to" in body["message"]


def test_the_previous_period_has_the_same_length_just_before(api):
    mine = new_campaign()
    two_days(mine.id)
    status, body, _ = api(mine.id, query=window(DAY2, DAY2 + timedelta(days=1)))
    assert status == 200, body
    previous = body["previous"]
    assert previous["from"] == iso(DAY1) and previous["to"] == iso(DAY2)
    assert previous["totals"]["clicks"] == 1
    assert previous["totals"]["listeners"] == 1
    assert previous["totals"]["weighted_streams"] == 1.0
    assert previous["totals"]["conversion_rate"] == 1.0
    # a range starting at the campaign's first day: the previous period is empty, not an error
    _, body, _ = api(mine.id, query=window(DAY1, DAY2))
    assert body["previous"]["totals"]["clicks"] == 0


def test_min_confidence_bounds_range_streams_too(api):
    mine = new_campaign()
    two_days(mine.id)
    _, body, _ = api(mine.id, query=window(DAY2, DAY2 + timedelta(days=1), min_confidence="0.5"))
    assert body["totals"]["streams"] == 1.0  # the 0.45 play is below
    assert body["previous"]["totals"]["streams"] == 1.0


def test_range_reads_do_not_grow_with_plays(api, dynamodb_calls):
    quiet, busy = new_campaign(), new_campaign()
    play(quiet.id, DAY1 + timedelta(hours=3))
    for n in range(40):
        play(busy.id, DAY1 + timedelta(hours=n % 30), track=TRACK_A if n % 2 else TRACK_B)
        click(busy.id, DAY1 + timedelta(hours=n % 30))
    counts = []
    for campaign in (quiet, busy):
        dynamodb_calls.clear()
        status, _, _ = api(campaign.id, query=window(DAY1, DAY1 + timedelta(days=7)))
        assert status == 200
        counts.append(len(dynamodb_calls))
    assert counts[0] == counts[1]


# ------------------------------------------------------------------ time zones


def test_a_play_at_23_30_utc_is_on_the_next_day_in_paris(api):
    mine = new_campaign()
    play(mine.id, DAY1 + timedelta(hours=23, minutes=30))
    start = datetime(2026, 3, 10, tzinfo=UTC) - timedelta(hours=1)  # Paris midnight (UTC+1 in March)
    status, body, _ = api(mine.id, query=window(start, start + timedelta(days=3), tz="Europe/Paris"))
    assert status == 200, body
    assert body["day_zone"] == "Europe/Paris"
    assert [p["t"] for p in body["series"]] == [
        "2026-03-10T00:00:00+01:00",
        "2026-03-11T00:00:00+01:00",
        "2026-03-12T00:00:00+01:00",
    ]
    assert [p["streams"] for p in body["series"]] == [0.0, 1.0, 0.0]
    _, utc, _ = api(mine.id, query=window(DAY1, DAY1 + timedelta(days=3)))
    assert utc["day_zone"] == "UTC"
    assert [p["streams"] for p in utc["series"]] == [1.0, 0.0, 0.0]


def test_the_day_clocks_go_forward_has_23_hours_and_the_one_they_go_back_25(api):
    mine = new_campaign()
    # Paris: 2026-03-29 02:00 -> 03:00 (UTC+1 -> +2); 2026-10-25 03:00 -> 02:00 (+2 -> +1)
    play(mine.id, datetime(2026, 3, 29, 21, 30, tzinfo=UTC))  # 23:30 in Paris: still the 29th
    play(mine.id, datetime(2026, 3, 29, 22, 30, tzinfo=UTC))  # 00:30 on the 30th
    start = datetime(2026, 3, 28, 23, tzinfo=UTC)  # Paris midnight of the 29th (UTC+1)
    _, body, _ = api(mine.id, query=window(start, start + timedelta(hours=47), tz="Europe/Paris"))
    assert [p["t"] for p in body["series"]] == ["2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00"]
    assert [p["streams"] for p in body["series"]] == [1.0, 1.0]
    play(mine.id, datetime(2026, 10, 25, 22, 30, tzinfo=UTC))  # 23:30 in Paris (UTC+1): the 25th
    start = datetime(2026, 10, 24, 22, tzinfo=UTC)  # Paris midnight of the 25th (UTC+2)
    _, body, _ = api(mine.id, query=window(start, start + timedelta(hours=25), tz="Europe/Paris"))
    assert [p["t"] for p in body["series"]] == ["2026-10-25T00:00:00+02:00"]
    assert [p["streams"] for p in body["series"]] == [1.0]


def test_ranges_past_90_days_use_utc_days_and_say_so(api):
    mine = new_campaign()
    start = DAY1 - timedelta(days=91)
    _, body, _ = api(mine.id, query=window(start, DAY1, tz="Europe/Paris"))
    assert body["day_zone"] == "UTC"
    assert body["series"][0]["t"] == iso(start)
    _, body, _ = api(mine.id, query=window(DAY1 - timedelta(days=90), DAY1, tz="Europe/Paris"))
    assert body["day_zone"] == "Europe/Paris"


def test_hour_points_ignore_the_zone(api):
    mine = new_campaign()
    _, body, _ = api(mine.id, query=window(DAY1, DAY1 + timedelta(hours=3), "hour", tz="Asia/Tokyo"))
    assert body["day_zone"] == "UTC"
    assert [p["t"] for p in body["series"]] == [iso(DAY1 + timedelta(hours=h)) for h in range(3)]


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../../etc/passwd", "Europe/Paris\x00", "x" * 65, "+01:00"])
def test_a_zone_that_is_not_an_iana_name_is_400_with_an_example(api, zone):
    mine = new_campaign()
    status, body, _ = api(mine.id, query=window(DAY1, DAY2, tz=zone))
    assert status == 400, body
    assert "tz" in json.dumps(body)
