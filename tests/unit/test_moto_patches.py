"""The moto server's faster SQS and journaled DynamoDB transactions answer as moto does."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend
from moto.sqs.models import Queue, SQSBackend

from local import moto_dynamodb, moto_sqs

PATCHED = [
    (DynamoDBBackend, "transact_write_items"),
    (DynamoDBBackend, "put_item"),
    (DynamoDBBackend, "update_item"),
    (DynamoDBBackend, "delete_item"),
    (SQSBackend, "is_message_valid_based_on_retention_period"),
    (Queue, "messages"),
    (Queue, "delete_message"),
    (Queue, "approximate_number_of_messages_not_visible"),
    (Queue, "approximate_number_of_messages_delayed"),
]


@pytest.fixture
def patched() -> Iterator[None]:
    saved = [(owner, name, owner.__dict__[name]) for owner, name in PATCHED]
    moto_sqs.install()
    moto_dynamodb.install()
    try:
        with mock_aws():
            yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


def _table():
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    dynamodb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.put_item(TableName="t", Item={"pk": {"S": "c"}, "sk": {"S": "TOTAL"}, "n": {"N": "1"}})
    return dynamodb


def _items(dynamodb) -> list[dict]:
    return sorted(dynamodb.scan(TableName="t")["Items"], key=lambda item: (item["pk"]["S"], item["sk"]["S"]))


def _count(sk: str) -> dict:
    return {
        "Update": {
            "TableName": "t",
            "Key": {"pk": {"S": "c"}, "sk": {"S": sk}},
            "UpdateExpression": "ADD n :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }


def _guard(sk: str) -> dict:
    return {
        "Put": {
            "TableName": "t",
            "Item": {"pk": {"S": "click"}, "sk": {"S": sk}},
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def test_a_transaction_writes_every_item(patched: None) -> None:
    dynamodb = _table()
    dynamodb.transact_write_items(TransactItems=[_guard("1"), _count("TOTAL"), _count("HOUR")])
    assert [(i["sk"]["S"], i.get("n", {}).get("N")) for i in _items(dynamodb)] == [
        ("HOUR", "1"),
        ("TOTAL", "2"),
        ("1", None),
    ]


def test_a_cancelled_transaction_leaves_every_item_as_it_was(patched: None) -> None:
    dynamodb = _table()
    dynamodb.transact_write_items(TransactItems=[_guard("1")])
    before = _items(dynamodb)
    # The counters come first (changed, then undone); the guard fails last.
    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(TransactItems=[_count("TOTAL"), _count("HOUR"), _guard("1")])
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = [reason["Code"] for reason in raised.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "ConditionalCheckFailed"]
    assert _items(dynamodb) == before


def test_one_item_twice_is_refused_and_undone(patched: None) -> None:
    dynamodb = _table()
    before = _items(dynamodb)
    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(TransactItems=[_count("TOTAL"), _count("NEW"), _count("TOTAL")])
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert _items(dynamodb) == before


def test_sqs_counts_receives_and_deletes_as_before(patched: None) -> None:
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    for start in range(0, 30, 10):
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{start + i}"} for i in range(10)]
        )
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)

    def counts() -> tuple[int, int, int]:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        attributes = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=[*names, "ApproximateNumberOfMessagesDelayed"]
        )
        return tuple(int(attributes["Attributes"][name]) for name in (*names, "ApproximateNumberOfMessagesDelayed"))

    assert counts() == (30, 0, 1)
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(received) == 10
    assert counts() == (20, 10, 1)
    entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received)]
    entries.append({"Id": "bad", "ReceiptHandle": "not-a-receipt"})
    answer = sqs.delete_message_batch(QueueUrl=url, Entries=entries)
    assert len(answer["Successful"]) == 10
    assert [failure["Code"] for failure in answer["Failed"]] == ["ReceiptHandleIsInvalid"]
    assert counts() == (20, 0, 1)
    # Deleting again is accepted, as SQS does.
    assert len(sqs.delete_message_batch(QueueUrl=url, Entries=entries[:10])["Successful"]) == 10
    bodies = set()
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        bodies |= {m["Body"] for m in batch}
    assert bodies == {f"m{n}" for n in range(30)} - {m["Body"] for m in received}
