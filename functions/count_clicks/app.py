"""Click stream -> click counters (DynamoDB Streams of the events table, ReportBatchItemFailures).

The batch's clicks are summed per counter item and written with a checkpoint
in one transaction, exactly once (soundlink/tracking/counting.py says why).
A transaction that fails after others were written reports where to resume;
one that fails first fails the batch, and Lambda retries it from its start.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from soundlink.platform import coldstart
from soundlink.platform.observability import logger, metrics, tracer
from soundlink.platform.settings import get_settings
from soundlink.platform.tables import bind_tables
from soundlink.tracking.counting import count_clicks

bind_tables(get_settings())


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    done = count_clicks(event.get("Records") or [], now=datetime.now(UTC))
    metrics.add_metric(name="ClicksCounted", unit=MetricUnit.Count, value=done.counted)
    if done.skipped:
        metrics.add_metric(name="ClicksCountedBefore", unit=MetricUnit.Count, value=done.skipped)
    if done.retry_from is None:
        return {"batchItemFailures": []}
    logger.warning("a counter transaction failed; the batch resumes from it", extra={"sequence": done.retry_from})
    return {"batchItemFailures": [{"itemIdentifier": done.retry_from}]}


coldstart.done()  # the end of init (begun in __init__.py)
