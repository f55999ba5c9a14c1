"""When a listener is polled next (soundlink/polling/cadence.py): base, quiet doubling, the 25-minute ceiling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from soundlink.polling.cadence import MAX_INTERVAL, next_poll

NOW = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
BASE = timedelta(minutes=5)


def test_the_ceiling_is_50_plays_of_30_seconds():
    assert timedelta(minutes=25) == MAX_INTERVAL == 50 * timedelta(seconds=30)


@pytest.mark.parametrize("quiet_polls", [0, 1, 3, 37, 1000])
@pytest.mark.parametrize("new_plays", [1, 50])
def test_new_plays_poll_again_after_the_base_and_reset_the_quiet_count(new_plays, quiet_polls):
    assert next_poll(NOW, new_plays=new_plays, quiet_polls=quiet_polls, base=BASE) == (NOW + BASE, 0)


def test_quiet_polls_count_up_one_by_one_and_double_the_wait():
    quiet = 0
    waits = []
    counts = []
    for _ in range(3):
        when, quiet = next_poll(NOW, new_plays=0, quiet_polls=quiet, base=timedelta(minutes=1))
        waits.append(when - NOW)
        counts.append(quiet)
    assert counts == [1, 2, 3]
    assert waits == [timedelta(minutes=2), timedelta(minutes=4), timedelta(minutes=8)]


def test_quiet_waits_stop_at_the_ceiling_exactly():
    base = timedelta(minutes=5)
    # 5 min x 2 = 10, x 4 = 20, x 8 = 40 -> 25
    assert next_poll(NOW, new_plays=0, quiet_polls=0, base=base) == (NOW + timedelta(minutes=10), 1)
    assert next_poll(NOW, new_plays=0, quiet_polls=1, base=base) == (NOW + timedelta(minutes=20), 2)
    assert next_poll(NOW, new_plays=0, quiet_polls=2, base=base) == (NOW + MAX_INTERVAL, 3)
    # A base whose double is exactly the ceiling reaches it, not beyond.
    assert next_poll(NOW, new_plays=0, quiet_polls=0, base=MAX_INTERVAL / 2) == (NOW + MAX_INTERVAL, 1)


@pytest.mark.parametrize("base", [MAX_INTERVAL, MAX_INTERVAL + timedelta(microseconds=1), timedelta(days=3650)])
def test_a_base_at_or_above_the_ceiling_is_capped_for_active_and_quiet_listeners(base):
    assert next_poll(NOW, new_plays=3, quiet_polls=0, base=base) == (NOW + MAX_INTERVAL, 0)
    assert next_poll(NOW, new_plays=0, quiet_polls=0, base=base) == (NOW + MAX_INTERVAL, 1)


def test_the_wait_never_exceeds_the_ceiling_over_a_month_of_quiet_polls():
    """A listener who never plays during a 28-day window is polled every 25 min: ~1,600 quiet polls.

    Each poll must still be scheduled (at most 25 min ahead); the count keeps growing.
    """
    quiet = 0
    for poll in range(1, 28 * 24 * 60 // 25 + 1):
        when, quiet = next_poll(NOW, new_plays=0, quiet_polls=quiet, base=BASE)
        assert quiet == poll
        assert NOW < when <= NOW + MAX_INTERVAL


@pytest.mark.parametrize("quiet_polls", [37, 38, 39, 64, 1000])
def test_many_quiet_polls_are_capped_not_an_error(quiet_polls):
    assert next_poll(NOW, new_plays=0, quiet_polls=quiet_polls, base=BASE) == (NOW + MAX_INTERVAL, quiet_polls + 1)


@pytest.mark.parametrize("quiet_polls", [0, 1, 10, 1000])
@pytest.mark.parametrize("new_plays", [0, 1])
def test_a_zero_base_polls_again_at_once(new_plays, quiet_polls):
    when, quiet = next_poll(NOW, new_plays=new_plays, quiet_polls=quiet_polls, base=timedelta(0))
    assert when == NOW
    assert quiet == (0 if new_plays else quiet_polls + 1)


def test_the_result_keeps_the_timezone_and_microseconds_of_now():
    when, _ = next_poll(NOW, new_plays=1, quiet_polls=0, base=timedelta(seconds=1))
    assert when.tzinfo is UTC
    assert when.microsecond == NOW.microsecond
