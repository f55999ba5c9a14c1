"""Move the whole-campaign breakdown, track, model and confidence counters to day counters.

    .venv/bin/python -m scripts.migrate_day_counters --table soundlink-StatsTable-XYZ            # local cloud
    .venv/bin/python -m scripts.migrate_day_counters --table soundlink-StatsTable-XYZ --endpoint aws

Since issue 15 these counters are kept per UTC day (DAY#{day}#DIM#..., DAY#{day}#TRACK#...,
DAY#{day}#MODEL#..., DAY#{day}#CONF#...: soundlink/platform/counters.py) so that a date
range bounds every figure. Counters written before that (DIM#..., TRACK#..., MODEL#...,
CONF#..., no day) cannot be split into the days they came from, so each is added to the
same counter on its campaign's first day with counters (its earliest DAY# item; without
one, the day of the migration). Whole-campaign figures stay exact; a range that leaves out
the campaign's first day leaves out what was counted before the upgrade, and a range
that holds it shows all of it on that day.

Exactly once and idempotent: each old item moves in one transaction that adds its numbers
to the day counter and deletes it on condition that it still holds exactly what was read.
Run again, or after an interruption, it moves only what is left; a counter still being
written by the old code (deploy first) is read again and retried. Scans the table once
(an operator's one-off, never a request path).
"""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

OLD_PREFIXES = ("DIM#", "TRACK#", "MODEL#", "CONF#")
ATTEMPTS = 5


def old_counters(client: Any, table: str) -> list[dict]:
    """Every whole-campaign DIM#, TRACK#, MODEL#, CONF# item (a paginated, filtered Scan)."""
    found: list[dict] = []
    condition = " OR ".join(f"begins_with(sk, :p{n})" for n in range(len(OLD_PREFIXES)))
    values = {f":p{n}": {"S": prefix} for n, prefix in enumerate(OLD_PREFIXES)}
    for page in client.get_paginator("scan").paginate(
        TableName=table, FilterExpression=condition, ExpressionAttributeValues=values, ConsistentRead=True
    ):
        found += page["Items"]
    return found


def first_day(client: Any, table: str, pk: str, today: str) -> str:
    """The campaign's earliest day with a DAY# counter, else `today`."""
    answer = client.query(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :day)",
        ExpressionAttributeValues={":pk": {"S": pk}, ":day": {"S": "DAY#"}},
        Limit=1,
        ConsistentRead=True,
    )
    items = answer.get("Items") or []
    return items[0]["sk"]["S"].split("#")[1] if items else today


def move(client: Any, table: str, item: dict, day: str) -> bool:
    """Add one old item's numbers to its day counter and delete it, in one transaction.
    False when it was gone (moved before)."""
    pk, sk = item["pk"]["S"], item["sk"]["S"]
    numbers = {name: value["N"] for name, value in item.items() if "N" in value}
    labels = {name: value["S"] for name, value in item.items() if "S" in value and name not in ("pk", "sk")}
    names = {f"#a{n}": name for n, name in enumerate(sorted(numbers) + sorted(labels))}
    by_name = {name: alias for alias, name in names.items()}
    values: dict[str, dict] = {}
    adds, sets, same = [], [], ["attribute_exists(pk)"]
    for name, number in sorted(numbers.items()):
        values[f":n{by_name[name][2:]}"] = {"N": number}
        adds.append(f"{by_name[name]} :n{by_name[name][2:]}")
        same.append(f"{by_name[name]} = :n{by_name[name][2:]}")
    for name, text in sorted(labels.items()):
        values[f":s{by_name[name][2:]}"] = {"S": text}
        sets.append(f"{by_name[name]} = :s{by_name[name][2:]}")
    expression = " ".join(
        part for part in (f"ADD {', '.join(adds)}" if adds else "", f"SET {', '.join(sets)}" if sets else "") if part
    )
    operations: list[dict] = []
    if expression:
        operations.append(
            {
                "Update": {
                    "TableName": table,
                    "Key": {"pk": {"S": pk}, "sk": {"S": f"DAY#{day}#{sk}"}},
                    "UpdateExpression": expression,
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": values,
                }
            }
        )
    delete_names = {alias: name for alias, name in names.items() if name in numbers}
    delete_values = {key: value for key, value in values.items() if key.startswith(":n")}
    delete: dict[str, Any] = {
        "TableName": table,
        "Key": {"pk": {"S": pk}, "sk": {"S": sk}},
        "ConditionExpression": " AND ".join(same),
    }
    if delete_names:
        delete["ExpressionAttributeNames"] = delete_names
        delete["ExpressionAttributeValues"] = delete_values
    operations.append({"Delete": delete})
    try:
        client.transact_write_items(TransactItems=operations)
    except ClientError as error:
        if error.response["Error"]["Code"] == "TransactionCanceledException":
            return False
        raise
    return True


def migrate(client: Any, table: str, *, today: str | None = None) -> dict[str, int]:
    """Move every old counter; {"moved": n, "skipped": n}. Idempotent."""
    today = today or datetime.now(UTC).strftime("%Y-%m-%d")
    moved = skipped = 0
    days: dict[str, str] = {}
    for item in old_counters(client, table):
        pk = item["pk"]["S"]
        day = days.setdefault(pk, first_day(client, table, pk, today))
        for _attempt in range(ATTEMPTS):
            if move(client, table, item, day):
                moved += 1
                break
            fresh = client.get_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]}, ConsistentRead=True)
            if "Item" not in fresh:  # moved by an earlier or concurrent run
                skipped += 1
                break
            item = fresh["Item"]  # still written by the old code: move what it holds now
        else:
            raise RuntimeError(f"{pk} {item['sk']['S']} kept changing; deploy the new code first, then run again")
    return {"moved": moved, "skipped": skipped}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.migrate_day_counters")
    parser.add_argument("--table", required=True, help="the StatsTable's physical name")
    parser.add_argument("--endpoint", default=os.environ.get("SOUNDLINK_MOTO_URL", "http://127.0.0.1:5000"))
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", "us-east-1"))
    args = parser.parse_args(argv)
    if args.endpoint == "aws":
        client = boto3.client("dynamodb", region_name=args.region)
    else:
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
        client = boto3.client("dynamodb", region_name=args.region, endpoint_url=args.endpoint)
    result = migrate(client, args.table)
    print(f"{result['moved']} counter item(s) moved to day counters, {result['skipped']} already moved")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
