"""Click queue → stored, classified clicks (SQS, partial batch responses).

The batch's stored clicks are read first (one BatchGetItem): a redelivered
click costs that read and nothing else. Each new click is written with plain
conditional writes, its raw item last as its guard (tracking/recording.py);
the counters follow from the table's stream (count_clicks). A failed click is
reported back alone and retried by SQS, then parked in the dead-letter queue.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from soundlink.platform import coldstart
from soundlink.platform.observability import logger, metrics, tracer
from soundlink.platform.settings import get_settings
from soundlink.platform.tables import bind_tables
from soundlink.tracking.clicks import Click
from soundlink.tracking.recording import Recorded, record_click, recorded_already
from soundlink.tracking.visitors import VisitorSecrets, day_of

settings = get_settings()
bind_tables(settings)
processor = BatchProcessor(event_type=EventType.SQS)
visitor_secrets = VisitorSecrets()
_secrets_ready: set[str] = set()
_stored: set[str] = set()  # ids of this batch's clicks already stored (a redelivery)


def _prepare_tomorrow() -> None:
    """Create tomorrow's visitor secret ahead of time, so trackers only ever read it."""
    tomorrow = day_of(datetime.now(UTC) + timedelta(days=1))
    if tomorrow not in _secrets_ready:
        visitor_secrets.ensure(tomorrow)
        _secrets_ready.add(tomorrow)


def _parse(body: str) -> Click:
    return Click.from_message(json.loads(body))


def _valid_clicks(event: dict) -> list[Click]:
    clicks = []
    for raw in event.get("Records") or []:
        try:
            clicks.append(_parse(raw.get("body", "")))
        except (ValueError, KeyError, TypeError):
            continue  # failed (and logged) when its turn comes
    return clicks


@tracer.capture_method(capture_response=False)
def record(record: SQSRecord) -> None:
    try:
        click = _parse(record.body)
    except (ValueError, KeyError, TypeError) as error:
        # A malformed message never becomes valid: fail it so SQS parks it in the DLQ.
        logger.error("click message is not valid", extra={"message_id": record.message_id, "error": str(error)})
        raise
    if click.id in _stored:
        outcome = Recorded.DUPLICATE
    else:
        outcome = record_click(click, retention_days=settings.click_retention_days)
    metrics.add_metric(name=f"Click_{click.kind.value}", unit=MetricUnit.Count, value=1)
    if outcome is Recorded.DUPLICATE:
        metrics.add_metric(name="ClickDuplicateDelivery", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    _prepare_tomorrow()
    _stored.clear()
    _stored.update(recorded_already(_valid_clicks(event)))
    return process_partial_response(event=event, record_handler=record, processor=processor, context=context)


coldstart.done()  # the end of init (begun in __init__.py)
