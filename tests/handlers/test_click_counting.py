"""Clicks counted from the events table's stream (count_clicks), exactly once, against moto.

record_clicks stores and classifies; count_clicks sums the stream's clicks per counter
item and writes them with a checkpoint. These tests redeliver, regroup, crash between
writes, retry stream batches and pass DynamoDB's 100 items per transaction.
"""

from __future__ import annotations

import importlib
import json
import sys
import uuid
from datetime import UTC, datetime, timedelta

import botocore.client
import pytest
from pynamodb.exceptions import PutError

from soundlink.platform.settings import get_settings
from soundlink.platform.tables import ClickItem
from soundlink.tracking import counting
from soundlink.tracking.classify import ClickKind
from soundlink.tracking.counting import MAX_ITEMS, count_clicks
from soundlink.tracking.recording import Recorded, record_click
from tests.handlers.test_click_recording import (
    AT,
    CAMPAIGN,
    RETENTION,
    counters,
    human,
    machine,
    scan,
    sqs_record,
)
from tests.support.click_stream import count_stream, stream_records
from tests.support.events import FakeContext

# The clicks are dated on a fixed day months ago: counted as they happen (tests/handlers/conftest.py).
pytestmark = pytest.mark.usefixtures("writes_on_time")

NOW = datetime(2026, 3, 1, 13, tzinfo=UTC)


def totals(aws) -> dict[str, int]:
    return counters(aws).get("TOTAL", {})


def uncounted_totals(aws) -> dict[str, int]:
    """TOTAL summed without counting the stream first."""
    summed: dict[str, int] = {}
    for item in scan(aws, "StatsTable"):
        if item["pk"] == f"CAMPAIGN#{CAMPAIGN}" and item["sk"].startswith("TOTAL#"):
            for name, value in item.items():
                if name not in ("pk", "sk"):
                    summed[name] = summed.get(name, 0) + int(value)
    return summed


@pytest.fixture
def writes(monkeypatch) -> list[tuple[str, int]]:
    """(operation, items) of every DynamoDB write sent from now on (items: a transaction's)."""
    seen: list[tuple[str, int]] = []
    original = botocore.client.BaseClient._make_api_call

    def spy(self, operation, params):
        if operation in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"):
            seen.append((operation, 1))
        elif operation == "TransactWriteItems":
            seen.append((operation, len(params["TransactItems"])))
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", spy)
    return seen


def batch(clicks) -> dict:
    return {"Records": [sqs_record(json.dumps(click.to_message())) for click in clicks]}


# ------------------------------------------------------------ record_clicks


def test_record_clicks_writes_no_counter_and_costs_plain_writes(tables, writes):
    click = human()
    assert record_click(click, retention_days=RETENTION) is Recorded.UNIQUE
    assert writes == [("PutItem", 1), ("PutItem", 1)]  # the visit marker, then the raw click
    assert uncounted_totals(tables) == {}  # nothing counted before the stream is
    assert totals(tables) == {"clicks": 1, "unique_clicks": 1}


def test_a_redelivered_batch_costs_a_read_and_no_write(recorder, tables, writes):
    clicks = [human(), human(visitor="e" * 32), machine(ClickKind.BOT)]
    assert recorder.handler(batch(clicks), FakeContext()) == {"batchItemFailures": []}
    writes.clear()
    assert recorder.handler(batch(clicks), FakeContext()) == {"batchItemFailures": []}
    assert writes == []
    assert totals(tables) == {"clicks": 2, "unique_clicks": 2, "bot_clicks": 1}


def test_regrouped_redeliveries_count_each_click_once(recorder, tables):
    clicks = [human(visitor=f"{i:032x}", at=AT + timedelta(seconds=i)) for i in range(5)] + [machine(ClickKind.BOT)]
    for group in (clicks[:3], clicks[3:]):
        recorder.handler(batch(group), FakeContext())
    count_stream(tables["EventsTable"])
    for group in ([clicks[1], clicks[4]], [clicks[0], clicks[2], clicks[5], clicks[3]]):
        recorder.handler(batch(group), FakeContext())
    assert totals(tables) == {"clicks": 5, "unique_clicks": 5, "bot_clicks": 1}


