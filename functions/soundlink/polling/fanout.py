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

from soundlink.listeners.links import POLL_SHARDS
from soundlink.platform.tables import ListenerItem

MAX_PER_INVOCATION = 1000
BATCH = 10  # SendMessageBatch's limit
_SEND_ATTEMPTS = 4


class NotQueued(Exception):
    """SQS refused some entries after every retry; the message is retried as a whole."""


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
    work: list[dict[str, Any]],
    *,
    now: datetime,
    enqueue_polls: Callable[[list[dict[str, Any]]], None],
    continue_later: Callable[[list[dict[str, Any]]], None],
) -> int:
    """Queue the listeners due in `work` ({shard, start?} items, in order), at most
    MAX_PER_INVOCATION of them; the rest is queued as continuations. Returns how many."""
    budget = MAX_PER_INVOCATION
    jobs: list[dict[str, Any]] = []
    rest: list[dict[str, Any]] = []
    for item in work:
        if budget <= 0:
            rest.append(item)
            continue
        accounts, more = due(int(item["shard"]), now, item.get("start"), budget)
        jobs += [{"account_id": account} for account in accounts]
        budget -= len(accounts)
        if more:
            rest.append({"shard": item["shard"], "start": more})
    if jobs:
        enqueue_polls(jobs)  # pooled across shards: full batches of 10
    if rest:
        continue_later(rest)
    return len(jobs)


def every_shard() -> list[dict[str, Any]]:
    return [{"shard": shard} for shard in range(POLL_SHARDS)]


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
