"""campaigns.campaign's rules at their bounds: when a tracker may start consents, which strings
can be slugs, and which periods are valid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from soundlink.campaigns.campaign import (
    SLUG_ALPHABET,
    SLUG_LENGTH,
    AttributionModel,
    Campaign,
    CampaignStatus,
    check_period,
    is_slug,
    tracker_url,
)

START = datetime(2026, 12, 1, tzinfo=UTC)
END = datetime(2026, 12, 31, tzinfo=UTC)
TICK = timedelta(microseconds=1)


def campaign(*, status=CampaignStatus.ACTIVE, starts_at=START, ends_at=END) -> Campaign:
    return Campaign(
        id="c1",
        owner_id="o1",
        name="n",
        slug="23456789ab",
        playlist_id="37i9dQZF1DXcBWIGoYBM5M",
        destination_url="https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M",
        attribution_window_days=14,
        attribution_model=AttributionModel.LAST_TOUCH,
        starts_at=starts_at,
        ends_at=ends_at,
        status=status,
        created_at=START,
        updated_at=START,
    )


@pytest.mark.parametrize(
    ("at", "accepts"),
    [(START - TICK, False), (START, True), (START + TICK, True), (END - TICK, True), (END, False), (END + TICK, False)],
    ids=["before-start", "at-start", "after-start", "before-end", "at-end", "after-end"],
)
def test_consents_start_at_starts_at_and_stop_at_ends_at(at, accepts):
    assert campaign().accepts_new_consents(at) is accepts


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "at", "accepts"),
    [
        (None, None, START, True),
        (None, END, END - TICK, True),
        (None, END, END, False),
        (START, None, START - TICK, False),
        (START, None, START + timedelta(days=3650), True),
    ],
    ids=["open", "no-start", "no-start-at-end", "no-end-before-start", "no-end-years-later"],
)
def test_an_open_ended_period(starts_at, ends_at, at, accepts):
    assert campaign(starts_at=starts_at, ends_at=ends_at).accepts_new_consents(at) is accepts


def test_an_archived_campaign_accepts_nothing_even_inside_its_period():
    assert not campaign(status=CampaignStatus.ARCHIVED, starts_at=None, ends_at=None).accepts_new_consents(START)


@pytest.mark.parametrize(
    "value",
    ["23456789ab", "zzzzzzzzzz", SLUG_ALPHABET[:SLUG_LENGTH], SLUG_ALPHABET[-SLUG_LENGTH:]],
)
def test_slugs(value):
    assert is_slug(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "23456789a",  # one short
        "23456789abc",  # one long
        "23456789a0",  # 0, 1, i, l and o are never issued
        "23456789a1",
        "23456789ai",
        "23456789al",
        "23456789ao",
        "23456789aB",  # upper case
        "23456789a-",
        "23456789a/",
        "23456789a ",
        "2345678\uff19a",  # a full-width digit
    ],
)
def test_not_slugs(value):
    assert not is_slug(value)


def test_the_tracker_url():
    assert tracker_url("https://api.example", "23456789ab") == "https://api.example/c/23456789ab"


@pytest.mark.parametrize(
    ("starts_at", "ends_at"),
    [(START, START + TICK), (None, None), (START, None), (None, END), (None, START - timedelta(days=1))],
)
def test_valid_periods(starts_at, ends_at):
    check_period(starts_at, ends_at)


@pytest.mark.parametrize("ends_at", [START, START - TICK, START - timedelta(days=400)])
def test_a_period_that_does_not_end_after_it_starts_is_refused(ends_at):
    with pytest.raises(ValueError) as raised:
        check_period(START, ends_at)
    assert str(raised.value) == "ends_at must be later than starts_at"  # the 400's message, as the owner reads it