def test_a_crash_before_the_raw_click_keeps_its_claims_for_its_redelivery(tables, monkeypatch):
    first = human()
    original = ClickItem.save
    calls = {"n": 0}

    def crash_once(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise PutError("the network dropped (injected)")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ClickItem, "save", crash_once)
    with pytest.raises(PutError):
        record_click(first, retention_days=RETENTION)
    assert totals(tables) == {}  # its visit is claimed, but no click stored: nothing counted
    # Meanwhile the same visitor clicks again: the day's first visit is the crashed click's.
    assert record_click(human(at=AT + timedelta(minutes=1)), retention_days=RETENTION) is Recorded.RECORDED
    assert record_click(first, retention_days=RETENTION) is Recorded.UNIQUE  # SQS delivers it again
    assert totals(tables) == {"clicks": 2, "unique_clicks": 1}


def test_the_sixth_view_of_the_hour_is_suspicious_and_a_redelivered_fifth_is_not(tables):
    views = [human(visitor=f"{i:032x}", rate_key="r" * 32, at=AT + timedelta(minutes=i)) for i in range(6)]
    outcomes = [record_click(view, retention_days=RETENTION) for view in views]
    assert outcomes == [Recorded.UNIQUE] * 5 + [Recorded.RECORDED]
    stored = {item["click_id"]: item for item in scan(tables, "EventsTable") if item["sk"].startswith("CLICK#")}
    assert stored[views[5].id]["kind"] == "suspicious" and stored[views[4].id]["kind"] == "human"
    # The fifth view's message again, after its raw item was lost: still within the limit.
    ClickItem.get(*ClickItem.key(CAMPAIGN, views[4].at.isoformat(), views[4].id)).delete()
    assert record_click(views[4], retention_days=RETENTION) is Recorded.UNIQUE
    # The next hour starts again at one.
    later = human(visitor="a" * 32, rate_key="r" * 32, at=AT + timedelta(hours=1))
    assert record_click(later, retention_days=RETENTION) is Recorded.UNIQUE


# ------------------------------------------------------------- count_clicks


def test_the_stream_counted_again_and_again_changes_nothing(tables):
    for i in range(3):
        record_click(human(visitor=f"{i:032x}"), retention_days=RETENTION)
    first = count_stream(tables["EventsTable"])
    assert (first.counted, first.skipped, first.transactions) == (3, 0, 1)
    before = scan(tables, "StatsTable")
    again = count_stream(tables["EventsTable"])
    assert (again.counted, again.skipped, again.transactions) == (0, 3, 0)
    assert scan(tables, "StatsTable") == before


def test_a_retried_batch_with_more_records_counts_only_the_new_ones(tables):
    record_click(human(visitor="1" * 32), retention_days=RETENTION)
    count_stream(tables["EventsTable"])
    record_click(human(visitor="2" * 32), retention_days=RETENTION)
    record_click(machine(ClickKind.BOT), retention_days=RETENTION)
    done = count_stream(tables["EventsTable"])  # the same first record, two more after it
    assert (done.counted, done.skipped) == (2, 1)
    assert totals(tables) == {"clicks": 2, "unique_clicks": 2, "bot_clicks": 1}


def test_ten_clicks_of_one_hour_move_each_counter_once_by_ten(tables, writes):
    for i in range(10):
        record_click(human(visitor=f"{i:032x}", at=AT + timedelta(seconds=i)), retention_days=RETENTION)
    writes.clear()
    count_stream(tables["EventsTable"])
    # The checkpoint, TOTAL, HOUR, DAY and the eight dimensions, in one transaction.
    assert writes == [("TransactWriteItems", 12)]
    assert totals(tables) == {"clicks": 10, "unique_clicks": 10}
    assert counters(tables)["DIM#referrer#t.co"] == {"clicks": 10, "unique_clicks": 10}


def many_dimension_clicks(n: int):
    """Clicks each from its own referrer: every click adds one counter item (DIM#referrer#...)."""
    return [human(visitor=f"{i:032x}", referrer=f"site{i:03d}.example") for i in range(n)]


def test_more_than_100_counter_items_are_split_into_transactions_each_with_its_checkpoint(tables, writes):
    clicks = many_dimension_clicks(120)  # 10 shared items + 120 referrers
    for click in clicks:
        record_click(click, retention_days=RETENTION)
    writes.clear()
    done = count_stream(tables["EventsTable"])
    transactions = [items for operation, items in writes if operation == "TransactWriteItems"]
    assert done.counted == 120 and done.transactions == len(transactions) == 2
    assert max(transactions) == MAX_ITEMS  # the first is as full as allowed
    checkpoints = [item for item in scan(tables, "EventsTable") if item["pk"].startswith("COUNTED#")]
    assert len(checkpoints) == 2
    summed = counters(tables)
    assert summed["TOTAL"] == {"clicks": 120, "unique_clicks": 120}
    assert all(summed[f"DIM#referrer#site{i:03d}.example"] == {"clicks": 1, "unique_clicks": 1} for i in range(120))


