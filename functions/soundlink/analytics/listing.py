"""The campaign list's figures: the campaign page's headline numbers for many campaigns at once.

Read with BatchGetItem only (100 keys a call), never a Query per campaign nor a Scan: per
campaign its TOTAL shards (weighted streams under its model as `weighted_{model}`, as the
campaign page counts them with no confidence floor) and the DAY# shards of the last 7 UTC
days (the sparkline). The keys read depend on the number of campaigns, never on plays.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from soundlink.analytics.cost import Period, cost_of
from soundlink.analytics.report import _sum, fans_of
from soundlink.campaigns.campaign import Campaign
from soundlink.platform.counters import COUNTER_SHARDS, campaign_key
from soundlink.platform.tables import CounterItem

SPARKLINE_DAYS = 7


def _days(now: datetime) -> list[str]:
    today = now.astimezone(UTC).date()
    return [(today - timedelta(days=back)).isoformat() for back in range(SPARKLINE_DAYS - 1, -1, -1)]


def _keys(campaign: Campaign, days: list[str]) -> list[tuple[str, str]]:
    pk = campaign_key(campaign.id)
    keys = [(pk, f"TOTAL#{shard}") for shard in range(COUNTER_SHARDS)]
    keys += [(pk, f"DAY#{day}#{shard}") for day in days for shard in range(COUNTER_SHARDS)]
    return keys


def list_figures(campaigns: Iterable[Campaign], now: datetime) -> dict[str, dict]:
    """{campaign id: the fields of campaigns.schemas.Headline}."""
    wanted = list(campaigns)
    days = _days(now)
    keys = [key for campaign in wanted for key in _keys(campaign, days)]
    found: dict[str, dict[str, list[CounterItem]]] = defaultdict(lambda: defaultdict(list))
    for item in CounterItem.batch_get(keys):
        kind, _, rest = item.sk.partition("#")
        group = rest.rsplit("#", 1)[0] if kind == "DAY" else ""
        found[item.pk.removeprefix("CAMPAIGN#")][f"{kind}#{group}"].append(item)
    return {campaign.id: _figures(campaign, found[campaign.id], days, now) for campaign in wanted}


def _figures(campaign: Campaign, items: dict[str, list[CounterItem]], days: list[str], now: datetime) -> dict:
    model = campaign.attribution_model.value
    totals = _sum(items["TOTAL#"])
    clicks, authorizations = int(totals["clicks"]), int(totals["authorizations"])
    weighted = round(float(totals[f"weighted_{model}"]), 3)
    start = campaign.starts_at or campaign.created_at
    cost = cost_of(
        campaign.spend,
        Period(
            campaign_start=start,
            campaign_end=campaign.ends_at,
            start=start,
            end=campaign.ends_at or max(now, start),
            now=now,
        ),
        clicks=clicks,
        authorizations=authorizations,
        weighted_streams=weighted,
        new_listeners=int(totals["new_listeners"]),
    )
    return {
        "clicks": clicks,
        "listeners": int(totals["listeners"]),
        "streams": round(float(totals[f"streams_{model}"]), 3),
        "authorizations": authorizations,
        "connect_rate": round(authorizations / clicks, 4) if clicks else None,
        "weighted_streams": weighted,
        "new_listeners": int(totals["new_listeners"]),
        "cost_currency": cost.currency if cost else None,
        "cost_per_weighted_stream": cost.per_weighted_stream if cost else None,
        "fans": fans_of(totals).model_dump(exclude={"cohorts"}) if campaign.measure_fans else None,
        "last_7_days": [round(float(_sum(items[f"DAY#{day}"]).get(f"streams_{model}", Decimal(0))), 3) for day in days],
    }
