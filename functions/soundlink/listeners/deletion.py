"""The one function that deletes everything Soundlink keeps about a listener."""

from __future__ import annotations

import time
from typing import Any

from soundlink.listeners import followed
from soundlink.listeners.links import links_of, move_link_state


def delete_listener_data(dynamodb: Any, table: str, account_id: str) -> int:
    """Delete every item that names the listener; returns how many were deleted.

    The keys (soundlink/platform/tables.py) put everything about a listener in two places:
    - its own partition LISTENER#{account}: profile and encrypted tokens, campaign
      links, play guards;
    - gsi2 partition LISTENER#{account}: per-listener attributions (stored in the
      campaigns' partitions).
    Whatever a later feature stores about a listener must sit in one of them.
    Campaign counters stay: they hold no personal data. Idempotent: run it again
    after a failure and it deletes what is left.
    """
    for link in links_of(account_id):
        move_link_state(link, None)  # the campaigns stop counting the listener in any state
    followed.forget(account_id)  # the app-wide count of followed accounts (before its guard is deleted)
    keys: list[dict[str, Any]] = []
    keys += item_keys(dynamodb, table, None, "pk", f"LISTENER#{account_id}")
    keys += item_keys(dynamodb, table, "gsi2", "gsi2pk", f"LISTENER#{account_id}")
    return delete_keys(dynamodb, table, keys)


def delete_keys(dynamodb: Any, table: str, keys: list[dict[str, Any]]) -> int:
    """Delete the items with these keys (duplicates once), 25 per request; returns how many keys."""
    unique = list({(k["pk"]["S"], k["sk"]["S"]): k for k in keys}.values())
    for start in range(0, len(unique), 25):
        _delete_batch(dynamodb, table, unique[start : start + 25])
    return len(unique)


def item_keys(dynamodb: Any, table: str, index: str | None, attribute: str, value: str) -> list[dict[str, Any]]:
    arguments: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "#k = :v",
        "ExpressionAttributeNames": {"#k": attribute},
        "ExpressionAttributeValues": {":v": {"S": value}},
        "ProjectionExpression": "pk, sk",
    }
    if index:
        arguments["IndexName"] = index
    found = []
    for page in dynamodb.get_paginator("query").paginate(**arguments):
        found += [{"pk": item["pk"], "sk": item["sk"]} for item in page["Items"]]
    return found


def _delete_batch(dynamodb: Any, table: str, keys: list[dict[str, Any]], attempts: int = 8) -> None:
    requests = {table: [{"DeleteRequest": {"Key": key}} for key in keys]}
    for attempt in range(attempts):
        unprocessed = dynamodb.batch_write_item(RequestItems=requests).get("UnprocessedItems") or {}
        if not unprocessed:
            return
        requests = unprocessed
        time.sleep(min(2.0, 0.05 * 2**attempt))
    raise RuntimeError(f"DynamoDB left {len(requests.get(table, []))} deletions unprocessed; run the deletion again")
