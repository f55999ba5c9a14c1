"""analytics.ranges against moto's DynamoDB, counters written as the pipeline writes them: which
hours and days a range [start, end) sums, at its bounds (whole days, the hours at the ends,
midnight, one hour), over several shards. One table for the module (a campaign per test), so
the module runs in seconds."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from soundlink.analytics.ranges import (
    floor_day,
    floor_hour,
    hours_between,
    previous_period,
    read_range,
    sum_items,
    touched_days,
)
from soundlink.platform.counters import add_counts, add_to, campaign_key, day_scoped
from soundlink.platform.tables import CounterItem, RollupItem
from soundlink.platform.transactions import transaction
from tests.support.moto_tables import moto_tables

DAY = datetime(2026, 3, 10, tzinfo=UTC)
H = timedelta(hours=1)
D = timedelta(days=1)


@pytest.fixture(scope="module")
def stats_table():
    with moto_tables("ranges") as names:
        yield names


@pytest.fixture
def campaign(stats_table) -> str:
    return f"c-{uuid.uuid4().hex}"


def clicks(campaign_id: str, *moments: datetime) -> None:
    """One click at each moment, each on a shard of its own event id (as the recorder writes them)."""
    for moment in moments:
        with transaction() as writes:
            add_counts(writes, campaign_id, moment, {"clicks": 1}, event_id=str(uuid.uuid4()))


@pytest.fixture(scope="module")
def three_days(stats_table) -> str:
    """A campaign with one click at the start of every hour of DAY - 1, DAY and DAY + 1, its
    HOUR and DAY items spread over four shards, written as the recorder's counters (one
    transaction: 72 hours and 12 day shards)."""
    campaign_id = f"c-{uuid.uuid4().hex}"
    with transaction() as writes:
        for n in range(72):
            hour = DAY - D + n * H
            add_to(writes, campaign_id, f"HOUR#{hour:%Y-%m-%dT%H}#{n % 4}", {"clicks": 1})
        for day in (DAY - D, DAY, DAY + D):
            for shard in range(4):
                add_to(writes, campaign_id, f"DAY#{day:%Y-%m-%d}#{shard}", {"clicks": 6})
    return campaign_id


def clicks_in(campaign_id: str, start: datetime, end: datetime) -> int:
    return int(read_range(campaign_id, start, end).counts["clicks"])


# --------------------------------------------------------------------- exact counts


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (DAY, DAY + D, 24),  # one whole day
        (DAY + 10 * H, DAY + 13 * H, 3),  # three hours of one day: 10, 11, 12
        (DAY + 10 * H, DAY + 11 * H, 1),  # one hour
        (DAY, DAY + H, 1),  # the first hour of a day
        (DAY + 23 * H, DAY + D, 1),  # the last hour of a day
        (DAY + 22 * H, DAY + D + 3 * H, 5),  # two hours, then three of the next day
        (DAY - 2 * H, DAY + D + 2 * H, 2 + 24 + 2),  # hours, a whole day, hours
        (DAY - D, DAY + 2 * D, 24 * 3),  # whole days only
        (DAY - 3 * D, DAY - D, 0),  # nothing then
        (DAY + 5 * D, DAY + 6 * D, 0),
    ],
    ids=[
        "day",
        "three-hours",
        "one-hour",
        "first-hour",
        "last-hour",
        "across-midnight",
        "hours-day-hours",
        "three-days",
        "before",
        "after",
    ],
)
def test_a_range_counts_exactly_the_hours_in_it(three_days, start, end, expected):
    assert clicks_in(three_days, start, end) == expected


def test_the_hours_either_side_of_a_range_are_left_out(campaign):
    clicks(
        campaign, DAY + 9 * H + timedelta(minutes=59), DAY + 10 * H, DAY + 12 * H + timedelta(minutes=59), DAY + 13 * H
    )
    assert clicks_in(campaign, DAY + 10 * H, DAY + 13 * H) == 2
    assert clicks_in(campaign, DAY + 9 * H, DAY + 14 * H) == 4


def test_a_range_given_in_another_time_zone_is_the_same_instants(three_days):
    campaign = three_days
    paris = timezone(timedelta(hours=1))
    start, end = (DAY + 10 * H).astimezone(paris), (DAY + D + 2 * H).astimezone(paris)
    assert clicks_in(campaign, start, end) == 14 + 2
    found = read_range(campaign, start, end)
    assert (found.start, found.end) == (DAY + 10 * H, DAY + D + 2 * H)
    assert found.start.tzinfo is UTC


def test_shards_are_summed(campaign):
    clicks(campaign, *([DAY + 10 * H] * 12))  # twelve clicks in one hour, on several shards
    shards = {item.sk for item in CounterItem.query(f"CAMPAIGN#{campaign}") if item.sk.startswith("HOUR#")}
    assert len(shards) > 1
    assert clicks_in(campaign, DAY + 10 * H, DAY + 11 * H) == 12
    assert clicks_in(campaign, DAY, DAY + D) == 12


def test_the_periods_are_the_whole_days_then_the_hours_at_the_ends(three_days):
    found = read_range(three_days, DAY - H, DAY + D + H)
    starts = sorted({start for start, _ in found.periods})
    assert starts == [DAY - H, DAY, DAY + D]  # the hour before, the whole day, the hour after
    days = {start for start, item in found.periods if item.sk.startswith("DAY#")}
    assert days == {DAY}  # one item per shard, each the whole day


def test_a_range_of_whole_days_reads_no_hours(three_days):
    found = read_range(three_days, DAY, DAY + D)
    assert {item.sk.split("#")[0] for _, item in found.periods} == {"DAY"}
    assert {start for start, _ in found.periods} == {DAY}


def test_a_range_within_one_day_reads_its_hours_not_the_day(three_days):
    found = read_range(three_days, DAY + 3 * H, DAY + 5 * H)
    assert sorted({start for start, _ in found.periods}) == [DAY + 3 * H, DAY + 4 * H]
    assert all(item.sk.startswith("HOUR#") for _, item in found.periods)


# ------------------------------------------------------------- days touched, named counters


@pytest.mark.parametrize(
    ("start", "end", "first", "last"),
    [
        (DAY, DAY + D, DAY, DAY),
        (DAY, DAY + D + timedelta(microseconds=1), DAY, DAY + D),
        (DAY + 23 * H, DAY + D + H, DAY, DAY + D),
        (DAY - timedelta(microseconds=1), DAY + H, DAY - D, DAY),
        (DAY + 5 * H, DAY + 6 * H, DAY, DAY),
    ],
)
def test_touched_days(start, end, first, last):
    assert touched_days(start, end) == (first.date(), last.date())


def test_named_counters_are_the_touched_days_by_name_without_day_or_shard(campaign):
    with transaction() as writes:
        for day, track in ((DAY - D, "before"), (DAY, "a"), (DAY + D, "b"), (DAY + 2 * D, "after")):
            add_to(writes, campaign, day_scoped(day, f"TRACK#{track}#3"), {"attributed_plays": 1})
        add_to(writes, campaign, day_scoped(DAY, "TRACK#a#5"), {"attributed_plays": 2})
        add_to(writes, campaign, day_scoped(DAY, "DIM#referrer#t.co#5"), {"clicks": 4})
    found = read_range(campaign, DAY + 20 * H, DAY + D + H)  # touches DAY and DAY + 1
    assert sorted(found.named) == ["DIM#referrer#t.co", "TRACK#a", "TRACK#b"]
    assert sum_items(found.named["TRACK#a"])["attributed_plays"] == 3
    assert sorted(found.with_prefix("TRACK#")) == ["TRACK#a", "TRACK#b"]
    assert found.with_prefix("DIM#referrer#") == {"DIM#referrer#t.co": found.named["DIM#referrer#t.co"]}
    assert (found.first_day, found.last_day) == (DAY.date(), (DAY + D).date())
    assert found.counts == {}  # named counters are not totals


def test_hours_between(three_days):
    campaign = three_days
    got = hours_between(campaign, DAY + H + timedelta(minutes=30), DAY + 4 * H)
    assert [hour for hour, _ in got] == [
        DAY + H,
        DAY + 2 * H,
        DAY + 3 * H,
    ]  # one shard each  # from the floored hour, before 4:00
    assert hours_between(campaign, DAY + 4 * H, DAY + 4 * H) == []
    assert hours_between(campaign, DAY + 5 * H, DAY + 4 * H) == []


# ------------------------------------------------------------------------ pure helpers


def test_floors_are_utc():
    tokyo = timezone(timedelta(hours=9))
    moment = datetime(2026, 3, 10, 7, 45, 12, 5, tzinfo=tokyo)  # 22:45 UTC the day before
    assert floor_hour(moment) == datetime(2026, 3, 9, 22, tzinfo=UTC)
    assert floor_day(moment) == datetime(2026, 3, 9, tzinfo=UTC)
    assert floor_hour(moment).tzinfo is UTC


def test_previous_period_is_as_long_and_ends_where_the_range_starts():
    assert previous_period(DAY, DAY + 3 * D) == (DAY - 3 * D, DAY)
    assert previous_period(DAY + H, DAY + 2 * H) == (DAY, DAY + H)


def test_sum_items_adds_numbers_only(stats_table):
    first = CounterItem("CAMPAIGN#x", "DAY#2026-03-10#1", clicks=2, streams_linear=0.5, track_name="A song")
    second = CounterItem("CAMPAIGN#x", "DAY#2026-03-10#2", clicks=Decimal("3"), streams_linear=0.25)
    summed = sum_items([first, second])
    assert summed == {"clicks": Decimal(5), "streams_linear": Decimal("0.75")}
    assert sum_items([]) == {}
    flagged = CounterItem("CAMPAIGN#x", "DAY#2026-03-10#3", clicks=1)
    flagged.attribute_values["a_flag"] = True  # a boolean is not a count
    assert sum_items([flagged]) == {"clicks": Decimal(1)}


@pytest.mark.parametrize(
    ("start", "end", "queries"),
    [
        (DAY, DAY + D, 1),  # whole days: the days' Query only
        (DAY - D, DAY + 2 * D, 1),
        (DAY + 3 * H, DAY + 5 * H, 2),  # within a day: its hours in one more
        (DAY + 5 * H, DAY + D + 3 * H, 2),  # across one midnight, no whole day: still one for the hours
        (DAY, DAY + D + 2 * H, 2),  # from midnight: hours at the end only
        (DAY - 2 * H, DAY + D, 2),  # to midnight: hours at the start only
        (DAY - H, DAY + D + H, 3),  # hours at both ends
    ],
)
def test_a_range_costs_one_query_for_its_days_and_at_most_two_for_its_hours(
    three_days, monkeypatch, start, end, queries
):
    """What a range costs does not grow with its length (module docstring): the days in one Query,
    the partial days at its ends in at most two, and none for an end that falls on midnight. The
    days are settled (March 2026): the first read also asks for their roll-ups (one Query) and
    writes them; from then on the roll-ups' Query replaces the raw days'."""
    for rolled in RollupItem.query(campaign_key(three_days), RollupItem.sk.startswith("ROLLUP#")):
        rolled.delete()  # the table is the module's: start from days that were never rolled up
    query = CounterItem.query.__func__
    made = []

    def counted(cls, *args, **kwargs):  # CounterItem's and RollupItem's, each for its own class
        made.append(args)
        return query(cls, *args, **kwargs)

    monkeypatch.setattr(CounterItem, "query", classmethod(counted))
    first = read_range(three_days, start, end)
    assert len(made) == queries + 1
    made.clear()
    again = read_range(three_days, start, end)
    assert len(made) == queries
    assert sum_items(item for _, item in again.periods) == sum_items(item for _, item in first.periods)
