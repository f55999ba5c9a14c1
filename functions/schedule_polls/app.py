"""Fan-out of polls: the schedule queues one message per shard; each shard's message queues
a poll job per due listener (and a continuation when more are due than one invocation handles)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from soundlink.models import bind_tables
from soundlink.observability import logger, metrics, tracer
from soundlink.polling.fanout import fan_out, send_batches, shard_messages
from soundlink.settings import get_settings

settings = get_settings()
bind_tables(settings)
processor = BatchProcessor(event_type=EventType.SQS)
sqs = boto3.client("sqs", region_name=settings.region)


@tracer.capture_method
def shard(record: SQSRecord) -> None:
    body = json.loads(record.body)
    queued = fan_out(
        int(body["shard"]),
        body.get("start"),
        now=datetime.now(UTC),
        enqueue_polls=lambda jobs: send_batches(sqs, settings.poll_queue_url, jobs),
        continue_later=lambda rest: send_batches(sqs, settings.poll_fanout_queue_url, [rest]),
    )
    metrics.add_metric(name="PollsQueued", unit=MetricUnit.Count, value=queued)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    if "Records" in event:
        return process_partial_response(event=event, record_handler=shard, processor=processor, context=context)
    # The schedule: one message per shard, so shards fan out in parallel invocations.
    send_batches(sqs, settings.poll_fanout_queue_url, shard_messages())
    return {"shards": len(shard_messages())}
