"""Cost per click, connected listener, weighted stream and new listener: figures computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from soundlink.analytics.cost import Period, cost_of, spend_in_range
from soundlink.campaigns.spend import Spend

MAR = datetime(2026, 3, 1, tzinfo=UTC)


def day(n: int, hours: int = 0) -> datetime:
    return MAR + timedelta(days=n - 1, hours=hours)


TEN_DAYS = (day(1), day(11))  # Mar 1 to Mar 11
LATER = day(20)


def period(start: datetime, end: datetime, *, campaign=TEN_DAYS, now: datetime = LATER) -> Period:
    return Period(campaign_start=campaign[0], campaign_end=campaign[1], start=start, end=end, now=now)


def figures(spend: Spend | None, when: Period, **counts):
    base = {"clicks": 60, "authorizations": 12, "weighted_streams": 7.5, "new_listeners": 5}
    return cost_of(spend, when, **{**base, **counts})


def test_no_spend_no_cost():
    assert figures(None, period(day(1), day(11))) is None


def test_per_day_over_a_sub_range_counts_its_days():
    # 10.00 a day, 3 days (Mar 3 to Mar 6): 30.00; / 60 clicks, 12 connected, 7.5 weighted, 5 new.
    cost = figures(Spend("EUR", per_day=Decimal("10.00")), period(day(3), day(6)))
    assert cost.spend == "30.00"
    assert cost.days == 3
    assert cost.basis == "per_day"
    assert (cost.per_click, cost.per_connected_listener, cost.per_weighted_stream, cost.per_new_listener) == (
        "0.5000",
        "2.5000",
        "4.0000",
        "6.0000",
    )


def test_per_day_is_clipped_to_the_campaigns_dates():
    # Mar 9 to Mar 20, campaign ends Mar 11: 2 days.
    assert figures(Spend("EUR", per_day=Decimal("10")), period(day(9), day(20))).spend == "20.00"
    # Feb 20 to Mar 2, campaign starts Mar 1: 1 day.
    assert figures(Spend("EUR", per_day=Decimal("10")), period(day(-8), day(2))).spend == "10.00"
    # Wholly before the campaign: nothing spent, so every unit cost is 0.
    before = figures(Spend("EUR", per_day=Decimal("10")), period(day(-8), day(1)))
    assert (before.spend, before.days, before.per_click) == ("0.00", 0, "0.0000")


def test_per_day_counts_part_days_in_proportion():
    assert figures(Spend("EUR", per_day=Decimal("10")), period(day(3), day(3, hours=12))).spend == "5.00"


def test_an_open_ended_campaign_runs_per_day_until_now():
    open_ended = period(day(1), day(30), campaign=(day(1), None), now=day(5))
    assert figures(Spend("EUR", per_day=Decimal("10")), open_ended).spend == "40.00"


def test_a_total_is_spread_over_the_campaigns_days():
    total = Spend("EUR", total=Decimal("300"))
    # 10-day campaign: 3 days are 3/10 of it.
    assert figures(total, period(day(3), day(6))).spend == "90.00"
    # A range that covers the whole campaign (and more) gets all of it, never more.
    assert figures(total, period(day(-30), day(40))).spend == "300.00"
    assert figures(total, period(day(1), day(11))).spend == "300.00"


def test_an_open_ended_total_is_spread_up_to_now():
    total = Spend("EUR", total=Decimal("300"))
    assert figures(total, period(day(1), day(5), campaign=(day(1), None), now=day(5))).spend == "300.00"
    assert figures(total, period(day(3), day(5), campaign=(day(1), None), now=day(5))).spend == "150.00"


def test_a_campaign_without_a_day_yet_counts_its_whole_total():
    moment = day(3)
    assert spend_in_range(Decimal("300"), False, period(day(1), day(5), campaign=(moment, None), now=moment)) == 300
    # Made half a second ago, listed now: all of it so far, no division by a zero-day campaign.
    young = period(moment, moment + timedelta(hours=1), campaign=(moment, None), now=moment + timedelta(seconds=0.5))
    assert figures(Spend("EUR", total=Decimal("300")), young).spend == "300.00"


@pytest.mark.parametrize("field", ["clicks", "authorizations", "weighted_streams", "new_listeners"])
def test_a_zero_denominator_is_null_never_an_error(field):
    cost = figures(Spend("EUR", total=Decimal("300")), period(day(1), day(11)), **{field: 0})
    name = {
        "clicks": "per_click",
        "authorizations": "per_connected_listener",
        "weighted_streams": "per_weighted_stream",
        "new_listeners": "per_new_listener",
    }[field]
    assert getattr(cost, name) is None
    assert cost.spend == "300.00"


def test_amounts_stay_exact_decimals():
    # 0.10 a day for 3 days is 0.30, not 0.30000000000000004; / 7 weighted streams 0.042857 -> 0.0429.
    cost = figures(Spend("USD", per_day=Decimal("0.10")), period(day(3), day(6)), weighted_streams=7.0)
    assert cost.spend == "0.30"
    assert cost.per_weighted_stream == "0.0429"


def test_a_currency_without_cents_rounds_to_its_own_places():
    cost = figures(Spend("JPY", per_day=Decimal("1000")), period(day(3), day(6)), weighted_streams=7.0)
    assert cost.spend == "3000"
    assert cost.per_weighted_stream == "428.57"  # 3000 / 7, two places past the yen


def test_each_source_is_divided_by_its_own_clicks_and_streams():
    spend = Spend("EUR", total=Decimal("300"), by_source={"instagram": Decimal("100"), "tiktok": Decimal("50")})
    cost = cost_of(
        spend,
        period(day(1), day(11)),
        clicks=60,
        authorizations=12,
        weighted_streams=7.5,
        new_listeners=5,
        sources={"instagram": (40, 8.0), "newsletter": (20, 2.0)},
    )
    rows = {row.source: row for row in cost.by_source}
    assert (rows["instagram"].spend, rows["instagram"].per_click, rows["instagram"].per_stream) == (
        "100.00",
        "2.5000",
        "12.5000",
    )
    # No click came from tiktok: its cost per click is unknown, not zero or infinite.
    assert (rows["tiktok"].clicks, rows["tiktok"].per_click, rows["tiktok"].per_stream) == (0, None, None)
