"""count_clicks: the click counters, moved from the events table's stream, exactly once.

record_clicks stores each click once (tracking/recording.py); DynamoDB
Streams then carry its INSERT exactly once, in order within a stream shard,
and Lambda hands this function a batch: a contiguous run of one shard's
records. The batch's clicks are summed per counter item (`Tally`: ten clicks
of one hour move the HOUR item once by ten) and written in one transaction
together with a checkpoint: CountedItem keyed by the eventID of the group's
first record, holding the sequence number of its last. Why that counts every
click once:
- A transaction either writes the counters and the checkpoint, or nothing.
- Lambda retries a failed batch from its first record (BisectBatchOnFunctionError
  stays off: template.yaml, tests/template pin it), with the same records or
  more. Before each group the checkpoint at its first record is read: found, the
  records up to its sequence number were counted and are skipped, and the next
  record is looked up the same way. So a crash after any number of committed
  groups, or a retried batch, counts nothing twice; a batch that failed before
  its transaction counts it all on the retry.
- Two deliveries of one batch at once (not expected: one shard, one batch at a
  time) meet at the checkpoint's condition: the loser reads it and skips.
- A group stops before its transaction would pass DynamoDB's 100 items (99
  counter items and the checkpoint); the next group starts with a checkpoint of
  its own. One click moves at most 11 items, so a group always holds one.
- When a later group fails, the function reports its first record as the
  batch's failure (ReportBatchItemFailures): Lambda retries from there.
Clicks written before this function existed were counted by record_clicks
itself and lack `counted_from_stream`: they are not counted again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError

from soundlink.platform.counters import CLICK_DIMENSIONS, Tally, shard_of
from soundlink.platform.tables import ClickItem, CountedItem
from soundlink.platform.transactions import failed_conditions, transaction

MAX_ITEMS = 100  # DynamoDB's limit of items in one transaction
CHECKPOINT_LIFETIME = timedelta(days=2)  # a stream keeps records 24 hours: no retry comes later


@dataclass(frozen=True)
class StreamClick:
    """One stored click as its stream record carries it."""

    event_id: str
    sequence: int
    click_id: str
    campaign_id: str
    at: datetime
    counts: dict[str, int]
    dimensions: dict[str, str]


@dataclass
class Counted:
    """What one batch did: clicks counted, clicks skipped (counted before), transactions written,
    and the sequence number to retry from when a group failed (None: all done)."""

    counted: int = 0
    skipped: int = 0
    transactions: int = 0
    retry_from: str | None = None


def click_counts(kind: str, step: str | None, unique: bool, consent_started: bool) -> dict[str, int]:
    """The counters one stored click moves (README, What counts as a click)."""
    if kind == "bot":
        return {"bot_clicks": 1}
    if kind == "prefetch":
        return {"prefetches": 1}
    if kind == "suspicious":
        return {"suspicious_clicks": 1}
    if step == "connect":
        return {"connect_clicks": 1, "consents_started": int(consent_started)}
    if step == "play":
        return {"just_play_clicks": 1}
    return {"clicks": 1, "unique_clicks": int(unique)}


def stream_click(record: Mapping[str, Any]) -> StreamClick | None:
    """The click a stream record inserted; None for any other record (visits, checkpoints, TTL deletions,
    clicks counted by record_clicks itself)."""
    change = record.get("dynamodb") or {}
    image = change.get("NewImage") or {}
    if record.get("eventName") != "INSERT" or not str(image.get("sk", {}).get("S", "")).startswith("CLICK#"):
        return None
    item = ClickItem.from_raw_data(dict(image))
    if not item.counted_from_stream:
        return None
    human = item.kind == "human"
    stored = dict(item.dimensions.as_dict()) if human and item.dimensions else {}
    return StreamClick(
        event_id=str(record["eventID"]),
        sequence=int(change["SequenceNumber"]),
        click_id=item.click_id,
        campaign_id=item.campaign_id,
        at=item.clicked_at,
        counts=click_counts(item.kind, item.step, bool(item.unique), bool(item.consent_started)),
        dimensions={name: str(stored.get(name) or "") for name in CLICK_DIMENSIONS} if human else {},
    )


def count_clicks(records: Iterable[Mapping[str, Any]], *, now: datetime) -> Counted:
    """Count the batch's clicks once (see the module's docstring); raises when a transaction fails
    before any group was written (Lambda retries the whole batch)."""
    clicks = [click for click in (stream_click(record) for record in records) if click is not None]
    done = Counted()
    position = 0
    refused_at = -1  # where a checkpoint's condition refused a group (read again once, then raise)
    while position < len(clicks):
        checkpoint = _checkpoint(clicks[position].event_id)
        if checkpoint is not None:
            last = int(checkpoint.last_sequence)
            while position < len(clicks) and clicks[position].sequence <= last:
                position, done.skipped = position + 1, done.skipped + 1
            continue
        end, updates = _group(clicks, position)
        try:
            _write(clicks[position], clicks[end - 1], updates, now)
        except TransactWriteError as error:
            if 0 in failed_conditions(error) and refused_at != position:
                refused_at = position
                continue  # another delivery wrote this checkpoint meanwhile: read it and skip
            if done.transactions == 0:
                raise
            done.retry_from = str(clicks[position].sequence)
            return done
        done.counted += end - position
        done.transactions += 1
        position = end
    return done


def _checkpoint(event_id: str) -> CountedItem | None:
    try:
        return CountedItem.get(*CountedItem.key(event_id), consistent_read=True)
    except CountedItem.DoesNotExist:
        return None


def _group(clicks: list[StreamClick], start: int) -> tuple[int, list[tuple[Any, list[Any]]]]:
    """The clicks from `start` whose counter items fit one transaction beside the checkpoint:
    (the index after the last of them, their summed updates)."""
    tally = Tally()
    # One shard for the group's counters (any shard is right: readers sum them all).
    shard = shard_of(clicks[start].click_id)
    end = start
    while end < len(clicks):
        click = clicks[end]
        trial = tally.copy()
        trial.add_event(click.campaign_id, click.at, click.counts, shard=shard, dimensions=click.dimensions)
        if len(trial) + 1 > MAX_ITEMS and end > start:  # + 1: the checkpoint
            break
        tally, end = trial, end + 1
    return end, tally.updates()


def _write(first: StreamClick, last: StreamClick, updates: list[tuple[Any, list[Any]]], now: datetime) -> None:
    checkpoint = CountedItem(
        *CountedItem.key(first.event_id),
        last_sequence=str(last.sequence),
        expires_at=int((now + CHECKPOINT_LIFETIME).timestamp()),
    )
    with transaction() as writes:
        writes.save(checkpoint, condition=CountedItem.pk.does_not_exist())
        for item, actions in updates:
            writes.update(item, actions=actions)
