"""The pre-aggregated counters analytics read: their keys, shards and updates.

Counters live in StatsTable under the campaign's partition:
  TOTAL#{shard}, HOUR#{yyyy-mm-ddThh}#{shard}, DAY#{yyyy-mm-dd}#{shard},
  DIM#{dimension}#{value}#{shard}.
Each counter is split over COUNTER_SHARDS items, chosen by a hash of the
event's id (the same event always lands on the same shard): one item takes
at most 1,000 writes per second, so a campaign's busiest counter can take
COUNTER_SHARDS times that. Readers sum the shards.

Updates are returned as parts of a DynamoDB transaction, so a counter moves
only together with the event it counts (exactly once, guarded by the event).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from pynamodb.transactions import TransactWrite

from soundlink.platform.tables import CounterItem

COUNTER_SHARDS = 8
NONE = "(none)"
# Where a click (and the consent it led to) came from; analytics break totals down by these.
CLICK_DIMENSIONS = ("referrer", "utm_source", "utm_medium", "utm_campaign", "device", "browser", "os", "country")
COUNTER_NAMES = frozenset(
    (
        "clicks",
        "unique_clicks",
        "bot_clicks",
        "prefetches",
        "consents_started",
        "suspicious_clicks",
        "connect_clicks",
        "just_play_clicks",
        "authorizations",
        "declined",
        "attributed_plays",
        "listeners",
        "possible_gaps",
        "streams",
        "weighted_streams",
        "new_listeners",
        "streams_last_touch",
        "streams_first_touch",
        "streams_linear",
        "streams_time_decay",
        "state_active",
        "state_idle",
        "state_reauth_required",
        "state_not_allowlisted",
    )
)


def shard_of(event_id: str) -> int:
    return int.from_bytes(hashlib.sha256(event_id.encode()).digest()[:4], "big") % COUNTER_SHARDS


def campaign_key(campaign_id: str) -> str:
    return f"CAMPAIGN#{campaign_id}"


def hour_of(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H")


def counter_sort_keys(at: datetime, dimensions: Mapping[str, str], shard: int) -> list[str]:
    keys = [f"TOTAL#{shard}", f"HOUR#{hour_of(at)}#{shard}", f"DAY#{at.astimezone(UTC).strftime('%Y-%m-%d')}#{shard}"]
    keys += [f"DIM#{name}#{dimensions.get(name) or NONE}#{shard}" for name in CLICK_DIMENSIONS if name in dimensions]
    return keys


def add_counts(
    transaction: TransactWrite,
    campaign_id: str,
    at: datetime,
    counts: Mapping[str, float],
    *,
    event_id: str,
    dimensions: Mapping[str, str] | None = None,
    also: Iterable[str] = (),
) -> int:
    """Add `counts` to the campaign's total, its hour, each dimension's value and
    each counter named in `also` (e.g. TRACK#{id}, CONF#{bucket}).

    Returns the number of counter items the transaction now updates.
    """
    shard = shard_of(event_id)
    keys = counter_sort_keys(at, dimensions or {}, shard) + [f"{name}#{shard}" for name in also]
    return sum(add_to(transaction, campaign_id, key, counts) for key in keys)


def add_to(
    transaction: TransactWrite,
    campaign_id: str,
    sort_key: str,
    counts: Mapping[str, float],
    *,
    labels: Mapping[str, str] | None = None,
) -> int:
    """Add `counts` to one counter item (its sort key already names the shard);
    `labels` are set as they are (e.g. a track's name on its TRACK# item)."""
    unknown = set(counts) - COUNTER_NAMES
    if unknown:
        raise ValueError(f"unknown counters: {sorted(unknown)}")
    actions = [getattr(CounterItem, name).add(n) for name, n in sorted(counts.items()) if n]
    actions += [getattr(CounterItem, name).set(value) for name, value in sorted((labels or {}).items()) if value]
    if not actions:
        return 0
    transaction.update(CounterItem(campaign_key(campaign_id), sort_key), actions=actions)
    return 1
