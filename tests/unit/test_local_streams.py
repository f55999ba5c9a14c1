"""The local cloud's DynamoDB stream sources (local/streams.py) against moto's streams, in-process."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.functions import Invocation
from local.streams import StreamPoller, StreamSource, lambda_record, read_all


class FakeFunctions:
    """Records each event; answers with the next of `answers` (then success)."""

    def __init__(self, answers: list[Invocation] | None = None) -> None:
        self.events: list[dict[str, Any]] = []
        self.answers = list(answers or [])

    def invoke(self, name: str, event: Any, *, source: str = "") -> Invocation:
        self.events.append(event)
        if self.answers:
            return self.answers.pop(0)
        return Invocation(name, "r", True, {"batchItemFailures": []})


def sequences(event: dict[str, Any]) -> list[int]:
    return [int(record["dynamodb"]["SequenceNumber"]) for record in event["Records"]]


@pytest.fixture
def stream():
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        table = client.create_table(
            TableName="events",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        )["TableDescription"]

        def put(n: int) -> None:
            for i in range(n):
                client.put_item(TableName="events", Item={"pk": {"S": f"item-{len(read_all(streams, arn)) + i}"}})

        streams = boto3.client("dynamodbstreams", region_name="us-east-1")
        arn = table["LatestStreamArn"]
        yield arn, streams, put


def poller(arn: str, streams: Any, functions: FakeFunctions, **fields: Any) -> StreamPoller:
    source = StreamSource(name="Fn.Stream", function="Fn", stream_arn=arn, **fields)
    return StreamPoller(source, functions, streams)  # type: ignore[arg-type]


def test_records_arrive_in_order_in_batches_of_batch_size_with_lambdas_shape(stream):
    arn, streams, put = stream
    put(5)
    functions = FakeFunctions()
    source = poller(arn, streams, functions, batch_size=2)
    assert source.pending() == 2  # a batch's worth is looked at
    while source.deliver_once():
        pass
    assert [len(event["Records"]) for event in functions.events] == [2, 2, 1]
    delivered = [s for event in functions.events for s in sequences(event)]
    assert delivered == sorted(delivered) and len(set(delivered)) == 5
    record = functions.events[0]["Records"][0]
    assert record["eventName"] == "INSERT" and record["eventSourceARN"] == arn
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)
    assert source.pending() == 0 and source.processed == 5
    put(1)
    assert source.deliver_once() == 1  # only the new record


def test_a_failed_batch_is_delivered_again_from_its_first_record(stream):
    arn, streams, put = stream
    put(3)
    functions = FakeFunctions([Invocation("Fn", "r", False, error={"errorType": "Boom"})])
    source = poller(arn, streams, functions, batch_size=10)
    source.deliver_once()
    source.deliver_once()
    assert sequences(functions.events[0]) == sequences(functions.events[1])
    assert source.failed == 3 and source.processed == 3 and source.pending() == 0


def test_a_reported_failure_resumes_the_next_batch_at_that_record(stream):
    arn, streams, put = stream
    put(4)
    first = read_all(streams, arn)
    third = first[2]["dynamodb"]["SequenceNumber"]
    functions = FakeFunctions([Invocation("Fn", "r", True, {"batchItemFailures": [{"itemIdentifier": third}]})])
    source = poller(arn, streams, functions, batch_size=10, report_batch_item_failures=True)
    source.deliver_once()
    source.deliver_once()
    assert sequences(functions.events[1]) == [int(third), int(first[3]["dynamodb"]["SequenceNumber"])]
    assert source.processed == 4


def test_past_maximum_retry_attempts_the_batch_is_skipped(stream):
    arn, streams, put = stream
    put(2)
    failure = Invocation("Fn", "r", False, error={"errorType": "Boom"})
    functions = FakeFunctions([failure, failure, failure])
    source = poller(arn, streams, functions, batch_size=10, maximum_retry_attempts=1)
    source.deliver_once()  # the attempt
    source.deliver_once()  # the one retry
    assert source.pending() == 0  # given up: Lambda would describe it to the on-failure destination
    assert len(functions.events) == 2


def test_lambda_record_keeps_what_the_function_reads():
    record = {"eventID": "e", "eventName": "MODIFY", "dynamodb": {"SequenceNumber": "7", "Keys": {}}}
    assert lambda_record(record, "arn:stream") == {
        "eventID": "e",
        "eventName": "MODIFY",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "",
        "dynamodb": {"SequenceNumber": "7", "Keys": {}},
        "eventSourceARN": "arn:stream",
    }
