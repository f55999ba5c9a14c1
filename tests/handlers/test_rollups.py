"""Roll-ups of settled days (issue 15, flat reads): a settled UTC day's counters summed over
shards into one ROLLUP#{day} item, written by the read that finds it missing, ignored and
redone after a late write. Against moto, counters written as the pipeline writes them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from soundlink.analytics import rollups
from soundlink.analytics.ranges import read_range
from soundlink.platform.counters import LATE_AFTER, ROLLUP_AFTER, late_marker
from soundlink.platform.tables import CounterItem, RollupItem
from tests.handlers import test_analytics_api as base
from tests.handlers.test_analytics_api import TRACK_A, TRACK_B, click, new_campaign, play, window
from tests.handlers.test_analytics_ranges import DAY1, DAY2, figures, two_days

api = base.api  # the fixture

DAY3 = DAY2 + timedelta(days=1)


def stored(campaign_id: str) -> dict[str, RollupItem]:
    return {item.sk: item for item in RollupItem.query(f"CAMPAIGN#{campaign_id}", RollupItem.sk.startswith("ROLLUP#"))}


def rolled(campaign_id: str) -> set[str]:
    """The days rolled up (items holding only a late write's mark are not)."""
    return {sk for sk, item in stored(campaign_id).items() if item.sums is not None}


def sums(campaign_id: str, day: datetime) -> rollups.DaySums:
    item = stored(campaign_id)[f"ROLLUP#{day:%Y-%m-%d}"]
    decoded = rollups.decode(item.sums)
    assert decoded is not None
    return decoded


def plain(counts) -> dict[str, int | float]:
    return {name: float(value) if value % 1 else int(value) for name, value in counts.items() if value}


# ------------------------------------------------------------------ settling


def test_a_day_settles_exactly_two_hours_after_it_ends():
    day_end = datetime(2026, 3, 11, tzinfo=UTC)
    assert timedelta(hours=2) == ROLLUP_AFTER
    assert rollups.last_settled_day(day_end + ROLLUP_AFTER) == date(2026, 3, 10)
    assert rollups.last_settled_day(day_end + ROLLUP_AFTER - timedelta(microseconds=1)) == date(2026, 3, 9)


def test_writes_mark_the_day_late_from_one_hour_after_it_ends_an_hour_before_it_can_be_rolled_up():
    at = datetime(2026, 3, 10, 23, 59, tzinfo=UTC)
    day_end = datetime(2026, 3, 11, tzinfo=UTC)
    assert late_marker(at, day_end + LATE_AFTER) == "ROLLUP#2026-03-10"
    assert late_marker(at, day_end + LATE_AFTER - timedelta(microseconds=1)) is None
    assert LATE_AFTER < ROLLUP_AFTER


# ------------------------------------------------------------------ the sums


def test_a_read_rolls_up_each_settled_day_to_the_sum_of_its_shards(api):
    mine = new_campaign()
    two_days(mine.id)
    assert rolled(mine.id) == set()
    _, raw_answer, _ = api(mine.id, query=window(DAY1, DAY3))
    # The range's days, and the previous period's (empty: rolled up empty, never read raw again).
    assert rolled(mine.id) == {f"ROLLUP#2026-03-{day:02d}" for day in (8, 9, 10, 11)}
    assert rollups.decode(stored(mine.id)["ROLLUP#2026-03-08"].sums) == rollups.DaySums()
    # By hand (two_days): day 1 one click that connected, a first play of A at confidence 1;
    # day 2 two clicks, a first play of B at 0.45 and a play of A at 1.
    day1, day2 = sums(mine.id, DAY1), sums(mine.id, DAY2)
    assert plain(day1.totals)["clicks"] == 1 and plain(day1.totals)["authorizations"] == 1
    assert plain(day1.totals)["attributed_plays"] == 1 and plain(day1.totals)["listeners"] == 1
    assert plain(day2.totals)["clicks"] == 2 and plain(day2.totals)["attributed_plays"] == 2
    assert plain(day2.totals)["listeners"] == 1 and plain(day2.totals)["weighted_last_touch"] == 1.45
    assert plain(day2.named[f"TRACK#{TRACK_A}"]) == {"attributed_plays": 1}
    assert plain(day2.named[f"TRACK#{TRACK_B}"]) == {"attributed_plays": 1, "listeners": 1}
    assert day2.labels[f"TRACK#{TRACK_B}"] == {"track_name": "Song", "track_artists": "Artist"}
    # Per name only what analytics read from it (a breakdown value's clicks, consents and credit).
    assert plain(day2.named["DIM#referrer#t.co"]) == {
        "clicks": 2,
        "unique_clicks": 2,
        **{f"streams_{model}": 2 for model in ("last_touch", "first_touch", "linear", "time_decay")},
    }
    assert plain(day2.named["CONF#4"]) == plain(day2.named["CONF#9"]) == {"attributed_plays": 1}
    assert plain(day2.named["MODEL#linear#C4"]) == {"streams": 1, "weighted_streams": 0.45}
    assert plain(day2.named["MODEL#linear#C9"]) == {"streams": 1, "weighted_streams": 1}
    # ... and the answer from the roll-ups is the answer from the raw items.
    _, rolled_answer, _ = api(mine.id, query=window(DAY1, DAY3))
    assert figures(rolled_answer) == figures(raw_answer)
    assert rolled_answer["series"] == raw_answer["series"]
    assert rolled_answer["breakdowns"] == raw_answer["breakdowns"]
    assert rolled_answer["top_tracks"] == raw_answer["top_tracks"]


def test_the_roll_up_equals_the_raw_items_summed_by_hand(api):
    mine = new_campaign()
    for n in range(12):  # over several shards, fractional credit
        play(mine.id, DAY1 + timedelta(hours=n), credit={"linear": 0.25, "last_touch": 1.0}, confidence=0.7)
    raw = list(CounterItem.query(f"CAMPAIGN#{mine.id}", CounterItem.sk.startswith("DAY#2026-03-10#")))
    assert len({item.sk.rsplit("#", 1)[1] for item in raw}) > 1  # several shards
    by_hand: dict[str, Decimal] = {}
    for item in raw:
        if item.sk.count("#") == 2:
            for name, value in item.attribute_values.items():
                if name not in ("pk", "sk"):
                    by_hand[name] = by_hand.get(name, Decimal(0)) + Decimal(str(value))
    read_range(mine.id, DAY1, DAY2)
    day = sums(mine.id, DAY1)
    assert dict(day.totals) == {name: value for name, value in by_hand.items() if value}
    assert plain(day.totals)["streams_linear"] == 3.0 and plain(day.totals)["attributed_plays"] == 12


def test_rolling_up_twice_writes_the_same_item(api):
    mine = new_campaign()
    two_days(mine.id)
    read_range(mine.id, DAY1, DAY3)
    first = {sk: item.attribute_values for sk, item in stored(mine.id).items()}
    # A second read finds them valid and writes nothing; a forced second save writes the same.
    read_range(mine.id, DAY1, DAY3)
    seen = int(stored(mine.id)["ROLLUP#2026-03-10"].late_writes)  # the test's writes came months late
    assert rollups.save(mine.id, DAY1.date(), rollups.sums_of(_raw(mine.id, DAY1)), seen)
    assert {sk: item.attribute_values for sk, item in stored(mine.id).items()} == first


def _raw(campaign_id: str, day: datetime) -> list[CounterItem]:
    return list(CounterItem.query(f"CAMPAIGN#{campaign_id}", CounterItem.sk.startswith(f"DAY#{day:%Y-%m-%d}#")))


def test_a_settled_read_reads_the_roll_ups_not_the_shards(api, dynamodb_calls):
    quiet, busy = new_campaign(), new_campaign()
    play(quiet.id, DAY1 + timedelta(hours=3))
    for n in range(40):
        play(busy.id, DAY1 + timedelta(hours=n % 24), track=TRACK_A if n % 2 else TRACK_B)
    for campaign in (quiet, busy):
        read_range(campaign.id, DAY1, DAY3)  # the first read rolls up
    items = []
    for campaign in (quiet, busy):
        found = read_range(campaign.id, DAY1, DAY3)
        items.append(sum(len(group) for group in found.named.values()))
    assert items[1] == len(sums(busy.id, DAY1).named)  # one item per counter name, not per shard
    dynamodb_calls.clear()
    read_range(busy.id, DAY1, DAY3)
    assert dynamodb_calls == ["Query"]  # the roll-ups; no DAY# Query, no hours (whole days), no writes


# ------------------------------------------------------------------ late writes


def test_a_late_play_marks_the_roll_up_and_the_next_read_redoes_it(api, transactions):
    mine = new_campaign()
    two_days(mine.id)
    _, before, _ = api(mine.id, query=window(DAY1, DAY2))
    assert before["totals"]["streams"] == 1.0
    seen = int(stored(mine.id)["ROLLUP#2026-03-10"].late_writes)
    assert stored(mine.id)["ROLLUP#2026-03-10"].summed_late == seen
    transactions.clear()
    play(mine.id, DAY1 + timedelta(hours=22), track=TRACK_B)  # Spotify reported it months late
    (written,) = transactions
    markers = [part["Update"] for part in written if part["Update"]["Key"]["sk"]["S"].startswith("ROLLUP#")]
    assert [m["Key"]["sk"]["S"] for m in markers] == ["ROLLUP#2026-03-10"]  # in the play's own transaction
    item = stored(mine.id)["ROLLUP#2026-03-10"]
    assert (item.late_writes, item.summed_late) == (seen + 1, seen)

    _, after, _ = api(mine.id, query=window(DAY1, DAY2))
    assert after["totals"]["streams"] == 2.0  # read raw: the stale roll-up is ignored
    assert {t["track_id"]: t["streams"] for t in after["top_tracks"]} == {TRACK_A: 1, TRACK_B: 1}
    item = stored(mine.id)["ROLLUP#2026-03-10"]
    assert (item.late_writes, item.summed_late) == (seen + 1, seen + 1)  # redone by that read
    assert plain(sums(mine.id, DAY1).totals)["attributed_plays"] == 2
    _, again, _ = api(mine.id, query=window(DAY1, DAY2))
    assert figures(again) == figures(after)


def test_a_late_click_marks_the_roll_up_too(api):
    mine = new_campaign()
    read_range(mine.id, DAY1, DAY2)  # an empty day, rolled up empty
    assert rollups.decode(stored(mine.id)["ROLLUP#2026-03-10"].sums).totals == {}
    click(mine.id, DAY1 + timedelta(hours=5))
    assert stored(mine.id)["ROLLUP#2026-03-10"].late_writes == 1
    assert read_range(mine.id, DAY1, DAY2).counts["clicks"] == 1
    assert plain(sums(mine.id, DAY1).totals) == {"clicks": 1, "unique_clicks": 1}


def test_a_roll_up_that_missed_a_late_write_is_refused(api):
    mine = new_campaign()
    play(mine.id, DAY1 + timedelta(hours=3))  # late_writes 1
    old = rollups.sums_of(_raw(mine.id, DAY1))  # what a slow roll-up summed...
    play(mine.id, DAY1 + timedelta(hours=4))  # ... before this late play (late_writes 2)
    assert rollups.save(mine.id, DAY1.date(), old, 1) is False
    assert stored(mine.id)["ROLLUP#2026-03-10"].sums is None
    assert read_range(mine.id, DAY1, DAY2).counts["attributed_plays"] == 2
    assert plain(sums(mine.id, DAY1).totals)["attributed_plays"] == 2
    # A stale run that read late_writes 1 cannot overwrite a fresher roll-up after a second late play.
    fresher = rollups.sums_of(_raw(mine.id, DAY1))
    play(mine.id, DAY1 + timedelta(hours=5))
    assert read_range(mine.id, DAY1, DAY2).counts["attributed_plays"] == 3
    assert rollups.save(mine.id, DAY1.date(), fresher, 2) is False
    assert plain(sums(mine.id, DAY1).totals)["attributed_plays"] == 3


# ------------------------------------------------------------------ ranges and old campaigns


def test_a_range_mixing_settled_and_unsettled_days_reads_each_from_its_source(api):
    mine = new_campaign()
    two_days(mine.id)
    play(mine.id, DAY3 + timedelta(hours=1), track=TRACK_B)
    now = DAY3 + timedelta(days=1, hours=1)  # day 3 ended an hour ago: not settled
    found = read_range(mine.id, DAY1, DAY3 + timedelta(days=1), now=now)
    assert rolled(mine.id) == {"ROLLUP#2026-03-10", "ROLLUP#2026-03-11"}
    assert found.counts["attributed_plays"] == 4 and found.counts["clicks"] == 3
    again = read_range(mine.id, DAY1, DAY3 + timedelta(days=1), now=now)
    assert again.counts == found.counts
    tracks = {
        name: sum(int(item.attribute_values.get("attributed_plays", 0)) for item in items)
        for name, items in again.with_prefix("TRACK#").items()
    }
    assert tracks == {f"TRACK#{TRACK_A}": 2, f"TRACK#{TRACK_B}": 2}
    settled = read_range(mine.id, DAY1, DAY3 + timedelta(days=1), now=now + timedelta(hours=1))
    assert "ROLLUP#2026-03-12" in rolled(mine.id)
    assert settled.counts == found.counts


def test_hour_bounds_inside_rolled_up_days_still_cut_the_counts(api):
    mine = new_campaign()
    two_days(mine.id)
    read_range(mine.id, DAY1, DAY3)
    part = read_range(mine.id, DAY2 + timedelta(hours=10), DAY3)  # after day 2's clicks, with its plays
    assert part.counts["clicks"] == 0 and part.counts["attributed_plays"] == 2
    whole = read_range(mine.id, DAY2 + timedelta(hours=9), DAY3)
    assert whole.counts["clicks"] == 2


def test_a_campaign_without_roll_ups_reads_its_raw_items_and_gets_them(api):
    mine = new_campaign()
    two_days(mine.id)
    raw = read_range(mine.id, DAY1, DAY3, roll_up=False)
    assert rolled(mine.id) == set()  # nothing written
    first = read_range(mine.id, DAY1, DAY3)
    assert rolled(mine.id) == {"ROLLUP#2026-03-10", "ROLLUP#2026-03-11"}
    assert first.counts == raw.counts
    assert read_range(mine.id, DAY1, DAY3).counts == raw.counts


def test_a_roll_up_of_another_format_is_ignored_and_redone(api, monkeypatch):
    mine = new_campaign()
    two_days(mine.id)
    monkeypatch.setattr(rollups, "FORMAT", 0)
    read_range(mine.id, DAY1, DAY3)
    monkeypatch.setattr(rollups, "FORMAT", 1)
    assert rollups.decode(stored(mine.id)["ROLLUP#2026-03-10"].sums) is None
    assert read_range(mine.id, DAY1, DAY3).counts["clicks"] == 3
    assert rollups.decode(stored(mine.id)["ROLLUP#2026-03-10"].sums) is not None


def test_a_day_too_big_to_roll_up_stays_read_from_its_shards(api, monkeypatch):
    mine = new_campaign()
    two_days(mine.id)
    monkeypatch.setattr(rollups, "MAX_SUMS_BYTES", 50)
    found = read_range(mine.id, DAY1, DAY3)
    assert rolled(mine.id) == set()
    assert found.counts["clicks"] == 3 and read_range(mine.id, DAY1, DAY3).counts["clicks"] == 3


def test_one_read_rolls_up_at_most_two_months_and_the_next_read_goes_on(api):
    from soundlink.analytics import ranges

    mine = new_campaign()
    play(mine.id, DAY1)
    start = DAY1 - timedelta(days=ranges.MAX_ROLLUPS_PER_READ + 10)
    read_range(mine.id, start, DAY2)
    assert len(rolled(mine.id)) == ranges.MAX_ROLLUPS_PER_READ
    assert read_range(mine.id, start, DAY2).counts["attributed_plays"] == 1
    assert len(rolled(mine.id)) == ranges.MAX_ROLLUPS_PER_READ + 11


@pytest.mark.parametrize("tz", [None, "Europe/Paris"])
def test_the_api_answer_is_the_same_before_and_after_the_roll_up(api, tz):
    mine = new_campaign()
    two_days(mine.id)
    query = window(DAY1 - timedelta(days=2), DAY3 + timedelta(days=1)) | ({"tz": tz} if tz else {})
    _, first, _ = api(mine.id, query=query)
    assert rolled(mine.id)
    _, second, _ = api(mine.id, query=query)
    assert second == first


def test_a_range_after_the_last_settled_day_reads_only_its_own_days(api):
    mine = new_campaign()
    play(mine.id, DAY1 + timedelta(hours=3), track=TRACK_A)  # the day before, not settled at `now`
    play(mine.id, DAY2 + timedelta(hours=3), track=TRACK_B)
    now = DAY2 + timedelta(hours=1, minutes=30)  # before 02:00: day 1 is not settled yet
    found = read_range(mine.id, DAY2, DAY3, now=now)
    assert set(found.with_prefix("TRACK#")) == {f"TRACK#{TRACK_B}"}
    assert found.counts["attributed_plays"] == 1
    assert rolled(mine.id) == set()
