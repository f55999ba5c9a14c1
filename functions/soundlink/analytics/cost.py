"""What a campaign cost per click, per connected listener, per weighted stream and per new
listener, for the range the analytics were asked for.

How the spend of a range is counted:
- per_day: the amount times the days of the range that fall within the campaign (from its
  start — `starts_at`, else when it was created — to its end, else now); part days count
  in proportion (a 12-hour range is half a day).
- total: the amount is spread evenly over the campaign's days (start to end, or to now while
  it has no end); a range gets the share of the days it covers. A range that covers the whole
  campaign gets the whole amount.
- by_source: each source's amount follows the same rule, and is divided by that utm_source's
  clicks and streams.
Amounts stay Decimals; a figure whose denominator is zero is None ("—" on the page).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from pydantic import Field

from soundlink.campaigns.spend import CURRENCY_DIGITS, Spend
from soundlink.platform.schema import Schema

if TYPE_CHECKING:
    from soundlink.analytics.schemas import Analytics
    from soundlink.campaigns.campaign import Campaign

DAY = timedelta(days=1)
# Cost per unit is often below the currency's smallest coin (EUR 0.0042 a stream): two more places.
EXTRA_PLACES = 2


class SourceCost(Schema):
    source: str = Field(description="utm_source")
    spend: str
    clicks: int
    per_click: str | None
    streams: float
    per_stream: str | None


class Cost(Schema):
    """Decimal strings in `currency`; null where the denominator is zero."""

    currency: str
    basis: str = Field(description="total (spread over the campaign's days) or per_day")
    spend: str = Field(description="What the range cost (see the README: a sub-range gets its share of the days)")
    days: float = Field(description="Days of the range within the campaign's dates")
    per_click: str | None
    per_connected_listener: str | None
    per_weighted_stream: str | None
    per_new_listener: str | None
    by_source: list[SourceCost] = Field(default_factory=list)


@dataclass(frozen=True)
class Period:
    """The campaign's dates and the range asked for (end exclusive)."""

    campaign_start: datetime
    campaign_end: datetime | None
    start: datetime
    end: datetime
    now: datetime

    @property
    def campaign_until(self) -> datetime:
        return self.campaign_end or max(self.now, self.campaign_start)

    @property
    def covered(self) -> timedelta:
        """The part of the range within the campaign's dates."""
        low = max(self.start, self.campaign_start)
        high = min(self.end, self.campaign_until)
        return max(high - low, timedelta(0))


def _days(span: timedelta) -> Decimal:
    return Decimal(span // timedelta(microseconds=1)) / Decimal(86_400_000_000)


def spend_in_range(amount: Decimal, basis_per_day: bool, period: Period) -> Decimal:
    """The part of `amount` (a total, or a daily amount) that the range's days account for."""
    if basis_per_day:
        return amount * _days(period.covered)
    length = period.campaign_until - period.campaign_start
    if length <= timedelta(0):
        return amount  # a campaign without a day yet: its whole cost, wherever the range is
    return amount * min(Decimal(1), _days(period.covered) / _days(length))


def _money(value: Decimal, currency: str, extra: int = 0) -> str:
    return str(value.quantize(Decimal(1).scaleb(-(CURRENCY_DIGITS[currency] + extra)), rounding=ROUND_HALF_UP))


def _per(spend: Decimal, count: float, currency: str) -> str | None:
    denominator = Decimal(str(count))
    if denominator <= 0:
        return None
    return _money(spend / denominator, currency, EXTRA_PLACES)


def cost_of(
    spend: Spend | None,
    period: Period,
    *,
    clicks: int,
    authorizations: int,
    weighted_streams: float,
    new_listeners: int,
    sources: Mapping[str, tuple[int, float]] | None = None,
) -> Cost | None:
    """The cost figures of the range; None when no spend was entered. `sources` holds each
    utm_source's (clicks, streams) in the range."""
    if spend is None:
        return None
    per_day = spend.per_day is not None
    amount = spend_in_range(spend.amount, per_day, period)
    currency = spend.currency
    by_source = []
    for source, source_amount in spend.by_source.items():
        source_spend = spend_in_range(source_amount, per_day, period)
        source_clicks, source_streams = (sources or {}).get(source, (0, 0.0))
        by_source.append(
            SourceCost(
                source=source,
                spend=_money(source_spend, currency),
                clicks=source_clicks,
                per_click=_per(source_spend, source_clicks, currency),
                streams=source_streams,
                per_stream=_per(source_spend, source_streams, currency),
            )
        )
    return Cost(
        currency=currency,
        basis="per_day" if per_day else "total",
        spend=_money(amount, currency),
        days=round(float(_days(period.covered)), 3),
        per_click=_per(amount, clicks, currency),
        per_connected_listener=_per(amount, authorizations, currency),
        per_weighted_stream=_per(amount, weighted_streams, currency),
        per_new_listener=_per(amount, new_listeners, currency),
        by_source=by_source,
    )


def cost_of_report(campaign: Campaign, report: Analytics, now: datetime) -> Cost | None:
    """The cost figures of an analytics answer: its range and its totals (one computation, reused)."""
    totals = report.totals
    return cost_of(
        campaign.spend,
        Period(
            campaign_start=campaign.starts_at or campaign.created_at,
            campaign_end=campaign.ends_at,
            start=report.from_,
            end=report.to,
            now=now,
        ),
        clicks=totals.clicks,
        authorizations=totals.authorizations,
        weighted_streams=totals.weighted_streams,
        new_listeners=totals.new_listeners,
        sources={row.value: (row.clicks, row.streams) for row in report.breakdowns.get("utm_source", [])},
    )


def whole_campaign_cost(campaign: Campaign, now: datetime) -> tuple[str, str | None] | None:
    """(currency, cost per weighted stream) of the whole campaign under its own model, for the export."""
    if campaign.spend is None:
        return None
    from soundlink.analytics.ranges import read_range
    from soundlink.analytics.report import totals_of

    start = campaign.starts_at or campaign.created_at
    end = campaign.ends_at or max(now, start)
    found = read_range(campaign.id, start, max(end, now))
    totals, _ = totals_of(found, model=campaign.attribution_model.value, min_confidence=0.0, whole=True)
    cost = cost_of(
        campaign.spend,
        Period(campaign_start=start, campaign_end=campaign.ends_at, start=start, end=end, now=now),
        clicks=totals.clicks,
        authorizations=totals.authorizations,
        weighted_streams=totals.weighted_streams,
        new_listeners=totals.new_listeners,
    )
    return (cost.currency, cost.per_weighted_stream) if cost else None
