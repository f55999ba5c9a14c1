"""local.faults in-process: seeded AWS faults under every botocore client (moto underneath)."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from pynamodb.exceptions import TransactWriteError, UpdateError

from local.faults import FaultPlan, FaultRule, inject
from soundlink.platform.tables import BackoffItem, CounterItem
from soundlink.platform.transactions import failed_conditions, transaction


def plan(*rules: FaultRule, seed: int = 14) -> FaultPlan:
    return FaultPlan(list(rules), seed=seed)


def test_a_seeded_plan_injects_the_same_faults_for_the_same_requests():
    def run(seed: int) -> list[str | None]:
        faults = plan(FaultRule("dynamodb", "throttle", 0.3), seed=seed)
        return [faults.decide("dynamodb", "GetItem") for _ in range(200)]

    assert run(1) == run(1)
    assert run(1) != run(2)
    assert 30 < sum(kind == "throttle" for kind in run(1)) < 90


def test_a_rule_names_its_operations_and_a_conflict_only_hits_transactions():
    faults = plan(
        FaultRule("dynamodb", "server_error", 1.0, ("Query",)), FaultRule("dynamodb", "transaction_conflict", 1.0)
    )
    assert faults.decide("dynamodb", "GetItem") is None
    assert faults.decide("sqs", "Query") is None
    assert faults.decide("dynamodb", "Query") == "server_error"
    assert faults.decide("dynamodb", "TransactWriteItems") == "transaction_conflict"
    assert faults.summary()["by_fault"] == {
        "dynamodb.Query.server_error": 1,
        "dynamodb.TransactWriteItems.transaction_conflict": 1,
    }


def test_throttling_is_retried_by_botocore_until_it_gets_through(tables):
    client = boto3.client("dynamodb", region_name="us-east-1")
    with inject(plan(FaultRule("dynamodb", "throttle", 0.5, ("DescribeTable",)))) as faults:
        for _ in range(10):
            client.describe_table(TableName=tables["DataTable"])
    assert faults.injected["dynamodb.DescribeTable.throttle"] > 0


def test_a_server_error_that_outlasts_the_retries_reaches_the_caller(tables):
    client = boto3.client(
        "sqs", region_name="us-east-1", config=Config(retries={"mode": "standard", "max_attempts": 2})
    )
    with inject(plan(FaultRule("sqs", "server_error", 1.0))) as faults, pytest.raises(ClientError) as raised:
        client.list_queues()
    assert raised.value.response["Error"]["Code"] == "InternalServerError"
    attempts = raised.value.response["ResponseMetadata"]["RetryAttempts"] + 1
    assert attempts > 1 and faults.injected["sqs.ListQueues.server_error"] == attempts


def test_a_transaction_conflict_cancels_the_whole_transaction_with_its_reason(tables):
    conflicts = plan(FaultRule("dynamodb", "transaction_conflict", 1.0))
    with inject(conflicts), pytest.raises(TransactWriteError) as raised, transaction() as writes:
        writes.update(CounterItem("CAMPAIGN#x", "TOTAL#0"), actions=[CounterItem.clicks.add(1)])
        writes.update(CounterItem("CAMPAIGN#x", "TOTAL#1"), actions=[CounterItem.clicks.add(1)])
    reasons = [reason.code if reason else None for reason in raised.value.cancellation_reasons]
    assert reasons == [None, "TransactionConflict"]
    assert failed_conditions(raised.value) == set()  # not a refused condition: the caller retries
    assert list(CounterItem.query("CAMPAIGN#x")) == []


def test_a_conditional_check_failure_aimed_at_one_operation(tables):
    with inject(plan(FaultRule("dynamodb", "conditional_check_failed", 1.0, ("UpdateItem",)))):
        with pytest.raises(UpdateError) as raised:
            CounterItem("CAMPAIGN#x", "TOTAL#0").update(actions=[CounterItem.clicks.add(1)])
        until = datetime(2030, 1, 1, tzinfo=UTC)
        BackoffItem(*BackoffItem.key(), until=until, expires_at=int(until.timestamp())).save()  # PutItem: untouched
    assert raised.value.cause_response_code == "ConditionalCheckFailedException"


def test_a_lost_response_was_carried_out_and_the_retry_repeats_it(tables):
    with inject(plan(FaultRule("dynamodb", "lost_response", 1.0, ("UpdateItem",)), seed=3)) as faults:
        faults.rules[0] = FaultRule("dynamodb", "lost_response", 0.5, ("UpdateItem",))
        CounterItem("CAMPAIGN#x", "TOTAL#0").update(actions=[CounterItem.clicks.add(1)])
    lost = faults.injected["dynamodb.UpdateItem.lost_response"]
    assert lost >= 1
    # An unconditional ADD whose answer was lost is applied again by botocore's retry: why every
    # counter Soundlink moves is guarded by a condition on the event it counts.
    assert CounterItem.get("CAMPAIGN#x", "TOTAL#0").clicks == 1 + lost
