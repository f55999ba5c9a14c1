"""schedule_polls: find the listeners due for a poll and queue one poll job each.

Due listeners sit in gsi1 under POLL#{shard} (16 shards, so no partition is
hot), sorted by next poll time: one Query per shard returns exactly the due
ones, never a Scan. A scheduled run queues one fan-out message per shard;
each shard's invocation queues up to MAX_PER_INVOCATION poll jobs with
SendMessageBatch and, when more are due, queues a continuation for the rest
instead of running into its timeout.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from soundlink.listeners import POLL_SHARDS
from soundlink.models import ListenerItem

MAX_PER_INVOCATION = 1000
BATCH = 10  # SendMessageBatch's limit
_SEND_ATTEMPTS = 4


class NotQueued(Exception):
    """SQS refused some entries after every retry; the message is retried as a whole."""


def shard_messages() -> list[dict[str, Any]]:
    return [{"shard": shard} for shard in range(POLL_SHARDS)]


def due(shard: int, now: datetime, start: dict | None, limit: int) -> tuple[list[str], dict | None]:
    """Account ids due in one shard, oldest first, and where to continue (None: done)."""
    found: list[str] = []
    query = ListenerItem.by_poll_time.query(
        f"POLL#{shard}",
        ListenerItem.gsi1sk <= f"{now.isoformat()}#\uffff",
        last_evaluated_key=start,
        limit=limit,
        attributes_to_get=["account_id"],
    )
    for item in query:
        found.append(item.account_id)
    return found, query.last_evaluated_key


def send_batches(sqs: Any, queue_url: str, bodies: Iterable[dict[str, Any]]) -> int:
    """Send every body with SendMessageBatch; returns the number of SQS requests made."""
    requests = 0
    for chunk in _chunks(list(bodies), BATCH):
        entries = [
            {"Id": str(i), "MessageBody": json.dumps(body, separators=(",", ":"))} for i, body in enumerate(chunk)
        ]
        for _ in range(_SEND_ATTEMPTS):
            requests += 1
            failed = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries).get("Failed") or []
            retry = {entry["Id"] for entry in failed if not entry.get("SenderFault")}
            if any(entry.get("SenderFault") for entry in failed):
                raise NotQueued(f"SQS refused poll jobs: {failed}")
            entries = [entry for entry in entries if entry["Id"] in retry]
            if not entries:
                break
        else:
            raise NotQueued(f"{len(entries)} message(s) not accepted by SQS after {_SEND_ATTEMPTS} attempts")
    return requests


def fan_out(
    shard: int,
    start: dict | None,
    *,
    now: datetime,
    enqueue_polls: Callable[[list[dict[str, Any]]], None],
    continue_later: Callable[[dict[str, Any]], None],
) -> int:
    """Queue the due listeners of one shard (up to MAX_PER_INVOCATION); returns how many."""
    accounts, rest = due(shard, now, start, MAX_PER_INVOCATION)
    if accounts:
        enqueue_polls([{"account_id": account} for account in accounts])
    if rest:
        continue_later({"shard": shard, "start": rest})
    return len(accounts)


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
