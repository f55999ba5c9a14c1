"""The click stream, counted in-process: what count_clicks does for every stored click (moto)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3

from local.streams import read_all


def stream_records(events_table: str, region: str = "us-east-1") -> list[dict[str, Any]]:
    """Every record of the events table's stream so far, as Lambda's DynamoDB event holds them."""
    arn = boto3.client("dynamodb", region_name=region).describe_table(TableName=events_table)["Table"][
        "LatestStreamArn"
    ]
    return read_all(boto3.client("dynamodbstreams", region_name=region), arn)


def count_stream(events_table: str) -> Any:
    """Count the whole stream again from its start (the checkpoints skip what was counted before)."""
    from soundlink.tracking.counting import count_clicks

    return count_clicks(stream_records(events_table), now=datetime.now(UTC))
