"""SQS event sources: batches, partial batch failures, visibility timeout and redrive to the DLQ."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator

import pytest
import requests

from local.cloud import LocalCloud
from local.queues import EventSources, SqsPoller, failed_message_ids, sqs_sources_from_stack

from .helpers import clear_records, records, wait_for


def _empty(cloud: LocalCloud, url: str) -> None:
    # PurgeQueue is allowed once a minute: delete what is there instead.
    sqs = cloud.client("sqs")
    for _ in range(20):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        sqs.delete_message_batch(QueueUrl=url, Entries=entries)


@pytest.fixture
def queues(fixture_cloud: LocalCloud) -> Iterator[dict[str, str]]:
    urls = {"work": fixture_cloud.physical_id("WorkQueue"), "dlq": fixture_cloud.physical_id("WorkDeadLetters")}
    for url in urls.values():
        _empty(fixture_cloud, url)
    clear_records(fixture_cloud, "sqs")
    yield urls
    fixture_cloud.drain_queues(timeout=10)  # failed messages go on to the DLQ
    for url in urls.values():
        _empty(fixture_cloud, url)


def _send(cloud: LocalCloud, url: str, *bodies: str) -> None:
    entries = [{"Id": str(index), "MessageBody": body} for index, body in enumerate(bodies)]
    for start in range(0, len(entries), 10):
        cloud.client("sqs").send_message_batch(QueueUrl=url, Entries=entries[start : start + 10])


def _dead_letters(cloud: LocalCloud, url: str) -> list[str]:
    sqs = cloud.client("sqs")
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    return sorted(message["Body"] for message in messages)


def test_only_the_failed_record_returns_and_lands_in_the_dlq_after_max_receive_count(
    fixture_cloud: LocalCloud, queues: dict[str, str]
) -> None:
    _send(fixture_cloud, queues["work"], "ok-1", "poison", "ok-2")
    response = requests.post(
        fixture_cloud.api_url + "/_local/queues/drain",
        json={"timeout_seconds": 20},
        headers={"X-Soundlink-Local": "1"},
        timeout=30,
    )
    assert response.json() == {"processed": 2, "failed": 2, "remaining": 0, "timed_out": False}

    delivered = records(fixture_cloud, "sqs")
    first_batch = [item for item in delivered if item["batch_size"] == "3"]
    assert sorted(item["body"] for item in first_batch) == ["ok-1", "ok-2", "poison"]
    retries = [item for item in delivered if item not in first_batch]
    assert [(item["body"], item["batch_size"]) for item in retries] == [("poison", "1")]  # only it returns
    receive_counts = sorted(item["receive_count"] for item in delivered if item["body"] == "poison")
    assert receive_counts == ["1", "2"]  # maxReceiveCount: 2
    assert Counter(item["body"] for item in delivered) == {"poison": 2, "ok-1": 1, "ok-2": 1}
    assert _dead_letters(fixture_cloud, queues["dlq"]) == ["poison"]


def test_records_have_the_lambda_sqs_shape(fixture_cloud: LocalCloud, queues: dict[str, str]) -> None:
    fixture_cloud.client("sqs").send_message(
        QueueUrl=queues["work"],
        MessageBody="shaped",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}},
    )
    assert fixture_cloud.drain_queues(timeout=10)["processed"] == 1
    [item] = records(fixture_cloud, "sqs")
    record = json.loads(item["record"])
    assert list(record) == [
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "md5OfMessageAttributes",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    ]
    assert set(record["attributes"]) >= {"ApproximateReceiveCount", "SentTimestamp", "SenderId"}
    assert record["messageAttributes"]["kind"] == {
        "stringValue": "test",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert record["eventSource"] == "aws:sqs" and record["awsRegion"] == "us-east-1"
    assert record["eventSourceARN"] == "arn:aws:sqs:us-east-1:123456789012:soundlink-local-WorkQueue"


def test_batches_hold_at_most_batch_size_records(fixture_cloud: LocalCloud, queues: dict[str, str]) -> None:
    _send(fixture_cloud, queues["work"], *[f"m-{index}" for index in range(7)])
    assert fixture_cloud.drain_queues(timeout=10) == {"processed": 7, "failed": 0, "remaining": 0, "timed_out": False}
    sizes = Counter(item["batch"] for item in records(fixture_cloud, "sqs"))
    assert sorted(sizes.values()) == [2, 5]  # BatchSize: 5


def test_a_failing_function_returns_the_whole_batch(fixture_cloud: LocalCloud, queues: dict[str, str]) -> None:
    _send(fixture_cloud, queues["work"], "crash-batch")
    result = fixture_cloud.drain_queues(timeout=10)
    assert result == {"processed": 0, "failed": 2, "remaining": 0, "timed_out": False}
    assert _dead_letters(fixture_cloud, queues["dlq"]) == ["crash-batch"]


def test_a_drain_without_retries_stops_when_nothing_is_visible(fixture_cloud: LocalCloud, queues: dict[str, str]):
    _send(fixture_cloud, queues["work"], "poison-once")
    result = fixture_cloud.drain_queues(timeout=10, wait_for_retries=False)
    assert result == {"processed": 0, "failed": 1, "remaining": 1, "timed_out": False}


@pytest.mark.parametrize(
    ("payload", "failed"),
    [
        (None, set()),
        ({}, set()),
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": None}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "b"}]}, {"b"}),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, None),
        ({"batchItemFailures": [{"itemIdentifier": None}]}, None),
        ({"batchItemFailures": [{"itemIdentifier": "z"}]}, None),
        ({"batchItemFailures": [{"id": "a"}]}, None),
        ({"batchItemFailures": "a"}, None),
        ("ok", None),
    ],
)
def test_partial_batch_responses_are_read_like_lambda(payload: object, failed: set[str] | None) -> None:
    assert failed_message_ids(payload, {"a", "b"}) == failed


def test_background_polling_delivers_without_a_drain(fixture_cloud: LocalCloud, queues: dict[str, str]) -> None:
    sources = EventSources(
        sqs_sources_from_stack(fixture_cloud.stack, fixture_cloud.functions.specs),
        fixture_cloud.functions,
        lambda: fixture_cloud.client("sqs"),
        "us-east-1",
    )
    # A warm container first: the fixture queue's VisibilityTimeout is 1 s, and a cold start
    # slower than that (a loaded machine) rightly gets the message delivered a second time.
    assert fixture_cloud.invoke("WorkFunction", {"Records": []}).ok
    sources.start()
    try:
        _send(fixture_cloud, queues["work"], "background")
        delivered = wait_for(lambda: records(fixture_cloud, "sqs"), timeout=10)
        assert [item["body"] for item in delivered] == ["background"]
    finally:
        sources.stop()


def test_a_drain_ends_when_the_event_sources_stop(fixture_cloud: LocalCloud, queues: dict[str, str]) -> None:
    sources = EventSources(
        sqs_sources_from_stack(fixture_cloud.stack, fixture_cloud.functions.specs),
        fixture_cloud.functions,
        lambda: fixture_cloud.client("sqs"),
        "us-east-1",
    )
    sources.stop()
    _send(fixture_cloud, queues["work"], "after-stop")
    started = time.monotonic()
    result = sources.drain(timeout=10)
    assert time.monotonic() - started < 1
    assert result["processed"] == 0 and result["stopped"] is True
    assert records(fixture_cloud, "sqs") == []  # nothing delivered once stopping


class _CountsLikeMoto:
    """get_queue_attributes of a queue whose only message turns visible during the first call."""

    def __init__(self) -> None:
        self.calls = 0

    def get_queue_attributes(self, **_kwargs):
        self.calls += 1
        # First call: counted as not yet visible by one count, no longer in flight by the next.
        visible = "0" if self.calls == 1 else "1"
        return {
            "Attributes": {
                "ApproximateNumberOfMessages": visible,
                "ApproximateNumberOfMessagesDelayed": "0",
                "ApproximateNumberOfMessagesNotVisible": "0",
            }
        }


def test_pending_does_not_lose_a_message_turning_visible_between_counts(fixture_cloud: LocalCloud) -> None:
    source = sqs_sources_from_stack(fixture_cloud.stack, fixture_cloud.functions.specs)[0]
    client = _CountsLikeMoto()
    poller = SqsPoller(source, fixture_cloud.functions, client, "us-east-1")
    assert poller.pending() == 1
    assert client.calls == 2
