"""Count the click-stream batches that count_clicks gave up on (ClickCountDeadLetters).

    .venv/bin/python -m scripts.recount_clicks --endpoint aws          # every parked batch
    .venv/bin/python -m scripts.recount_clicks --list --endpoint aws   # only what waits

Lambda's on-failure destination receives a description of each batch it gave up
on (`DDBStreamBatchInfo`: the stream, the shard, the first and last sequence
numbers), not the records. This reads those records from the stream again (a
stream keeps them 24 hours: recount within a day of the alarm) and counts them
with count_clicks' own code, so the checkpoints skip whatever was counted
before. A batch whose records are gone stays in the queue and is reported: its
clicks are stored (the export holds them) but not in the counters. Against the
local cloud by default (`--endpoint http://127.0.0.1:5000`, moto).
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import UTC, datetime
from typing import Any

import boto3

from local.streams import lambda_record

QUEUE_SUFFIX = "ClickCountDeadLetters"


def batch_records(streams: Any, info: dict[str, Any]) -> list[dict[str, Any]]:
    """The stream records of one parked batch, as Lambda's event holds them ([] when expired)."""
    first, last = int(info["startSequenceNumber"]), int(info["endSequenceNumber"])
    iterator = streams.get_shard_iterator(
        StreamArn=info["streamArn"],
        ShardId=info["shardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=info["startSequenceNumber"],
    )["ShardIterator"]
    records: list[dict[str, Any]] = []
    while iterator:
        answer = streams.get_records(ShardIterator=iterator, Limit=1000)
        page = answer.get("Records", [])
        records += [r for r in page if first <= int(r["dynamodb"]["SequenceNumber"]) <= last]
        if not page or int(page[-1]["dynamodb"]["SequenceNumber"]) >= last:
            break
        iterator = answer.get("NextShardIterator")
    return [lambda_record(record, info["streamArn"]) for record in records]


def recount(sqs: Any, streams: Any, queue_url: str, *, now: datetime) -> tuple[int, int]:
    """Count every parked batch whose records can still be read; returns (batches counted, left)."""
    from soundlink.tracking.counting import count_clicks

    counted = left = 0
    seen: set[str] = set()
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=60).get(
            "Messages", []
        )
        fresh = [m for m in messages if m["MessageId"] not in seen]
        if not fresh:
            return counted, left
        for message in fresh:
            seen.add(message["MessageId"])
            info = json.loads(message["Body"]).get("DDBStreamBatchInfo") or {}
            records = batch_records(streams, info) if info else []
            if not records:
                left += 1  # expired from the stream (or not a batch description): stays for a person
                continue
            done = count_clicks(records, now=now)
            if done.retry_from is not None:
                left += 1
                continue
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            counted += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.recount_clicks")
    parser.add_argument("--list", action="store_true", help="only count the parked batches")
    parser.add_argument("--endpoint", default=os.environ.get("SOUNDLINK_MOTO_URL", "http://127.0.0.1:5000"))
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", "us-east-1"))
    args = parser.parse_args(argv)
    options: dict[str, Any] = {"region_name": args.region}
    if args.endpoint != "aws":
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
        options["endpoint_url"] = args.endpoint
    sqs = boto3.client("sqs", **options)
    urls = [u for u in sqs.list_queues().get("QueueUrls", []) if QUEUE_SUFFIX in u.rsplit("/", 1)[-1]]
    if not urls:
        parser.error(f"no queue named *{QUEUE_SUFFIX}*")
    if args.list:
        for url in urls:
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
            print(f"{url.rsplit('/', 1)[-1]}: {attributes['Attributes']['ApproximateNumberOfMessages']}")
        return 0
    from soundlink.platform.settings import get_settings
    from soundlink.platform.tables import bind_tables

    bind_tables(get_settings())  # EVENTS_TABLE and STATS_TABLE name the deployment's tables
    streams = boto3.client("dynamodbstreams", **options)
    for url in urls:
        counted, left = recount(sqs, streams, url, now=datetime.now(UTC))
        print(f"{url.rsplit('/', 1)[-1]}: {counted} batch(es) counted, {left} left (see the module's docstring)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
