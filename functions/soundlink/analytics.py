"""Campaign analytics from the pre-aggregated counters alone (never raw clicks or plays).

A request reads two Query pages of the campaign's counter partition: the
totals (8 shards) and one model's credit per confidence bucket (10 buckets x
8 shards). Its cost does not grow with the number of clicks or plays.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from pydantic import BaseModel, Field

from soundlink.counters import campaign_key
from soundlink.models import CounterItem

CONFIDENCE_STEPS = 10  # min_confidence is a multiple of 0.1 (the counters' buckets)


class Totals(BaseModel):
    clicks: int = Field(description="Clicks by people (bots and prefetches excluded)")
    unique_clicks: int = Field(description="First click of a visitor on a UTC day")
    bot_clicks: int = Field(description="Bots, link previews and HEAD requests")
    authorizations: int = Field(description="Listeners who connected Spotify")
    declined: int = Field(description="Listeners who declined on Spotify's consent page")
    conversion_rate: float = Field(description="authorizations / clicks: the share of clicks that connected Spotify")
    streams: float = Field(description="Attributed plays credited to this campaign under the model")
    weighted_streams: float = Field(description="streams weighted by their confidence")
    listeners: int = Field(description="Listeners with at least one attributed play (any confidence)")
    attributed_plays: int = Field(description="Plays attributed to this campaign, whatever the model's credit")
    possible_gaps: int = Field(description="Polls that found 50 new plays: some plays may have been missed")


class Analytics(BaseModel):
    campaign_id: str
    model: str
    min_confidence: float
    totals: Totals


def _sum(items: list[CounterItem]) -> dict[str, Decimal]:
    summed: dict[str, Decimal] = defaultdict(Decimal)
    for item in items:
        for name, value in item.attribute_values.items():
            if name not in ("pk", "sk") and value is not None:
                summed[name] += Decimal(str(value))
    return summed


def campaign_analytics(campaign_id: str, *, model: str, min_confidence: float) -> Analytics:
    pk = campaign_key(campaign_id)
    totals = _sum(list(CounterItem.query(pk, CounterItem.sk.startswith("TOTAL#"))))
    floor = round(min_confidence * CONFIDENCE_STEPS)
    credited = [
        item
        for item in CounterItem.query(pk, CounterItem.sk.startswith(f"MODEL#{model}#C"))
        if int(item.sk.split("#")[2].removeprefix("C")) >= floor
    ]
    credit = _sum(credited)

    def count(name: str) -> int:
        return int(totals[name])

    clicks, authorizations = count("clicks"), count("authorizations")
    return Analytics(
        campaign_id=campaign_id,
        model=model,
        min_confidence=min_confidence,
        totals=Totals(
            clicks=clicks,
            unique_clicks=count("unique_clicks"),
            bot_clicks=count("bot_clicks"),
            authorizations=authorizations,
            declined=count("declined"),
            conversion_rate=round(authorizations / clicks, 4) if clicks else 0.0,
            streams=round(float(credit["streams"]), 3),
            weighted_streams=round(float(credit["weighted_streams"]), 3),
            listeners=count("listeners"),
            attributed_plays=count("attributed_plays"),
            possible_gaps=count("possible_gaps"),
        ),
    )