def test_a_crash_after_the_first_transaction_counts_the_rest_once_on_the_retry(tables, monkeypatch):
    for click in many_dimension_clicks(120):
        record_click(click, retention_days=RETENTION)
    records = stream_records(tables["EventsTable"])
    original = counting._write
    written = {"n": 0}

    def crash_after_one(*args, **kwargs):
        if written["n"] == 1:
            raise RuntimeError("the function timed out (injected)")
        written["n"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(counting, "_write", crash_after_one)
    with pytest.raises(RuntimeError):
        count_clicks(records, now=NOW)
    partial = uncounted_totals(tables)["clicks"]
    assert 0 < partial < 120
    monkeypatch.setattr(counting, "_write", original)
    retried = count_clicks(records, now=NOW)  # Lambda retries the whole batch
    assert retried.skipped == partial and retried.counted == 120 - partial
    assert totals(tables) == {"clicks": 120, "unique_clicks": 120}


def test_a_failed_later_transaction_reports_where_the_batch_resumes(tables, monkeypatch):
    from pynamodb.exceptions import TransactWriteError

    for click in many_dimension_clicks(120):
        record_click(click, retention_days=RETENTION)
    records = stream_records(tables["EventsTable"])
    clicks = [c for c in (counting.stream_click(r) for r in records) if c]
    original = counting._write
    calls = {"n": 0}

    def fail_second(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise TransactWriteError("throttled (injected)")
        return original(*args, **kwargs)

    monkeypatch.setattr(counting, "_write", fail_second)
    done = count_clicks(records, now=NOW)
    assert done.transactions == 1 and done.retry_from == str(clicks[done.counted].sequence)
    monkeypatch.setattr(counting, "_write", original)
    # Lambda delivers again from the reported record: the rest is counted once.
    resumed = [r for r in records if int(r["dynamodb"]["SequenceNumber"]) >= int(done.retry_from)]
    assert count_clicks(resumed, now=NOW).counted == 120 - done.counted
    assert totals(tables) == {"clicks": 120, "unique_clicks": 120}


def test_a_checkpoint_written_meanwhile_by_another_delivery_is_read_and_skipped(tables, monkeypatch):
    record_click(human(), retention_days=RETENTION)
    count_stream(tables["EventsTable"])
    real = counting._checkpoint
    calls = {"n": 0}

    def stale_then_real(event_id):  # read before the other delivery wrote it, then again
        calls["n"] += 1
        return None if calls["n"] == 1 else real(event_id)

    monkeypatch.setattr(counting, "_checkpoint", stale_then_real)
    done = count_stream(tables["EventsTable"])
    assert (done.counted, done.skipped) == (0, 1)
    assert totals(tables) == {"clicks": 1, "unique_clicks": 1}


def test_records_other_than_new_stream_counted_clicks_are_ignored(tables):
    # A click stored before count_clicks existed (record_clicks counted it itself).
    ClickItem(
        *ClickItem.key(CAMPAIGN, AT.isoformat(), "old"),
        expires_at=int(AT.timestamp()) + 86_400,
        click_id="old",
        campaign_id=CAMPAIGN,
        clicked_at=AT,
        kind="human",
        consent_started=False,
        unique=True,
    ).save()
    record_click(human(), retention_days=RETENTION)  # its visit marker is in the stream too
    ClickItem.get(*ClickItem.key(CAMPAIGN, AT.isoformat(), "old")).delete()  # a TTL deletion
    done = count_stream(tables["EventsTable"])
    assert done.counted == 1
    assert totals(tables) == {"clicks": 1, "unique_clicks": 1}


def test_the_counters_a_stored_click_moves_match_its_class(tables):
    cases = [
        (human(), {"clicks": 1, "unique_clicks": 1}),
        (human(step="connect", consent_started=True, visitor="c" * 32), {"connect_clicks": 1, "consents_started": 1}),
        (human(step="play", visitor="d" * 32), {"just_play_clicks": 1}),
        (machine(ClickKind.SUSPICIOUS), {"suspicious_clicks": 1}),
        (machine(ClickKind.PREFETCH), {"prefetches": 1}),
    ]
    expected: dict[str, int] = {}
    for click, moved in cases:
        record_click(click, retention_days=RETENTION)
        for name, n in moved.items():
            expected[name] = expected.get(name, 0) + n
    assert totals(tables) == expected


# ------------------------------------------------------------- the handler


def test_the_handler_reports_the_resume_point_and_counts(aws, monkeypatch):
    monkeypatch.setenv("EVENTS_TABLE", aws["EventsTable"])
    monkeypatch.setenv("STATS_TABLE", aws["StatsTable"])
    monkeypatch.setenv("DATA_TABLE", aws["DataTable"])
    get_settings.cache_clear()
    name = "count_clicks.app"
    module = importlib.reload(sys.modules[name]) if name in sys.modules else importlib.import_module(name)
    record_click(human(id=uuid.uuid4().hex), retention_days=RETENTION)
    event = {"Records": stream_records(aws["EventsTable"])}
    assert module.handler(event, FakeContext()) == {"batchItemFailures": []}
    assert module.handler(event, FakeContext()) == {"batchItemFailures": []}  # retried: nothing twice
    assert totals(aws) == {"clicks": 1, "unique_clicks": 1}
    get_settings.cache_clear()


def test_the_sample_stream_event_is_counted(aws, monkeypatch):
    """events/stream/count-clicks.json (for `sam local invoke`) is a click count_clicks counts."""
    from pathlib import Path

    monkeypatch.setenv("EVENTS_TABLE", aws["EventsTable"])
    monkeypatch.setenv("STATS_TABLE", aws["StatsTable"])
    monkeypatch.setenv("DATA_TABLE", aws["DataTable"])
    get_settings.cache_clear()
    name = "count_clicks.app"
    module = importlib.reload(sys.modules[name]) if name in sys.modules else importlib.import_module(name)
    event = json.loads((Path(__file__).resolve().parents[2] / "events" / "stream" / "count-clicks.json").read_text())
    assert module.handler(event, FakeContext()) == {"batchItemFailures": []}
    campaign = event["Records"][0]["dynamodb"]["NewImage"]["campaign_id"]["S"]
    assert counters(aws, campaign)["TOTAL"] == {"clicks": 1, "unique_clicks": 1}
    get_settings.cache_clear()


def test_a_checkpoint_refusing_the_same_group_twice_fails_the_batch_instead_of_looping(tables, monkeypatch):
    from pynamodb.exceptions import TransactWriteError

    record_click(human(), retention_days=RETENTION)
    count_stream(tables["EventsTable"])
    original = counting._checkpoint
    monkeypatch.setattr(counting, "_checkpoint", lambda event_id: None)  # a read that never sees it
    with pytest.raises(TransactWriteError):
        count_stream(tables["EventsTable"])
    monkeypatch.setattr(counting, "_checkpoint", original)
    assert totals(tables) == {"clicks": 1, "unique_clicks": 1}


def test_a_parked_stream_batch_is_recounted_once_and_an_expired_one_stays(tables):
    import boto3

    from scripts.recount_clicks import recount

    for i in range(3):
        record_click(human(visitor=f"{i:032x}"), retention_days=RETENTION)
    records = stream_records(tables["EventsTable"])
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="soundlink-ClickCountDeadLetters")["QueueUrl"]
    streams = boto3.client("dynamodbstreams", region_name="us-east-1")
    shard = streams.describe_stream(StreamArn=records[0]["eventSourceARN"])["StreamDescription"]["Shards"][0]

    def parked(first: str, last: str) -> None:
        info = {
            "shardId": shard["ShardId"],
            "startSequenceNumber": first,
            "endSequenceNumber": last,
            "streamArn": records[0]["eventSourceARN"],
            "batchSize": 3,
        }
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"version": "1.0", "DDBStreamBatchInfo": info}))

    sequences = [r["dynamodb"]["SequenceNumber"] for r in records]
    parked(sequences[0], sequences[-1])
    parked(sequences[0], sequences[-1])  # the same batch parked twice: counted once
    beyond = str(int(sequences[-1]) + 1000)
    parked(beyond, beyond)  # records no longer in the stream
    assert recount(sqs, streams, url, now=NOW) == (2, 1)
    assert uncounted_totals(tables) == {"clicks": 3, "unique_clicks": 3}
    left = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    assert left["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"
