"""Fan-out of polls: the schedule queues a poll job per due listener, reading every shard;
what one invocation should not handle goes on as continuations through the fan-out queue."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from soundlink.platform import coldstart
from soundlink.platform.observability import logger, metrics, tracer
from soundlink.platform.settings import get_settings
from soundlink.platform.tables import bind_tables
from soundlink.polling.fanout import every_shard, fan_out, send_batches

settings = get_settings()
bind_tables(settings)
processor = BatchProcessor(event_type=EventType.SQS)
sqs = boto3.client("sqs", region_name=settings.region)


def _fan_out(work: list[dict]) -> int:
    queued = fan_out(
        work,
        now=datetime.now(UTC),
        enqueue_polls=lambda jobs: send_batches(sqs, settings.poll_queue_url, jobs),
        continue_later=lambda rest: send_batches(sqs, settings.poll_fanout_queue_url, rest),
    )
    metrics.add_metric(name="PollsQueued", unit=MetricUnit.Count, value=queued)
    return queued


@tracer.capture_method(capture_response=False)
def continuation(record: SQSRecord) -> None:
    body = json.loads(record.body)
    if not isinstance(body, dict) or not isinstance(body.get("shard"), int):
        raise ValueError("a continuation names its shard")
    _fan_out([body])


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    if "Records" in event:
        return process_partial_response(event=event, record_handler=continuation, processor=processor, context=context)
    return {"queued": _fan_out(every_shard())}


coldstart.done()  # the end of init (begun in __init__.py)
