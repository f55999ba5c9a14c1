"""Which tracks got new saves: per track, the people with a new save of it.

Layout (StatsTable, the campaign's partition): items SAVED#{chunk}#{shard}, one
number attribute per track (``track:{id}``), added to in the same transaction
that marks a listener's new saves counted (attribution/fans.py). The shard is
the listener's (as for TOTAL#); the chunk splits one check's new tracks into
groups of at most TRACKS_PER_ITEM, so an end-of-window check that finds 400 new
saves writes 4 counter items, not 400: the transaction stays far under
DynamoDB's 100 items and each update expression under its 4 KB. A track's count
may sit in several chunks and shards; the reader sums them all (at most
COUNTER_SHARDS x ceil(400 / TRACKS_PER_ITEM) = 32 small items: one Query).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pynamodb.expressions.operand import Path

from soundlink.platform.counters import campaign_key, shard_of
from soundlink.platform.tables import CounterItem, shared_connection

PREFIX = "SAVED#"
TRACKS_PER_ITEM = 100
ATTRIBUTE = "track:"


def updates(campaign_id: str, account_id: str, track_ids: Iterable[str]) -> list[tuple[CounterItem, list[Any]]]:
    """The counter items and ADD actions that count one person once under each of `track_ids`."""
    ids = sorted(set(track_ids))
    shard = shard_of(account_id)
    found = []
    for start in range(0, len(ids), TRACKS_PER_ITEM):
        chunk = ids[start : start + TRACKS_PER_ITEM]
        item = CounterItem(campaign_key(campaign_id), f"{PREFIX}{start // TRACKS_PER_ITEM}#{shard}")
        found.append((item, [Path([f"{ATTRIBUTE}{track_id}"]).add({"N": "1"}) for track_id in chunk]))
    return found


def people_per_track(campaign_id: str) -> dict[str, int]:
    """{track id: people with a new save of it}, summed over the campaign's SAVED# items."""
    client = shared_connection(CounterItem.Meta.region, CounterItem.Meta.host).client
    pages = client.get_paginator("query").paginate(
        TableName=CounterItem.Meta.table_name,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues={":pk": {"S": campaign_key(campaign_id)}, ":prefix": {"S": PREFIX}},
        ConsistentRead=False,
    )
    people: dict[str, int] = {}
    for page in pages:
        for item in page["Items"]:
            for name, value in item.items():
                if name.startswith(ATTRIBUTE) and "N" in value:
                    track_id = name.removeprefix(ATTRIBUTE)
                    people[track_id] = people.get(track_id, 0) + int(value["N"])
    return people
