"""Build the days' people sketches of campaigns from their stored attributions.

    .venv/bin/python -m scripts.backfill_people --data-table <DataTable> --stats-table <StatsTable>             # local
    .venv/bin/python -m scripts.backfill_people --data-table <DataTable> --stats-table <StatsTable> --endpoint aws

Since issue 15 a range's listeners are merged from one sketch per campaign and UTC day
(DAY#{day}#PEOPLE: soundlink/platform/people.py), written by attribution from then on.
Days credited before the upgrade have none, so a range over them counts only the people
whose first play fell in it. This puts each attribution's listener (its pseudonymous
`listener_key`, as attribution does) into its campaign's sketch of the day played.

Idempotent: adding a person already in a sketch changes nothing, so it can run again, or
while attribution writes (the sketch's version keeps concurrent writers apart). Each settled
day it visits gets a late write on its roll-up (`late_writes`, platform/counters.py), so a
roll-up made before the backfill, without the sketch, is redone by the next analytics read. Scans the
DataTable for campaigns and queries each one's attributions: an operator's one-off, never
a request path.
"""

from __future__ import annotations

import argparse
import os
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import boto3


def campaign_ids(client: Any, data_table: str) -> list[str]:
    """Every campaign's id (a paginated, filtered Scan)."""
    found: list[str] = []
    for page in client.get_paginator("scan").paginate(
        TableName=data_table,
        FilterExpression="sk = :campaign AND begins_with(pk, :prefix)",
        ExpressionAttributeValues={":campaign": {"S": "CAMPAIGN"}, ":prefix": {"S": "CAMPAIGN#"}},
        ProjectionExpression="pk",
    ):
        found += [item["pk"]["S"].removeprefix("CAMPAIGN#") for item in page["Items"]]
    return sorted(found)


def listeners_by_day(client: Any, data_table: str, campaign_id: str) -> dict[str, set[str]]:
    """{UTC day: listener keys} of the campaign's attributions (ATTR#{played_at}#{account})."""
    days: dict[str, set[str]] = defaultdict(set)
    for page in client.get_paginator("query").paginate(
        TableName=data_table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :attr)",
        ExpressionAttributeValues={":pk": {"S": f"CAMPAIGN#{campaign_id}"}, ":attr": {"S": "ATTR#"}},
        ProjectionExpression="sk, listener_key",
    ):
        for item in page["Items"]:
            key = item.get("listener_key", {}).get("S")
            if key:
                days[item["sk"]["S"][len("ATTR#") : len("ATTR#") + 10]].add(key)
    return days


def backfill(client: Any, data_table: str) -> dict[str, int]:
    """Adds every campaign's attributed listeners to its days' sketches; returns what it did."""
    from soundlink.platform.people import add_people

    done = {"campaigns": 0, "days": 0, "written": 0}
    for campaign_id in campaign_ids(client, data_table):
        done["campaigns"] += 1
        for day, keys in sorted(listeners_by_day(client, data_table, campaign_id).items()):
            done["days"] += 1
            done["written"] += add_people(campaign_id, day, keys)
            outdate_rollup(campaign_id, day)
    return done


def outdate_rollup(campaign_id: str, day: str) -> None:
    """Mark the day's roll-up (if the day may have one) as missing a write: the next read redoes it."""
    from soundlink.platform.counters import campaign_key, late_marker
    from soundlink.platform.tables import CounterItem

    marker = late_marker(datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC))
    if marker:
        CounterItem(campaign_key(campaign_id), marker).update(actions=[CounterItem.late_writes.add(1)])


def _bind(stats_table: str, region: str, endpoint: str | None) -> None:
    from soundlink.platform.tables import CounterItem, PeopleSketchItem

    CounterItem.Meta.table_name = stats_table  # PeopleSketchItem shares CounterItem's Meta
    CounterItem.Meta.region = region
    CounterItem.Meta.host = endpoint
    for model in (CounterItem, PeopleSketchItem):
        model._connection = None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.backfill_people")
    parser.add_argument("--data-table", required=True, help="the DataTable's physical name")
    parser.add_argument("--stats-table", required=True, help="the StatsTable's physical name")
    parser.add_argument("--endpoint", default=os.environ.get("SOUNDLINK_MOTO_URL", "http://127.0.0.1:5000"))
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", "us-east-1"))
    args = parser.parse_args(argv)
    if args.endpoint == "aws":
        client = boto3.client("dynamodb", region_name=args.region)
        _bind(args.stats_table, args.region, None)
    else:
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
        client = boto3.client("dynamodb", region_name=args.region, endpoint_url=args.endpoint)
        _bind(args.stats_table, args.region, args.endpoint)
    done = backfill(client, args.data_table)
    print(
        f"{done['campaigns']} campaign(s), {done['days']} day(s) with attributions: "
        f"{done['written']} sketch(es) written, the rest already held their listeners"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
