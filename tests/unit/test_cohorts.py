"""The cohort weeks: which week after the first click a play falls in, and how wide the table is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from soundlink.attribution.cohorts import counter_key, week_after, week_start, weeks_of

CLICK = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # a Sunday, late
MS = timedelta(milliseconds=1)


@pytest.mark.parametrize(("days", "weeks"), [(1, 1), (7, 1), (8, 2), (14, 2), (15, 3), (28, 4), (90, 13)])
def test_the_table_reaches_as_far_as_the_window(days, weeks):
    assert weeks_of(days) == weeks


def test_a_cohort_starts_on_the_monday_of_the_first_click_in_utc():
    assert week_start(CLICK) == "2026-02-23"
    assert week_start(CLICK + timedelta(minutes=30)) == "2026-03-02"  # Monday 00:00 UTC
    # 00:30 on Monday in UTC+1 is still Sunday in UTC.
    assert week_start(datetime(2026, 3, 2, 0, 30, tzinfo=timezone(timedelta(hours=1)))) == "2026-02-23"


@pytest.mark.parametrize(
    ("after", "week"),
    [
        (-MS, None),
        (timedelta(0), None),  # the click itself: attribution starts after it
        (MS, 1),
        (timedelta(days=7), 1),
        (timedelta(days=7) + MS, 2),
        (timedelta(days=14), 2),
        (timedelta(days=14) + MS, None),  # past a 14-day window's two weeks
    ],
)
def test_the_week_after_the_click(after, week):
    assert week_after(CLICK, CLICK + after, 14) == week


def test_counter_keys_name_the_cohort_the_week_and_the_shard():
    assert counter_key(CLICK, None, 3) == "COHORT#2026-02-23#ALL#3"
    assert counter_key(CLICK, 2, 0) == "COHORT#2026-02-23#W2#0"
